//! The executor on small hand-written schedules: BLPOP parks and is served (or times out at a
//! tick), a crash takes the client's server-side state with it, error replies stay inline
//! (inside EXEC too), and keys are namespaced on an external server.

use model::catalogue;
use model::command::Command;
use model::faults::FaultModel;
use model::recipe::{ClientCtx, Event, Local, Next, Recipe};
use model::scenario::{PropertyDef, PropertyKind, Scenario, Variant};
use model::{cmd, Action, Note, Params, Reply, StepKind, System};
use redis_races_live::executor::{run_schedule, ExecOptions, LiveRun};
use redis_races_live::{require_server_for_tests, LiveServer, SafetyOptions, ServerSpec};
use std::net::TcpListener;
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each client sends its own fixed list of commands on one connection, ignoring replies.
#[derive(Debug)]
struct Seq(Vec<Vec<Command>>);

impl Recipe for Seq {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, me: &ClientCtx, l: &mut Local) -> Next {
        match self.0.get(me.index).and_then(|c| c.get(l.pc as usize)) {
            Some(c) => Next::send(0, c.clone()),
            None => Next::finish(),
        }
    }
    fn on_reply(&self, _: &ClientCtx, l: &mut Local, _: &Reply) -> Vec<Event> {
        l.pc += 1;
        vec![]
    }
}

const ANYTHING: PropertyDef = PropertyDef {
    name: "anything",
    summary: "always holds",
    kind: PropertyKind::Always,
    faults: &FaultModel::ALL,
    check: |_, _| Ok(()),
};

fn seq_system(per_client: Vec<Vec<Command>>, max_ticks: u64, faults: FaultModel) -> System {
    let clients = per_client.len();
    let scenario = Scenario {
        name: "seq",
        summary: "fixed command lists",
        setup: vec![],
        subject: "q",
        properties: vec![ANYTHING],
        variants: vec![Variant {
            name: "seq",
            summary: "fixed command lists",
            recipes: vec![Arc::new(Seq(per_client))],
        }],
        default_clients: clients,
        params: Params::default(),
        max_ticks,
        roles: vec![],
        history: vec![],
    };
    System::new(Arc::new(scenario), 0, 0, faults, Some(clients))
}

/// `"A A tick B crash:A"` → actions.
fn schedule(s: &str) -> Vec<Action> {
    let idx = |n: &str| (n.as_bytes()[0] - b'A') as usize;
    s.split_whitespace()
        .map(|w| match w {
            "tick" => Action::Tick,
            _ => match w.strip_prefix("crash:") {
                Some(n) => Action::Crash(idx(n)),
                None => Action::Step(idx(w)),
            },
        })
        .collect()
}

fn replay(server: &LiveServer, system: &System, actions: &[Action]) -> LiveRun {
    let run = run_schedule(server, system, actions, &ExecOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", system.row()));
    let table = |t: &model::Trace| {
        t.steps
            .iter()
            .map(model::render::step_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        run.replies_match(),
        "{} mismatches:\n{}\nmodel:\n{}\nlive:\n{}",
        system.row(),
        run.mismatches
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        table(&run.model),
        table(&run.live)
    );
    assert_eq!(run.live_keys, run.model.final_keys, "final keyspace");
    assert!(run.warnings.is_empty(), "warnings: {:?}", run.warnings);
    run
}

fn bulk(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| Reply::bulk(*s)).collect())
}

