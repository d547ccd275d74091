//! Range arithmetic, the clock's epoch (expiry overflow, TIME), GETEX, SET EXAT/PXAT, APPEND,
//! ECHO and FLUSHALL/FLUSHDB. Every expected reply was checked against a real Redis 7.0.15
//! (redis-cli and a raw RESP2 client).

mod common;
use common::*;
use model::server::EPOCH_MS;

const MAX: &str = "9223372036854775807";
const MIN: &str = "-9223372036854775808";

fn five() -> Redis {
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "l", "a", "b", "c", "d", "e"], int(5));
    r
}

#[test]
fn lrange_clamps_only_the_start() {
    let mut r = five();
    let empty = arr(vec![]);
    for (s, e, want) in [
        ("-100", "-50", empty.clone()),
        ("-100", "-5", bulks(&["a"])),
        ("-100", "-6", empty.clone()),
        ("-100", "0", bulks(&["a"])),
        ("-100", "100", bulks(&["a", "b", "c", "d", "e"])),
        ("3", "1", empty.clone()),
        ("-1", "-2", empty.clone()),
        ("2", "-100", empty.clone()),
        ("0", MAX, bulks(&["a", "b", "c", "d", "e"])),
        (MIN, "-1", bulks(&["a", "b", "c", "d", "e"])),
        (MAX, MAX, empty.clone()),
        ("5", "10", empty.clone()),
        ("4", "4", bulks(&["e"])),
        ("-5", "-5", bulks(&["a"])),
        ("-6", "-6", empty.clone()),
    ] {
        r.expect(A, &["LRANGE", "l", s, e], want);
    }
    for bad in ["9223372036854775808", "1.5", " 1", "+1", "01", "-0"] {
        r.expect(A, &["LRANGE", "l", bad, "2"], err(NOT_INT));
    }
}

#[test]
fn lrem_and_pop_counts_at_the_extremes() {
    let mut r = five();
    for n in ["-100", "100", MAX, MIN] {
        r.expect(A, &["LREM", "l", n, "zz"], int(0));
    }
    for n in ["0x1", "1.0"] {
        r.expect(A, &["LREM", "l", n, "zz"], err(NOT_INT));
    }
    let positive = err("ERR value is out of range, must be positive");
    r.expect(A, &["LPOP", "nol", "0"], nil());
    r.expect(A, &["LPOP", "l", "0"], arr(vec![]));
    for n in ["-1", "1.0", "-0"] {
        r.expect(A, &["LPOP", "l", n], positive.clone());
        r.expect(A, &["LPOP", "nol", n], positive.clone());
    }
    r.expect(A, &["LPOP", "nol", MAX], nil());
    r.expect(A, &["RPOP", "l", MAX], bulks(&["e", "d", "c", "b", "a"]));
    r.expect(A, &["RPUSH", "l", "a", "b", "c"], int(3));
    r.expect(A, &["LPOP", "l", "2147483648"], bulks(&["a", "b", "c"]));
}

#[test]
fn expiry_overflow_is_checked_against_the_wall_clock() {
    let mut r = Redis::new();
    let set = err("ERR invalid expire time in 'set' command");
    for (opt, n) in [
        ("EX", MAX),
        ("EX", "9223372036854775"),
        ("EX", "9223372036854774"),
        ("PX", MAX),
    ] {
        r.expect(A, &["SET", "k", "v", opt, n], set.clone());
    }
    r.expect(A, &["SET", "k", "v", "EX", "9220000000000000"], ok());
    r.expect(A, &["SET", "k", "v", "PX", "9223370000000000000"], ok());
    r.expect(
        A,
        &["SETEX", "k", "9223372036854775", "v"],
        err("ERR invalid expire time in 'setex' command"),
    );
    r.expect(
        A,
        &["PSETEX", "k", MAX, "v"],
        err("ERR invalid expire time in 'psetex' command"),
    );
    let expire = err("ERR invalid expire time in 'expire' command");
    r.expect(A, &["SET", "k", "v"], ok());
    for n in [
        MAX,
        "9223372036854775",
        "9223372036854774",
        MIN,
        "-9223372036854776",
    ] {
        r.expect(A, &["EXPIRE", "k", n], expire.clone());
    }
    r.expect(A, &["EXPIRE", "k", "9220000000000000"], int(1));
    r.expect(A, &["TTL", "k"], int(9220000000000000));
    r.expect(
        A,
        &["PEXPIRE", "k", MAX],
        err("ERR invalid expire time in 'pexpire' command"),
    );
    r.expect(A, &["PEXPIRE", "k", "9223300000000000000"], int(1));
    r.expect(A, &["PTTL", "k"], int(9223300000000000000));
    // Far in the past: accepted, the key goes.
    r.expect(A, &["PEXPIRE", "k", MIN], int(1));
    r.expect(A, &["EXISTS", "k"], int(0));
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["EXPIRE", "k", "-9223372036854775"], int(1));
    r.expect(A, &["EXISTS", "k"], int(0));
}

