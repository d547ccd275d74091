//! Fencing (DESIGN.md §4): each client takes `lock/client`'s lock (`SET lock:res tok NX PX`),
//! gets a fencing token with `INCR lock:res:fence`, writes to the resource with it, and
//! releases with [`CLIENT_RELEASE`]. Property `fenced-writes`: the resource never accepts a
//! write whose token is older than one it has already accepted (`fence:log` lists the accepted
//! tokens in order).
//!
//! | variant | write | verdict |
//! |---|---|---|
//! | `checked` | [`FENCED_WRITE`]: rejects a token lower than the highest accepted | holds, even under `pause` |
//! | `unchecked` | `RPUSH fence:log token`: the resource trusts the lock | violated under `pause`: a holder paused past its lease writes after the next holder |
//!
//! Under `pause` the lock itself does not exclude (`lock/client` violates `mutual-exclusion`);
//! the checked resource is what keeps a stale holder's write out.

use crate::cmd;
use crate::faults::FaultModel;
use crate::observation::Observation;
use crate::program::{Client, Flow, Program};
use crate::recipe::reply_int;
use crate::recipes::lock::{CLIENT_RELEASE, KEY};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::server::Value;
use crate::system::System;

/// The fencing counter (`live::lock`'s `<name>:fence`).
pub const FENCE: &str = "lock:res:fence";
/// The highest token the checked resource has accepted.
pub const TOP: &str = "fence:top";
/// Every accepted write's token, in the order the resource accepted them.
pub const LOG: &str = "fence:log";

/// The resource's write: accepted (1) unless the token is lower than the highest accepted.
pub const FENCED_WRITE: &str = "local top = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) < top then return 0 end
redis.call('set', KEYS[1], ARGV[1])
redis.call('rpush', KEYS[2], ARGV[1])
return 1";

/// No accepted write carries a token older than one accepted before it.
pub const FENCED_WRITES: PropertyDef = PropertyDef {
    name: "fenced-writes",
    summary: "the resource never accepts a write whose fencing token is older than one it already accepted",
    kind: PropertyKind::Always,
    faults: &FaultModel::EVERY,
    check: fenced_writes,
};

/// Each holder writes once, so a token accepted twice is two holders sharing one token (the
/// counter went backwards: a failover or restart of the server that keeps it).
fn fenced_writes(_: &System, w: &dyn Observation) -> Result<(), String> {
    for server in (0..w.servers()).map(|s| w.keyspace(s)) {
        let Some(entry) = server.keys.get(LOG) else {
            continue;
        };
        let Value::List(log) = &entry.value else {
            return Err(format!("{LOG} is not a list"));
        };
        let mut top: Option<i64> = None;
        for t in log {
            let t: i64 = t
                .parse()
                .map_err(|_| format!("{LOG} holds {t:?}, not a token"))?;
            if let Some(top) = top.filter(|&top| t < top) {
                return Err(format!(
                    "the resource accepted token {t} after token {top}: a stale holder's write"
                ));
            }
            if top == Some(t) {
                return Err(format!(
                    "the resource accepted token {t} twice: two holders were given the same \
                     fencing token (the counter went backwards)"
                ));
            }
            top = top.max(Some(t));
        }
    }
    Ok(())
}

/// Lock, token, write, release:
///
/// ```text
/// 1. SET lock tok NX PX lease (retried): OK → acquired, enter
/// 2. t = INCR lock:res:fence
/// 3. write with t (checked: FENCED_WRITE; unchecked: RPUSH fence:log t) → committed if accepted
/// 4. exit; compare-and-delete release → released
/// ```
/// Step 1 of both rows: SET lock tok NX PX lease on the client's first connection (the
/// lock's server), retried; `acquired` with the OK, then `enter`. `false`, with `gave_up`
/// stated, when every try failed.
fn take_lock(c: &mut Client) -> Flow<bool> {
    let tries = 1 + c.params().retries as usize;
    let got = c.attempts(tries, |c, _| {
        let (tok, lease) = (c.token().to_string(), c.params().lease);
        let ok = c.call(cmd!["SET", KEY, tok, "NX", "PX", lease * 1000])? == Reply::ok();
        if ok {
            c.acquired(Some(lease));
        }
        Ok(ok.then_some(()))
    })?;
    if got.is_none() {
        c.gave_up();
        return Ok(false);
    }
    c.enter();
    Ok(true)
}

