//! Generator strategies for the hash, sorted-set, multi-key, keyspace-walking, list and
//! pub/sub commands, and script templates that call them (hooked into
//! [`crate::program::command`] and [`crate::program::SCRIPTS`]'s users).
//!
//! Choices that keep model and server comparable, not easier:
//! - ZUNIONSTORE/ZINTERSTORE take at most two sources, so a sum has two terms and its
//!   rounding does not depend on the order Redis adds them in (it sorts sources by size with
//!   an unstable sort). No score is `-0` (a 6.0 listpack keeps it, the ordering of `-0` against
//!   `0` ties is not modelled).
//! - EXPIREAT/PEXPIREAT only get times in the past (0, -1): the model's clock starts at 0,
//!   a real server's at the Unix epoch, so a future absolute time means different TTLs.
//! - SCAN only starts at cursor 0 (the model returns everything there; see
//!   `model::server::keyspace`), and KEYS/SCAN replies compare as sets (`compare::same_reply`).
//! - UNSUBSCRIBE always names its channels (without, Redis walks its dict in an order the
//!   model does not reproduce); (UN)SUBSCRIBE sent inside MULTI is dropped by
//!   `Program::normalized` (Redis then writes more replies than EXEC's array announces).
//! - WAIT only asks for 0 replicas, or fails to parse (asking for one blocks until the
//!   timeout on a server without replicas, which the model does not park on).

use crate::program::KEYS;
use proptest::prelude::*;
use proptest::sample::select;

/// Script templates over the new commands (EVAL/EVALSHA with KEYS = 2 keys, ARGV = 1 value).
pub const TYPE_SCRIPTS: &[&str] = &[
    "return redis.call('HSET', KEYS[1], 'f1', ARGV[1])",
    "redis.call('HSET', KEYS[1], 'f2', ARGV[1]) return redis.call('HGETALL', KEYS[1])",
    "return redis.pcall('HINCRBY', KEYS[1], 'f1', 1)",
    "return redis.call('ZADD', KEYS[1], 1, ARGV[1])",
    "return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')",
    "return redis.pcall('ZINCRBY', KEYS[1], ARGV[1], 'm1')",
    "return redis.call('ZSCORE', KEYS[1], 'm1')",
    "return redis.call('ZPOPMIN', KEYS[1])",
    "return redis.call('MGET', KEYS[1], KEYS[2])",
    "return redis.pcall('RENAME', KEYS[1], KEYS[2])",
    "return redis.call('PUBLISH', 'c1', ARGV[1])",
    "return redis.call('LINDEX', KEYS[1], 0)",
    "return redis.pcall('SUBSCRIBE', 'c1')",
];

fn s(v: &str) -> String {
    v.to_string()
}

fn key() -> impl Strategy<Value = String> {
    select(&KEYS[..]).prop_map(s)
}

fn field() -> impl Strategy<Value = String> {
    select(&["f1", "f2", "f3"][..]).prop_map(s)
}

fn member() -> impl Strategy<Value = String> {
    select(&["m1", "m2", "m3"][..]).prop_map(s)
}

fn value() -> impl Strategy<Value = String> {
    select(&["0", "1", "7", "-3", "a", "1.5", "", "99"][..]).prop_map(s)
}

fn score() -> impl Strategy<Value = String> {
    select(
        &[
            "1", "2", "3", "1.5", "0.1", "-1", "inf", "-inf", "1e20", "x",
        ][..],
    )
    .prop_map(s)
}

fn bound() -> impl Strategy<Value = String> {
    select(&["-inf", "+inf", "1", "(1", "2", "(2", "1.5", "x", " 1"][..]).prop_map(s)
}

fn rank() -> impl Strategy<Value = String> {
    select(&["0", "1", "-1", "-2", "5", "x"][..]).prop_map(s)
}

fn words(v: &str) -> Vec<String> {
    v.split_whitespace().map(s).collect()
}

