//! The executor on pub/sub and keyspace-walking schedules: a recipe's `receive` is served by a
//! PUBLISH, finds a message already waiting, or gives up at its timeout, exactly as the model
//! says; and on somebody else's server (a prefixed REDIS_URL) channels, KEYS and SCAN MATCH
//! stay inside the run's namespace: a foreign key matching the pattern is neither seen nor
//! touched, a foreign subscriber to the same channel name is not counted, and a script that
//! walks the keyspace itself is refused.

use model::catalogue;
use model::faults::FaultModel;
use model::{Action, Reply, StepKind, System};
use redis_races_live::executor::{run_schedule, ExecOptions, LiveRun};
use redis_races_live::{require_server_for_tests, LiveServer, ServerSpec};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

fn system(row: &str, property: &str, faults: FaultModel) -> System {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(row), Some(property), &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row}");
    jobs[0].system(None)
}

/// `"A B tick"` → actions.
fn schedule(s: &str) -> Vec<Action> {
    s.split_whitespace()
        .map(|w| match w {
            "tick" => Action::Tick,
            _ => Action::Step((w.as_bytes()[0] - b'A') as usize),
        })
        .collect()
}

/// Replays and requires every reply, the final keyspace and the verdict to agree.
fn replay(server: &LiveServer, system: &System, actions: &[Action]) -> LiveRun {
    let run = run_schedule(server, system, actions, &ExecOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", system.row()));
    let lines = |t: &model::Trace| {
        t.steps
            .iter()
            .map(model::render::step_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        run.replies_match(),
        "{}: {:?}\nmodel:\n{}\nlive:\n{}",
        system.row(),
        run.mismatches
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>(),
        lines(&run.model),
        lines(&run.live)
    );
    assert!(
        run.agrees(),
        "{:?} vs {:?}",
        run.model_violation,
        run.live_violation
    );
    assert_eq!(run.live_keys, run.model.final_keys, "final keyspace");
    assert!(run.warnings.is_empty(), "warnings: {:?}", run.warnings);
    run
}

fn message(data: &str) -> Reply {
    Reply::Array(vec![
        Reply::bulk("message"),
        Reply::bulk("lock-channel:res"),
        Reply::bulk(data),
    ])
}

/// The receive steps' replies (`None`: it parked).
fn receives(run: &LiveRun) -> Vec<Option<Reply>> {
    run.live
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Receive)
        .map(|s| s.reply.clone())
        .collect()
}

/// subscribe-first: A and B subscribe, A takes the lock, B's SET fails. `receive_at` says
/// when B receives: before A's release (it parks, then the PUBLISH serves it) or after.
fn served_and_waiting(server: &LiveServer) {
    let sys = system(
        "pubsub-lock/subscribe-first",
        "no-lost-wakeup",
        FaultModel::None,
    );
    // B parks; A unsubscribes and releases (PUBLISH reaches B); B reads it, takes the lock.
    let run = replay(server, &sys, &schedule("A B A B B A A B B B B"));
    assert_eq!(receives(&run), vec![None, Some(message("A"))]);
    // A releases first: the message waits for B, which receives it at once.
    let run = replay(server, &sys, &schedule("A B A B A A B B B B"));
    assert_eq!(receives(&run), vec![Some(message("A"))]);
}

/// subscribe-first-timeout under pause: B parks; A outlives its lease (two ticks; its lock
/// expires, publishing nothing); B gives up with nil and takes the lock.
fn gives_up_at_its_timeout(server: &LiveServer) {
    let sys = system(
        "pubsub-lock/subscribe-first-timeout",
        "no-lost-wakeup",
        FaultModel::Pause,
    );
    let run = replay(server, &sys, &schedule("A B A B B tick tick B B"));
    assert_eq!(receives(&run), vec![None, Some(Reply::Nil)]);
    assert_eq!(
        run.live.steps[8].command.as_deref().map(|c| c[0].as_str()),
        Some("SET")
    );
    assert_eq!(run.live.steps[8].reply, Some(Reply::ok()));
}

#[test]
fn a_receive_is_served_finds_a_waiting_message_or_gives_up() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    served_and_waiting(&server);
    gives_up_at_its_timeout(&server);
}

