//! Counter: N clients each add 1 to `counter` (initially `0`). Property `no-lost-update`:
//! when every client has finished, the counter equals the number of increments the server
//! acknowledged.
//!
//! Sources: seed 000 (example 1, WATCH/MULTI/EXEC in redis-py; example 2, a Lua script) and
//! seed 004 (WATCH/MULTI/EXEC with retries; INCR).
//!
//! | variant | steps | verdict |
//! |---|---|---|
//! | `get-set` | `v = GET counter; SET counter v+1` | lost update: A GET 0, B GET 0, A SET 1, B SET 1 |
//! | `watch-pooled` | seed 000 ex. 1 as written: `r.watch()` and `r.get()` run on a pooled connection, `pipe.multi(); pipe.set(); pipe.execute()` on the pipeline's own connection, which watches nothing | lost update: EXEC never fails |
//! | `multi-no-watch` | `v = GET` outside, then `MULTI; SET v+1; EXEC` | lost update: MULTI only batches |
//! | `watch-retry` | `WATCH; v = GET; MULTI; SET v+1; EXEC`, retry on nil | holds: a write between WATCH and EXEC makes EXEC return nil |
//! | `lua` | seed 000 ex. 2's script, one atomic step | holds |
//! | `incr` | `INCR counter` | holds |
//! | `lua-cas` | `v = GET`, then seed 004's compare-and-set script `v -> v+1`, retried on 0 | holds |

use crate::cmd;
use crate::invariants::NO_LOST_UPDATE;
use crate::program::{sequential, sequential_on, Client, Flow};
use crate::recipe::{reply_int, Params};
use crate::reply::Reply;
use crate::scenario::{Scenario, Variant};

pub const KEY: &str = "counter";

/// Seed 000, example 2, verbatim.
pub const LUA_INCREMENT: &str = "
local current = tonumber(redis.call('get', KEYS[1]))
local new_value = current + ARGV[1]
redis.call('set', KEYS[1], new_value)
return new_value
";

/// Seed 004's compare-and-set script, verbatim.
pub const LUA_CAS: &str = "
-- CAS: set only if current value matches expected
if redis.call('GET', KEYS[1]) == ARGV[1] then
redis.call('SET', KEYS[1], ARGV[2])
return 1
end
return 0
";

/// `GET` then `SET` on one connection.
fn get_set(c: &mut Client) -> Flow {
    let v = reply_int(&c.call(cmd!["GET", KEY])?).unwrap_or(0);
    if c.call(cmd!["SET", KEY, v + 1])? == Reply::ok() {
        c.committed(1);
    }
    Ok(())
}

/// Seed 000 example 1 as written: `r.watch()` and `r.get()` on a pooled connection, the
/// pipeline's MULTI/SET/EXEC on its own connection (which watches nothing), retried.
fn watch_pooled(c: &mut Client) -> Flow {
    let tries = 1 + c.params().retries as usize;
    let done = c.attempts(tries, |c, _| {
        c.call_on("pool", cmd!["WATCH", KEY])?;
        let v = reply_int(&c.call_on("pool", cmd!["GET", KEY])?).unwrap_or(0);
        c.call_on("pipe", cmd!["MULTI"])?;
        c.call_on("pipe", cmd!["SET", KEY, v + 1])?;
        Ok(matches!(c.call_on("pipe", cmd!["EXEC"])?, Reply::Array(_)).then_some(()))
    })?;
    match done {
        Some(()) => c.committed(1),
        None => c.gave_up(),
    }
    Ok(())
}

/// GET outside, then MULTI/SET/EXEC on the pipeline: no WATCH, no retry.
fn multi_no_watch(c: &mut Client) -> Flow {
    let v = reply_int(&c.call_on("pool", cmd!["GET", KEY])?).unwrap_or(0);
    c.call_on("pipe", cmd!["MULTI"])?;
    c.call_on("pipe", cmd!["SET", KEY, v + 1])?;
    match c.call_on("pipe", cmd!["EXEC"])? {
        Reply::Array(_) => c.committed(1),
        _ => c.gave_up(),
    }
    Ok(())
}

/// The textbook optimistic transaction on one connection, retried on nil.
fn watch_retry(c: &mut Client) -> Flow {
    let tries = 1 + c.params().retries as usize;
    let done = c.attempts(tries, |c, _| {
        c.call(cmd!["WATCH", KEY])?;
        let v = reply_int(&c.call(cmd!["GET", KEY])?).unwrap_or(0);
        c.call(cmd!["MULTI"])?;
        c.call(cmd!["SET", KEY, v + 1])?;
        Ok(matches!(c.call(cmd!["EXEC"])?, Reply::Array(_)).then_some(()))
    })?;
    match done {
        Some(()) => c.committed(1),
        None => c.gave_up(),
    }
    Ok(())
}

/// One EVAL of seed 000's script.
fn lua(c: &mut Client) -> Flow {
    if let Reply::Int(_) = c.call(cmd!["EVAL", LUA_INCREMENT, 1, KEY, 1])? {
        c.committed(1);
    }
    Ok(())
}

/// `INCR counter`.
fn incr(c: &mut Client) -> Flow {
    if let Reply::Int(_) = c.call(cmd!["INCR", KEY])? {
        c.committed(1);
    }
    Ok(())
}

/// `v = GET counter`, then the CAS script `v -> v+1`, retried when it returns 0.
fn lua_cas(c: &mut Client) -> Flow {
    let tries = 1 + c.params().retries as usize;
    let done = c.attempts(tries, |c, _| {
        let v = reply_int(&c.call(cmd!["GET", KEY])?).unwrap_or(0);
        Ok((c.call(cmd!["EVAL", LUA_CAS, 1, KEY, v, v + 1])? == Reply::Int(1)).then_some(()))
    })?;
    match done {
        Some(()) => c.committed(1),
        None => c.gave_up(),
    }
    Ok(())
}

const POOL_AND_PIPE: &[&str] = &["pool", "pipe"];

/// The counter scenario: increments must not be lost.
pub fn scenario() -> Scenario {
    let v = Variant::new;
    Scenario {
        name: "counter",
        summary: "N clients each add 1 to a shared counter",
        setup: vec![(KEY.into(), "0".into())],
        subject: KEY,
        properties: vec![NO_LOST_UPDATE],
        variants: vec![
            v("get-set", "GET, then SET value+1", sequential(get_set)),
            v(
                "watch-pooled",
                "seed 000 ex. 1 as written: WATCH on a pooled connection, MULTI/SET/EXEC on the pipeline's",
                sequential_on(POOL_AND_PIPE, watch_pooled),
            ),
            v(
                "multi-no-watch",
                "GET outside, then MULTI/SET/EXEC",
                sequential_on(POOL_AND_PIPE, multi_no_watch),
            ),
            v(
                "watch-retry",
                "WATCH/GET/MULTI/SET/EXEC, retried on nil",
                sequential(watch_retry),
            ),
            v("lua", "seed 000 ex. 2's script", sequential(lua)),
            v("incr", "INCR", sequential(incr)),
            v(
                "lua-cas",
                "GET, then seed 004's compare-and-set script, retried",
                sequential(lua_cas),
            ),
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
