//! `failover`: as `none`, but server 0 is a primary with asynchronous replicas
//! ([`crate::fleet`]). Two kinds of action besides the clients' steps:
//!
//! 1. `Replicate(r)`: replica `r` applies the primary's next write (enabled while it lags).
//! 2. `Promote(r)`: replica `r` (any one, not necessarily the most up to date) becomes the
//!    primary, once per run; the old primary is gone and every connection moves to the new
//!    one, losing its WATCH/MULTI state and any parked command.
//!
//! Replication progress is an action of its own, so the checker explores every point at
//! which a write reaches (or has not yet reached) each replica.

use super::{none::no_lease_runs_out, Budget, Nemesis};
use crate::observation::Observation;
use crate::system::{Action, System};
use crate::trace::{Note, Step, StepKind};
use crate::world::World;

pub(super) struct Failovers;

impl Nemesis for Failovers {
    fn budget(&self) -> Budget {
        Budget {
            failovers: 1,
            ..Budget::default()
        }
    }

    fn may_tick(&self, _: &System, w: &dyn Observation) -> bool {
        no_lease_runs_out(w)
    }

    fn enabled(&self, sys: &System, w: &dyn Observation, out: &mut Vec<Action>) {
        let replicas = w.replicas();
        for r in 0..replicas {
            if w.replica_lags(r) {
                out.push(Action::Replicate(r as u8));
            }
        }
        if w.failovers() < sys.bounds.failovers {
            for r in 0..replicas {
                out.push(Action::Promote(r as u8));
            }
        }
    }

    fn apply(&self, _: &System, w: &mut World, action: Action, rec: Option<&mut Step>) {
        match action {
            Action::Replicate(r) => {
                let rep = w.fleet.as_mut().and_then(|f| f.replication.as_mut());
                let rep = rep.expect("failover has replicas");
                rep.replicate(r as usize);
                if let Some(step) = rec {
                    step.kind = StepKind::Replicate;
                    step.server = Some(r as usize);
                    step.notes.push(Note::Replicated {
                        replica: r as usize,
                        write: rep.offsets[r as usize] as u64,
                    });
                }
            }
            Action::Promote(r) => {
                let had = w.replication().map(|rep| rep.offsets[r as usize]);
                let head = w.replication().map(|rep| rep.head());
                w.promote(r as usize, w.now);
                if let Some(step) = rec {
                    step.kind = StepKind::Promote;
                    step.server = Some(r as usize);
                    step.notes.push(Note::Promoted {
                        replica: r as usize,
                        had: had.unwrap_or(0) as u64,
                        head: head.unwrap_or(0) as u64,
                    });
                }
            }
            other => unreachable!("failover does not apply {other:?}"),
        }
    }
}
