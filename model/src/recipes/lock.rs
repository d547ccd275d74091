//! Locks: each client acquires `lock:res` with its own token, works in its critical section,
//! and releases. Properties: `mutual-exclusion` (never two clients in the critical section),
//! `owner-only-release` (a release never removes a lock another client holds),
//! `pause-contained` (two clients that have not outlived their lease are never both in the
//! critical section) and `crashed-lock-frees` (a crashed holder's lock is never left without
//! an expiry).
//!
//! Sources: seed 001 (Redis in Action listing 11.4, SETNX + EXPIRE with the TTL repair, and
//! its release with WATCH/GET/MULTI/DEL/EXEC from section 6.2; listings 11.5/11.6, the Lua
//! acquire and release), seed 003 (python-redis-lock: SET NX EX) and seed 004.
//!
//! | variant | acquire | release | what breaks |
//! |---|---|---|---|
//! | `setnx-expire` | `SETNX lock tok; EXPIRE lock L` | WATCH release | a crash between SETNX and EXPIRE leaves a lock that never expires |
//! | `setnx-ttl-repair` | 11.4 as printed: on failure `if not TTL: EXPIRE` | WATCH release | same: TTL answers −1 for "no expiry", and `not -1` is false in Python, so the repair never runs (redis-py before 3.0 mapped −1 to None, which made it work) |
//! | `setnx-ttl-repair-fixed` | repair when `TTL < 0` | WATCH release | holds `crashed-lock-frees` |
//! | `set-nx-ex-del` | `SET lock tok NX EX L` | `DEL lock` | a holder paused past its lease deletes the next holder's lock |
//! | `set-nx-ex-get-del` | `SET … NX EX` | `GET`, then `DEL` if ours | the lock can expire and change hands between GET and DEL |
//! | `watch-release` | `SET … NX EX` | `WATCH; GET; MULTI; DEL; EXEC` | holds owner-only-release: an expiry or a new owner dirties the WATCH |
//! | `lua` | 11.5's script (EXISTS, SETEX) | 11.6's compare-and-delete script | holds owner-only-release |
//! | `client` | `SET lock tok NX PX lease_ms` | [`CLIENT_RELEASE`] (the script `live::lock` runs) | holds owner-only-release and pause-contained |
//!
//! No expiring lock keeps `mutual-exclusion` when a holder can be paused past its lease: that
//! is the fault model `pause`, and only a fencing token checked by the resource helps there.

use crate::cmd;
use crate::program::{Client, Flow, Program};
use crate::reply::Reply;

pub const KEY: &str = "lock:res";

/// Seed 001, listing 11.5's script body.
pub const LUA_ACQUIRE: &str = "
if redis.call('exists', KEYS[1]) == 0 then
    return redis.call('setex', KEYS[1], unpack(ARGV))
end
";

/// Seed 001, listing 11.6's script body.
pub const LUA_RELEASE: &str = "
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1]) or true
end
";

/// `lock/client`'s release, the compare-and-delete script `live::lock` sends verbatim
/// (`KEYS[1]` the lock, `ARGV[1]` the holder's token): shared so the two cannot drift.
pub const CLIENT_RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// `live::lock`'s extend: compare-and-PEXPIRE (`ARGV[2]` the new TTL in ms).
pub const CLIENT_EXTEND: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/// How the lock is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acquire {
    /// `SETNX`, then `EXPIRE` on success; on failure optionally the TTL repair.
    SetnxExpire { repair: Repair },
    /// `SET lock tok NX EX lease`.
    SetNxEx,
    /// `SET lock tok NX PX lease_ms`: `live::lock`'s acquire (one tick is 1000 ms).
    SetNxPx,
    /// Listing 11.5's script.
    Lua,
}

/// Listing 11.4's repair of a lock left without an expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repair {
    None,
    /// `elif not conn.ttl(lockname)`, with TTL's integer reply: only 0 is falsy.
    AsPrinted,
    /// `elif conn.ttl(lockname) < 0`.
    Fixed,
}

/// How the lock is given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    Del,
    GetThenDel,
    /// Redis in Action's `release_lock`: WATCH, GET, and MULTI/DEL/EXEC if still ours.
    Watch,
    /// Listing 11.6's compare-and-delete script.
    Lua,
    /// [`CLIENT_RELEASE`], `live::lock`'s compare-and-delete.
    Client,
}

/// A lock recipe: take the lock (retried), work in the critical section, release:
///
/// ```text
/// 1. acquire, up to 1 + retries attempts; none succeeded: give up
/// 2. enter the critical section (as the acquiring reply arrives)
/// 3. exit, as the first release command is sent
/// 4. release; the client no longer believes it holds the lock
/// ```
#[derive(Debug)]
pub struct Lock {
    pub acquire: Acquire,
    pub release: Release,
}

impl Program for Lock {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn run(&self, c: &mut Client) -> Flow {
        let tries = 1 + c.params().retries as usize;
        if c.attempts(tries, |c, _| acquire(c, self.acquire))?
            .is_none()
        {
            c.gave_up();
            return Ok(());
        }
        c.enter();
        c.exit();
        release(c, self.release)?;
        c.released();
        Ok(())
    }
}

