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
use crate::recipe::{may_retry, reply_int, ClientCtx, Event, Local, Next, OneShot, Recipe};
use crate::reply::Reply;

pub const KEY: &str = "counter";

/// Seed 000, example 2, verbatim.
pub const LUA_INCREMENT: &str = "
local current = tonumber(redis.call('get', KEYS[1]))
local new_value = current + ARGV[1]
redis.call('set', KEYS[1], new_value)
return new_value
";

fn committed() -> Vec<Event> {
    vec![Event::Committed { delta: 1 }]
}

/// `GET` then `SET` on one connection. `value` holds the value read.
#[derive(Debug)]
pub struct GetSet;

impl Recipe for GetSet {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        match l.pc {
            0 => Next::send(0, cmd!["GET", KEY]),
            1 => Next::send(0, cmd!["SET", KEY, l.value + 1]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, _: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        l.pc += 1;
        match l.pc {
            1 => {
                l.value = reply_int(r).unwrap_or(0);
                vec![]
            }
            _ if r == &Reply::ok() => committed(),
            _ => vec![],
        }
    }
}

/// The WATCH/MULTI/EXEC shape shared by `watch-pooled`, `multi-no-watch` and `watch-retry`:
/// which connection each command uses and whether WATCH is sent at all.
#[derive(Debug)]
pub struct Transactional {
    /// Connection for WATCH and GET (0 = "pool" / "conn").
    pub read_conn: usize,
    /// Connection for MULTI/SET/EXEC.
    pub write_conn: usize,
    pub watch: bool,
    /// Retry when EXEC returns nil (redis-py raises WatchError).
    pub retry: bool,
    pub names: &'static [&'static str],
}

/// Seed 000 example 1 as written: WATCH on a pooled connection, the pipeline on another.
pub const WATCH_POOLED: Transactional = Transactional {
    read_conn: 0,
    write_conn: 1,
    watch: true,
    retry: true,
    names: &["pool", "pipe"],
};

/// GET outside, MULTI/SET/EXEC on the pipeline: no WATCH at all.
pub const MULTI_NO_WATCH: Transactional = Transactional {
    read_conn: 0,
    write_conn: 1,
    watch: false,
    retry: false,
    names: &["pool", "pipe"],
};

/// The textbook optimistic transaction on one connection, retried on nil.
pub const WATCH_RETRY: Transactional = Transactional {
    read_conn: 0,
    write_conn: 0,
    watch: true,
    retry: true,
    names: &["conn"],
};

const T_WATCH: u16 = 0;
const T_GET: u16 = 1;
const T_MULTI: u16 = 2;
const T_SET: u16 = 3;
const T_EXEC: u16 = 4;
const T_DONE: u16 = 5;

impl Recipe for Transactional {
    fn connections(&self) -> &'static [&'static str] {
        self.names
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        if l.pc == T_WATCH && !self.watch {
            l.pc = T_GET;
        }
        match l.pc {
            T_WATCH => Next::send(self.read_conn, cmd!["WATCH", KEY]),
            T_GET => Next::send(self.read_conn, cmd!["GET", KEY]),
            T_MULTI => Next::send(self.write_conn, cmd!["MULTI"]),
            T_SET => Next::send(self.write_conn, cmd!["SET", KEY, l.value + 1]),
            T_EXEC => Next::send(self.write_conn, cmd!["EXEC"]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match l.pc {
            T_GET => {
                l.value = reply_int(r).unwrap_or(0);
                l.pc = T_MULTI;
            }
            T_EXEC => match r {
                Reply::Array(_) => {
                    l.pc = T_DONE;
                    return committed();
                }
                _ if self.retry && may_retry(me, l) => l.pc = T_WATCH,
                _ => {
                    l.pc = T_DONE;
                    return vec![Event::GaveUp];
                }
            },
            pc => l.pc = pc + 1,
        }
        vec![]
    }
}

/// Whether an increment's reply acknowledges it (an integer).
fn committed_if_int(r: &Reply) -> Vec<Event> {
    match r {
        Reply::Int(_) => committed(),
        _ => vec![],
    }
}

/// One EVAL of seed 000's script.
pub const LUA: OneShot = OneShot {
    command: |_| cmd!["EVAL", LUA_INCREMENT, 1, KEY, 1],
    outcome: committed_if_int,
};

/// `INCR counter`.
pub const INCR: OneShot = OneShot {
    command: |_| cmd!["INCR", KEY],
    outcome: committed_if_int,
};

/// Seed 004's compare-and-set script, verbatim.
pub const LUA_CAS: &str = "
-- CAS: set only if current value matches expected
if redis.call('GET', KEYS[1]) == ARGV[1] then
redis.call('SET', KEYS[1], ARGV[2])
return 1
end
return 0
";

/// `v = GET counter`, then the CAS script `v -> v+1`, retried when it returns 0.
#[derive(Debug)]
pub struct LuaCas;

impl Recipe for LuaCas {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        match l.pc {
            0 => Next::send(0, cmd!["GET", KEY]),
            1 => Next::send(0, cmd!["EVAL", LUA_CAS, 1, KEY, l.value, l.value + 1]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, me: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match (l.pc, r) {
            (0, _) => {
                l.value = reply_int(r).unwrap_or(0);
                l.pc = 1;
                vec![]
            }
            (_, Reply::Int(1)) => {
                l.pc = 2;
                committed()
            }
            _ if may_retry(me, l) => {
                l.pc = 0;
                vec![]
            }
            _ => {
                l.pc = 2;
                vec![Event::GaveUp]
            }
        }
    }
}
