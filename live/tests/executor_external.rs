//! The executor on somebody else's server (a `redis-server` the test starts and treats as
//! external): every key a run writes is under the run's prefix, replies come back unprefixed,
//! and the other databases' data stays untouched.

mod common;

use common::*;
use model::catalogue;
use model::faults::FaultModel;
use redis_races_live::{LiveServer, SafetyOptions, ServerSpec};
use std::net::TcpListener;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

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
