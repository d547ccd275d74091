//! The generator's share for issue 16's classes: blocking pops on several keys (served by
//! MULTI and EVAL pushes to several keys), BRPOP/BLMOVE/BRPOPLPUSH, timeouts in strtod's
//! forms, negative and out-of-range indices, absurd and past TTLs, GETEX, and real Redis
//! commands the model does not implement (which the model must refuse cleanly: the program
//! stops there, see [`crate::run::Run`]). [`classes`] tells which of these a program exercises.
//!
//! Left out on purpose: TIME and future EXAT/PXAT times, since the model's clock starts at a
//! fixed epoch and a live server's does not (their replies differ by design).

use crate::program::{Op, Program, KEYS};
use crate::run::Run;
use proptest::prelude::*;
use proptest::sample::select;

const MAX: &str = "9223372036854775807";
const MIN: &str = "-9223372036854775808";

/// Real Redis 7.0 commands the model does not implement (kept clear of those other work adds).
pub const UNMODELLED: &[&str] = &["STRLEN", "LPUSHX", "SETRANGE", "SADD"];

/// Index and count arguments: in range, past either end, at the i64 limits, malformed.
const INDICES: &[&str] = &[
    "0", "-1", "2", "-2", "-100", "-50", "100", MAX, MIN, "1.5", "-0",
];

/// Expire times: huge (overflowing with the clock or not), past absolute ones.
const TTLS: &[(&str, &str)] = &[
    ("EX", MAX),
    ("EX", "9223372036854775"),
    ("EX", "9220000000000000"),
    ("PX", MAX),
    ("PX", "9223300000000000000"),
    ("EXAT", "1"),
    ("PXAT", "1"),
    ("EXAT", MAX),
    ("EXAT", "0"),
];

/// Timeouts in the forms strtod takes (and some it refuses), all multiples of a tick.
const TIMEOUTS: &[&str] = &[
    "0", "0", "0", "0x1", "2e-1", ".4", "0.4", "1.", "+0", "inf", "nan", " 1", "-1", "1e400", MAX,
];

/// Scripts that push to two keys (serving waiters in ready order).
pub const SCRIPTS: &[&str] = &[
    "redis.call('RPUSH', KEYS[2], ARGV[1]) redis.call('RPUSH', KEYS[1], ARGV[1]) return 1",
    "redis.call('LPUSH', KEYS[1], ARGV[1]) redis.call('RPUSH', KEYS[2], ARGV[1], ARGV[1]) return redis.call('LPOP', KEYS[1])",
    "redis.call('RPUSH', KEYS[1], ARGV[1], ARGV[1]) redis.call('DEL', KEYS[2]) redis.call('RPUSH', KEYS[2], ARGV[1]) return 2",
];

/// Scripts that call an unmodelled command.
const UNMODELLED_SCRIPTS: &[&str] = &[
    "return redis.call('STRLEN', KEYS[1])",
    "return redis.pcall('LPUSHX', KEYS[1], ARGV[1])",
];

fn key() -> impl Strategy<Value = String> {
    select(&KEYS[..]).prop_map(str::to_string)
}

/// Keys only list commands touch (so waiters park and pushes land), besides [`KEYS`].
pub const LIST_KEYS: [&str; 2] = ["q1", "q2"];

/// A list key: one of [`LIST_KEYS`] mostly, sometimes a shared key.
fn list_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(&LIST_KEYS[..]).prop_map(str::to_string),
        1 => key(),
    ]
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn blocking() -> impl Strategy<Value = Vec<String>> {
    (
        select(&["BLPOP", "BRPOP", "BLPOP", "BLMOVE", "BRPOPLPUSH"][..]),
        prop::collection::vec(list_key(), 1..=3),
        list_key(),
        select(&["LEFT", "RIGHT"][..]),
        select(&["LEFT", "RIGHT"][..]),
        select(TIMEOUTS),
    )
        .prop_map(|(name, keys, dst, from, to, t)| match name {
            "BLMOVE" => s(&[name, &keys[0], &dst, from, to, t]),
            "BRPOPLPUSH" => s(&[name, &keys[0], &dst, t]),
            _ => [vec![name.to_string()], keys, vec![t.to_string()]].concat(),
        })
}

/// LRANGE bounds that reach past the start of a short list (the ones easy to get wrong).
const PAST_START: &[(&str, &str)] = &[
    ("-100", "-50"),
    ("0", "-100"),
    (MIN, MIN),
    ("-100", "-5"),
    ("-3", "-100"),
];

