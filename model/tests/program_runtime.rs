//! The runtime's later verbs, in both front ends: roles (symmetry only within a role),
//! `sleep`, `choose`, named events and the history, and preset keys of every type.

use model::checker::{self, Limits, Verdict};
use model::program::{sequential, Client, Flow};
use model::recipe::EventValue;
use model::scenario::{PropertyDef, PropertyKind, Role, Scenario, Variant};
use model::{cmd, symmetry, Action, FaultModel, Observation, Params, System, World};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

fn load(name: &str, text: &str) -> Arc<Scenario> {
    model::program::lua::load_source(name, text.to_string()).unwrap()
}

fn system(s: &Arc<Scenario>, variant: &str, property: &str, faults: FaultModel) -> System {
    let v = s.variant(variant).expect("variant");
    let p = s.property(property).expect("property");
    System::new(Arc::clone(s), v, p, faults, None)
}

fn check(
    s: &Arc<Scenario>,
    variant: &str,
    property: &str,
    faults: FaultModel,
) -> checker::CheckResult {
    checker::check(
        &system(s, variant, property, faults),
        Limits::default(),
        &mut |_| {},
    )
}

fn check_without_symmetry(
    s: &Arc<Scenario>,
    variant: &str,
    property: &str,
) -> checker::CheckResult {
    let limits = Limits {
        symmetry: false,
        ..Limits::default()
    };
    checker::check(
        &system(s, variant, property, FaultModel::None),
        limits,
        &mut |_| {},
    )
}

// ---- roles -------------------------------------------------------------------------------

fn setter(c: &mut Client) -> Flow {
    c.call(cmd!["SET", "x", "1"])?;
    Ok(())
}

fn reader(c: &mut Client) -> Flow {
    let v = c.call(cmd!["GET", "x"])?;
    let seen = model::recipe::reply_int(&v).unwrap_or(0);
    c.named("saw", Some(EventValue::Int(seen)));
    Ok(())
}

/// At the end, the reader has read x (it always does: it runs one GET).
fn reader_read(_: &System, w: &dyn Observation) -> Result<(), String> {
    let ok = (0..w.clients())
        .map(|i| w.client(i))
        .filter(|c| c.role == 1)
        .all(|c| c.history.iter().any(|e| e.name == "saw"));
    if ok {
        Ok(())
    } else {
        Err("the reader never read x".into())
    }
}

fn setter_and_reader() -> Arc<Scenario> {
    Arc::new(Scenario {
        name: "roles",
        summary: "a setter and a reader",
        setup: vec![],
        subject: "x",
        properties: vec![PropertyDef {
            name: "reader-read",
            summary: "the reader reads x",
            kind: PropertyKind::AtEnd,
            faults: &[FaultModel::None],
            check: reader_read,
        }],
        variants: vec![Variant::with_roles(
            "v",
            "setter, reader",
            vec![Arc::new(sequential(setter)), Arc::new(sequential(reader))],
        )],
        default_clients: 2,
        params: Params::default(),
        max_ticks: 0,
        roles: vec![
            Role {
                name: "setter",
                clients: 1,
            },
            Role {
                name: "reader",
                clients: 1,
            },
        ],
        history: vec![],
    })
}

