//! SUBSCRIBE UNSUBSCRIBE PUBLISH of the server model. Every expected reply and message was read
//! from a real Redis 7.0.15 with a raw RESP2 client (two connections; what a connection
//! received after each command, in wire order), and the 6.0 error text from 6.0.16.

mod common;
use common::*;

const SUBSCRIBED_GET: &str = "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

fn confirm(kind: &str, ch: Option<&str>, n: i64) -> model::Reply {
    arr(vec![bulk(kind), ch.map_or(nil(), bulk), int(n)])
}

fn message(ch: &str, m: &str) -> model::Reply {
    bulks(&["message", ch, m])
}

#[test]
fn messages_reach_only_current_subscribers_in_order() {
    let mut r = Redis::new();
    r.expect(A, &["UNSUBSCRIBE"], confirm("unsubscribe", None, 0));
    r.expect(
        A,
        &["UNSUBSCRIBE", "x"],
        confirm("unsubscribe", Some("x"), 0),
    );
    // Nobody listens: the message is gone.
    r.expect(B, &["PUBLISH", "ch", "nobody"], int(0));
    // One reply per channel; the ones after the first arrive as further replies.
    r.expect(
        A,
        &["SUBSCRIBE", "ch", "ch2", "ch"],
        confirm("subscribe", Some("ch"), 1),
    );
    assert_eq!(
        r.server.take_messages(A),
        vec![
            confirm("subscribe", Some("ch2"), 2),
            confirm("subscribe", Some("ch"), 2)
        ]
    );
    r.expect(B, &["PUBLISH", "ch", "m1"], int(1));
    r.expect(B, &["PUBLISH", "ch", "m2"], int(1));
    r.expect(B, &["PUBLISH", "other", "m3"], int(0));
    assert_eq!(
        r.server.take_messages(A),
        vec![message("ch", "m1"), message("ch", "m2")]
    );
    assert_eq!(r.server.take_messages(A), vec![]);
    assert_eq!(r.server.take_messages(B), vec![]);
}

#[test]
fn a_subscribed_connection_may_only_subscribe_and_ping() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["SUBSCRIBE", "ch", "ch2"],
        confirm("subscribe", Some("ch"), 1),
    );
    r.server.take_messages(A);
    r.expect(A, &["GET", "k"], err(SUBSCRIBED_GET));
    r.expect(A, &["PING"], bulks(&["pong", ""]));
    r.expect(A, &["PING", "hi"], bulks(&["pong", "hi"]));
    r.expect(
        A,
        &["SUBSCRIBE"],
        err("ERR wrong number of arguments for 'subscribe' command"),
    );
    r.expect(A, &["MULTI"], err("ERR Can't execute 'multi': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    r.expect(
        A,
        &["UNSUBSCRIBE", "ch"],
        confirm("unsubscribe", Some("ch"), 1),
    );
    r.expect(
        A,
        &["UNSUBSCRIBE", "nope"],
        confirm("unsubscribe", Some("nope"), 1),
    );
    r.expect(A, &["UNSUBSCRIBE"], confirm("unsubscribe", Some("ch2"), 0));
    r.expect(A, &["GET", "k"], nil());
    r.expect(A, &["PING"], status("PONG"));
}

