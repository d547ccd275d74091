//! The replay's side-by-side table: the model's run and the live run, step by step, with
//! each reply from both and whether they agree, then the final keyspaces and whether the
//! violation reproduced (what `redis-races replay` prints).
//!
//! It reads plain model types only ([`SideBySide`]): the CLI builds one from the live run.

use crate::columns::{command_cell, width};
use model::command::Command;
use model::render::reply_text;
use model::trace::{Step, Trace};

/// One step of the schedule as both runs took it.
#[derive(Clone, Copy, Debug)]
pub struct StepPair<'a> {
    pub model: &'a Step,
    pub live: &'a Step,
    /// Whether both did the same thing (kind, client, connection, command and reply).
    pub same: bool,
}

/// What the table shows: the model's run, the live run's steps beside it, and what the
/// comparison found.
#[derive(Clone, Debug)]
pub struct SideBySide<'a> {
    /// The model's run: its row, property, fault model, clients, steps and final keyspace.
    pub model: &'a Trace,
    /// The steps both runs took, in schedule order.
    pub steps: Vec<StepPair<'a>>,
    /// Every step matched, and the live run took as many steps as the model's.
    pub replies_match: bool,
    /// The steps that differ, one line each (printed after `mismatch at`).
    pub mismatches: Vec<String>,
    /// What went unexpectedly without being a reply mismatch, one line each.
    pub warnings: &'a [String],
    /// The live keyspace after the last step, `key = value (ttl)` lines in key order.
    pub live_keys: &'a [String],
    /// The property's message on the model's final state, if violated.
    pub model_violation: Option<&'a str>,
    /// The property's message on the live run's final state, if violated.
    pub live_violation: Option<&'a str>,
    /// The live server (or fleet), as described to the user.
    pub server: &'a str,
    /// Real milliseconds per tick, when not the model's second (said in the header).
    pub tick_ms: Option<u64>,
}

