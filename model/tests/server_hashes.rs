//! Hash commands of the server model. Every expected reply was recorded from a real Redis
//! 7.0.15 (a raw RESP2 client sending each command as written here; see tests/common/mod.rs).

mod common;
use common::*;

#[test]
fn hset_counts_new_fields_and_keeps_insertion_order() {
    let mut r = Redis::new();
    r.expect(A, &["hset", "h", "f", "v", "g", "w"], int(2));
    r.expect(A, &["hset", "h", "f", "v2", "a", "1"], int(1));
    r.expect(
        A,
        &["hgetall", "h"],
        bulks(&["f", "v2", "g", "w", "a", "1"]),
    );
    r.expect(A, &["hget", "h", "f"], bulk("v2"));
    r.expect(A, &["hget", "h", "nope"], nil());
    r.expect(A, &["hget", "nokey", "f"], nil());
    r.expect(
        A,
        &["hmget", "h", "f", "nope", "a"],
        arr(vec![bulk("v2"), nil(), bulk("1")]),
    );
    r.expect(A, &["hmget", "nokey", "a"], arr(vec![nil()]));
    r.expect(A, &["hdel", "h", "nope", "f"], int(1));
    r.expect(A, &["hgetall", "h"], bulks(&["g", "w", "a", "1"]));
    r.expect(A, &["hset", "h", "f", "again"], int(1));
    r.expect(
        A,
        &["hgetall", "h"],
        bulks(&["g", "w", "a", "1", "f", "again"]),
    );
    r.expect(A, &["HSET", "h", "f", "v", "g", "w"], int(0));
}

#[test]
fn hset_arity_and_pairs() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["hset", "h", "f", "v", "g"],
        err("ERR wrong number of arguments for 'hset' command"),
    );
    r.expect(
        A,
        &["hset", "h", "f"],
        err("ERR wrong number of arguments for 'hset' command"),
    );
    r.expect(A, &["hgetall", "h"], arr(vec![]));
    r.expect(A, &["exists", "h"], int(0));
}

#[test]
fn hexists_hlen_hsetnx() {
    let mut r = Redis::new();
    r.expect(A, &["hset", "h", "a", "1"], int(1));
    r.expect(A, &["hexists", "h", "a"], int(1));
    r.expect(A, &["hexists", "h", "f"], int(0));
    r.expect(A, &["hexists", "nokey", "f"], int(0));
    r.expect(A, &["hlen", "h"], int(1));
    r.expect(A, &["hlen", "nokey"], int(0));
    r.expect(A, &["hsetnx", "h", "a", "7"], int(0));
    r.expect(A, &["hsetnx", "h", "z", "7"], int(1));
    r.expect(A, &["hsetnx", "new", "f", "v"], int(1));
    r.expect(A, &["hgetall", "h"], bulks(&["a", "1", "z", "7"]));
    r.expect(A, &["hgetall", "new"], bulks(&["f", "v"]));
}

#[test]
fn hincrby_parses_increment_then_value() {
    let mut r = Redis::new();
    r.expect(A, &["hset", "h", "a", "1", "g", "w"], int(2));
    r.expect(A, &["hincrby", "h", "a", "5"], int(6));
    r.expect(
        A,
        &["hincrby", "h", "a", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(
        A,
        &["hincrby", "h", "g", "1"],
        err("ERR hash value is not an integer"),
    );
    r.expect(A, &["hincrby", "h", "new", "-3"], int(-3));
    r.expect(
        A,
        &["hincrby", "h", "a", "9223372036854775807"],
        err("ERR increment or decrement would overflow"),
    );
    r.expect(A, &["hincrby", "nokey", "f", "2"], int(2));
    r.expect(A, &["hset", "h", "f", "1.5"], int(1));
    r.expect(
        A,
        &["hincrby", "h", "f", "1"],
        err("ERR hash value is not an integer"),
    );
    r.expect(A, &["hset", "h", "f", " 1"], int(0));
    r.expect(
        A,
        &["hincrby", "h", "f", "1"],
        err("ERR hash value is not an integer"),
    );
    r.expect(A, &["hset", "h", "f", "010"], int(0));
    r.expect(
        A,
        &["hincrby", "h", "f", "1"],
        err("ERR hash value is not an integer"),
    );
    r.expect(
        A,
        &["hincrby", "h", "f", "010"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(
        A,
        &["hgetall", "h"],
        bulks(&["a", "6", "g", "w", "new", "-3", "f", "010"]),
    );
}

#[test]
fn empty_hash_is_deleted() {
    let mut r = Redis::new();
    r.expect(A, &["hset", "h", "a", "1", "b", "2"], int(2));
    r.expect(A, &["type", "h"], status("hash"));
    r.expect(A, &["hdel", "h", "a", "b", "c"], int(2));
    r.expect(A, &["exists", "h"], int(0));
    r.expect(A, &["type", "h"], status("none"));
    r.expect(A, &["hgetall", "nokey"], arr(vec![]));
    r.expect(A, &["hdel", "nokey", "a"], int(0));
}

#[test]
fn hash_commands_on_wrong_types() {
    let mut r = Redis::new();
    r.expect(A, &["set", "s", "v"], ok());
    r.expect(
        A,
        &["hset", "s", "f", "v"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hget", "s", "f"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hgetall", "s"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hlen", "s"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hdel", "s", "f"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hexists", "s", "f"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hmget", "s", "f"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hincrby", "s", "f", "1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hincrby", "s", "f", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(
        A,
        &["hsetnx", "s", "f", "v"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(A, &["hset", "h", "f", "v"], int(1));
    r.expect(
        A,
        &["get", "h"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["lpush", "h", "x"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["incr", "h"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hdel", "h"],
        err("ERR wrong number of arguments for 'hdel' command"),
    );
    r.expect(
        A,
        &["hsetnx", "h", "f"],
        err("ERR wrong number of arguments for 'hsetnx' command"),
    );
    r.expect(
        A,
        &["hincrby", "h", "f"],
        err("ERR wrong number of arguments for 'hincrby' command"),
    );
    r.expect(
        A,
        &["hmget", "h"],
        err("ERR wrong number of arguments for 'hmget' command"),
    );
}
