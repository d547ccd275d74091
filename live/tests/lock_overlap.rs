//! `live::lock` on a real server: no two holders overlap (python-redis-lock's test_no_overlap),
//! fencing tokens rise in entry order, a holder paused past its lease is stopped by the
//! fencing token at the resource, auto-renewal keeps a lock past 3× its TTL, and a lost lock
//! is reported through the guard.

use redis_races_live::lock::Lock;
use redis_races_live::{require_server_for_tests, LiveServer, ServerSpec};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn server() -> Option<LiveServer> {
    require_server_for_tests(&ServerSpec::Auto)
}

fn lock(server: &LiveServer, name: &str) -> Lock {
    Lock::on_server(server, format!("{}{name}", server.key_prefix())).unwrap()
}

#[derive(Debug)]
struct Section {
    thread: usize,
    fence: u64,
    enter: Instant,
    exit: Instant,
}

#[test]
fn ten_threads_never_overlap_and_tokens_rise_in_entry_order() {
    let Some(server) = server() else { return };
    let (threads, rounds) = (10, 100);
    let log = Arc::new(Mutex::new(Vec::new()));
    let inside = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let lock = lock(&server, "overlap").retry_sleep(Duration::from_millis(1));
            let (log, inside) = (Arc::clone(&log), Arc::clone(&inside));
            s.spawn(move || {
                for _ in 0..rounds {
                    let g = lock
                        .acquire(Duration::from_secs(10), Duration::from_secs(60))
                        .unwrap();
                    let enter = Instant::now();
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    std::hint::spin_loop();
                    inside.fetch_sub(1, Ordering::SeqCst);
                    let exit = Instant::now();
                    let fence = g.fence();
                    assert!(g.release().unwrap(), "our own lock, released by us");
                    log.lock().unwrap().push(Section {
                        thread: t,
                        fence,
                        enter,
                        exit,
                    });
                }
            });
        }
    });
    let mut log = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(log.len(), threads * rounds);
    for t in 0..threads {
        assert_eq!(log.iter().filter(|s| s.thread == t).count(), rounds);
    }
    log.sort_by_key(|s| s.enter);
    for w in log.windows(2) {
        assert!(w[0].exit <= w[1].enter, "overlapping sections: {w:?}");
        assert!(
            w[0].fence < w[1].fence,
            "fence not rising in entry order: {w:?}"
        );
    }
    eprintln!(
        "{} acquisitions by {threads} threads in {:?}",
        log.len(),
        started.elapsed()
    );
}

// The resource: the catalogue row `fencing/checked`'s script (accepts a write unless its token
// is lower than the highest accepted; appends accepted tokens to a log).
use model::recipes::fencing::FENCED_WRITE;

fn fenced_write(conn: &mut redis::Connection, prefix: &str, fence: u64) -> bool {
    let n: i64 = redis::cmd("EVAL")
        .arg(FENCED_WRITE)
        .arg(2)
        .arg(format!("{prefix}resource:top"))
        .arg(format!("{prefix}resource:log"))
        .arg(fence)
        .query(conn)
        .unwrap();
    n == 1
}

#[test]
fn a_holder_paused_past_its_lease_is_fenced_off_by_the_resource() {
    let Some(server) = server() else { return };
    let prefix = server.key_prefix().to_string();
    let (a, b) = (lock(&server, "paused"), lock(&server, "paused"));
    let ttl = Duration::from_millis(200);
    let ga = a.try_acquire(ttl).unwrap().expect("free lock");
    assert!(b.try_acquire(ttl).unwrap().is_none(), "A holds it");
    std::thread::sleep(ttl * 3); // A is paused past its lease, without renewal
    let gb = b.try_acquire(ttl * 10).unwrap().expect("A's lease ran out");
    assert!(gb.fence() > ga.fence());
    let mut conn = server.connect().unwrap();
    assert!(fenced_write(&mut conn, &prefix, gb.fence()));
    // A wakes up believing it holds the lock; nothing told it otherwise (no renewer)...
    let fa = ga.check_fence_before_write().unwrap();
    // ...but the resource refuses its stale token.
    assert!(
        !fenced_write(&mut conn, &prefix, fa),
        "stale write accepted"
    );
    let log: Vec<u64> = redis::cmd("LRANGE")
        .arg(format!("{prefix}resource:log"))
        .arg(0)
        .arg(-1)
        .query(&mut conn)
        .unwrap();
    assert_eq!(log, [gb.fence()], "only B's write was accepted");
    // A's release finds B's lock and leaves it alone.
    assert!(!ga.release().unwrap());
    assert!(b.try_acquire(ttl).unwrap().is_none(), "B still holds it");
    assert!(gb.release().unwrap());
}

#[test]
fn auto_renewal_keeps_the_lock_across_three_ttls() {
    let Some(server) = server() else { return };
    let ttl = Duration::from_millis(300);
    let holder = lock(&server, "renewed").auto_renew(true);
    let other = lock(&server, "renewed");
    let g = holder.try_acquire(ttl).unwrap().expect("free lock");
    let start = Instant::now();
    while start.elapsed() < ttl * 3 + ttl / 2 {
        assert!(other.try_acquire(ttl).unwrap().is_none(), "renewal lapsed");
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(!g.is_lost());
    assert!(g.release().unwrap(), "still ours after 3.5 TTLs");
    assert!(
        other.try_acquire(ttl).unwrap().is_some(),
        "free after release"
    );
}

#[test]
fn a_lock_deleted_behind_the_holders_back_is_reported_lost() {
    let Some(server) = server() else { return };
    let ttl = Duration::from_millis(300);
    let l = lock(&server, "stolen").auto_renew(true);
    let g = l.try_acquire(ttl).unwrap().expect("free lock");
    assert!(g.check_fence_before_write().is_ok());
    let mut conn = server.connect().unwrap();
    let _: i64 = redis::cmd("DEL").arg(l.name()).query(&mut conn).unwrap();
    let start = Instant::now();
    while !g.is_lost() {
        assert!(
            start.elapsed() < ttl * 5,
            "the renewer never reported the loss"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(g.check_fence_before_write().is_err());
    assert!(!g.release().unwrap(), "nothing of ours left to delete");
}
