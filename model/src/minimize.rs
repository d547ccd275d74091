//! Minimal counterexamples: drop every action a violation does not need.
//!
//! [`crate::checker::check`] already returns a *shortest* counterexample (fewest actions of
//! any path to a violation), so on its output [`minimize`] rarely drops anything. It exists
//! for schedules that come from elsewhere (a replayed or hand-written trace, stateright's own
//! checkers, a padded schedule) and as a guarantee: the schedule it returns is *1-minimal* —
//! removing any single remaining action leaves a schedule that is not executable or no longer
//! ends in a violation — and the violation first appears at its last action.

use crate::checker::trace_of;
use crate::system::{Action, System};
use crate::trace::Trace;
use crate::world::World;

/// Runs `actions` from the initial world; `None` as soon as one is not enabled when its turn
/// comes (the clients' programs, the clock bound or the crash budget do not allow it).
pub fn replay(system: &System, actions: &[Action]) -> Option<World> {
    let mut w = system.initial();
    for &a in actions {
        if !system.enabled(&w).contains(&a) {
            return None;
        }
        w = system.step(&w, a).0;
    }
    Some(w)
}

/// The property's verdict on `w`, judged as the checker judges it: `w` is final when nothing
/// is enabled in it.
pub fn verdict_at(system: &System, w: &World) -> Result<(), String> {
    system.check(w, system.enabled(w).is_empty())
}

/// Why the property is violated after `actions`, or `None` when the schedule is not
/// executable or its last world does not violate the property.
pub fn violation_at_end(system: &System, actions: &[Action]) -> Option<String> {
    replay(system, actions).and_then(|w| verdict_at(system, &w).err())
}

/// The length of the shortest prefix of `actions` that ends in a violation (0: the initial
/// world already violates), or `None` when no executable prefix does.
pub fn first_violation(system: &System, actions: &[Action]) -> Option<usize> {
    let mut w = system.initial();
    if verdict_at(system, &w).is_err() {
        return Some(0);
    }
    for (k, &a) in actions.iter().enumerate() {
        if !system.enabled(&w).contains(&a) {
            return None;
        }
        w = system.step(&w, a).0;
        if verdict_at(system, &w).is_err() {
            return Some(k + 1);
        }
    }
    None
}

/// A 1-minimal sub-schedule of `actions` that still violates the property at its end.
///
/// Greedy: cut the schedule at its first violation, then try to drop each action in turn (last to first, so the
/// story's opening is kept where there is a choice) and
/// keep a drop when the rest is still executable (every action enabled when its turn comes)
/// and still ends in a violation (cutting again at the first one); repeat whole passes until
/// one drops nothing. A schedule that does not end in a violation is returned unchanged.
pub fn minimize(system: &System, actions: &[Action]) -> Vec<Action> {
    if violation_at_end(system, actions).is_none() {
        return actions.to_vec();
    }
    let mut current = actions.to_vec();
    if let Some(k) = first_violation(system, &current) {
        current.truncate(k);
    }
    loop {
        let mut dropped = false;
        let mut i = current.len();
        while i > 0 {
            i -= 1;
            if i >= current.len() {
                continue;
            }
            let mut candidate = current.clone();
            candidate.remove(i);
            if violation_at_end(system, &candidate).is_some() {
                let k = first_violation(system, &candidate).unwrap_or(candidate.len());
                candidate.truncate(k);
                current = candidate;
                dropped = true;
            }
        }
        if !dropped {
            return current;
        }
    }
}

/// Whether no single action of `actions` can be dropped with the violation kept at the end.
pub fn is_one_minimal(system: &System, actions: &[Action]) -> bool {
    (0..actions.len()).all(|i| {
        let mut candidate = actions.to_vec();
        candidate.remove(i);
        violation_at_end(system, &candidate).is_none()
    })
}

/// The minimized counterexample of `actions` as a trace, its last step annotated with the
/// violation; `None` when `actions` does not end in a violation.
pub fn minimal_trace(system: &System, actions: &[Action]) -> Option<Trace> {
    let minimal = minimize(system, actions);
    let why = violation_at_end(system, &minimal)?;
    Some(trace_of(system, &minimal, Some(why)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::faults::FaultModel;
    use std::sync::Arc;

    fn system(
        scenario: crate::scenario::Scenario,
        variant: &str,
        property: &str,
        faults: FaultModel,
    ) -> System {
        let v = scenario.variant(variant).unwrap();
        let p = scenario.property(property).unwrap();
        System::new(Arc::new(scenario), v, p, faults, None)
    }

    #[test]
    fn drops_padding_from_a_schedule() {
        use Action::*;
        let sys = system(
            catalogue::lock(),
            "set-nx-ex-del",
            "owner-only-release",
            FaultModel::Pause,
        );
        // A takes the lock; C fails to (A holds it) and retries; the lease runs out; B takes
        // the lock; C fails again and gives up; A's DEL removes B's lock. C is noise.
        let padded = [Step(0), Step(2), Tick, Step(1), Step(2), Step(0)];
        assert!(violation_at_end(&sys, &padded).is_some());
        let minimal = minimize(&sys, &padded);
        assert_eq!(minimal, vec![Step(0), Tick, Step(1), Step(0)]);
        assert!(is_one_minimal(&sys, &minimal));
        let trace = minimal_trace(&sys, &padded).unwrap();
        assert_eq!(trace.actions().unwrap(), minimal);
        assert_eq!(
            trace.violation.as_deref(),
            Some("A removed B's lock (lock:res)")
        );
    }

    #[test]
    fn cuts_actions_after_the_first_violation() {
        use Action::*;
        let sys = system(
            catalogue::lock(),
            "set-nx-ex-del",
            "mutual-exclusion",
            FaultModel::Pause,
        );
        // A and B are both inside after step 3; C's failed attempts and the tick add nothing.
        let long = [Step(0), Tick, Step(1), Step(2), Step(2), Tick];
        assert!(violation_at_end(&sys, &long).is_some());
        assert_eq!(first_violation(&sys, &long), Some(3));
        assert_eq!(minimize(&sys, &long), vec![Step(0), Tick, Step(1)]);
    }

    #[test]
    fn leaves_non_violating_and_non_executable_schedules_alone() {
        use Action::*;
        let sys = system(
            catalogue::counter(),
            "incr",
            "no-lost-update",
            FaultModel::None,
        );
        let holds = [Step(0), Step(1)];
        assert_eq!(minimize(&sys, &holds), holds.to_vec());
        assert!(minimal_trace(&sys, &holds).is_none());
        // Client 5 does not exist: not executable.
        let bogus = [Step(5)];
        assert!(replay(&sys, &bogus).is_none());
        assert_eq!(minimize(&sys, &bogus), bogus.to_vec());
    }

    #[test]
    fn an_at_end_counterexample_keeps_every_client_finishing() {
        use Action::*;
        // no-lost-update is judged only when every client has finished, so no step of the
        // classic lost update can go.
        let sys = system(
            catalogue::counter(),
            "get-set",
            "no-lost-update",
            FaultModel::None,
        );
        let lost = [Step(0), Step(1), Step(0), Step(1)];
        assert!(violation_at_end(&sys, &lost).is_some());
        assert_eq!(minimize(&sys, &lost), lost.to_vec());
        assert!(is_one_minimal(&sys, &lost));
    }
}
