//! Step-by-step comparison of the model's trace and the live one.

use model::command::Command;
use model::render::reply_text;
use model::{Step, StepKind};
use std::fmt;

/// A step at which the live run did not do what the model did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Index of the step in both traces (0-based; printed tables number from 1).
    pub step: usize,
    pub model: Step,
    pub live: Step,
}

impl Mismatch {
    /// The compared fields that differ: `kind`, `client`, `connection`, `command`, `reply`.
    pub fn fields(&self) -> Vec<&'static str> {
        differing_fields(&self.model, &self.live)
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {}:", self.step + 1)?;
        for field in self.fields() {
            let (m, l) = match field {
                "kind" => (kind_word(self.model.kind), kind_word(self.live.kind)),
                "client" => (opt(&self.model.client), opt(&self.live.client)),
                "connection" => (opt(&self.model.connection), opt(&self.live.connection)),
                "command" => (command(&self.model), command(&self.live)),
                _ => (reply_text(&self.model), reply_text(&self.live)),
            };
            write!(f, " {field}: model {m}, live {l};")?;
        }
        Ok(())
    }
}

fn kind_word(k: StepKind) -> String {
    format!("{k:?}").to_lowercase()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

fn command(s: &Step) -> String {
    s.command
        .as_ref()
        .map_or("-".into(), |c| Command(c.clone()).to_string())
}

/// The fields [`same_step`] compares that differ between `model` and `live`.
pub fn differing_fields(model: &Step, live: &Step) -> Vec<&'static str> {
    let mut out = Vec::new();
    if model.kind != live.kind {
        out.push("kind");
    }
    if model.client != live.client {
        out.push("client");
    }
    if model.connection != live.connection {
        out.push("connection");
    }
    if model.command != live.command {
        out.push("command");
    }
    if model.reply != live.reply {
        out.push("reply");
    }
    out
}

/// Whether two steps did the same thing: same kind, client, connection, command and reply
/// (time, events and notes are not compared).
pub fn same_step(model: &Step, live: &Step) -> bool {
    differing_fields(model, live).is_empty()
}