/// A breadth-first search over `sys`, reducing every world with `reduce`; whether a final
/// world violates the (at-end) property.
fn finds_violation(sys: &System, reduce: &dyn Fn(World) -> World) -> bool {
    let start = reduce(sys.initial());
    let mut seen = HashSet::from([start.clone()]);
    let mut queue = VecDeque::from([start]);
    while let Some(w) = queue.pop_front() {
        let actions = sys.enabled(&w);
        if actions.is_empty() && sys.check(&w, true).is_err() {
            return true;
        }
        for a in actions {
            let next = reduce(sys.step(&w, a).0);
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    false
}

#[test]
fn symmetry_renames_clients_only_within_a_role() {
    let s = setter_and_reader();
    // With roles, with and without symmetry: the reader always reads.
    assert_eq!(
        check(&s, "v", "reader-read", FaultModel::None).verdict,
        Verdict::Holds
    );
    assert_eq!(
        check_without_symmetry(&s, "v", "reader-read").verdict,
        Verdict::Holds
    );
    let sys = system(&s, "v", "reader-read", FaultModel::None);
    assert!(!finds_violation(&sys, &symmetry::canonical));
    // Roles merged (the signature blind to them, each index keeping its recipe): once the
    // setter is done and the reader has not run, sorting swaps them, the reader's slot takes
    // the setter's finished state and the reader never runs. A wrong verdict.
    let merged = |mut w: World| {
        let roles: Vec<u8> = w.clients.iter().map(|c| c.role).collect();
        w.clients.iter_mut().for_each(|c| c.role = 0);
        let mut w = symmetry::canonical(w);
        w.clients
            .iter_mut()
            .zip(roles)
            .for_each(|(c, r)| c.role = r);
        w
    };
    assert!(finds_violation(&sys, &merged));
}

#[test]
fn clients_are_named_role_by_role_and_clients_is_refused_for_several_roles() {
    let s = setter_and_reader();
    let sys = system(&s, "v", "reader-read", FaultModel::None);
    assert_eq!((sys.role_name(0), sys.role_name(1)), ("setter", "reader"));
    assert_eq!(s.role_counts(None), Ok(vec![1, 1]));
    assert_eq!(s.role_counts(Some(2)), Ok(vec![1, 1]));
    let refused = s.role_counts(Some(3)).unwrap_err();
    assert!(refused.contains("setter=1, reader=1"), "{refused}");
}

const QUEUE: &str = r#"
scenario { name = "q", roles = { producer = 1, worker = 2 }, properties = { "roles-seen" } }
variant("v", {
  producer = function(c) c:call("LPUSH", "q", "m") end,
  worker = function(c) c:event("role", c.role) end,
})
property("roles-seen", "at-end", function(w)
  local want = { "producer", "worker", "worker" }
  for i, client in ipairs(w.clients) do
    if client.role ~= want[i] then return false, client.name .. " is " .. client.role end
    if i > 1 and client.events[1].value ~= "worker" then return false, "c.role" end
  end
  return true
end)
"#;

#[test]
fn a_lua_file_declares_roles_and_one_function_per_role() {
    let s = load("queue.lua", QUEUE);
    assert_eq!(s.default_clients, 3);
    assert_eq!(
        check(&s, "v", "roles-seen", FaultModel::None).verdict,
        Verdict::Holds
    );
    let missing = model::program::lua::load_source(
        "bad.lua",
        QUEUE.replace("worker = function(c) c:event(\"role\", c.role) end,", ""),
    )
    .unwrap_err();
    assert!(missing.contains("no function for role worker"), "{missing}");
    let one = model::program::lua::load_source(
        "bad2.lua",
        QUEUE.replace(
            "variant(\"v\", {",
            "variant(\"w\", function(c) end)\nvariant(\"v\", {",
        ),
    )
    .unwrap_err();
    assert!(one.contains("one function per role"), "{one}");
}

// ---- sleep -------------------------------------------------------------------------------

const SLEEPER: &str = r#"
scenario { name = "sleeper", ticks = 3, properties = { "woke-after-1s", "woke-after-2s" },
           clients = 1 }
variant("v", function(c)
  c:call("SET", "k", "1")
  c:sleep(1500)
  c:event("woke", c:now())
  c:sleep(10)
  c:event("woke-again", c:now())
end)
local function woke(w, name)
  for _, e in ipairs(w.clients[1].events) do
    if e.name == name then return e.at end
  end
end
property("woke-after-1s", "always", function(w)
  local at = woke(w, "woke")
  return at == nil or at >= 1000, "woke at " .. tostring(at)
end)
property("woke-after-2s", "always", function(w)
  local at = woke(w, "woke")
  return at == nil or at >= 2000, "woke at " .. tostring(at)
end)
"#;

#[test]
fn a_sleep_waits_for_the_clock_rounded_down_to_whole_ticks() {
    let s = load("sleeper.lua", SLEEPER);
    // 1500 ms from t=0: never before t=1s (the clock only moves in ticks)...
    assert_eq!(
        check(&s, "v", "woke-after-1s", FaultModel::None).verdict,
        Verdict::Holds
    );
    // ...but possibly at t=1s: rounding down lets every real wake-up time happen.
    let r = check(&s, "v", "woke-after-2s", FaultModel::None);
    assert_eq!(r.verdict, Verdict::Violated);
    let trace = r.counterexample.unwrap();
    let kinds: Vec<_> = trace.steps.iter().map(|s| (s.time, s.kind)).collect();
    use model::trace::StepKind::*;
    assert_eq!(kinds, vec![(0, Command), (1, Tick), (1, Local)]);
    // A sleep shorter than a tick does not wait, but it is a step of its own.
    let sys = system(&s, "v", "woke-after-1s", FaultModel::None);
    let mut w = sys.initial();
    for a in [Action::Step(0), Action::Tick, Action::Step(0)] {
        assert!(
            sys.enabled(&w).contains(&a),
            "{a:?} in {:?}",
            sys.enabled(&w)
        );
        w = sys.step(&w, a).0;
    }
    assert!(matches!(
        w.clients[0].status,
        model::world::Status::Sleeping { until: 1000 }
    ));
    w = sys.step(&w, Action::Step(0)).0;
    let names: Vec<(&str, u64)> = w.clients[0]
        .history
        .iter()
        .map(|e| (e.name.as_str(), e.at))
        .collect();
    assert_eq!(names, vec![("woke", 1000), ("woke-again", 1000)]);
    assert_eq!(w.clients[0].status, model::world::Status::Done);
}

// ---- choose ------------------------------------------------------------------------------

const CHOOSER: &str = r#"
scenario { name = "chooser", clients = 1, properties = { "never-2", "in-range" } }
variant("v", function(c)
  local k = c:choose(3)
  c:call("SET", "k", k)
end)
property("never-2", "always", function(w) return w.keys.k ~= "2", "k = 2" end)
property("in-range", "at-end", function(w)
  local k = tonumber(w.keys.k)
  return k ~= nil and k >= 0 and k < 3
end)
"#;

fn chooser(c: &mut Client) -> Flow {
    let k = c.choose(3)?;
    c.call(cmd!["SET", "k", k])?;
    Ok(())
}

#[test]
fn a_choice_is_a_branch_the_checker_explores_each_way() {
    let s = load("chooser.lua", CHOOSER);
    assert_eq!(
        check(&s, "v", "in-range", FaultModel::None).verdict,
        Verdict::Holds
    );
    let r = check(&s, "v", "never-2", FaultModel::None);
    assert_eq!(r.verdict, Verdict::Violated);
    let trace = r.counterexample.unwrap();
    // The choice is a local step stating it; the trace replays to the same actions.
    assert_eq!(
        trace.steps[0].events,
        vec![model::Event::Chose { choice: 2 }]
    );
    assert_eq!(
        trace.actions().unwrap(),
        vec![Action::Choose(0, 2), Action::Step(0)]
    );
    // The Rust front end: the same states, the same verdicts.
    let mut rust = (*s).clone();
    rust.variants = vec![Variant::new("v", "rust", sequential(chooser))];
    let rust = Arc::new(rust);
    for p in ["never-2", "in-range"] {
        let (a, b) = (
            check(&s, "v", p, FaultModel::None),
            check(&rust, "v", p, FaultModel::None),
        );
        assert_eq!((a.verdict, a.states), (b.verdict, b.states), "{p}");
    }
    assert_eq!(check(&s, "v", "in-range", FaultModel::None).states, 7);
}

// ---- history -----------------------------------------------------------------------------

const HISTORY: &str = r#"
scenario { name = "hist", keys = { lock = "free" }, clients = 2, history = { "acquired" },
           properties = { "history" } }
variant("v", function(c)
  if c:call("SET", "mine", c.token, "NX") then
    c:acquired(1)
    c:event("owner", c.token)
    c:committed(1)
  end
end)
property("history", "at-end", function(w)
  for _, client in ipairs(w.clients) do
    local names = {}
    for _, e in ipairs(client.events) do names[#names + 1] = e.name .. "=" .. tostring(e.value) end
    local got = table.concat(names, ",")
    if got ~= "" and got ~= "acquired=1,owner=" .. client.name then return false, got end
  end
  return true
end)
"#;

#[test]
fn the_history_keeps_named_events_and_the_built_in_ones_listed_with_their_times() {
    let s = load("hist.lua", HISTORY);
    // committed is not listed: it is not kept; a token in a value is renamed with its client.
    assert_eq!(
        check(&s, "v", "history", FaultModel::None).verdict,
        Verdict::Holds
    );
    assert_eq!(
        check(&s, "v", "history", FaultModel::Crash).verdict,
        Verdict::Holds
    );
    let bad = model::program::lua::load_source(
        "bad.lua",
        HISTORY.replace("\"acquired\" }", "\"nope\" }"),
    )
    .unwrap_err();
    assert!(bad.contains("unknown built-in event \"nope\""), "{bad}");
}

// ---- preset keys -------------------------------------------------------------------------

const PRESETS: &str = r#"
scenario { name = "presets", clients = 1, ticks = 2, properties = { "shapes" },
           keys = { s = "x", n = 7, q = { list = { "a", "b" } },
                    h = { hash = { f = "1", g = 2 } }, z = { zset = { m = 1.5, n = 2 } },
                    t = { string = "gone", px = 1500 } } }
variant("v", function(c)
  local q = c:call("LRANGE", "q", 0, -1)
  local h = c:call("HGET", "h", "g")
  local z = c:call("ZSCORE", "z", "m")
  c:event("read", q[1] .. q[2] .. h .. z)
end)
property("shapes", "always", function(w)
  local k = w.keys
  if k.s ~= "x" or k.n ~= "7" then return false, "strings" end
  if k.q[1] ~= "a" or k.q[2] ~= "b" then return false, "list" end
  if k.h.f ~= "1" or k.h.g ~= "2" then return false, "hash" end
  if k.z.m ~= 1.5 or k.z.n ~= 2 then return false, "zset" end
  if (w.now < 1500) ~= (k.t == "gone") then return false, "ttl at " .. w.now end
  local e = w.clients[1].events[1]
  if e and e.value ~= "ab21.5" then return false, e.value end
  return true
end)
"#;

#[test]
fn preset_keys_of_every_type_with_a_time_to_live() {
    let s = load("presets.lua", PRESETS);
    assert_eq!(
        check(&s, "v", "shapes", FaultModel::None).verdict,
        Verdict::Holds
    );
    let t = &s.setup.iter().find(|(k, _)| k == "t").unwrap().1;
    assert_eq!(
        t.commands("t")
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        vec!["SET t gone", "PEXPIRE t 1500"]
    );
    for (bad, why) in [
        (
            "{ list = { \"a\" }, hash = { f = \"1\" } }",
            "one of string, list, hash, zset",
        ),
        ("{ set = { \"a\" } }", "unknown field \"set\""),
        ("{ px = 5 }", "give string, list, hash or zset"),
    ] {
        let text = PRESETS.replace("{ string = \"gone\", px = 1500 }", bad);
        let e = model::program::lua::load_source("bad.lua", text).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
}
