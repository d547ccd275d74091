//! WATCH / MULTI / EXEC / DISCARD conformance. Every expected reply was checked against a
//! real Redis 7.0.15 with two or more connections (a raw RESP2 client, one socket each).

mod common;
use common::*;

fn queued() -> model::Reply {
    status("QUEUED")
}

#[test]
fn watch_dirtied_by_another_connection_writing_the_same_value() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "1"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["SET", "k", "1"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watch_not_dirtied_by_reads_or_failed_writes() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["SETNX", "k", "x"], int(0));
    r.expect(B, &["SET", "k", "y", "NX"], nil());
    r.expect(B, &["INCR", "k"], err(NOT_INT));
    r.expect(B, &["PERSIST", "k"], int(0));
    r.expect(B, &["EXPIRE", "k", "10", "XX"], int(0));
    r.expect(B, &["LPUSH", "k", "a"], err(WRONGTYPE));
    r.expect(B, &["GET", "k"], bulk("v"));
    r.expect(B, &["SET", "other", "1"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], bulks(&["v"]));
}

#[test]
fn watch_dirtied_by_expire_from_another_connection() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["EXPIRE", "k", "100"], int(1));
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watch_of_a_missing_key_dirtied_by_its_creation_not_by_deleting_nothing() {
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "a", "b", "c"], ok());
    r.expect(B, &["DEL", "c"], int(0));
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], arr(vec![]));
    r.expect(A, &["WATCH", "missing"], ok());
    r.expect(B, &["SET", "missing", "1"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watch_dirtied_by_another_connections_transaction() {
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["MULTI"], ok());
    r.expect(B, &["SET", "k", "1"], queued());
    r.expect(B, &["EXEC"], arr(vec![ok()]));
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watch_dirtied_by_the_watchers_own_write_before_multi() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watch_twice_then_dirty() {
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["SET", "k", "1"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watched_key_expiring_before_exec_dirties_it() {
    // Real: SET k v PX 100; WATCH k; sleep 250ms; MULTI; SET other 1; EXEC -> nil.
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "PX", "100"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    let adv = r.advance(250);
    assert_eq!(adv.expired, vec!["k".to_string()]);
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "other", "1"], queued());
    r.expect(A, &["EXEC"], nil());
    r.expect(A, &["GET", "other"], nil());
}

#[test]
fn watched_key_expiring_without_clock_event_still_dirties_it() {
    // The deadline passes between WATCH and EXEC; no advance() call, the next command sees it.
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "PX", "100"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.at(250);
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "other", "1"], queued());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn key_already_expired_when_watched_does_not_abort_exec() {
    // Real: SET k v PX 100; sleep 250ms; WATCH k; MULTI; SET other 2; EXEC -> [OK].
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "PX", "100"], ok());
    r.at(250);
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "other", "2"], queued());
    r.expect(A, &["EXEC"], arr(vec![ok()]));
    r.expect(A, &["GET", "other"], bulk("2"));
}

#[test]
fn key_already_expired_when_watched_then_read_by_another_connection() {
    // Real: ... sleep; WATCH k; (B) GET k -> nil; MULTI; SET other 3; EXEC -> [OK].
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "PX", "100"], ok());
    r.at(250);
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["GET", "k"], nil());
    r.advance(300);
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "other", "3"], queued());
    r.expect(A, &["EXEC"], arr(vec![ok()]));
}

#[test]
fn key_already_expired_when_watched_then_written_dirties() {
    // Real: ... sleep; WATCH k; (B) SET k new; MULTI; SET other 4; EXEC -> nil.
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "PX", "100"], ok());
    r.at(250);
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["SET", "k", "new"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "other", "4"], queued());
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn watch_inside_multi_is_an_error_that_does_not_abort() {
    // Real: MULTI; SET a 1; MULTI; WATCH a; INCR a; EXEC -> [OK, 2].
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["MULTI"], err("ERR MULTI calls can not be nested"));
    r.expect(
        A,
        &["WATCH", "a"],
        err("ERR WATCH inside MULTI is not allowed"),
    );
    r.expect(A, &["INCR", "a"], queued());
    r.expect(A, &["EXEC"], arr(vec![ok(), int(2)]));
    r.expect(A, &["GET", "a"], bulk("2"));
}

#[test]
fn watch_inside_multi_does_not_watch() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["WATCH", "k"],
        err("ERR WATCH inside MULTI is not allowed"),
    );
    r.expect(B, &["SET", "k", "1"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], bulks(&["1"]));
}

#[test]
fn queue_time_unknown_command_aborts_exec() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["FOO"],
        err("ERR unknown command 'FOO', with args beginning with: "),
    );
    r.expect(A, &["SET", "a", "4"], queued());
    r.expect(A, &["EXEC"], err(EXECABORT));
    r.expect(A, &["GET", "a"], nil());
    r.expect(A, &["EXEC"], err("ERR EXEC without MULTI"));
}

#[test]
fn queue_time_wrong_arity_aborts_exec() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["SET", "a"],
        err("ERR wrong number of arguments for 'set' command"),
    );
    r.expect(A, &["SET", "b", "1"], queued());
    r.expect(A, &["EXEC"], err(EXECABORT));
    r.expect(A, &["EXISTS", "b"], int(0));
    r.expect(A, &["EXEC"], err("ERR EXEC without MULTI"));
    r.expect(A, &["DISCARD"], err("ERR DISCARD without MULTI"));
}

