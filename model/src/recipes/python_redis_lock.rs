//! python-redis-lock (seed 003): `SET lock tok NX EX expire`; a client that fails waits on a
//! signal list with `BLPOP signal timeout` instead of spinning, then tries again; release is
//! the library's unlock script, which deletes the lock and pushes one wake-up onto the signal
//! list (kept for `signal_expire` = 1000 ms).
//!
//! Property `no-lost-wakeup`: no waiter sleeps forever while the lock is free.
//!
//! | variant | acquire | verdict |
//! |---|---|---|
//! | `python-redis-lock` | `SET … NX EX 1`, `BLPOP signal 1` (the library waits `timeout or expire`) | holds: a waiter wakes up at the latest when its BLPOP times out |
//! | `python-redis-lock-no-expire` | the library's default `expire=None`: `SET … NX`, `BLPOP signal 0` | lost wake-up: a waiter that reaches BLPOP more than a second after the release finds the signal expired and sleeps forever while the lock is free; and a crashed holder's lock never frees (the library's README suggests `reset_all()` at start-up or `auto_renewal`) |

use crate::cmd;
use crate::faults::FaultModel;
use crate::observation::Observation;
use crate::program::{Client, Flow, Program};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;
use crate::world::Status;

use super::lock::KEY;

/// The signal list python-redis-lock pairs with a lock.
pub const SIGNAL: &str = "lock-signal:res";

/// How long the unlock script keeps the wake-up element (ms), as the library's default.
pub const SIGNAL_EXPIRE_MS: u64 = 1000;

/// python-redis-lock's UNLOCK_SCRIPT (KEYS: lock, signal; ARGV: id, signal_expire).
pub const UNLOCK_SCRIPT: &str = "
if redis.call(\"get\", KEYS[1]) ~= ARGV[1] then
    return 1
else
    redis.call(\"del\", KEYS[2])
    redis.call(\"lpush\", KEYS[2], 1)
    redis.call(\"pexpire\", KEYS[2], ARGV[2])
    redis.call(\"del\", KEYS[1])
    return 0
end
";

/// No client is parked for good (BLPOP without timeout, or waiting for a pub/sub message
/// without timeout) while nobody holds the lock.
pub const NO_LOST_WAKEUP: PropertyDef = PropertyDef {
    name: "no-lost-wakeup",
    summary: "no waiter sleeps forever while the lock is free",
    kind: PropertyKind::AtEnd,
    faults: &FaultModel::EVERY,
    check: no_lost_wakeup,
};

fn no_lost_wakeup(sys: &System, w: &dyn Observation) -> Result<(), String> {
    if w.contains_key(sys.scenario.subject) {
        return Ok(());
    }
    for i in 0..w.clients() {
        if let Status::Waiting { conn } = w.client(i).status {
            let on_list = w
                .parked(i, conn as usize)
                .is_some_and(|b| b.deadline.is_none());
            if on_list {
                return Err(format!(
                    "{} waits forever on {SIGNAL} while {} is free",
                    crate::client_name(i),
                    sys.scenario.subject
                ));
            }
            if let Some((None, channels)) = w.receiving(i, conn as usize) {
                return Err(format!(
                    "{} waits forever for a message on {} while {} is free",
                    crate::client_name(i),
                    channels.join(", "),
                    sys.scenario.subject
                ));
            }
        }
    }
    Ok(())
}

/// The library's acquire loop and release; `expire: None` is its default (no expiry).
#[derive(Debug)]
pub struct PythonRedisLock {
    pub expire: bool,
}

/// The library's `acquire(blocking=True)` loop (bounded by `retries`), the critical section,
/// and `release()`:
///
/// ```text
/// 1. SET lock tok NX [EX expire]: OK → acquired, enter
/// 2. otherwise BLPOP signal (expire or 0), and try again
/// 3. exit; EVAL UNLOCK_SCRIPT (delete the lock, push one wake-up, expire it) → released
/// ```
impl Program for PythonRedisLock {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn run(&self, c: &mut Client) -> Flow {
        let tries = 1 + c.params().retries as usize;
        let got = c.attempts(tries, |c, _| {
            let (tok, lease) = (c.token().to_string(), c.params().lease);
            let set = if self.expire {
                cmd!["SET", KEY, tok, "NX", "EX", lease]
            } else {
                cmd!["SET", KEY, tok, "NX"]
            };
            if c.call(set)? == Reply::ok() {
                c.acquired(self.expire.then_some(lease));
                return Ok(Some(()));
            }
            let timeout = if self.expire { lease } else { 0 };
            c.call(cmd!["BLPOP", SIGNAL, timeout])?;
            Ok(None)
        })?;
        if got.is_none() {
            c.gave_up();
            return Ok(());
        }
        c.enter();
        c.exit();
        let tok = c.token().to_string();
        c.call(cmd![
            "EVAL",
            UNLOCK_SCRIPT,
            2,
            KEY,
            SIGNAL,
            tok,
            SIGNAL_EXPIRE_MS
        ])?;
        c.released();
        Ok(())
    }
}
