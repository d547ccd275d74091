//! Programs: a list of (connection, command) steps and clock ticks over a handful of keys, and
//! the proptest strategies that generate them.

use model::scripting::sha1_hex;
use model::{Command, Profile, Server};
use proptest::prelude::*;
use proptest::sample::select;
use serde::Serialize;
use std::fmt;

/// The keys every program works on: few, so that commands collide often.
pub const KEYS: [&str; 3] = ["k1", "k2", "k3"];

/// One step of a program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    /// Connection `conn` sends `command`.
    Send { conn: u8, command: Vec<String> },
    /// The clock moves one tick ([`crate::TICK_MS`]).
    Tick,
}

/// A program: how many connections, and the steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Program {
    pub conns: u8,
    pub ops: Vec<Op>,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Send { conn, command } => {
                write!(f, "c{conn}: {}", Command(command.clone()))
            }
            Op::Tick => write!(f, "tick +{}ms", crate::TICK_MS),
        }
    }
}

impl Program {
    /// Drops every send on a connection that the model (Redis 7.0) holds parked on BLPOP at
    /// that point (a parked client cannot send until it is served), every SUBSCRIBE or
    /// UNSUBSCRIBE queued inside MULTI (see `gen_types`), and every step after one that
    /// reaches a command the model does not implement.
    pub fn normalized(mut self) -> Program {
        let mut server = Server::new(Profile::Redis70);
        let mut now = 0;
        let mut kept = Vec::with_capacity(self.ops.len());
        for op in self.ops {
            match &op {
                Op::Tick => {
                    now += crate::TICK_MS;
                    server.advance(now);
                }
                Op::Send { conn, command } => {
                    let id = crate::run::conn_id(*conn);
                    let in_multi = server.conn(id).is_some_and(|c| c.multi.is_some());
                    let subscribing = ["SUBSCRIBE", "UNSUBSCRIBE"]
                        .iter()
                        .any(|n| command[0].eq_ignore_ascii_case(n));
                    if server.is_blocked(id) || (in_multi && subscribing) {
                        continue;
                    }
                    let outcome = server.apply(id, &Command(command.clone()), now);
                    if let model::Outcome::Unmodelled(_) = outcome {
                        // Nothing after the model's refusal is ever run.
                        kept.push(op);
                        break;
                    }
                }
            }
            for c in 0..self.conns {
                server.take_served(crate::run::conn_id(c));
                server.take_messages(crate::run::conn_id(c));
            }
            kept.push(op);
        }
        self.ops = kept;
        self
    }
}

/// Script templates: reads, writes, conditionals, redis.pcall, errors and the Lua ↔ Redis
/// conversions (nil, false, true, floats, tables cut at nil, status and error tables).
pub const SCRIPTS: &[&str] = &[
    "return redis.call('GET', KEYS[1])",
    "return redis.call('INCR', KEYS[1])",
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
    "return redis.pcall('INCR', KEYS[1])",
    "local r = redis.pcall('LPUSH', KEYS[1], ARGV[1]) if type(r) == 'table' and r.err then return 'caught' end return r",
    "return redis.call('NOSUCHCMD', KEYS[1])",
    "return {1, 2, false, 3}",
    "return {1, 2, nil, 3}",
    "return false",
    "return true",
    "return 3.7",
    "return {err='MYERR custom failure'}",
    "return redis.status_reply('FINE')",
    "error('boom')",
    "redis.call('RPUSH', KEYS[1], ARGV[1]) return redis.call('LRANGE', KEYS[1], 0, -1)",
    "return redis.call('BLPOP', KEYS[1], 0)",
    "return redis.call('GET', KEYS[1], 'extra')",
    "local v = tonumber(redis.call('GET', KEYS[1]) or '0') if v > 2 then return redis.call('DECR', KEYS[1]) end return v",
    "return redis.call('EXISTS', KEYS[1], KEYS[2])",
    "return redis.call('SET', KEYS[1], ARGV[1], 'GET')",
    "return redis.call('LPOP', KEYS[1])",
    "return redis.call('GETDEL', KEYS[1])",
    "return redis.pcall('EXPIRE', KEYS[1], 1, 'NX')",
];

