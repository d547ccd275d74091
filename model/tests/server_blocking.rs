//! BLPOP conformance. Every expected reply was checked against a real Redis 7.0.15 with
//! several connections (a raw RESP2 client, one socket each; blocked sockets read later).

mod common;
use common::*;
use model::Outcome;

#[test]
fn blpop_on_a_non_empty_list_returns_at_once() {
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "l", "a", "b"], int(2));
    r.expect(A, &["BLPOP", "l", "0"], bulks(&["l", "a"]));
    // The first non-empty key wins; the emptied list is deleted.
    r.expect(A, &["BLPOP", "nol", "l", "0"], bulks(&["l", "b"]));
    r.expect(A, &["EXISTS", "l"], int(0));
    assert!(!r.server.is_blocked(A));
}

#[test]
fn blpop_on_empty_lists_parks() {
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "l1", "l2", "0"]), Outcome::Blocked);
    assert!(r.server.is_blocked(A));
    assert_eq!(r.server.take_served(A), None);
    assert!(!r.server.is_blocked(B));
}

#[test]
fn a_push_serves_the_oldest_waiter_first() {
    // Real: (A) BLPOP l1 l2 0; (B) BLPOP l2 0; (C) LPUSH l2 x y z -> 3;
    // A gets [l2, z], B gets [l2, y]; LRANGE l2 0 -1 -> [x].
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "l1", "l2", "0"]), Outcome::Blocked);
    assert_eq!(r.send(B, &["BLPOP", "l2", "0"]), Outcome::Blocked);
    // The push replies with the length before the waiters pop.
    r.expect(C, &["LPUSH", "l2", "x", "y", "z"], int(3));
    assert!(!r.server.is_blocked(A));
    assert!(!r.server.is_blocked(B));
    assert_eq!(r.server.take_served(A), Some(bulks(&["l2", "z"])));
    assert_eq!(r.server.take_served(B), Some(bulks(&["l2", "y"])));
    assert_eq!(r.server.take_served(A), None);
    r.expect(C, &["LRANGE", "l2", "0", "-1"], bulks(&["x"]));
}

#[test]
fn one_element_serves_only_the_oldest_waiter() {
    let mut r = Redis::new();
    assert_eq!(r.send(B, &["BLPOP", "w", "0"]), Outcome::Blocked);
    assert_eq!(r.send(A, &["BLPOP", "w", "0"]), Outcome::Blocked);
    r.expect(C, &["RPUSH", "w", "v"], int(1));
    assert_eq!(r.server.take_served(B), Some(bulks(&["w", "v"])));
    assert!(r.server.is_blocked(A));
    r.expect(C, &["EXISTS", "w"], int(0));
}

#[test]
fn rpush_serves_the_head() {
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "w2", "0"]), Outcome::Blocked);
    r.expect(B, &["RPUSH", "w2", "x", "y"], int(2));
    assert_eq!(r.server.take_served(A), Some(bulks(&["w2", "x"])));
    r.expect(B, &["LRANGE", "w2", "0", "-1"], bulks(&["y"]));
}

#[test]
fn timeout_via_advance_gives_nil() {
    // Real: BLPOP q 0.2 -> nil after 200 ms.
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "q", "0.2"]), Outcome::Blocked);
    let adv = r.advance(199);
    assert!(adv.timed_out.is_empty());
    assert!(r.server.is_blocked(A));
    let adv = r.advance(200);
    assert_eq!(adv.timed_out, vec![A]);
    assert!(!r.server.is_blocked(A));
    assert_eq!(r.server.take_served(A), Some(nil()));
    // A later push finds no waiter.
    r.expect(B, &["RPUSH", "q", "v"], int(1));
    r.expect(B, &["LLEN", "q"], int(1));
}

#[test]
fn fractional_and_tiny_timeouts_round_up_to_milliseconds() {
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "q", "1.5e0"]), Outcome::Blocked);
    assert!(r.advance(1499).timed_out.is_empty());
    assert_eq!(r.advance(1500).timed_out, vec![A]);
    assert_eq!(r.server.take_served(A), Some(nil()));
    // 0.0001 s is 0.1 ms, rounded up to 1 ms (not 0 = forever).
    assert_eq!(r.send(A, &["BLPOP", "q", "0.0001"]), Outcome::Blocked);
    assert_eq!(r.advance(1501).timed_out, vec![A]);
    assert_eq!(r.server.take_served(A), Some(nil()));
}

