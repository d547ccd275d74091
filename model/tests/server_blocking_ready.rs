//! Blocking pops served by MULTI and EVAL pushes to several keys: ready-key order. Every
//! expected reply was checked against a real Redis 7.0.15 (and, for the re-run rule, Redis
//! 8.0.2) with one raw RESP2 socket per connection, parked sockets read after the push.

mod common;
use common::*;
use model::{Outcome, Profile};

fn park(r: &mut Redis, conn: model::ConnId, args: &[&str]) {
    assert_eq!(r.send(conn, args), Outcome::Blocked, "{args:?}");
}

fn multi(r: &mut Redis, conn: model::ConnId, cmds: &[&[&str]]) -> model::Reply {
    r.expect(conn, &["MULTI"], ok());
    for c in cmds {
        r.expect(conn, c, status("QUEUED"));
    }
    r.call(conn, &["EXEC"])
}

#[test]
fn the_key_that_became_ready_first_serves_even_a_waiter_with_an_earlier_key() {
    // Real 7.0: X BLPOP a b 0; Y BLPOP b 0; MULTI RPUSH b 1 RPUSH a 2 EXEC -> X gets [b, 1],
    // Y stays parked, a keeps [2]. (8.0 re-runs X's BLPOP: X [a, 2], Y [b, 1].)
    for (profile, x, y) in [
        (Profile::Redis70, Some(bulks(&["b", "1"])), None),
        (
            Profile::Redis80,
            Some(bulks(&["a", "2"])),
            Some(bulks(&["b", "1"])),
        ),
    ] {
        let mut r = on(profile);
        park(&mut r, A, &["BLPOP", "a", "b", "0"]);
        park(&mut r, B, &["BLPOP", "b", "0"]);
        let got = multi(&mut r, C, &[&["RPUSH", "b", "1"], &["RPUSH", "a", "2"]]);
        assert_eq!(got, arr(vec![int(1), int(1)]));
        assert_eq!(r.server.take_served(A), x, "{profile}");
        assert_eq!(r.server.take_served(B), y.clone(), "{profile}");
        assert_eq!(r.server.is_blocked(B), y.is_none());
    }
}

#[test]
fn one_transaction_serves_waiters_on_different_keys() {
    // Real 7.0: X BLPOP a 0; Y BLPOP b 0; Z BLPOP a 0; MULTI RPUSH b 1 2, RPUSH a 3 EXEC ->
    // X [a, 3], Y [b, 1], Z parked, b keeps [2].
    let mut r = Redis::new();
    park(&mut r, A, &["BLPOP", "a", "0"]);
    park(&mut r, B, &["BLPOP", "b", "0"]);
    park(&mut r, C, &["BLPOP", "a", "0"]);
    multi(
        &mut r,
        D,
        &[&["RPUSH", "b", "1", "2"], &["RPUSH", "a", "3"]],
    );
    assert_eq!(r.server.take_served(A), Some(bulks(&["a", "3"])));
    assert_eq!(r.server.take_served(B), Some(bulks(&["b", "1"])));
    assert!(r.server.is_blocked(C));
    r.expect(D, &["LRANGE", "b", "0", "-1"], bulks(&["2"]));
}

#[test]
fn a_waiter_on_the_second_key_is_served_by_it_in_8_0_only_if_its_rerun_pops() {
    // Real 7.0: X BLPOP a 0; Y BLPOP a b 0; MULTI RPUSH b 1, RPUSH a 2 EXEC -> X [a, 2],
    // Y [b, 1]. Real 8.0: Y (served via b) re-runs and pops a: Y [a, 2]; X stays parked.
    let mut r = Redis::new();
    park(&mut r, A, &["BLPOP", "a", "0"]);
    park(&mut r, B, &["BLPOP", "a", "b", "0"]);
    multi(&mut r, C, &[&["RPUSH", "b", "1"], &["RPUSH", "a", "2"]]);
    assert_eq!(r.server.take_served(A), Some(bulks(&["a", "2"])));
    assert_eq!(r.server.take_served(B), Some(bulks(&["b", "1"])));

    let mut r = on(Profile::Redis80);
    park(&mut r, A, &["BLPOP", "a", "0"]);
    park(&mut r, B, &["BLPOP", "a", "b", "0"]);
    multi(&mut r, C, &[&["RPUSH", "b", "1"], &["RPUSH", "a", "2"]]);
    assert_eq!(r.server.take_served(B), Some(bulks(&["a", "2"])));
    assert!(r.server.is_blocked(A));
}

#[test]
fn an_element_popped_again_inside_the_transaction_serves_nobody() {
    // Real 7.0: X BLPOP a 0; MULTI RPUSH a 1, LPOP a EXEC -> [1, "1"], X stays parked.
    let mut r = Redis::new();
    park(&mut r, A, &["BLPOP", "a", "0"]);
    let got = multi(&mut r, B, &[&["RPUSH", "a", "1"], &["LPOP", "a"]]);
    assert_eq!(got, arr(vec![int(1), bulk("1")]));
    assert!(r.server.is_blocked(A));
}

