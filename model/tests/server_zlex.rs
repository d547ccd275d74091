//! ZRANGEBYLEX and ZRANGE … BYLEX. Every expected reply was read from Redis 7.0.15 (6.0.16
//! for the 6.0 test) with redis-cli, on `z` (members a to e, all score 0) and `y` (b 1, a 2, d 3, c 4: mixed
//! scores, where the walk keeps score order and stops at the first member past the far end).

mod common;

use common::{Redis, A, NOT_INT, SYNTAX};
use model::{Profile, Reply};

fn setup(r: &mut Redis) {
    r.call(
        A,
        &[
            "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
        ],
    );
    r.call(A, &["ZADD", "y", "1", "b", "2", "a", "3", "d", "4", "c"]);
}

fn members(ms: &[&str]) -> Reply {
    Reply::Array(ms.iter().map(|m| Reply::bulk(*m)).collect())
}

#[test]
fn lex_ranges_as_redis_7_0_answers_them() {
    let mut r = Redis::new();
    setup(&mut r);
    let cases: &[(&[&str], &[&str])] = &[
        (&["ZRANGEBYLEX", "z", "-", "+"], &["a", "b", "c", "d", "e"]),
        (&["ZRANGEBYLEX", "z", "[b", "(d"], &["b", "c"]),
        (&["ZRANGEBYLEX", "z", "(b", "[d"], &["c", "d"]),
        (
            &["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "2"],
            &["b", "c"],
        ),
        (&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "2"], &[]),
        (
            &["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "-1"],
            &["a", "b", "c", "d", "e"],
        ),
        (&["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "0"], &[]),
        (&["ZRANGEBYLEX", "z", "[c", "[a"], &[]),
        (&["ZRANGEBYLEX", "z", "[a", "(a"], &[]),
        (&["ZRANGEBYLEX", "z", "[a", "[a"], &["a"]),
        (&["ZRANGEBYLEX", "z", "+", "-"], &[]),
        (&["ZRANGEBYLEX", "z", "-", "-"], &[]),
        (&["ZRANGEBYLEX", "z", "[", "+"], &["a", "b", "c", "d", "e"]),
        (
            &["ZRANGE", "z", "[d", "[b", "BYLEX", "REV"],
            &["d", "c", "b"],
        ),
        (
            &["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"],
            &["d", "c"],
        ),
        (&["ZRANGEBYLEX", "y", "-", "+"], &["b", "a", "d", "c"]),
        (&["ZRANGEBYLEX", "y", "[b", "[c"], &["b", "a"]),
        (&["ZRANGEBYLEX", "y", "[a", "[c"], &["b", "a"]),
        (&["ZRANGEBYLEX", "y", "(a", "+"], &["b", "a", "d", "c"]),
        (
            &["ZRANGE", "y", "[c", "[a", "BYLEX", "REV"],
            &["c", "d", "a", "b"],
        ),
        (
            &["ZRANGE", "y", "[d", "[a", "BYLEX", "REV"],
            &["c", "d", "a", "b"],
        ),
        (&["ZRANGEBYLEX", "y", "[c", "+"], &["d", "c"]),
        (&["ZRANGEBYLEX", "nokey", "-", "+"], &[]),
    ];
    for (cmd, want) in cases {
        r.expect(A, cmd, members(want));
    }
}

#[test]
fn lex_range_errors() {
    let mut r = Redis::new();
    setup(&mut r);
    let range_item = Reply::err("ERR min or max not valid string range item");
    let withscores =
        Reply::err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    r.expect(A, &["ZRANGEBYLEX", "z", "a", "+"], range_item.clone());
    r.expect(A, &["ZRANGEBYLEX", "z", "-x", "+"], range_item);
    r.expect(
        A,
        &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
        withscores.clone(),
    );
    r.expect(
        A,
        &["ZRANGEBYLEX", "z", "-", "+", "REV"],
        Reply::err(SYNTAX),
    );
    r.expect(
        A,
        &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
        withscores.clone(),
    );
    r.expect(
        A,
        &["ZRANGE", "z", "-", "+", "BYLEX", "BYSCORE"],
        Reply::err(SYNTAX),
    );
    r.expect(
        A,
        &["ZRANGE", "z", "-", "+", "BYSCORE", "BYLEX"],
        Reply::err(SYNTAX),
    );
    // Options first (7.0): the WITHSCORES conflict wins over a bad range.
    r.expect(
        A,
        &["ZRANGE", "z", "x", "+", "BYLEX", "WITHSCORES"],
        withscores,
    );
    r.expect(
        A,
        &["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1"],
        Reply::err(SYNTAX),
    );
    r.expect(
        A,
        &["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "x", "1"],
        Reply::err(NOT_INT),
    );
    r.call(A, &["SET", "s", "v"]);
    r.expect(
        A,
        &["ZRANGEBYLEX", "s", "-", "+"],
        Reply::err(common::WRONGTYPE),
    );
}

#[test]
fn redis_6_0_takes_limit_only_and_reads_the_range_first() {
    let mut r = Redis::with_profile(Profile::Redis60);
    setup(&mut r);
    r.expect(A, &["ZRANGEBYLEX", "z", "[b", "[c"], members(&["b", "c"]));
    r.expect(
        A,
        &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
        Reply::err(SYNTAX),
    );
    r.expect(
        A,
        &["ZRANGEBYLEX", "z", "x", "+", "WITHSCORES"],
        Reply::err("ERR min or max not valid string range item"),
    );
    // 6.0's ZRANGE has no BYLEX: it reads ranks first, then refuses the option.
    r.expect(A, &["ZRANGE", "z", "-", "+", "BYLEX"], Reply::err(NOT_INT));
    r.expect(A, &["ZRANGE", "z", "0", "1", "BYLEX"], Reply::err(SYNTAX));
    r.expect(A, &["ZRANGEBYLEX", "y", "[a", "[c"], members(&["b", "a"]));
    r.expect(
        A,
        &[
            "ZRANGEBYLEX",
            "z",
            "-",
            "+",
            "LIMIT",
            "1",
            "2",
            "LIMIT",
            "0",
            "1",
        ],
        members(&["a"]),
    );
}