fn blpop_park_and_serve(server: &LiveServer) {
    let system = seq_system(
        vec![
            vec![cmd!["BLPOP", "q", 0]],
            vec![cmd!["BLPOP", "q", 0]],
            vec![cmd!["RPUSH", "q", "x", "y"]],
        ],
        0,
        FaultModel::None,
    );
    let run = replay(server, &system, &schedule("A B C B A"));
    let live = &run.live.steps;
    assert_eq!(live[0].reply, None, "A parks");
    assert_eq!(live[1].reply, None, "B parks");
    assert_eq!(
        live[2].reply,
        Some(Reply::Int(2)),
        "RPUSH answers the length before serving"
    );
    assert!(
        live[2].notes.contains(&Note::Served { client: "A".into() }),
        "{:?}",
        live[2].notes
    );
    assert_eq!(live[3].kind, StepKind::Receive);
    assert_eq!(
        live[3].reply,
        Some(bulk(&["q", "y"])),
        "the second waiter gets the second element"
    );
    assert_eq!(
        live[4].reply,
        Some(bulk(&["q", "x"])),
        "the oldest waiter gets the first"
    );
}

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
fn error_replies_stay_inline_inside_exec() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    let system = seq_system(
        vec![vec![
            cmd!["SET", "k", "v"],
            cmd!["MULTI"],
            cmd!["SET", "k2", 1],
            cmd!["INCR", "k"],
            cmd!["LPUSH", "k", "x"],
            cmd!["INCR", "k2"],
            cmd!["EXEC"],
            cmd!["INCR", "k"],
            cmd!["MULTI"],
            cmd!["NOSUCHCMD", "x"],
            cmd!["INCR", "k2"],
            cmd!["EXEC"],
            cmd!["EXEC"],
        ]],
        0,
        FaultModel::None,
    );
    let run = replay(&server, &system, &schedule("A A A A A A A A A A A A A"));
    let live = &run.live.steps;
    assert_eq!(
        live[6].reply,
        Some(Reply::Array(vec![
            Reply::ok(),
            Reply::err("ERR value is not an integer or out of range"),
            Reply::err("WRONGTYPE Operation against a key holding the wrong kind of value"),
            Reply::Int(2),
        ])),
        "EXEC keeps every reply, errors included"
    );
    assert_eq!(
        live[7].reply,
        Some(Reply::err("ERR value is not an integer or out of range"))
    );
    assert!(
        matches!(&live[9].reply, Some(Reply::Error(e)) if e.starts_with("ERR unknown command 'NOSUCHCMD'")),
        "{:?}",
        live[9].reply
    );
    assert_eq!(
        live[11].reply,
        Some(Reply::err(
            "EXECABORT Transaction discarded because of previous errors."
        ))
    );
    assert_eq!(live[12].reply, Some(Reply::err("ERR EXEC without MULTI")));
    assert_eq!(
        run.live_keys,
        vec!["k = \"v\"".to_string(), "k2 = \"2\"".to_string()]
    );
}

/// A `redis-server` we start ourselves and treat as somebody else's (killed on drop).
struct OwnProcess {
    child: Child,
    port: u16,
}

