//! Programs for lexicographic ranges (`model::server::zlex`): the usual programs with up to
//! eight more steps each, `ZADD`s of the members `a`…`d` (all score 0, or mixed scores, where
//! the walk keeps score order and stops at the first member past the far end) and
//! `ZRANGEBYLEX` / `ZRANGE … BYLEX` over them with every kind of end, REV, LIMIT and the
//! refused WITHSCORES. Kept out of the shared generator so that its random stream (and the
//! coverage floors measured on it) stays as it is.

use crate::program::{key, program, Op, Program};
use proptest::prelude::*;
use proptest::sample::select;

fn end() -> impl Strategy<Value = &'static str> {
    select(
        &[
            "-", "+", "[a", "(a", "[b", "(b", "[c", "(c", "[d", "[", "(", "b",
        ][..],
    )
}

fn step() -> impl Strategy<Value = Vec<String>> {
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    prop_oneof![
        (
            key(),
            select(&["0 a 0 b 0 c 0 d", "1 b 2 a 3 d 4 c", "0 c 0 a", "5 d"][..])
        )
            .prop_map(move |(k, pairs)| [vec!["ZADD".to_string(), k], words(pairs)].concat()),
        (
            key(),
            end(),
            end(),
            select(
                &[
                    "",
                    "",
                    "LIMIT 1 2",
                    "LIMIT 0 -1",
                    "LIMIT -1 1",
                    "WITHSCORES"
                ][..]
            )
        )
            .prop_map(move |(k, a, b, o)| {
                [vec!["ZRANGEBYLEX".into(), k, a.into(), b.into()], words(o)].concat()
            }),
        (
            key(),
            end(),
            end(),
            select(
                &[
                    "BYLEX",
                    "BYLEX REV",
                    "BYLEX LIMIT 1 2",
                    "BYLEX REV LIMIT 1 1",
                    "BYLEX WITHSCORES"
                ][..]
            )
        )
            .prop_map(move |(k, a, b, o)| {
                [vec!["ZRANGE".into(), k, a.into(), b.into()], words(o)].concat()
            }),
    ]
}

/// Programs for the lex conformance runs (see the module doc).
pub fn lex_program(max_steps: usize) -> impl Strategy<Value = Program> {
    (
        program(max_steps),
        prop::collection::vec((0u8..4, step(), 0..max_steps), 1..=8),
    )
        .prop_map(|(mut p, extra)| {
            for (conn, command, at) in extra {
                let at = at.min(p.ops.len());
                let conn = conn % p.conns;
                p.ops.insert(at, Op::Send { conn, command });
            }
            p.normalized()
        })
}
