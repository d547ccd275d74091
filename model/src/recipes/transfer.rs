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
use crate::invariants::committed;
use crate::observation::Observation;
use crate::program::{sequential, Client, Flow, Runner, Sequential};
use crate::recipe::reply_int;
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;

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
    faults: &FaultModel::EVERY,
    check: no_lost_transfer,
};

fn balance(sys: &System, w: &dyn Observation, key: &str) -> i64 {
    let initial = sys.scenario.initial_int(key);
    let now = w.get_str(key).and_then(|v| v.parse().ok()).unwrap_or(0);
    now - initial
}

fn no_lost_transfer(sys: &System, w: &dyn Observation) -> Result<(), String> {
    let moved = committed(w);
    let (from, to) = (balance(sys, w, FROM), balance(sys, w, TO));
    let negative = [FROM, TO].into_iter().find(|k| {
        w.get_str(k)
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

/// GET both balances, then SET both: no protection at all.
fn get_get_set_set(c: &mut Client) -> Flow {
    let a = reply_int(&c.call(cmd!["GET", FROM])?).unwrap_or(0);
    let b = reply_int(&c.call(cmd!["GET", TO])?).unwrap_or(0);
    if a < 1 {
        c.gave_up();
        return Ok(());
    }
    c.call(cmd!["SET", FROM, a - 1])?;
    c.call(cmd!["SET", TO, b + 1])?;
    c.committed(1);
    Ok(())
}

/// Outcomes of one WATCH attempt.
const MOVED: u8 = 1;
const INSUFFICIENT: u8 = 2;

/// Seed 004's check-and-set over both keys, retried when EXEC returns nil.
fn watch(c: &mut Client) -> Flow {
    let tries = 1 + c.params().retries as usize;
    let outcome = c.attempts(tries, |c, _| {
        c.call(cmd!["WATCH", FROM, TO])?;
        if reply_int(&c.call(cmd!["GET", FROM])?).unwrap_or(0) < 1 {
            c.call(cmd!["UNWATCH"])?;
            return Ok(Some(INSUFFICIENT));
        }
        c.call(cmd!["GET", TO])?;
        c.call(cmd!["MULTI"])?;
        c.call(cmd!["DECRBY", FROM, 1])?;
        c.call(cmd!["INCRBY", TO, 1])?;
        Ok(matches!(c.call(cmd!["EXEC"])?, Reply::Array(_)).then_some(MOVED))
    })?;
    match outcome {
        Some(MOVED) => c.committed(1),
        _ => c.gave_up(),
    }
    Ok(())
}

/// One EVAL of seed 004's transfer script.
fn lua(c: &mut Client) -> Flow {
    match c.call(cmd!["EVAL", LUA_TRANSFER, 2, FROM, TO, 1])? {
        Reply::Status(s) if s == "transferred" => c.committed(1),
        _ => c.gave_up(),
    }
    Ok(())
}

/// The variants' programs, in table order: get-get-set-set, watch, lua.
pub fn programs() -> [Runner<Sequential>; 3] {
    [
        sequential(get_get_set_set),
        sequential(watch),
        sequential(lua),
    ]
}

/// The scenario, whole: its rows (variants), setup, subject, invariants and bounds.
pub fn scenario() -> crate::scenario::Scenario {
    use crate::recipe::Params;
    use crate::scenario::{Scenario, Variant};
    let [get_get_set_set, watch, lua] = programs();
    Scenario {
        name: "transfer",
        summary: "N clients each move 1 from account:a (balance 1) to account:b",
        setup: vec![(FROM.into(), "1".into()), (TO.into(), "0".into())],
        subject: FROM,
        properties: vec![NO_LOST_TRANSFER],
        variants: vec![
            Variant::new(
                "get-get-set-set",
                "GET both balances, SET both",
                get_get_set_set,
            ),
            Variant::new(
                "watch",
                "WATCH both keys, MULTI/DECRBY/INCRBY/EXEC, retried",
                watch,
            ),
            Variant::new("lua", "seed 004's transfer script", lua),
        ],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    }
}
