//! Fault models (the nemesis): what may go wrong besides the interleaving itself.

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
}

impl FaultModel {
    pub const ALL: [FaultModel; 3] = [FaultModel::None, FaultModel::Crash, FaultModel::Pause];

    pub fn name(self) -> &'static str {
        match self {
            FaultModel::None => "none",
            FaultModel::Crash => "crash",
            FaultModel::Pause => "pause",
        }
    }

    /// The assumption a verdict under this fault model rests on, in words.
    pub fn assumption(self) -> &'static str {
        match self {
            FaultModel::None => "no client fails and no holder outlives its lease",
            FaultModel::Crash => "clients may crash; no holder outlives its lease",
            FaultModel::Pause => "a holder may be paused past its lease",
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
        FaultModel::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown fault model {s:?} (expected none, crash, pause or all)")
            })
    }
}
