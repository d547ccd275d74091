//! Key existence and expiry in the server model: DEL EXISTS TYPE, EXPIRE PEXPIRE PERSIST
//! (with their NX/XX/GT/LT flags) and TTL PTTL. Every expected reply was checked against a real
//! Redis 7.0.15 (redis-cli --no-raw); see tests/common/mod.rs.

mod common;
use common::*;

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
