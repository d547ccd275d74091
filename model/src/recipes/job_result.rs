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
use crate::invariants::committed;
use crate::observation::Observation;
use crate::program::{sequential, Client, Flow, Runner, Sequential};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;

pub const KEY: &str = "job:result";

/// Exactly one consumer took the result, or it is still there untaken.
pub const TAKEN_ONCE: PropertyDef = PropertyDef {
    name: "taken-once",
    summary:
        "when every consumer has finished, the result was taken exactly once or is still there",
    kind: PropertyKind::AtEnd,
    faults: &FaultModel::EVERY,
    check: taken_once,
};

fn taken_once(sys: &System, w: &dyn Observation) -> Result<(), String> {
    let taken = committed(w);
    let left = i64::from(w.contains_key(sys.scenario.subject));
    match (taken, left) {
        (1, 0) | (0, 1) => Ok(()),
        (0, 0) => Err(format!("{KEY} is gone and nobody took it")),
        (1, 1) => Err(format!(
            "a consumer took the result but {KEY} is still there: it will be taken again"
        )),
        (n, _) => Err(format!("the result was returned {n} times")),
    }
}

/// GET, then DEL if there was something (the consumer took it when GET returned it).
fn get_then_del(c: &mut Client) -> Flow {
    if let Reply::Bulk(_) = c.call(cmd!["GET", KEY])? {
        c.committed(1);
        c.call(cmd!["DEL", KEY])?;
    }
    Ok(())
}

/// `GETDEL job:result`.
fn getdel(c: &mut Client) -> Flow {
    if let Reply::Bulk(_) = c.call(cmd!["GETDEL", KEY])? {
        c.committed(1);
    }
    Ok(())
}

/// The variants' programs, in table order: get-then-del, getdel.
pub fn programs() -> [Runner<Sequential>; 2] {
    [sequential(get_then_del), sequential(getdel)]
}

/// The scenario, whole: its rows (variants), setup, subject, invariants and bounds.
pub fn scenario() -> crate::scenario::Scenario {
    use crate::recipe::Params;
    use crate::scenario::{Scenario, Variant};
    let [get_then_del, getdel] = programs();
    Scenario {
        name: "job-result",
        summary: "two consumers each try to take a job's result once",
        setup: vec![(KEY.into(), "done".into())],
        subject: KEY,
        properties: vec![TAKEN_ONCE],
        variants: vec![
            Variant::new("get-then-del", "GET, then DEL", get_then_del),
            Variant::new("getdel", "GETDEL", getdel),
        ],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    }
}
