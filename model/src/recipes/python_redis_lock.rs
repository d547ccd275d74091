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
use crate::recipe::{may_retry, ClientCtx, Event, Local, Next, Recipe};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;
use crate::world::{Status, World};

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

/// No client is parked for good (BLPOP without timeout) while nobody holds the lock.
pub const NO_LOST_WAKEUP: PropertyDef = PropertyDef {
    name: "no-lost-wakeup",
    summary: "no waiter sleeps forever while the lock is free",
    kind: PropertyKind::AtEnd,
    faults: &FaultModel::ALL,
    check: no_lost_wakeup,
};

fn no_lost_wakeup(sys: &System, w: &World) -> Result<(), String> {
    if w.server.keys.contains_key(sys.scenario.subject) {
        return Ok(());
    }
    for (i, c) in w.clients.iter().enumerate() {
        if let Status::Waiting { conn } = c.status {
            let forever = w
                .server
                .conn(sys.conn_id(i, conn as usize))
                .and_then(|s| s.blocked.as_ref())
                .is_some_and(|b| b.deadline.is_none());
            if forever {
                return Err(format!(
                    "{} waits forever on {SIGNAL} while {} is free",
                    crate::client_name(i),
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

const SET: u16 = 0;
const WAIT: u16 = 1;
const RELEASE: u16 = 2;
const DONE: u16 = 3;

impl Recipe for PythonRedisLock {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn next(&self, me: &ClientCtx, l: &mut Local) -> Next {
        let tok = &me.token;
        match l.pc {
            SET if self.expire => Next::send(0, cmd!["SET", KEY, tok, "NX", "EX", me.params.lease]),
            SET => Next::send(0, cmd!["SET", KEY, tok, "NX"]),
            WAIT => {
                let timeout = if self.expire { me.params.lease } else { 0 };
                Next::send(0, cmd!["BLPOP", SIGNAL, timeout])
            }
            RELEASE => Next::send(
                0,
                cmd!["EVAL", UNLOCK_SCRIPT, 2, KEY, SIGNAL, tok, SIGNAL_EXPIRE_MS],
            )
            .with([Event::Exit]),
            _ => Next::finish(),
        }
    }

    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match l.pc {
            SET if r == &Reply::ok() => {
                l.pc = RELEASE;
                let lease = self.expire.then_some(me.params.lease);
                vec![Event::Acquired { lease }, Event::Enter]
            }
            SET => {
                l.pc = WAIT;
                vec![]
            }
            WAIT => {
                if may_retry(me, l) {
                    l.pc = SET;
                    vec![]
                } else {
                    l.pc = DONE;
                    vec![Event::GaveUp]
                }
            }
            _ => {
                l.pc = DONE;
                vec![Event::Released]
            }
        }
    }
}
