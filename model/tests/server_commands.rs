//! Per-command conformance of the server model: the string commands (GET and SET with its
//! options, SETNX SETEX PSETEX, GETSET GETDEL, the INCR family), wrong arity, unknown commands
//! and PING. Key existence and expiry are in `server_expiry.rs`, lists in `server_lists.rs`.
//! Every expected reply was checked against a real Redis 7.0.15 (redis-cli --no-raw); see
//! tests/common/mod.rs.

mod common;
use common::*;

// ---------------------------------------------------------------- GET / SET

#[test]
fn get_absent_and_present() {
    let mut r = Redis::new();
    r.expect(A, &["GET", "nokey"], nil());
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["GET", "k"], bulk("v"));
    r.expect(A, &["get", "k"], bulk("v"));
}

#[test]
fn set_nx_xx() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["SET", "k", "v2", "NX"], nil());
    r.expect(A, &["SET", "k", "v3", "XX"], ok());
    r.expect(A, &["GET", "k"], bulk("v3"));
    r.expect(A, &["SET", "n", "v", "NX"], ok());
    r.expect(A, &["SET", "m", "v", "XX"], nil());
    r.expect(A, &["GET", "m"], nil());
    // Repeating the same flag is accepted.
    r.expect(A, &["SET", "k", "a", "NX", "NX"], nil());
    r.expect(A, &["SET", "k", "a", "nx"], nil());
}

#[test]
fn set_ex_px_set_deadlines() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "EX", "10"], ok());
    r.expect(A, &["TTL", "k"], int(10));
    r.expect(A, &["PTTL", "k"], int(10_000));
    r.expect(A, &["SET", "p", "v", "PX", "1500"], ok());
    r.expect(A, &["PTTL", "p"], int(1500));
    r.expect(A, &["TTL", "p"], int(2));
    r.at(1499);
    r.expect(A, &["GET", "p"], bulk("v"));
    r.at(1500);
    r.expect(A, &["GET", "p"], nil());
    r.expect(A, &["EXISTS", "p"], int(0));
    // Lower-case options, and a repeated EX (the last one wins in 7.0).
    r.expect(A, &["SET", "q", "v", "ex", "10", "nx"], ok());
    r.expect(A, &["SET", "q", "a", "ex", "10", "nx"], nil());
    r.expect(A, &["SET", "q", "a", "EX", "10", "EX", "20"], ok());
    r.expect(A, &["TTL", "q"], int(20));
    // A plain SET drops the deadline.
    r.expect(A, &["SET", "q", "b"], ok());
    r.expect(A, &["TTL", "q"], int(-1));
}

#[test]
fn set_keepttl() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "a", "PX", "1000"], ok());
    r.expect(A, &["SET", "k", "b", "KEEPTTL"], ok());
    r.expect(A, &["PTTL", "k"], int(1000));
    r.expect(A, &["SET", "k", "c", "KEEPTTL", "GET"], bulk("b"));
    r.expect(A, &["SET", "k", "d", "GET", "XX", "KEEPTTL"], bulk("c"));
    r.expect(A, &["PTTL", "k"], int(1000));
    r.expect(A, &["SET", "k", "e", "KEEPTTL", "KEEPTTL"], ok());
    r.expect(A, &["SET", "k", "f"], ok());
    r.expect(A, &["TTL", "k"], int(-1));
    // KEEPTTL on a key without deadline.
    r.expect(A, &["SET", "k", "g", "KEEPTTL"], ok());
    r.expect(A, &["TTL", "k"], int(-1));
}

#[test]
fn set_get_option() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v3"], ok());
    r.expect(A, &["SET", "k", "a", "GET"], bulk("v3"));
    r.expect(A, &["SET", "nk", "a", "GET"], nil());
    r.expect(A, &["GET", "nk"], bulk("a"));
    // NX + GET: not set, the old value is still returned.
    r.expect(A, &["SET", "k", "b", "NX", "GET"], bulk("a"));
    r.expect(A, &["GET", "k"], bulk("a"));
    r.expect(A, &["SET", "new2", "b", "NX", "GET"], nil());
    r.expect(A, &["GET", "new2"], bulk("b"));
    r.expect(A, &["SET", "k", "c", "XX", "GET"], bulk("a"));
    r.expect(A, &["GET", "k"], bulk("c"));
    r.expect(A, &["SET", "absent", "c", "XX", "GET"], nil());
    r.expect(A, &["EXISTS", "absent"], int(0));
    r.expect(A, &["SET", "k", "d", "GET", "GET"], bulk("c"));
    r.expect(A, &["SET", "k", "e", "EX", "100", "GET"], bulk("d"));
    r.expect(A, &["TTL", "k"], int(100));
    r.expect(A, &["SET", "k", "f", "GET"], bulk("e"));
    r.expect(A, &["TTL", "k"], int(-1));
}

