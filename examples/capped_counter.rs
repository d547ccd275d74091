//! A recipe and scenario defined outside the catalogue, through the public API only: seed
//! 004's "increment but cap at maximum". Two clients each add 2 to `hits` (starting at 0) with
//! a cap of 3. The naive variant reads, computes min(v + 2, 3) and writes; the Lua variant is
//! seed 004's script. Property `never-above-cap-and-no-lost-update`: the final value is
//! min(increments, cap).
//!
//! Run: `cargo run --example capped_counter`.

use model::cmd;
use model::program::{sequential, Client, Flow};
use model::recipe::reply_int;
use model::scenario::{PropertyDef, PropertyKind, Scenario, Variant};
use model::{checker, FaultModel, Observation, Params, System};
use std::sync::Arc;

const KEY: &str = "hits";
const CAP: i64 = 3;
const STEP: i64 = 2;

/// Seed 004, "Atomic increment that respects limits", verbatim.
const LUA_CAPPED: &str = "
local current = tonumber(redis.call('GET', KEYS[1])) or 0
local increment = tonumber(ARGV[1])
local max_val = tonumber(ARGV[2])
local new_val = math.min(current + increment, max_val)
redis.call('SET', KEYS[1], new_val)
return new_val
";

/// GET, then SET min(v + 2, cap): two steps with a gap between them.
fn naive_capped(c: &mut Client) -> Flow {
    let v = reply_int(&c.call(cmd!["GET", KEY])?).unwrap_or(0);
    c.call(cmd!["SET", KEY, (v + STEP).min(CAP)])?;
    c.committed(STEP);
    Ok(())
}

/// One EVAL of seed 004's script.
fn lua_capped(c: &mut Client) -> Flow {
    c.call(cmd!["EVAL", LUA_CAPPED, 1, KEY, STEP, CAP])?;
    c.committed(STEP);
    Ok(())
}

/// At the end the counter is min(sum of increments, cap): never above the cap, nothing lost.
fn capped(system: &System, w: &dyn Observation) -> Result<(), String> {
    let value: i64 = w
        .get_str(system.scenario.subject)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let added = model::invariants::committed(w);
    let want = added.min(CAP);
    if value == want {
        Ok(())
    } else {
        Err(format!(
            "{KEY} = {value}, expected min({added}, {CAP}) = {want}"
        ))
    }
}

fn main() {
    let scenario = Arc::new(Scenario {
        name: "capped-counter",
        summary: "two clients add 2 each to a counter capped at 3",
        setup: vec![(KEY.into(), "0".into())],
        subject: KEY,
        properties: vec![PropertyDef {
            name: "capped-no-lost-incr",
            summary: "the final value is min(total added, cap)",
            kind: PropertyKind::AtEnd,
            faults: &FaultModel::ALL,
            check: capped,
        }],
        variants: vec![
            Variant::new("get-min-set", "GET, min, SET", sequential(naive_capped)),
            Variant::new("lua", "seed 004's script", sequential(lua_capped)),
        ],
        default_clients: 2,
        params: Params::default(),
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    });
    for (variant, _) in scenario
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| (i, v.name))
    {
        let system = System::new(Arc::clone(&scenario), variant, 0, FaultModel::None, None);
        let result = checker::check(&system, checker::Limits::default(), &mut |_| {});
        println!(
            "{} {} {:?} ({} states)",
            system.row(),
            system.property_def().name,
            result.verdict,
            result.states
        );
        if let Some(trace) = result.counterexample {
            for step in &trace.steps {
                println!("    {}", model::render::step_line(step));
            }
        }
    }
}
