//! Transfer: clients each move 1 from `account:a` (balance 1) to `account:b` (balance 0).
//! Property `no-lost-transfer`: when every client has finished, each balance moved by exactly
//! the transfers the server acknowledged, and no balance is negative.
//!
//! Source: seed 004 (the WATCH/MULTI/EXEC check-and-set pattern over two keys, and the Lua
//! transfer script).
//!
//! | variant | steps | verdict |
//! |---|---|---|
//! | `get-get-set-set` | `a = GET a; b = GET b; if a >= 1: SET a a-1; SET b b+1` | lost transfer: both read (1, 0), both write (0, 1), two transfers acknowledged, one applied |
//! | `watch` | `WATCH a b; GET a; GET b; if a < 1: UNWATCH; MULTI; DECRBY a 1; INCRBY b 1; EXEC`, retried on nil | holds |
//! | `lua` | seed 004's transfer script (`{err = "insufficient funds"}` / `{ok = "transferred"}`) | holds |

use crate::cmd;
use crate::faults::FaultModel;
use crate::recipe::{may_retry, reply_int, ClientCtx, Event, Local, Next, OneShot, Recipe};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;
use crate::world::World;

pub const FROM: &str = "account:a";
pub const TO: &str = "account:b";

/// Seed 004's transfer script, verbatim.
pub const LUA_TRANSFER: &str = "
local from_balance = tonumber(redis.call('GET', KEYS[1])) or 0
local amount = tonumber(ARGV[1])
if from_balance < amount then
return {err = \"insufficient funds\"}
end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return {ok = \"transferred\"}
";

/// Each balance moved by exactly the acknowledged transfers; none negative.
pub const NO_LOST_TRANSFER: PropertyDef = PropertyDef {
    name: "no-lost-transfer",
    summary: "when every client has finished, each balance moved by exactly the acknowledged transfers and none is negative",
    kind: PropertyKind::AtEnd,
    faults: &FaultModel::ALL,
    check: no_lost_transfer,
};

fn balance(sys: &System, w: &World, key: &str) -> i64 {
    let initial = sys
        .scenario
        .setup
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let now = w
        .server
        .get_str(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    now - initial
}

fn no_lost_transfer(sys: &System, w: &World) -> Result<(), String> {
    let moved: i64 = w.clients.iter().map(|c| c.committed).sum();
    let (from, to) = (balance(sys, w, FROM), balance(sys, w, TO));
    let negative = [FROM, TO].into_iter().find(|k| {
        w.server
            .get_str(k)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
            < 0
    });
    if let Some(k) = negative {
        return Err(format!("{k} went negative"));
    }
    if from != -moved || to != moved {
        return Err(format!(
            "{moved} transfer(s) acknowledged, but {FROM} moved by {from} and {TO} by {to}"
        ));
    }
    Ok(())
}

fn transferred() -> Vec<Event> {
    vec![Event::Committed { delta: 1 }]
}

/// GET both balances, then SET both: no protection at all. `value` holds `a * 1000 + b`.
#[derive(Debug)]
pub struct GetGetSetSet;

impl Recipe for GetGetSetSet {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        let (a, b) = (l.value / 1000, l.value % 1000);
        match l.pc {
            0 => Next::send(0, cmd!["GET", FROM]),
            1 => Next::send(0, cmd!["GET", TO]),
            2 => Next::send(0, cmd!["SET", FROM, a - 1]),
            3 => Next::send(0, cmd!["SET", TO, b + 1]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, _: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        let n = reply_int(r).unwrap_or(0);
        match l.pc {
            0 => l.value = n * 1000,
            1 => {
                l.value += n;
                if l.value / 1000 < 1 {
                    l.pc = 9;
                    return vec![Event::GaveUp];
                }
            }
            3 => {
                l.pc = 9;
                return transferred();
            }
            _ => {}
        }
        l.pc += 1;
        vec![]
    }
}

const W_WATCH: u16 = 0;
const W_GET_A: u16 = 1;
const W_GET_B: u16 = 2;
const W_MULTI: u16 = 3;
const W_DECR: u16 = 4;
const W_INCR: u16 = 5;
const W_EXEC: u16 = 6;
const W_UNWATCH: u16 = 7;
const W_DONE: u16 = 9;

/// Seed 004's check-and-set over both keys, retried when EXEC returns nil.
#[derive(Debug)]
pub struct Watch;

impl Recipe for Watch {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        match l.pc {
            W_WATCH => Next::send(0, cmd!["WATCH", FROM, TO]),
            W_GET_A => Next::send(0, cmd!["GET", FROM]),
            W_GET_B => Next::send(0, cmd!["GET", TO]),
            W_MULTI => Next::send(0, cmd!["MULTI"]),
            W_DECR => Next::send(0, cmd!["DECRBY", FROM, 1]),
            W_INCR => Next::send(0, cmd!["INCRBY", TO, 1]),
            W_EXEC => Next::send(0, cmd!["EXEC"]),
            W_UNWATCH => Next::send(0, cmd!["UNWATCH"]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match l.pc {
            W_GET_A => {
                l.value = reply_int(r).unwrap_or(0);
                l.pc = if l.value < 1 { W_UNWATCH } else { W_GET_B };
            }
            W_EXEC => match r {
                Reply::Array(_) => {
                    l.pc = W_DONE;
                    return transferred();
                }
                _ if may_retry(me, l) => l.pc = W_WATCH,
                _ => {
                    l.pc = W_DONE;
                    return vec![Event::GaveUp];
                }
            },
            W_UNWATCH => {
                l.pc = W_DONE;
                return vec![Event::GaveUp];
            }
            pc => l.pc = pc + 1,
        }
        vec![]
    }
}

/// One EVAL of seed 004's transfer script.
pub const LUA: OneShot = OneShot {
    command: |_| cmd!["EVAL", LUA_TRANSFER, 2, FROM, TO, 1],
    outcome: |r| match r {
        Reply::Status(s) if s == "transferred" => transferred(),
        _ => vec![Event::GaveUp],
    },
};
