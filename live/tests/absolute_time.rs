//! Absolute times on a live server: TIME replies and EXAT/EXPIREAT arguments move between the
//! model's epoch and the real clock at the run's start, so a session extended to "TIME + 2 s"
//! outlives the tick at which it would have expired and goes at the tick the model says —
//! on the server's own clock (the final keyspace is read from the server).

use model::catalogue;
use model::faults::FaultModel;
use model::{Action, System};
use redis_races_live::executor::{run_schedule, ExecOptions};
use redis_races_live::{require_server_for_tests, LiveServer, ServerSpec};

fn system(row: &str) -> System {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(
        &scenarios,
        Some(row),
        Some("no-ghost-session"),
        &[FaultModel::None],
    )
    .unwrap();
    jobs[0].system(None)
}

fn replay(server: &LiveServer, row: &str, actions: &[Action]) -> Vec<String> {
    let sys = system(row);
    let run = run_schedule(server, &sys, actions, &ExecOptions::default())
        .unwrap_or_else(|e| panic!("{row}: {e}"));
    assert!(
        run.replies_match(),
        "{row}: {:?}",
        run.mismatches
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(run.live_keys, run.model.final_keys, "{row}: final keyspace");
    assert!(run.warnings.is_empty(), "{row}: {:?}", run.warnings);
    assert!(run.agrees());
    run.live_keys
}

#[test]
fn an_absolute_expiry_holds_on_the_real_clock() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    use Action::{Step, Tick};
    // TIME, GETEX … EXAT TIME+2, one tick: the session is still there, expiring at t=2s.
    let keys = replay(
        &server,
        "atomic-expiry/getex-exat",
        &[Step(0), Step(0), Tick],
    );
    assert_eq!(keys, ["session:abc = \"alice\" (expires at t=2s)"]);
    // … and gone at the second tick (the executor waits for the server to expire it).
    let keys = replay(
        &server,
        "atomic-expiry/getex-exat",
        &[Step(0), Step(0), Tick, Tick],
    );
    assert!(keys.is_empty(), "{keys:?}");
    // TIME, GET, EXPIREAT TIME+2 (answers 1), one tick: extended as well.
    let keys = replay(
        &server,
        "atomic-expiry/get-expireat-checked",
        &[Step(0), Step(0), Step(0), Tick],
    );
    assert_eq!(keys, ["session:abc = \"alice\" (expires at t=2s)"]);
}
