//! Expected verdicts of `atomic-expiry` (model/recipes/atomic_expiry.lua): GETEX … EXAT reads
//! and extends in one step; GET then EXPIREAT lets the session expire in between, and a client
//! that does not read EXPIREAT's reply believes in a session that is gone.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel::{self, Crash, None as NoFault, Pause};

fn check(row: &str, faults: FaultModel) -> checker::CheckResult {
    let scenarios = catalogue::all();
    let jobs =
        catalogue::select(&scenarios, Some(row), Some("no-ghost-session"), &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row} {faults}");
    checker::check(&jobs[0].system(None), Limits::default(), &mut |_| {})
}

#[test]
fn getex_exat_and_a_checked_expireat_hold() {
    for f in [NoFault, Crash, Pause] {
        assert_eq!(
            check("atomic-expiry/getex-exat", f).verdict,
            Verdict::Holds,
            "{f}"
        );
        assert_eq!(
            check("atomic-expiry/get-expireat-checked", f).verdict,
            Verdict::Holds,
            "{f}"
        );
    }
}

#[test]
fn get_then_expireat_extends_a_session_that_expired_in_between() {
    for f in [NoFault, Crash, Pause] {
        let r = check("atomic-expiry/get-expireat", f);
        assert_eq!(r.verdict, Verdict::Violated, "{f}");
        let t = r.counterexample.unwrap();
        let last = t.steps.last().unwrap();
        assert_eq!(
            last.command.as_deref(),
            Some(
                &[
                    "EXPIREAT".to_string(),
                    "session:abc".into(),
                    "1700000002".into()
                ][..]
            )
        );
        assert_eq!(last.reply, Some(model::Reply::Int(0)), "the key was gone");
        assert_eq!(
            t.violation.as_deref(),
            Some("A believes session:abc lives until t=2s, but it is gone at t=1s")
        );
    }
}
