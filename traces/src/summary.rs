//! The verdicts as GitHub-flavoured Markdown for a CI job summary (`check --summary FILE`,
//! e.g. `$GITHUB_STEP_SUMMARY`): a headline, the differences from the expectation file if
//! one was given, the verdict table, and each VIOLATED check's counterexample as a
//! ```` ```mermaid ```` block (GitHub renders it as a sequence diagram) after its violation.

use crate::expect::Comparison;
use crate::table::verdict_word;
use model::checker::Verdict;
use model::verdict::VerdictRecord;

/// The summary of one `check` run; `expected` is the expectation file's name and the
/// comparison with it, when `--expect` was given.
pub fn render(records: &[VerdictRecord], expected: Option<(&str, &Comparison)>) -> String {
    let count = |v: Verdict| records.iter().filter(|r| r.verdict == v).count();
    let mut out = format!(
        "## redis-races check: {} checks, {} hold, {} violated{}\n\n",
        records.len(),
        count(Verdict::Holds),
        count(Verdict::Violated),
        match count(Verdict::Unknown) {
            0 => String::new(),
            n => format!(", {n} unknown (search limit reached)"),
        }
    );
    if let Some((file, cmp)) = expected {
        if cmp.differences.is_empty() {
            out.push_str(&format!("Every verdict is as expected in `{file}`.\n\n"));
        } else {
            out.push_str(&format!(
                "**{} verdict(s) differ from `{file}`** (update it with `check … --format json > {file}` if the change is intended):\n\n",
                cmp.differences.len()
            ));
            for d in &cmp.differences {
                out.push_str(&format!("- {}\n", cell(&d.to_string())));
            }
            out.push('\n');
        }
        if !cmp.not_run.is_empty() {
            out.push_str(&format!(
                "Expected in `{file}` but not checked in this run: {}.\n\n",
                cmp.not_run
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out.push_str("| row | property | faults | verdict | states | depth | bounds |");
    out.push_str(if expected.is_some() {
        " expected |\n"
    } else {
        "\n"
    });
    out.push_str("|---|---|---|---|---:|---:|---|");
    out.push_str(if expected.is_some() { "---|\n" } else { "\n" });
    for r in records {
        let verdict = match r.verdict {
            Verdict::Holds => "holds".to_string(),
            v => format!("**{}**", verdict_word(v)),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {verdict} | {} | {} | {} |",
            r.row(),
            cell(&r.property),
            cell(&r.faults),
            r.states,
            r.depth,
            cell(&r.bounds.to_string())
        ));
        if let Some((_, cmp)) = expected {
            let check = format!("{} {} {}", r.row(), r.property, r.faults);
            let note = match cmp.differences.iter().find(|d| d.check == check) {
                None => "as expected".to_string(),
                Some(d) => match d.expected {
                    Some(e) => format!("**changed** (was {})", verdict_word(e)),
                    None => "**new**".to_string(),
                },
            };
            out.push_str(&format!(" {note} |"));
        }
        out.push('\n');
    }
    let violated: Vec<&VerdictRecord> = records
        .iter()
        .filter(|r| r.verdict == Verdict::Violated)
        .collect();
    if !violated.is_empty() {
        out.push_str("\n### Counterexamples\n");
    }
    for r in violated {
        out.push_str(&format!(
            "\n#### `{}` · {} · faults={}\n\n",
            r.row(),
            cell(&r.property),
            cell(&r.faults)
        ));
        if let Some(v) = &r.violation {
            out.push_str(&format!("{} violated: {}\n\n", cell(&r.property), cell(v)));
        }
        if let Some(trace) = r.trace() {
            out.push_str(&format!(
                "{} steps; replay it with `redis-races replay {} --property {} --faults {}`.\n\n",
                trace.steps.len(),
                r.row(),
                r.property,
                r.faults
            ));
            out.push_str("```mermaid\n");
            out.push_str(&crate::mermaid::render(&trace));
            out.push_str("```\n");
        }
    }
    out
}

/// Text safe inside a Markdown table cell or list item: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