/// Script templates for the Lua sandbox and the library Redis ships (issue 16): globals read,
/// assigned and set in one EVAL then read in the next, `bit`, `cjson` round trips, `redis.*`
/// helpers, status and error lines (newlines, argument checks) and shebang flags. Each one is
/// modelled on every profile (none is a model refusal: a write to a library table, kept by
/// 6.0, is left out).
pub const SANDBOX_SCRIPTS: &[&str] = &[
    "return undefined_global",
    "x = 1 return 1",
    "pcall(function() leaked = ARGV[1] end) return 1",
    "return rawget(_G, 'leaked') or 'none'",
    "local ok, e = pcall(function() return leaked end) return {ok and 1 or 0, e}",
    "local ok, e = pcall(function() return redis.extra end) return {ok and 1 or 0, e or 'none'}",
    "return bit.band(ARGV[1], 0xff)",
    "return {bit.bxor(ARGV[1], 5), bit.tohex(ARGV[1]), bit.lshift(ARGV[1], 3)}",
    "return cjson.encode({KEYS[1], ARGV[1], n = tonumber(ARGV[1]) or false})",
    "return cjson.decode(ARGV[1])",
    "return cjson.decode(cjson.encode({KEYS[1], ARGV[1], {a = ARGV[1]}}))",
    "local v = redis.call('GET', KEYS[1]) return cjson.encode({list = {v, v, {v}}})",
    "return redis.sha1hex(ARGV[1])",
    "return {redis.REDIS_VERSION or 'none', redis.REDIS_VERSION_NUM or 0}",
    "redis.replicate_commands() return redis.call('INCR', KEYS[1])",
    "return redis.status_reply(ARGV[1])",
    "return redis.error_reply(ARGV[1])",
    "return redis.status_reply(tonumber(ARGV[1]))",
    "return {ok = ARGV[1] .. '\r\n' .. KEYS[1]}",
    "return redis.error_reply('line\nbreak ' .. ARGV[1])",
    "redis.log(redis.LOG_NOTICE, ARGV[1]) return redis.setresp(2)",
    "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])",
    "#!lua flags=no-writes\nreturn redis.pcall('INCR', KEYS[1])",
    "#!lua\nreturn redis.call('INCR', KEYS[1])",
    "#!lua flags=bogus\nreturn 1",
];

/// Template `i` of the generator's scripts: [`SCRIPTS`], then the new types', then the
/// sandbox's.
fn script_at(i: usize) -> &'static str {
    let types = crate::gen_types::TYPE_SCRIPTS;
    SCRIPTS
        .iter()
        .chain(types)
        .chain(SANDBOX_SCRIPTS)
        .nth(i)
        .copied()
        .expect("a template index in range")
}

/// The template body whose SHA1 is `sha`, if it is one of the generator's.
pub fn script_body(sha: &str) -> Option<String> {
    SCRIPTS
        .iter()
        .chain(crate::gen_types::TYPE_SCRIPTS)
        .chain(SANDBOX_SCRIPTS)
        .find(|b| sha1_hex(b) == sha)
        .map(|b| b.to_string())
}

pub(crate) fn key() -> impl Strategy<Value = String> {
    select(&KEYS[..]).prop_map(str::to_string)
}

pub(crate) fn value() -> impl Strategy<Value = String> {
    select(&["0", "1", "7", "-3", "a", "1.5", "", "99"][..]).prop_map(str::to_string)
}

fn int_arg() -> impl Strategy<Value = String> {
    select(&["1", "2", "-1", "0", "x", "10"][..]).prop_map(str::to_string)
}

fn keys(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(key(), 1..=max)
}