/// `s` cut to `width` characters, the last one an ellipsis when cut.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// The side-by-side report, one line per step and a few lines of outcome.
pub fn render(r: &SideBySide) -> String {
    let m = r.model;
    let mut out = format!(
        "{} {} under {} ({} clients), model vs {}{}\n",
        m.row,
        m.property,
        m.faults,
        m.clients,
        r.server,
        match r.tick_ms {
            None => String::new(),
            Some(ms) => format!(", {ms} ms per tick"),
        }
    );
    let (cw, nw) = (
        width(&m.steps, &|s| s.client.as_deref()),
        width(&m.steps, &|s| s.connection.as_deref()),
    );
    out.push_str(&format!(
        "{:>3} {:>3}  {:<cw$} {:<nw$} {:<40} {:<18} {:<18} {}\n",
        "#", "t", "client", "conn", "command", "model reply", "live reply", "same"
    ));
    for (i, pair) in r.steps.iter().enumerate() {
        let (ms, ls) = (pair.model, pair.live);
        out.push_str(&format!(
            "{:>3} {:>3}  {:<cw$} {:<nw$} {:<40} {:<18} {:<18} {}\n",
            i + 1,
            ms.time,
            ms.client.as_deref().unwrap_or("-"),
            ms.connection.as_deref().unwrap_or("-"),
            clip(&command_cell(ms), 40),
            clip(&reply_text(ms), 18),
            clip(&reply_text(ls), 18),
            if pair.same { "✓" } else { "✗" }
        ));
        if !pair.same && ls.command != ms.command {
            out.push_str(&format!(
                "{:>10}live sent: {}\n",
                "",
                ls.command
                    .as_ref()
                    .map_or("(nothing)".to_string(), |c| Command(c.clone()).to_string())
            ));
        }
    }
    for mm in &r.mismatches {
        out.push_str(&format!("  mismatch at {mm}\n"));
    }
    for w in r.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }
    out.push_str("final keyspace\n");
    let keys = |k: &[String]| {
        if k.is_empty() {
            "(empty)".to_string()
        } else {
            k.join(", ")
        }
    };
    out.push_str(&format!("  model: {}\n", keys(&m.final_keys)));
    out.push_str(&format!("  live:  {}\n", keys(r.live_keys)));
    out.push_str(&format!(
        "replies: {} of {} steps match{}\n",
        m.steps.len() - r.mismatches.len(),
        m.steps.len(),
        if r.replies_match {
            ""
        } else {
            " (see the ✗ steps)"
        }
    ));
    let describe = r.server;
    match (r.model_violation, r.live_violation) {
        (Some(_), Some(live)) => {
            out.push_str(&format!("violation reproduced on {describe}: {live}\n"))
        }
        (Some(model), None) => out.push_str(&format!(
            "violation NOT reproduced on {describe}: the model ends with \"{model}\", but the live run's final state satisfies {}\n",
            m.property
        )),
        (None, Some(live)) => out.push_str(&format!(
            "the model's run does not violate {}, but the live run does on {describe}: {live}\n",
            m.property
        )),
        (None, None) => out.push_str(&format!(
            "nothing to reproduce: this run violates {} neither in the model nor on {describe}\n",
            m.property
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::reply::Reply;
    use model::trace::{StepKind, TRACE_FORMAT_VERSION};

    fn command(time: u64, client: &str, args: &[&str], reply: Option<Reply>) -> Step {
        Step {
            connection: Some("conn".into()),
            command: Some(args.iter().map(|a| a.to_string()).collect()),
            reply,
            ..Step::of_client(time, StepKind::Command, client.into())
        }
    }

    #[test]
    fn a_differing_reply_and_a_differing_command_are_marked() {
        let get = command(0, "A", &["GET", "counter"], Some(Reply::Bulk("0".into())));
        let pop = command(0, "B", &["BLPOP", "q", "0"], None);
        let pop_live = command(0, "B", &["BLPOP", "q", "0"], Some(Reply::Nil));
        let set = command(
            1,
            "A",
            &["SET", "counter", "1"],
            Some(Reply::Status("OK".into())),
        );
        let incr_live = command(1, "A", &["INCR", "counter"], Some(Reply::Int(1)));
        let tick = Step::tick(1, vec![]);
        let model = Trace {
            version: TRACE_FORMAT_VERSION,
            row: "counter/get-set".into(),
            property: "no-lost-update".into(),
            faults: "none".into(),
            clients: 2,
            steps: vec![get.clone(), pop.clone(), tick.clone(), set.clone()],
            violation: Some("1 lost".into()),
            final_keys: vec!["counter = \"1\"".into()],
        };
        let live_keys = vec![];
        let warnings = vec!["step 4 ran 3 ms late".to_string()];
        let table = SideBySide {
            model: &model,
            steps: vec![
                StepPair {
                    model: &get,
                    live: &get,
                    same: true,
                },
                StepPair {
                    model: &pop,
                    live: &pop_live,
                    same: false,
                },
                StepPair {
                    model: &tick,
                    live: &tick,
                    same: true,
                },
                StepPair {
                    model: &set,
                    live: &incr_live,
                    same: false,
                },
            ],
            replies_match: false,
            mismatches: vec!["step 2: …".into(), "step 4: …".into()],
            warnings: &warnings,
            live_keys: &live_keys,
            model_violation: Some("1 lost"),
            live_violation: None,
            server: "redis 7.0.15",
            tick_ms: Some(200),
        };
        let want = [
            "counter/get-set no-lost-update under none (2 clients), model vs redis 7.0.15, 200 ms per tick",
            "  #   t  client conn   command                                  model reply        live reply         same",
            "  1   0  A      conn   GET counter                              \"0\"                \"0\"                ✓",
            "  2   0  B      conn   BLPOP q 0                                (blocked)          (nil)              ✗",
            "  3   1  -      -      (clock +1s)                                                                    ✓",
            "  4   1  A      conn   SET counter 1                            OK                 (integer) 1        ✗",
            "          live sent: INCR counter",
            "  mismatch at step 2: …",
            "  mismatch at step 4: …",
            "  warning: step 4 ran 3 ms late",
            "final keyspace",
            "  model: counter = \"1\"",
            "  live:  (empty)",
            "replies: 2 of 4 steps match (see the ✗ steps)",
            "violation NOT reproduced on redis 7.0.15: the model ends with \"1 lost\", but the live run's final state satisfies no-lost-update",
            "",
        ];
        assert_eq!(render(&table), want.join("\n"));
    }

    #[test]
    fn long_cells_are_clipped_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 6), "abcdef");
        assert_eq!(clip("abcdefg", 6), "abcde…");
    }
}
