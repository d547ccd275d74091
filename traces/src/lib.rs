//! Rendering of verdicts and traces for the places people read them: the terminal (table,
//! numbered steps, swimlane, the replay's side-by-side table), the pull request (Mermaid,
//! snapshots, the CI job summary) and tools (JSON, the expectation file).

mod columns;
pub mod expect;
pub mod explorer;
pub mod json;
mod keyspace;
pub mod mermaid;
pub mod side_by_side;
pub mod steps;
pub mod summary;
pub mod swimlane;
pub mod table;

/// Everything a reviewer reads about one counterexample: the numbered steps, the swimlane
/// and the Mermaid diagram (the body of a counterexample snapshot).
pub fn report(trace: &model::trace::Trace) -> String {
    format!(
        "== steps ==\n{}\n== swimlane ==\n{}\n== mermaid ==\n{}",
        steps::render(trace),
        swimlane::render(trace),
        mermaid::render(trace)
    )
}
