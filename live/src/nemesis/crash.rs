//! `crash`, live: client `i` stops for good. Each of its connections is closed as the
//! backend closes one (CLIENT KILL on every master it reaches, then CLIENT LIST must no
//! longer list it: the server has freed its WATCH, MULTI and parked command); its keys stay.

use super::{At, Faulting, Nemesis};
use crate::LiveError;
use model::backend::Backend;
use model::{client_name, Action, Step};

pub(super) struct Crashes;

impl Nemesis for Crashes {
    fn apply(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<Step, LiveError> {
        let Action::Crash(i) = at.action else {
            unreachable!("crash applies only Crash actions")
        };
        for slot in 0..run.system.recipe(i).connections().len() {
            run.backend.close(run.system.conn_id(i, slot))?;
        }
        run.done.crashes += 1;
        let now = run.backend.now();
        run.clients[i].crash(now);
        Ok(Step::crash(now / 1000, client_name(i)))
    }
}
