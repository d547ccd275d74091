//! List commands of the server model: LPUSH RPUSH LPOP RPOP LRANGE LLEN, LINDEX LSET LINSERT,
//! RPOPLPUSH LMOVE LREM. Every expected reply was recorded from a real Redis 7.0.15: those of
//! LINDEX LSET LINSERT RPOPLPUSH with a raw RESP2 client sending each command as written here,
//! the others with redis-cli --no-raw (see tests/common/mod.rs).

mod common;
use common::*;

#[test]
fn lindex_and_lset() {
    let mut r = Redis::new();
    r.expect(A, &["rpush", "l", "a", "b", "c"], int(3));
    r.expect(A, &["lindex", "l", "0"], bulk("a"));
    r.expect(A, &["lindex", "l", "-1"], bulk("c"));
    r.expect(A, &["lindex", "l", "-4"], nil());
    r.expect(A, &["lindex", "l", "5"], nil());
    r.expect(
        A,
        &["lindex", "l", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["lindex", "nokey", "0"], nil());
    r.expect(A, &["lindex", "nokey", "x"], nil());
    r.expect(A, &["lset", "l", "1", "B"], ok());
    r.expect(A, &["lset", "l", "-1", "C"], ok());
    r.expect(A, &["lset", "l", "5", "x"], err("ERR index out of range"));
    r.expect(A, &["lset", "l", "-4", "x"], err("ERR index out of range"));
    r.expect(
        A,
        &["lset", "l", "x", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["lset", "nokey", "0", "x"], err("ERR no such key"));
    r.expect(A, &["lset", "nokey", "x", "x"], err("ERR no such key"));
    r.expect(A, &["lrange", "l", "0", "-1"], bulks(&["a", "B", "C"]));
}

#[test]
fn linsert_before_after() {
    let mut r = Redis::new();
    r.expect(A, &["rpush", "l", "a", "b", "c"], int(3));
    r.expect(A, &["linsert", "l", "before", "b", "X"], int(4));
    r.expect(A, &["linsert", "l", "after", "c", "Y"], int(5));
    r.expect(A, &["linsert", "l", "before", "nope", "Z"], int(-1));
    r.expect(
        A,
        &["linsert", "l", "middle", "b", "Z"],
        err("ERR syntax error"),
    );
    r.expect(A, &["linsert", "nokey", "before", "a", "b"], int(0));
    r.expect(
        A,
        &["linsert", "nokey", "middle", "a", "b"],
        err("ERR syntax error"),
    );
    r.expect(A, &["linsert", "l", "AFTER", "a", "a"], int(6));
    r.expect(
        A,
        &["lrange", "l", "0", "-1"],
        bulks(&["a", "a", "X", "b", "c", "Y"]),
    );
}

#[test]
fn rpoplpush_rotates_and_moves() {
    let mut r = Redis::new();
    r.expect(A, &["rpush", "l", "a", "b", "c"], int(3));
    r.expect(A, &["rpoplpush", "l", "l2"], bulk("c"));
    r.expect(A, &["rpoplpush", "l", "l"], bulk("b"));
    r.expect(A, &["rpoplpush", "nokey", "l"], nil());
    r.expect(A, &["lrange", "l", "0", "-1"], bulks(&["b", "a"]));
    r.expect(A, &["lrange", "l2", "0", "-1"], bulks(&["c"]));
    r.expect(A, &["rpoplpush", "l2", "l"], bulk("c"));
    r.expect(A, &["exists", "l2"], int(0));
    r.expect(A, &["lrange", "l", "0", "-1"], bulks(&["c", "b", "a"]));
}

#[test]
fn new_list_commands_on_wrong_types() {
    let mut r = Redis::new();
    r.expect(A, &["set", "s", "v"], ok());
    r.expect(A, &["rpush", "l", "x"], int(1));
    r.expect(
        A,
        &["lindex", "s", "0"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["lset", "s", "0", "x"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["linsert", "s", "before", "a", "b"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["rpoplpush", "s", "l"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["rpoplpush", "l", "s"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(A, &["lrange", "l", "0", "-1"], bulks(&["x"]));
    r.expect(A, &["hset", "h", "f", "v"], int(1));
    r.expect(
        A,
        &["lindex", "h", "0"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["rpoplpush", "h", "l"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    r.expect(
        A,
        &["blpop", "h", "1"],
        err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
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
