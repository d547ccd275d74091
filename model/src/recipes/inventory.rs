//! Inventory: clients each try to sell one unit from `stock` (initially 1, fewer units than
//! buyers). Property `no-oversell`: the stock never goes negative and every unit sold is gone
//! from the stock (sold = initial − remaining).
//!
//! Sources: seed 002 (two redis-py listings: MULTI without WATCH, then WATCH on the pipe) and
//! seed 004 (check-then-decrement; the decrement-not-below-zero Lua script).
//!
//! | variant | steps | verdict |
//! |---|---|---|
//! | `check-then-decr` | `n = GET stock; if n > 0: DECR stock` | oversell: both read 1, both DECR, stock −1 |
//! | `multi-no-watch` | seed 002 first listing: `n = GET` on the plain client, then the pipeline sends `MULTI; SET stock n−1; EXEC` | oversell: both read 1, both set 0, two sold from one |
//! | `watch` | seed 002 second listing: `WATCH stock; n = GET; MULTI; SET stock n−1; EXEC`, retried on WatchError | holds |
//! | `lua` | seed 004's script: read, refuse below zero, DECRBY — one atomic step | holds |
//!
//! Seed 002's loop is `while 1:`; its indentation is lost in the seed, so a buyer that sees
//! no stock is modelled as stopping (it cannot sell either way). Its `with pipeline()` exit
//! (UNWATCH) changes no property and is not modelled.

use crate::cmd;
use crate::program::{sequential, sequential_on, Client, Flow, Runner, Sequential};
use crate::recipe::reply_int;
use crate::reply::Reply;

pub const KEY: &str = "stock";

/// Seed 004, "decrement but not below zero", verbatim.
pub const LUA_DECREMENT: &str = "
local current = tonumber(redis.call('GET', KEYS[1])) or 0
local decrement = tonumber(ARGV[1])
if current < decrement then
return -1 -- Insufficient
end
return redis.call('DECRBY', KEYS[1], decrement)
";

/// `GET stock`, then `DECR stock` if it was positive.
fn check_then_decr(c: &mut Client) -> Flow {
    if reply_int(&c.call(cmd!["GET", KEY])?).unwrap_or(0) <= 0 {
        c.gave_up();
        return Ok(());
    }
    if let Reply::Int(_) = c.call(cmd!["DECR", KEY])? {
        c.committed(1);
    }
    Ok(())
}

/// Outcomes of one pipelined attempt.
const SOLD: u8 = 1;
const SOLD_OUT: u8 = 2;

/// One attempt of seed 002's pipeline: `n = GET` (on `read`), then `MULTI; SET n-1; EXEC` on
/// the pipe; `watch` first WATCHes on the pipe's connection.
fn pipelined(c: &mut Client, watch: bool, read: &str) -> Flow<Option<u8>> {
    if watch {
        c.call_on("pipe", cmd!["WATCH", KEY])?;
    }
    let n = reply_int(&c.call_on(read, cmd!["GET", KEY])?).unwrap_or(0);
    if n <= 0 {
        return Ok(Some(SOLD_OUT));
    }
    c.call_on("pipe", cmd!["MULTI"])?;
    c.call_on("pipe", cmd!["SET", KEY, n - 1])?;
    Ok(match c.call_on("pipe", cmd!["EXEC"])? {
        Reply::Array(_) => Some(SOLD),
        _ => None,
    })
}

/// Seed 002's first listing: GET on the plain client, the pipeline without WATCH, once.
fn multi_no_watch(c: &mut Client) -> Flow {
    let outcome = c.attempts(1, |c, _| pipelined(c, false, "client"))?;
    finish(c, outcome);
    Ok(())
}

/// Seed 002's second listing: WATCH on the pipe's connection, retried on WatchError.
fn watch(c: &mut Client) -> Flow {
    let tries = 1 + c.params().retries as usize;
    let outcome = c.attempts(tries, |c, _| pipelined(c, true, "pipe"))?;
    finish(c, outcome);
    Ok(())
}

fn finish(c: &mut Client, outcome: Option<u8>) {
    match outcome {
        Some(SOLD) => c.committed(1),
        _ => c.gave_up(),
    }
}

/// One EVAL of seed 004's decrement-not-below-zero script: −1 means sold out.
fn lua(c: &mut Client) -> Flow {
    match c.call(cmd!["EVAL", LUA_DECREMENT, 1, KEY, 1])? {
        Reply::Int(n) if n >= 0 => c.committed(1),
        _ => c.gave_up(),
    }
    Ok(())
}

const CLIENT_AND_PIPE: &[&str] = &["client", "pipe"];

/// The variants' programs, in table order: check-then-decr, multi-no-watch, watch, lua.
pub fn programs() -> [Runner<Sequential>; 4] {
    [
        sequential(check_then_decr),
        sequential_on(CLIENT_AND_PIPE, multi_no_watch),
        sequential_on(CLIENT_AND_PIPE, watch),
        sequential(lua),
    ]
}

/// The scenario, whole: its rows (variants), setup, subject, invariants and bounds.
pub fn scenario() -> crate::scenario::Scenario {
    use crate::invariants::*;
    use crate::recipe::Params;
    use crate::scenario::{Scenario, Variant};
    let [check_then_decr, multi_no_watch, watch, lua] = programs();
    Scenario {
        name: "inventory",
        summary: "N buyers each try to take one unit of a stock smaller than N",
        setup: vec![(KEY.into(), "1".into())],
        subject: KEY,
        properties: vec![NO_OVERSELL],
        variants: vec![
            Variant::new(
                "check-then-decr",
                "GET, then DECR if positive",
                check_then_decr,
            ),
            Variant::new(
                "multi-no-watch",
                "seed 002 first listing: GET on the client, MULTI/SET/EXEC on the pipeline",
                multi_no_watch,
            ),
            Variant::new(
                "watch",
                "seed 002 second listing: WATCH/GET/MULTI/SET/EXEC on the pipe, retried",
                watch,
            ),
            Variant::new("lua", "seed 004's decrement-not-below-zero script", lua),
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
