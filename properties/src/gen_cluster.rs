//! Programs for cluster mode (`model::server::cluster`). The usual programs already send
//! multi-key commands over `k1`, `k2`, `k3` (three slots); on top of them:
//! 1. in half of the programs `k2` is renamed `{k1}k2`, which shares `k1`'s slot, so that
//!    multi-key commands, transactions and scripts over the two pass as well as fail;
//! 2. up to four transactions `MULTI`, a write to one key, a write to another, `EXEC`, so
//!    that EXEC meets its whole-queue check;
//! 3. up to four `EVAL`s of [`CLUSTER_SCRIPTS`] with one declared key, whose calls mix it with
//!    literal keys: the per-call check inside scripts, and 7.0 letting an undeclared key of
//!    another slot through.

use crate::program::{key, program, value, Op, Program};
use proptest::prelude::*;

/// Scripts (one declared key, one argument) whose calls reach literal keys.
pub const CLUSTER_SCRIPTS: [&str; 6] = [
    "return redis.pcall('MGET', KEYS[1], 'k3')",
    "return redis.pcall('MSET', KEYS[1], ARGV[1], 'k3', ARGV[1])",
    "return redis.call('RENAME', KEYS[1], 'k3')",
    "redis.call('SET', 'k3', ARGV[1]) return redis.call('GET', KEYS[1])",
    "return redis.pcall('DEL', KEYS[1], '{k1}k2')",
    "return redis.pcall('EXISTS', KEYS[1], KEYS[1])",
];

/// A write to one key, for the transactions of rule 2.
pub(crate) fn write(k: String, v: String, which: u8) -> Vec<String> {
    match which % 3 {
        0 => vec!["SET".into(), k, v],
        1 => vec!["INCR".into(), k],
        _ => vec!["RPUSH".into(), k, v],
    }
}

/// Programs for the cluster conformance run (see the module doc).
pub fn cluster_program(max_steps: usize) -> impl Strategy<Value = Program> {
    let txn = (0u8..4, key(), key(), value(), 0u8..3, 0u8..3, 0..max_steps);
    let eval = (
        0u8..4,
        0..CLUSTER_SCRIPTS.len(),
        key(),
        value(),
        0..max_steps,
    );
    (
        program(max_steps),
        any::<bool>(),
        prop::collection::vec(txn, 0..=4),
        prop::collection::vec(eval, 0..=4),
    )
        .prop_map(|(mut p, tag, txns, evals)| {
            for (conn, k1, k2, v, w1, w2, at) in txns {
                let at = at.min(p.ops.len());
                let conn = conn % p.conns;
                let cmds = [
                    vec!["MULTI".to_string()],
                    write(k1, v.clone(), w1),
                    write(k2, v, w2),
                    vec!["EXEC".to_string()],
                ];
                for (i, command) in cmds.into_iter().enumerate() {
                    p.ops.insert(at + i, Op::Send { conn, command });
                }
            }
            for (conn, i, k, v, at) in evals {
                let at = at.min(p.ops.len());
                let command = vec!["EVAL".into(), CLUSTER_SCRIPTS[i].into(), "1".into(), k, v];
                p.ops.insert(
                    at,
                    Op::Send {
                        conn: conn % p.conns,
                        command,
                    },
                );
            }
            if tag {
                for op in &mut p.ops {
                    if let Op::Send { command, .. } = op {
                        for a in command.iter_mut().skip(1) {
                            if a == "k2" {
                                *a = "{k1}k2".into();
                            }
                        }
                    }
                }
            }
            p.normalized()
        })
}
