//! Sorted-set commands of the server model, scores printed as 7.0 prints them. Every expected
//! reply was recorded from a real Redis 7.0.15 (a raw RESP2 client sending each command as
//! written here); the 8.0 / Valkey 8.1 score texts at the end were read from those servers.

mod common;
use common::*;
use model::Profile;

#[test]
fn zadd_and_scores_print_as_17g() {
    let mut r = Redis::new();
    r.expect(A, &["zadd", "z", "1", "a", "2", "b", "1.5", "c"], int(3));
    r.expect(A, &["zscore", "z", "c"], bulk("1.5"));
    r.expect(
        A,
        &[
            "zadd",
            "z",
            "0.1",
            "d",
            "1e20",
            "e",
            "inf",
            "f",
            "-inf",
            "g",
            "1.1",
            "x",
            "123456789012345678",
            "y",
            "0.30000000000000004",
            "w",
            "1e-5",
            "v",
            "1e16",
            "s",
            "1e17",
            "r",
            "100",
            "q",
        ],
        int(11),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "withscores"],
        bulks(&[
            "g",
            "-inf",
            "v",
            "1.0000000000000001e-05",
            "d",
            "0.10000000000000001",
            "w",
            "0.30000000000000004",
            "a",
            "1",
            "x",
            "1.1000000000000001",
            "c",
            "1.5",
            "b",
            "2",
            "q",
            "100",
            "s",
            "10000000000000000",
            "r",
            "1e+17",
            "y",
            "1.2345678901234568e+17",
            "e",
            "1e+20",
            "f",
            "inf",
        ]),
    );
    r.expect(A, &["zadd", "z", "-0", "t"], int(1));
    r.expect(A, &["zscore", "z", "t"], bulk("0"));
    r.expect(
        A,
        &[
            "zadd", "z", "+5", "plus", ".5", "dot", "5.", "dot2", "0x10", "hex", "infinity",
            "inf2", "-INF", "inf4",
        ],
        int(6),
    );
    r.expect(A, &["zscore", "z", "hex"], bulk("16"));
    r.expect(A, &["zscore", "z", "dot"], bulk("0.5"));
    r.expect(A, &["zscore", "z", "inf4"], bulk("-inf"));
}

#[test]
fn zadd_refuses_bad_scores() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["zadd", "z", "nan", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", "abc", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", " 1", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", "1 ", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", "1x", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", "1e400", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", "1e-400", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(
        A,
        &["zadd", "z", "", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(A, &["zadd", "z", "1", "a", "2"], err("ERR syntax error"));
    r.expect(
        A,
        &["zadd", "z", "1", "a", "x", "b"],
        err("ERR value is not a valid float"),
    );
    r.expect(A, &["exists", "z"], int(0));
}

#[test]
fn zadd_options() {
    let mut r = Redis::new();
    r.expect(A, &["zadd", "z", "1", "a", "2", "b"], int(2));
    r.expect(
        A,
        &["zadd", "z", "NX", "XX", "1", "a"],
        err("ERR XX and NX options at the same time are not compatible"),
    );
    r.expect(
        A,
        &["zadd", "z", "GT", "LT", "1", "a"],
        err("ERR GT, LT, and/or NX options at the same time are not compatible"),
    );
    r.expect(
        A,
        &["zadd", "z", "NX", "GT", "1", "a"],
        err("ERR GT, LT, and/or NX options at the same time are not compatible"),
    );
    r.expect(
        A,
        &["zadd", "z", "INCR", "1", "a", "2", "b"],
        err("ERR INCR option supports a single increment-element pair"),
    );
    r.expect(A, &["zadd", "z", "CH", "5", "a", "5", "newm"], int(2));
    r.expect(A, &["zadd", "z", "XX", "7", "zz"], int(0));
    r.expect(A, &["zadd", "z", "NX", "7", "a"], int(0));
    r.expect(A, &["zadd", "z", "GT", "1", "a"], int(0));
    r.expect(A, &["zadd", "z", "LT", "1", "a"], int(0));
    r.expect(A, &["zadd", "z", "LT", "CH", "1", "a"], int(0));
    r.expect(A, &["zadd", "z", "GT", "CH", "100", "a"], int(1));
    r.expect(
        A,
        &["zadd", "z", "gt", "ch", "1", "a", "3", "b", "4", "c"],
        int(2),
    );
    r.expect(A, &["zadd", "z", "INCR", "1", "a"], bulk("101"));
    r.expect(A, &["zadd", "z", "INCR", "NX", "1", "a"], nil());
    r.expect(A, &["zadd", "z", "INCR", "XX", "1", "nope"], nil());
    r.expect(A, &["zadd", "z", "INCR", "GT", "-1", "a"], nil());
    r.expect(A, &["zadd", "z", "INCR", "LT", "-1", "a"], bulk("100"));
    r.expect(
        A,
        &["zadd", "z", "XX", "CH", "2", "a", "2", "b", "2", "new"],
        int(2),
    );
    r.expect(A, &["zadd", "nokey", "XX", "1", "a"], int(0));
    r.expect(A, &["zadd", "nokey", "XX", "INCR", "1", "a"], nil());
    r.expect(A, &["exists", "nokey"], int(0));
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "withscores"],
        bulks(&["a", "2", "b", "2", "c", "4", "newm", "5"]),
    );
    r.expect(A, &["zadd", "z", "nx", "1"], err("ERR syntax error"));
}

