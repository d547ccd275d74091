//! Sorted-set ranges and stores of the server model: ZCOUNT, ZRANGE, ZRANGEBYSCORE,
//! ZREMRANGEBY*, ZPOPMIN, ZUNIONSTORE/ZINTERSTORE. Every expected reply was recorded from a real Redis
//! 7.0.15 (a raw RESP2 client sending each command as written here).

mod common;
use common::*;

#[test]
fn zcount_and_score_ranges() {
    let mut r = Redis::new();
    r.expect(
        A,
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        int(5),
    );
    r.expect(A, &["zcount", "z", "(1", "3"], int(2));
    r.expect(A, &["zcount", "z", "1", "(3"], int(2));
    r.expect(A, &["zcount", "z", "-inf", "+inf"], int(5));
    r.expect(A, &["zcount", "z", "3", "1"], int(0));
    r.expect(A, &["zcount", "z", "(3", "3"], int(0));
    r.expect(
        A,
        &["zcount", "z", "x", "3"],
        err("ERR min or max is not a float"),
    );
    r.expect(
        A,
        &["zcount", "z", "1", "3x"],
        err("ERR min or max is not a float"),
    );
    r.expect(A, &["zcount", "nokey", "0", "1"], int(0));
    r.expect(A, &["zcount", "z", "", "5"], int(5));
    r.expect(A, &["zcount", "z", " 1", "5"], int(5));
    r.expect(A, &["zcount", "z", "1e400", "5"], int(0));
    r.expect(A, &["zcount", "z", "(", "5"], int(5));
    r.expect(A, &["zcount", "z", "-1e400", "(3"], int(2));
}

#[test]
fn zrangebyscore_limit_withscores() {
    let mut r = Redis::new();
    r.expect(
        A,
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        int(5),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "(1", "(5"],
        bulks(&["b", "c", "d"]),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "x", "5"],
        err("ERR min or max is not a float"),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "2", "+inf", "withscores"],
        bulks(&["b", "2", "c", "3", "d", "4", "e", "5"]),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "1", "2"],
        bulks(&["b", "c"]),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "1", "-1"],
        bulks(&["b", "c", "d", "e"]),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "-1", "2"],
        arr(vec![]),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "10", "2"],
        arr(vec![]),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "x", "2"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "1"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "foo"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zrangebyscore", "z", "-inf", "+inf", "rev"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &[
            "zrangebyscore",
            "z",
            "-inf",
            "+inf",
            "withscores",
            "limit",
            "0",
            "1",
            "withscores",
        ],
        bulks(&["a", "1"]),
    );
    r.expect(A, &["zrangebyscore", "nokey", "0", "1"], arr(vec![]));
    r.expect(
        A,
        &["zrangebyscore", "z", "x", "5", "foo"],
        err("ERR syntax error"),
    );
}

#[test]
fn zrange_ranks_rev_byscore() {
    let mut r = Redis::new();
    r.expect(
        A,
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        int(5),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1"],
        bulks(&["a", "b", "c", "d", "e"]),
    );
    r.expect(A, &["zrange", "z", "2", "1"], arr(vec![]));
    r.expect(
        A,
        &["zrange", "z", "-2", "-1", "withscores"],
        bulks(&["d", "4", "e", "5"]),
    );
    r.expect(
        A,
        &["zrange", "z", "-100", "100"],
        bulks(&["a", "b", "c", "d", "e"]),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "rev"],
        bulks(&["e", "d", "c", "b", "a"]),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "1", "rev", "withscores"],
        bulks(&["e", "5", "d", "4"]),
    );
    r.expect(
        A,
        &["zrange", "z", "5", "1", "byscore", "rev"],
        bulks(&["e", "d", "c", "b", "a"]),
    );
    r.expect(
        A,
        &[
            "zrange",
            "z",
            "(5",
            "1",
            "byscore",
            "rev",
            "limit",
            "0",
            "2",
            "withscores",
        ],
        bulks(&["d", "4", "c", "3"]),
    );
    r.expect(
        A,
        &["zrange", "z", "1", "5", "byscore", "limit", "0", "2"],
        bulks(&["a", "b"]),
    );
    r.expect(
        A,
        &[
            "zrange", "z", "1", "5", "byscore", "limit", "1", "-1", "rev",
        ],
        arr(vec![]),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "limit", "0", "2"],
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "limit", "5", "-1"],
        bulks(&["a", "b", "c", "d", "e"]),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "withscores", "withscores"],
        bulks(&["a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "byscore", "byscore"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "rev", "rev"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zrange", "z", "0", "-1", "foo"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zrange", "z", "x", "1", "foo"],
        err("ERR syntax error"),
    );
    r.expect(A, &["zrange", "nokey", "0", "-1"], arr(vec![]));
    r.expect(
        A,
        &["zrange", "z", "x", "1", "byscore"],
        err("ERR min or max is not a float"),
    );
}

