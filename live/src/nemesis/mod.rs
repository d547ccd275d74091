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

/// A fault model's live behaviour. Contract per verb:
/// - `check`: refuses, before anything runs, a schedule this fault model cannot reproduce
///   live (`model_steps` and `worlds`: the model's run of it, `worlds[n]` before step `n`).
///   Touches no server.
/// - `before_step`: before client step `step` (the model's world `before` it and `after`
///   it, `rest` the schedule after it), puts the servers where the model has them for that
///   step (for instance, replicas held back). Changes no key and no client state.
/// - `after_step`: after that client step, the same. Changes no key and no client state.
/// - `apply`: performs fault action `action` live (the model's world `before` and `after`
///   it as the guide) and returns its step, as the trace records it. It is the only code
///   that performs the fault.
pub trait Nemesis: Sync {
    fn check(
        &self,
        system: &System,
        actions: &[Action],
        model_steps: &[Step],
        worlds: &[World],
    ) -> Result<(), LiveError> {
        let _ = (system, actions, model_steps, worlds);
        Ok(())
    }

    fn before_step(
        &self,
        run: &mut Faulting<'_, '_>,
        step: &Step,
        before: &World,
        after: &World,
        rest: &[Action],
    ) -> Result<(), LiveError> {
        let _ = (run, step, before, after, rest);
        Ok(())
    }

    fn after_step(
        &self,
        run: &mut Faulting<'_, '_>,
        before: &World,
        after: &World,
    ) -> Result<(), LiveError> {
        let _ = (run, before, after);
        Ok(())
    }

    fn apply(
        &self,
        run: &mut Faulting<'_, '_>,
        action: Action,
        before: &World,
        after: &World,
    ) -> Result<Step, LiveError> {
        let _ = (run, before, after);
        unreachable!("{action:?} is not a fault action of this model")
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