#[test]
fn set_get_on_a_list_is_wrongtype_and_does_not_write() {
    let mut r = Redis::new();
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["SET", "l", "x", "GET"], err(WRONGTYPE));
    r.expect(A, &["GET", "l"], err(WRONGTYPE));
    r.expect(A, &["LLEN", "l"], int(1));
    // Without GET, SET overwrites any type.
    r.expect(A, &["SET", "l", "x"], ok());
    r.expect(A, &["TYPE", "l"], status("string"));
}

#[test]
fn set_invalid_combinations_are_syntax_errors() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    for opts in [
        &["NX", "XX"][..],
        &["XX", "NX"],
        &["EX", "10", "PX", "100"],
        &["PX", "100", "EX", "10"],
        &["KEEPTTL", "EX", "10"],
        &["EX", "10", "KEEPTTL"],
        &["PX", "100", "GET", "KEEPTTL"],
        &["EX"],
        &["FOO"],
        // Options are parsed before the expire value: a bad value then a bad word is a
        // syntax error.
        &["EX", "abc", "FOO"],
        &["EX", "0", "FOO"],
    ] {
        let mut args = vec!["SET", "k", "a"];
        args.extend_from_slice(opts);
        r.expect(A, &args, err(SYNTAX));
    }
    r.expect(A, &["GET", "k"], bulk("v"));
}

#[test]
fn set_invalid_expire() {
    let mut r = Redis::new();
    // Redis adds its clock (ms since the epoch, never 0) before checking for overflow; a
    // clock past 0 makes the model do the same arithmetic.
    r.at(1000);
    let invalid = err("ERR invalid expire time in 'set' command");
    r.expect(A, &["SET", "k", "a", "EX", "0"], invalid.clone());
    r.expect(A, &["SET", "k", "a", "EX", "-5"], invalid.clone());
    r.expect(A, &["SET", "k", "a", "PX", "0"], invalid.clone());
    r.expect(
        A,
        &["SET", "k", "a", "EX", "9223372036854775807"],
        invalid.clone(),
    );
    r.expect(
        A,
        &["SET", "k", "a", "PX", "9223372036854775807"],
        invalid.clone(),
    );
    r.expect(A, &["SET", "k", "a", "EX", "9223372036854776"], invalid);
    r.expect(A, &["SET", "k", "a", "EX", "abc"], err(NOT_INT));
    r.expect(A, &["SET", "k", "a", "EX", "1.5"], err(NOT_INT));
    r.expect(A, &["EXISTS", "k"], int(0));
}

#[test]
fn set_wrong_arity() {
    let mut r = Redis::new();
    let e = err("ERR wrong number of arguments for 'set' command");
    r.expect(A, &["SET", "k"], e.clone());
    r.expect(A, &["SET"], e);
}

// ---------------------------------------------------------------- SETNX SETEX PSETEX

#[test]
fn setnx() {
    let mut r = Redis::new();
    r.expect(A, &["SETNX", "k", "x"], int(1));
    r.expect(A, &["SETNX", "k", "y"], int(0));
    r.expect(A, &["GET", "k"], bulk("x"));
    r.expect(
        A,
        &["SETNX", "k"],
        err("ERR wrong number of arguments for 'setnx' command"),
    );
    // SETNX on a list: the key exists, nothing is written.
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["SETNX", "l", "y"], int(0));
    r.expect(A, &["TYPE", "l"], status("list"));
    // A failed SETNX keeps the deadline.
    r.expect(A, &["SETEX", "t", "100", "v"], ok());
    r.expect(A, &["SETNX", "t", "z"], int(0));
    r.expect(A, &["TTL", "t"], int(100));
    // An expired key is absent.
    r.at(100_000);
    r.expect(A, &["SETNX", "t", "z"], int(1));
    r.expect(A, &["TTL", "t"], int(-1));
}

