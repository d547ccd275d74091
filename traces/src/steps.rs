//! A counterexample as numbered steps: clock, client, connection, command, reply, events.

use crate::columns::{command_cell, width};
use model::render::reply_text;
use model::trace::{StepKind, Trace};

/// Numbered steps, one per line, then the violation and the final keyspace.
pub fn render(trace: &Trace) -> String {
    let cw = width(&trace.steps, &|s| s.client.as_deref());
    let nw = width(&trace.steps, &|s| s.connection.as_deref());
    let mut out = format!(
        "{:>3} {:>3}  {:<cw$} {:<nw$} {:<44} {:<14} {}\n",
        "#", "t", "client", "conn", "command", "reply", "events / notes"
    );
    for (i, s) in trace.steps.iter().enumerate() {
        let command = command_cell(s);
        // Only a command or a receive reads a reply.
        let reply = match s.kind {
            StepKind::Command | StepKind::Receive => reply_text(s),
            _ => String::new(),
        };
        let mut notes: Vec<String> = s.events.iter().map(|e| e.to_string()).collect();
        notes.extend(s.notes.iter().map(|n| n.to_string()));
        out.push_str(&format!(
            "{:>3} {:>3}  {:<cw$} {:<nw$} {:<44} {:<14} {}\n",
            i + 1,
            s.time,
            s.client.as_deref().unwrap_or("-"),
            s.connection.as_deref().unwrap_or("-"),
            command,
            reply,
            notes.join("; ")
        ));
    }
    if let Some(v) = &trace.violation {
        out.push_str(&format!("    => {} violated: {v}\n", trace.property));
    }
    if !trace.final_keys.is_empty() {
        out.push_str(&format!(
            "    final keys: {}\n",
            trace.final_keys.join(", ")
        ));
    }
    out
}
