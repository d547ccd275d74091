//! A counterexample as a Mermaid `sequenceDiagram`, for pull requests and docs.
//!
//! Clients and the server are participants; every command is a message to `Redis` and every
//! reply a message back; what a client states (acquired, enters its critical section) is a
//! note over it; clock ticks, expiries, crashes and the violation are notes across the
//! diagram; the subject key changing hands is a note right of `Redis`.
//!
//! Mermaid's sequence lexer ends a statement at `;`, starts a comment at a `#` that is not an
//! entity code (`#59;`) and at `%%`, so message and note text goes through [`escape`]: `#`,
//! `;`, `%` (and `<`, `>`, which would read as HTML) become entity codes, line breaks spaces. Lua script bodies are shown by their first line (as [`Command`] prints them).

use crate::keyspace;
use crate::swimlane::{client_names, multi_connection};
use model::command::Command;
use model::trace::{StepKind, Trace};

/// The participant that stands for the server.
pub const SERVER: &str = "Redis";

/// Makes `text` safe as Mermaid message or note text: one non-empty line without `;`, `#`,
/// `%`, `<` or `>` except as Mermaid entity codes (`#59;`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '%' => out.push_str("#37;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        "(empty)".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The `sequenceDiagram` of `trace`.
pub fn render(trace: &Trace) -> String {
    let clients = client_names(trace);
    let tag_connections = multi_connection(trace);
    let changes = keyspace::subject_changes(trace);
    let first = clients.first().map_or(SERVER, String::as_str);
    let across = format!("Note over {first},{SERVER}");

    let mut out = String::from("sequenceDiagram\n");
    for c in &clients {
        out.push_str(&format!("    participant {c}\n"));
    }
    out.push_str(&format!("    participant {SERVER}\n"));
    out.push_str(&format!(
        "    {across}: {}\n",
        escape(&format!(
            "{}: {} under faults={}, t=0s",
            trace.row, trace.property, trace.faults
        ))
    ));
    for (i, s) in trace.steps.iter().enumerate() {
        let who = s.client.as_deref().unwrap_or(first);
        let prefix = match (&s.connection, tag_connections) {
            (Some(c), true) => format!("[{c}] "),
            _ => String::new(),
        };
        let notes: Vec<String> = s
            .notes
            .iter()
            .filter(|n| !n.is_violation())
            .map(|n| n.to_string())
            .collect();
        match s.kind {
            StepKind::Command => {
                let cmd = Command(s.command.clone().unwrap_or_default());
                out.push_str(&format!(
                    "    {who}->>{SERVER}: {}\n",
                    escape(&format!("{prefix}{cmd}"))
                ));
                if let Some(reply) = &s.reply {
                    out.push_str(&format!(
                        "    {SERVER}-->>{who}: {}\n",
                        escape(&format!("{prefix}{reply}"))
                    ));
                }
            }
            StepKind::Receive if s.reply.is_none() => {
                out.push_str(&format!("    Note over {who}: waits for a message\n"));
            }
            StepKind::Receive => {
                let reply = s.reply.as_ref().map(|r| r.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "    {SERVER}-->>{who}: {}\n",
                    escape(&format!("{prefix}{reply}"))
                ));
            }
            StepKind::Local => {
                out.push_str(&format!("    Note over {who}: local step\n"));
            }
            StepKind::Crash
            | StepKind::Tick
            | StepKind::Replicate
            | StepKind::Promote
            | StepKind::Restart => {}
        }
        if !s.events.is_empty() {
            let events: Vec<String> = s.events.iter().map(|e| e.to_string()).collect();
            out.push_str(&format!(
                "    Note over {who}: {}\n",
                escape(&events.join(", "))
            ));
        }
        match s.kind {
            StepKind::Tick => {
                let mut text = format!("clock → t={}s", s.time);
                if !notes.is_empty() {
                    text.push_str(": ");
                    text.push_str(&notes.join(", "));
                }
                out.push_str(&format!("    {across}: {}\n", escape(&text)));
            }
            StepKind::Crash => {
                let text = if notes.is_empty() {
                    format!("{who} crashes")
                } else {
                    notes.join(", ")
                };
                out.push_str(&format!("    Note over {who}: {}\n", escape(&text)));
            }
            StepKind::Replicate | StepKind::Promote | StepKind::Restart => {
                let mut text = model::render::server_fault(s);
                if !notes.is_empty() {
                    text = notes.join(", ");
                }
                out.push_str(&format!("    {across}: {}\n", escape(&text)));
            }
            _ => {
                if !notes.is_empty() {
                    out.push_str(&format!("    {across}: {}\n", escape(&notes.join(", "))));
                }
            }
        }
        for change in &changes[i] {
            out.push_str(&format!("    Note right of {SERVER}: {}\n", escape(change)));
        }
    }
    if let Some(v) = &trace.violation {
        out.push_str(&format!(
            "    {across}: {}\n",
            escape(&format!("⚠ {} violated: {v}", trace.property))
        ));
    }
    out
}