fn c(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// SET's options: a condition, an expiry (EX/PX/KEEPTTL) and GET.
fn set_cmd() -> impl Strategy<Value = Vec<String>> {
    (
        key(),
        value(),
        select(&["", "NX", "XX"][..]),
        select(
            &[
                "", "", "EX 1", "EX 2", "EX 0", "PX 200", "PX 400", "KEEPTTL",
            ][..],
        ),
        any::<bool>(),
    )
        .prop_map(|(k, v, cond, exp, get)| {
            let mut cmd = vec!["SET".to_string(), k, v];
            cmd.extend(cond.split_whitespace().map(str::to_string));
            cmd.extend(exp.split_whitespace().map(str::to_string));
            if get {
                cmd.push("GET".into());
            }
            cmd
        })
}

fn script_cmd() -> impl Strategy<Value = Vec<String>> {
    // Half the picks are sandbox templates: the other two families share the rest.
    let others = SCRIPTS.len() + crate::gen_types::TYPE_SCRIPTS.len();
    (
        prop_oneof![0..others, others..others + SANDBOX_SCRIPTS.len()],
        select(&["EVAL", "EVAL", "EVALSHA", "SCRIPT LOAD"][..]),
        key(),
        key(),
        value(),
    )
        .prop_map(|(i, how, k1, k2, v)| {
            let body = script_at(i);
            match how {
                "SCRIPT LOAD" => c(&["SCRIPT", "LOAD", body]),
                "EVALSHA" => vec!["EVALSHA".into(), sha1_hex(body), "2".into(), k1, k2, v],
                _ => vec!["EVAL".into(), body.into(), "2".into(), k1, k2, v],
            }
        })
}

/// One command over the modelled command set.
///
/// EXPIRE's GT and LT are left out: two deadlines set within one tick are equal in the model
/// but a few ms apart on a real server, so GT/LT can decide differently for timing alone.
pub fn command() -> impl Strategy<Value = Vec<String>> {
    let strings = prop_oneof![
        key().prop_map(|k| vec!["GET".into(), k]),
        set_cmd(),
        (key(), value()).prop_map(|(k, v)| vec!["SETNX".into(), k, v]),
        (key(), select(&["1", "2", "0"][..]), value()).prop_map(|(k, s, v)| vec![
            "SETEX".into(),
            k,
            s.into(),
            v
        ]),
        (key(), select(&["200", "400", "0"][..]), value()).prop_map(|(k, s, v)| vec![
            "PSETEX".into(),
            k,
            s.into(),
            v
        ]),
        (key(), value()).prop_map(|(k, v)| vec!["GETSET".into(), k, v]),
        key().prop_map(|k| vec!["GETDEL".into(), k]),
        (select(&["INCR", "DECR"][..]), key()).prop_map(|(n, k)| vec![n.into(), k]),
        (select(&["INCRBY", "DECRBY"][..]), key(), int_arg()).prop_map(|(n, k, i)| vec![
            n.into(),
            k,
            i
        ]),
    ];
    let keyspace = prop_oneof![
        keys(3).prop_map(|ks| [vec!["DEL".to_string()], ks].concat()),
        keys(3).prop_map(|ks| [vec!["EXISTS".to_string()], ks].concat()),
        (
            key(),
            select(&["1", "2", "0", "-1"][..]),
            select(&["", "", "NX", "XX"][..])
        )
            .prop_map(|(k, s, o)| {
                let mut v = vec!["EXPIRE".into(), k, s.into()];
                v.extend(o.split_whitespace().map(str::to_string));
                v
            }),
        (
            key(),
            select(&["200", "400", "0"][..]),
            select(&["", "", "NX", "XX"][..])
        )
            .prop_map(|(k, s, o)| {
                let mut v = vec!["PEXPIRE".into(), k, s.into()];
                v.extend(o.split_whitespace().map(str::to_string));
                v
            }),
        (select(&["PERSIST", "TTL", "PTTL"][..]), key()).prop_map(|(n, k)| vec![n.into(), k]),
    ];
    let lists = prop_oneof![
        (
            select(&["LPUSH", "RPUSH"][..]),
            key(),
            prop::collection::vec(value(), 1..=3)
        )
            .prop_map(|(n, k, vs)| [vec![n.to_string(), k], vs].concat()),
        (
            select(&["LPOP", "RPOP"][..]),
            key(),
            select(&["", "", "1", "2", "0"][..])
        )
            .prop_map(|(n, k, count)| {
                let mut v = vec![n.to_string(), k];
                v.extend(count.split_whitespace().map(str::to_string));
                v
            }),
        key().prop_map(|k| vec!["LLEN".into(), k]),
        (
            key(),
            select(&["0", "1", "-1"][..]),
            select(&["-1", "0", "1"][..])
        )
            .prop_map(|(k, a, b)| vec!["LRANGE".into(), k, a.into(), b.into()]),
        (keys(2), select(&["0", "0.2", "0.4", "1", "-1"][..])).prop_map(|(ks, t)| [
            vec!["BLPOP".to_string()],
            ks,
            vec![t.to_string()]
        ]
        .concat()),
    ];
    let transactions = prop_oneof![
        keys(2).prop_map(|ks| [vec!["WATCH".to_string()], ks].concat()),
        Just(c(&["UNWATCH"])),
        Just(c(&["MULTI"])),
        Just(c(&["MULTI"])),
        Just(c(&["EXEC"])),
        Just(c(&["EXEC"])),
        Just(c(&["DISCARD"])),
        // Queue-time errors inside MULTI: wrong arity, unknown command.
        Just(c(&["GET"])),
        key().prop_map(|k| vec!["NOSUCHCMD".into(), k]),
    ];
    prop_oneof![
        4 => strings,
        2 => keyspace,
        3 => lists,
        3 => transactions,
        2 => script_cmd(),
        3 => crate::gen_faith::command(),
        6 => crate::gen_types::type_command(),
    ]
}

/// A step: a command on one of `conns` connections (9 in 10) or a clock tick.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        9 => (0u8..4, command()).prop_map(|(conn, command)| Op::Send { conn, command }),
        1 => Just(Op::Tick),
    ]
}

/// Programs of 2–4 connections and 1–`max_steps` steps, normalized (no send on a parked
/// connection).
pub fn program(max_steps: usize) -> impl Strategy<Value = Program> {
    (2u8..=4, prop::collection::vec(op(), 1..=max_steps)).prop_map(|(conns, ops)| {
        let ops = ops
            .into_iter()
            .map(|op| match op {
                Op::Send { conn, command } => Op::Send {
                    conn: conn % conns,
                    command,
                },
                Op::Tick => Op::Tick,
            })
            .collect();
        Program { conns, ops }.normalized()
    })
}