impl OwnProcess {
    fn start() -> Option<OwnProcess> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let binary = match redis_races_live::provision::redis_server_binary() {
            Ok(b) => b,
            Err(e) if redis_races_live::live_tests_skipped() => {
                eprintln!("SKIPPED: no redis-server: {e}");
                return None;
            }
            Err(e) => panic!("no redis-server: {e}"),
        };
        let child = Process::new(&binary)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match child {
            Ok(child) => Some(OwnProcess { child, port }),
            Err(e) if redis_races_live::live_tests_skipped() => {
                eprintln!("SKIPPED: cannot run redis-server: {e}");
                None
            }
            Err(e) => panic!("cannot run {}: {e}", binary.display()),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dbsizes(url: &str) -> Vec<(i64, i64)> {
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    (0..16)
        .filter_map(|db| {
            redis::cmd("SELECT").arg(db).exec(&mut con).unwrap();
            let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
            (n > 0).then_some((db, n))
        })
        .collect()
}

#[test]
fn keys_are_prefixed_on_an_external_server() {
    let Some(host) = OwnProcess::start() else {
        return;
    };
    let spec = ServerSpec::External { url: host.url() };
    let opts = SafetyOptions {
        allow_flush: false,
        db: None,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let server = loop {
        match LiveServer::start(&spec, &opts) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => panic!("external server: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(
        !server.key_prefix().is_empty(),
        "an external server gets a key prefix"
    );

    // Somebody's data in another database stays untouched.
    let mut other = redis::Client::open(format!("{}/3", host.url()))
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("SET")
        .arg("lock:res")
        .arg("theirs")
        .exec(&mut other)
        .unwrap();

    // EVAL with KEYS (the script text unchanged), a counterexample that reproduces.
    let scenarios = catalogue::all();
    let jobs = catalogue::select(
        &scenarios,
        Some("lock/lua"),
        Some("mutual-exclusion"),
        &[FaultModel::Pause],
    )
    .unwrap();
    let system = jobs[0].system(None);
    let run = replay(&server, &system, &schedule("A tick B"));
    assert!(run.reproduced(), "{:?}", run.live_violation);
    assert_eq!(
        run.live_keys,
        vec!["lock:res = \"B\" (expires at t=2s)".to_string()]
    );

    // The seeds' counters and the lock's foreign release, namespaced too.
    let jobs = catalogue::select(
        &scenarios,
        Some("lock/set-nx-ex-del"),
        Some("owner-only-release"),
        &[FaultModel::Pause],
    )
    .unwrap();
    let system = jobs[0].system(None);
    let run = replay(&server, &system, &schedule("A tick B A"));
    assert!(run.reproduced(), "{:?}", run.live_violation);
    assert_eq!(
        run.live_violation.as_deref(),
        Some("A removed B's lock (lock:res)")
    );

    // BLPOP's reply names the key: the prefix is stripped.
    blpop_park_and_serve(&server);

    // Everything the runs wrote was under the prefix (cleanup deletes only that), so only
    // the other database's key is left.
    assert_eq!(dbsizes(&host.url()), vec![(3, 1)]);
    let theirs: String = redis::cmd("GET").arg("lock:res").query(&mut other).unwrap();
    assert_eq!(theirs, "theirs");
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

/// Script errors, script return values and argument errors the recipes never hit, against
/// the model's profile (Redis 7.0).
fn edge_commands() -> Vec<Command> {
    vec![
        cmd!["SET", "k", "v"],
        cmd!["EVAL", "return redis.call('incr', KEYS[1])", 1, "k"],
        cmd!["EVAL", "return redis.pcall('incr', KEYS[1])", 1, "k"],
        cmd!["EVAL", "this is not lua", 0],
        cmd!["EVAL", "return {1, 'a', false, true, 3.7}", 0],
        cmd!["EVAL", "return {ok='fine'}", 0],
        cmd!["EVAL", "return {err='bad thing'}", 0],
        cmd!["EVAL", "return redis.call('get', KEYS[1])", 1, "missing"],
        cmd!["EVAL", "return tonumber(nil) + 1", 0],
        cmd!["EVAL", "return redis.call('nosuch')", 0],
        cmd!["SET", "lock", "x", "NX", "EX", 0],
        cmd!["EXPIRE", "k", 10, "NX", "XX"],
        cmd!["TTL", "k"],
        cmd!["GETDEL", "k"],
        cmd!["LPOP", "nolist", 0],
        cmd!["BLPOP", "k", "-1"],
        cmd!["SET", "n", "007"],
        cmd!["INCR", "n"],
    ]
}

#[test]
fn script_and_argument_errors_match_redis_7_0() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    if !server.describe().contains("Redis 7.0") {
        eprintln!(
            "SKIPPED: the model's profile is Redis 7.0; this server is {}",
            server.describe()
        );
        return;
    }
    let cmds = edge_commands();
    let n = cmds.len();
    let system = seq_system(vec![cmds], 0, FaultModel::None);
    replay(&server, &system, &vec![Action::Step(0); n]);
}

/// A reply that differs is a finding, reported with both replies, and the run goes on with
/// the live replies. Redis 6.0 has no GETDEL (the model follows 7.0).
#[test]
fn a_reply_that_differs_is_reported_not_hidden() {
    let Some(server) = require_server_for_tests(&ServerSpec::Container {
        image: "redis-races/redis:6.0".into(),
    }) else {
        return;
    };
    let system = seq_system(
        vec![vec![
            cmd!["SET", "k", "v"],
            cmd!["GETDEL", "k"],
            cmd!["GET", "k"],
        ]],
        0,
        FaultModel::None,
    );
    let run = run_schedule(
        &server,
        &system,
        &schedule("A A A"),
        &ExecOptions::default(),
    )
    .unwrap();
    assert!(!run.replies_match());
    let found: Vec<(usize, Vec<&str>)> = run
        .mismatches
        .iter()
        .map(|m| (m.step, m.fields()))
        .collect();
    assert_eq!(found, vec![(1, vec!["reply"]), (2, vec!["reply"])]);
    assert_eq!(run.mismatches[0].model.reply, Some(Reply::bulk("v")));
    assert!(
        matches!(&run.mismatches[0].live.reply, Some(Reply::Error(e)) if e.starts_with("ERR unknown command `GETDEL`")),
        "{:?}",
        run.mismatches[0].live.reply
    );
    assert_eq!(run.mismatches[1].model.reply, Some(Reply::Nil));
    assert_eq!(run.mismatches[1].live.reply, Some(Reply::bulk("v")));
    assert_eq!(run.model.final_keys, Vec::<String>::new());
    assert_eq!(run.live_keys, vec!["k = \"v\"".to_string()]);
}