#[test]
fn zincrby_and_nan() {
    let mut r = Redis::new();
    r.expect(A, &["zadd", "y", "1", "a"], int(1));
    r.expect(A, &["zincrby", "y", "1.5", "a"], bulk("2.5"));
    r.expect(A, &["zincrby", "y", "inf", "a"], bulk("inf"));
    r.expect(
        A,
        &["zincrby", "y", "-inf", "a"],
        err("ERR resulting score is not a number (NaN)"),
    );
    r.expect(
        A,
        &["zincrby", "y", "x", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(A, &["zincrby", "y", "1", "b"], bulk("1"));
    r.expect(
        A,
        &["zincrby", "new", "0.1", "m"],
        bulk("0.10000000000000001"),
    );
    r.expect(A, &["zadd", "y", "inf", "c"], int(1));
    r.expect(
        A,
        &["zadd", "y", "INCR", "-inf", "c"],
        err("ERR resulting score is not a number (NaN)"),
    );
    r.expect(
        A,
        &["zrange", "y", "0", "-1", "withscores"],
        bulks(&["b", "1", "a", "inf", "c", "inf"]),
    );
}

#[test]
fn zrem_zcard_zscore_zrank() {
    let mut r = Redis::new();
    r.expect(
        A,
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        int(5),
    );
    r.expect(A, &["zrank", "z", "c"], int(2));
    r.expect(A, &["zrank", "z", "nope"], nil());
    r.expect(A, &["zrevrank", "z", "c"], int(2));
    r.expect(A, &["zrevrank", "z", "a"], int(4));
    r.expect(A, &["zrank", "nokey", "a"], nil());
    r.expect(
        A,
        &["zrank", "z", "c", "withscore"],
        err("ERR wrong number of arguments for 'zrank' command"),
    );
    r.expect(A, &["zcard", "z"], int(5));
    r.expect(A, &["zcard", "nokey"], int(0));
    r.expect(A, &["zscore", "nokey", "a"], nil());
    r.expect(A, &["zscore", "z", "nope"], nil());
    r.expect(A, &["zrem", "z", "a", "nope"], int(1));
    r.expect(
        A,
        &["zrem", "z"],
        err("ERR wrong number of arguments for 'zrem' command"),
    );
    r.expect(A, &["zrem", "nokey", "a"], int(0));
    r.expect(A, &["zrem", "z", "b", "c", "d", "e"], int(4));
    r.expect(A, &["exists", "z"], int(0));
}

#[test]
fn zrank_orders_equal_scores_by_member() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["zadd", "z", "1", "b", "1", "a", "1", "c", "0", "z"],
        int(4),
    );
    r.expect(A, &["zrange", "z", "0", "-1"], bulks(&["z", "a", "b", "c"]));
    r.expect(A, &["zrank", "z", "a"], int(1));
    r.expect(A, &["zrank", "z", "c"], int(3));
    r.expect(A, &["zrevrank", "z", "b"], int(1));
}

