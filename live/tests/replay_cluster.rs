//! A counterexample found "as on a cluster" replays on the `cluster` backend (one
//! redis-server node owning every slot) with every reply equal to the model's, and its
//! violation reproduces: seed 004's order confirmation with its own key names
//! (`examples/recipes/order_slots.lua`), whose WATCH and EXEC meet CROSSSLOT.

use model::catalogue::{resolve, select};
use model::checker::{check, Limits, Verdict};
use model::faults::FaultModel;
use redis_races_live::executor::{run_schedule, ExecOptions};
use redis_races_live::{require_server_for_tests, ServerSpec};

#[test]
fn the_cluster_counterexample_replays_on_a_cluster_node() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/recipes/order_slots.lua:seed-keys"
    );
    let (scenarios, pattern) = resolve(Some(path)).unwrap();
    let jobs = select(
        &scenarios,
        pattern.as_deref(),
        Some("order-confirmed"),
        &[FaultModel::None],
    )
    .unwrap();
    let system = jobs[0].system(None).on_cluster();
    let result = check(&system, Limits::default(), &mut |_| {});
    assert_eq!(result.verdict, Verdict::Violated);
    let trace = result.counterexample.unwrap();
    let Some(server) = require_server_for_tests(&ServerSpec::parse("cluster").unwrap()) else {
        return;
    };
    let run = run_schedule(
        &server,
        &system,
        &trace.actions().unwrap(),
        &ExecOptions::default(),
    )
    .unwrap();
    assert!(run.mismatches.is_empty(), "{:?}", run.mismatches);
    assert!(run.reproduced(), "live keys {:?}", run.live_keys);
    assert_eq!(run.live_keys, run.model.final_keys);
    // The same schedule on a server that is not a cluster does not even get that far: the
    // first WATCH answers OK there, unlike the model's cluster reply.
    let Some(plain) = require_server_for_tests(&ServerSpec::parse("process").unwrap()) else {
        return;
    };
    let run = run_schedule(
        &plain,
        &system,
        &trace.actions().unwrap(),
        &ExecOptions::default(),
    )
    .unwrap();
    assert!(
        !run.mismatches.is_empty(),
        "a plain server answered as a cluster"
    );
}