/// A recipe that walks the keyspace from the client: KEYS, SCAN … MATCH, then deletes what
/// it found.
const WALKER: &str = r#"
scenario { name = "walker", clients = 1, faults = { "none" },
           keys = { ["lock:a"] = "1", ["lock:b"] = "2", other = "x" },
           properties = { "found-both" } }
variant("keys-then-del", function(c)
  local found = c:call("KEYS", "lock:*")
  local scan = c:call("SCAN", 0, "MATCH", "lock:*", "COUNT", 100)
  if #found == 2 and scan[1] == "0" and #scan[2] == 2 then c:committed(1) end
  for _, k in ipairs(found) do c:call("DEL", k) end
end)
property("found-both", "at-end", function(w)
  return w.clients[1].committed == 1 and w.keys["lock:a"] == nil and w.keys.other == "x",
    "the walk saw other keys than lock:a and lock:b"
end)
"#;

fn walker() -> System {
    let dir = std::env::temp_dir().join(format!("redis-races-walker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("walker.lua");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(WALKER.as_bytes())
        .unwrap();
    let s = model::program::lua::load(&path.to_string_lossy()).unwrap();
    System::new(Arc::clone(&s), 0, 0, FaultModel::None, None)
}

#[test]
fn keys_scan_and_channels_stay_in_the_runs_namespace_on_someone_elses_server() {
    // "Someone else's server": a redis-server process we start, used as REDIS_URL would be.
    let Some(host) = require_server_for_tests(&ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    }) else {
        return;
    };
    let url = match host.connection_info().addr() {
        redis::ConnectionAddr::Tcp(h, p) => format!("redis://{h}:{p}"),
        other => panic!("unexpected address {other:?}"),
    };
    let server = require_server_for_tests(&ServerSpec::External { url: url.clone() })
        .expect("an empty external server");
    assert!(!server.key_prefix().is_empty());
    // Written by someone else into the suite's database while it runs, matching the
    // recipe's pattern; and someone else subscribed to the recipe's channel name.
    let mut theirs = redis::Client::open(format!("{url}/{}", server.db()))
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("SET")
        .arg("lock:theirs")
        .arg("keep me")
        .exec(&mut theirs)
        .unwrap();
    let mut listener = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("SUBSCRIBE")
        .arg("lock-channel:res")
        .exec(&mut listener)
        .unwrap();

    // KEYS and SCAN see the run's two lock keys only, and DEL touches only those.
    let sys = walker();
    let run = replay(&server, &sys, &schedule("A A A A"));
    assert_eq!(
        run.live.steps[0].reply,
        Some(Reply::Array(vec![
            Reply::bulk("lock:a"),
            Reply::bulk("lock:b")
        ]))
    );
    assert!(run.live_violation.is_none(), "{:?}", run.live_violation);

    // A lost wake-up on a channel: the release's PUBLISH counts no one (the foreign
    // subscriber listens on the unprefixed name), and B's message never comes.
    let sys = system(
        "pubsub-lock/check-then-subscribe",
        "no-lost-wakeup",
        FaultModel::None,
    );
    let run = replay(&server, &sys, &schedule("A B A B B tick tick"));
    assert!(run.reproduced(), "{:?}", run.live_violation);
    // And a message that does reach B names the channel without the prefix.
    served_and_waiting(&server);

    // python-redis-lock's reset_all walks the keyspace inside a script: refused, one line.
    let sys = system("reset-all/reset-all", "mutual-exclusion", FaultModel::None);
    let err = run_schedule(&server, &sys, &schedule("A A B"), &ExecOptions::default())
        .expect_err("a keyspace-walking script on a prefixed server");
    let msg = err.to_string();
    assert!(
        msg.contains("calls KEYS or SCAN") && !msg.contains('\n'),
        "{msg}"
    );

    let kept: String = redis::cmd("GET")
        .arg("lock:theirs")
        .query(&mut theirs)
        .unwrap();
    assert_eq!(kept, "keep me");
    drop(server);
    let left: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut theirs).unwrap();
    assert_eq!(left, vec!["lock:theirs".to_string()]);
}
