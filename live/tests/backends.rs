//! Every backend really starts, answers, reports its version and goes away.
//! Missing backends fail these tests unless REDIS_RACES_SKIP_LIVE=1.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use redis_races_live::{
    require_server_for_tests, LiveError, LiveServer, SafetyOptions, ServerSpec, DEFAULT_IMAGE,
    IMAGES, OWNER_LABEL,
};

fn process_spec() -> ServerSpec {
    ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    }
}

fn owned_opts(db: Option<i64>) -> SafetyOptions {
    SafetyOptions {
        allow_flush: false,
        db,
    }
}

/// Writes, reads and cleans up through the handle; checks the selected db.
fn exercise(server: &LiveServer) {
    let mut con = server.connect().expect("connect");
    let client: String = redis::cmd("CLIENT")
        .arg("INFO")
        .query(&mut con)
        .unwrap_or_default();
    if !client.is_empty() {
        assert!(
            client.contains(&format!(" db={} ", server.db())),
            "connection not on db {}: {client}",
            server.db()
        );
    }
    let key = format!("{}k", server.key_prefix());
    redis::cmd("SET")
        .arg(&key)
        .arg(b"\x00\xffv")
        .exec(&mut con)
        .unwrap();
    let v: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut con).unwrap();
    assert_eq!(v, b"\x00\xffv");
    server.cleanup().expect("cleanup");
    let n: u64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 0, "cleanup left keys in db {}", server.db());
}

fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

fn container_exists(id: &str) -> bool {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "-q",
            "--no-trunc",
            "--filter",
            &format!("id={id}"),
        ])
        .output()
        .expect("docker CLI");
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

#[test]
fn process_backend_starts_answers_and_is_killed_on_drop() {
    let Some(server) = require_server_for_tests(&process_spec()) else {
        return;
    };
    assert_eq!(server.backend(), "process");
    assert_eq!(server.key_prefix(), "");
    assert_eq!(server.db(), 0);
    assert!(
        server.version().starts_with(|c: char| c.is_ascii_digit()),
        "{}",
        server.version()
    );
    let d = server.describe();
    assert!(
        d.starts_with("process ") && d.contains(" at 127.0.0.1:") && d.contains("(Redis "),
        "{d}"
    );
    exercise(&server);
    let pid = server.pid().expect("process backend has a pid");
    assert!(process_alive(pid));
    drop(server);
    assert!(!process_alive(pid), "redis-server {pid} survived drop");
}

#[test]
fn cluster_backend_owns_every_slot_and_leaves_nothing_behind() {
    let spec = ServerSpec::parse("cluster").unwrap();
    let Some(server) = require_server_for_tests(&spec) else {
        return;
    };
    assert_eq!(server.backend(), "cluster");
    assert!(server.is_cluster());
    assert!(server.describe().contains("all 16384 slots"), "{server:?}");
    let mut con = server.connect().unwrap();
    let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut con).unwrap();
    assert!(info.contains("cluster_state:ok"), "{info}");
    assert!(info.contains("cluster_slots_assigned:16384"), "{info}");
    let slot: i64 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg("order:{sku123}:456")
        .query(&mut con)
        .unwrap();
    assert_eq!(slot, 5949);
    let refused = redis::cmd("MSET")
        .arg(&["a", "1", "b", "2"][..])
        .exec(&mut con)
        .unwrap_err();
    assert_eq!(refused.code(), Some("CROSSSLOT"), "{refused}");
    redis::cmd("MSET")
        .arg(&["inventory:{sku123}", "1", "order:{sku123}:456", "2"][..])
        .exec(&mut con)
        .unwrap();
    let pid = server.pid().expect("a process");
    let dir = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
    assert!(dir.join(format!("nodes-{}.conf", port(&server))).exists());
    drop(con);
    drop(server);
    assert!(!process_alive(pid), "cluster node {pid} survived drop");
    assert!(
        !dir.exists(),
        "{} (nodes.conf, log) left behind",
        dir.display()
    );
}

fn port(server: &LiveServer) -> u16 {
    match server.connection_info().addr() {
        redis::ConnectionAddr::Tcp(_, p) => *p,
        other => panic!("{other:?}"),
    }
}

