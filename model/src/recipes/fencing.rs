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
use crate::recipe::{may_retry, reply_int, ClientCtx, Event, Local, Next, Recipe};
use crate::recipes::lock::{CLIENT_RELEASE, KEY};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::server::Value;
use crate::system::System;
use crate::world::World;

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
    faults: &FaultModel::ALL,
    check: fenced_writes,
};

fn fenced_writes(_: &System, w: &World) -> Result<(), String> {
    let Some(entry) = w.server.keys.get(LOG) else {
        return Ok(());
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
        top = top.max(Some(t));
    }
    Ok(())
}

/// Lock, token, write, release. `Local::value` holds the fencing token once it is known.
#[derive(Debug)]
pub struct Fencing {
    /// Whether the resource checks the token ([`FENCED_WRITE`]) or trusts the lock.
    pub checked: bool,
}

const ACQ: u16 = 0;
const TOKEN: u16 = 1;
const WRITE: u16 = 2;
const REL: u16 = 3;
const DONE: u16 = 4;

impl Recipe for Fencing {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }

    fn next(&self, me: &ClientCtx, l: &mut Local) -> Next {
        let tok = &me.token;
        match l.pc {
            ACQ => Next::send(0, cmd!["SET", KEY, tok, "NX", "PX", me.params.lease * 1000]),
            TOKEN => Next::send(0, cmd!["INCR", FENCE]),
            WRITE if self.checked => {
                Next::send(0, cmd!["EVAL", FENCED_WRITE, 2, TOP, LOG, l.value])
            }
            WRITE => Next::send(0, cmd!["RPUSH", LOG, l.value]),
            REL => Next::send(0, cmd!["EVAL", CLIENT_RELEASE, 1, KEY, tok]).with([Event::Exit]),
            _ => Next::finish(),
        }
    }

    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match l.pc {
            ACQ if r == &Reply::ok() => {
                l.attempt = 0;
                l.pc = TOKEN;
                vec![
                    Event::Acquired {
                        lease: Some(me.params.lease),
                    },
                    Event::Enter,
                ]
            }
            ACQ => {
                if !may_retry(me, l) {
                    l.pc = DONE;
                    return vec![Event::GaveUp];
                }
                vec![]
            }
            TOKEN => {
                l.value = reply_int(r).unwrap_or(0);
                l.pc = WRITE;
                vec![]
            }
            WRITE => {
                l.pc = REL;
                let accepted = if self.checked {
                    r == &Reply::Int(1)
                } else {
                    true
                };
                if accepted {
                    vec![Event::Committed { delta: 1 }]
                } else {
                    vec![]
                }
            }
            _ => {
                l.pc = DONE;
                vec![Event::Released]
            }
        }
    }
}
