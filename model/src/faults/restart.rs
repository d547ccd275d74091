//! `restart`: as `none`, plus once per run one server (any one of the row's servers) restarts
//! without persistence: its keys and scripts are gone, its connections are closed and come
//! back empty (a parked command is answered with a connection error). It models a Redis
//! master restarted with neither RDB nor AOF, the case Redlock's analysis calls out: a lock
//! a majority granted can be granted again once one of that majority forgets it.

use super::{none::no_lease_runs_out, Budget, Nemesis};
use crate::observation::Observation;
use crate::system::{Action, System};
use crate::trace::{Note, Step, StepKind};
use crate::world::World;

pub(super) struct Restarts;

impl Nemesis for Restarts {
    fn budget(&self) -> Budget {
        Budget {
            restarts: 1,
            ..Budget::default()
        }
    }

    fn may_tick(&self, _: &System, w: &dyn Observation) -> bool {
        no_lease_runs_out(w)
    }

    fn enabled(&self, sys: &System, w: &dyn Observation, out: &mut Vec<Action>) {
        if w.restarts() < sys.bounds.restarts {
            for s in 0..sys.servers() {
                out.push(Action::Restart(s as u8));
            }
        }
    }

    fn apply(&self, _: &System, w: &mut World, action: Action, rec: Option<&mut Step>) {
        let Action::Restart(s) = action else {
            unreachable!("restart applies only Restart actions")
        };
        w.restart(s as usize);
        if let Some(step) = rec {
            step.kind = StepKind::Restart;
            step.server = Some(s as usize);
            step.notes.push(Note::Restarted { server: s as usize });
        }
    }
}
