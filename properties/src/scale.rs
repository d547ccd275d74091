//! Recipes at scale: the catalogue's rows with 5–10 clients on random schedules.
//!
//! A schedule is drawn as a list of choices; at each point the next action is the choice
//! (modulo) among the clients that can step. Crashes are left out, and the clock ticks only
//! when no client can step (a parked BLPOP waiting for its timeout, a lock waiting for its
//! lease): the schedules explore interleavings, not pauses.

use model::{Action, System};
use proptest::prelude::*;

/// Choices for one schedule (longer than any run needs: a run stops when no client can step).
pub fn choices() -> impl Strategy<Value = (usize, Vec<u16>)> {
    (5usize..=10, prop::collection::vec(any::<u16>(), 400))
}

/// The schedule `choices` picks on `system`: client steps only, until none is enabled.
pub fn schedule(system: &System, choices: &[u16]) -> Vec<Action> {
    let mut w = system.initial();
    let mut actions = Vec::new();
    for &c in choices {
        let enabled = system.enabled(&w);
        let mut steps: Vec<Action> = enabled
            .iter()
            .copied()
            .filter(|a| matches!(a, Action::Step(_)))
            .collect();
        if steps.is_empty() && enabled.contains(&Action::Tick) {
            steps.push(Action::Tick);
        }
        if steps.is_empty() {
            break;
        }
        let a = steps[c as usize % steps.len()];
        w = system.step(&w, a).0;
        actions.push(a);
    }
    actions
}

/// The property's verdict on the model after `actions` (`Some(why)` when violated).
pub fn model_violation(system: &System, actions: &[Action]) -> Option<String> {
    let mut w = system.initial();
    for &a in actions {
        w = system.step(&w, a).0;
    }
    let is_final = system.enabled(&w).is_empty();
    system.check(&w, is_final).err()
}
