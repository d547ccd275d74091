//! A test that panics while holding servers (a container, a process, the three
//! masters of `cluster3`) leaves no container and no redis-server behind, whether the panic is caught in-process or takes a
//! whole test process down; and a test process killed outright (no unwinding
//! at all) still takes its redis-server child with it.
//!
//! The cross-process cases re-run this very test binary as a child, selecting
//! `leak_helper` and telling it what to do through `LEAK_HELPER_MODE`.

use std::io::{BufRead, BufReader};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redis_races_live::{
    live_tests_skipped, require_server_for_tests, LiveFleet, SafetyOptions, ServerSpec,
    DEFAULT_IMAGE, OWNER_LABEL,
};

const MODE_ENV: &str = "LEAK_HELPER_MODE";
const MARKER: &str = "LEAK-HELPER";

fn container_spec() -> ServerSpec {
    ServerSpec::Container {
        image: DEFAULT_IMAGE.to_string(),
    }
}

fn process_spec() -> ServerSpec {
    ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    }
}

fn cluster3_spec() -> ServerSpec {
    ServerSpec::Cluster3 {
        binary: PathBuf::from("redis-server"),
    }
}

/// `a,b,c` → PIDs.
fn pid_list(field: &str) -> Vec<u32> {
    field.split(',').map(|p| p.parse().unwrap()).collect()
}

fn joined(pids: &[u32]) -> String {
    pids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Is `pid` a live (not zombie) redis-server?
fn redis_server_running(pid: u32) -> bool {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|s| s.split_whitespace().next());
    String::from_utf8_lossy(&cmdline).contains("redis-server")
        && !matches!(state, None | Some("Z") | Some("X"))
}

/// Container ids (running or not) labelled as owned by `owner_pid`.
fn containers_owned_by(owner_pid: u32) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-a", "-q", "--no-trunc", "--filter"])
        .arg(format!("label={OWNER_LABEL}={owner_pid}"))
        .output()
        .expect("docker CLI needed for the leak check");
    assert!(
        out.status.success(),
        "docker ps failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Polls `cond` for up to `limit`.
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Not a test on its own: does what the parent asks through `LEAK_HELPER_MODE`.
#[test]
fn leak_helper() {
    let Ok(mode) = std::env::var(MODE_ENV) else {
        return;
    };
    match mode.as_str() {
        "panic" => {
            let Some(container) = require_server_for_tests(&container_spec()) else {
                return;
            };
            let Some(process) = require_server_for_tests(&process_spec()) else {
                return;
            };
            let Some(cluster) = require_server_for_tests(&cluster3_spec()) else {
                return;
            };
            println!(
                "{MARKER} container={} redis_pid={} cluster_pids={}",
                container.container_id().unwrap(),
                process.pid().unwrap(),
                joined(&cluster.pids())
            );
            panic!("deliberate panic while holding {container:?}, {process:?} and {cluster:?}");
        }
        "fleet-sigkill" => {
            let fleet = LiveFleet::start(&process_spec(), 2, 1, &SafetyOptions::default())
                .expect("a fleet of redis-server children");
            let pids: Vec<String> = fleet.pids().iter().map(u32::to_string).collect();
            println!("{MARKER} redis_pids={}", pids.join(","));
            std::thread::sleep(Duration::from_secs(120));
        }
        "sigkill" => {
            let Some(process) = require_server_for_tests(&process_spec()) else {
                return;
            };
            let Some(cluster) = require_server_for_tests(&cluster3_spec()) else {
                return;
            };
            println!(
                "{MARKER} redis_pid={} cluster_pids={}",
                process.pid().unwrap(),
                joined(&cluster.pids())
            );
            // The parent SIGKILLs us: no unwinding, no Drop.
            std::thread::sleep(Duration::from_secs(120));
        }
        other => panic!("unknown {MODE_ENV}={other}"),
    }
}

/// Runs `leak_helper` in a child process; returns (child pid, marker line or
/// None if the child skipped) and, for `sigkill`, kills it once it reported.
fn run_helper(mode: &str) -> (u32, Option<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["leak_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env(MODE_ENV, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-running the test binary");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // libtest may print "test leak_helper ... " on the same line.
            if let Some(i) = line.find(MARKER) {
                let _ = tx.send(line[i..].to_string());
            }
        }
    });
    let stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let marker = rx.recv_timeout(Duration::from_secs(60)).ok();
    if mode.ends_with("sigkill") || marker.is_none() {
        // SIGKILL: no unwinding, no Drop, in the child.
        let _ = child.kill();
    }
    let status = child.wait().expect("helper exit status");
    let stderr = stderr.join().unwrap();
    match &marker {
        Some(_) => assert!(!status.success(), "helper should have died: {status}"),
        None if live_tests_skipped() && status.success() => {
            eprintln!("SKIPPED: helper skipped: {stderr}")
        }
        None => {
            panic!("helper ({mode}) never reported its servers ({status}); its stderr:\n{stderr}")
        }
    }
    (pid, marker)
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {name} in '{line}'"))
}

