//! Expected verdicts of python-redis-lock (seed 003): with an expiry it behaves like every
//! expiring lock, and its BLPOP wait always wakes; with the library's default `expire=None`
//! it cannot be broken by a pause, but a slow waiter can sleep forever and a crashed holder
//! keeps the lock for good.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel::{self, Crash, None as NoFault, Pause};

fn verdict(row: &str, property: &str, faults: FaultModel) -> Verdict {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(row), Some(property), &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row} {property} {faults}");
    checker::check(&jobs[0].system(None), Limits::default(), &mut |_| {}).verdict
}

#[test]
fn with_an_expiry_waiters_always_wake_and_a_pause_breaks_exclusion() {
    let row = "lock/python-redis-lock";
    for f in [NoFault, Crash, Pause] {
        assert_eq!(verdict(row, "no-lost-wakeup", f), Verdict::Holds, "{f}");
        assert_eq!(verdict(row, "owner-only-release", f), Verdict::Holds, "{f}");
    }
    assert_eq!(verdict(row, "mutual-exclusion", NoFault), Verdict::Holds);
    assert_eq!(verdict(row, "mutual-exclusion", Pause), Verdict::Violated);
    assert_eq!(verdict(row, "crashed-lock-frees", Crash), Verdict::Holds);
}

#[test]
fn without_an_expiry_a_slow_waiter_sleeps_forever_and_a_crash_keeps_the_lock() {
    let row = "lock/python-redis-lock-no-expire";
    assert_eq!(verdict(row, "no-lost-wakeup", NoFault), Verdict::Violated);
    assert_eq!(verdict(row, "crashed-lock-frees", Crash), Verdict::Violated);
    for f in [NoFault, Crash, Pause] {
        assert_eq!(verdict(row, "mutual-exclusion", f), Verdict::Holds, "{f}");
    }
}

/// Every world `system` can reach (no symmetry).
fn reachable(system: &model::System) -> Vec<model::World> {
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([system.initial()]);
    let mut out = Vec::new();
    while let Some(w) = queue.pop_front() {
        if !seen.insert(w.clone()) {
            continue;
        }
        for a in system.enabled(&w) {
            let mut next = w.clone();
            system.step_in_place(&mut next, a);
            queue.push_back(next);
        }
        out.push(w);
    }
    out
}

#[test]
fn auto_renewal_keeps_a_slow_holder_s_lock_until_a_pause_stops_its_renewer_too() {
    for row in ["auto-renewal/python-redis-lock", "auto-renewal/lock-client"] {
        for f in [NoFault, Crash] {
            assert_eq!(
                verdict(row, "mutual-exclusion", f),
                Verdict::Holds,
                "{row} {f}"
            );
        }
        assert_eq!(
            verdict(row, "mutual-exclusion", Pause),
            Verdict::Violated,
            "{row}"
        );
        // The holder really is slow: under `none` (no tick may pass a live holder's lease) it
        // finishes its 3 s of work, begun after it took the 2 s lock, and writes, its lock
        // still its own: only the renewer's extends let the clock get there.
        let scenarios = catalogue::all();
        let job = &catalogue::select(&scenarios, Some(row), Some("mutual-exclusion"), &[NoFault])
            .unwrap()[0];
        let system = job.system(None);
        let slow = reachable(&system).into_iter().any(|w| {
            w.clients[0].in_cs
                && w.clients[0].history.iter().any(|e| e.name == "write")
                && w.server.get_str("lock:res") == Some("A")
        });
        assert!(
            slow,
            "{row}: no run where A writes after its work, still holding"
        );
    }
}

#[test]
fn only_the_suite_s_lock_client_tells_the_writer_that_its_renewer_lost_the_lock() {
    let py = "auto-renewal/python-redis-lock";
    let ours = "auto-renewal/lock-client";
    for f in [NoFault, Crash] {
        assert_eq!(verdict(py, "learns-lock-lost", f), Verdict::Holds, "{f}");
    }
    assert_eq!(verdict(py, "learns-lock-lost", Pause), Verdict::Violated);
    for f in [NoFault, Crash, Pause] {
        assert_eq!(verdict(ours, "learns-lock-lost", f), Verdict::Holds, "{f}");
    }
}