#[test]
fn set_exat_and_pxat() {
    let mut r = Redis::new();
    let set = err("ERR invalid expire time in 'set' command");
    // A time in the past: OK, and the key is gone.
    r.expect(A, &["SET", "k", "v", "EXAT", "1"], ok());
    r.expect(A, &["GET", "k"], nil());
    r.expect(A, &["SET", "k", "v", "PXAT", "1"], ok());
    r.expect(A, &["EXISTS", "k"], int(0));
    for n in ["0", "-1", MAX] {
        r.expect(A, &["SET", "k", "v", "EXAT", n], set.clone());
    }
    r.expect(A, &["SET", "k", "v", "EXAT", "9223372036854775"], ok());
    r.expect(A, &["SET", "k", "v", "PXAT", MAX], ok());
    let ttl = (i64::MAX - EPOCH_MS as i64 + 500) / 1000;
    r.expect(A, &["TTL", "k"], int(ttl));
    r.expect(A, &["SET", "k", "v", "EX", "1", "PXAT", "5"], err(SYNTAX));
    r.expect(A, &["SET", "k", "v", "EXAT", "5", "KEEPTTL"], err(SYNTAX));
    r.expect(A, &["SET", "k", "v", "EXAT", "x"], err(NOT_INT));
    // An absolute deadline 2 s after the epoch: TTL 2, gone at t = 2 s.
    let at = (EPOCH_MS / 1000 + 2).to_string();
    r.expect(A, &["SET", "k", "v", "EXAT", &at], ok());
    r.expect(A, &["TTL", "k"], int(2));
    r.advance(2000);
    r.expect(A, &["EXISTS", "k"], int(0));
}

#[test]
fn time_is_the_epoch_plus_the_logical_clock() {
    let mut r = Redis::new();
    let secs = (EPOCH_MS / 1000).to_string();
    r.expect(A, &["TIME"], bulks(&[&secs, "0"]));
    r.at(1234);
    let secs1 = (EPOCH_MS / 1000 + 1).to_string();
    r.expect(A, &["TIME"], bulks(&[&secs1, "234000"]));
    r.expect(
        A,
        &["EVAL", "return redis.call('TIME')", "0"],
        bulks(&[&secs1, "234000"]),
    );
    r.expect(
        A,
        &["TIME", "x"],
        err("ERR wrong number of arguments for 'time' command"),
    );
}

#[test]
fn getex_options() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "g", "v"], ok());
    r.expect(A, &["GETEX", "g"], bulk("v"));
    r.expect(A, &["GETEX", "g", "EX", "10"], bulk("v"));
    r.expect(A, &["TTL", "g"], int(10));
    r.expect(A, &["GETEX", "g", "PX", "5000"], bulk("v"));
    r.expect(A, &["PTTL", "g"], int(5000));
    r.expect(A, &["GETEX", "g", "PERSIST"], bulk("v"));
    r.expect(A, &["TTL", "g"], int(-1));
    r.expect(A, &["GETEX", "g", "EXAT", "9999999999"], bulk("v"));
    r.expect(A, &["GETEX", "g", "PXAT", "9999999999999"], bulk("v"));
    let getex = err("ERR invalid expire time in 'getex' command");
    for (o, n) in [("EX", "0"), ("EX", "-1"), ("EX", MAX), ("PX", MAX)] {
        r.expect(A, &["GETEX", "g", o, n], getex.clone());
    }
    r.expect(A, &["GETEX", "g", "EX", "x"], err(NOT_INT));
    for bad in [
        &["GETEX", "g", "EX"][..],
        &["GETEX", "g", "EX", "1", "PX", "2"],
        &["GETEX", "g", "EX", "1", "PERSIST"],
        &["GETEX", "g", "FOO"],
        &["GETEX", "nog", "FOO"],
        &["GETEX", "a", "b"],
    ] {
        r.expect(A, bad, err(SYNTAX));
    }
    // The key is looked up before the time is parsed.
    r.expect(A, &["GETEX", "nog", "EX", "5"], nil());
    r.expect(A, &["GETEX", "nog", "EX", "x"], nil());
    r.expect(A, &["RPUSH", "gl", "1"], int(1));
    r.expect(A, &["GETEX", "gl"], err(WRONGTYPE));
    r.expect(A, &["GETEX", "gl", "EX", "x"], err(WRONGTYPE));
    // A time in the past deletes the key (after returning it).
    r.expect(A, &["GETEX", "g", "EXAT", "1"], bulk("v"));
    r.expect(A, &["EXISTS", "g"], int(0));
    r.expect(A, &["GETEX", "g", "persist"], nil());
    r.expect(
        A,
        &["GETEX"],
        err("ERR wrong number of arguments for 'getex' command"),
    );
}

