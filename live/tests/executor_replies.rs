//! The executor's replies on hand-written schedules: error replies stay inline (inside EXEC
//! too), script errors and argument errors the recipes never hit match Redis 7.0, and a reply
//! that differs from the model's is reported, not hidden.

mod common;

use common::*;
use model::command::Command;
use model::faults::FaultModel;
use model::{cmd, Action, Reply};
use redis_races_live::executor::{run_schedule, ExecOptions};
use redis_races_live::{require_server_for_tests, ServerSpec};

#[test]
fn error_replies_stay_inline_inside_exec() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    let system = seq_system(
        vec![vec![
            cmd!["SET", "k", "v"],
            cmd!["MULTI"],
            cmd!["SET", "k2", 1],
            cmd!["INCR", "k"],
            cmd!["LPUSH", "k", "x"],
            cmd!["INCR", "k2"],
            cmd!["EXEC"],
            cmd!["INCR", "k"],
            cmd!["MULTI"],
            cmd!["NOSUCHCMD", "x"],
            cmd!["INCR", "k2"],
            cmd!["EXEC"],
            cmd!["EXEC"],
        ]],
        0,
        FaultModel::None,
    );
    let run = replay(&server, &system, &schedule("A A A A A A A A A A A A A"));
    let live = &run.live.steps;
    assert_eq!(
        live[6].reply,
        Some(Reply::Array(vec![
            Reply::ok(),
            Reply::err("ERR value is not an integer or out of range"),
            Reply::err("WRONGTYPE Operation against a key holding the wrong kind of value"),
            Reply::Int(2),
        ])),
        "EXEC keeps every reply, errors included"
    );
    assert_eq!(
        live[7].reply,
        Some(Reply::err("ERR value is not an integer or out of range"))
    );
    assert!(
        matches!(&live[9].reply, Some(Reply::Error(e)) if e.starts_with("ERR unknown command 'NOSUCHCMD'")),
        "{:?}",
        live[9].reply
    );
    assert_eq!(
        live[11].reply,
        Some(Reply::err(
            "EXECABORT Transaction discarded because of previous errors."
        ))
    );
    assert_eq!(live[12].reply, Some(Reply::err("ERR EXEC without MULTI")));
    assert_eq!(
        run.live_keys,
        vec!["k = \"v\"".to_string(), "k2 = \"2\"".to_string()]
    );
}

/// Script errors, script return values and argument errors the recipes never hit, against
/// the model's profile (Redis 7.0).
fn edge_commands() -> Vec<Command> {
    vec![
        cmd!["SET", "k", "v"],
        cmd!["EVAL", "return redis.call('incr', KEYS[1])", 1, "k"],
        cmd!["EVAL", "return redis.pcall('incr', KEYS[1])", 1, "k"],
        cmd!["EVAL", "this is not lua", 0],
        cmd!["EVAL", "return {1, 'a', false, true, 3.7}", 0],
        cmd!["EVAL", "return {ok='fine'}", 0],
        cmd!["EVAL", "return {err='bad thing'}", 0],
        cmd!["EVAL", "return redis.call('get', KEYS[1])", 1, "missing"],
        cmd!["EVAL", "return tonumber(nil) + 1", 0],
        cmd!["EVAL", "return redis.call('nosuch')", 0],
        cmd!["SET", "lock", "x", "NX", "EX", 0],
        cmd!["EXPIRE", "k", 10, "NX", "XX"],
        cmd!["TTL", "k"],
        cmd!["GETDEL", "k"],
        cmd!["LPOP", "nolist", 0],
        cmd!["BLPOP", "k", "-1"],
        cmd!["SET", "n", "007"],
        cmd!["INCR", "n"],
    ]
}

#[test]
fn script_and_argument_errors_match_redis_7_0() {
    let Some(server) = require_server_for_tests(&ServerSpec::Auto) else {
        return;
    };
    if !server.describe().contains("Redis 7.0") {
        eprintln!(
            "SKIPPED: the model's profile is Redis 7.0; this server is {}",
            server.describe()
        );
        return;
    }
    let cmds = edge_commands();
    let n = cmds.len();
    let system = seq_system(vec![cmds], 0, FaultModel::None);
    replay(&server, &system, &vec![Action::Step(0); n]);
}

/// A reply that differs is a finding, reported with both replies, and the run goes on with
/// the live replies. Redis 6.0 has no GETDEL (the model follows 7.0).
#[test]
fn a_reply_that_differs_is_reported_not_hidden() {
    let Some(server) = require_server_for_tests(&ServerSpec::Container {
        image: "redis-races/redis:6.0".into(),
    }) else {
        return;
    };
    let system = seq_system(
        vec![vec![
            cmd!["SET", "k", "v"],
            cmd!["GETDEL", "k"],
            cmd!["GET", "k"],
        ]],
        0,
        FaultModel::None,
    );
    let run = run_schedule(
        &server,
        &system,
        &schedule("A A A"),
        &ExecOptions::default(),
    )
    .unwrap();
    assert!(!run.replies_match());
    let found: Vec<(usize, Vec<&str>)> = run
        .mismatches
        .iter()
        .map(|m| (m.step, m.fields()))
        .collect();
    assert_eq!(found, vec![(1, vec!["reply"]), (2, vec!["reply"])]);
    assert_eq!(run.mismatches[0].model.reply, Some(Reply::bulk("v")));
    assert!(
        matches!(&run.mismatches[0].live.reply, Some(Reply::Error(e)) if e.starts_with("ERR unknown command `GETDEL`")),
        "{:?}",
        run.mismatches[0].live.reply
    );
    assert_eq!(run.mismatches[1].model.reply, Some(Reply::Nil));
    assert_eq!(run.mismatches[1].live.reply, Some(Reply::bulk("v")));
    assert_eq!(run.model.final_keys, Vec::<String>::new());
    assert_eq!(run.live_keys, vec!["k = \"v\"".to_string()]);
}
