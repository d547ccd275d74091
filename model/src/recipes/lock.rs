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
use crate::recipe::{may_retry, ClientCtx, Event, Local, Next, Recipe};
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

/// A lock recipe: one acquisition (retried), the critical section, one release.
#[derive(Debug)]
pub struct Lock {
    pub acquire: Acquire,
    pub release: Release,
}

// Program counters. `Local::value` is 1 once the client has left its critical section.
const ACQ: u16 = 0;
const ACQ_EXPIRE: u16 = 1;
const ACQ_TTL: u16 = 2;
const ACQ_REPAIR: u16 = 3;
const REL: u16 = 10;
const REL_DEL: u16 = 11;
const REL_MULTI: u16 = 12;
const REL_MULTI_DEL: u16 = 13;
const REL_UNWATCH: u16 = 14;
const REL_EXEC: u16 = 15;
const REL_GET: u16 = 16;
const DONE: u16 = 20;

impl Lock {
    fn acquired(&self, me: &ClientCtx, l: &mut Local, enter: bool) -> Vec<Event> {
        l.attempt = 0;
        let mut ev = Vec::new();
        if l.pc != ACQ_EXPIRE {
            ev.push(Event::Acquired {
                lease: Some(me.params.lease),
            });
        }
        if enter {
            ev.push(Event::Enter);
            l.pc = REL;
        }
        ev
    }

    fn retry_or_give_up(&self, me: &ClientCtx, l: &mut Local) -> Vec<Event> {
        if may_retry(me, l) {
            l.pc = ACQ;
            vec![]
        } else {
            l.pc = DONE;
            vec![Event::GaveUp]
        }
    }

    fn released(l: &mut Local) -> Vec<Event> {
        l.pc = DONE;
        vec![Event::Released]
    }
}

impl Recipe for Lock {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn next(&self, me: &ClientCtx, l: &mut Local) -> Next {
        let lease = me.params.lease;
        let tok = &me.token;
        let step = match (l.pc, self.acquire, self.release) {
            (ACQ, Acquire::SetnxExpire { .. }, _) => cmd!["SETNX", KEY, tok],
            (ACQ, Acquire::SetNxEx, _) => cmd!["SET", KEY, tok, "NX", "EX", lease],
            (ACQ, Acquire::SetNxPx, _) => cmd!["SET", KEY, tok, "NX", "PX", lease * 1000],
            (ACQ, Acquire::Lua, _) => cmd!["EVAL", LUA_ACQUIRE, 1, KEY, lease, tok],
            (ACQ_EXPIRE | ACQ_REPAIR, ..) => cmd!["EXPIRE", KEY, lease],
            (ACQ_TTL, ..) => cmd!["TTL", KEY],
            (REL, _, Release::Del) | (REL_DEL, ..) => cmd!["DEL", KEY],
            (REL, _, Release::GetThenDel) => cmd!["GET", KEY],
            (REL, _, Release::Watch) => cmd!["WATCH", KEY],
            (REL, _, Release::Lua) => cmd!["EVAL", LUA_RELEASE, 1, KEY, tok],
            (REL, _, Release::Client) => cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok],
            (REL_GET, ..) => cmd!["GET", KEY],
            (REL_MULTI, ..) => cmd!["MULTI"],
            (REL_MULTI_DEL, ..) => cmd!["DEL", KEY],
            (REL_EXEC, ..) => cmd!["EXEC"],
            (REL_UNWATCH, ..) => cmd!["UNWATCH"],
            _ => return Next::finish(),
        };
        let mut next = Next::send(0, step);
        if l.pc == REL && l.value == 0 {
            l.value = 1;
            next = next.with([Event::Exit]);
        }
        next
    }

    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        let mine = r.as_str() == Some(me.token.as_str());
        match (l.pc, self.acquire, self.release) {
            (ACQ, Acquire::SetnxExpire { .. }, _) if r == &Reply::Int(1) => {
                let ev = self.acquired(me, l, false);
                l.pc = ACQ_EXPIRE;
                ev
            }
            (
                ACQ,
                Acquire::SetnxExpire {
                    repair: Repair::None,
                },
                _,
            ) => self.retry_or_give_up(me, l),
            (ACQ, Acquire::SetnxExpire { .. }, _) => {
                l.pc = ACQ_TTL;
                vec![]
            }
            (ACQ, Acquire::SetNxEx | Acquire::SetNxPx | Acquire::Lua, _) if r == &Reply::ok() => {
                self.acquired(me, l, true)
            }
            (ACQ, ..) => self.retry_or_give_up(me, l),
            (ACQ_EXPIRE, ..) => self.acquired(me, l, true),
            (ACQ_TTL, Acquire::SetnxExpire { repair }, _) => {
                let ttl = r.as_int().unwrap_or(0);
                let repair_now = match repair {
                    Repair::AsPrinted => ttl == 0,
                    Repair::Fixed => ttl < 0,
                    Repair::None => false,
                };
                if repair_now {
                    l.pc = ACQ_REPAIR;
                    vec![]
                } else {
                    self.retry_or_give_up(me, l)
                }
            }
            (ACQ_REPAIR, ..) => self.retry_or_give_up(me, l),
            (REL, _, Release::GetThenDel) if mine => {
                l.pc = REL_DEL;
                vec![]
            }
            (REL, _, Release::Watch) => {
                l.pc = REL_GET;
                vec![]
            }
            (REL_GET, ..) => {
                l.pc = if mine { REL_MULTI } else { REL_UNWATCH };
                vec![]
            }
            (REL_MULTI, ..) => {
                l.pc = REL_MULTI_DEL;
                vec![]
            }
            (REL_MULTI_DEL, ..) => {
                l.pc = REL_EXEC;
                vec![]
            }
            (REL_EXEC, ..) if r == &Reply::Nil && may_retry(me, l) => {
                l.pc = REL;
                vec![]
            }
            _ => Self::released(l),
        }
    }
}