#[test]
fn a_key_signalled_first_still_serves_when_re_created() {
    // Real 7.0: X BLPOP a b 0; MULTI RPUSH a 1, RPUSH b 2, LPOP a, RPUSH a 3 EXEC -> X [a, 3].
    let mut r = Redis::new();
    park(&mut r, A, &["BLPOP", "a", "b", "0"]);
    multi(
        &mut r,
        B,
        &[
            &["RPUSH", "a", "1"],
            &["RPUSH", "b", "2"],
            &["LPOP", "a"],
            &["RPUSH", "a", "3"],
        ],
    );
    assert_eq!(r.server.take_served(A), Some(bulks(&["a", "3"])));
}

#[test]
fn a_ready_key_that_became_a_string_serves_nobody_in_7_0_and_wrongtype_in_8_0() {
    // Real 7.0: X BLPOP a b 0; MULTI RPUSH a 1, RPUSH b 2, DEL a, SET a s EXEC -> X [b, 2].
    // Real 8.0: X's re-run meets the string first: WRONGTYPE.
    for (profile, want) in [
        (Profile::Redis70, bulks(&["b", "2"])),
        (Profile::Redis80, err(WRONGTYPE)),
    ] {
        let mut r = on(profile);
        park(&mut r, A, &["BLPOP", "a", "b", "0"]);
        multi(
            &mut r,
            B,
            &[
                &["RPUSH", "a", "1"],
                &["RPUSH", "b", "2"],
                &["DEL", "a"],
                &["SET", "a", "s"],
            ],
        );
        assert_eq!(r.server.take_served(A), Some(want), "{profile}");
    }
}

#[test]
fn a_script_pushing_to_two_keys_serves_in_ready_order() {
    // Real 7.0: X BLPOP a b 0; Y BLPOP b 0; EVAL "RPUSH b 1; RPUSH a 2" -> X [b, 1], Y parked.
    let mut r = Redis::new();
    park(&mut r, A, &["BLPOP", "a", "b", "0"]);
    park(&mut r, B, &["BLPOP", "b", "0"]);
    let script = "redis.call('RPUSH','b','1') redis.call('RPUSH','a','2') return 1";
    r.expect(C, &["EVAL", script, "0"], int(1));
    assert_eq!(r.server.take_served(A), Some(bulks(&["b", "1"])));
    assert!(r.server.is_blocked(B));
}

#[test]
fn brpop_pops_the_tail_of_the_ready_key() {
    // Real 7.0: X BRPOP a b 0; Y BLPOP b 0; MULTI RPUSH b 1 2, RPUSH a 3 4 EXEC -> X [b, 2],
    // Y [b, 1], a keeps [3, 4].
    let mut r = Redis::new();
    park(&mut r, A, &["BRPOP", "a", "b", "0"]);
    park(&mut r, B, &["BLPOP", "b", "0"]);
    multi(
        &mut r,
        C,
        &[&["RPUSH", "b", "1", "2"], &["RPUSH", "a", "3", "4"]],
    );
    assert_eq!(r.server.take_served(A), Some(bulks(&["b", "2"])));
    assert_eq!(r.server.take_served(B), Some(bulks(&["b", "1"])));
    r.expect(C, &["LRANGE", "a", "0", "-1"], bulks(&["3", "4"]));
}

#[test]
fn a_served_blmove_makes_its_destination_ready_in_turn() {
    // Real 7.0: X BLMOVE a b LEFT RIGHT 0; Y BLPOP b 0; RPUSH a 1 -> X "1", Y [b, 1].
    let mut r = Redis::new();
    park(&mut r, A, &["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"]);
    park(&mut r, B, &["BLPOP", "b", "0"]);
    r.expect(C, &["RPUSH", "a", "1"], int(1));
    assert_eq!(r.server.take_served(A), Some(bulk("1")));
    assert_eq!(r.server.take_served(B), Some(bulks(&["b", "1"])));
    r.expect(C, &["EXISTS", "a", "b"], int(0));
}

#[test]
fn a_served_blmove_onto_a_string_gets_wrongtype_and_pops_nothing() {
    // Real 7.0: SET b s; X BLMOVE a b LEFT RIGHT 0; Y BLPOP a 0; RPUSH a 1 -> X WRONGTYPE,
    // Y [a, 1].
    let mut r = Redis::new();
    r.expect(C, &["SET", "b", "s"], ok());
    park(&mut r, A, &["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"]);
    park(&mut r, B, &["BLPOP", "a", "0"]);
    r.expect(C, &["RPUSH", "a", "1"], int(1));
    assert_eq!(r.server.take_served(A), Some(err(WRONGTYPE)));
    assert_eq!(r.server.take_served(B), Some(bulks(&["a", "1"])));
}