#[test]
fn getex_with_a_ttl_dirties_a_watch() {
    // Real 7.0: SET g v; (B) WATCH g; GETEX g EX 10; (B) MULTI PING EXEC -> nil.
    let mut r = Redis::new();
    r.expect(A, &["SET", "g", "v"], ok());
    r.expect(B, &["WATCH", "g"], ok());
    r.expect(A, &["GETEX", "g", "EX", "10"], bulk("v"));
    r.expect(B, &["MULTI"], ok());
    r.expect(B, &["PING"], status("QUEUED"));
    r.expect(B, &["EXEC"], nil());
}

#[test]
fn append_and_echo() {
    let mut r = Redis::new();
    r.expect(A, &["APPEND", "ap", "x"], int(1));
    r.expect(A, &["APPEND", "ap", "yz"], int(3));
    r.expect(A, &["GET", "ap"], bulk("xyz"));
    r.expect(A, &["RPUSH", "apl", "1"], int(1));
    r.expect(A, &["APPEND", "apl", "x"], err(WRONGTYPE));
    r.expect(
        A,
        &["APPEND", "ap"],
        err("ERR wrong number of arguments for 'append' command"),
    );
    r.expect(A, &["ECHO", "hi"], bulk("hi"));
    r.expect(
        A,
        &["ECHO", "a", "b"],
        err("ERR wrong number of arguments for 'echo' command"),
    );
    // Inside MULTI they queue and run.
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["APPEND", "ap", "x"], status("QUEUED"));
    r.expect(A, &["ECHO", "e"], status("QUEUED"));
    r.expect(A, &["EXEC"], arr(vec![int(4), bulk("e")]));
    r.expect(
        A,
        &["EVAL", "return redis.call('ECHO','x')", "0"],
        bulk("x"),
    );
}

#[test]
fn flush_dirties_watches_on_keys_that_existed() {
    for flush in ["FLUSHALL", "FLUSHDB"] {
        // Real 7.0: WATCH on an existing key -> EXEC nil; on an absent key -> EXEC runs.
        for (present, want) in [(true, nil()), (false, arr(vec![status("PONG")]))] {
            let mut r = Redis::new();
            if present {
                r.expect(A, &["SET", "k", "v"], ok());
            }
            r.expect(A, &["WATCH", "k"], ok());
            r.expect(B, &[flush], ok());
            r.expect(A, &["MULTI"], ok());
            r.expect(A, &["PING"], status("QUEUED"));
            r.expect(A, &["EXEC"], want);
        }
    }
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["FLUSHALL", "x"], err(SYNTAX));
    r.expect(A, &["FLUSHDB", "a", "b"], err(SYNTAX));
    r.expect(A, &["FLUSHALL", "SYNC", "ASYNC"], err(SYNTAX));
    r.expect(A, &["FLUSHALL", "sync"], ok());
    r.expect(A, &["EXISTS", "k"], int(0));
    r.expect(A, &["FLUSHALL", "ASYNC"], ok());
    r.expect(A, &["EVAL", "return redis.call('FLUSHALL')", "0"], ok());
    // A parked BLPOP survives a flush and is served by the next push.
    assert_eq!(r.send(B, &["BLPOP", "a", "0"]), model::Outcome::Blocked);
    r.expect(A, &["FLUSHALL"], ok());
    r.expect(A, &["RPUSH", "a", "1"], int(1));
    assert_eq!(r.server.take_served(B), Some(bulks(&["a", "1"])));
}
