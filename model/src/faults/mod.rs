//! Fault models (the nemesis): what may go wrong besides the interleaving itself.
//!
//! Each fault model is one module implementing [`Nemesis`]: which fault actions are enabled in
//! a world, what each does, and when the clock may advance. The stepper ([`crate::System`])
//! asks the row's nemesis and never matches on the fault model itself, so adding a fault model
//! means adding a module here (and its name to [`FaultModel`]).
//!
//! | model | module | fault actions | clock |
//! |---|---|---|---|
//! | `none` | `faults/none.rs` | — | only while every holder has lease left |
//! | `crash` | `faults/crash.rs` | `Crash(i)`: client `i` stops for good | as `none` |
//! | `pause` | `faults/pause.rs` | — | free: a holder may outlive its lease |
//! | `failover` | `faults/failover.rs` | `Replicate(r)`, `Promote(r)` (once) | as `none` |
//! | `restart` | `faults/restart.rs` | `Restart(s)`: server `s` restarts empty (once) | as `none` |

mod crash;
mod failover;
mod none;
mod pause;
mod restart;

use crate::observation::Observation;
use crate::system::{Action, System};
use crate::trace::Step;
use crate::world::World;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the environment may do between client steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultModel {
    /// No crash; the clock advances only while every lock holder still has lease left, so no
    /// lease runs out under a holder (a well-behaved, never-paused client).
    None,
    /// As `none`, plus any client may stop for good at any step; its connections close, so
    /// the server drops its WATCH/MULTI state and parked pops (its keys stay).
    Crash,
    /// The clock advances freely: a holder may be paused (GC, swap, slow network) past its
    /// lease and then carry on as if it still held the lock.
    Pause,
    /// As `none`, but server 0 is a primary with asynchronous replicas: it acknowledges a
    /// write before any replica has it, each replica applies a prefix of its writes, and at
    /// any step one replica (any one, not necessarily the most up to date) is promoted; the
    /// old primary is gone and every connection moves to the new one, losing its WATCH/MULTI
    /// state and any parked command.
    Failover,
    /// As `none`, plus once per run one server restarts empty (no persistence): its keys,
    /// scripts and connections are gone.
    Restart,
}

/// How many faults of each kind one run may contain (printed with the bounds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub crashes: u8,
    pub failovers: u8,
    pub restarts: u8,
}

/// A fault model's behaviour. Contract per verb:
/// - `budget`: the faults per run; the stepper prints it, it does not enforce it.
/// - `may_tick`: whether the clock may advance one tick in the run `w` observes (the run's
///   tick bound is checked by the stepper first); must not change anything.
/// - `enabled`: appends the fault actions enabled in the run `w` observes, in a fixed order
///   (paths are rebuilt from action indices); must not change anything. Both read only the
///   [`Observation`], so a live run asks them too.
/// - `apply`: applies one of those actions to `w` and, when `rec` is given, records it as the
///   step's kind and notes. It is the only code that performs the fault.
pub trait Nemesis: Sync {
    fn budget(&self) -> Budget {
        Budget::default()
    }
    fn may_tick(&self, sys: &System, w: &dyn Observation) -> bool;
    fn enabled(&self, sys: &System, w: &dyn Observation, out: &mut Vec<Action>) {
        let _ = (sys, w, out);
    }
    fn apply(&self, sys: &System, w: &mut World, action: Action, rec: Option<&mut Step>) {
        let _ = (sys, w, rec);
        unreachable!("{action:?} is not a fault action of this model")
    }
}

impl FaultModel {
    /// The fault models `--faults all` (the default) checks: the single-server ones. The
    /// multi-server ones are opt-in (`--faults failover`, `--faults restart`).
    pub const ALL: [FaultModel; 3] = [FaultModel::None, FaultModel::Crash, FaultModel::Pause];
    /// Every fault model, the opt-in ones included.
    pub const EVERY: [FaultModel; 5] = [
        FaultModel::None,
        FaultModel::Crash,
        FaultModel::Pause,
        FaultModel::Failover,
        FaultModel::Restart,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultModel::None => "none",
            FaultModel::Crash => "crash",
            FaultModel::Pause => "pause",
            FaultModel::Failover => "failover",
            FaultModel::Restart => "restart",
        }
    }

    /// The assumption a verdict under this fault model rests on, in words.
    pub fn assumption(self) -> &'static str {
        match self {
            FaultModel::None => "no client fails and no holder outlives its lease",
            FaultModel::Crash => "clients may crash; no holder outlives its lease",
            FaultModel::Pause => "a holder may be paused past its lease",
            FaultModel::Failover => {
                "the primary may fail over to any asynchronous replica; no holder outlives its lease"
            }
            FaultModel::Restart => {
                "a server may restart empty (no persistence); no holder outlives its lease"
            }
        }
    }

    /// The module that says what this fault model does.
    pub fn nemesis(self) -> &'static dyn Nemesis {
        match self {
            FaultModel::None => &none::NoFaults,
            FaultModel::Crash => &crash::Crashes,
            FaultModel::Pause => &pause::Pauses,
            FaultModel::Failover => &failover::Failovers,
            FaultModel::Restart => &restart::Restarts,
        }
    }
}

impl fmt::Display for FaultModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        FaultModel::EVERY
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown fault model {s:?} (expected none, crash, pause, failover, restart or all)"
                )
            })
    }
}
