//! `crash`: as `none`, plus one client may stop for good at any step (`Crash(i)`). Its
//! connections close, so every server it talks to forgets its WATCH and MULTI state and its
//! parked pops; its keys stay.

use super::{none::no_lease_runs_out, Budget, Nemesis};
use crate::client_name;
use crate::observation::Observation;
use crate::system::{Action, System};
use crate::trace::Step;
use crate::world::World;

pub(super) struct Crashes;

impl Nemesis for Crashes {
    fn budget(&self) -> Budget {
        Budget {
            crashes: 1,
            ..Budget::default()
        }
    }

    fn may_tick(&self, _: &System, w: &dyn Observation) -> bool {
        no_lease_runs_out(w)
    }

    fn enabled(&self, sys: &System, w: &dyn Observation, out: &mut Vec<Action>) {
        if w.crashes() < sys.bounds.crashes {
            for i in 0..w.clients() {
                if w.client(i).is_live() {
                    out.push(Action::Crash(i));
                }
            }
        }
    }

    fn apply(&self, sys: &System, w: &mut World, action: Action, rec: Option<&mut Step>) {
        let Action::Crash(i) = action else {
            unreachable!("crash applies only Crash actions")
        };
        for slot in 0..sys.recipe(i).connections().len() {
            let conn = sys.conn_id(i, slot);
            w.server_mut(sys.server_of(i, slot)).close(conn);
        }
        w.crashes += 1;
        let now = w.now;
        w.clients[i].crash(now);
        if let Some(step) = rec {
            *step = Step::crash(step.time, client_name(i));
        }
    }
}
