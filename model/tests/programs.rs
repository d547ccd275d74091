//! Recipes as programs: the runtime's contract (events once, retry loops forget dead attempts,
//! broken contracts stop the check) and Lua recipe files (the contract's own example checks as
//! written; Rust and Lua front ends give the same search).

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::program::{sequential, Client, Flow, RecipeError};
use model::reply::Reply;
use model::scenario::Scenario;
use model::{cmd, Event, FaultModel, Params, System};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

fn check(
    scenario: &Arc<Scenario>,
    variant: &str,
    property: &str,
    faults: FaultModel,
) -> checker::CheckResult {
    let v = scenario.variant(variant).expect("variant");
    let p = scenario.property(property).expect("property");
    let system = System::new(Arc::clone(scenario), v, p, faults, None);
    checker::check(&system, Limits::default(), &mut |_| {})
}

/// Writes `text` to a fresh file named `name` and returns its path.
fn recipe_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("redis-races-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path.to_string_lossy().to_string()
}

fn one_counter_scenario(body: fn(&mut Client) -> Flow) -> Arc<Scenario> {
    Arc::new(Scenario {
        name: "t",
        summary: "test",
        setup: vec![("counter".into(), "0".into())],
        subject: "counter",
        properties: vec![model::invariants::NO_LOST_UPDATE],
        variants: vec![model::Variant::new("v", "test", sequential(body))],
        default_clients: 2,
        params: Params::default(),
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    })
}

/// Runs client A alone to its end and returns every event it stated, step by step.
fn solo_events(body: fn(&mut Client) -> Flow) -> Vec<Vec<Event>> {
    let s = one_counter_scenario(body);
    let system = System::new(s, 0, 0, FaultModel::None, Some(1));
    let mut w = system.initial();
    let mut out = vec![];
    while system.enabled(&w).contains(&model::Action::Step(0)) {
        let (next, step) = system.step(&w, model::Action::Step(0));
        out.push(step.events);
        w = next;
    }
    out
}

#[test]
fn an_event_takes_effect_once_with_the_reply_before_it_and_exit_with_the_next_command() {
    fn body(c: &mut Client) -> Flow {
        c.call(cmd!["GET", "counter"])?;
        c.acquired(Some(1));
        c.enter();
        c.exit();
        c.call(cmd!["DEL", "counter"])?;
        c.released();
        Ok(())
    }
    let steps = solo_events(body);
    assert_eq!(
        steps,
        vec![
            vec![Event::Acquired { lease: Some(1) }, Event::Enter],
            vec![Event::Exit, Event::Released],
        ]
    );
}

#[test]
fn a_retry_loop_states_what_follows_it_once() {
    fn body(c: &mut Client) -> Flow {
        let ok = c.attempts(3, |c, attempt| {
            c.call(cmd!["INCR", "counter"])?;
            Ok((attempt == 1).then_some(()))
        })?;
        if ok.is_some() {
            c.committed(1);
        }
        Ok(())
    }
    let steps = solo_events(body);
    assert_eq!(steps, vec![vec![], vec![Event::Committed { delta: 1 }]]);
}

#[test]
fn a_failed_attempt_is_forgotten_so_equal_clients_merge() {
    // Two attempts that read different values but end the same way leave the same state.
    let rust = catalogue::counter();
    let rust = Arc::new(rust);
    let r = check(&rust, "watch-retry", "no-lost-update", FaultModel::None);
    let lua = recipe_file(
        "attempts.lua",
        r#"
scenario { name = "lua-watch-retry", keys = { counter = "0" }, properties = { "no-lost-update" } }
variant("watch-retry", function(c)
  local ok = c:attempts(1 + c.params.retries, function(attempt)
    c:call("WATCH", "counter")
    local v = tonumber(c:call("GET", "counter")) or 0
    c:call("MULTI")
    c:call("SET", "counter", v + 1)
    return c:call("EXEC") ~= nil
  end)
  if ok then c:committed(1) else c:gave_up() end
end)
"#,
    );
    let lua = model::program::lua::load(&lua).unwrap();
    let l = check(&lua, "watch-retry", "no-lost-update", FaultModel::None);
    assert_eq!(
        (l.verdict, l.states, l.depth),
        (r.verdict, r.states, r.depth)
    );
    assert_eq!(r.verdict, Verdict::Holds);
}

#[test]
fn the_contract_example_checks_exactly_as_written() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/recipes/my_counter.lua"
    );
    let (scenarios, pattern) = catalogue::resolve(Some(path)).unwrap();
    let jobs = catalogue::select(&scenarios, pattern.as_deref(), None, &FaultModel::ALL).unwrap();
    let got: Vec<(String, String, Verdict)> = jobs
        .iter()
        .map(|j| {
            let r = checker::check(&j.system(None), Limits::default(), &mut |_| {});
            (
                j.scenario.properties[j.property].name.to_string(),
                j.faults.to_string(),
                r.verdict,
            )
        })
        .collect();
    let want = |p: &str, f: &str| (p.to_string(), f.to_string(), Verdict::Holds);
    assert_eq!(
        got,
        vec![
            want("no-lost-update", "none"),
            want("no-lost-update", "crash"),
            want("never-negative", "none"),
            want("never-negative", "crash"),
        ]
    );
}