fn hashes() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (key(), prop::collection::vec((field(), value()), 1..=2)).prop_map(|(k, fv)| {
            let mut v = vec![s("HSET"), k];
            for (f, x) in fv {
                v.extend([f, x]);
            }
            v
        }),
        (select(&["HGET", "HEXISTS"][..]), key(), field()).prop_map(|(n, k, f)| vec![s(n), k, f]),
        (
            select(&["HMGET", "HDEL"][..]),
            key(),
            prop::collection::vec(field(), 1..=2)
        )
            .prop_map(|(n, k, fs)| [vec![s(n), k], fs].concat()),
        (select(&["HLEN", "HGETALL"][..]), key()).prop_map(|(n, k)| vec![s(n), k]),
        (key(), field(), select(&["1", "-2", "x", "10"][..])).prop_map(|(k, f, i)| vec![
            s("HINCRBY"),
            k,
            f,
            s(i)
        ]),
        (key(), field(), value()).prop_map(|(k, f, v)| vec![s("HSETNX"), k, f, v]),
    ]
}

fn zadd() -> impl Strategy<Value = Vec<String>> {
    (
        key(),
        select(
            &[
                "", "", "NX", "XX", "GT", "LT", "CH", "XX CH", "GT CH", "INCR", "NX INCR",
            ][..],
        ),
        prop::collection::vec((score(), member()), 1..=2),
    )
        .prop_map(|(k, opts, pairs)| {
            let mut v = vec![s("ZADD"), k];
            v.extend(words(opts));
            for (sc, m) in pairs {
                v.extend([sc, m]);
            }
            v
        })
}

fn zrange() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (
            key(),
            rank(),
            rank(),
            select(&["", "WITHSCORES", "REV", "REV WITHSCORES"][..])
        )
            .prop_map(|(k, a, b, o)| [vec![s("ZRANGE"), k, a, b], words(o)].concat()),
        (
            key(),
            bound(),
            bound(),
            select(
                &[
                    "BYSCORE",
                    "BYSCORE REV",
                    "BYSCORE WITHSCORES",
                    "BYSCORE LIMIT 1 1",
                    "BYSCORE REV LIMIT 0 2 WITHSCORES",
                    "LIMIT 0 1"
                ][..]
            )
        )
            .prop_map(|(k, a, b, o)| [vec![s("ZRANGE"), k, a, b], words(o)].concat()),
        (
            key(),
            bound(),
            bound(),
            select(&["", "WITHSCORES", "LIMIT 1 2", "LIMIT 0 -1 WITHSCORES"][..])
        )
            .prop_map(|(k, a, b, o)| [vec![s("ZRANGEBYSCORE"), k, a, b], words(o)].concat()),
    ]
}

fn zsets() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => zadd(),
        1 => (key(), prop::collection::vec(member(), 1..=2))
            .prop_map(|(k, ms)| [vec![s("ZREM"), k], ms].concat()),
        1 => (select(&["ZSCORE", "ZRANK", "ZREVRANK"][..]), key(), member())
            .prop_map(|(n, k, m)| vec![s(n), k, m]),
        1 => (key(), member()).prop_map(|(k, m)| vec![s("ZRANK"), k, m, s("WITHSCORE")]),
        1 => key().prop_map(|k| vec![s("ZCARD"), k]),
        1 => (key(), bound(), bound()).prop_map(|(k, a, b)| vec![s("ZCOUNT"), k, a, b]),
        1 => (key(), score(), member()).prop_map(|(k, sc, m)| vec![s("ZINCRBY"), k, sc, m]),
        2 => zrange(),
        1 => (key(), bound(), bound()).prop_map(|(k, a, b)| vec![s("ZREMRANGEBYSCORE"), k, a, b]),
        1 => (key(), rank(), rank()).prop_map(|(k, a, b)| vec![s("ZREMRANGEBYRANK"), k, a, b]),
        1 => (key(), select(&["", "1", "2", "0", "-1", "x"][..]))
            .prop_map(|(k, c)| [vec![s("ZPOPMIN"), k], words(c)].concat()),
        1 => (
            select(&["ZUNIONSTORE", "ZINTERSTORE"][..]),
            key(),
            prop::collection::vec(key(), 1..=2),
            select(&["", "", "WEIGHTS 2 1", "AGGREGATE MIN", "AGGREGATE MAX", "WEIGHTS 0.5 x"][..]),
        )
            .prop_map(|(n, d, srcs, o)| {
                let mut v = vec![s(n), d, srcs.len().to_string()];
                let n = srcs.len();
                v.extend(srcs);
                let mut opts = words(o);
                if opts.first().is_some_and(|w| w == "WEIGHTS") {
                    // As many weights as sources.
                    opts.truncate(1 + n);
                }
                v.extend(opts);
                v
            }),
    ]
}

