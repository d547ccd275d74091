//! `pause`: the clock advances freely. A holder may be paused (GC, swap, a slow network)
//! between two steps past its lease, and then carries on as if it still held the lock.

use super::Nemesis;
use crate::observation::Observation;
use crate::system::System;

pub(super) struct Pauses;

impl Nemesis for Pauses {
    fn may_tick(&self, _: &System, _: &dyn Observation) -> bool {
        true
    }
}
