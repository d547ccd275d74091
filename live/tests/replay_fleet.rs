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
use std::time::Instant;

#[test]
fn every_failover_and_restart_violation_replays_and_reproduces() {
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
        let mut why: Vec<String> = run.mismatches.iter().map(|m| m.to_string()).collect();
        if !run.reproduced() {
            why.push(format!(
                "violation not reproduced (model: {:?}, live keys: {:?})",
                run.model_violation, run.live_keys
            ));
        }
        if run.live_keys != run.model.final_keys {
            why.push(format!(
                "final keyspace: model {:?}, live {:?}",
                run.model.final_keys, run.live_keys
            ));
        }
        why.extend(run.warnings.iter().map(|w| format!("warning: {w}")));
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
