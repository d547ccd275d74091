//! Our BFS and stateright's own checker explore the same `stateright::Model`: they must reach
//! the same number of unique states and agree on every verdict.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel;
use stateright::{Checker, Model};

fn compare(row: &str, property: &'static str, faults: FaultModel) {
    let scenarios = catalogue::all();
    let job = &catalogue::select(&scenarios, Some(row), Some(property), &[faults]).unwrap()[0];
    let system = job.system(None);
    // stateright's BFS ignores symmetry, so compare with our search without it.
    let limits = Limits {
        symmetry: false,
        ..Limits::default()
    };
    let ours = checker::check(&system, limits, &mut |_| {});
    let theirs = system.clone().checker().threads(1).spawn_bfs().join();
    let discovered = theirs.discovery(property).is_some();
    assert_eq!(
        discovered,
        ours.verdict == Verdict::Violated,
        "{row} {property} {faults}: stateright and our checker disagree"
    );
    if ours.verdict == Verdict::Holds {
        assert_eq!(
            theirs.unique_state_count(),
            ours.states,
            "{row} {property} {faults}: unique states differ"
        );
    }
    if let Some(path) = theirs.discovery(property) {
        // stateright's path ends in a violating state too; ours is never longer.
        let last = path.last_state();
        let is_final = system.enabled(last).is_empty();
        assert!(system.check(last, is_final).is_err());
        assert!(ours.counterexample.unwrap().steps.len() <= path.into_actions().len());
    }
}

#[test]
fn same_states_and_verdicts_as_stateright_bfs() {
    compare("counter/watch-retry", "no-lost-update", FaultModel::Crash);
    compare("counter/get-set", "no-lost-update", FaultModel::None);
    compare("inventory/watch", "no-oversell", FaultModel::Crash);
    compare(
        "lock/watch-release",
        "owner-only-release",
        FaultModel::Pause,
    );
    compare(
        "lock/set-nx-ex-get-del",
        "pause-contained",
        FaultModel::Pause,
    );
    compare(
        "lock/setnx-ttl-repair",
        "crashed-lock-frees",
        FaultModel::Crash,
    );
    compare("lock/lua", "mutual-exclusion", FaultModel::Crash);
}
