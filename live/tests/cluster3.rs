//! The `cluster3` backend is a real three-master Redis Cluster: every master reports
//! `cluster_state:ok` and the same slot map, `CLUSTER KEYSLOT` on every master agrees with the
//! model's slot function (3020 names: the suite's own and generated ones), a key is served by
//! the master [`route`] picks and redirected (MOVED) by the others, and dropping the handle
//! ends all three children.

use model::server::cluster::key_slot;
use redis_races_live::route::{node_of_key, route, Route, RoutedConn, MASTER_SLOTS};
use redis_races_live::{require_server_for_tests, ServerSpec};

fn s(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|s| s.split_whitespace().next());
    !matches!(state, None | Some("Z") | Some("X"))
}

#[test]
fn three_masters_agree_route_and_go_away() {
    let Some(server) = require_server_for_tests(&ServerSpec::parse("cluster3").unwrap()) else {
        return;
    };
    eprintln!(
        "{} started in {:.2}s",
        server.describe(),
        server.startup().unwrap().as_secs_f64()
    );
    assert_eq!(server.backend(), "cluster3");
    assert!(server.is_cluster());
    assert_eq!(server.masters(), 3);
    let pids = server.pids();
    assert_eq!(pids.len(), 3);
    let mut masters: Vec<redis::Connection> =
        (0..3).map(|i| server.connect_node(i).unwrap()).collect();
    for (i, con) in masters.iter_mut().enumerate() {
        let info: String = redis::cmd("CLUSTER").arg("INFO").query(con).unwrap();
        assert!(info.contains("cluster_state:ok"), "master {i}: {info}");
        assert!(info.contains("cluster_known_nodes:3"), "master {i}: {info}");
        assert!(
            info.contains("cluster_slots_assigned:16384"),
            "master {i}: {info}"
        );
        let myself: String = redis::cmd("CLUSTER").arg("MYID").query(con).unwrap();
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(con).unwrap();
        let mine = nodes.lines().find(|l| l.starts_with(&myself)).unwrap();
        let (lo, hi) = MASTER_SLOTS[i];
        assert!(mine.contains("myself,master"), "{mine}");
        assert!(mine.ends_with(&format!("{lo}-{hi}")), "{mine}");
    }
    // CLUSTER KEYSLOT on every master = the model's slot; the routed master serves the key
    // and the others redirect it.
    let keys = [
        "k1",
        "k2",
        "k3",
        "q1",
        "q2",
        "{k1}k2",
        "inventory:sku123",
        "order:456:status",
        "inventory:{sku123}",
        "order:{sku123}:456",
        "account:a",
        "account:b",
        "lock:res",
        "lock-signal:res",
        "a{}b",
        "{}",
        "{a",
        "",
        "x{y}{z}",
        "fencing:token",
    ];
    let mut owners = [0; 3];
    for key in keys {
        let slot = key_slot(key);
        let owner = node_of_key(key, 3);
        owners[owner] += 1;
        for (i, con) in masters.iter_mut().enumerate() {
            let theirs: i64 = redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(key)
                .query(con)
                .unwrap();
            assert_eq!(
                theirs,
                i64::from(slot),
                "CLUSTER KEYSLOT {key:?} on master {i}"
            );
            let reply = redis::cmd("GET").arg(key).query::<Option<String>>(con);
            if i == owner {
                assert!(reply.is_ok(), "master {i} owns {key:?}: {reply:?}");
            } else {
                let e = reply.unwrap_err();
                assert_eq!(e.code(), Some("MOVED"), "{key:?} on master {i}: {e}");
                assert!(e.to_string().contains(&slot.to_string()), "{e}");
            }
        }
    }
    assert!(
        owners.iter().all(|&n| n > 0),
        "every master owns a key: {owners:?}"
    );
    // And over many more names (plain, tagged, empty and unclosed tags, non-ASCII), one
    // pipeline per master: every master's CLUSTER KEYSLOT is the model's.
    let names: Vec<String> = (0..500)
        .flat_map(|i| {
            [
                format!("key:{i}"),
                format!("user:{{{i}}}:profile"),
                format!("{{}}{i}"),
                format!("{{{i}"),
                format!("x{{{}}}y{i}", i % 7),
                format!("\u{e9}t\u{e9}-{i}"),
            ]
        })
        .collect();
    for (i, con) in masters.iter_mut().enumerate() {
        let mut pipe = redis::pipe();
        for n in &names {
            pipe.cmd("CLUSTER").arg("KEYSLOT").arg(n);
        }
        let slots: Vec<i64> = pipe.query(con).unwrap();
        for (n, slot) in names.iter().zip(slots) {
            assert_eq!(
                slot,
                i64::from(key_slot(n)),
                "CLUSTER KEYSLOT {n:?} on master {i}"
            );
        }
    }
    // Through a routed connection: a write and a read reach the owner, a transaction is
    // pinned to the master of its first key, and CROSSSLOT is the cluster's own.
    let mut con = RoutedConn::open(&server, None).unwrap();
    let text = |v: redis::Value| redis_races_live::executor::reply_from_value(v).to_string();
    assert_eq!(route(&s(&["SET", "q1", "v"]), 3), Route::Node(1));
    con.request(&s(&["SET", "q1", "v"])).unwrap();
    assert_eq!(con.last().0, 1);
    assert_eq!(text(con.request(&s(&["GET", "q1"])).unwrap()), "\"v\"");
    assert_eq!(text(con.request(&s(&["MULTI"])).unwrap()), "OK");
    assert_eq!(text(con.request(&s(&["INCR", "k1"])).unwrap()), "QUEUED");
    assert_eq!(con.last().0, 2);
    assert_eq!(text(con.request(&s(&["PING"])).unwrap()), "QUEUED");
    assert_eq!(
        text(con.request(&s(&["EXEC"])).unwrap()),
        "[(integer) 1, PONG]"
    );
    assert_eq!(con.last().0, 2);
    let cross = text(con.request(&s(&["MGET", "k1", "q1"])).unwrap());
    assert!(cross.contains("CROSSSLOT"), "{cross}");
    drop(con);
    drop(masters);
    drop(server);
    for pid in pids {
        assert!(!alive(pid), "master {pid} outlived its handle");
    }
}
