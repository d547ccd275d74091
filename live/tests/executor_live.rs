//! The executor on small hand-written schedules: BLPOP parks and is served (or times out at a
//! tick), a crash takes the client's server-side state with it, a schedule the model cannot
//! take is refused, and ticks shorter than a second scale a lock row's times. Replies
//! (errors inline, edge cases, a reply that differs) are in `executor_replies.rs`, keys
//! namespaced on an external server in `executor_external.rs`.

mod common;

use common::*;
use model::catalogue;
use model::faults::FaultModel;
use model::{cmd, Note, Reply, StepKind};
use redis_races_live::executor::{run_schedule, ExecOptions};
use redis_races_live::{require_server_for_tests, ServerSpec};
use std::time::{Duration, Instant};

#[test]
fn blpop_parks_and_is_served() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    blpop_park_and_serve(&server);
}

#[test]
fn blpop_times_out_at_the_tick() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    let system = seq_system(
        vec![vec![
            cmd!["BLPOP", "q", 1],
            cmd!["RPUSH", "q", "z"],
            cmd!["BLPOP", "q", 1],
        ]],
        1,
        FaultModel::Pause,
    );
    let started = Instant::now();
    let run = replay(&server, &system, &schedule("A tick A A A"));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "a tick is a real second"
    );
    let live = &run.live.steps;
    assert_eq!(live[0].reply, None);
    assert!(
        live[1]
            .notes
            .contains(&Note::TimedOut { client: "A".into() }),
        "{:?}",
        live[1].notes
    );
    assert_eq!(
        live[2].reply,
        Some(Reply::Nil),
        "timed-out BLPOP answers nil"
    );
    assert_eq!(
        live[4].reply,
        Some(bulk(&["q", "z"])),
        "a BLPOP on a non-empty list answers at once"
    );
}

#[test]
fn crash_takes_watch_multi_and_parked_pops_with_it() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    // counter/watch-retry: A crashes with a WATCH and a queued SET; B's transaction commits and
    // A's SET never runs.
    let scenarios = catalogue::all();
    let jobs = catalogue::select(
        &scenarios,
        Some("counter/watch-retry"),
        None,
        &[FaultModel::Crash],
    )
    .unwrap();
    let system = jobs[0].system(Some(2));
    let run = replay(&server, &system, &schedule("A A A A crash:A B B B B B"));
    let live = &run.live.steps;
    assert_eq!(live[3].reply, Some(Reply::Status("QUEUED".into())));
    assert_eq!(live[4].kind, StepKind::Crash);
    assert_eq!(
        live[9].reply,
        Some(Reply::Array(vec![Reply::ok()])),
        "B's EXEC commits"
    );
    assert_eq!(run.live_keys, vec!["counter = \"1\"".to_string()]);

    // A crash while parked in BLPOP: the server forgets the waiter, so a later push stays in
    // the list instead of being handed to a dead connection.
    let system = seq_system(
        vec![vec![cmd!["BLPOP", "q", 0]], vec![cmd!["RPUSH", "q", "x"]]],
        0,
        FaultModel::Crash,
    );
    let run = replay(&server, &system, &schedule("A crash:A B"));
    assert_eq!(run.live.steps[2].reply, Some(Reply::Int(1)));
    assert_eq!(run.live_keys, vec!["q = [\"x\"]".to_string()]);
}

#[test]
fn a_schedule_the_model_cannot_take_is_refused() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    let system = seq_system(vec![vec![cmd!["PING"]]], 0, FaultModel::None);
    let err =
        run_schedule(&server, &system, &schedule("A A"), &ExecOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("step 2 (A steps) is not possible"),
        "{err}"
    );
}

#[test]
fn scaled_ticks_replay_a_lock_row() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    let scenarios = catalogue::all();
    let jobs = catalogue::select(
        &scenarios,
        Some("lock/set-nx-ex-get-del"),
        Some("pause-contained"),
        &[FaultModel::Pause],
    )
    .unwrap();
    let system = jobs[0].system(None);
    let opts = ExecOptions {
        tick_ms: 200,
        on_wait: None,
    };
    let started = Instant::now();
    let run = run_schedule(&server, &system, &schedule("A A tick B A C"), &opts).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(run.replies_match(), "{:?}", run.mismatches);
    assert!(run.reproduced());
    assert_eq!(run.live_keys, run.model.final_keys);
    assert!(
        run.live.steps[0]
            .notes
            .iter()
            .any(|n| matches!(n, Note::LiveSentAs { .. }) && n.to_string().contains("PX 200")),
        "{:?}",
        run.live.steps[0].notes
    );
    // A script cannot be scaled: refused with a clear message when the run has a clock.
    let jobs = catalogue::select(
        &scenarios,
        Some("lock/lua"),
        Some("mutual-exclusion"),
        &[FaultModel::Pause],
    )
    .unwrap();
    let err =
        run_schedule(&server, &jobs[0].system(None), &schedule("A tick B"), &opts).unwrap_err();
    assert!(err.to_string().contains("--tick-ms 1000"), "{err}");
}
