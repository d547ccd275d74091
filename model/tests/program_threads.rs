//! A client of two threads (`c:spawn`): the threads interleave like clients, share the
//! client's Lua variables, die together in a crash, end one by one, and the main thread's end
//! ends the client. Checked over every reachable world of small Lua scenarios.

use model::checker::{self, Limits, Verdict};
use model::world::Status;
use model::{Action, FaultModel, System, World};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Loads `text` under a name of its own (a scenario name is loaded once per process).
fn system(text: &str, variant: &str, property: &str, faults: FaultModel) -> System {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let text = text.replace("name = \"t\"", &format!("name = \"t{n}\""));
    let s = model::program::lua::load_source(&format!("threads{n}.lua"), text).unwrap();
    let v = s.variant(variant).expect("variant");
    let p = s.property(property).expect("property");
    System::new(Arc::clone(&s), v, p, faults, None)
}

/// Every world reachable from the initial one (no symmetry, no property).
fn reachable(sys: &System) -> Vec<World> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([sys.initial()]);
    let mut out = Vec::new();
    while let Some(w) = queue.pop_front() {
        if !seen.insert(w.clone()) {
            continue;
        }
        for a in sys.enabled(&w) {
            let mut next = w.clone();
            sys.step_in_place(&mut next, a);
            queue.push_back(next);
        }
        out.push(w);
    }
    out
}

fn finals(sys: &System) -> Vec<World> {
    reachable(sys)
        .into_iter()
        .filter(|w| sys.enabled(w).is_empty())
        .collect()
}

fn key(w: &World, k: &str) -> Option<String> {
    w.server.get_str(k).map(str::to_string)
}

const TWO_WRITERS: &str = r#"
scenario { name = "t", clients = 1, faults = { "none", "crash" }, properties = { "ok" } }
property("ok", "always", function(w) return true end)
variant("two-writers", function(c)
  local shared = { n = 0 }
  c:call("GET", "x")
  c:spawn("side", function(s)
    s:call("GET", "x")
    s:call("SET", "seen", shared.n)
    s:call("RPUSH", "log", "side")
  end)
  c:call("RPUSH", "log", "main")
  shared.n = 1
  c:call("RPUSH", "log", "main2")
end, { connections = { "conn", "side" } })
"#;

#[test]
fn two_threads_interleave_and_share_their_variables() {
    let sys = system(TWO_WRITERS, "two-writers", "ok", FaultModel::None);
    let ends = finals(&sys);
    let logs: HashSet<String> = ends
        .iter()
        .map(|w| sys.describe_keys(w).join("; "))
        .collect();
    // The side thread's RPUSH can come before or between the main thread's two, or never:
    // the main thread's end ends the client.
    let orders: HashSet<String> = ends
        .iter()
        .filter_map(|w| {
            sys.describe_keys(w)
                .into_iter()
                .find(|l| l.starts_with("log ="))
        })
        .collect();
    assert_eq!(
        orders,
        HashSet::from([
            r#"log = ["side", "main", "main2"]"#.to_string(),
            r#"log = ["main", "side", "main2"]"#.to_string(),
            r#"log = ["main", "main2"]"#.to_string(),
        ]),
        "{logs:?}"
    );
    // The side thread reads the main thread's variable as it is when the side thread runs on
    // from its GET: 0 if that reply came before the main thread's RPUSH, 1 after it.
    let seen: HashSet<Option<String>> = ends.iter().map(|w| key(w, "seen")).collect();
    assert_eq!(
        seen,
        HashSet::from([None, Some("0".to_string()), Some("1".to_string())])
    );
    for w in &ends {
        assert_eq!(w.clients[0].status, Status::Done);
    }
}