#[test]
fn lua_and_rust_get_the_same_counterexample() {
    let lua = recipe_file(
        "get_set.lua",
        r#"
scenario { name = "lua-get-set", keys = { counter = "0" }, properties = { "no-lost-update" } }
variant("get-set", function(c)
  local v = tonumber(c:call("GET", "counter")) or 0
  if c:call("SET", "counter", v + 1) == "OK" then c:committed(1) end
end)
"#,
    );
    let lua = model::program::lua::load(&lua).unwrap();
    let rust = Arc::new(catalogue::counter());
    let l = check(&lua, "get-set", "no-lost-update", FaultModel::None);
    let r = check(&rust, "get-set", "no-lost-update", FaultModel::None);
    assert_eq!(l.verdict, Verdict::Violated);
    let cmds = |t: &checker::CheckResult| -> Vec<_> {
        let t = t.counterexample.as_ref().unwrap();
        t.steps
            .iter()
            .map(|s| (s.client.clone(), s.command.clone(), s.reply.clone()))
            .collect()
    };
    assert_eq!(cmds(&l), cmds(&r));
    assert_eq!(
        l.counterexample.unwrap().violation,
        r.counterexample.unwrap().violation
    );
}

#[test]
fn a_users_property_reads_the_observation_and_explains_a_violation() {
    let path = recipe_file(
        "own_property.lua",
        r#"
scenario { name = "own-property", keys = { counter = "0" }, properties = { "at-most-one" } }
variant("incr", function(c)
  if type(c:call("INCR", "counter")) == "number" then c:committed(1) end
end)
property("at-most-one", "always", function(w)
  local n = tonumber(w.keys.counter) or 0
  if n <= 1 then return true end
  return false, "counter reached " .. n .. " after " .. w.clients[1].committed + w.clients[2].committed .. " commits"
end)
"#,
    );
    let s = model::program::lua::load(&path).unwrap();
    let r = check(&s, "incr", "at-most-one", FaultModel::None);
    assert_eq!(r.verdict, Verdict::Violated);
    let why = r.counterexample.unwrap().violation.unwrap();
    assert!(why.contains("counter reached 2 after 2 commits"), "{why}");
}

#[test]
fn lua_replies_arrive_as_redis_py_users_see_them() {
    let path = recipe_file(
        "replies.lua",
        r#"
scenario { name = "replies", keys = { k = "v" }, subject = "k", properties = { "typed" } }
variant("probe", function(c)
  local ok = c:call("SET", "s", "1") == "OK"
    and c:call("GET", "missing") == nil
    and c:call("INCR", "s") == 2
    and c.is_error(c:call("INCR", "k"))
    and c:call("EXEC").err ~= nil
  c:call("RPUSH", "l", "a", "b")
  local l = c:call("LRANGE", "l", 0, -1)
  c:call("MULTI")
  c:call("GET", "missing")
  local tx = c:call("EXEC")
  if ok and l[1] == "a" and l[2] == "b" and tx[1] == false then c:committed(1) end
end)
property("typed", "at-end", function(w)
  return w.clients[1].committed == 1, "a reply arrived in an unexpected shape"
end)
"#,
    );
    let s = model::program::lua::load(&path).unwrap();
    let v = s.variant("probe").unwrap();
    let system = System::new(Arc::clone(&s), v, 0, FaultModel::None, Some(1));
    let r = checker::check(&system, Limits::default(), &mut |_| {});
    assert_eq!(r.verdict, Verdict::Holds, "{:?}", r.counterexample);
}

fn recipe_error(f: impl FnOnce()) -> String {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(prev);
    match out {
        Err(p) => p
            .downcast_ref::<RecipeError>()
            .map(|e| e.0.clone())
            .unwrap_or_else(|| "a panic that is not a RecipeError".into()),
        Ok(()) => "no error".into(),
    }
}

#[test]
fn a_program_that_is_not_deterministic_stops_the_check() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    fn body(c: &mut Client) -> Flow {
        c.call(cmd!["GET", "counter"])?;
        if RUNS.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
            c.now();
        }
        c.call(cmd!["INCR", "counter"])?;
        Ok(())
    }
    let s = one_counter_scenario(body);
    let msg = recipe_error(|| {
        check(&s, "v", "no-lost-update", FaultModel::None);
    });
    assert!(msg.contains("not deterministic"), "{msg}");
}

