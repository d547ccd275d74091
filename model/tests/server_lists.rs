//! LINDEX LSET LINSERT RPOPLPUSH of the server model. Every expected reply was recorded from a
//! real Redis 7.0.15 (a raw RESP2 client sending each command as written here).

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