#[test]
fn a_thread_steps_as_an_action_of_its_own_named_after_its_connection() {
    let sys = system(TWO_WRITERS, "two-writers", "ok", FaultModel::None);
    let w = sys.initial();
    assert_eq!(w.clients[0].threads, vec![]);
    assert_eq!(sys.enabled(&w), vec![Action::Step(0)]);
    let (w, step) = sys.step(&w, Action::Step(0));
    assert_eq!(step.command, Some(vec!["GET".to_string(), "x".into()]));
    assert_eq!(step.client.as_deref(), Some("A"));
    assert!(step
        .events
        .iter()
        .any(|e| e.to_string() == "starts thread side"));
    assert_eq!(w.clients[0].threads, vec![(1, Status::Running)]);
    assert_eq!(sys.enabled(&w), vec![Action::Step(0), Action::Thread(0, 1)]);
    let (_, step) = sys.step(&w, Action::Thread(0, 1));
    assert_eq!(step.client.as_deref(), Some("A/side"));
    assert_eq!(step.connection.as_deref(), Some("side"));
    assert_eq!(step.command, Some(vec!["GET".to_string(), "x".into()]));
}

#[test]
fn a_crash_kills_both_threads_and_closes_both_connections() {
    let sys = system(TWO_WRITERS, "two-writers", "ok", FaultModel::Crash);
    let mut crashed = 0;
    for w in reachable(&sys) {
        let c = &w.clients[0];
        if c.is_crashed() {
            crashed += 1;
            assert!(c.threads.is_empty());
            assert!(sys.enabled(&w).is_empty(), "{:?}", sys.enabled(&w));
            assert!(w.server.conns.keys().all(|id| id.client != 0));
        }
    }
    assert!(crashed > 0);
}

const SHORT_SIDE: &str = r#"
scenario { name = "t", clients = 1, faults = { "none" }, ticks = 2, properties = { "ok" } }
property("ok", "always", function(w) return true end)
variant("short-side", function(c)
  c:call("GET", "x")
  c:spawn("side", function(s) s:call("SET", "side", "1") end)
  c:sleep(1000)
  c:call("SET", "main", "after")
end, { connections = { "conn", "side" } })
variant("short-main", function(c)
  c:call("GET", "x")
  c:spawn("side", function(s)
    while true do
      s:sleep(1000)
      s:call("INCR", "renewals")
    end
  end)
  c:call("SET", "main", "done")
end, { connections = { "conn", "side" } })
"#;

#[test]
fn a_thread_ending_does_not_end_the_other() {
    let sys = system(SHORT_SIDE, "short-side", "ok", FaultModel::None);
    let all = reachable(&sys);
    // The side thread ends while the main thread sleeps; the main thread goes on.
    assert!(all.iter().any(|w| {
        w.clients[0].threads == vec![(1, Status::Done)]
            && matches!(w.clients[0].status, Status::Sleeping { .. })
    }));
    // Every run whose main thread ends wrote its last command (a main thread that began its
    // sleep at the tick bound sleeps for good).
    let ends: Vec<&World> = all.iter().filter(|w| sys.enabled(w).is_empty()).collect();
    for w in &ends {
        match w.clients[0].status {
            Status::Done => assert_eq!(key(w, "main").as_deref(), Some("after")),
            status => assert!(
                matches!(status, Status::Sleeping { until } if until > 2000),
                "{status:?}"
            ),
        }
    }
    assert!(ends.iter().any(|w| {
        w.clients[0].status == Status::Done && key(w, "side").as_deref() == Some("1")
    }));
}

#[test]
fn the_main_thread_ending_stops_the_others() {
    let sys = system(SHORT_SIDE, "short-main", "ok", FaultModel::None);
    let ends = finals(&sys);
    assert!(!ends.is_empty());
    let renewals: HashSet<Option<String>> = ends.iter().map(|w| key(w, "renewals")).collect();
    // The side thread renews while the main thread lives (here: never, or once after a tick
    // if the main thread is slow), and never after it has ended.
    for w in &ends {
        assert_eq!(w.clients[0].status, Status::Done);
        assert!(w.clients[0].threads.is_empty());
    }
    assert!(renewals.contains(&None));
    for w in reachable(&sys) {
        if w.clients[0].status == Status::Done {
            assert!(sys
                .enabled(&w)
                .iter()
                .all(|a| !matches!(a, Action::Thread(..))));
        }
    }
}

