//! `none`: no fault. The clock advances only while every live lock holder keeps lease left
//! after the tick, so no lease runs out under a holder (other clients may still be slow).

use super::Nemesis;
use crate::observation::Observation;
use crate::system::System;

pub(super) struct NoFaults;

impl Nemesis for NoFaults {
    fn may_tick(&self, _: &System, w: &dyn Observation) -> bool {
        no_lease_runs_out(w)
    }
}

/// The tick leaves every live holder's deadline strictly ahead: the clock rule of every fault
/// model but `pause`.
pub(super) fn no_lease_runs_out(w: &dyn Observation) -> bool {
    let now = w.now();
    (0..w.clients()).all(|i| {
        let c = w.client(i);
        !c.is_live()
            || match c.lease_until {
                Some(Some(until)) => now + 1000 < until,
                _ => true,
            }
    })
}
