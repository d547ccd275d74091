//! Comparing a model run with a live run of the same program: the first step (or the final
//! keyspace) where they part ([`compare`]), within what a real server may differ by and still
//! conform (PTTL within half a tick, KEYS and SCAN as sets), and the side-by-side text of a
//! failing case ([`describe`]).

use crate::program::{Op, Program};
use crate::run::{Run, StepResult, TICK_MS};
use model::Reply;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Where a live run first departs from the model's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// 1-based step, or `None` for the final keyspace.
    pub step: Option<usize>,
    pub op: Option<String>,
    pub model: String,
    pub live: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.step, &self.op) {
            (Some(n), Some(op)) => writeln!(f, "step {n}: {op}")?,
            _ => writeln!(f, "final keyspace")?,
        }
        writeln!(f, "  model: {}", self.model)?;
        write!(f, "  live:  {}", self.live)
    }
}

fn show(s: &StepResult) -> String {
    let mut out = match (&s.reply, s.blocked) {
        (Some(r), _) => r.to_string(),
        (None, true) => "(blocked)".into(),
        (None, false) => "-".into(),
    };
    for (c, r) in &s.served {
        out.push_str(&format!("; c{c} served {r}"));
    }
    for (c, r) in &s.messages {
        out.push_str(&format!("; c{c} receives {r}"));
    }
    out
}

/// Whether two PTTL-like replies agree within the tick's granularity: a live command runs a
/// little after the model's instant (the tick boundary), by less than half a tick.
fn close_ms(model: i64, live: i64) -> bool {
    if model < 0 || live < 0 {
        return model == live;
    }
    (model - live).abs() < TICK_MS as i64 / 2
}

fn same_reply(name: &str, queued: &[String], m: &Reply, l: &Reply) -> bool {
    match (name, m, l) {
        ("PTTL", Reply::Int(a), Reply::Int(b)) => close_ms(*a, *b),
        // A server lists keys in its hash table's order: compare them as sets.
        ("KEYS" | "SCAN", _, _) => sorted_keys(m) == sorted_keys(l),
        ("EXEC", Reply::Array(ms), Reply::Array(ls)) if ms.len() == ls.len() => ms
            .iter()
            .zip(ls)
            .enumerate()
            .all(|(i, (a, b))| same_reply(queued.get(i).map_or("", String::as_str), &[], a, b)),
        _ => m == l,
    }
}

/// Compares a model run with a live run of the same program: the first divergence, if any.
pub fn compare(program: &Program, model: &Run, live: &Run) -> Option<Divergence> {
    if model.unmodelled != live.unmodelled || model.steps.len() != live.steps.len() {
        return Some(Divergence {
            step: Some(model.steps.len().min(live.steps.len()) + 1),
            op: None,
            model: format!("stops (unmodelled: {:?})", model.unmodelled),
            live: format!("stops (unmodelled: {:?})", live.unmodelled),
        });
    }
    let mut queued: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    for (n, (op, (m, l))) in program
        .ops
        .iter()
        .zip(model.steps.iter().zip(&live.steps))
        .enumerate()
    {
        let mut name = String::new();
        let mut q = Vec::new();
        if let Op::Send { conn, command } = op {
            name = command[0].to_ascii_uppercase();
            if m.reply == Some(Reply::Status("QUEUED".into())) {
                queued.entry(*conn).or_default().push(name.clone());
            }
            if matches!(name.as_str(), "EXEC" | "DISCARD") {
                q = queued.remove(conn).unwrap_or_default();
            }
        }
        let replies_agree = match (&m.reply, &l.reply) {
            (Some(a), Some(b)) => same_reply(&name, &q, a, b),
            (a, b) => a == b,
        };
        if !replies_agree
            || m.blocked != l.blocked
            || m.served != l.served
            || m.messages != l.messages
        {
            return Some(Divergence {
                step: Some(n + 1),
                op: Some(op.to_string()),
                model: show(m),
                live: show(l),
            });
        }
    }
    let keys_agree = model.keys.len() == live.keys.len()
        && model
            .keys
            .iter()
            .zip(&live.keys)
            .all(|(a, b)| a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && close_ms(a.3, b.3));
    if !keys_agree {
        let fmt = |ks: &[(String, String, String, i64)]| {
            ks.iter()
                .map(|(k, t, v, ttl)| format!("{k}={t}:[{v}] pttl {ttl}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        return Some(Divergence {
            step: None,
            op: None,
            model: fmt(&model.keys),
            live: fmt(&live.keys),
        });
    }
    None
}

/// A program and its divergence, as the snapshot of a minimal failing case shows them.
pub fn describe(program: &Program, model: &Run, live: &Run, d: &Divergence) -> String {
    let mut out = format!("connections: {}\n", program.conns);
    for (n, op) in program.ops.iter().enumerate() {
        let m = model.steps.get(n).map(show).unwrap_or_default();
        let l = live.steps.get(n).map(show).unwrap_or_default();
        out.push_str(&format!(
            "{:>3}  {op}\n       model: {m}\n       live:  {l}\n",
            n + 1
        ));
    }
    out.push_str(&format!("divergence at {d}\n"));
    out
}

/// A KEYS or SCAN reply with its key list sorted.
fn sorted_keys(r: &Reply) -> Reply {
    match r {
        Reply::Array(items) if items.iter().all(|i| matches!(i, Reply::Bulk(_))) => {
            let mut items = items.clone();
            items.sort();
            Reply::Array(items)
        }
        Reply::Array(items) => Reply::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}