#[test]
fn wrong_arity_of_discard_or_watch_inside_multi_aborts_exec() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "3"], queued());
    r.expect(
        A,
        &["DISCARD", "x"],
        err("ERR wrong number of arguments for 'discard' command"),
    );
    r.expect(A, &["EXEC"], err(EXECABORT));
    r.expect(A, &["GET", "a"], nil());
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["WATCH"],
        err("ERR wrong number of arguments for 'watch' command"),
    );
    r.expect(A, &["EXEC"], err(EXECABORT));
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["MULTI", "x"],
        err("ERR wrong number of arguments for 'multi' command"),
    );
    r.expect(A, &["EXEC"], err(EXECABORT));
}

#[test]
fn exec_with_wrong_arity_discards_the_transaction() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "a", "2"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "3"], queued());
    r.expect(
        A,
        &["EXEC", "x"],
        err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"),
    );
    r.expect(A, &["GET", "a"], bulk("2"));
    r.expect(A, &["EXEC"], err("ERR EXEC without MULTI"));
}

#[test]
fn exec_with_wrong_arity_outside_multi_unwatches() {
    // Real: WATCH k; EXEC x -> EXECABORT …; (B) SET k 1; MULTI; PING; EXEC -> [PONG].
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(
        A,
        &["EXEC", "x"],
        err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"),
    );
    r.expect(B, &["SET", "k", "1"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["PING"], queued());
    r.expect(A, &["EXEC"], arr(vec![status("PONG")]));
}

#[test]
fn execabort_wins_over_a_dirty_watch() {
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["FOO"],
        err("ERR unknown command 'FOO', with args beginning with: "),
    );
    r.expect(B, &["SET", "k", "z"], ok());
    r.expect(A, &["EXEC"], err(EXECABORT));
}

#[test]
fn run_time_errors_do_not_roll_back() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "s", "str"], queued());
    r.expect(A, &["INCR", "s"], queued());
    r.expect(A, &["SET", "t", "5"], queued());
    r.expect(A, &["LPUSH", "s", "x"], queued());
    r.expect(A, &["GET", "t"], queued());
    r.expect(
        A,
        &["EXEC"],
        arr(vec![ok(), err(NOT_INT), ok(), err(WRONGTYPE), bulk("5")]),
    );
    r.expect(A, &["GET", "s"], bulk("str"));
    r.expect(A, &["GET", "t"], bulk("5"));
}

#[test]
fn exec_and_discard_without_multi() {
    let mut r = Redis::new();
    r.expect(A, &["EXEC"], err("ERR EXEC without MULTI"));
    r.expect(A, &["DISCARD"], err("ERR DISCARD without MULTI"));
}

#[test]
fn empty_transaction_and_unwatch_inside_multi() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], arr(vec![]));
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["UNWATCH"], queued());
    r.expect(A, &["PING"], queued());
    r.expect(A, &["EXEC"], arr(vec![ok(), status("PONG")]));
}

#[test]
fn discard_drops_the_queue_and_clears_watch() {
    // Real: WATCH k; MULTI; GET k; DISCARD; (B) SET k zz; MULTI; GET k; EXEC -> ["zz"].
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "k", "mine"], queued());
    r.expect(A, &["DISCARD"], ok());
    r.expect(A, &["GET", "k"], nil());
    r.expect(B, &["SET", "k", "zz"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], bulks(&["zz"]));
}

#[test]
fn exec_clears_watch() {
    // Real: WATCH k; MULTI; EXEC -> []; (B) SET k yy; MULTI; GET k; EXEC -> ["yy"].
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], arr(vec![]));
    r.expect(B, &["SET", "k", "yy"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], bulks(&["yy"]));
}

#[test]
fn aborted_exec_clears_watch_too() {
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["SET", "k", "1"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], nil());
    r.expect(B, &["SET", "k", "2"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], queued());
    r.expect(A, &["EXEC"], bulks(&["2"]));
}

#[test]
fn unwatch_clears_watch() {
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(A, &["UNWATCH"], ok());
    r.expect(B, &["SET", "k", "2"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], arr(vec![]));
}

#[test]
fn close_drops_watch_and_multi() {
    // Real: WATCH k; (A closes); (B) SET k q; new connection: MULTI; EXEC -> [].
    let mut r = Redis::new();
    r.expect(A, &["WATCH", "k"], ok());
    r.server.close(A);
    r.expect(B, &["SET", "k", "q"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["EXEC"], arr(vec![]));

    // Real: MULTI; SET z 1; (A closes); (B) GET z -> nil.
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "z", "1"], queued());
    r.server.close(A);
    assert!(r.server.conn(A).is_none());
    r.expect(B, &["GET", "z"], nil());
    r.expect(A, &["EXEC"], err("ERR EXEC without MULTI"));
}

#[test]
fn commands_inside_exec_see_the_clock() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v", "PX", "100"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["PTTL", "k"], queued());
    r.expect(A, &["SET", "n", "1", "EX", "5"], queued());
    r.at(40);
    r.expect(A, &["EXEC"], arr(vec![int(60), ok()]));
    r.expect(A, &["PTTL", "n"], int(5000));
}
