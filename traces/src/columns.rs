//! The columns the two step tables share (the numbered steps and the replay's side by side):
//! a step's command cell and the width of the client and connection columns.

use model::command::Command;
use model::render::server_fault;
use model::trace::{Step, StepKind};

/// What a step did, in the command column: the command as sent, or in parentheses what
/// happened instead (a receive, a local step, a tick, a crash, a server fault).
pub(crate) fn command_cell(step: &Step) -> String {
    match step.kind {
        StepKind::Command => Command(step.command.clone().unwrap_or_default()).to_string(),
        // A receive step without a reply is a `receive` that parked (a parked command's
        // reply always arrives with its receive step).
        StepKind::Receive if step.reply.is_none() => "(waits for a message)".into(),
        StepKind::Receive => "(reply arrives)".into(),
        StepKind::Local => "(local step)".into(),
        StepKind::Tick => "(clock +1s)".into(),
        StepKind::Crash => "(crash)".into(),
        StepKind::Replicate | StepKind::Promote | StepKind::Restart => {
            format!("({})", server_fault(step))
        }
    }
}

/// The width of the client (`f` = the step's client) or connection column over `steps`: at
/// least its heading's 6, wider for a spawned thread (`A/renewer`) and its connection.
pub(crate) fn width(steps: &[Step], f: &dyn Fn(&Step) -> Option<&str>) -> usize {
    steps
        .iter()
        .filter_map(f)
        .map(|s| s.chars().count())
        .fold(6, usize::max)
}