#[test]
fn zset_commands_on_wrong_types() {
    let mut r = Redis::new();
    r.expect(A, &["set", "s", "v"], ok());
    r.expect(
        A,
        &["zadd", "s", "1", "a"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zrange", "s", "0", "-1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zrange", "s", "x", "1"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(
        A,
        &["zscore", "s", "a"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zcard", "s"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zpopmin", "s"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zrank", "s", "a"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zrem", "s", "a"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zcount", "s", "0", "1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zcount", "s", "x", "1"],
        err("ERR min or max is not a float"),
    );
    r.expect(
        A,
        &["zrangebyscore", "s", "0", "1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zremrangebyscore", "s", "0", "1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zremrangebyrank", "s", "0", "1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zincrby", "s", "1", "a"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["zincrby", "s", "x", "a"],
        err("ERR value is not a valid float"),
    );
    r.expect(A, &["zadd", "z", "1", "a"], int(1));
    r.expect(
        A,
        &["get", "z"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["hget", "z", "a"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["lpush", "z", "x"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(A, &["type", "z"], status("zset"));
}

#[test]
fn scores_print_as_shortest_round_trip_on_8_0_and_valkey() {
    use model::server::double::format_score;
    // (score, 7.0, 8.0 and Valkey 8.1), read with ZRANGE … WITHSCORES from each server.
    let cases: &[(f64, &str, &str)] = &[
        (0.1, "0.10000000000000001", "0.1"),
        (1.1, "1.1000000000000001", "1.1"),
        (
            123456789012345678.0,
            "1.2345678901234568e+17",
            "123456789012345680",
        ),
        (1e-5, "1.0000000000000001e-05", "0.00001"),
        (2.5e-10, "2.5000000000000002e-10", "2.5e-10"),
        (1e-7, "9.9999999999999995e-08", "1e-7"),
        (1.5e-7, "1.4999999999999999e-07", "1.5e-7"),
        (1e-6, "9.9999999999999995e-07", "0.000001"),
        (1.25e-5, "1.2500000000000001e-05", "1.25e-5"),
        (0.000123, "0.00012300000000000001", "0.000123"),
        (123.456, "123.456", "123.456"),
        (1234567.125, "1234567.125", "1234567.125"),
        (1e16, "10000000000000000", "10000000000000000"),
        (1e17, "1e+17", "100000000000000000"),
        (1e18, "1e+18", "1000000000000000000"),
        (1e19, "1e+19", "1e+19"),
        (1.5e20, "1.5e+20", "1.5e+20"),
        (1e22, "1e+22", "1e+22"),
        (
            1.2345678901234568e22,
            "1.2345678901234568e+22",
            "12345678901234568000000",
        ),
        (f64::INFINITY, "inf", "inf"),
        (f64::NEG_INFINITY, "-inf", "-inf"),
        (-2.5, "-2.5", "-2.5"),
        (3.0, "3", "3"),
    ];
    for &(d, v70, v80) in cases {
        assert_eq!(format_score(d, Profile::Redis70), v70, "7.0 {d}");
        assert_eq!(format_score(d, Profile::Redis60), v70, "6.0 {d}");
        assert_eq!(format_score(d, Profile::Redis80), v80, "8.0 {d}");
        assert_eq!(format_score(d, Profile::Valkey81), v80, "valkey {d}");
    }
}

#[test]
fn version_profiles_of_zset_options() {
    // Replies read from redis-server 6.0.16, 8.0.2 and Valkey 8.1.1.
    let mut r60 = Redis::with_profile(Profile::Redis60);
    r60.expect(A, &["zadd", "z", "1", "a", "2", "b"], int(2));
    r60.expect(
        A,
        &["zadd", "z", "GT", "LT", "1", "a"],
        err("ERR value is not a valid float"),
    );
    r60.expect(A, &["zadd", "z", "GT", "1", "a"], err("ERR syntax error"));
    r60.expect(
        A,
        &["zrange", "z", "0", "-1", "rev"],
        err("ERR syntax error"),
    );
    r60.expect(
        A,
        &["zrange", "z", "[a", "[c", "bylex"],
        err("ERR value is not an integer or out of range"),
    );
    r60.expect(
        A,
        &["zrange", "z", "0", "-1", "withscores", "withscores"],
        err("ERR syntax error"),
    );
    r60.expect(A, &["zpopmin", "z", "-1"], arr(vec![]));
    r60.expect(A, &["set", "s", "v"], ok());
    r60.expect(A, &["zpopmin", "s", "0"], arr(vec![]));
    r60.expect(
        A,
        &["zpopmin", "z", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r60.expect(
        A,
        &["zunionstore", "d", "0", "z"],
        err("ERR at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE"),
    );
    r60.expect(A, &["zadd", "z", "-0", "t"], int(1));
    r60.expect(A, &["zscore", "z", "t"], bulk("-0"));
    let mut r80 = Redis::with_profile(Profile::Redis80);
    r80.expect(A, &["zadd", "z", "1", "a", "3", "c"], int(2));
    r80.expect(
        A,
        &["zrank", "z", "c", "withscore"],
        arr(vec![int(1), bulk("3")]),
    );
    r80.expect(
        A,
        &["zrangebyscore", "z", " 1", "5"],
        err("ERR min or max is not a float"),
    );
    let mut v81 = Redis::with_profile(Profile::Valkey81);
    v81.expect(A, &["zadd", "z", "1", "a", "3", "c"], int(2));
    v81.expect(
        A,
        &["zrevrank", "z", "c", "withscore"],
        arr(vec![int(0), bulk("3")]),
    );
    v81.expect(A, &["zrangebyscore", "z", " 1", "5"], bulks(&["a", "c"]));
}
