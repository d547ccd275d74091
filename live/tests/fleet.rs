//! The process backend's fleets: independent masters, a primary whose replicas follow it,
//! hold back (`REPLICAOF NO ONE` after a sync) and catch up, a promotion and a restart on
//! the same port. Needs `redis-server` (the host's, or the image's copy).

use redis_races_live::{LiveFleet, SafetyOptions, ServerSpec};
use std::path::PathBuf;

fn spec() -> ServerSpec {
    ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    }
}

fn get(fleet_node: &redis_races_live::LiveServer, key: &str) -> Option<String> {
    let mut con = fleet_node.connect().expect("connect");
    redis::cmd("GET").arg(key).query(&mut con).expect("GET")
}

fn set(node: &redis_races_live::LiveServer, key: &str, value: &str) {
    let mut con = node.connect().expect("connect");
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .exec(&mut con)
        .expect("SET");
}

#[test]
fn replicas_follow_hold_back_catch_up_and_take_over() {
    let mut fleet = LiveFleet::start(&spec(), 2, 2, &SafetyOptions::default())
        .unwrap_or_else(|e| panic!("a fleet needs redis-server: {e}"));
    assert_eq!((fleet.masters(), fleet.replicas()), (2, 2));
    let pids = fleet.pids();
    assert_eq!(pids.len(), 4, "{}", fleet.describe());

    // Independent masters: a write on one is not on the other.
    set(fleet.master(1), "k", "m1");
    assert_eq!(get(fleet.master(0), "k"), None);

    // Linked replicas get the primary's write.
    set(fleet.master(0), "k", "1");
    fleet.sync(0).unwrap();
    fleet.sync(1).unwrap();
    assert_eq!(get(fleet.replica(0), "k").as_deref(), Some("1"));

    // Replica 1 (index 0) is held back: it misses the next write; replica 2 does not.
    fleet.detach(0).unwrap();
    assert!(!fleet.is_linked(0));
    set(fleet.master(0), "k", "2");
    fleet.sync(1).unwrap();
    assert_eq!(get(fleet.replica(1), "k").as_deref(), Some("2"));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(get(fleet.replica(0), "k").as_deref(), Some("1"));

    // Promoting the stale replica: the old primary dies, its write is lost, the other
    // replica resyncs from the new primary and loses it too.
    let old_primary = fleet.master(0).pid().unwrap();
    fleet.promote(0).unwrap();
    assert_eq!(fleet.replicas(), 1);
    assert_eq!(get(fleet.master(0), "k").as_deref(), Some("1"));
    assert_eq!(get(fleet.replica(0), "k").as_deref(), Some("1"));
    set(fleet.master(0), "k", "3");
    fleet.sync(0).unwrap();
    assert_eq!(get(fleet.replica(0), "k").as_deref(), Some("3"));
    let gone = std::fs::read_to_string(format!("/proc/{old_primary}/stat")).unwrap_or_default();
    assert!(
        gone.is_empty() || gone.contains(") Z"),
        "old primary still runs"
    );

    // A restart comes back empty on the same port.
    let port = fleet.master(1).port();
    fleet.restart(1).unwrap();
    assert_eq!(fleet.master(1).port(), port);
    assert_eq!(get(fleet.master(1), "k"), None);

    // A reset brings back the starting shape, empty and in sync.
    fleet.reset(2).unwrap();
    assert_eq!(fleet.replicas(), 2);
    assert!(fleet.is_linked(0) && fleet.is_linked(1));
    assert_eq!(get(fleet.replica(1), "k"), None);
}

#[test]
fn one_server_backends_cannot_run_fleets() {
    for spec in [
        ServerSpec::External {
            url: "redis://127.0.0.1:1/".into(),
        },
        ServerSpec::Container {
            image: "redis-races/redis:7.0".into(),
        },
    ] {
        let msg = LiveFleet::start(&spec, 3, 0, &SafetyOptions::default())
            .err()
            .expect("refused")
            .to_string();
        assert!(msg.contains("--server process"), "{msg}");
    }
}