#[test]
fn process_backend_uses_the_requested_db() {
    let server = match LiveServer::start(&process_spec(), &owned_opts(Some(3))) {
        Ok(s) => s,
        Err(e) if redis_races_live::live_tests_skipped() => return eprintln!("SKIPPED: {e}"),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(server.db(), 3);
    assert_eq!(server.connection_info().redis_settings().db(), 3);
    exercise(&server);
}

/// PR_SET_PDEATHSIG follows the forking *thread*: a server started in a
/// short-lived thread must survive that thread.
#[test]
fn process_server_outlives_the_thread_that_started_it() {
    let started = std::thread::spawn(|| require_server_for_tests(&process_spec()))
        .join()
        .expect("thread");
    let Some(server) = started else { return };
    std::thread::sleep(Duration::from_millis(300));
    let mut con = server
        .connect()
        .expect("server died with its starting thread");
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn missing_binary_is_a_clear_error() {
    let err = LiveServer::start(
        &ServerSpec::Process {
            binary: PathBuf::from("/nonexistent/redis-server"),
        },
        &owned_opts(None),
    )
    .unwrap_err();
    assert!(matches!(err, LiveError::BinaryNotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("apt-get install redis-server"),
        "{err}"
    );
}

#[test]
fn container_backend_default_image() {
    let spec = ServerSpec::Container {
        image: DEFAULT_IMAGE.to_string(),
    };
    let Some(server) = require_server_for_tests(&spec) else {
        return;
    };
    assert_eq!(server.backend(), "container");
    assert_eq!(server.key_prefix(), "");
    assert_eq!(server.version(), "7.0.15");
    let d = server.describe();
    assert!(
        d.starts_with("container redis-races/redis:7.0 at 127.0.0.1:")
            && d.ends_with("(Redis 7.0.15)"),
        "{d}"
    );
    exercise(&server);
    let id = server.container_id().expect("container id").to_string();
    let labelled = Command::new("docker")
        .args(["ps", "-q", "--no-trunc", "--filter"])
        .arg(format!("label={OWNER_LABEL}={}", std::process::id()))
        .output()
        .expect("docker CLI");
    assert!(
        String::from_utf8_lossy(&labelled.stdout).contains(&id),
        "container not labelled"
    );
    drop(server);
    assert!(!container_exists(&id), "container {id} survived drop");
}

/// Each versioned CLI name maps to an image that exists and runs that version.
#[test]
fn container_backend_every_image() {
    for (name, image) in IMAGES {
        let spec = ServerSpec::parse(name).unwrap();
        assert_eq!(
            spec,
            ServerSpec::Container {
                image: image.to_string()
            }
        );
        let Some(server) = require_server_for_tests(&spec) else {
            return;
        };
        let want = name.split('-').nth(1).unwrap();
        assert!(
            server.version().starts_with(&format!("{want}.")),
            "{name}: {} reports {}",
            image,
            server.describe()
        );
        if name.starts_with("valkey") {
            assert!(
                server.describe().contains("(Valkey "),
                "{}",
                server.describe()
            );
        }
        exercise(&server);
        eprintln!("{name}: {}", server.describe());
    }
}

#[test]
fn missing_unknown_image_says_nothing_is_pulled() {
    let spec = ServerSpec::Container {
        image: "redis-races/redis:0.0-missing".to_string(),
    };
    match LiveServer::start(&spec, &owned_opts(None)) {
        Err(e @ LiveError::ImageMissing { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("nothing is pulled"), "{msg}");
            assert!(msg.contains("redis-races/redis:7.0"), "{msg}");
        }
        Err(e @ LiveError::DockerUnavailable { .. }) if redis_races_live::live_tests_skipped() => {
            eprintln!("SKIPPED: {e}")
        }
        other => panic!("expected ImageMissing, got {other:?}"),
    }
}

#[test]
fn auto_resolves_to_a_concrete_backend() {
    match ServerSpec::Auto.resolve() {
        Ok(spec) => assert_ne!(spec, ServerSpec::Auto),
        Err(e) if redis_races_live::live_tests_skipped() => eprintln!("SKIPPED: {e}"),
        Err(e) => panic!("{e}"),
    }
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    exercise(&server);
}
