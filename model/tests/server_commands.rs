//! Per-command conformance of the server model. Every expected reply was checked against a
//! real Redis 7.0.15 (redis-cli --no-raw); see tests/common/mod.rs.

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

// ---------------------------------------------------------------- DEL EXISTS TYPE

#[test]
fn del_and_exists() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["SET", "b", "2"], ok());
    r.expect(A, &["DEL", "a", "b", "c", "a"], int(2));
    r.expect(A, &["EXISTS", "a"], int(0));
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["EXISTS", "a", "a", "nokey", "a"], int(3));
    r.expect(A, &["TYPE", "nokey"], status("none"));
    r.expect(A, &["TYPE", "a"], status("string"));
    r.expect(
        A,
        &["DEL"],
        err("ERR wrong number of arguments for 'del' command"),
    );
    r.expect(
        A,
        &["EXISTS"],
        err("ERR wrong number of arguments for 'exists' command"),
    );
}

#[test]
fn expired_keys_are_absent() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "1", "PX", "100"], ok());
    r.at(100);
    r.expect(A, &["EXISTS", "a"], int(0));
    r.expect(A, &["DEL", "a"], int(0));
}

// ---------------------------------------------------------------- EXPIRE PEXPIRE PERSIST

#[test]
fn expire_basic_and_flags() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["EXPIRE", "nokey", "10"], int(0));
    r.expect(A, &["EXPIRE", "a", "10"], int(1));
    r.expect(A, &["TTL", "a"], int(10));
    r.expect(A, &["EXPIRE", "a", "5", "NX"], int(0));
    r.expect(A, &["EXPIRE", "a", "20", "XX"], int(1));
    r.expect(A, &["TTL", "a"], int(20));
    r.expect(A, &["EXPIRE", "a", "30", "GT"], int(1));
    r.expect(A, &["EXPIRE", "a", "10", "GT"], int(0));
    r.expect(A, &["EXPIRE", "a", "10", "LT"], int(1));
    r.expect(A, &["EXPIRE", "a", "40", "LT"], int(0));
    r.expect(A, &["TTL", "a"], int(10));
    // Equal is neither greater nor less.
    r.expect(A, &["EXPIRE", "a", "10", "GT"], int(0));
    r.expect(A, &["EXPIRE", "a", "10", "LT"], int(0));
    r.expect(A, &["PERSIST", "a"], int(1));
    r.expect(A, &["PERSIST", "a"], int(0));
    r.expect(A, &["PERSIST", "nokey"], int(0));
    r.expect(A, &["TTL", "a"], int(-1));
    // No deadline counts as infinite: GT fails, LT succeeds; XX fails.
    r.expect(A, &["EXPIRE", "a", "10", "GT"], int(0));
    r.expect(A, &["EXPIRE", "a", "10", "XX"], int(0));
    r.expect(A, &["EXPIRE", "a", "10", "LT"], int(1));
    r.expect(A, &["TTL", "a"], int(10));
    r.expect(A, &["PERSIST", "a"], int(1));
    r.expect(A, &["EXPIRE", "a", "10", "nx"], int(1));
    r.expect(A, &["EXPIRE", "a", "10", "NX"], int(0));
    r.expect(A, &["EXPIRE", "a", "10", "xx"], int(1));
}

