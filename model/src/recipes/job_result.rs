//! Job result: a finished job left its result in `job:result`; two consumers each try to take
//! it. Property `taken-once`: when every consumer has finished, exactly one of them took the
//! result, or nobody did and it is still there — never returned twice, never lost.
//!
//! Source: seed 004 ("Atomically get and delete: GETDEL job:result:123").
//!
//! | variant | steps | verdict |
//! |---|---|---|
//! | `get-then-del` | `v = GET job:result; if v: DEL job:result` | returned twice: both GET the result before either DELs |
//! | `getdel` | `GETDEL job:result` | holds |

use crate::cmd;
use crate::faults::FaultModel;
use crate::recipe::{ClientCtx, Event, Local, Next, OneShot, Recipe};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;
use crate::world::World;

pub const KEY: &str = "job:result";

/// Exactly one consumer took the result, or it is still there untaken.
pub const TAKEN_ONCE: PropertyDef = PropertyDef {
    name: "taken-once",
    summary:
        "when every consumer has finished, the result was taken exactly once or is still there",
    kind: PropertyKind::AtEnd,
    faults: &FaultModel::ALL,
    check: taken_once,
};

fn taken_once(sys: &System, w: &World) -> Result<(), String> {
    let taken: i64 = w.clients.iter().map(|c| c.committed).sum();
    let left = i64::from(w.server.keys.contains_key(sys.scenario.subject));
    match (taken, left) {
        (1, 0) | (0, 1) => Ok(()),
        (0, 0) => Err(format!("{KEY} is gone and nobody took it")),
        (1, 1) => Err(format!(
            "a consumer took the result but {KEY} is still there: it will be taken again"
        )),
        (n, _) => Err(format!("the result was returned {n} times")),
    }
}

fn took() -> Vec<Event> {
    vec![Event::Committed { delta: 1 }]
}

/// GET, then DEL if there was something.
#[derive(Debug)]
pub struct GetThenDel;

impl Recipe for GetThenDel {
    fn connections(&self) -> &'static [&'static str] {
        &["conn"]
    }
    fn next(&self, _: &ClientCtx, l: &mut Local) -> Next {
        match l.pc {
            0 => Next::send(0, cmd!["GET", KEY]),
            1 => Next::send(0, cmd!["DEL", KEY]),
            _ => Next::finish(),
        }
    }
    fn on_reply(&self, _: &ClientCtx, l: &mut Local, r: &Reply) -> Vec<Event> {
        match (l.pc, r) {
            (0, Reply::Bulk(_)) => {
                l.pc = 1;
                took()
            }
            _ => {
                l.pc = 2;
                vec![]
            }
        }
    }
}

/// `GETDEL job:result`.
pub const GETDEL: OneShot = OneShot {
    command: |_| cmd!["GETDEL", KEY],
    outcome: |r| match r {
        Reply::Bulk(_) => took(),
        _ => vec![],
    },
};