#[test]
fn a_program_that_swallows_a_stop_stops_the_check() {
    fn body(c: &mut Client) -> Flow {
        let _ = c.call(cmd!["GET", "counter"]);
        Ok(())
    }
    let s = one_counter_scenario(body);
    let msg = recipe_error(|| {
        check(&s, "v", "no-lost-update", FaultModel::None);
    });
    assert!(msg.contains("propagate it with `?`"), "{msg}");
}

#[test]
fn a_lua_runtime_error_names_the_file_and_line() {
    let path = recipe_file(
        "broken.lua",
        "scenario { name = \"broken\", keys = { counter = \"0\" }, properties = { \"no-lost-update\" } }\nvariant(\"x\", function(c)\n  c:call(\"GET\", \"counter\")\n  local y = nil + 1\nend)\n",
    );
    let s = model::program::lua::load(&path).unwrap();
    let msg = recipe_error(|| {
        check(&s, "x", "no-lost-update", FaultModel::None);
    });
    assert!(
        msg.contains("broken.lua:4:") && msg.contains("arithmetic"),
        "{msg}"
    );
}

#[test]
fn bad_recipe_files_get_one_clear_line() {
    let cases = [
        ("syntax.lua", "scenario { name = \"s\" properties = {} }", "syntax.lua:1:"),
        (
            "field.lua",
            "scenario { name = \"f\", retires = 1, properties = { \"no-lost-update\" } }\nvariant(\"v\", function(c) end)",
            "unknown scenario field \"retires\"",
        ),
        (
            "prop.lua",
            "scenario { name = \"p\", properties = { \"no-such\" } }\nvariant(\"v\", function(c) end)",
            "unknown property \"no-such\"",
        ),
        (
            "fault.lua",
            "scenario { name = \"q\", faults = { \"meteor\" }, properties = { \"no-lost-update\" } }\nvariant(\"v\", function(c) end)",
            "unknown fault model \"meteor\"",
        ),
        ("novariant.lua", "scenario { name = \"n\", properties = { \"no-lost-update\" } }", "no variant declared"),
        (
            "sandbox.lua",
            "scenario { name = \"o\", properties = { \"no-lost-update\" } }\nos.exit(1)",
            "sandbox.lua:2:",
        ),
    ];
    for (name, text, want) in cases {
        let err = model::program::lua::load(&recipe_file(name, text)).unwrap_err();
        assert!(err.contains(want), "{name}: {err}");
        assert!(!err.contains('\n'), "{name}: one line: {err}");
    }
}

#[test]
fn a_lock_in_lua_checks_like_the_catalogues() {
    let path = recipe_file(
        "lock.lua",
        r#"
scenario { name = "my-lock", clients = 3, ticks = 2, subject = "lock:res",
           properties = { "mutual-exclusion", "owner-only-release" } }
variant("set-nx-ex-del", function(c)
  local got = c:attempts(1 + c.params.retries, function()
    if c:call("SET", "lock:res", c.token, "NX", "EX", c.params.lease) == "OK" then
      c:acquired(c.params.lease)
      return true
    end
    return false
  end)
  if not got then c:gave_up() return end
  c:enter()
  c:exit()
  c:call("DEL", "lock:res")
  c:released()
end)
"#,
    );
    let lua = model::program::lua::load(&path).unwrap();
    let rust = Arc::new(catalogue::lock());
    for (p, f) in [
        ("mutual-exclusion", FaultModel::None),
        ("mutual-exclusion", FaultModel::Pause),
        ("owner-only-release", FaultModel::Pause),
    ] {
        let l = check(&lua, "set-nx-ex-del", p, f);
        let r = check(&rust, "set-nx-ex-del", p, f);
        assert_eq!(
            (l.verdict, l.states, l.depth),
            (r.verdict, r.states, r.depth),
            "{p} {f}"
        );
    }
    let _ = Reply::Nil;
}

#[test]
fn order_slots_breaks_only_on_a_cluster_without_hash_tags() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/recipes/order_slots.lua"
    );
    let (scenarios, pattern) = catalogue::resolve(Some(path)).unwrap();
    let jobs = catalogue::select(&scenarios, pattern.as_deref(), None, &FaultModel::ALL).unwrap();
    let mut violated = Vec::new();
    for cluster in [false, true] {
        for j in &jobs {
            let system = if cluster {
                j.system(None).on_cluster()
            } else {
                j.system(None)
            };
            let r = checker::check(&system, Limits::default(), &mut |_| {});
            assert_ne!(r.verdict, Verdict::Unknown);
            if r.verdict == Verdict::Violated {
                violated.push(format!(
                    "{}/{} {} {} cluster={cluster}",
                    j.scenario.name,
                    j.scenario.variants[j.variant].name,
                    j.scenario.properties[j.property].name,
                    j.faults
                ));
            }
        }
    }
    assert_eq!(
        violated,
        vec![
            "order-slots/seed-keys order-confirmed none cluster=true",
            "order-slots/seed-keys order-confirmed crash cluster=true",
        ]
    );
}
