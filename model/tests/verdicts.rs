//! The catalogue's expected verdicts (issue "Foundation", item 8), checked by running the
//! model checker, never hard-coded into it.

use model::catalogue::{self, Job};
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel;

fn verdict(row: &str, property: &str, faults: FaultModel) -> Verdict {
    let scenarios = catalogue::all();
    let jobs: Vec<Job> = catalogue::select(&scenarios, Some(row), Some(property), &[faults])
        .unwrap_or_else(|e| panic!("{row} {property} {faults}: {e}"));
    assert_eq!(jobs.len(), 1, "{row} {property} {faults} selects one job");
    let system = jobs[0].system(None);
    let result = checker::check(&system, Limits::default(), &mut |_| {});
    assert_ne!(
        result.verdict,
        Verdict::Unknown,
        "{row} {property} {faults}: search incomplete"
    );
    if result.verdict == Verdict::Violated {
        let trace = result
            .counterexample
            .expect("a violation comes with a counterexample");
        assert!(!trace.steps.is_empty());
        assert!(trace.violation.is_some());
    }
    result.verdict
}

fn expect(rows: &[&str], property: &str, faults: &[FaultModel], want: Verdict) {
    for row in rows {
        for &f in faults {
            assert_eq!(
                verdict(row, property, f),
                want,
                "{row} {property} under {f}"
            );
        }
    }
}

use FaultModel::{Crash, None as NoFault, Pause};
use Verdict::{Holds, Violated};

#[test]
fn counter_naive_variants_lose_updates_and_safe_ones_do_not() {
    expect(
        &[
            "counter/get-set",
            "counter/watch-pooled",
            "counter/multi-no-watch",
        ],
        "no-lost-update",
        &[NoFault],
        Violated,
    );
    expect(
        &["counter/watch-retry", "counter/lua", "counter/incr"],
        "no-lost-update",
        &[NoFault, Crash],
        Holds,
    );
}

#[test]
fn inventory_naive_variants_oversell_and_safe_ones_do_not() {
    expect(
        &["inventory/check-then-decr", "inventory/multi-no-watch"],
        "no-oversell",
        &[NoFault],
        Violated,
    );
    expect(
        &["inventory/watch", "inventory/lua"],
        "no-oversell",
        &[NoFault, Crash],
        Holds,
    );
}

const LOCKS: &[&str] = &[
    "lock/setnx-expire",
    "lock/setnx-ttl-repair",
    "lock/setnx-ttl-repair-fixed",
    "lock/set-nx-ex-del",
    "lock/set-nx-ex-get-del",
    "lock/watch-release",
    "lock/lua",
    "lock/client",
];

#[test]
fn every_lock_excludes_without_faults_and_none_survives_a_pause() {
    expect(LOCKS, "mutual-exclusion", &[NoFault], Holds);
    expect(LOCKS, "mutual-exclusion", &[Pause], Violated);
}

#[test]
fn only_checked_releases_keep_owners_and_leases_apart_under_pause() {
    let naive = ["lock/set-nx-ex-del", "lock/set-nx-ex-get-del"];
    let checked = ["lock/watch-release", "lock/lua"];
    expect(&naive, "owner-only-release", &[Pause], Violated);
    expect(&naive, "pause-contained", &[Pause], Violated);
    expect(&checked, "owner-only-release", &[Pause], Holds);
    expect(&checked, "pause-contained", &[Pause], Holds);
}

#[test]
fn a_crashed_holder_frees_the_lock_only_when_an_expiry_is_guaranteed() {
    expect(
        &["lock/setnx-expire", "lock/setnx-ttl-repair"],
        "crashed-lock-frees",
        &[Crash],
        Violated,
    );
    expect(
        &[
            "lock/setnx-ttl-repair-fixed",
            "lock/set-nx-ex-del",
            "lock/set-nx-ex-get-del",
        ],
        "crashed-lock-frees",
        &[Crash],
        Holds,
    );
}

/// `lock/client` is `live::lock`'s commands and scripts (SET NX PX, compare-and-delete): it
/// keeps every property without faults and after a crash; under `pause` it keeps owners and
/// leases apart but, like every expiring lock, not mutual exclusion (the fencing token's job).
#[test]
fn the_client_lock_holds_what_an_expiring_lock_can() {
    let row = ["lock/client"];
    for p in ["mutual-exclusion", "owner-only-release", "pause-contained"] {
        expect(&row, p, &[NoFault, Crash], Holds);
    }
    expect(&row, "crashed-lock-frees", &[Crash], Holds);
    expect(&row, "owner-only-release", &[Pause], Holds);
    expect(&row, "pause-contained", &[Pause], Holds);
    expect(&row, "mutual-exclusion", &[Pause], Violated);
}

#[test]
fn counterexamples_are_the_shortest_and_deterministic() {
    // get-set loses an update in exactly 4 steps: A GET, B GET, A SET, B SET.
    let scenarios = catalogue::all();
    let job = &catalogue::select(&scenarios, Some("counter/get-set"), None, &[NoFault]).unwrap()[0];
    let a = checker::check(&job.system(None), Limits::default(), &mut |_| {});
    let b = checker::check(&job.system(None), Limits::default(), &mut |_| {});
    let (ta, tb) = (a.counterexample.unwrap(), b.counterexample.unwrap());
    assert_eq!(ta, tb, "two runs give the same counterexample");
    assert_eq!(ta.steps.len(), 4);
    let commands: Vec<String> = ta
        .steps
        .iter()
        .map(|s| s.command.clone().unwrap().join(" "))
        .collect();
    assert_eq!(
        commands,
        [
            "GET counter",
            "GET counter",
            "SET counter 1",
            "SET counter 1"
        ]
    );
}

#[test]
fn a_state_limit_gives_unknown_never_holds() {
    let scenarios = catalogue::all();
    let job = &catalogue::select(
        &scenarios,
        Some("lock/watch-release"),
        Some("mutual-exclusion"),
        &[NoFault],
    )
    .unwrap()[0];
    let r = checker::check(
        &job.system(None),
        Limits {
            max_states: 50,
            ..Limits::default()
        },
        &mut |_| {},
    );
    assert_eq!(r.verdict, Verdict::Unknown);
}

/// DESIGN.md §4: with the token checked by the resource, a stale holder's write is never
/// accepted, even under `pause` where the lock itself no longer excludes; a resource that
/// trusts the lock accepts it.
#[test]
fn a_fencing_token_checked_by_the_resource_survives_a_pause() {
    expect(
        &["fencing/checked"],
        "fenced-writes",
        &[NoFault, Crash, Pause],
        Holds,
    );
    expect(
        &["fencing/unchecked"],
        "fenced-writes",
        &[NoFault, Crash],
        Holds,
    );
    expect(&["fencing/unchecked"], "fenced-writes", &[Pause], Violated);
}