fn keyspace() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (
            select(&["MSET", "MSETNX"][..]),
            prop::collection::vec((key(), value()), 1..=2)
        )
            .prop_map(|(n, kv)| {
                let mut v = vec![s(n)];
                for (k, x) in kv {
                    v.extend([k, x]);
                }
                v
            }),
        prop::collection::vec(key(), 1..=3).prop_map(|ks| [vec![s("MGET")], ks].concat()),
        (select(&["RENAME", "RENAMENX"][..]), key(), key()).prop_map(|(n, a, b)| vec![s(n), a, b]),
        (key(), key(), select(&["", "REPLACE"][..])).prop_map(|(a, b, o)| [
            vec![s("COPY"), a, b],
            words(o)
        ]
        .concat()),
        (
            select(&["EXPIREAT", "PEXPIREAT"][..]),
            key(),
            select(&["0", "-1"][..]),
            select(&["", "", "NX", "XX"][..])
        )
            .prop_map(|(n, k, t, o)| [vec![s(n), k, s(t)], words(o)].concat()),
        select(&["*", "k[12]", "k?", "x*", "k\\3"][..]).prop_map(|p| vec![s("KEYS"), s(p)]),
        select(
            &[
                "",
                "MATCH k[13]",
                "COUNT 100",
                "MATCH * COUNT 50",
                "COUNT 0"
            ][..]
        )
        .prop_map(|o| [vec![s("SCAN"), s("0")], words(o)].concat()),
        select(&["0 0", "0 100", "x 0", "0 -1"][..])
            .prop_map(|a| [vec![s("WAIT")], words(a)].concat()),
    ]
}

fn lists() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (key(), select(&["0", "-1", "1", "3", "x"][..])).prop_map(|(k, i)| vec![
            s("LINDEX"),
            k,
            s(i)
        ]),
        (key(), select(&["0", "-1", "2", "x"][..]), value()).prop_map(|(k, i, v)| vec![
            s("LSET"),
            k,
            s(i),
            v
        ]),
        (
            key(),
            select(&["BEFORE", "AFTER", "MIDDLE"][..]),
            value(),
            value()
        )
            .prop_map(|(k, w, p, v)| vec![s("LINSERT"), k, s(w), p, v]),
        (key(), key()).prop_map(|(a, b)| vec![s("RPOPLPUSH"), a, b]),
    ]
}

fn pubsub() -> impl Strategy<Value = Vec<String>> {
    let channels = || prop::collection::vec(select(&["c1", "c2"][..]).prop_map(s), 1..=2);
    prop_oneof![
        channels().prop_map(|cs| [vec![s("SUBSCRIBE")], cs].concat()),
        channels().prop_map(|cs| [vec![s("UNSUBSCRIBE")], cs].concat()),
        (select(&["c1", "c2"][..]), value()).prop_map(|(c, m)| vec![s("PUBLISH"), s(c), m]),
        Just(vec![s("PING")]),
    ]
}

/// One command of the families above.
pub fn type_command() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => hashes(),
        5 => zsets(),
        3 => keyspace(),
        2 => lists(),
        2 => pubsub(),
    ]
}

/// Whether the generated command is one this file adds (for the coverage figures).
pub fn is_type_command(name: &str) -> bool {
    matches!(
        name,
        "HSET"
            | "HGET"
            | "HMGET"
            | "HDEL"
            | "HEXISTS"
            | "HLEN"
            | "HINCRBY"
            | "HSETNX"
            | "HGETALL"
            | "ZADD"
            | "ZREM"
            | "ZSCORE"
            | "ZRANK"
            | "ZREVRANK"
            | "ZCARD"
            | "ZCOUNT"
            | "ZINCRBY"
            | "ZRANGE"
            | "ZRANGEBYSCORE"
            | "ZREMRANGEBYSCORE"
            | "ZREMRANGEBYRANK"
            | "ZPOPMIN"
            | "ZUNIONSTORE"
            | "ZINTERSTORE"
            | "MSET"
            | "MSETNX"
            | "MGET"
            | "RENAME"
            | "RENAMENX"
            | "COPY"
            | "EXPIREAT"
            | "PEXPIREAT"
            | "KEYS"
            | "SCAN"
            | "WAIT"
            | "LINDEX"
            | "LSET"
            | "LINSERT"
            | "RPOPLPUSH"
            | "SUBSCRIBE"
            | "UNSUBSCRIBE"
            | "PUBLISH"
    )
}
