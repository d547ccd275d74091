//! A lock that asks for replication: `SET lock tok NX PX ttl`, then `WAIT 1 100`, and fewer
//! than one acknowledgement counts as failure (release and retry). Only meaningful with
//! replicas, so its rows are checked under `failover` only (`--faults failover`).
//!
//! ```text
//! 1. t0 = now; SET lock:res tok NX PX ttl; not OK: the attempt failed
//! 2. n = WAIT need 100; n < need, or the ttl has run out since t0: compare-and-delete,
//!    the attempt failed
//! 3. acquired until t0 + ttl, enter; exit; compare-and-delete release; released
//!
//! The lease counts from t0, before the SET: the first version counted it from WAIT's reply
//! and the checker found the lock expiring between SET and WAIT (no fault needed), after
//! which WAIT still answered 1 and two clients held it.
//! ```
//!
//! Property `mutual-exclusion` under `failover`:
//! - `wait-1` with one replica (`--replicas 1`, the default): holds. WAIT 1 answering 1 means
//!   the only replica has the lock, so whichever replica is promoted has it.
//! - `wait-1` with two replicas (`--replicas 2`): violated. Replica 1 acknowledges, replica 2
//!   has not yet applied the SET, and replica 2 is promoted (Sentinel may pick any replica,
//!   not necessarily the most up to date): the lock is gone and another client takes it.
//! - `wait-all` (WAIT 2) with two replicas: holds; every replica has the lock before the
//!   holder enters. (Redis's docs still warn that WAIT does not make it strongly consistent:
//!   the model's replicas never lose an acknowledged write on their own, nor restart.)

use crate::cmd;
use crate::faults::FaultModel;
use crate::invariants::MUTUAL_EXCLUSION;
use crate::program::{Client, Flow, Program, Runner};
use crate::recipe::{reply_int, Params};
use crate::recipes::lock::{CLIENT_RELEASE, KEY};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, Scenario, Variant};

/// SET NX PX, then WAIT `need` replicas.
#[derive(Debug)]
pub struct WaitLock {
    pub need: u8,
}

impl Program for WaitLock {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn run(&self, c: &mut Client) -> Flow {
        let tries = 1 + c.params().retries as usize;
        let need = self.need;
        let got = c.attempts(tries, |c, _| {
            let (tok, ttl) = (c.token().to_string(), c.params().lease * 1000);
            let t0 = c.now();
            if c.call(cmd!["SET", KEY, tok, "NX", "PX", ttl])? != Reply::ok() {
                return Ok(None);
            }
            let acked = reply_int(&c.call(cmd!["WAIT", need, 100])?).unwrap_or(0);
            if acked < need as i64 || c.now() >= t0 + ttl {
                c.call(cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok])?;
                return Ok(None);
            }
            c.acquired_until(t0 + ttl);
            Ok(Some(()))
        })?;
        if got.is_none() {
            c.gave_up();
            return Ok(());
        }
        c.enter();
        c.exit();
        let tok = c.token().to_string();
        c.call(cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok])?;
        c.released();
        Ok(())
    }
}

/// `mutual-exclusion`, under `failover` only.
pub const MUTUAL_EXCLUSION_REPLICATED: PropertyDef = PropertyDef {
    faults: &[FaultModel::Failover],
    ..MUTUAL_EXCLUSION
};

/// The scenario: two clients, one retry.
pub fn scenario() -> Scenario {
    Scenario {
        name: "wait-lock",
        summary: "N clients each take a lock with SET NX PX, then WAIT for replicas",
        setup: vec![],
        subject: KEY,
        properties: vec![MUTUAL_EXCLUSION_REPLICATED],
        variants: vec![
            Variant::new(
                "wait-1",
                "SET NX PX; WAIT 1 100, fewer acks is failure",
                Runner::new(WaitLock { need: 1 }),
            ),
            Variant::new(
                "wait-all",
                "SET NX PX; WAIT 2 100, fewer acks is failure",
                Runner::new(WaitLock { need: 2 }),
            ),
        ],
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
