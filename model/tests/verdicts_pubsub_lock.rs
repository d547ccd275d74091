//! Expected verdicts of `pubsub-lock` (model/recipes/pubsub_lock.lua): a waiter that checks
//! and then subscribes can miss the release's message; subscribing first closes that gap but
//! not the silent expiry of a crashed or paused holder's lock; waiting at most the lease
//! closes both.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel::{self, Crash, None as NoFault, Pause};

fn check(row: &str, faults: FaultModel) -> checker::CheckResult {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(row), Some("no-lost-wakeup"), &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row} {faults}");
    checker::check(&jobs[0].system(None), Limits::default(), &mut |_| {})
}

#[test]
fn check_then_subscribe_loses_the_release_message_with_no_fault() {
    let r = check("pubsub-lock/check-then-subscribe", NoFault);
    assert_eq!(r.verdict, Verdict::Violated);
    let trace = r.counterexample.expect("a counterexample");
    // The release's PUBLISH reaches nobody (0 receivers: the script returns 1, B has not
    // subscribed yet); then B subscribes and waits for good.
    let cmds: Vec<String> = trace
        .steps
        .iter()
        .filter_map(|s| s.command.as_ref().map(|c| c[0].clone()))
        .collect();
    assert_eq!(cmds, ["SET", "SET", "EVAL", "SUBSCRIBE"], "{trace:?}");
    assert!(trace
        .violation
        .as_deref()
        .is_some_and(|v| v.contains("B waits forever for a message on lock-channel:res")));
    for f in [Crash, Pause] {
        assert_eq!(
            check("pubsub-lock/check-then-subscribe", f).verdict,
            Verdict::Violated
        );
    }
}

#[test]
fn subscribing_first_holds_until_a_lock_expires_silently() {
    assert_eq!(
        check("pubsub-lock/subscribe-first", NoFault).verdict,
        Verdict::Holds
    );
    assert_eq!(
        check("pubsub-lock/subscribe-first", Crash).verdict,
        Verdict::Violated
    );
    assert_eq!(
        check("pubsub-lock/subscribe-first", Pause).verdict,
        Verdict::Violated
    );
}

#[test]
fn waiting_at_most_the_lease_always_wakes() {
    for f in [NoFault, Crash, Pause] {
        assert_eq!(
            check("pubsub-lock/subscribe-first-timeout", f).verdict,
            Verdict::Holds,
            "{f}"
        );
    }
}
