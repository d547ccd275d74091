//! Expected verdicts of seed 004's reliable queue and idempotency key and seed 003's
//! `reset_all()`, written as recipe files (`model/recipes/reliable_queue.lua`,
//! `idempotency.lua`, `reset_all.lua`), with the lengths of their shortest counterexamples.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel::{self, Crash, None as NoFault, Pause};

fn check(row: &str, faults: FaultModel) -> (Verdict, Option<usize>) {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(row), None, &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row}");
    let r = checker::check(&jobs[0].system(None), Limits::default(), &mut |_| {});
    (r.verdict, r.counterexample.map(|t| t.steps.len()))
}

#[test]
fn a_reliable_queue_needs_an_atomic_move() {
    assert_eq!(
        check("reliable-queue/rpop-lpush", NoFault),
        (Verdict::Holds, None)
    );
    // B pops m1 and crashes before pushing it onto the processing list.
    assert_eq!(
        check("reliable-queue/rpop-lpush", Crash),
        (Verdict::Violated, Some(5))
    );
    for row in ["reliable-queue/lmove", "reliable-queue/blmove"] {
        for f in [NoFault, Crash] {
            assert_eq!(check(row, f), (Verdict::Holds, None), "{row} {f}");
        }
    }
}

#[test]
fn an_idempotency_key_needs_set_nx_and_a_reply_the_client_can_read() {
    // Both GET nil and both process.
    for f in [NoFault, Pause] {
        assert_eq!(
            check("idempotency/get-then-set", f),
            (Verdict::Violated, Some(9)),
            "{f}"
        );
    }
    assert_eq!(
        check("idempotency/get-then-set", Crash).0,
        Verdict::Violated
    );
    // SET NX: once, unless the client that took the key crashes before its effect (then the
    // day-long PX is the only recovery).
    for row in ["idempotency/set-nx-px", "idempotency/lua-array"] {
        for f in [NoFault, Pause] {
            assert_eq!(check(row, f), (Verdict::Holds, None), "{row} {f}");
        }
        assert_eq!(check(row, Crash).0, Verdict::Violated, "{row}");
    }
    // The seed's script as printed: {proceed = true} and {processing = true} both reach the
    // client as an empty array, so a client branching on `proceed` never processes.
    for f in [NoFault, Crash, Pause] {
        assert_eq!(
            check("idempotency/lua", f),
            (Verdict::Violated, Some(3)),
            "{f}"
        );
    }
}

#[test]
fn reset_all_at_start_up_breaks_a_live_holders_lock_with_no_fault() {
    // A takes the lock; B's reset_all deletes it; B takes it: two holders, in three steps.
    for f in [NoFault, Crash, Pause] {
        assert_eq!(
            check("reset-all/reset-all", f),
            (Verdict::Violated, Some(3)),
            "{f}"
        );
        assert_eq!(
            check("reset-all/start-up-check", f),
            (Verdict::Holds, None),
            "{f}"
        );
    }
}
