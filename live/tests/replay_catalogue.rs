//! Every VIOLATED (row, property, fault model) of the default catalogue replays on the
//! default live server with every reply equal to the model's, and its violation reproduces on
//! the server's own state. One server, replays in sequence (ticks are real seconds); a check
//! whose system needs several servers (Redlock's masters) replays on a fleet of
//! `redis-server` children instead.

use model::catalogue::{all, select};
use model::checker::{check, Limits, Verdict};
use model::faults::FaultModel;
use redis_races_live::executor::{needs_fleet, run_fleet_schedule, run_schedule, ExecOptions};
use redis_races_live::{require_server_for_tests, LiveFleet, SafetyOptions, ServerSpec};
use std::time::Instant;

#[test]
fn every_violation_replays_and_reproduces() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    let started = Instant::now();
    let jobs = select(&all(), None, None, &FaultModel::ALL).expect("the whole catalogue");
    let mut replayed = 0;
    let mut failures = Vec::new();
    // Checks replayed on a fleet (several masters), started when the first one comes.
    let mut fleet: Option<LiveFleet> = None;
    let mut on_fleet = Vec::new();
    for job in &jobs {
        let system = job.system(None);
        let result = check(&system, Limits::default(), &mut |_| {});
        assert_ne!(
            result.verdict,
            Verdict::Unknown,
            "{} {}",
            system.row(),
            system.property_def().name
        );
        if result.verdict != Verdict::Violated {
            continue;
        }
        let trace = result
            .counterexample
            .expect("a violation has a counterexample");
        let label = format!("{} {} {}", trace.row, trace.property, trace.faults);
        let actions = trace.actions_for(&system).expect("schedule");
        let run = if needs_fleet(&system) {
            let spec = ServerSpec::Process {
                binary: "redis-server".into(),
            };
            let fleet = fleet.get_or_insert_with(|| {
                LiveFleet::start(&spec, system.servers(), 0, &SafetyOptions::default())
                    .unwrap_or_else(|e| panic!("{label} needs a fleet: {e}"))
            });
            on_fleet.push(label.clone());
            run_fleet_schedule(fleet, &system, &actions, &ExecOptions::default())
        } else {
            run_schedule(&server, &system, &actions, &ExecOptions::default())
        }
        .unwrap_or_else(|e| panic!("{label}: {e}"));
        replayed += 1;
        // The executor's lockstep model run is the checker's counterexample.
        assert_eq!(run.model.steps, trace.steps, "{label}: model steps");
        assert_eq!(
            run.model.violation, trace.violation,
            "{label}: model violation"
        );
        assert_eq!(
            run.model.final_keys, trace.final_keys,
            "{label}: model keys"
        );
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
        server.describe(),
        started.elapsed().as_secs_f64()
    );
    assert!(replayed > 0, "the catalogue has no violation to replay");
    assert_eq!(
        on_fleet,
        ["redlock/redis-io mutual-exclusion pause"],
        "the default checks replayed on a fleet (none is left unreplayed)"
    );
    assert!(
        failures.is_empty(),
        "{} replays disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
