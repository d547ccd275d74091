//! Programs for the three-master cluster (`cluster3`): the cluster programs
//! ([`crate::gen_cluster`]) with the sends a cluster client cannot route dropped, so that what
//! remains is what the one-node model of a cluster predicts for three masters too.
//!
//! Their keys are laid out over the masters in one of three ways (masters by slot: `k2` 449
//! and `k3` 4576 on 0, `k4` 8455 and `k8` 8331 on 1, `k1` 12706 on 2): as generated (two
//! slots on master 0), `k2`→`k8` and `k3`→`k4` (two slots on master 1), or `k3`→`k4` (one key
//! per master), so that every master serves keys. Up to three transactions over two slots of
//! one master ([`SAME_MASTER_PAIRS`]) are added, so EXEC's whole-queue CROSSSLOT is met on a
//! master that owns both slots (across masters the second write would be MOVED).
//!
//! The routing is `live::route`'s (each command to the master of its first key; a connection
//! in MULTI or subscribed stays on the master where that began, and so do WATCH, UNWATCH,
//! MULTI, EXEC and DISCARD while it WATCHes; MULTI's master is chosen by its first keyed
//! command). Walking the program on the model in cluster mode with the same pins, a send is
//! dropped when, on a three-master cluster, it would meet another master's slot where the
//! model (one node) has it local:
//! 1. a command sent to the pin whose keys lie in one slot of another master (Redis answers
//!    MOVED, and in MULTI dooms the transaction; the model queues or runs it); keys of two
//!    slots stay, since CROSSSLOT comes before MOVED on every master;
//! 2. inside MULTI (open or pinned), a node-wide command (KEYS, SCAN, DBSIZE, FLUSHALL,
//!    FLUSHDB, SCRIPT FLUSH): it would run on one master only;
//! 3. SUBSCRIBE on a connection pinned to a master other than 0, where PUBLISH (master 0)
//!    would count it as remote;
//! 4. a script one of whose calls names only literal keys of one slot on another master than
//!    the script's (`ERR Script attempted to access a non local key`); a call mixing a
//!    declared key with a literal of another slot stays (every master refuses it alike).
//!
//! Sends on a connection the cluster model holds parked are dropped as
//! [`Program::normalized`] drops them.

use crate::gen_cluster::{cluster_program, write};
use crate::program::{script_body, value, Op, Program};
use crate::run::conn_id;
use live::route::{node_of_key, route, Route, STATE_COMMANDS};
use model::server::cluster::spans_slots;
use model::{Command, Outcome, Profile, Server};
use proptest::prelude::*;

/// Masters of the `cluster3` backend.
const MASTERS: usize = 3;

/// Programs for the `cluster3` conformance run (see the module doc).
pub fn cluster3_program(max_steps: usize) -> impl Strategy<Value = Program> {
    cluster3_candidates(max_steps).prop_map(routable)
}

/// [`cluster3_program`] before [`routable`] drops anything: laid out, transactions added.
pub fn cluster3_candidates(max_steps: usize) -> impl Strategy<Value = Program> {
    let txn = (
        0u8..4,
        0..SAME_MASTER_PAIRS.len(),
        any::<bool>(),
        value(),
        0u8..3,
        0u8..3,
        0..max_steps,
    );
    (
        cluster_program(max_steps),
        0u8..3,
        prop::collection::vec(txn, 0..=3),
    )
        .prop_map(|(p, layout, txns)| {
            let mut p = laid_out(p, layout);
            for (conn, pair, swap, v, w1, w2, at) in txns {
                let (a, b) = SAME_MASTER_PAIRS[pair];
                let (a, b) = if swap { (b, a) } else { (a, b) };
                let at = at.min(p.ops.len());
                let conn = conn % p.conns;
                let cmds = [
                    vec!["MULTI".to_string()],
                    write(a.into(), v.clone(), w1),
                    write(b.into(), v, w2),
                    vec!["EXEC".to_string()],
                ];
                for (i, command) in cmds.into_iter().enumerate() {
                    p.ops.insert(at + i, Op::Send { conn, command });
                }
            }
            p.normalized()
        })
}

/// Keys of two slots on one master: `k2` 449 and `k3` 4576 (master 0), `k4` 8455 and `k8`
/// 8331 (master 1), `k1` 12706 and `q2` 11641 (master 2).
pub const SAME_MASTER_PAIRS: [(&str, &str); 3] = [("k2", "k3"), ("k4", "k8"), ("k1", "q2")];

/// The key layout `layout` of the module doc (0: as generated).
pub fn laid_out(mut program: Program, layout: u8) -> Program {
    let renames: &[(&str, &str)] = match layout {
        1 => &[("k2", "k8"), ("k3", "k4")],
        2 => &[("k3", "k4")],
        _ => &[],
    };
    for op in &mut program.ops {
        if let Op::Send { command, .. } = op {
            for a in command.iter_mut().skip(1) {
                if let Some((_, to)) = renames.iter().find(|(from, _)| a == from) {
                    *a = to.to_string();
                }
            }
        }
    }
    program
}

/// Where each connection's commands go, as `live::route::RoutedConn` decides.
#[derive(Clone, Copy, Default)]
struct Pin {
    node: Option<usize>,
    /// MULTI went to every master; no keyed command has chosen one yet.
    open_multi: bool,
}

/// The script body a command runs, if any.
fn body_of(command: &[String]) -> Option<String> {
    match command[0].to_ascii_uppercase().as_str() {
        "EVAL" => command.get(1).cloned(),
        "EVALSHA" => command.get(1).and_then(|sha| script_body(sha)),
        _ => None,
    }
}

