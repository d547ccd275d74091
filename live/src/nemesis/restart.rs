//! `restart`, live: master `s` of the fleet is killed and started again, empty, on its port
//! (`LiveFleet::restart`). A parked command it had already answered keeps its reply, one
//! still parked there gets the model's connection-lost error, and every connection to it is
//! new (`ScheduleBackend::replace_server`).

use super::{failover::lost_notes, At, Faulting, Nemesis};
use crate::LiveError;
use model::{Action, Note, Step, StepKind};

pub(super) struct Restarts;

impl Nemesis for Restarts {
    fn apply(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<Step, LiveError> {
        let Action::Restart(s) = at.action else {
            unreachable!("restart applies only Restart actions")
        };
        let s = s as usize;
        let lost = run.backend.replace_server(s, |fleet| fleet.restart(s))?;
        run.done.restarts += 1;
        let mut step = run.step(StepKind::Restart);
        step.server = Some(s);
        step.notes = vec![Note::LiveRestarted { server: s }];
        step.notes.extend(lost_notes(&lost));
        Ok(step)
    }
}