fn ranges() -> impl Strategy<Value = Vec<String>> {
    (
        select(&["LRANGE", "LRANGE", "LREM", "LPOP", "RPOP"][..]),
        list_key(),
        select(INDICES),
        select(INDICES),
        prop::option::of(select(PAST_START)),
    )
        .prop_map(|(name, k, a, b, past)| match (name, past) {
            ("LRANGE", Some((a, b))) => s(&[name, &k, a, b]),
            ("LRANGE", None) => s(&[name, &k, a, b]),
            ("LREM", _) => s(&[name, &k, a, "1"]),
            _ => s(&[name, &k, a]),
        })
}

fn ttls() -> impl Strategy<Value = Vec<String>> {
    (
        select(&["SET", "SET", "GETEX", "EXPIRE", "PEXPIRE", "SETEX"][..]),
        key(),
        select(TTLS),
        select(&["", "PERSIST"][..]),
    )
        .prop_map(|(name, k, (opt, n), persist)| match name {
            "SET" => s(&[name, &k, "1", opt, n]),
            "GETEX" if !persist.is_empty() => s(&[name, &k, persist]),
            "GETEX" => s(&[name, &k, opt, n]),
            "SETEX" => s(&[name, &k, n, "1"]),
            _ => s(&[name, &k, if n == "1" { MIN } else { n }]),
        })
}

fn scripts() -> impl Strategy<Value = Vec<String>> {
    (
        select(SCRIPTS),
        list_key(),
        list_key(),
        select(&["1", "x"][..]),
    )
        .prop_map(|(body, k1, k2, v)| s(&["EVAL", body, "2", &k1, &k2, v]))
}

fn unmodelled() -> impl Strategy<Value = Vec<String>> {
    (
        select(UNMODELLED),
        key(),
        select(UNMODELLED_SCRIPTS),
        any::<bool>(),
    )
        .prop_map(|(name, k, body, script)| match name {
            _ if script => s(&["EVAL", body, "1", &k, "v"]),
            "SETRANGE" => s(&[name, &k, "0", "x"]),
            "STRLEN" => s(&[name, &k]),
            _ => s(&[name, &k, "v"]),
        })
}

/// One command of these classes.
pub fn command() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        5 => blocking(),
        5 => scripts(),
        3 => ranges(),
        2 => (list_key(), select(&["a", "b c", "1 2 3"][..]))
            .prop_map(|(k, vs)| [s(&["RPUSH", &k]), s(&vs.split(' ').collect::<Vec<_>>())].concat()),
        2 => ttls(),
        1 => unmodelled(),
        1 => key().prop_map(|k| s(&["APPEND", &k, "ab"])),
        1 => Just(s(&["FLUSHALL"])),
    ]
}

/// Which issue-16 classes a program exercises (by its model run): `[waiter served by an
/// EXEC or EVAL push, range argument, absurd TTL, strtod timeout, unmodelled command]`.
pub fn classes(program: &Program, run: &Run) -> [bool; 5] {
    let mut c = [false; 5];
    for (op, step) in program.ops.iter().zip(&run.steps) {
        let Op::Send { command, .. } = op else {
            continue;
        };
        let name = command[0].to_ascii_uppercase();
        if matches!(name.as_str(), "EXEC" | "EVAL" | "EVALSHA") && !step.served.is_empty() {
            c[0] = true;
        }
        let has = |set: &[&str], from: usize| {
            command.iter().skip(from).any(|a| set.contains(&a.as_str()))
        };
        let indices: Vec<&str> = INDICES
            .iter()
            .copied()
            .filter(|i| !["0", "-1", "2"].contains(i))
            .collect();
        if matches!(name.as_str(), "LRANGE" | "LREM" | "LPOP" | "RPOP") && has(&indices, 2) {
            c[1] = true;
        }
        let ttl_values: Vec<&str> = TTLS.iter().map(|(_, n)| *n).filter(|n| *n != "1").collect();
        let ttl_cmd = matches!(
            name.as_str(),
            "SET" | "GETEX" | "EXPIRE" | "PEXPIRE" | "SETEX"
        );
        if ttl_cmd && (has(&ttl_values, 2) || has(&["EXAT", "PXAT", MIN], 2)) {
            c[2] = true;
        }
        let odd_timeouts: Vec<&str> = TIMEOUTS
            .iter()
            .copied()
            .filter(|t| !["0", "0.4"].contains(t))
            .collect();
        if matches!(name.as_str(), "BLPOP" | "BRPOP" | "BLMOVE" | "BRPOPLPUSH")
            && command
                .last()
                .is_some_and(|t| odd_timeouts.contains(&t.as_str()))
        {
            c[3] = true;
        }
    }
    c[4] = run.unmodelled.is_some();
    c
}
