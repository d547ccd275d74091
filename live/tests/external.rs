//! An external server (REDIS_URL) is somebody else's: the suite must refuse
//! a non-empty database, stay in its own database and key namespace, and
//! leave every pre-existing key byte-for-byte as it was (DUMP + PTTL).
//!
//! The "external" server is a redis-server process we start ourselves.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use redis::Connection;
use redis_races_live::{
    require_server_for_tests, LiveError, LiveServer, SafetyOptions, ServerSpec,
};

/// Databases checked for survivors (Redis' default `databases 16`).
const DBS: std::ops::Range<i64> = 0..16;

/// key -> (DUMP payload, PTTL)
type Snapshot = BTreeMap<Vec<u8>, (Vec<u8>, i64)>;

struct Host {
    /// Keeps the redis-server alive.
    _server: LiveServer,
    url: String,
}

/// A fresh server playing "someone else's Redis", or None when skipping.
fn host() -> Option<Host> {
    let server = require_server_for_tests(&ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    })?;
    let url = match server.connection_info().addr() {
        redis::ConnectionAddr::Tcp(h, p) => format!("redis://{h}:{p}"),
        other => panic!("unexpected address {other:?}"),
    };
    Some(Host {
        _server: server,
        url,
    })
}

fn con(url: &str, db: i64) -> Connection {
    let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
    redis::cmd("SELECT").arg(db).exec(&mut c).unwrap();
    c
}

/// Somebody's data: binary strings, a list, a hash, a key with a TTL.
fn populate(url: &str, db: i64) {
    let mut c = con(url, db);
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    redis::cmd("SET")
        .arg(b"bin:\x00\xff\r\n".as_slice())
        .arg(&all_bytes)
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("plain")
        .arg(format!("db{db}"))
        .exec(&mut c)
        .unwrap();
    redis::cmd("RPUSH")
        .arg("list")
        .arg(b"\x00".as_slice())
        .arg(b"two\xfe".as_slice())
        .arg("three")
        .exec(&mut c)
        .unwrap();
    redis::cmd("HSET")
        .arg("hash")
        .arg("f")
        .arg(b"\xff\x00".as_slice())
        .exec(&mut c)
        .unwrap();
    redis::cmd("SET")
        .arg("ttl")
        .arg("expires later")
        .arg("PX")
        .arg(600_000)
        .exec(&mut c)
        .unwrap();
    // Looks like another run's namespace: still not ours to delete.
    redis::cmd("SET")
        .arg("rr:someone-else:k")
        .arg("theirs")
        .exec(&mut c)
        .unwrap();
}

fn snapshot(url: &str, db: i64) -> Snapshot {
    let mut c = con(url, db);
    let mut out = Snapshot::new();
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query(&mut c)
            .unwrap();
        for k in keys {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&k).query(&mut c).unwrap();
            let pttl: i64 = redis::cmd("PTTL").arg(&k).query(&mut c).unwrap();
            out.insert(k, (dump, pttl));
        }
        cursor = next;
        if cursor == 0 {
            return out;
        }
    }
}

fn snapshot_all(url: &str) -> BTreeMap<i64, Snapshot> {
    DBS.map(|db| (db, snapshot(url, db))).collect()
}

/// Same keys, same bytes; TTLs kept (only counted down).
fn assert_survived(before: &Snapshot, after: &Snapshot, db: i64) {
    let kb: Vec<_> = before.keys().collect();
    let ka: Vec<_> = after.keys().collect();
    assert_eq!(kb, ka, "db {db}: key set changed");
    for (k, (dump, pttl)) in before {
        let (dump2, pttl2) = &after[k];
        assert_eq!(
            dump,
            dump2,
            "db {db}: {:?} changed",
            String::from_utf8_lossy(k)
        );
        if *pttl < 0 {
            assert_eq!(
                pttl,
                pttl2,
                "db {db}: {:?} gained a TTL",
                String::from_utf8_lossy(k)
            );
        } else {
            assert!(
                *pttl2 > 0 && pttl2 <= pttl,
                "db {db}: TTL {pttl} -> {pttl2}"
            );
        }
    }
}

fn opts(allow_flush: bool, db: Option<i64>) -> SafetyOptions {
    SafetyOptions { allow_flush, db }
}

