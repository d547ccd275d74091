//! One-line descriptions of steps, shared by the CLI, the Explorer and the trace renderers.

use crate::command::Command;
use crate::trace::{Step, StepKind};

/// `A [conn] SET lock:res A NX EX 1 -> OK  {acquired (lease 1s), enters critical section}`.
pub fn step_line(step: &Step) -> String {
    let who = step.client.clone().unwrap_or_default();
    let mut line = match step.kind {
        StepKind::Command => {
            let cmd = Command(step.command.clone().unwrap_or_default());
            let reply = step
                .reply
                .as_ref()
                .map_or("(blocked)".to_string(), |r| r.to_string());
            format!(
                "{who} [{}] {cmd} -> {reply}",
                step.connection.as_deref().unwrap_or("?")
            )
        }
        StepKind::Receive if step.reply.is_none() => format!(
            "{who} [{}] waits for a message",
            step.connection.as_deref().unwrap_or("?")
        ),
        StepKind::Receive => format!(
            "{who} [{}] <- {}",
            step.connection.as_deref().unwrap_or("?"),
            step.reply
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default()
        ),
        StepKind::Local => format!("{who} (local step)"),
        StepKind::Tick => format!("clock -> t={}s", step.time),
        StepKind::Crash => format!("{who} crashes"),
        StepKind::Replicate | StepKind::Promote | StepKind::Restart => server_fault(step),
    };
    if !step.events.is_empty() {
        let ev: Vec<String> = step.events.iter().map(|e| e.to_string()).collect();
        line.push_str(&format!("  {{{}}}", ev.join(", ")));
    }
    if !step.notes.is_empty() {
        let notes: Vec<String> = step.notes.iter().map(|n| n.to_string()).collect();
        line.push_str(&format!("  [{}]", notes.join("; ")));
    }
    line
}

/// A step's reply as printed: `(blocked)` for a command that parked its connection, nothing
/// for a step that reads no reply.
pub fn reply_text(step: &Step) -> String {
    match (&step.reply, step.kind) {
        (Some(r), _) => r.to_string(),
        (None, StepKind::Command) => "(blocked)".into(),
        (None, _) => String::new(),
    }
}

/// A replicate, promote or restart step in a few words (`replica 1 is promoted`).
pub fn server_fault(step: &Step) -> String {
    let i = step.server.unwrap_or(0);
    match step.kind {
        StepKind::Replicate => format!("replica {} applies a write", i + 1),
        StepKind::Promote => format!("replica {} is promoted", i + 1),
        StepKind::Restart => format!("server {i} restarts empty"),
        _ => String::new(),
    }
}