/// Rule 4: the literal keys of each `redis.call`/`redis.pcall` that names no declared key.
fn lone_literal_calls(body: &str) -> Vec<Vec<String>> {
    let mut calls = Vec::new();
    for part in body.split("call(").skip(1) {
        let args = part.split(')').next().unwrap_or("");
        if args.contains("KEYS[") {
            continue;
        }
        let literals: Vec<String> = args
            .split(',')
            .skip(1)
            .filter_map(|a| {
                let a = a.trim();
                a.strip_prefix('\'')?.strip_suffix('\'').map(str::to_string)
            })
            .collect();
        if !literals.is_empty() {
            calls.push(literals);
        }
    }
    calls
}

/// Drops the sends of the module doc's rules 1-4.
pub fn routable(mut program: Program) -> Program {
    let mut server = Server::new(Profile::Redis70).on_cluster();
    let mut pins = vec![Pin::default(); usize::from(program.conns)];
    let mut now = 0;
    let mut kept = Vec::with_capacity(program.ops.len());
    for op in std::mem::take(&mut program.ops) {
        let Op::Send { conn, command } = &op else {
            now += crate::TICK_MS;
            server.advance(now);
            kept.push(op);
            continue;
        };
        let id = conn_id(*conn);
        if server.is_blocked(id) {
            continue;
        }
        let pin = pins[usize::from(*conn)];
        let cmd = Command(command.clone());
        let name = cmd.name();
        let before = server.conn(id).cloned().unwrap_or_default();
        let in_multi = before.multi.is_some() || pin.open_multi;
        let sticks = pin.node.is_some()
            && (before.multi.is_some()
                || !before.pubsub.channels.is_empty()
                || STATE_COMMANDS.contains(&name.as_str()));
        let keys = cmd.key_positions();
        let first_node = keys.first().map(|&k| node_of_key(&command[k], MASTERS));
        let one_slot = !keys.is_empty() && !spans_slots([&cmd]);
        let node_wide = matches!(route(command, MASTERS), Route::Every | Route::Gather)
            && !(name == "SCRIPT"
                && command
                    .get(1)
                    .is_some_and(|s| s.eq_ignore_ascii_case("LOAD")));
        let script_node = if sticks { pin.node } else { first_node }.unwrap_or(0);
        let foreign_call = body_of(command).is_some_and(|body| {
            lone_literal_calls(&body).iter().any(|lits| {
                let c = Command([vec!["MGET".to_string()], lits.clone()].concat());
                !spans_slots([&c]) && node_of_key(&lits[0], MASTERS) != script_node
            })
        });
        let drop = (one_slot && sticks && pin.node != first_node)
            || (in_multi && node_wide)
            || (name == "SUBSCRIBE" && pin.node.is_some_and(|n| n != 0))
            || foreign_call;
        if drop {
            continue;
        }
        // The master this send reaches, and a pin MULTI's first keyed command sets.
        let mut next = pin;
        let used = match (pin.node, pin.open_multi) {
            (Some(n), _) if sticks => n,
            (None, true) => {
                let n = first_node.unwrap_or(0);
                if first_node.is_some() || matches!(name.as_str(), "EXEC" | "DISCARD") {
                    next = Pin {
                        node: Some(n),
                        open_multi: false,
                    };
                }
                n
            }
            _ => first_node.unwrap_or(0),
        };
        let outcome = server.apply(id, &cmd, now);
        let unmodelled = matches!(outcome, Outcome::Unmodelled(_));
        let state = server.conn(id).cloned().unwrap_or_default();
        let in_context =
            !state.watched.is_empty() || state.multi.is_some() || !state.pubsub.channels.is_empty();
        if !in_context {
            next = Pin::default();
        } else if next.node.is_none() && !next.open_multi {
            if name == "MULTI" {
                next.open_multi = true;
            } else {
                next.node = Some(used);
            }
        }
        pins[usize::from(*conn)] = next;
        for c in 0..program.conns {
            server.take_served(conn_id(c));
            server.take_messages(conn_id(c));
        }
        kept.push(op);
        if unmodelled {
            break;
        }
    }
    program.ops = kept;
    program
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(conn: u8, parts: &[&str]) -> Op {
        Op::Send {
            conn,
            command: parts.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_transaction_keeps_to_the_master_of_its_first_key() {
        // k1: slot 12706 (master 2); k2 449 and k3 4576 (master 0); q1 7450 (master 1).
        let p = Program {
            conns: 2,
            ops: vec![
                send(0, &["MULTI"]),
                send(0, &["SET", "k2", "1"]),
                send(0, &["SET", "k1", "1"]),
                send(0, &["SET", "k3", "1"]),
                send(0, &["MGET", "k1", "q1"]),
                send(0, &["KEYS", "*"]),
                send(0, &["EXEC"]),
                send(1, &["WATCH", "q1"]),
                send(1, &["GET", "k1"]),
                send(
                    1,
                    &[
                        "EVAL",
                        "redis.call('SET', 'k3', ARGV[1]) return 1",
                        "1",
                        "q1",
                        "v",
                    ],
                ),
                send(
                    1,
                    &[
                        "EVAL",
                        "return redis.pcall('MGET', KEYS[1], 'k3')",
                        "1",
                        "q1",
                    ],
                ),
                send(1, &["UNWATCH"]),
                send(1, &["GET", "k1"]),
            ],
        };
        let kept: Vec<String> = routable(p).ops.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            kept,
            [
                "c0: MULTI",
                "c0: SET k2 1",
                "c0: SET k3 1",
                "c0: MGET k1 q1",
                "c0: EXEC",
                "c1: WATCH q1",
                "c1: GET k1",
                "c1: EVAL \"return redis.pcall('MGET', KEYS[1], 'k3')\" 1 q1",
                "c1: UNWATCH",
                "c1: GET k1",
            ]
        );
    }
}
