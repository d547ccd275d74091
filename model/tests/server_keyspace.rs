//! Multi-key, keyspace-walking and WAIT commands of the server model. Every expected reply was
//! recorded from a real Redis 7.0.15 (a raw RESP2 client sending each command as written here).
//! KEYS and SCAN list keys in hash-table order on a server: their key lists compare as sets.

mod common;
use common::*;

/// Sends a KEYS or SCAN and compares its key list, sorted, with `want` (sorted).
#[track_caller]
fn expect_sorted(r: &mut Redis, args: &[&str], want: model::Reply) {
    fn sorted(reply: model::Reply) -> model::Reply {
        match reply {
            model::Reply::Array(mut items)
                if items.iter().all(|i| matches!(i, model::Reply::Bulk(_))) =>
            {
                items.sort();
                model::Reply::Array(items)
            }
            model::Reply::Array(items) => {
                model::Reply::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    let got = r.call(A, args);
    assert_eq!(sorted(got), sorted(want), "{args:?}");
}

#[test]
fn mset_mget_msetnx() {
    let mut r = Redis::new();
    r.expect(A, &["mset", "a", "1", "b", "2"], ok());
    r.expect(
        A,
        &["mset", "a"],
        err("ERR wrong number of arguments for 'mset' command"),
    );
    r.expect(
        A,
        &["mset", "a", "1", "b"],
        err("ERR wrong number of arguments for 'mset' command"),
    );
    r.expect(
        A,
        &["mget", "a", "b", "nokey"],
        arr(vec![bulk("1"), bulk("2"), nil()]),
    );
    r.expect(
        A,
        &["mget"],
        err("ERR wrong number of arguments for 'mget' command"),
    );
    r.expect(A, &["msetnx", "a", "5", "c", "3"], int(0));
    r.expect(A, &["msetnx", "c", "3", "d", "4"], int(1));
    r.expect(
        A,
        &["msetnx", "c"],
        err("ERR wrong number of arguments for 'msetnx' command"),
    );
    r.expect(
        A,
        &["msetnx", "c", "1", "e"],
        err("ERR wrong number of arguments for 'msetnx' command"),
    );
    r.expect(A, &["rpush", "l", "x"], int(1));
    r.expect(
        A,
        &["mget", "a", "l", "c", "d"],
        arr(vec![bulk("1"), nil(), bulk("3"), bulk("4")]),
    );
    r.expect(A, &["set", "t", "v", "ex", "100"], ok());
    r.expect(A, &["mset", "t", "w"], ok());
    r.expect(A, &["ttl", "t"], int(-1));
}

#[test]
fn rename_and_renamenx() {
    let mut r = Redis::new();
    r.expect(A, &["set", "a", "1", "ex", "100"], ok());
    r.expect(A, &["rename", "a", "a2"], ok());
    r.expect(A, &["ttl", "a2"], int(100));
    r.expect(A, &["rename", "nokey", "x"], err("ERR no such key"));
    r.expect(A, &["rename", "a2", "a2"], ok());
    r.expect(A, &["rename", "nokey", "nokey"], err("ERR no such key"));
    r.expect(A, &["set", "b", "2"], ok());
    r.expect(A, &["rename", "a2", "b"], ok());
    r.expect(A, &["get", "b"], bulk("1"));
    r.expect(A, &["ttl", "b"], int(100));
    r.expect(A, &["renamenx", "b", "a"], int(1));
    r.expect(A, &["renamenx", "b", "c"], err("ERR no such key"));
    r.expect(A, &["renamenx", "nokey", "c"], err("ERR no such key"));
    r.expect(A, &["set", "c", "3"], ok());
    r.expect(A, &["renamenx", "a", "c"], int(0));
    r.expect(A, &["renamenx", "c", "c"], int(0));
    r.expect(A, &["rpush", "l", "x"], int(1));
    r.expect(A, &["rename", "l", "c"], ok());
    r.expect(A, &["type", "c"], status("list"));
    r.expect(A, &["exists", "l"], int(0));
}

#[test]
fn copy_with_replace_and_db() {
    let mut r = Redis::new();
    r.expect(A, &["set", "e", "v", "ex", "100"], ok());
    r.expect(A, &["copy", "e", "e3"], int(1));
    r.expect(A, &["ttl", "e3"], int(100));
    r.expect(A, &["copy", "e", "e3"], int(0));
    r.expect(A, &["copy", "e", "e3", "replace"], int(1));
    r.expect(A, &["copy", "nokey", "x"], int(0));
    r.expect(
        A,
        &["copy", "e", "e"],
        err("ERR source and destination objects are the same"),
    );
    r.expect(
        A,
        &["copy", "nokey", "nokey"],
        err("ERR source and destination objects are the same"),
    );
    r.expect(A, &["copy", "e", "e4", "db", "0"], int(1));
    r.expect(A, &["copy", "e", "e4", "foo"], err("ERR syntax error"));
    r.expect(
        A,
        &["copy", "e", "e4", "db", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["copy", "e", "e5", "replace", "replace"], int(1));
    r.expect(A, &["copy", "e", "e6", "db"], err("ERR syntax error"));
    r.expect(A, &["hset", "h", "f", "v"], int(1));
    r.expect(A, &["copy", "h", "h2"], int(1));
    r.expect(A, &["hgetall", "h2"], bulks(&["f", "v"]));
    expect_sorted(&mut r, &["keys", "e*"], bulks(&["e", "e3", "e4", "e5"]));
}

#[test]
fn expireat_and_pexpireat_use_the_clock() {
    let mut r = Redis::new();
    r.expect(A, &["set", "a", "v"], ok());
    r.expect(A, &["expireat", "a", "0"], int(1));
    r.expect(A, &["exists", "a"], int(0));
    r.expect(A, &["set", "a", "v"], ok());
    r.expect(A, &["pexpireat", "a", "-5"], int(1));
    r.expect(A, &["exists", "a"], int(0));
    r.expect(A, &["set", "a", "v"], ok());
    r.expect(A, &["expireat", "a", "5", "nx"], int(1));
    r.expect(
        A,
        &["expireat", "a", "5", "foo"],
        err("ERR Unsupported option foo"),
    );
    r.expect(
        A,
        &["pexpireat", "a", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["expireat", "nokey", "0"], int(0));
    r.expect(
        A,
        &["expireat", "a", "99999999999999999"],
        err("ERR invalid expire time in 'expireat' command"),
    );
}

#[test]
fn keys_and_glob_patterns() {
    let mut r = Redis::new();
    r.expect(
        A,
        &[
            "mset", "h1llo", "1", "hallo", "2", "hxllo", "3", "heeello", "4", "a*b", "5", "ab",
            "6", "a\\b", "7", "b", "8",
        ],
        ok(),
    );
    expect_sorted(
        &mut r,
        &["keys", "h?llo"],
        bulks(&["h1llo", "hallo", "hxllo"]),
    );
    expect_sorted(
        &mut r,
        &["keys", "h*llo"],
        bulks(&["h1llo", "hallo", "heeello", "hxllo"]),
    );
    expect_sorted(&mut r, &["keys", "h[ae]llo"], bulks(&["hallo"]));
    expect_sorted(
        &mut r,
        &["keys", "h[^e]llo"],
        bulks(&["h1llo", "hallo", "hxllo"]),
    );
    expect_sorted(&mut r, &["keys", "h[a-b]llo"], bulks(&["hallo"]));
    expect_sorted(&mut r, &["keys", "h[b-a]llo"], bulks(&["hallo"]));
    expect_sorted(&mut r, &["keys", "a*b"], bulks(&["a*b", "a\\b", "ab"]));
    expect_sorted(&mut r, &["keys", "a\\\\b"], bulks(&["a\\b"]));
    expect_sorted(
        &mut r,
        &["keys", "*"],
        bulks(&[
            "a*b", "a\\b", "ab", "b", "h1llo", "hallo", "heeello", "hxllo",
        ]),
    );
    expect_sorted(&mut r, &["keys", "[ab]"], bulks(&["b"]));
    r.expect(A, &["keys", "nomatch"], arr(vec![]));
    r.expect(A, &["keys", "h[a"], arr(vec![]));
    r.expect(A, &["keys", "["], arr(vec![]));
}

#[test]
fn scan_cursor_match_count() {
    let mut r = Redis::new();
    r.expect(A, &["mset", "c", "1", "d", "2"], ok());
    r.expect(A, &["rpush", "l", "x"], int(1));
    expect_sorted(
        &mut r,
        &["scan", "0", "match", "c*", "count", "100"],
        arr(vec![bulk("0"), bulks(&["c"])]),
    );
    expect_sorted(
        &mut r,
        &["scan", "0", "match", "[cd]", "count", "100"],
        arr(vec![bulk("0"), bulks(&["c", "d"])]),
    );
    r.expect(A, &["scan", "0", "count", "0"], err("ERR syntax error"));
    r.expect(
        A,
        &["scan", "0", "count", "x"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["scan", "x"], err("ERR invalid cursor"));
    r.expect(A, &["scan", "-1"], arr(vec![bulk("0"), arr(vec![])]));
    r.expect(A, &["scan", " 0"], err("ERR invalid cursor"));
    r.expect(A, &["scan", "0", "match"], err("ERR syntax error"));
    expect_sorted(
        &mut r,
        &["scan", "0", "type", "list"],
        arr(vec![bulk("0"), bulks(&["l"])]),
    );
    expect_sorted(
        &mut r,
        &["scan", "0", "count", "100", "type", "string", "match", "d"],
        arr(vec![bulk("0"), bulks(&["d"])]),
    );
}

#[test]
fn wait_without_replicas() {
    let mut r = Redis::new();
    r.expect(A, &["wait", "0", "0"], int(0));
    r.expect(A, &["wait", "0", "100"], int(0));
    r.expect(
        A,
        &["wait", "x", "0"],
        err("ERR value is not an integer or out of range"),
    );
    r.expect(A, &["wait", "0", "-1"], err("ERR timeout is negative"));
    r.expect(
        A,
        &["wait", "0", "x"],
        err("ERR timeout is not an integer or out of range"),
    );
    r.expect(
        A,
        &["wait", "0"],
        err("ERR wrong number of arguments for 'wait' command"),
    );
    r.expect(A, &["multi"], ok());
    r.expect(A, &["wait", "1", "0"], status("QUEUED"));
    r.expect(A, &["exec"], arr(vec![int(0)]));
}