#[test]
fn expire_compatible_and_incompatible_flags() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "1", "EX", "10"], ok());
    let nx = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    r.expect(A, &["EXPIRE", "a", "10", "NX", "XX"], nx.clone());
    r.expect(A, &["EXPIRE", "a", "10", "NX", "GT"], nx.clone());
    r.expect(A, &["EXPIRE", "a", "10", "LT", "NX"], nx);
    r.expect(
        A,
        &["EXPIRE", "a", "10", "GT", "LT"],
        err("ERR GT and LT options at the same time are not compatible"),
    );
    // XX with GT (or LT) is a valid combination; repeated flags too.
    r.expect(A, &["EXPIRE", "a", "10", "XX", "GT"], int(0));
    r.expect(A, &["EXPIRE", "a", "20", "XX", "GT"], int(1));
    r.expect(A, &["EXPIRE", "a", "15", "LT", "XX"], int(1));
    r.expect(A, &["EXPIRE", "a", "30", "GT", "GT"], int(1));
    r.expect(A, &["TTL", "a"], int(30));
    r.expect(
        A,
        &["EXPIRE", "a", "10", "FOO"],
        err("ERR Unsupported option FOO"),
    );
    // Options are parsed before the time.
    r.expect(
        A,
        &["EXPIRE", "a", "abc", "FOO"],
        err("ERR Unsupported option FOO"),
    );
    r.expect(A, &["EXPIRE", "a", "abc"], err(NOT_INT));
    r.expect(A, &["EXPIRE", "a", "10.5"], err(NOT_INT));
    r.expect(
        A,
        &["EXPIRE", "a"],
        err("ERR wrong number of arguments for 'expire' command"),
    );
}

#[test]
fn expire_non_positive_time_deletes() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["EXPIRE", "a", "0"], int(1));
    r.expect(A, &["EXISTS", "a"], int(0));
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["EXPIRE", "a", "-5"], int(1));
    r.expect(A, &["EXISTS", "a"], int(0));
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["PEXPIRE", "a", "-1"], int(1));
    r.expect(A, &["EXISTS", "a"], int(0));
    r.expect(A, &["EXPIRE", "nokey", "-1"], int(0));
    // A list too.
    r.expect(A, &["RPUSH", "l", "x"], int(1));
    r.expect(A, &["PEXPIRE", "l", "0"], int(1));
    r.expect(A, &["LLEN", "l"], int(0));
}

#[test]
fn expire_invalid_times() {
    let mut r = Redis::new();
    r.at(1000); // see set_invalid_expire
    r.expect(A, &["SET", "a", "1"], ok());
    let e = err("ERR invalid expire time in 'expire' command");
    r.expect(A, &["EXPIRE", "a", "9223372036854775807"], e.clone());
    r.expect(A, &["EXPIRE", "a", "-9223372036854775808"], e);
    r.expect(
        A,
        &["PEXPIRE", "a", "9223372036854775807"],
        err("ERR invalid expire time in 'pexpire' command"),
    );
    r.expect(A, &["TTL", "a"], int(-1));
}

#[test]
fn pexpire_and_expiry_on_the_clock() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["PEXPIRE", "a", "250"], int(1));
    r.expect(A, &["PTTL", "a"], int(250));
    r.at(249);
    r.expect(A, &["GET", "a"], bulk("1"));
    r.expect(A, &["PTTL", "a"], int(1));
    let adv = r.advance(250);
    assert_eq!(adv.expired, vec!["a".to_string()]);
    r.expect(A, &["GET", "a"], nil());
    r.expect(A, &["PERSIST", "a"], int(0));
}

#[test]
fn expire_on_a_list_and_list_writes_keep_it() {
    let mut r = Redis::new();
    r.expect(A, &["LPUSH", "l", "a"], int(1));
    r.expect(A, &["EXPIRE", "l", "100"], int(1));
    r.expect(A, &["LPUSH", "l", "b"], int(2));
    r.expect(A, &["TTL", "l"], int(100));
    r.expect(A, &["LPOP", "l"], bulk("b"));
    r.expect(A, &["TTL", "l"], int(100));
    r.expect(A, &["LPOP", "l"], bulk("a"));
    r.expect(A, &["TTL", "l"], int(-2));
}

// ---------------------------------------------------------------- TTL PTTL

#[test]
fn ttl_and_pttl_minus_one_and_minus_two() {
    let mut r = Redis::new();
    r.expect(A, &["TTL", "nokey"], int(-2));
    r.expect(A, &["PTTL", "nokey"], int(-2));
    r.expect(A, &["SET", "a", "1"], ok());
    r.expect(A, &["TTL", "a"], int(-1));
    r.expect(A, &["PTTL", "a"], int(-1));
    r.expect(
        A,
        &["TTL"],
        err("ERR wrong number of arguments for 'ttl' command"),
    );
    r.expect(
        A,
        &["PERSIST"],
        err("ERR wrong number of arguments for 'persist' command"),
    );
}

