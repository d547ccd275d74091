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
use crate::recipe::{may_retry, reply_int, ClientCtx, Event, Local, Next, OneShot, Recipe};
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

fn sold() -> Vec<Event> {
    vec![Event::Committed { delta: 1 }]
}

fn sold_out(l: &mut Local, done: u16) -> Vec<Event> {
    l.pc = done;
    vec![Event::GaveUp]
}

/// `GET stock`, then `DECR stock` if it was positive.
#[derive(Debug)]
pub struct CheckThenDecr;

impl Recipe for CheckThenDecr {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        match l.pc {
            0 => Next::send(0, cmd!["GET", KEY]),
            1 => Next::send(0, cmd!["DECR", KEY]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, _: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match l.pc {
            0 => {
                l.value = reply_int(r).unwrap_or(0);
                if l.value > 0 {
                    l.pc = 1;
                    vec![]
                } else {
                    sold_out(l, 2)
                }
            }
            _ => {
                l.pc = 2;
                if matches!(r, Reply::Int(_)) {
                    sold()
                } else {
                    vec![]
                }
            }
        }
    }
}

const W_WATCH: u16 = 0;
const W_GET: u16 = 1;
const W_MULTI: u16 = 2;
const W_SET: u16 = 3;
const W_EXEC: u16 = 4;
const W_DONE: u16 = 5;

/// Seed 002's two listings: with `watch`, the second (WATCH on the pipe's connection,
/// retried on WatchError); without, the first (GET on the plain client, pipeline without
/// WATCH).
#[derive(Debug)]
pub struct Pipeline {
    pub watch: bool,
}

impl Pipeline {
    fn read_conn(&self) -> usize {
        if self.watch {
            1
        } else {
            0
        }
    }
}

impl Recipe for Pipeline {
    fn connections(&self) -> &'static [&'static str] {
        &["client", "pipe"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        if l.pc == W_WATCH && !self.watch {
            l.pc = W_GET;
        }
        match l.pc {
            W_WATCH => Next::send(1, cmd!["WATCH", KEY]),
            W_GET => Next::send(self.read_conn(), cmd!["GET", KEY]),
            W_MULTI => Next::send(1, cmd!["MULTI"]),
            W_SET => Next::send(1, cmd!["SET", KEY, l.value - 1]),
            W_EXEC => Next::send(1, cmd!["EXEC"]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match l.pc {
            W_GET => {
                l.value = reply_int(r).unwrap_or(0);
                if l.value <= 0 {
                    return sold_out(l, W_DONE);
                }
                l.pc = W_MULTI;
            }
            W_EXEC => match r {
                Reply::Array(_) => {
                    l.pc = W_DONE;
                    return sold();
                }
                _ if self.watch && may_retry(me, l) => l.pc = W_WATCH,
                _ => return sold_out(l, W_DONE),
            },
            pc => l.pc = pc + 1,
        }
        vec![]
    }
}

/// One EVAL of seed 004's decrement-not-below-zero script: −1 means sold out.
pub const LUA: OneShot = OneShot {
    command: |_| cmd!["EVAL", LUA_DECREMENT, 1, KEY, 1],
    outcome: |r| match r {
        Reply::Int(n) if *n >= 0 => sold(),
        _ => vec![Event::GaveUp],
    },
};
