//! Every VIOLATED check under the multi-server fault models (`failover`, `restart`) replays on
//! a fleet of `redis-server` children with every reply equal to the model's, and its
//! violation reproduces on the servers' own state; so does every other replica's and promoted
//! replica's keyspace (the executor warns otherwise, and a warning fails the check here).
//! One fleet (three masters, the primary's replicas reset per run), replays in sequence.

use model::catalogue::{all, select};
use model::checker::{check, Limits, Verdict};
use model::faults::FaultModel;
use redis_races_live::executor::{needs_fleet, run_fleet_schedule, ExecOptions};
use redis_races_live::{LiveFleet, SafetyOptions, ServerSpec};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// Replays run on real time (a tick is a real second): the tests of this file take turns, so
/// that one test's fleet start-up and replays do not make another's steps late on 2 cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn every_failover_and_restart_violation_replays_and_reproduces() {
    let _turn = one_at_a_time();
    let spec = ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    };
    let mut fleet = LiveFleet::start(&spec, 3, 1, &SafetyOptions::default())
        .unwrap_or_else(|e| panic!("replaying fleets needs redis-server: {e}"));
    let started = Instant::now();
    let only = std::env::var("REPLAY_FLEET_ONLY").ok();
    let jobs = select(
        &all(),
        only.as_deref(),
        None,
        &[FaultModel::Failover, FaultModel::Restart],
    )
    .expect("the whole catalogue");
    let mut replayed = 0;
    let mut failures = Vec::new();
    for job in &jobs {
        let system = job.system(None);
        let result = check(&system, Limits::default(), &mut |_| {});
        let label = format!(
            "{} {} {}",
            system.row(),
            system.property_def().name,
            system.faults
        );
        assert_ne!(result.verdict, Verdict::Unknown, "{label}");
        if result.verdict != Verdict::Violated {
            continue;
        }
        assert!(needs_fleet(&system), "{label}: a fleet schedule");
        let trace = result.counterexample.expect("a counterexample");
        let actions = trace.actions().expect("schedule");
        let run = match run_fleet_schedule(&mut fleet, &system, &actions, &ExecOptions::default()) {
            Ok(run) => run,
            Err(e) => {
                failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        replayed += 1;
        assert_eq!(run.model.steps, trace.steps, "{label}: model steps");
        eprintln!(
            "{label:<60} {:>2} steps {:>5.2}s  live: {}",
            actions.len(),
            run.elapsed.as_secs_f64(),
            run.live_violation.as_deref().unwrap_or("(holds)")
        );
        let why = run.disagreements();
        if !why.is_empty() {
            failures.push(format!("{label}: {}", why.join(" | ")));
        }
    }
    eprintln!(
        "{replayed} violated checks (of {}) replayed on {} in {:.1}s",
        jobs.len(),
        fleet.describe(),
        started.elapsed().as_secs_f64()
    );
    assert!(replayed > 0, "no failover or restart violation to replay");
    assert!(
        failures.is_empty(),
        "{} replays disagree or could not run:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A schedule of `system` walked by a fixed policy: a replication step when `replicate` says
/// so and one is enabled, else the first client step; a promotion of replica 1 after
/// `promote_at` steps; never a tick.
fn walk(
    system: &model::System,
    replicate: impl Fn(usize) -> bool,
    promote_at: Option<usize>,
) -> Vec<model::Action> {
    use model::Action;
    let mut w = system.initial();
    let mut out = Vec::new();
    while out.len() < 40 {
        let enabled = system.enabled(&w);
        let pick = if promote_at == Some(out.len()) {
            enabled.iter().find(|a| matches!(a, Action::Promote(0)))
        } else {
            None
        }
        .or_else(|| {
            enabled
                .iter()
                .find(|a| matches!(a, Action::Replicate(_)) && replicate(out.len()))
        })
        .or_else(|| enabled.iter().find(|a| matches!(a, Action::Step(_))));
        let Some(&a) = pick else { break };
        w = system.step(&w, a).0;
        out.push(a);
    }
    out
}

/// Replication steps and WAIT: the wait-lock's `SET NX PX` + `WAIT 1 100` with the replica
/// applying every write at once (WAIT answers 1), never (WAIT answers 0, after its 100 ms),
/// or only after a promotion; every reply and every replica keyspace as the model says.
#[test]
fn replicate_and_wait_replay_as_the_model_says() {
    let _turn = one_at_a_time();
    let spec = ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    };
    let mut fleet = LiveFleet::start(&spec, 1, 1, &SafetyOptions::default())
        .unwrap_or_else(|e| panic!("replaying fleets needs redis-server: {e}"));
    let jobs = select(
        &all(),
        Some("wait-lock/wait-1"),
        None,
        &[FaultModel::Failover],
    )
    .expect("wait-lock/wait-1");
    let system = jobs[0].system(Some(2));
    let cases: [(&str, Vec<model::Action>); 3] = [
        ("replica keeps up", walk(&system, |_| true, None)),
        ("replica never applies", walk(&system, |_| false, None)),
        ("stale replica promoted", walk(&system, |_| false, Some(2))),
    ];
    let mut waits = Vec::new();
    for (what, actions) in cases {
        let run = run_fleet_schedule(&mut fleet, &system, &actions, &ExecOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let kinds: Vec<String> = run
            .model
            .steps
            .iter()
            .map(|s| format!("{:?}", s.kind))
            .collect();
        eprintln!("{what}: {} steps ({})", actions.len(), kinds.join(" "));
        assert!(run.replies_match(), "{what}: {:?}", run.mismatches);
        assert!(run.warnings.is_empty(), "{what}: {:?}", run.warnings);
        assert_eq!(run.live_keys, run.model.final_keys, "{what}");
        for s in &run.live.steps {
            if s.command.as_ref().is_some_and(|c| c[0] == "WAIT") {
                waits.push(s.reply.clone());
            }
        }
    }
    // Both answers of WAIT were seen live.
    assert!(waits.contains(&Some(model::Reply::Int(1))), "{waits:?}");
    assert!(waits.contains(&Some(model::Reply::Int(0))), "{waits:?}");
}

/// A replica that applies one write of several pending cannot be reproduced (a resync
/// delivers the whole stream): refused up front, naming the step.
#[test]
fn a_replica_stopped_mid_stream_is_refused() {
    let _turn = one_at_a_time();
    let jobs = select(
        &all(),
        Some("wait-lock/wait-1"),
        None,
        &[FaultModel::Failover],
    )
    .expect("wait-lock/wait-1");
    let system = jobs[0].system(Some(2));
    let full = walk(&system, |_| false, None);
    // The shortest prefix after which the replica lags two writes, then one Replicate.
    let mut w = system.initial();
    let mut actions = Vec::new();
    for a in full {
        w = system.step(&w, a).0;
        actions.push(a);
        let rep = w.replication().expect("replicas");
        if rep.head() - rep.offsets[0] >= 2 {
            break;
        }
    }
    actions.push(model::Action::Replicate(0));
    let spec = ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    };
    let mut fleet = LiveFleet::start(&spec, 1, 1, &SafetyOptions::default())
        .unwrap_or_else(|e| panic!("replaying fleets needs redis-server: {e}"));
    let err = run_fleet_schedule(&mut fleet, &system, &actions, &ExecOptions::default())
        .expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("step {}", actions.len())) && msg.contains("mid-stream"),
        "{msg}"
    );
}