#[test]
fn brpoplpush_moves_tail_to_head() {
    // Real 7.0: X BRPOPLPUSH a b 0; RPUSH a 1 2 -> X "2"; a [1], b [2].
    let mut r = Redis::new();
    park(&mut r, A, &["BRPOPLPUSH", "a", "b", "0"]);
    r.expect(C, &["RPUSH", "a", "1", "2"], int(2));
    assert_eq!(r.server.take_served(A), Some(bulk("2")));
    r.expect(C, &["LRANGE", "a", "0", "-1"], bulks(&["1"]));
    r.expect(C, &["LRANGE", "b", "0", "-1"], bulks(&["2"]));
}

#[test]
fn blocking_forms_inside_multi_do_not_block_and_scripts_refuse_them() {
    // Real 7.0: RPUSH q 1 2 3; MULTI BRPOP q 0, BLMOVE q d LEFT LEFT 0, BRPOPLPUSH q d 0,
    // BRPOPLPUSH q d 0 EXEC -> [[q, 3], "1", "2", nil]; EVAL of each: not allowed.
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "q", "1", "2", "3"], int(3));
    let got = multi(
        &mut r,
        A,
        &[
            &["BRPOP", "q", "0"],
            &["BLMOVE", "q", "d", "LEFT", "LEFT", "0"],
            &["BRPOPLPUSH", "q", "d", "0"],
            &["BRPOPLPUSH", "q", "d", "0"],
        ],
    );
    assert_eq!(
        got,
        arr(vec![bulks(&["q", "3"]), bulk("1"), bulk("2"), nil()])
    );
    let script = "return redis.call('BRPOP','q','0')";
    let sha = model::scripting::sha1_hex(script);
    r.expect(
        A,
        &["EVAL", script, "0"],
        err(&format!(
            "ERR This Redis command is not allowed from script script: {sha}, on @user_script:1."
        )),
    );
}

#[test]
fn blmove_and_brpoplpush_argument_errors() {
    // Real 7.0, each reply below.
    let mut r = Redis::new();
    let arity = |c: &str| err(&format!("ERR wrong number of arguments for '{c}' command"));
    r.expect(A, &["BRPOP", "q"], arity("brpop"));
    r.expect(A, &["BLMOVE", "q", "d", "LEFT", "0"], arity("blmove"));
    r.expect(A, &["BRPOPLPUSH", "q", "d"], arity("brpoplpush"));
    r.expect(A, &["BLMOVE", "q", "d", "UP", "LEFT", "0"], err(SYNTAX));
    r.expect(
        A,
        &["BLMOVE", "q", "d", "LEFT", "RIGHT", "x"],
        err("ERR timeout is not a float or out of range"),
    );
    r.expect(
        A,
        &["BRPOPLPUSH", "q", "d", "-1"],
        err("ERR timeout is negative"),
    );
    r.expect(A, &["SET", "s", "x"], ok());
    r.expect(A, &["BRPOP", "s", "0"], err(WRONGTYPE));
    r.expect(
        A,
        &["BLMOVE", "s", "d", "LEFT", "RIGHT", "0"],
        err(WRONGTYPE),
    );
    r.expect(A, &["RPUSH", "q", "1"], int(1));
    r.expect(
        A,
        &["BLMOVE", "q", "s", "LEFT", "RIGHT", "0"],
        err(WRONGTYPE),
    );
    r.expect(A, &["BRPOPLPUSH", "q", "s", "0"], err(WRONGTYPE));
    // An empty source parks without looking at the destination.
    park(&mut r, B, &["BLMOVE", "nq", "s", "LEFT", "RIGHT", "0"]);
}

#[test]
fn timeouts_parse_as_strtold_does() {
    // Real 7.0, BLPOP on a non-empty list (so a parsed timeout pops at once).
    let mut r = Redis::new();
    let accepted = [
        "0x10",
        "0X1",
        "1e1",
        "1E-1",
        "1.",
        ".5",
        "-0.0001",
        "0.0001",
        "-0",
        "+1",
        "0x1p3",
        "9223372036854775",
    ];
    for t in accepted {
        r.expect(A, &["RPUSH", "tl", "e"], int(1));
        r.expect(A, &["BLPOP", "tl", t], bulks(&["tl", "e"]));
    }
    r.expect(A, &["RPUSH", "tl", "e"], int(1));
    for t in [" 1", "1 ", "nan", "", "1e", "abc"] {
        r.expect(
            A,
            &["BLPOP", "tl", t],
            err("ERR timeout is not a float or out of range"),
        );
    }
    for t in [
        "inf",
        "-inf",
        "INF",
        "Infinity",
        "-1",
        "9223372036854775807",
        "1e300",
    ] {
        r.expect(A, &["BLPOP", "tl", t], err("ERR timeout is negative"));
    }
}

#[test]
fn a_hex_timeout_parks_for_its_value() {
    // Real 7.0: BLPOP nolist 0x1 blocks about a second, then nil.
    let mut r = Redis::new();
    park(&mut r, A, &["BLPOP", "q", "0x1"]);
    assert!(r.advance(999).timed_out.is_empty());
    assert_eq!(r.advance(1000).timed_out, vec![A]);
    assert_eq!(r.server.take_served(A), Some(nil()));
}
