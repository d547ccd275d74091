//! The per-connection verbs of `model::backend::Backend` (`is_parked`, `take_served_on`,
//! `take_messages_on`) keep their contract on the model and on a live server alike: the same
//! script of verbs gives the same answers on both, and what one connection's verb takes
//! leaves the other connections' replies where they are.

use model::backend::{Backend, ModelBackend, Sent};
use model::{cmd, Command, ConnId, Profile, Reply, Server};
use redis_races_live::backend::LiveBackend;
use redis_races_live::route::Masters;
use redis_races_live::{require_server_for_tests, ServerSpec};
use std::fmt::Debug;
use std::path::PathBuf;

fn conn(c: u8) -> ConnId {
    ConnId { client: c, slot: 0 }
}

/// One answer of the script, as text (to compare the two backends' runs).
fn script<B: Backend>(b: &mut B) -> Result<Vec<String>, B::Error>
where
    B::Error: Debug,
{
    let mut out = Vec::new();
    let mut say = |what: &str, v: &dyn Debug| out.push(format!("{what}: {v:?}"));
    let send = |b: &mut B, c: u8, command: Command| b.send(conn(c), &command);
    say("A BLPOP q1", &send(b, 0, cmd!["BLPOP", "q1", 0])?);
    say("B BLPOP q2", &send(b, 1, cmd!["BLPOP", "q2", 0])?);
    say("A parked", &b.is_parked(conn(0))?);
    say("A busy", &send(b, 0, cmd!["PING"])?);
    say("C RPUSH q2", &send(b, 2, cmd!["RPUSH", "q2", "x"])?);
    say("C RPUSH q1", &send(b, 2, cmd!["RPUSH", "q1", "y"])?);
    // Poll as a stepper does: the live server serves the pops soon after the push.
    let mut served = None;
    for _ in 0..500 {
        if !b.is_parked(conn(1))? {
            served = b.take_served_on(conn(1))?;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    say("B served", &served);
    say("B parked", &b.is_parked(conn(1))?);
    say("B served again", &b.take_served_on(conn(1))?);
    // A's reply is still there for the all-connection verb.
    let mut rest = Vec::new();
    for _ in 0..500 {
        rest.extend(b.take_served()?);
        if !rest.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    say("then served", &rest);
    say("C not parked", &b.is_parked(conn(2))?);
    say("D SUBSCRIBE", &send(b, 3, cmd!["SUBSCRIBE", "ch"])?);
    say("C PUBLISH", &send(b, 2, cmd!["PUBLISH", "ch", "hi"])?);
    say("D messages", &b.take_messages_on(conn(3))?);
    say("D messages again", &b.take_messages_on(conn(3))?);
    say("C messages", &b.take_messages_on(conn(2))?);
    Ok(out)
}

#[test]
fn per_connection_verbs_agree_on_model_and_live() {
    let mut model = ModelBackend::new(Server::new(Profile::default()), 1000);
    let on_model = match script(&mut model) {
        Ok(v) => v,
        Err(never) => match never {},
    };
    // The contract itself, on the model.
    assert!(on_model.contains(&"A parked: true".to_string()));
    assert!(on_model.contains(&format!("A busy: {:?}", Sent::Busy)));
    let served = Reply::Array(vec![Reply::bulk("q2"), Reply::bulk("x")]);
    assert!(on_model.contains(&format!("B served: {:?}", Some(served))));
    assert!(on_model.contains(&"B served again: None".to_string()));

    let spec = ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    };
    let Some(server) = require_server_for_tests(&spec) else {
        return;
    };
    let mut masters = Masters::open(&server).expect("control connection");
    let conns: Vec<ConnId> = (0..4).map(conn).collect();
    let guide = Server::new(Profile::default());
    let mut live = LiveBackend::fresh(&server, &mut masters, &conns, guide, 1000).expect("open");
    let on_live = script(&mut live).expect("live script");
    assert_eq!(on_model, on_live);
}