#[test]
fn ttl_rounds_to_the_nearest_second() {
    // Redis: (ms + 500) / 1000. Checked with SET PX 1500/1499/500/499 -> TTL 2/1/1/0.
    let mut r = Redis::new();
    for (px, ttl) in [("1500", 2), ("1499", 1), ("500", 1), ("499", 0)] {
        r.expect(A, &["SET", "a", "1", "PX", px], ok());
        r.expect(A, &["TTL", "a"], int(ttl));
    }
    r.at(0);
    r.expect(A, &["SET", "k", "v", "EX", "10"], ok());
    r.at(1500);
    r.expect(A, &["PTTL", "k"], int(8500));
    r.expect(A, &["TTL", "k"], int(9));
    r.at(9500);
    r.expect(A, &["TTL", "k"], int(1));
    r.at(9501);
    r.expect(A, &["PTTL", "k"], int(499));
    r.expect(A, &["TTL", "k"], int(0));
    r.at(10_000);
    r.expect(A, &["TTL", "k"], int(-2));
    r.expect(A, &["PTTL", "k"], int(-2));
}

// ---------------------------------------------------------------- lists

#[test]
fn push_pop_range() {
    let mut r = Redis::new();
    r.expect(A, &["LPUSH", "l", "a", "b", "c"], int(3));
    r.expect(A, &["RPUSH", "l", "x", "y"], int(5));
    r.expect(
        A,
        &["LRANGE", "l", "0", "-1"],
        bulks(&["c", "b", "a", "x", "y"]),
    );
    r.expect(A, &["LLEN", "l"], int(5));
    r.expect(A, &["LLEN", "nokey"], int(0));
    r.expect(A, &["LPOP", "l"], bulk("c"));
    r.expect(A, &["RPOP", "l"], bulk("y"));
    r.expect(A, &["LPOP", "l", "2"], bulks(&["b", "a"]));
    r.expect(A, &["RPOP", "l", "0"], arr(vec![]));
    r.expect(A, &["LPOP", "l", "0"], arr(vec![]));
    r.expect(A, &["LRANGE", "l", "0", "-1"], bulks(&["x"]));
    r.expect(A, &["RPOP", "l", "10"], bulks(&["x"]));
    // The emptied list is deleted.
    r.expect(A, &["EXISTS", "l"], int(0));
    r.expect(A, &["LPOP", "nokey"], nil());
    r.expect(A, &["LPOP", "nokey", "2"], nil());
    r.expect(A, &["RPOP", "nokey", "0"], nil());
}

#[test]
fn pop_count_errors() {
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "l", "a"], int(1));
    let e = err("ERR value is out of range, must be positive");
    r.expect(A, &["LPOP", "l", "-1"], e.clone());
    r.expect(A, &["LPOP", "l", "abc"], e.clone());
    r.expect(A, &["RPOP", "l", "1.5"], e.clone());
    r.expect(A, &["LPOP", "nokey", "-1"], e.clone());
    r.expect(
        A,
        &["LPOP", "l", "1", "2"],
        err("ERR wrong number of arguments for 'lpop' command"),
    );
    r.expect(
        A,
        &["LPOP"],
        err("ERR wrong number of arguments for 'lpop' command"),
    );
    // The count is checked before the type.
    r.expect(A, &["SET", "s", "v"], ok());
    r.expect(A, &["LPOP", "s", "-1"], e.clone());
    r.expect(A, &["LPOP", "s", "abc"], e);
    r.expect(A, &["LLEN", "l"], int(1));
}