/// The start of the executor's warning that a run's steps overran a tick's boundary.
const LATE: &str = "past the next tick's boundary";

/// The configuration that breaks `wait-lock/wait-1` (two replicas; the first promoted before
/// A's WAIT, which then counts the second, paused behind B's write): its counterexample
/// replays, WAIT answering 1 live as in the model.
#[test]
fn wait_1_with_two_replicas_replays_and_reproduces() {
    let _turn = one_at_a_time();
    let jobs = select(
        &all(),
        Some("wait-lock/wait-1"),
        Some("mutual-exclusion"),
        &[FaultModel::Failover],
    )
    .expect("wait-lock/wait-1");
    let system = jobs[0].system(None).with_replicas(2);
    let result = check(&system, Limits::default(), &mut |_| {});
    assert_eq!(result.verdict, Verdict::Violated, "wait-1 with 2 replicas");
    let trace = result.counterexample.expect("a counterexample");
    let actions = trace.actions().expect("schedule");
    let spec = ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    };
    let mut fleet = LiveFleet::start(&spec, 1, 2, &SafetyOptions::default())
        .unwrap_or_else(|e| panic!("replaying fleets needs redis-server: {e}"));
    // A run whose steps overran a tick's boundary (the executor says so in a warning, or a
    // replica's deadline lands a second later than the model's) could not keep the model's
    // time, on a loaded machine: its TTLs are void, so it is run again (at most three runs;
    // a real difference fails all three). Every assertion below holds for the run that counts.
    let mut runs = 0;
    let run = loop {
        runs += 1;
        let run = run_fleet_schedule(&mut fleet, &system, &actions, &ExecOptions::default())
            .unwrap_or_else(|e| panic!("wait-1, 2 replicas: {e}"));
        // Also a replica whose keys differ from the model's only in a deadline's second (the
        // write reached it across a tick's boundary): its TTLs are void the same way.
        let late = run
            .warnings
            .iter()
            .any(|w| w.contains(LATE) || (w.starts_with("replica ") && w.contains("(expires at")));
        if !late || runs == 3 {
            break run;
        }
        eprintln!(
            "wait-lock/wait-1: run {runs} overran a tick ({:?}); again",
            run.warnings
        );
    };
    eprintln!(
        "wait-lock/wait-1 mutual-exclusion failover replicas=2 {:>2} steps {:>5.2}s  live: {}",
        actions.len(),
        run.elapsed.as_secs_f64(),
        run.live_violation.as_deref().unwrap_or("(holds)")
    );
    assert!(run.replies_match(), "{:?}", run.mismatches);
    assert!(run.reproduced(), "{:?}", run.live_keys);
    assert!(run.warnings.is_empty(), "{:?}", run.warnings);
    assert_eq!(run.live_keys, run.model.final_keys);
}
