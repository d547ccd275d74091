//! The lock's client-side concurrency under loom: the renewer thread, release, Drop and the
//! lost-lock signal, against the in-memory server. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p redis-races-lockcore --release --test loom_lock`.
//! Loom also fails any model that can deadlock or leak, so every test below also checks that
//! the renewer and release/Drop never deadlock.
#![cfg(loom)]

use lockcore::mem::{MemConn, MemServer, Op};
use lockcore::{Guard, Lock, LockConn};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "lock:res";
const TTL: Duration = Duration::from_millis(3000);

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&runs);
    b.check(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let n = runs.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("loom explored {n} interleavings");
    assert!(
        n > 1,
        "loom explored a single interleaving: the model has no concurrency"
    );
}

/// A guard on `server` with a renewer that renews at most `renewals` times.
fn guard(server: &MemServer, renewals: usize) -> Guard<MemConn> {
    let s = server.clone();
    let lock = Lock::new(Arc::new(move || Ok(s.conn())), KEY)
        .auto_renew(true)
        .max_renewals(Some(renewals));
    let mut conn = server.conn();
    assert!(conn.set_nx_px(KEY, "A", 3000).unwrap());
    lock.guard(conn, "A".into(), 1, TTL)
}

fn releases(log: &[Op]) -> usize {
    log.iter()
        .filter(|o| matches!(o, Op::Release { .. }))
        .count()
}

/// Nothing the renewer sends comes after the release, and the release is sent exactly once.
fn assert_release_last_and_once(log: &[Op]) {
    assert_eq!(releases(log), 1, "exactly one release: {log:?}");
    let at = log
        .iter()
        .position(|o| matches!(o, Op::Release { .. }))
        .unwrap();
    assert!(
        !log[at..].iter().any(|o| matches!(o, Op::Extend { .. })),
        "an extend after the release: {log:?}"
    );
}

#[test]
fn release_stops_the_renewer_first_and_releases_once() {
    model(|| {
        let server = MemServer::new();
        let g = guard(&server, 2);
        assert!(g.release().unwrap(), "our lock, deleted");
        let log = server.log();
        assert_release_last_and_once(&log);
        assert_eq!(server.get(KEY), None);
    });
}

#[test]
fn drop_while_a_renewal_is_in_flight_releases_once() {
    model(|| {
        let server = MemServer::new();
        let g = guard(&server, 2);
        // Dropped from another thread while the renewer runs: Drop joins it, then releases.
        let h = loom::thread::spawn(move || drop(g));
        h.join().unwrap();
        let log = server.log();
        assert_release_last_and_once(&log);
        assert_eq!(server.get(KEY), None);
    });
}

#[test]
fn a_lost_lock_is_always_reported_and_never_released_for_the_new_owner() {
    model(|| {
        let server = MemServer::new();
        let g = guard(&server, 1);
        let thief = server.clone();
        // The lease runs out and B takes the lock, at any point of the renewer's life.
        let h = loom::thread::spawn(move || thief.steal(KEY, Some("B")));
        let before = g.is_lost();
        h.join().unwrap();
        let ok = g.release().unwrap();
        let log = server.log();
        assert!(!ok, "the release found B's lock, not ours");
        assert_eq!(server.get(KEY).as_deref(), Some("B"), "B's lock survives");
        assert_release_last_and_once(&log);
        // Reported before the release whenever the renewer's extend saw the theft.
        let failed_extend = log.contains(&Op::Extend {
            token: "A".into(),
            ok: false,
        });
        if before {
            assert!(failed_extend, "lost only after a failed extend: {log:?}");
        }
    });
}

#[test]
fn the_renewer_reports_a_loss_to_the_holder_before_release() {
    model(|| {
        let server = MemServer::new();
        server.steal(KEY, Some("B"));
        // The holder's view: A believes it holds the lock (taken before B stole it).
        let s = server.clone();
        let lock = Lock::new(Arc::new(move || Ok(s.conn())), KEY)
            .auto_renew(true)
            .max_renewals(Some(1));
        let g = lock.guard(server.conn(), "A".into(), 1, TTL);
        // The holder does not release: only the renewer can find out, and it must tell.
        while !g.is_lost() {
            loom::thread::yield_now();
        }
        assert!(g.check_fence_before_write().is_err());
        assert!(!g.release().unwrap());
        let log = server.log();
        assert!(log.contains(&Op::Extend {
            token: "A".into(),
            ok: false
        }));
    });
}

#[test]
fn holder_extend_and_renewer_extend_interleave_without_deadlock() {
    model(|| {
        let server = MemServer::new();
        let g = guard(&server, 1);
        assert!(g.extend(TTL).unwrap());
        assert!(!g.is_lost());
        drop(g);
        assert_release_last_and_once(&server.log());
    });
}

#[test]
fn renewer_thief_and_drop_all_at_once() {
    model(|| {
        let server = MemServer::new();
        let g = guard(&server, 2);
        let thief = server.clone();
        let t = loom::thread::spawn(move || thief.steal(KEY, Some("B")));
        let d = loom::thread::spawn(move || drop(g));
        t.join().unwrap();
        d.join().unwrap();
        let log = server.log();
        assert_release_last_and_once(&log);
        assert_eq!(
            server.get(KEY).as_deref(),
            Some("B"),
            "B's lock survives: {log:?}"
        );
    });
}
