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
