//! Issue 13's expected verdicts, found by running the checker: every single-server lock
//! under `failover`, fencing with the counter on the failed-over server or at the resource,
//! SET NX PX + WAIT with one and two replicas, Redlock under none, crash, pause and restart.
//! Plus the replication model's own rules (prefix, WAIT counts, promotion).

use model::catalogue::{self, Job};
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel;
use model::system::{Action, System};

fn system(row: &str, property: &str, faults: FaultModel, replicas: Option<u8>) -> System {
    let scenarios = catalogue::all();
    let jobs: Vec<Job> = catalogue::select(&scenarios, Some(row), Some(property), &[faults])
        .unwrap_or_else(|e| panic!("{row} {property} {faults}: {e}"));
    assert_eq!(jobs.len(), 1, "{row} {property} {faults} selects one job");
    let s = jobs[0].system(None);
    match replicas {
        Some(n) => s.with_replicas(n),
        None => s,
    }
}

/// The verdict and, when violated, the counterexample's length.
fn verdict(row: &str, property: &str, faults: FaultModel, replicas: Option<u8>) -> Verdict {
    let s = system(row, property, faults, replicas);
    let result = checker::check(&s, Limits::default(), &mut |_| {});
    assert_ne!(
        result.verdict,
        Verdict::Unknown,
        "{row} {property} {faults}"
    );
    if result.verdict == Verdict::Violated {
        let trace = result.counterexample.expect("a counterexample");
        assert!(trace.violation.is_some());
    }
    result.verdict
}

#[test]
fn every_single_server_lock_loses_mutual_exclusion_under_failover() {
    let scenario = catalogue::lock();
    assert!(scenario.variants.len() >= 10);
    for v in &scenario.variants {
        let row = format!("lock/{}", v.name);
        assert_eq!(
            verdict(&row, "mutual-exclusion", FaultModel::Failover, None),
            Verdict::Violated,
            "{row}"
        );
    }
    assert_eq!(
        verdict(
            "fencing/checked",
            "fenced-writes",
            FaultModel::Failover,
            None
        ),
        Verdict::Violated
    );
}

#[test]
fn fencing_holds_under_failover_only_when_the_resource_keeps_the_counter() {
    let v = |row| verdict(row, "fenced-writes", FaultModel::Failover, None);
    assert_eq!(v("fencing/checked"), Verdict::Violated);
    assert_eq!(v("fencing/unchecked"), Verdict::Violated);
    assert_eq!(v("fencing/checked-at-resource"), Verdict::Holds);
    for f in FaultModel::ALL {
        assert_eq!(
            verdict("fencing/checked-at-resource", "fenced-writes", f, None),
            Verdict::Holds,
            "{f}"
        );
    }
}

#[test]
fn wait_1_breaks_with_two_replicas_when_the_lagging_one_is_promoted() {
    let v = |row, n| verdict(row, "mutual-exclusion", FaultModel::Failover, Some(n));
    assert_eq!(v("wait-lock/wait-1", 1), Verdict::Holds);
    assert_eq!(v("wait-lock/wait-1", 2), Verdict::Violated);
    assert_eq!(v("wait-lock/wait-all", 2), Verdict::Holds);
    // The counterexample promotes the replica that has not applied the holder's SET.
    let s = system(
        "wait-lock/wait-1",
        "mutual-exclusion",
        FaultModel::Failover,
        Some(2),
    );
    let cx = checker::check(&s, Limits::default(), &mut |_| {})
        .counterexample
        .expect("violated");
    let actions = cx.actions().unwrap();
    assert!(actions.iter().any(|a| matches!(a, Action::Promote(_))));
    assert!(actions.iter().any(|a| matches!(a, Action::Replicate(_))));
}

#[test]
fn redlock_holds_without_faults_and_with_crashes_and_breaks_under_pause_and_restart() {
    let v = |f| verdict("redlock/redis-io", "mutual-exclusion", f, None);
    assert_eq!(v(FaultModel::None), Verdict::Holds);
    assert_eq!(v(FaultModel::Crash), Verdict::Holds);
    assert_eq!(v(FaultModel::Pause), Verdict::Violated);
    assert_eq!(v(FaultModel::Restart), Verdict::Violated);
    let s = system(
        "redlock/redis-io",
        "mutual-exclusion",
        FaultModel::Restart,
        None,
    );
    assert_eq!(s.servers(), 3);
    let cx = checker::check(&s, Limits::default(), &mut |_| {})
        .counterexample
        .expect("violated");
    assert!(cx
        .actions()
        .unwrap()
        .iter()
        .any(|a| matches!(a, Action::Restart(_))));
}

#[test]
fn a_replica_applies_a_prefix_and_wait_counts_its_acks() {
    // Two clients of wait-lock/wait-1, two replicas: A's SET, then WAIT before and after
    // replica 1 applies it.
    let s = system(
        "wait-lock/wait-1",
        "mutual-exclusion",
        FaultModel::Failover,
        Some(2),
    );
    let w = s.initial();
    let (w, step) = s.step(&w, Action::Step(0));
    assert_eq!(step.command.as_deref().unwrap()[0], "SET");
    let rep = w.replication().unwrap();
    assert_eq!((rep.head(), rep.offsets.clone()), (1, vec![0, 0]));
    assert!(
        rep.replica_keys(0).is_empty(),
        "the SET is acknowledged first"
    );
    let enabled = s.enabled(&w);
    assert!(enabled.contains(&Action::Replicate(0)) && enabled.contains(&Action::Replicate(1)));
    let (w1, _) = s.step(&w, Action::Replicate(0));
    assert!(w1
        .replication()
        .unwrap()
        .replica_keys(0)
        .contains_key("lock:res"));
    let (_, wait) = s.step(&w1, Action::Step(0));
    assert_eq!(wait.reply, Some(model::Reply::Int(1)));
    let (_, wait) = s.step(&w, Action::Step(0));
    assert_eq!(wait.reply, Some(model::Reply::Int(0)));
    // Promoting the replica that lags loses the lock; the one that applied it keeps it.
    let (lost, _) = s.step(&w1, Action::Promote(1));
    assert_eq!(lost.server.get_str("lock:res"), None);
    let (kept, _) = s.step(&w1, Action::Promote(0));
    assert_eq!(kept.server.get_str("lock:res"), Some("A"));
    assert_eq!(kept.replication().unwrap().offsets.len(), 1);
    assert!(
        !s.enabled(&kept)
            .iter()
            .any(|a| matches!(a, Action::Promote(_))),
        "one failover per run"
    );
}

#[test]
fn single_server_worlds_have_no_fleet() {
    for f in FaultModel::ALL {
        let s = system("lock/client", "mutual-exclusion", f, None);
        assert!(s.initial().fleet.is_none(), "{f}");
        assert!(!s.bounds.to_string().contains("replicas"), "{f}");
    }
}