#[test]
fn refuses_non_empty_db_and_leaves_every_other_key_intact() {
    let Some(host) = host() else { return };
    let url = host.url.clone();
    populate(&url, 0);
    populate(&url, 9);
    let before = snapshot_all(&url);
    assert_eq!(before[&9].len(), 6);
    let spec = ServerSpec::External { url: url.clone() };

    // Default options: db 9, which is not empty -> refused, nothing touched.
    let err = LiveServer::start(&spec, &opts(false, None)).unwrap_err();
    assert!(
        matches!(err, LiveError::DbNotEmpty { db: 9, keys: 6, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("REDIS_RACES_DB") && msg.contains("REDIS_RACES_ALLOW_FLUSH=1"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));

    // An empty db: accepted, namespaced, cleaned.
    let server = LiveServer::start(&spec, &opts(false, Some(5))).expect("empty db 5 accepted");
    assert_eq!(server.backend(), "external");
    assert_eq!(server.db(), 5);
    let prefix = server.key_prefix().to_string();
    assert!(prefix.starts_with(&format!("rr:{}-", std::process::id())) && prefix.ends_with(':'));
    assert!(
        server.describe().starts_with("external redis://"),
        "{}",
        server.describe()
    );

    let mut c = server.connect().unwrap();
    let client: String = redis::cmd("CLIENT").arg("INFO").query(&mut c).unwrap();
    assert!(client.contains(" db=5 "), "{client}");
    // Enough keys to need several SCAN batches, of several types and with TTLs.
    for i in 0..2500 {
        let k = format!("{prefix}k{i}");
        match i % 4 {
            0 => redis::cmd("SET")
                .arg(&k)
                .arg(b"\x00\x01".as_slice())
                .exec(&mut c)
                .unwrap(),
            1 => redis::cmd("RPUSH")
                .arg(&k)
                .arg("a")
                .arg("b")
                .exec(&mut c)
                .unwrap(),
            2 => redis::cmd("HSET")
                .arg(&k)
                .arg("f")
                .arg("v")
                .exec(&mut c)
                .unwrap(),
            _ => redis::cmd("SET")
                .arg(&k)
                .arg("v")
                .arg("EX")
                .arg(600)
                .exec(&mut c)
                .unwrap(),
        }
    }
    // Written by someone else into "our" db while we run: not ours to delete.
    redis::cmd("SET")
        .arg("foreign")
        .arg("keep me")
        .exec(&mut con(&url, 5))
        .unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<u64>(&mut c).unwrap(), 2501);

    server.cleanup().expect("cleanup");
    let left = snapshot(&url, 5);
    assert_eq!(
        left.keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect::<Vec<_>>(),
        vec!["foreign".to_string()]
    );
    drop(server);

    let mut after = snapshot_all(&url);
    after.get_mut(&5).unwrap().remove(b"foreign".as_slice());
    for db in DBS {
        assert_survived(&before[&db], &after[&db], db);
    }
}

#[test]
fn allow_flush_empties_only_the_suites_db() {
    let Some(host) = host() else { return };
    let url = host.url.clone();
    populate(&url, 0);
    populate(&url, 9);
    populate(&url, 10);
    let before = snapshot_all(&url);
    let server = LiveServer::start(
        &ServerSpec::External { url: url.clone() },
        &opts(true, None),
    )
    .expect("allow_flush accepts a non-empty db");
    assert_eq!(server.db(), 9);
    assert!(snapshot(&url, 9).is_empty(), "db 9 not flushed");
    drop(server);
    let after = snapshot_all(&url);
    for db in DBS.filter(|db| *db != 9) {
        assert_survived(&before[&db], &after[&db], db);
    }
}

#[test]
fn db_in_url_is_used_and_drop_removes_the_runs_keys() {
    let Some(host) = host() else { return };
    let server = LiveServer::start(
        &ServerSpec::parse(&format!("{}/6", host.url)).unwrap(),
        &opts(false, None),
    )
    .unwrap();
    assert_eq!(server.db(), 6);
    let mut c = server.connect().unwrap();
    redis::cmd("SET")
        .arg(format!("{}x", server.key_prefix()))
        .arg(1)
        .exec(&mut c)
        .unwrap();
    drop(server);
    assert!(
        snapshot(&host.url, 6).is_empty(),
        "drop left the run's keys behind"
    );
}

#[test]
fn bad_external_servers_fail_fast_with_one_line_messages() {
    let Some(host) = host() else { return };
    let t = Instant::now();
    let err = LiveServer::start(
        &ServerSpec::External {
            url: host.url.clone(),
        },
        &opts(false, Some(999)),
    )
    .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "a server-side refusal must not be retried"
    );
    let msg = err.to_string();
    assert!(msg.contains("db 999") && !msg.contains('\n'), "{msg}");

    // Nothing listens on port 1: bounded wait, then a clear error.
    let err = LiveServer::start(
        &ServerSpec::External {
            url: "redis://127.0.0.1:1".into(),
        },
        &opts(false, None),
    )
    .unwrap_err();
    assert!(matches!(err, LiveError::NotReady { .. }), "{err}");
    assert!(err.to_string().contains("did not answer PING"), "{err}");
}
