//! Programs for lexicographic ranges (`model::server::zlex`): up to 24 steps on 2–4
//! connections, `ZADD`s of the members `a`…`d` (all score 0, or mixed scores, where the walk
//! keeps score order and stops at the first member past the far end), `ZREM`, `DEL`, `SET`
//! (a wrong type) and `ZRANGEBYLEX` / `ZRANGE … BYLEX` with every kind of end, REV, LIMIT and
//! the refused WITHSCORES. Kept out of the shared generator so that its random stream (and
//! the coverage floors measured on it) stays as it is.

use crate::program::{key, Op, Program};
use proptest::prelude::*;
use proptest::sample::select;

fn end() -> impl Strategy<Value = &'static str> {
    select(
        &[
            "-", "+", "[a", "(a", "[b", "(b", "[c", "(c", "[d", "[", "(", "b",
        ][..],
    )
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn step() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => (key(), select(&["0 a 0 b 0 c 0 d", "1 b 2 a 3 d 4 c", "0 c 0 a", "5 d"][..]))
            .prop_map(|(k, pairs)| [vec!["ZADD".to_string(), k], words(pairs)].concat()),
        1 => (key(), select(&["a", "b", "c", "d"][..]))
            .prop_map(|(k, m)| vec!["ZREM".into(), k, m.into()]),
        1 => key().prop_map(|k| vec!["DEL".into(), k]),
        1 => key().prop_map(|k| vec!["SET".into(), k, "v".into()]),
        4 => (
            key(),
            end(),
            end(),
            select(&["", "", "LIMIT 1 2", "LIMIT 0 -1", "LIMIT -1 1", "WITHSCORES"][..])
        )
            .prop_map(|(k, a, b, o)| {
                [vec!["ZRANGEBYLEX".into(), k, a.into(), b.into()], words(o)].concat()
            }),
        4 => (
            key(),
            end(),
            end(),
            select(&["BYLEX", "BYLEX REV", "BYLEX LIMIT 1 2", "BYLEX REV LIMIT 1 1", "BYLEX WITHSCORES"][..])
        )
            .prop_map(|(k, a, b, o)| {
                [vec!["ZRANGE".into(), k, a.into(), b.into()], words(o)].concat()
            }),
    ]
}

/// Programs for the lex conformance runs (see the module doc).
pub fn lex_program() -> impl Strategy<Value = Program> {
    (2u8..=4, prop::collection::vec((0u8..4, step()), 1..=24)).prop_map(|(conns, steps)| {
        let ops = steps
            .into_iter()
            .map(|(conn, command)| Op::Send {
                conn: conn % conns,
                command,
            })
            .collect();
        Program { conns, ops }.normalized()
    })
}
