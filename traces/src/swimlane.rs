//! A counterexample as a text swimlane: one column per client, a time column and a notes
//! column (clock, expiries, crashes, the subject key changing hands, the violation).
//!
//! ```text
//!   # t  | A                           | B                           | C | notes
//! -------+-----------------------------+-----------------------------+---+--------------------
//!   1 0s | SET lock:res A NX EX 1 → OK |                             |   | lock:res: (none) → A
//!        | · acquired (lease 1s)       |                             |   |
//! ```

use crate::keyspace;
use model::command::Command;
use model::trace::{StepKind, Trace};

/// The text of one cell, per line.
type Lines = Vec<String>;

struct Row {
    number: String,
    time: String,
    /// One cell per client.
    cells: Vec<Lines>,
    notes: Lines,
}

/// Whether the trace uses more than one connection name, so cells must say which.
pub(crate) fn multi_connection(trace: &Trace) -> bool {
    let mut names: Vec<&str> = trace
        .steps
        .iter()
        .filter_map(|s| s.connection.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.len() > 1
}

/// The client names of a trace: A, B, … for `trace.clients`, plus any other name a step uses.
pub(crate) fn client_names(trace: &Trace) -> Vec<String> {
    let mut names: Vec<String> = (0..trace.clients).map(model::client_name).collect();
    for s in &trace.steps {
        if let Some(c) = &s.client {
            if !names.contains(c) {
                names.push(c.clone());
            }
        }
    }
    names
}

/// The swimlane of `trace`, with a title line and the violation and final keys below.
pub fn render(trace: &Trace) -> String {
    let clients = client_names(trace);
    let tag_connections = multi_connection(trace);
    let changes = keyspace::subject_changes(trace);
    let mut rows = Vec::with_capacity(trace.steps.len());
    for (i, s) in trace.steps.iter().enumerate() {
        let prefix = match (&s.connection, tag_connections) {
            (Some(c), true) => format!("[{c}] "),
            _ => String::new(),
        };
        let action = match s.kind {
            StepKind::Command => Some(format!(
                "{prefix}{} → {}",
                Command(s.command.clone().unwrap_or_default()),
                s.reply
                    .as_ref()
                    .map_or("(blocked)".to_string(), |r| r.to_string())
            )),
            StepKind::Receive if s.reply.is_none() => {
                Some(format!("{prefix}(waits for a message)"))
            }
            StepKind::Receive => Some(format!(
                "{prefix}← {}",
                s.reply.as_ref().map(|r| r.to_string()).unwrap_or_default()
            )),
            StepKind::Local => Some("(local step)".to_string()),
            StepKind::Crash => Some("✗ crashes".to_string()),
            StepKind::Tick | StepKind::Replicate | StepKind::Promote | StepKind::Restart => None,
        };
        let mut cells = vec![Lines::new(); clients.len()];
        if let (Some(action), Some(who)) = (action, &s.client) {
            let col = clients.iter().position(|c| c == who).unwrap_or(0);
            cells[col].push(action);
            cells[col].extend(s.events.iter().map(|e| format!("· {e}")));
        }
        let mut notes = Lines::new();
        if s.kind == StepKind::Tick {
            notes.push(format!("clock → t={}s", s.time));
        }
        if matches!(
            s.kind,
            StepKind::Replicate | StepKind::Promote | StepKind::Restart
        ) {
            notes.push(model::render::server_fault(s));
        }
        let (verdicts, others): (Vec<_>, Vec<_>) = s.notes.iter().partition(|n| n.is_violation());
        notes.extend(others.into_iter().map(|n| n.to_string()));
        notes.extend(changes[i].iter().cloned());
        notes.extend(verdicts.into_iter().map(|n| n.to_string()));
        rows.push(Row {
            number: (i + 1).to_string(),
            time: format!("{}s", s.time),
            cells,
            notes,
        });
    }

    let width = |lines: &mut dyn Iterator<Item = usize>, min: usize| lines.fold(min, usize::max);
    let num_w = width(&mut rows.iter().map(|r| r.number.len()), 1);
    let time_w = width(&mut rows.iter().map(|r| r.time.len()), 1);
    let col_w: Vec<usize> = clients
        .iter()
        .enumerate()
        .map(|(c, name)| {
            width(
                &mut rows
                    .iter()
                    .flat_map(|r| r.cells[c].iter().map(|l| l.chars().count())),
                name.chars().count(),
            )
        })
        .collect();

    let mut out = format!(
        "{}: {} under faults={} ({} clients)\n",
        trace.row, trace.property, trace.faults, trace.clients
    );
    let line = |number: &str, time: &str, cells: &[&str], notes: &str| -> String {
        let mut l = format!("{number:>num_w$} {time:>time_w$} |");
        for (c, text) in cells.iter().enumerate() {
            l.push_str(&format!(" {} |", pad(text, col_w[c])));
        }
        l.push(' ');
        l.push_str(notes);
        l.trim_end().to_string() + "\n"
    };
    let names: Vec<&str> = clients.iter().map(String::as_str).collect();
    out.push_str(&line("#", "t", &names, "notes"));
    let mut rule = "-".repeat(num_w + time_w + 2);
    for w in &col_w {
        rule.push('+');
        rule.push_str(&"-".repeat(w + 2));
    }
    rule.push_str("+-------");
    out.push_str(&rule);
    out.push('\n');
    for r in &rows {
        let height = r
            .cells
            .iter()
            .map(Vec::len)
            .chain([r.notes.len(), 1])
            .max()
            .unwrap_or(1);
        for k in 0..height {
            let cells: Vec<&str> = r
                .cells
                .iter()
                .map(|c| c.get(k).map_or("", String::as_str))
                .collect();
            let (number, time) = if k == 0 {
                (r.number.as_str(), r.time.as_str())
            } else {
                ("", "")
            };
            out.push_str(&line(
                number,
                time,
                &cells,
                r.notes.get(k).map_or("", String::as_str),
            ));
        }
    }
    if let Some(v) = &trace.violation {
        out.push_str(&format!("=> {} violated: {v}\n", trace.property));
    }
    if !trace.final_keys.is_empty() {
        out.push_str(&format!("final keys: {}\n", trace.final_keys.join(", ")));
    }
    out
}

/// Pads `s` with spaces to `width` characters.
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}