#[derive(Debug)]
pub struct Fencing {
    /// Whether the resource checks the token ([`FENCED_WRITE`]) or trusts the lock.
    pub checked: bool,
}

impl Program for Fencing {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn run(&self, c: &mut Client) -> Flow {
        if !take_lock(c)? {
            return Ok(());
        }
        let t = reply_int(&c.call(cmd!["INCR", FENCE])?).unwrap_or(0);
        let accepted = if self.checked {
            c.call(cmd!["EVAL", FENCED_WRITE, 2, TOP, LOG, t])? == Reply::Int(1)
        } else {
            c.call(cmd!["RPUSH", LOG, t])?;
            true
        };
        if accepted {
            c.committed(1);
        }
        c.exit();
        let tok = c.token().to_string();
        c.call(cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok])?;
        c.released();
        Ok(())
    }
}

/// `checked-at-resource`: as `checked`, but the counter and the resource live on their own
/// server (connection `res@1`, server 1), apart from the lock (server 0):
///
/// ```text
/// 1. SET lock tok NX PX lease on server 0 (retried): OK → acquired, enter
/// 2. t = INCR lock:res:fence on server 1
/// 3. FENCED_WRITE with t on server 1 → committed if accepted
/// 4. exit; compare-and-delete release on server 0 → released
/// ```
///
/// Under `failover` server 0's lock can be lost and granted twice, but the tokens come from
/// the resource's own counter, which never goes backwards, so the stale holder's write is
/// rejected: `fenced-writes` holds. Under `restart` the resource's server may restart and
/// forget both its counter and its log; that is the resource's own durability, outside
/// what a fencing token can give.
#[derive(Debug)]
pub struct FencingApart;

impl Program for FencingApart {
    fn connections(&self) -> &'static [&'static str] {
        &["lock", "res@1"]
    }

    fn run(&self, c: &mut Client) -> Flow {
        if !take_lock(c)? {
            return Ok(());
        }
        let t = reply_int(&c.call_on("res@1", cmd!["INCR", FENCE])?).unwrap_or(0);
        let write = cmd!["EVAL", FENCED_WRITE, 2, TOP, LOG, t];
        if c.call_on("res@1", write)? == Reply::Int(1) {
            c.committed(1);
        }
        c.exit();
        let tok = c.token().to_string();
        c.call_on("lock", cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok])?;
        c.released();
        Ok(())
    }
}

/// The scenario, whole: its rows (variants), setup, subject, invariants and bounds.
pub fn scenario() -> crate::scenario::Scenario {
    use crate::program::Runner;
    use crate::recipe::Params;
    use crate::recipes::lock;
    use crate::scenario::{Scenario, Variant};
    Scenario {
        name: "fencing",
        summary:
            "N clients each take lock/client's lock, get an INCR token, write with it, release",
        setup: vec![],
        subject: lock::KEY,
        properties: vec![FENCED_WRITES],
        variants: vec![
            Variant::new(
                "checked",
                "the resource's script rejects a token lower than the highest accepted",
                Runner::new(Fencing { checked: true }),
            ),
            Variant::new(
                "unchecked",
                "the resource trusts the lock: RPUSH the write",
                Runner::new(Fencing { checked: false }),
            ),
            Variant::new(
                "checked-at-resource",
                "as checked, with the counter and the resource on their own server (res@1)",
                Runner::new(FencingApart),
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
