//! Seed 001's Table 11.2, measured: Redis in Action's original lock against its Lua lock,
//! tries and acquisitions with 1, 2, 5 and 10 clients acquiring and releasing one lock.
//!
//! `cargo bench -p redis-races-live --bench lock_table`. Each configuration runs for
//! `REDIS_RACES_BENCH_SECS` seconds (default 2; the book ran 10) on the default live server
//! (`ServerSpec::Auto`; `REDIS_RACES_BENCH_SERVER` names another, as `--server` does). Every
//! client is a thread with its own connection, as the book's were processes.
//!
//! What one client does, over and over until the time is up (the book's loop):
//! 1. `acquire_lock_with_timeout` (acquire_timeout = lock_timeout = 10 s): tries until it
//!    gets the lock; each try is counted in **tries**, each success in **acquires**.
//!    - original (listing 11.4): `SETNX lock id`; on success `EXPIRE lock 10`; otherwise
//!      `TTL lock` and, `not ttl` being false for TTL's -1 or any positive TTL as printed,
//!      nothing more. 2 round trips a try.
//!    - Lua (listing 11.5): `EVALSHA` of the EXISTS/SETEX script, 1 round trip a try.
//!
//!    Both sleep 1 ms after a failed try: listing 11.5 does (`time.sleep(.001 * (not
//!    acquired))`), and the original's loop in section 6.2.5 ends with `time.sleep(.001)`
//!    (the excerpt of listing 11.4 in the seed shows the loop without its last line).
//! 2. release: original (section 6.2's `release_lock`): `WATCH lock`, `GET lock`, and if it is
//!    ours `MULTI`/`DEL`/`EXEC` as one pipelined write (redis-py's `pipeline(True)`), else
//!    `UNWATCH`: 3 round trips. Lua (listing 11.6): `EVALSHA` of the compare-and-delete
//!    script, 1 round trip.
//!
//! The scripts are the catalogue's (`model::recipes::lock::{LUA_ACQUIRE, LUA_RELEASE}`), so the
//! bench measures the rows `lock/setnx-ttl-repair` and `lock/lua` check.

use model::recipes::lock::{LUA_ACQUIRE, LUA_RELEASE};
use redis::{Connection, Value};
use redis_races_live::{LiveServer, SafetyOptions, ServerSpec};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const CLIENTS: [usize; 4] = [1, 2, 5, 10];
const LOCK_TIMEOUT_S: u64 = 10;
const FAILED_TRY_SLEEP: Duration = Duration::from_millis(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Original,
    Lua,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Original => "Original lock",
            Kind::Lua => "Lua lock",
        }
    }
}

/// SHA1s of the two scripts, loaded once.
#[derive(Clone)]
struct Shas {
    acquire: String,
    release: String,
}

/// One try to take `lock` for `id`: whether it was taken.
fn try_acquire(con: &mut Connection, kind: Kind, shas: &Shas, lock: &str, id: &str) -> bool {
    match kind {
        Kind::Original => {
            let set: i64 = redis::cmd("SETNX").arg(lock).arg(id).query(con).unwrap();
            if set == 1 {
                let _: i64 = redis::cmd("EXPIRE")
                    .arg(lock)
                    .arg(LOCK_TIMEOUT_S)
                    .query(con)
                    .unwrap();
                return true;
            }
            // `elif not conn.ttl(lockname)`: TTL answers -1, -2 or a positive number, never
            // 0 while the lock is held, so as printed the repair never runs.
            let ttl: i64 = redis::cmd("TTL").arg(lock).query(con).unwrap();
            if ttl == 0 {
                let _: i64 = redis::cmd("EXPIRE")
                    .arg(lock)
                    .arg(LOCK_TIMEOUT_S)
                    .query(con)
                    .unwrap();
            }
            false
        }
        Kind::Lua => {
            let r: Value = redis::cmd("EVALSHA")
                .arg(&shas.acquire)
                .arg(1)
                .arg(lock)
                .arg(LOCK_TIMEOUT_S)
                .arg(id)
                .query(con)
                .unwrap();
            matches!(r, Value::Okay) || r == Value::SimpleString("OK".into())
        }
    }
}

