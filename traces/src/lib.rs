//! Rendering of verdicts and traces for the places people read them: the terminal (table,
//! numbered steps, swimlane), the pull request (Mermaid, snapshots) and tools (JSON).

pub mod steps;
pub mod table;
