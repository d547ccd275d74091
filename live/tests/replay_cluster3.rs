//! Counterexamples and schedules checked "as on a cluster" replayed on the `cluster3` backend
//! (three masters, each command routed to the master of its keys by `live::route`).
//!
//! * Rows whose keys live on one master, or whose multi-key work is refused as a whole
//!   (CROSSSLOT is every master's answer): every reply equals the model's. The hash-tagged
//!   order confirmation (slot 5949, master 1) commits once; `transfer/get-get-set-set`
//!   (`account:a` on master 2, `account:b` on master 0, no transaction) loses a transfer.
//! * Seed 004's own key names (`inventory:sku123` slot 5242 on master 0,
//!   `order:456:status` slot 9813 on master 1): every violation reproduces, and the replies
//!   differ from the model's one-node cluster exactly where a real cluster redirects inside a
//!   transaction: the queued write to the other master's key is refused at queue time with
//!   `MOVED 9813 <master 1>` (not QUEUED), and EXEC answers EXECABORT (not CROSSSLOT). The
//!   same holds for `transfer/watch` (`account:a` on master 2, `account:b` slot 99 on 0).

use model::catalogue::{resolve, select};
use model::checker::{check, Limits, Verdict};
use model::faults::FaultModel;
use model::server::cluster::key_slot;
use model::system::System;
use model::{Action, Reply};
use redis_races_live::executor::{run_schedule, ExecOptions};
use redis_races_live::{require_server_for_tests, LiveServer, ServerSpec};

fn recipe(row: &str) -> String {
    format!("{}/../examples/recipes/{row}", env!("CARGO_MANIFEST_DIR"))
}

fn system(pattern: &str, property: &str, faults: FaultModel) -> System {
    let (scenarios, pattern) = resolve(Some(pattern)).unwrap();
    let jobs = select(&scenarios, pattern.as_deref(), Some(property), &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{pattern:?} {property}");
    jobs[0].system(None).on_cluster()
}

fn cluster3() -> Option<LiveServer> {
    require_server_for_tests(&ServerSpec::parse("cluster3").unwrap())
}

/// Mismatching steps as (command, model reply, live reply); nothing but replies may differ.
type Redirected = Vec<(Vec<String>, Reply, Reply)>;

/// The model's counterexample, replayed: its mismatches and whether the violation reproduced.
fn replay_counterexample(server: &LiveServer, system: &System) -> (Redirected, bool) {
    let result = check(system, Limits::default(), &mut |_| {});
    assert_eq!(result.verdict, Verdict::Violated, "{}", system.row());
    let actions = result.counterexample.unwrap().actions().unwrap();
    replay(server, system, &actions)
}

/// One whole run (the first enabled action at every step), for rows that hold.
fn first_run(system: &System) -> Vec<Action> {
    let mut world = system.initial();
    let mut actions = Vec::new();
    while let Some(&a) = system.enabled(&world).first() {
        actions.push(a);
        world = system.step(&world, a).0;
    }
    actions
}

fn replay(server: &LiveServer, system: &System, actions: &[Action]) -> (Redirected, bool) {
    let run = run_schedule(server, system, actions, &ExecOptions::default()).unwrap();
    let pairs = run
        .mismatches
        .iter()
        .map(|m| {
            assert_eq!(m.fields(), ["reply"], "{m}");
            (
                m.model.command.clone().unwrap(),
                m.model.reply.clone().unwrap(),
                m.live.reply.clone().unwrap(),
            )
        })
        .collect();
    (pairs, run.reproduced())
}

/// Every mismatch is a queue-time redirection: QUEUED ↔ `MOVED <slot of the key>`, or
/// EXEC's CROSSSLOT ↔ EXECABORT. Returns how many.
fn only_redirections(row: &str, mismatches: &Redirected) -> usize {
    for (command, model, live) in mismatches {
        let live = live.to_string();
        match model {
            Reply::Status(s) if s == "QUEUED" => {
                let moved = format!("(error) MOVED {} 127.0.0.1:", key_slot(&command[1]));
                assert!(live.starts_with(&moved), "{row}: {command:?}: {live}");
            }
            m if m.to_string().contains("CROSSSLOT") && command[0] == "EXEC" => {
                assert!(live.starts_with("(error) EXECABORT"), "{row}: {live}")
            }
            m => panic!("{row}: {command:?}: model {m}, live {live}"),
        }
    }
    mismatches.len()
}

#[test]
fn seed_key_counterexamples_reproduce_with_queue_time_redirections() {
    let Some(server) = cluster3() else { return };
    let mut rows = vec![system(
        &recipe("order_slots.lua:seed-keys"),
        "order-confirmed",
        FaultModel::None,
    )];
    for variant in [
        "as-printed",
        "watch-stock-only",
        "status-check",
        "checked-stock-only",
    ] {
        for faults in [FaultModel::None, FaultModel::Crash, FaultModel::Pause] {
            rows.push(system(
                &format!("order-confirm/{variant}"),
                "order-confirmed",
                faults,
            ));
        }
    }
    for system in &rows {
        let (mismatches, reproduced) = replay_counterexample(&server, system);
        assert!(reproduced, "{} {}", system.row(), system.faults);
        let n = only_redirections(&system.row().to_string(), &mismatches);
        assert!(n > 0, "{}: no redirection met", system.row());
        eprintln!(
            "{} {}: violation reproduced; {n} replies redirected",
            system.row(),
            system.faults,
        );
    }
    let watch = system("transfer/watch", "no-lost-transfer", FaultModel::None);
    let actions = first_run(&watch);
    let (mismatches, _) = replay(&server, &watch, &actions);
    let n = only_redirections(&watch.row().to_string(), &mismatches);
    assert!(n > 0);
    eprintln!(
        "transfer/watch: {} steps, {n} replies redirected",
        actions.len()
    );
}

#[test]
fn rows_on_one_master_or_refused_whole_replay_with_every_reply_equal() {
    let Some(server) = cluster3() else { return };
    // A VIOLATED row over keys on two masters, no transaction.
    let transfer = system(
        "transfer/get-get-set-set",
        "no-lost-transfer",
        FaultModel::None,
    );
    let (mismatches, reproduced) = replay_counterexample(&server, &transfer);
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert!(reproduced);
    // Rows that hold as on a cluster: one whole run each (the first enabled action at every
    // step), every reply the model's and the property holding on the live keys too.
    for (pattern, property) in [
        (recipe("order_slots.lua:hash-tagged"), "order-confirmed"),
        ("transfer/lua".to_string(), "no-lost-transfer"),
    ] {
        let system = system(&pattern, property, FaultModel::None);
        let actions = first_run(&system);
        let run = run_schedule(&server, &system, &actions, &ExecOptions::default()).unwrap();
        assert!(
            run.mismatches.is_empty(),
            "{}: {:?}",
            system.row(),
            run.mismatches
        );
        assert!(run.live_violation.is_none(), "{}", system.row());
        assert_eq!(run.live_keys, run.model.final_keys, "{}", system.row());
        eprintln!(
            "{}: {} steps, every reply equal",
            system.row(),
            actions.len()
        );
    }
}