#[test]
fn timeout_zero_waits_forever() {
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "q", "0"]), Outcome::Blocked);
    assert!(r.advance(1_000_000_000).timed_out.is_empty());
    assert!(r.server.is_blocked(A));
    r.expect(B, &["LPUSH", "q", "late"], int(1));
    assert_eq!(r.server.take_served(A), Some(bulks(&["q", "late"])));
}

#[test]
fn a_tiny_negative_timeout_rounds_to_zero_and_waits_forever() {
    // -0.0001 s is -0.1 ms, rounded up to 0: accepted, and 0 means forever.
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "q", "1"], int(1));
    r.expect(A, &["BLPOP", "q", "-0.0001"], bulks(&["q", "1"]));
    assert_eq!(r.send(A, &["BLPOP", "q", "-0"]), Outcome::Blocked);
    assert!(r.advance(1_000_000).timed_out.is_empty());
}

#[test]
fn blpop_inside_multi_does_not_block() {
    // Real: MULTI; BLPOP e 0; LPUSH e 9; BLPOP e 0; BLPOP e 0; EXEC
    //   -> [nil, 1, [e, 9], nil]
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["BLPOP", "e", "0"], status("QUEUED"));
    r.expect(A, &["LPUSH", "e", "9"], status("QUEUED"));
    r.expect(A, &["BLPOP", "e", "0"], status("QUEUED"));
    r.expect(A, &["BLPOP", "e", "0"], status("QUEUED"));
    r.expect(
        A,
        &["EXEC"],
        arr(vec![nil(), int(1), bulks(&["e", "9"]), nil()]),
    );
    assert!(!r.server.is_blocked(A));
}

#[test]
fn waiters_are_served_after_a_whole_transaction_or_script() {
    // Real: (D) BLPOP w5 0; (E) MULTI; RPUSH w5 a; LPOP w5; EXEC -> [1, a]; D still waits.
    // (E) EVAL "redis.call('rpush', KEYS[1], 'x', 'y') return redis.call('lpop', KEYS[1])"
    //   -> x; D gets [w5, y].
    let mut r = Redis::new();
    assert_eq!(r.send(D, &["BLPOP", "w5", "0"]), Outcome::Blocked);
    r.expect(C, &["MULTI"], ok());
    r.expect(C, &["RPUSH", "w5", "a"], status("QUEUED"));
    r.expect(C, &["LPOP", "w5"], status("QUEUED"));
    r.expect(C, &["EXEC"], arr(vec![int(1), bulk("a")]));
    assert!(r.server.is_blocked(D));
    r.expect(
        C,
        &[
            "EVAL",
            "redis.call('rpush', KEYS[1], 'x', 'y') return redis.call('lpop', KEYS[1])",
            "1",
            "w5",
        ],
        bulk("x"),
    );
    assert_eq!(r.server.take_served(D), Some(bulks(&["w5", "y"])));
    r.expect(C, &["LRANGE", "w5", "0", "-1"], arr(vec![]));
}

#[test]
fn a_string_written_to_a_waited_key_does_not_serve() {
    // Real: (D) BLPOP w4 0; SET w4 str; DEL w4; RPUSH w4 z -> D gets [w4, z].
    let mut r = Redis::new();
    assert_eq!(r.send(D, &["BLPOP", "w4", "0"]), Outcome::Blocked);
    r.expect(B, &["SET", "w4", "str"], ok());
    assert!(r.server.is_blocked(D));
    r.expect(B, &["DEL", "w4"], int(1));
    r.expect(B, &["RPUSH", "w4", "z"], int(1));
    assert_eq!(r.server.take_served(D), Some(bulks(&["w4", "z"])));
}

#[test]
fn wrongtype() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "v"], ok());
    r.expect(A, &["BLPOP", "s", "0"], err(WRONGTYPE));
    r.expect(A, &["BLPOP", "s", "q", "0"], err(WRONGTYPE));
    r.expect(A, &["BLPOP", "nol", "s", "0"], err(WRONGTYPE));
    // A non-empty list before the string is served; the string is never looked at.
    r.expect(A, &["RPUSH", "q", "9"], int(1));
    r.expect(A, &["BLPOP", "q", "s", "0"], bulks(&["q", "9"]));
    assert!(!r.server.is_blocked(A));
}