/// One attempt to take the lock (`Some` once taken); states `acquired` as soon as the client
/// believes it holds it.
fn acquire(c: &mut Client, how: Acquire) -> Flow<Option<()>> {
    let tok = c.token().to_string();
    let lease = c.params().lease;
    let ok = match how {
        Acquire::SetnxExpire { repair } => {
            if c.call(cmd!["SETNX", KEY, tok])? == Reply::Int(1) {
                c.acquired(Some(lease));
                c.call(cmd!["EXPIRE", KEY, lease])?;
                return Ok(Some(()));
            }
            let repair_now = match repair {
                Repair::None => false,
                // Python's `not ttl`: only 0 is falsy, and TTL says -1 for "no expiry".
                Repair::AsPrinted => c.call(cmd!["TTL", KEY])?.as_int() == Some(0),
                Repair::Fixed => c.call(cmd!["TTL", KEY])?.as_int().unwrap_or(0) < 0,
            };
            if repair_now {
                c.call(cmd!["EXPIRE", KEY, lease])?;
            }
            return Ok(None);
        }
        Acquire::SetNxEx => c.call(cmd!["SET", KEY, tok, "NX", "EX", lease])?,
        Acquire::SetNxPx => c.call(cmd!["SET", KEY, tok, "NX", "PX", lease * 1000])?,
        Acquire::Lua => c.call(cmd!["EVAL", LUA_ACQUIRE, 1, KEY, lease, tok])?,
    } == Reply::ok();
    if ok {
        c.acquired(Some(lease));
    }
    Ok(ok.then_some(()))
}

/// Gives the lock back, the way `how` says.
fn release(c: &mut Client, how: Release) -> Flow {
    let tok = c.token().to_string();
    match how {
        Release::Del => {
            c.call(cmd!["DEL", KEY])?;
        }
        Release::GetThenDel => {
            if c.call(cmd!["GET", KEY])?.as_str() == Some(&tok) {
                c.call(cmd!["DEL", KEY])?;
            }
        }
        Release::Watch => {
            let tries = 1 + c.params().retries as usize;
            c.attempts(tries, |c, _| {
                c.call(cmd!["WATCH", KEY])?;
                if c.call(cmd!["GET", KEY])?.as_str() != Some(c.token()) {
                    c.call(cmd!["UNWATCH"])?;
                    return Ok(Some(()));
                }
                c.call(cmd!["MULTI"])?;
                c.call(cmd!["DEL", KEY])?;
                Ok((c.call(cmd!["EXEC"])? != Reply::Nil).then_some(()))
            })?;
        }
        Release::Lua => {
            c.call(cmd!["EVAL", LUA_RELEASE, 1, KEY, tok])?;
        }
        Release::Client => {
            c.call(cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok])?;
        }
    }
    Ok(())
}

/// The scenario, whole: its rows (variants), setup, subject, invariants and bounds.
pub fn scenario() -> crate::scenario::Scenario {
    use crate::invariants::*;
    use crate::program::Runner;
    use crate::recipe::Params;
    use crate::recipes::python_redis_lock::PythonRedisLock;
    use crate::scenario::{Scenario, Variant};
    let setnx = |repair| Acquire::SetnxExpire { repair };
    Scenario {
        name: "lock",
        summary: "N clients each take a lock, work in the critical section, and release it",
        setup: vec![],
        subject: KEY,
        properties: vec![
            MUTUAL_EXCLUSION,
            OWNER_ONLY_RELEASE,
            PAUSE_CONTAINED,
            CRASHED_LOCK_FREES,
            crate::recipes::python_redis_lock::NO_LOST_WAKEUP,
        ],
        variants: vec![
            Variant::new(
                "setnx-expire",
                "SETNX then EXPIRE; WATCH release",
                Runner::new(Lock {
                    acquire: setnx(Repair::None),
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "setnx-ttl-repair",
                "seed 001 listing 11.4 as printed: repair when `not ttl`; WATCH release",
                Runner::new(Lock {
                    acquire: setnx(Repair::AsPrinted),
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "setnx-ttl-repair-fixed",
                "listing 11.4 with the repair when ttl < 0; WATCH release",
                Runner::new(Lock {
                    acquire: setnx(Repair::Fixed),
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "set-nx-ex-del",
                "SET NX EX; plain DEL",
                Runner::new(Lock {
                    acquire: Acquire::SetNxEx,
                    release: Release::Del,
                }),
            ),
            Variant::new(
                "set-nx-ex-get-del",
                "SET NX EX; GET, then DEL if ours",
                Runner::new(Lock {
                    acquire: Acquire::SetNxEx,
                    release: Release::GetThenDel,
                }),
            ),
            Variant::new(
                "watch-release",
                "SET NX EX; WATCH, GET, MULTI, DEL, EXEC",
                Runner::new(Lock {
                    acquire: Acquire::SetNxEx,
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "lua",
                "seed 001 listings 11.5/11.6: Lua acquire and compare-and-delete",
                Runner::new(Lock {
                    acquire: Acquire::Lua,
                    release: Release::Lua,
                }),
            ),
            Variant::new(
                "client",
                "live::lock's commands: SET NX PX; compare-and-delete script",
                Runner::new(Lock {
                    acquire: Acquire::SetNxPx,
                    release: Release::Client,
                }),
            ),
            Variant::new(
                "python-redis-lock",
                "seed 003: SET NX EX, BLPOP on a signal list, the unlock script",
                Runner::new(PythonRedisLock { expire: true }),
            ),
            Variant::new(
                "python-redis-lock-no-expire",
                "seed 003 with the library's default expire=None: SET NX, BLPOP forever",
                Runner::new(PythonRedisLock { expire: false }),
            ),
        ],
        default_clients: 3,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 2,
        roles: vec![],
        history: vec![],
    }
}