/// Releases `lock` if `id` still holds it.
fn release(con: &mut Connection, kind: Kind, shas: &Shas, lock: &str, id: &str) {
    match kind {
        Kind::Original => loop {
            let _: () = redis::cmd("WATCH").arg(lock).query(con).unwrap();
            let holder: Option<String> = redis::cmd("GET").arg(lock).query(con).unwrap();
            if holder.as_deref() != Some(id) {
                let _: () = redis::cmd("UNWATCH").query(con).unwrap();
                return;
            }
            let done: Value = redis::pipe().atomic().del(lock).query(con).unwrap();
            if done != Value::Nil {
                return;
            }
            // WatchError: someone touched the lock; look again.
        },
        Kind::Lua => {
            let _: Value = redis::cmd("EVALSHA")
                .arg(&shas.release)
                .arg(1)
                .arg(lock)
                .arg(id)
                .query(con)
                .unwrap();
        }
    }
}

/// (tries, acquires) of `clients` clients over `secs`.
fn run(server: &LiveServer, kind: Kind, shas: &Shas, clients: usize, secs: f64) -> (u64, u64) {
    let lock = format!("{}lock:bench", server.key_prefix());
    let start = Arc::new(Barrier::new(clients + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let mut con = server.connect().expect("a connection");
            let (lock, shas, start, stop) =
                (lock.clone(), shas.clone(), start.clone(), stop.clone());
            thread::spawn(move || {
                let (mut tries, mut acquires, mut n) = (0u64, 0u64, 0u64);
                start.wait();
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let id = format!("{i}-{n}");
                    let end = Instant::now() + Duration::from_secs(10); // acquire_timeout
                    let mut acquired = false;
                    while !acquired && Instant::now() < end && !stop.load(Ordering::Relaxed) {
                        tries += 1;
                        acquired = try_acquire(&mut con, kind, &shas, &lock, &id);
                        if !acquired {
                            thread::sleep(FAILED_TRY_SLEEP);
                        }
                    }
                    if acquired {
                        acquires += 1;
                        release(&mut con, kind, &shas, &lock, &id);
                    }
                }
                (tries, acquires)
            })
        })
        .collect();
    start.wait();
    thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut total = (0, 0);
    for h in handles {
        let (t, a) = h.join().expect("a client thread");
        total.0 += t;
        total.1 += a;
    }
    let mut con = server.connect().expect("a connection");
    let _: i64 = redis::cmd("DEL").arg(&lock).query(&mut con).unwrap();
    total
}

fn main() {
    let spec = match std::env::var("REDIS_RACES_BENCH_SERVER") {
        Ok(name) => ServerSpec::parse(&name).expect("REDIS_RACES_BENCH_SERVER"),
        Err(_) => ServerSpec::Auto,
    };
    let secs: f64 = std::env::var("REDIS_RACES_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(2.0);
    let server = match LiveServer::start(&spec, &SafetyOptions::default()) {
        Ok(s) => s,
        Err(e) => return println!("lock_table bench skipped: {e}"),
    };
    let mut con = server.connect().expect("a connection");
    let load = |con: &mut Connection, script: &str| -> String {
        redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(script)
            .query(con)
            .expect("SCRIPT LOAD")
    };
    let shas = Shas {
        acquire: load(&mut con, LUA_ACQUIRE),
        release: load(&mut con, LUA_RELEASE),
    };
    println!(
        "Table 11.2 (seed 001) on {}: {secs} s per configuration (the book: 10 s)",
        server.describe()
    );
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>10}",
        "configuration", "tries", "acquires", "tries/s", "acquires/s"
    );
    let mut acquired = Vec::new();
    for kind in [Kind::Original, Kind::Lua] {
        for clients in CLIENTS {
            let (tries, acquires) = run(&server, kind, &shas, clients, secs);
            let plural = if clients == 1 { "client" } else { "clients" };
            println!(
                "{:<26} {tries:>10} {acquires:>10} {:>10.0} {:>10.0}",
                format!("{}, {clients} {plural}", kind.label()),
                tries as f64 / secs,
                acquires as f64 / secs
            );
            acquired.push((kind, clients, acquires));
        }
    }
    let book = ["more than 40 %", "87 %", "over 100 %", "over 100 %"];
    println!("Lua lock's acquires over the original's (the book's claim in brackets):");
    for (k, clients) in CLIENTS.iter().enumerate() {
        let of = |kind| {
            acquired
                .iter()
                .find(|(k2, c, _)| *k2 == kind && c == clients)
                .map(|(_, _, a)| *a as f64)
                .unwrap()
        };
        let (orig, lua) = (of(Kind::Original), of(Kind::Lua));
        println!(
            "  {clients:>2} client(s): {:+.0} % [{}]",
            (lua / orig - 1.0) * 100.0,
            book[k]
        );
    }
}