#[test]
fn invalid_timeouts() {
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "q", "1"], int(1));
    let negative = err("ERR timeout is negative");
    let not_float = err("ERR timeout is not a float or out of range");
    for t in ["-1", "inf", "-inf", "1e400", "1e18", "9223372036854775807"] {
        r.expect(A, &["BLPOP", "q", t], negative.clone());
    }
    for t in ["abc", "nan", " 1", "1 ", ""] {
        r.expect(A, &["BLPOP", "q", t], not_float.clone());
    }
    // The timeout is checked before the keys' types.
    r.expect(A, &["SET", "s", "v"], ok());
    r.expect(A, &["BLPOP", "s", "-1"], negative);
    r.expect(A, &["BLPOP", "s", "abc"], not_float);
    r.expect(A, &["LLEN", "q"], int(1));
    // Accepted forms.
    r.expect(A, &["RPUSH", "q", "2", "3", "4", "5"], int(5));
    for t in ["+1", ".5", "1.", "1e14"] {
        assert!(
            matches!(r.call(A, &["BLPOP", "q", t]), model::Reply::Array(_)),
            "BLPOP q {t}"
        );
    }
    r.expect(A, &["LRANGE", "q", "0", "-1"], bulks(&["5"]));
}

#[test]
fn wrong_arity() {
    let mut r = Redis::new();
    let e = err("ERR wrong number of arguments for 'blpop' command");
    r.expect(A, &["BLPOP"], e.clone());
    r.expect(A, &["BLPOP", "k"], e);
}

#[test]
fn close_removes_a_waiter() {
    // Real: (A) BLPOP w 0; (B) BLPOP w 0; A closes; (C) RPUSH w v -> 1; B gets [w, v].
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "w", "0"]), Outcome::Blocked);
    assert_eq!(r.send(B, &["BLPOP", "w", "0"]), Outcome::Blocked);
    r.server.close(A);
    assert!(!r.server.is_blocked(A));
    assert!(r.server.waiters.iter().all(|c| *c != A));
    r.expect(C, &["RPUSH", "w", "v"], int(1));
    assert_eq!(r.server.take_served(B), Some(bulks(&["w", "v"])));
    assert_eq!(r.server.take_served(A), None);
    r.expect(C, &["EXISTS", "w"], int(0));
}

#[test]
fn close_with_a_timeout_pending_times_nothing_out() {
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "w", "1"]), Outcome::Blocked);
    r.server.close(A);
    assert!(r.advance(5000).timed_out.is_empty());
    assert!(r.server.conn(A).is_none());
}

#[test]
fn a_pop_by_another_connection_does_not_serve_anyone() {
    let mut r = Redis::new();
    r.expect(B, &["RPUSH", "w", "a"], int(1));
    r.expect(B, &["LPOP", "w"], bulk("a"));
    assert_eq!(r.send(A, &["BLPOP", "w", "0"]), Outcome::Blocked);
    r.expect(B, &["LPUSH", "other", "x"], int(1));
    assert!(r.server.is_blocked(A));
}

#[test]
fn a_list_renamed_or_copied_onto_a_waited_key_serves_the_waiter() {
    // Real 7.0.15: (A) BLPOP k3 0; RPUSH k1 a b; RENAME k1 k3 -> A gets [k3, a], k3 = [b].
    // (B) BLPOP k4 0; RPUSH k5 x; COPY k5 k4 -> B gets [k4, x], k4 gone, k5 kept.
    // dbAdd signals the list it adds (signalKeyAsReady), whichever command adds it.
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["BLPOP", "k3", "0"]), Outcome::Blocked);
    r.expect(C, &["RPUSH", "k1", "a", "b"], int(2));
    r.expect(C, &["RENAME", "k1", "k3"], ok());
    assert_eq!(r.server.take_served(A), Some(bulks(&["k3", "a"])));
    r.expect(C, &["LRANGE", "k3", "0", "-1"], bulks(&["b"]));
    assert_eq!(r.send(B, &["BLPOP", "k4", "0"]), Outcome::Blocked);
    r.expect(C, &["RPUSH", "k5", "x"], int(1));
    r.expect(C, &["COPY", "k5", "k4"], int(1));
    assert_eq!(r.server.take_served(B), Some(bulks(&["k4", "x"])));
    r.expect(C, &["EXISTS", "k4", "k5"], int(1));
}

#[test]
fn a_string_renamed_onto_a_waited_key_does_not_serve() {
    // Real 7.0.15: (D) BLPOP k6 0; SET s1 x; RENAME s1 k6 -> D stays blocked.
    let mut r = Redis::new();
    assert_eq!(r.send(D, &["BLPOP", "k6", "0"]), Outcome::Blocked);
    r.expect(C, &["SET", "s1", "x"], ok());
    r.expect(C, &["RENAME", "s1", "k6"], ok());
    assert!(r.server.is_blocked(D));
}
