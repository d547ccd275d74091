//! The lock core against the in-memory server with real threads and time (the loom models
//! are in `loom_lock.rs`).
#![cfg(not(loom))]

use lockcore::mem::{MemConn, MemServer, Op};
use lockcore::{Lock, LockError};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn lock(server: &MemServer) -> Lock<MemConn> {
    let s = server.clone();
    Lock::new(Arc::new(move || Ok(s.conn())), "lock:res")
}

#[test]
fn one_holder_at_a_time_with_rising_fences() {
    let server = MemServer::new();
    let l = lock(&server);
    let a = l.try_acquire(Duration::from_secs(1)).unwrap().unwrap();
    assert!(l.try_acquire(Duration::from_secs(1)).unwrap().is_none());
    let err = l
        .acquire(Duration::from_secs(1), Duration::from_millis(30))
        .unwrap_err();
    assert!(matches!(err, LockError::Timeout { .. }), "{err}");
    let fa = a.fence();
    assert!(a.release().unwrap());
    let b = l.try_acquire(Duration::from_secs(1)).unwrap().unwrap();
    assert!(b.fence() > fa);
    assert_ne!(b.token(), "");
    drop(b);
    assert_eq!(server.get("lock:res"), None, "Drop released");
}

#[test]
fn the_renewer_extends_and_reports_a_theft() {
    let server = MemServer::new();
    let l = lock(&server).auto_renew(true);
    let g = l.try_acquire(Duration::from_millis(30)).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!g.is_lost());
    server.steal("lock:res", Some("B"));
    let start = Instant::now();
    while !g.is_lost() {
        assert!(start.elapsed() < Duration::from_secs(2));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(matches!(
        g.check_fence_before_write(),
        Err(LockError::Lost { .. })
    ));
    assert!(!g.release().unwrap());
    let log = server.log();
    let ok_extends = log
        .iter()
        .filter(|o| matches!(o, Op::Extend { ok: true, .. }))
        .count();
    assert!(ok_extends >= 2, "renewed at 2/3 of the TTL: {log:?}");
    assert_eq!(server.get("lock:res").as_deref(), Some("B"));
}

#[test]
fn release_returns_promptly_while_the_renewer_waits() {
    let server = MemServer::new();
    let l = lock(&server).auto_renew(true);
    let g = l.try_acquire(Duration::from_secs(60)).unwrap().unwrap();
    let start = Instant::now();
    assert!(g.release().unwrap());
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "renewer woken, not waited out"
    );
}
