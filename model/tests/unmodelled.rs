//! "Unmodelled is an error, never a guess": a real Redis command the model does not implement
//! gives `Outcome::Unmodelled` wherever it is reached (directly, queued in MULTI, from
//! `redis.call`/`redis.pcall` in a script), and a check that reaches one stops with no verdict
//! and the one-line error `redis-races check` prints (exit 2). A command Redis does not have
//! gets Redis's own reply. Replies quoted below are Redis 7.0.15's.

mod common;
use common::*;
use model::checker::{self, unmodelled_error, Limits, Verdict};
use model::program::{Client, Flow, Program, Runner};
use model::scenario::{PropertyDef, PropertyKind, Scenario, Variant};
use model::{cmd, FaultModel, Outcome, Params, Profile, System};
use std::sync::Arc;

fn unmodelled(name: &str) -> Outcome {
    Outcome::Unmodelled(name.to_string())
}

#[test]
fn a_real_command_the_model_lacks_is_refused_everywhere() {
    let mut r = Redis::new();
    assert_eq!(r.send(A, &["STRLEN", "k"]), unmodelled("STRLEN"));
    assert_eq!(r.server.unmodelled.as_deref(), Some("STRLEN"));

    // Queued inside MULTI (Redis would answer QUEUED): refused at once.
    let mut r = Redis::new();
    r.expect(A, &["MULTI"], ok());
    assert_eq!(r.send(A, &["lpushx", "k", "v"]), unmodelled("LPUSHX"));

    // From a script, even through redis.pcall.
    for call in ["call", "pcall"] {
        let mut r = Redis::new();
        let script = format!("redis.call('SET', 'x', '1') return redis.{call}('STRLEN', 'k')");
        assert_eq!(
            r.send(A, &["EVAL", &script, "0"]),
            unmodelled("STRLEN"),
            "{call}"
        );
    }
}

#[test]
fn a_command_redis_does_not_have_gets_redis_reply() {
    // Real 7.0: NOSUCH x -> unknown command; inside MULTI it dooms the transaction.
    let mut r = Redis::new();
    r.expect(
        A,
        &["NOSUCH", "x"],
        err("ERR unknown command 'NOSUCH', with args beginning with: 'x' "),
    );
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["APPEND", "ap", "x"], status("QUEUED"));
    r.expect(
        A,
        &["NOSUCH", "x"],
        err("ERR unknown command 'NOSUCH', with args beginning with: 'x' "),
    );
    r.expect(A, &["EXEC"], err(EXECABORT));
    // 6.0 has no GETEX: its own unknown-command reply, not a refusal.
    let mut r = Redis {
        server: model::Server::new(Profile::Redis60),
        now: 0,
    };
    r.expect(
        A,
        &["GETEX", "k"],
        err("ERR unknown command `GETEX`, with args beginning with: `k`, "),
    );
}

/// How a probe client builds its command.
type CommandOf = fn() -> model::Command;

/// A client that sends one command and is done.
#[derive(Debug)]
struct Probe(CommandOf);

impl Program for Probe {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn run(&self, c: &mut Client) -> Flow {
        c.call((self.0)())?;
        Ok(())
    }
}

fn any_state(_: &System, _: &dyn model::Observation) -> Result<(), String> {
    Ok(())
}

/// A one-variant scenario whose clients each send `command` once.
fn scenario(command: CommandOf) -> Arc<Scenario> {
    Arc::new(Scenario {
        name: "probe",
        summary: "sends one command",
        setup: vec![],
        subject: "k",
        properties: vec![PropertyDef {
            name: "anything",
            summary: "always holds",
            kind: PropertyKind::Always,
            faults: &[FaultModel::None],
            check: any_state,
        }],
        variants: vec![Variant {
            name: "one",
            summary: "one command",
            recipes: vec![Arc::new(Runner::new(Probe(command)))],
        }],
        default_clients: 2,
        params: Params::default(),
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    })
}

#[test]
fn a_check_that_reaches_one_stops_without_a_verdict() {
    let cases: [(CommandOf, &str); 2] = [
        (|| cmd!("STRLEN", "k"), "STRLEN"),
        (
            || {
                cmd!(
                    "EVAL",
                    "return redis.call('SETRANGE', KEYS[1], 0, 'x')",
                    1,
                    "k"
                )
            },
            "SETRANGE",
        ),
    ];
    for (command, name) in cases {
        let system = System::new(scenario(command), 0, 0, FaultModel::None, None);
        let result = checker::check(&system, Limits::default(), &mut |_| {});
        assert_eq!(result.verdict, Verdict::Unknown);
        assert_eq!(result.unmodelled.as_deref(), Some(name));
        assert!(result.counterexample.is_none());
        let record = model::verdict::run_system(&system, Limits::default(), &mut |_| {});
        assert_eq!(record.unmodelled.as_deref(), Some(name));
        let line = unmodelled_error(&system.row().to_string(), name);
        assert_eq!(
            line,
            format!(
                "probe/one: the model does not implement the Redis command {name}; \
                 it stops rather than guess its reply"
            )
        );
        assert!(!line.contains('\n'));
    }
    // The same scenario with a modelled command checks normally.
    let system = System::new(scenario(|| cmd!("GET", "k")), 0, 0, FaultModel::None, None);
    let result = checker::check(&system, Limits::default(), &mut |_| {});
    assert_eq!(result.verdict, Verdict::Holds);
    assert_eq!(result.unmodelled, None);
}