#[test]
fn lrange_indexes() {
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "l", "a", "b", "c", "d", "e"], int(5));
    r.expect(A, &["LRANGE", "l", "1", "2"], bulks(&["b", "c"]));
    r.expect(A, &["LRANGE", "l", "-2", "-1"], bulks(&["d", "e"]));
    r.expect(
        A,
        &["LRANGE", "l", "-100", "100"],
        bulks(&["a", "b", "c", "d", "e"]),
    );
    r.expect(A, &["LRANGE", "l", "3", "1"], arr(vec![]));
    r.expect(A, &["LRANGE", "l", "5", "10"], arr(vec![]));
    r.expect(A, &["LRANGE", "l", "a", "b"], err(NOT_INT));
    r.expect(A, &["LRANGE", "nokey", "0", "-1"], arr(vec![]));
    r.expect(
        A,
        &["LRANGE", "l", "0"],
        err("ERR wrong number of arguments for 'lrange' command"),
    );
}

#[test]
fn list_commands_on_a_string_are_wrongtype() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "v"], ok());
    r.expect(A, &["LPUSH", "s", "a"], err(WRONGTYPE));
    r.expect(A, &["RPUSH", "s", "a"], err(WRONGTYPE));
    r.expect(A, &["LPOP", "s"], err(WRONGTYPE));
    r.expect(A, &["RPOP", "s", "2"], err(WRONGTYPE));
    r.expect(A, &["LLEN", "s"], err(WRONGTYPE));
    r.expect(A, &["LRANGE", "s", "0", "-1"], err(WRONGTYPE));
    r.expect(A, &["GET", "s"], bulk("v"));
    r.expect(
        A,
        &["LPUSH", "l"],
        err("ERR wrong number of arguments for 'lpush' command"),
    );
    r.expect(
        A,
        &["RPUSH"],
        err("ERR wrong number of arguments for 'rpush' command"),
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

/// LMOVE and LREM, replies from Redis 7.0.15 (seed 004's reliable-queue step).
#[test]
fn lmove_and_lrem() {
    let mut r = Redis::new();
    r.call(A, &["RPUSH", "q", "a", "b"]);
    assert_eq!(r.call(A, &["LMOVE", "q", "p", "RIGHT", "LEFT"]), bulk("b"));
    assert_eq!(r.call(A, &["LMOVE", "q", "p", "right", "left"]), bulk("a"));
    assert_eq!(r.call(A, &["LMOVE", "q", "p", "RIGHT", "LEFT"]), nil());
    r.call(A, &["SET", "s", "x"]);
    assert_eq!(
        r.call(A, &["LMOVE", "s", "p", "RIGHT", "LEFT"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        r.call(A, &["LMOVE", "p", "s", "RIGHT", "LEFT"]),
        err(WRONGTYPE)
    );
    assert_eq!(r.call(A, &["LMOVE", "p", "p", "UP", "LEFT"]), err(SYNTAX));
    assert_eq!(r.call(A, &["LREM", "p", "1", "b"]), int(1));
    assert_eq!(r.call(A, &["LREM", "p", "0", "zzz"]), int(0));
    assert_eq!(r.call(A, &["LREM", "nokey", "1", "a"]), int(0));
    assert_eq!(r.call(A, &["LREM", "s", "1", "a"]), err(WRONGTYPE));
    assert_eq!(r.call(A, &["LREM", "p", "x", "a"]), err(NOT_INT));
    assert_eq!(
        r.call(A, &["LMOVE", "p"]),
        err("ERR wrong number of arguments for 'lmove' command")
    );
    assert_eq!(r.call(A, &["LRANGE", "p", "0", "-1"]), arr(vec![bulk("a")]));
    // LREM from the tail (negative count) and all occurrences (0); an emptied list is gone.
    r.call(A, &["RPUSH", "m", "x", "y", "x", "x"]);
    assert_eq!(r.call(A, &["LREM", "m", "-2", "x"]), int(2));
    assert_eq!(
        r.call(A, &["LRANGE", "m", "0", "-1"]),
        arr(vec![bulk("x"), bulk("y")])
    );
    assert_eq!(r.call(A, &["LREM", "m", "0", "x"]), int(1));
    assert_eq!(r.call(A, &["LREM", "m", "0", "y"]), int(1));
    assert_eq!(r.call(A, &["EXISTS", "m"]), int(0));
}
