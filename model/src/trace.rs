//! Traces: the history of one run, the same type whether the model or a live server produced
//! it, so the two diff directly.

use crate::recipe::Event;
use crate::reply::Reply;
use serde::{Deserialize, Serialize};

pub use crate::note::Note;

/// The JSON format's version; bump it when a field changes meaning. Version 2: a step's
/// notes are [`Note`] objects (version 1 wrote their text, which readers still accept).
pub const TRACE_FORMAT_VERSION: u32 = 2;

/// The format versions this build reads.
pub const READABLE_TRACE_VERSIONS: [u32; 2] = [1, 2];

/// What kind of step this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// A client sent a command (and, unless it blocked, read the reply).
    Command,
    /// A client read the reply to a command that had parked its connection.
    Receive,
    /// A client step without a command.
    Local,
    /// The logical clock advanced one tick.
    Tick,
    /// A client crashed; its connections closed.
    Crash,
    /// A replica applied the primary's next write (`server`: the replica's index).
    Replicate,
    /// A replica was promoted; the old primary is gone (`server`: the replica's index).
    Promote,
    /// A server restarted empty (`server`: its index).
    Restart,
}

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Logical time in seconds (clock ticks) when the step ran.
    pub time: u64,
    pub kind: StepKind,
    /// The client's name (A, B, …), absent for clock ticks and server faults.
    pub client: Option<String>,
    /// The replica or server a replicate, promote or restart step is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<usize>,
    /// The client's connection name (as the recipe names it), for commands and receives.
    pub connection: Option<String>,
    /// The argument vector sent, for commands.
    pub command: Option<Vec<String>>,
    /// The reply read in this step; absent when the command parked the connection.
    pub reply: Option<Reply>,
    /// What the client stated in this step.
    #[serde(default)]
    pub events: Vec<Event>,
    /// What else happened: expiries, served or timed-out pops, closed connections, the
    /// violated property.
    #[serde(default, deserialize_with = "crate::note::deserialize_notes")]
    pub notes: Vec<Note>,
}

impl Step {
    /// A step of `kind` at `time` (s) with nothing recorded yet: no client, command, reply,
    /// events or notes.
    pub fn new(time: u64, kind: StepKind) -> Step {
        Step {
            time,
            kind,
            client: None,
            server: None,
            connection: None,
            command: None,
            reply: None,
            events: vec![],
            notes: vec![],
        }
    }

    /// A step of `client`'s (its kind, connection and the rest still to be recorded).
    pub fn of_client(time: u64, kind: StepKind, client: String) -> Step {
        Step {
            client: Some(client),
            ..Step::new(time, kind)
        }
    }

    /// `client`'s step without a command (a wake-up, a choice): what it stated.
    pub fn local(time: u64, client: String, events: Vec<Event>) -> Step {
        Step {
            events,
            ..Step::of_client(time, StepKind::Local, client)
        }
    }

    /// The clock advanced to `time` (s); `notes` say what that did.
    pub fn tick(time: u64, notes: Vec<Note>) -> Step {
        Step {
            notes,
            ..Step::new(time, StepKind::Tick)
        }
    }

    /// `client` crashed at `time` (s): its connections closed.
    pub fn crash(time: u64, client: String) -> Step {
        Step {
            notes: vec![Note::Crashed {
                client: client.clone(),
            }],
            ..Step::of_client(time, StepKind::Crash, client)
        }
    }
}

/// A whole trace and what it shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub version: u32,
    /// `scenario/variant`.
    pub row: String,
    pub property: String,
    pub faults: String,
    pub clients: usize,
    pub steps: Vec<Step>,
    /// Why the property fails in the last state, if it does.
    pub violation: Option<String>,
    /// The keyspace after the last step, `key = value (ttl)` lines in key order.
    pub final_keys: Vec<String>,
}

impl Trace {
    /// The schedule this trace followed, as model actions (client names map back to indices:
    /// A = 0, B = 1, …). Errors on a step naming an unknown client, or a spawned thread
    /// (`A/renewer`: use [`Trace::actions_for`], which knows the recipe's connections).
    pub fn actions(&self) -> Result<Vec<crate::system::Action>, String> {
        self.actions_with(&|_, thread| {
            Err(format!(
                "a step of thread {thread:?}: its connection slot needs the system (actions_for)"
            ))
        })
    }

    /// [`Trace::actions`], with a spawned thread `A/name` mapped to `name`'s connection slot
    /// in `system`'s recipe for A.
    pub fn actions_for(
        &self,
        system: &crate::system::System,
    ) -> Result<Vec<crate::system::Action>, String> {
        self.actions_with(&|i, thread| {
            let conns = system.recipe(i).connections();
            conns
                .iter()
                .position(|c| *c == thread)
                .filter(|&slot| slot > 0 && i < system.bounds.clients)
                .map(|slot| slot as u8)
                .ok_or_else(|| format!("unknown thread {thread:?} of {}", crate::client_name(i)))
        })
    }

    fn actions_with(
        &self,
        slot_of: &dyn Fn(usize, &str) -> Result<u8, String>,
    ) -> Result<Vec<crate::system::Action>, String> {
        use crate::system::Action;
        let index = |name: &Option<String>| -> Result<usize, String> {
            let n = name.as_deref().ok_or("a client step without a client")?;
            let n = n.split('/').next().unwrap_or(n);
            (0..self.clients.max(26))
                .find(|&i| crate::client_name(i) == n)
                .ok_or_else(|| format!("unknown client {n:?}"))
        };
        // A client step: the main thread's (`A`) or a spawned thread's (`A/renewer`).
        let step = |name: &Option<String>| -> Result<Action, String> {
            let i = index(name)?;
            match name.as_deref().and_then(|n| n.split_once('/')) {
                Some((_, thread)) => Ok(Action::Thread(i, slot_of(i, thread)?)),
                None => Ok(Action::Step(i)),
            }
        };
        let server = |s: &Step| -> Result<u8, String> {
            s.server
                .map(|i| i as u8)
                .ok_or_else(|| format!("a {:?} step without a server", s.kind))
        };
        self.steps
            .iter()
            .map(|s| {
                Ok(match s.kind {
                    StepKind::Tick => Action::Tick,
                    StepKind::Crash => Action::Crash(index(&s.client)?),
                    // A choice is a local step whose first event is the branch taken.
                    StepKind::Local => match s.events.first() {
                        Some(crate::recipe::Event::Chose { choice }) => {
                            Action::Choose(index(&s.client)?, *choice)
                        }
                        _ => step(&s.client)?,
                    },
                    StepKind::Command | StepKind::Receive => step(&s.client)?,
                    StepKind::Replicate => Action::Replicate(server(s)?),
                    StepKind::Promote => Action::Promote(server(s)?),
                    StepKind::Restart => Action::Restart(server(s)?),
                })
            })
            .collect()
    }
}