#[test]
fn setex_and_psetex() {
    let mut r = Redis::new();
    r.expect(A, &["SETEX", "k3", "10", "v"], ok());
    r.expect(A, &["TTL", "k3"], int(10));
    r.expect(A, &["GET", "k3"], bulk("v"));
    let setex = err("ERR invalid expire time in 'setex' command");
    r.expect(A, &["SETEX", "k3", "0", "v"], setex.clone());
    r.expect(A, &["SETEX", "k3", "-1", "v"], setex);
    r.expect(A, &["SETEX", "k3", "abc", "v"], err(NOT_INT));
    r.expect(
        A,
        &["SETEX", "k3", "10"],
        err("ERR wrong number of arguments for 'setex' command"),
    );
    r.expect(A, &["PSETEX", "k4", "1500", "v"], ok());
    r.expect(A, &["PTTL", "k4"], int(1500));
    r.expect(A, &["TTL", "k4"], int(2));
    let psetex = err("ERR invalid expire time in 'psetex' command");
    r.expect(A, &["PSETEX", "k4", "0", "v"], psetex.clone());
    r.expect(A, &["PSETEX", "k4", "-3", "v"], psetex);
    r.expect(
        A,
        &["PSETEX", "k", "1"],
        err("ERR wrong number of arguments for 'psetex' command"),
    );
    // SETEX overwrites a list.
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["SETEX", "l", "10", "y"], ok());
    r.expect(A, &["TYPE", "l"], status("string"));
}

// ---------------------------------------------------------------- GETSET GETDEL

#[test]
fn getset() {
    let mut r = Redis::new();
    r.expect(A, &["SETEX", "k3", "10", "v"], ok());
    r.expect(A, &["GETSET", "k3", "new"], bulk("v"));
    r.expect(A, &["TTL", "k3"], int(-1));
    r.expect(A, &["GET", "k3"], bulk("new"));
    r.expect(A, &["GETSET", "nokey", "new"], nil());
    r.expect(A, &["GET", "nokey"], bulk("new"));
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["GETSET", "l", "x"], err(WRONGTYPE));
    r.expect(
        A,
        &["GETSET", "k"],
        err("ERR wrong number of arguments for 'getset' command"),
    );
}

#[test]
fn getdel() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "new"], ok());
    r.expect(A, &["GETDEL", "k"], bulk("new"));
    r.expect(A, &["GETDEL", "k"], nil());
    r.expect(A, &["TTL", "k"], int(-2));
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["GETDEL", "l"], err(WRONGTYPE));
    r.expect(A, &["LLEN", "l"], int(1));
    r.expect(
        A,
        &["GETDEL"],
        err("ERR wrong number of arguments for 'getdel' command"),
    );
}

// ---------------------------------------------------------------- INCR family

#[test]
fn incr_decr_basics() {
    let mut r = Redis::new();
    r.expect(A, &["INCR", "c"], int(1));
    r.expect(A, &["INCR", "c"], int(2));
    r.expect(A, &["INCRBY", "c", "10"], int(12));
    r.expect(A, &["DECR", "c"], int(11));
    r.expect(A, &["DECRBY", "c", "5"], int(6));
    r.expect(A, &["INCRBY", "c", "-3"], int(3));
    r.expect(A, &["GET", "c"], bulk("3"));
    r.expect(A, &["DECR", "fresh"], int(-1));
}

#[test]
fn incr_keeps_the_deadline() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "c", "5", "EX", "100"], ok());
    r.expect(A, &["INCR", "c"], int(6));
    r.expect(A, &["TTL", "c"], int(100));
    r.expect(A, &["DECRBY", "c", "2"], int(4));
    r.expect(A, &["TTL", "c"], int(100));
}

#[test]
fn incr_on_non_integer_values() {
    let mut r = Redis::new();
    for (key, val) in [
        ("s", "hello"),
        ("f", "1.5"),
        ("sp", " 1"),
        ("lz", "01"),
        ("neg0", "-0"),
        ("e", ""),
    ] {
        r.expect(A, &["SET", key, val], ok());
        r.expect(A, &["INCR", key], err(NOT_INT));
        r.expect(A, &["DECR", key], err(NOT_INT));
        r.expect(A, &["GET", key], bulk(val));
    }
}

