//! A counterexample as numbered steps: clock, client, connection, command, reply, events.

use model::command::Command;
use model::trace::{StepKind, Trace};

/// Numbered steps, one per line, then the violation and the final keyspace.
pub fn render(trace: &Trace) -> String {
    // The client and conn columns widen for a spawned thread (`A/renewer`) and its connection.
    let width = |f: &dyn Fn(&model::trace::Step) -> Option<&str>| {
        trace
            .steps
            .iter()
            .filter_map(f)
            .map(|s| s.chars().count())
            .fold(6, usize::max)
    };
    let cw = width(&|s| s.client.as_deref());
    let nw = width(&|s| s.connection.as_deref());
    let mut out = format!(
        "{:>3} {:>3}  {:<cw$} {:<nw$} {:<44} {:<14} {}\n",
        "#", "t", "client", "conn", "command", "reply", "events / notes"
    );
    for (i, s) in trace.steps.iter().enumerate() {
        let (command, reply) = match s.kind {
            StepKind::Command => (
                Command(s.command.clone().unwrap_or_default()).to_string(),
                s.reply
                    .as_ref()
                    .map_or("(blocked)".to_string(), |r| r.to_string()),
            ),
            // A receive step without a reply is a `receive` that parked (a parked command's
            // reply always arrives with its receive step).
            StepKind::Receive if s.reply.is_none() => {
                ("(waits for a message)".to_string(), String::new())
            }
            StepKind::Receive => (
                "(reply arrives)".to_string(),
                s.reply.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            ),
            StepKind::Local => ("(local step)".to_string(), String::new()),
            StepKind::Tick => ("(clock +1s)".to_string(), String::new()),
            StepKind::Crash => ("(crash)".to_string(), String::new()),
            StepKind::Replicate | StepKind::Promote | StepKind::Restart => (
                format!("({})", model::render::server_fault(s)),
                String::new(),
            ),
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