#[test]
fn zremrange_by_score_and_rank() {
    let mut r = Redis::new();
    r.expect(
        A,
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        int(5),
    );
    r.expect(A, &["zremrangebyscore", "z", "(2", "4"], int(2));
    r.expect(A, &["zrange", "z", "0", "-1"], bulks(&["a", "b", "e"]));
    r.expect(
        A,
        &["zremrangebyscore", "z", "x", "4"],
        err("ERR min or max is not a float"),
    );
    r.expect(A, &["zremrangebyscore", "nokey", "0", "1"], int(0));
    r.expect(A, &["zremrangebyrank", "z", "0", "0"], int(1));
    r.expect(
        A,
        &["zremrangebyrank", "z", "x", "0"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["zremrangebyrank", "z", "5", "9"], int(0));
    r.expect(A, &["zremrangebyrank", "z", "-1", "-1"], int(1));
    r.expect(A, &["zrange", "z", "0", "-1"], bulks(&["b"]));
    r.expect(A, &["zremrangebyrank", "z", "0", "-1"], int(1));
    r.expect(A, &["exists", "z"], int(0));
}

#[test]
fn zunionstore_zinterstore() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        int(4),
    );
    r.expect(A, &["zadd", "y", "10", "c", "20", "d", "30", "e"], int(3));
    r.expect(
        A,
        &["zunionstore", "d", "0", "z"],
        err("ERR at least 1 input key is needed for 'zunionstore' command"),
    );
    r.expect(A, &["zunionstore", "d", "2", "z"], err("ERR syntax error"));
    r.expect(
        A,
        &[
            "zunionstore",
            "d",
            "1",
            "z",
            "weights",
            "2",
            "aggregate",
            "max",
        ],
        int(4),
    );
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["a", "2", "b", "4", "c", "6", "d", "8"]),
    );
    r.expect(A, &["zunionstore", "d", "2", "z", "y"], int(5));
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["a", "1", "b", "2", "c", "13", "d", "24", "e", "30"]),
    );
    r.expect(A, &["zinterstore", "d", "2", "z", "y"], int(2));
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["c", "13", "d", "24"]),
    );
    r.expect(
        A,
        &[
            "zinterstore",
            "d",
            "2",
            "z",
            "y",
            "weights",
            "2",
            "0.5",
            "aggregate",
            "min",
        ],
        int(2),
    );
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["c", "5", "d", "8"]),
    );
    r.expect(
        A,
        &["zinterstore", "d", "2", "z", "y", "aggregate", "max"],
        int(2),
    );
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["c", "10", "d", "20"]),
    );
    r.expect(
        A,
        &[
            "zunionstore",
            "d",
            "2",
            "z",
            "y",
            "weights",
            "1",
            "-1",
            "aggregate",
            "sum",
        ],
        int(5),
    );
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["e", "-30", "d", "-16", "c", "-7", "a", "1", "b", "2"]),
    );
    r.expect(
        A,
        &["zunionstore", "d", "1", "z", "weights", "x"],
        err("ERR weight value is not a float"),
    );
    r.expect(
        A,
        &["zunionstore", "d", "1", "z", "weights", "1", "2"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zunionstore", "d", "1", "z", "aggregate", "foo"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zunionstore", "d", "1", "z", "aggregate"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zunionstore", "d", "1", "z", "foo"],
        err("ERR syntax error"),
    );
    r.expect(
        A,
        &["zunionstore", "d", "x", "z"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["zinterstore", "d", "2", "z", "nokey"], int(0));
    r.expect(A, &["exists", "d"], int(0));
    r.expect(A, &["zunionstore", "d", "1", "nokey"], int(0));
}

#[test]
fn zstore_overwrites_and_keeps_no_ttl() {
    let mut r = Redis::new();
    r.expect(A, &["set", "d", "v", "ex", "100"], ok());
    r.expect(A, &["zadd", "z", "inf", "a", "1", "b"], int(2));
    r.expect(A, &["zunionstore", "d", "1", "z", "weights", "0"], int(2));
    r.expect(A, &["ttl", "d"], int(-1));
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["a", "0", "b", "0"]),
    );
    r.expect(A, &["zadd", "w", "-inf", "a"], int(1));
    r.expect(A, &["zunionstore", "d", "2", "z", "w"], int(2));
    r.expect(
        A,
        &["zrange", "d", "0", "-1", "withscores"],
        bulks(&["a", "0", "b", "1"]),
    );
    r.expect(A, &["set", "s", "v"], ok());
    r.expect(
        A,
        &["zunionstore", "d", "1", "s"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(A, &["zunionstore", "s", "1", "z"], int(2));
    r.expect(A, &["type", "s"], status("zset"));
    r.expect(A, &["zinterstore", "e", "1", "nokey"], int(0));
}

#[test]
fn zpopmin_counts() {
    let mut r = Redis::new();
    r.expect(A, &["zadd", "p", "1", "a", "2", "b", "3", "c"], int(3));
    r.expect(A, &["zpopmin", "p"], bulks(&["a", "1"]));
    r.expect(A, &["zpopmin", "p", "2"], bulks(&["b", "2", "c", "3"]));
    r.expect(A, &["zpopmin", "p"], arr(vec![]));
    r.expect(A, &["exists", "p"], int(0));
    r.expect(A, &["zpopmin", "nokey"], arr(vec![]));
    r.expect(A, &["zpopmin", "nokey", "2"], arr(vec![]));
    r.expect(A, &["zadd", "p", "1", "a"], int(1));
    r.expect(A, &["zpopmin", "p", "0"], arr(vec![]));
    r.expect(
        A,
        &["zpopmin", "p", "-1"],
        err("ERR value is out of range, must be positive"),
    );
    r.expect(
        A,
        &["zpopmin", "p", "x"],
        err("ERR value is out of range, must be positive"),
    );
    r.expect(A, &["zpopmin", "p", "1", "2"], err("ERR syntax error"));
    r.expect(A, &["zpopmin", "p", "5"], bulks(&["a", "1"]));
}
