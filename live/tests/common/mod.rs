//! Shared pieces of the executor's live tests: a recipe of fixed command lists ([`Seq`]) and
//! its system, schedules written as words (`"A A tick B crash:A"`), and a replay that asserts
//! the live run matched the model's step by step.
#![allow(dead_code)]

use model::command::Command;
use model::faults::FaultModel;
use model::recipe::{ClientCtx, Event, Local, Next, Recipe};
use model::scenario::{PropertyDef, PropertyKind, Scenario, Variant};
use model::{cmd, Action, Note, Params, Reply, StepKind, System};
use redis_races_live::executor::{run_schedule, ExecOptions, LiveRun};
use redis_races_live::LiveServer;
use std::sync::Arc;

/// Each client sends its own fixed list of commands on one connection, ignoring replies.
#[derive(Debug)]
pub struct Seq(Vec<Vec<Command>>);

impl Recipe for Seq {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, me: &ClientCtx, l: &mut Local) -> Next {
        match self.0.get(me.index).and_then(|c| c.get(l.pc as usize)) {
            Some(c) => Next::send(0, c.clone()),
            None => Next::finish(),
        }
    }
    fn on_reply(&self, _: &ClientCtx, l: &mut Local, _: &Reply) -> Vec<Event> {
        l.pc += 1;
        vec![]
    }
}

pub const ANYTHING: PropertyDef = PropertyDef {
    name: "anything",
    summary: "always holds",
    kind: PropertyKind::Always,
    faults: &FaultModel::ALL,
    check: |_, _| Ok(()),
};

pub fn seq_system(per_client: Vec<Vec<Command>>, max_ticks: u64, faults: FaultModel) -> System {
    let clients = per_client.len();
    let scenario = Scenario {
        name: "seq",
        summary: "fixed command lists",
        setup: vec![],
        subject: "q",
        properties: vec![ANYTHING],
        variants: vec![Variant {
            name: "seq",
            summary: "fixed command lists",
            recipes: vec![Arc::new(Seq(per_client))],
        }],
        default_clients: clients,
        params: Params::default(),
        max_ticks,
        roles: vec![],
        history: vec![],
    };
    System::new(Arc::new(scenario), 0, 0, faults, Some(clients))
}

/// `"A A tick B crash:A"` → actions.
pub fn schedule(s: &str) -> Vec<Action> {
    let idx = |n: &str| (n.as_bytes()[0] - b'A') as usize;
    s.split_whitespace()
        .map(|w| match w {
            "tick" => Action::Tick,
            _ => match w.strip_prefix("crash:") {
                Some(n) => Action::Crash(idx(n)),
                None => Action::Step(idx(w)),
            },
        })
        .collect()
}

pub fn replay(server: &LiveServer, system: &System, actions: &[Action]) -> LiveRun {
    let run = run_schedule(server, system, actions, &ExecOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", system.row()));
    let table = |t: &model::Trace| {
        t.steps
            .iter()
            .map(model::render::step_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        run.replies_match(),
        "{} mismatches:\n{}\nmodel:\n{}\nlive:\n{}",
        system.row(),
        run.mismatches
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        table(&run.model),
        table(&run.live)
    );
    assert_eq!(run.live_keys, run.model.final_keys, "final keyspace");
    assert!(run.warnings.is_empty(), "warnings: {:?}", run.warnings);
    run
}

pub fn bulk(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| Reply::bulk(*s)).collect())
}

pub fn blpop_park_and_serve(server: &LiveServer) {
    let system = seq_system(
        vec![
            vec![cmd!["BLPOP", "q", 0]],
            vec![cmd!["BLPOP", "q", 0]],
            vec![cmd!["RPUSH", "q", "x", "y"]],
        ],
        0,
        FaultModel::None,
    );
    let run = replay(server, &system, &schedule("A B C B A"));
    let live = &run.live.steps;
    assert_eq!(live[0].reply, None, "A parks");
    assert_eq!(live[1].reply, None, "B parks");
    assert_eq!(
        live[2].reply,
        Some(Reply::Int(2)),
        "RPUSH answers the length before serving"
    );
    assert!(
        live[2].notes.contains(&Note::Served { client: "A".into() }),
        "{:?}",
        live[2].notes
    );
    assert_eq!(live[3].kind, StepKind::Receive);
    assert_eq!(
        live[3].reply,
        Some(bulk(&["q", "y"])),
        "the second waiter gets the second element"
    );
    assert_eq!(
        live[4].reply,
        Some(bulk(&["q", "x"])),
        "the oldest waiter gets the first"
    );
}
