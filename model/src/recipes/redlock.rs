//! Redlock (redis.io, "Distributed Locks with Redis"): one lock over N = 3 independent
//! masters, bound to the recipe's connections `m@0`, `m@1`, `m@2` (server 0, 1, 2).
//!
//! ```text
//! 1. t0 = now (ms)
//! 2. for each master in turn: SET lock:res tok NX PX ttl        (ttl = lease × 1000)
//! 3. elapsed = now − t0; drift = ttl / 100 + 2; validity = ttl − elapsed − drift
//! 4. OK from a majority (≥ 2 of 3) and validity > 0: acquired until t0 + validity, enter
//!    otherwise: unlock every master, and retry (up to 1 + retries attempts) or give up
//! 5. exit; unlock every master (compare-and-delete); released
//! ```
//!
//! Property `mutual-exclusion` (and `pause-contained`).
//!
//! - `none`, `crash`: holds. Two majorities of three share a master, which holds one token at
//!   a time; a crashed holder's keys expire.
//! - `pause`: violated. A holder paused past its validity carries on while its keys expire
//!   and another client takes a majority (Kleppmann's objection; no lock with a lease can
//!   stop a paused holder, only a fencing token checked by the resource can).
//! - `restart`: violated. A holds masters 0 and 1 (B got 2 first), master 1 restarts without
//!   persistence and forgets A's key, B takes 1 and 2: a second majority. redis.io's answer
//!   is fsync=always or delayed restarts (a restarted master stays out for a TTL).

use crate::cmd;
use crate::faults::FaultModel;
use crate::invariants::{MUTUAL_EXCLUSION, PAUSE_CONTAINED};
use crate::program::{Client, Flow, Program, Runner};
use crate::recipe::Params;
use crate::recipes::lock::{CLIENT_RELEASE, KEY};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, Scenario, Variant};

/// The masters, as connection names bound to servers 0, 1, 2.
pub const MASTERS: &[&str] = &["m@0", "m@1", "m@2"];

/// The Redlock client of redis.io's description (see the module doc).
#[derive(Debug)]
pub struct Redlock;

impl Program for Redlock {
    fn connections(&self) -> &'static [&'static str] {
        MASTERS
    }

    fn run(&self, c: &mut Client) -> Flow {
        let tries = 1 + c.params().retries as usize;
        if c.attempts(tries, |c, _| attempt(c))?.is_none() {
            c.gave_up();
            return Ok(());
        }
        c.enter();
        c.exit();
        unlock_all(c)?;
        c.released();
        Ok(())
    }
}

/// One attempt: steps 1–4; `Some` once the lock is held.
fn attempt(c: &mut Client) -> Flow<Option<()>> {
    let tok = c.token().to_string();
    let ttl = c.params().lease * 1000;
    let t0 = c.now();
    let mut granted = 0;
    for m in MASTERS {
        if c.call_on(m, cmd!["SET", KEY, tok, "NX", "PX", ttl])? == Reply::ok() {
            granted += 1;
        }
    }
    let elapsed = c.now() - t0;
    let drift = ttl / 100 + 2;
    let validity = ttl as i64 - elapsed as i64 - drift as i64;
    if granted > MASTERS.len() / 2 && validity > 0 {
        c.acquired_until(t0 + validity as u64);
        return Ok(Some(()));
    }
    unlock_all(c)?;
    Ok(None)
}

/// Compare-and-delete on every master.
fn unlock_all(c: &mut Client) -> Flow {
    let tok = c.token().to_string();
    for m in MASTERS {
        c.call_on(m, cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok])?;
    }
    Ok(())
}

/// The property under every fault model but `failover` (Redlock's masters have no replicas).
const fn on_masters(p: PropertyDef) -> PropertyDef {
    PropertyDef {
        faults: &[
            FaultModel::None,
            FaultModel::Crash,
            FaultModel::Pause,
            FaultModel::Restart,
        ],
        ..p
    }
}

/// The scenario: two clients, one lease of 1 s, one retry.
pub fn scenario() -> Scenario {
    Scenario {
        name: "redlock",
        summary: "N clients each take a Redlock over 3 independent masters, work, unlock all",
        setup: vec![],
        subject: KEY,
        properties: vec![on_masters(MUTUAL_EXCLUSION), on_masters(PAUSE_CONTAINED)],
        variants: vec![Variant::new(
            "redis-io",
            "redis.io's algorithm: SET NX PX on each of 3 masters, majority, validity, unlock all",
            Runner::new(Redlock),
        )],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 2,
        roles: vec![],
        history: vec![],
    }
}