#[test]
fn incrby_non_integer_increments() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "c", "3"], ok());
    for by in ["abc", "1.5", " 1", "+1", "01", "9223372036854775808"] {
        r.expect(A, &["INCRBY", "c", by], err(NOT_INT));
        r.expect(A, &["DECRBY", "c", by], err(NOT_INT));
    }
    r.expect(A, &["GET", "c"], bulk("3"));
    // The increment is parsed before the key's type is looked at.
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["DECRBY", "l", "abc"], err(NOT_INT));
}

#[test]
fn incr_overflow() {
    let mut r = Redis::new();
    let overflow = err("ERR increment or decrement would overflow");
    r.expect(A, &["SET", "max", "9223372036854775807"], ok());
    r.expect(A, &["INCR", "max"], overflow.clone());
    r.expect(A, &["INCRBY", "max", "1"], overflow.clone());
    r.expect(A, &["GET", "max"], bulk("9223372036854775807"));
    r.expect(A, &["SET", "min", "-9223372036854775808"], ok());
    r.expect(A, &["DECR", "min"], overflow.clone());
    r.expect(A, &["DECRBY", "min", "1"], overflow);
    r.expect(
        A,
        &["INCRBY", "k2", "-9223372036854775808"],
        int(-9223372036854775808),
    );
}

#[test]
fn decrby_i64_min_would_overflow() {
    let mut r = Redis::new();
    let e = err("ERR decrement would overflow");
    r.expect(A, &["DECRBY", "k", "-9223372036854775808"], e.clone());
    r.expect(A, &["GET", "k"], nil());
    r.expect(A, &["SET", "c", "6"], ok());
    r.expect(A, &["DECRBY", "c", "-9223372036854775808"], e.clone());
    // Checked before the key's type.
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["DECRBY", "l", "-9223372036854775808"], e);
}

#[test]
fn incr_wrongtype_and_arity() {
    let mut r = Redis::new();
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["INCR", "l"], err(WRONGTYPE));
    r.expect(A, &["INCRBY", "l", "1"], err(WRONGTYPE));
    r.expect(A, &["DECR", "l"], err(WRONGTYPE));
    r.expect(
        A,
        &["INCR"],
        err("ERR wrong number of arguments for 'incr' command"),
    );
    r.expect(
        A,
        &["INCRBY", "c"],
        err("ERR wrong number of arguments for 'incrby' command"),
    );
    r.expect(
        A,
        &["DECRBY", "c", "1", "2"],
        err("ERR wrong number of arguments for 'decrby' command"),
    );
}

// ---------------------------------------------------------------- misc

#[test]
fn wrong_arity_messages() {
    let mut r = Redis::new();
    for (args, name) in [
        (&["GET"][..], "get"),
        (&["GET", "a", "b"], "get"),
        (&["TYPE"], "type"),
        (&["LLEN"], "llen"),
        (&["PEXPIRE", "a"], "pexpire"),
        (&["PTTL", "a", "b"], "pttl"),
        (&["SETEX"], "setex"),
        (&["UNWATCH", "x"], "unwatch"),
        (&["MULTI", "x"], "multi"),
        (&["WATCH"], "watch"),
        (&["BLPOP"], "blpop"),
        (&["BLPOP", "k"], "blpop"),
        (&["EVAL"], "eval"),
        (&["EVAL", "return 1"], "eval"),
        (&["SCRIPT"], "script"),
        (&["PING", "a", "b"], "ping"),
    ] {
        r.expect(
            A,
            args,
            err(&format!(
                "ERR wrong number of arguments for '{name}' command"
            )),
        );
    }
}

#[test]
fn unknown_command_message() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["FOO"],
        err("ERR unknown command 'FOO', with args beginning with: "),
    );
    r.expect(
        A,
        &["foo", "bar"],
        err("ERR unknown command 'foo', with args beginning with: 'bar' "),
    );
    r.expect(
        A,
        &["foo", "a b", "", "c'd"],
        err("ERR unknown command 'foo', with args beginning with: 'a b' '' 'c'd' "),
    );
    // Every argument is listed (up to 128 characters), not just the first three.
    r.expect(
        A,
        &["FOO", "a", "b", "c", "d", "e"],
        err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' 'c' 'd' 'e' "),
    );
}

#[test]
fn ping() {
    let mut r = Redis::new();
    r.expect(A, &["PING"], status("PONG"));
    r.expect(A, &["PING", "hello"], bulk("hello"));
}
