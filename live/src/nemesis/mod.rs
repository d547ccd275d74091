//! The fault models' live half (the nemesis, as the model's is `model::faults`): what each
//! fault action does to real servers, and what a fault model must do around the clients'
//! steps so that the live run can follow the model's.
//!
//! Each fault model is one module implementing [`Nemesis`]; the schedule executor asks the
//! row's ([`of`]) and never matches on the fault model or on a fault action itself, so
//! adding a fault model means adding a module here and its row to [`of`] (and its model half
//! in `model::faults`).
//!
//! | model | module | live fault actions | around client steps |
//! |---|---|---|---|
//! | `none`, `pause` | this file | — | — |
//! | `crash` | `nemesis/crash.rs` | `Crash(i)`: every connection of client `i` killed | — |
//! | `failover` | `nemesis/failover.rs` | `Replicate(r)`, `Promote(r)` | replicas held back |
//! | `restart` | `nemesis/restart.rs` | `Restart(s)`: master `s` killed, started empty | — |

mod crash;
mod failover;
mod restart;

use crate::backend::ScheduleBackend;
use crate::LiveError;
use model::world::ClientState;
use model::{Action, FaultModel, Step, System, World};

/// The faults done live so far, for the observation the invariants read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Done {
    pub crashes: u8,
    pub failovers: u8,
    pub restarts: u8,
}

/// What a fault action may touch: the servers (through the backend), the clients' states
/// (a crash stops one) and the count of faults done. `now` is the live run's model time.
pub struct Faulting<'r, 'a> {
    pub system: &'r System,
    pub backend: &'r mut ScheduleBackend<'a>,
    pub clients: &'r mut [ClientState],
    pub done: &'r mut Done,
}

impl Faulting<'_, '_> {
    /// A step of `kind` at the live run's time, with nothing recorded yet.
    pub fn step(&self, kind: model::StepKind) -> Step {
        Step::new(self.backend.now() / 1000, kind)
    }
}

/// The model's run of the schedule, the live run's guide: `worlds[n]` is the model's world
/// before action `actions[n]`, which took step `steps[n]`.
#[derive(Clone, Copy)]
pub struct ModelRun<'m> {
    pub actions: &'m [Action],
    pub steps: &'m [Step],
    pub worlds: &'m [World],
}

/// Action `n` of a [`ModelRun`], as the model took it.
#[derive(Clone, Copy)]
pub struct At<'m> {
    pub action: Action,
    /// The model's step.
    pub step: &'m Step,
    /// The model's world before it and after it.
    pub before: &'m World,
    pub after: &'m World,
    /// The schedule after it.
    pub rest: &'m [Action],
}

impl<'m> ModelRun<'m> {
    /// Action `n`.
    pub fn at(&self, n: usize) -> At<'m> {
        At {
            action: self.actions[n],
            step: &self.steps[n],
            before: &self.worlds[n],
            after: &self.worlds[n + 1],
            rest: &self.actions[n + 1..],
        }
    }
}

/// A fault model's live behaviour. Contract per verb:
/// - `check`: refuses, before anything runs, a schedule this fault model cannot reproduce
///   live. Touches no server.
/// - `before_step`: before the client step `at`, puts the servers where the model has them
///   for that step (for instance, replicas held back). Changes no key and no client state.
/// - `after_step`: after that client step, the same. Changes no key and no client state.
/// - `apply`: performs the fault action `at` live (the model's worlds around it as the
///   guide) and returns its step, as the trace records it. It is the only code that
///   performs the fault.
pub trait Nemesis: Sync {
    fn check(&self, system: &System, model: &ModelRun<'_>) -> Result<(), LiveError> {
        let _ = (system, model);
        Ok(())
    }

    fn before_step(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<(), LiveError> {
        let _ = (run, at);
        Ok(())
    }

    fn after_step(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<(), LiveError> {
        let _ = (run, at);
        Ok(())
    }

    fn apply(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<Step, LiveError> {
        let _ = run;
        unreachable!("{:?} is not a fault action of this model", at.action)
    }
}

/// `none` and `pause`: no fault action (a pause is the clock's, which the schedule carries).
struct NoFaults;

impl Nemesis for NoFaults {}

/// The module that performs `fault`'s actions live.
pub fn of(fault: FaultModel) -> &'static dyn Nemesis {
    match fault {
        FaultModel::None | FaultModel::Pause => &NoFaults,
        FaultModel::Crash => &crash::Crashes,
        FaultModel::Failover => &failover::Failovers,
        FaultModel::Restart => &restart::Restarts,
    }
}