#[test]
fn a_counterexample_of_a_thread_names_it_and_replays_from_its_trace() {
    let text = r#"
scenario { name = "t", clients = 1, faults = { "none" }, properties = { "side-first" } }
property("side-first", "always", function(w)
  return w.keys.order ~= "main", "the main thread wrote first"
end)
variant("race", function(c)
  c:call("GET", "x")
  c:spawn("side", function(s) s:call("SETNX", "order", "side") end)
  c:call("SETNX", "order", "main")
end, { connections = { "conn", "side" } })
"#;
    let sys = system(text, "race", "side-first", FaultModel::None);
    let r = checker::check(&sys, Limits::default(), &mut |_| {});
    assert_eq!(r.verdict, Verdict::Violated);
    let trace = r.counterexample.expect("a counterexample");
    let json = serde_json::to_string(&trace).unwrap();
    assert!(
        !json.contains("A/side"),
        "the main thread's write alone: {json}"
    );
    // The other way round: the side thread's step is named A/side and maps back to its action.
    let text = text.replace("~= \"main\"", "~= \"side\"");
    let sys = system(&text, "race", "side-first", FaultModel::None);
    let r = checker::check(&sys, Limits::default(), &mut |_| {});
    let trace = r.counterexample.expect("a counterexample");
    let names: Vec<Option<String>> = trace.steps.iter().map(|s| s.client.clone()).collect();
    assert!(names.contains(&Some("A/side".to_string())), "{names:?}");
    let actions = trace.actions_for(&sys).unwrap();
    assert!(actions.contains(&Action::Thread(0, 1)));
    assert!(trace.actions().is_err());
    let again = checker::trace_of(&sys, &actions, trace.violation.clone());
    assert_eq!(again.steps, trace.steps);
}

#[test]
fn equal_logs_are_equal_states_and_symmetry_stays_within_what_it_renames() {
    // Two clients of two threads each: with and without symmetry the verdict is the same,
    // and symmetry merges states.
    let text = TWO_WRITERS.replace("clients = 1", "clients = 2");
    let sys = system(&text, "two-writers", "ok", FaultModel::None);
    let with = checker::check(&sys, Limits::default(), &mut |_| {});
    let without = checker::check(
        &sys,
        Limits {
            symmetry: false,
            ..Limits::default()
        },
        &mut |_| {},
    );
    assert_eq!(with.verdict, Verdict::Holds);
    assert_eq!(without.verdict, Verdict::Holds);
    assert!(
        with.states < without.states,
        "{} {}",
        with.states,
        without.states
    );
    assert_eq!(without.states as usize, reachable(&sys).len());
}

#[test]
fn misuse_is_one_clear_line() {
    let bad = |body: &str| {
        let text = format!(
            r#"scenario {{ name = "t", clients = 1, faults = {{ "none" }}, properties = {{ "ok" }} }}
property("ok", "always", function(w) return true end)
variant("v", function(c) {body} end, {{ connections = {{ "conn", "side" }} }})"#
        );
        let sys = system(&text, "v", "ok", FaultModel::None);
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            checker::check(&sys, Limits::default(), &mut |_| {})
        }))
        .expect_err("a broken contract stops the check");
        e.downcast_ref::<model::program::RecipeError>()
            .expect("a RecipeError")
            .0
            .clone()
    };
    assert!(bad(r#"c:spawn("nope", function(s) end)"#).contains("connection of its own"));
    assert!(bad(r#"c:spawn("conn", function(s) end)"#).contains("only the main thread"));
    assert!(bad(
        r#"c:spawn("side", function(s) s:call("GET", "x") end) c:attempts(1, function() return true end)"#
    )
    .contains("c:attempts cannot run once a thread is spawned"));
}