#[test]
fn caught_panic_leaves_no_container_and_no_process() {
    let mut held = None;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let Some(container) = require_server_for_tests(&container_spec()) else {
            return;
        };
        let Some(process) = require_server_for_tests(&process_spec()) else {
            return;
        };
        let Some(cluster) = require_server_for_tests(&cluster3_spec()) else {
            return;
        };
        let mut pids = cluster.pids();
        pids.push(process.pid().unwrap());
        held = Some((container.container_id().unwrap().to_string(), pids));
        panic!("deliberate panic while holding three servers");
    }));
    let Some((id, pids)) = held else { return }; // skipped
    assert!(result.is_err());
    assert_eq!(pids.len(), 4);
    for pid in pids {
        assert!(
            !redis_server_running(pid),
            "redis-server {pid} survived the panic"
        );
    }
    let owned = containers_owned_by(std::process::id());
    assert!(!owned.contains(&id), "container {id} survived the panic");
}

#[test]
fn panicking_test_process_leaves_no_container_and_no_process() {
    let (child_pid, marker) = run_helper("panic");
    let Some(line) = marker else { return };
    let container = field(&line, "container").to_string();
    let redis_pid: u32 = field(&line, "redis_pid").parse().unwrap();
    assert!(
        eventually(Duration::from_secs(10), || containers_owned_by(child_pid)
            .is_empty()),
        "containers left by test process {child_pid}: {:?} (expected {container} gone)",
        containers_owned_by(child_pid)
    );
    assert!(
        eventually(Duration::from_secs(5), || !redis_server_running(redis_pid)),
        "redis-server {redis_pid} outlived its panicking test process"
    );
    for pid in pid_list(field(&line, "cluster_pids")) {
        assert!(
            eventually(Duration::from_secs(5), || !redis_server_running(pid)),
            "cluster3 master {pid} outlived its panicking test process"
        );
    }
}

#[test]
fn killed_test_process_takes_its_redis_server_along() {
    let (_, marker) = run_helper("sigkill");
    let Some(line) = marker else { return };
    let redis_pid: u32 = field(&line, "redis_pid").parse().unwrap();
    assert!(
        eventually(Duration::from_secs(5), || !redis_server_running(redis_pid)),
        "redis-server {redis_pid} outlived its SIGKILLed parent (PR_SET_PDEATHSIG)"
    );
    let cluster = pid_list(field(&line, "cluster_pids"));
    assert_eq!(cluster.len(), 3);
    for pid in cluster {
        assert!(
            eventually(Duration::from_secs(5), || !redis_server_running(pid)),
            "cluster3 master {pid} outlived its SIGKILLed parent (PR_SET_PDEATHSIG)"
        );
    }
}

#[test]
fn caught_panic_leaves_no_fleet_node() {
    let mut pids = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut fleet = LiveFleet::start(&process_spec(), 2, 2, &SafetyOptions::default())
            .expect("a fleet of redis-server children");
        // A promotion and a restart replace nodes: the new ones must go too.
        fleet.promote(1).expect("promote");
        fleet.restart(1).expect("restart");
        pids = fleet.pids();
        panic!("deliberate panic while holding {}", fleet.describe());
    }));
    assert!(result.is_err());
    assert_eq!(
        pids.len(),
        3,
        "2 masters + the replica left after a promotion"
    );
    for pid in pids {
        assert!(
            !redis_server_running(pid),
            "fleet node {pid} survived the panic"
        );
    }
}

#[test]
fn killed_test_process_takes_its_fleet_along() {
    let (_, marker) = run_helper("fleet-sigkill");
    let line = marker.expect("the helper reports its fleet");
    let pids: Vec<u32> = field(&line, "redis_pids")
        .split(',')
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    for pid in pids {
        assert!(
            eventually(Duration::from_secs(5), || !redis_server_running(pid)),
            "fleet node {pid} outlived its SIGKILLed parent"
        );
    }
}