#[test]
fn subscribe_inside_multi_and_scripts() {
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SUBSCRIBE", "q"], status("QUEUED"));
    r.expect(A, &["EXEC"], arr(vec![confirm("subscribe", Some("q"), 1)]));
    r.expect(B, &["PUBLISH", "q", "m3"], int(1));
    r.expect(A, &["GET", "k"], err(SUBSCRIBED_GET));
    assert_eq!(r.server.take_messages(A), vec![message("q", "m3")]);
    r.expect(
        B,
        &["EVAL", "return redis.call('PUBLISH','q','x')", "0"],
        int(1),
    );
    r.expect(
        B,
        &["EVAL", "return redis.call('SUBSCRIBE','q')", "0"],
        err("ERR This Redis command is not allowed from script script: ffc8b4c5a005c4fb2724c0be31a6f0585e94f97d, on @user_script:1."),
    );
    r.expect(
        B,
        &["PUBLISH", "q"],
        err("ERR wrong number of arguments for 'publish' command"),
    );
    r.expect(B, &["WATCH", "k"], ok());
    r.expect(B, &["SUBSCRIBE", "w"], confirm("subscribe", Some("w"), 1));
    r.expect(B, &["UNWATCH"], err("ERR Can't execute 'unwatch': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
}

#[test]
fn closing_a_connection_drops_its_subscriptions() {
    let mut r = Redis::new();
    r.expect(A, &["SUBSCRIBE", "ch"], confirm("subscribe", Some("ch"), 1));
    r.server.close(A);
    r.expect(B, &["PUBLISH", "ch", "m"], int(0));
    assert!(r.server.conns.is_empty());
}

#[test]
fn six_zero_names_fewer_commands_in_the_refusal() {
    let mut r = Redis::with_profile(model::Profile::Redis60);
    r.expect(A, &["SUBSCRIBE", "ch"], confirm("subscribe", Some("ch"), 1));
    r.expect(A, &["GET", "k"], err("ERR Can't execute 'get': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are allowed in this context"));
}

#[test]
fn refused_exec_aborts_and_subcommands_are_named_in_full() {
    // Read from 7.0.15 and 6.0.16 (raw RESP2, a connection subscribed to c1).
    let mut r = Redis::new();
    r.expect(A, &["SUBSCRIBE", "c1"], confirm("subscribe", Some("c1"), 1));
    r.expect(A, &["EXEC"], err("EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    r.expect(A, &["SCRIPT", "LOAD", "x"], err("ERR Can't execute 'script|load': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    r.expect(A, &["DISCARD"], err("ERR Can't execute 'discard': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    let mut r = Redis::with_profile(model::Profile::Redis60);
    r.expect(A, &["SUBSCRIBE", "c1"], confirm("subscribe", Some("c1"), 1));
    r.expect(A, &["SCRIPT", "LOAD", "x"], err("ERR Can't execute 'script': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are allowed in this context"));
}

/// `receive` (the recipe verb): the oldest waiting item at once; with none, the connection
/// parks until a PUBLISH serves it (counted as a receiver); giving up empties nothing.
#[test]
fn receive_takes_the_inbox_in_order_or_parks_until_a_publish() {
    use model::server::Outcome;
    let mut r = Redis::new();
    r.expect(
        A,
        &["SUBSCRIBE", "ch", "ch2"],
        confirm("subscribe", Some("ch"), 1),
    );
    // The second confirmation is the first thing received.
    assert_eq!(
        r.server.receive(A, None),
        Outcome::Reply(confirm("subscribe", Some("ch2"), 2))
    );
    r.expect(B, &["PUBLISH", "ch", "m1"], int(1));
    r.expect(B, &["PUBLISH", "ch2", "m2"], int(1));
    assert_eq!(
        r.server.receive(A, None),
        Outcome::Reply(message("ch", "m1"))
    );
    assert_eq!(
        r.server.receive(A, None),
        Outcome::Reply(message("ch2", "m2"))
    );
    // Nothing waiting: A parks, with the time it may give up from.
    assert_eq!(r.server.receive(A, Some(2000)), Outcome::Blocked);
    assert_eq!(r.server.receive_deadline(A), Some(Some(2000)));
    r.expect(B, &["PUBLISH", "ch", "m3"], int(1));
    assert_eq!(r.server.receive_deadline(A), None);
    assert_eq!(r.server.take_served(A), Some(message("ch", "m3")));
    // A message after the served one waits in the inbox.
    assert_eq!(r.server.receive(A, None), Outcome::Blocked);
    r.expect(B, &["PUBLISH", "ch", "m4"], int(1));
    r.expect(B, &["PUBLISH", "ch", "m5"], int(1));
    assert_eq!(r.server.take_served(A), Some(message("ch", "m4")));
    assert_eq!(r.server.take_messages(A), vec![message("ch", "m5")]);
    // Giving up leaves the subscription as it was.
    assert_eq!(r.server.receive(A, Some(0)), Outcome::Blocked);
    r.server.give_up_receiving(A);
    assert_eq!(r.server.receive_deadline(A), None);
    assert!(r.server.is_subscribed(A));
    // Closing the connection drops a pending receive.
    assert_eq!(r.server.receive(A, None), Outcome::Blocked);
    r.server.close(A);
    r.expect(B, &["PUBLISH", "ch", "gone"], int(0));
    assert!(r.server.conns.is_empty());
}
