//! Scenarios and rows: a scenario is a shared starting keyspace, a set of properties and the
//! variants (recipes) that try to keep them. A row is `scenario/variant`.

use crate::command::Command;
use crate::faults::FaultModel;
use crate::observation::Observation;
use crate::recipe::{Params, Recipe};
use crate::system::System;
use std::fmt;
use std::sync::Arc;

/// When a property is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyKind {
    /// In every reachable state.
    Always,
    /// In every final state (no step left). Used for "eventually" properties: the model is
    /// finite and acyclic, so every run ends.
    AtEnd,
}

/// A property: a name (part of the CLI contract), when it is checked, the fault models under
/// which it means something, and the check itself, which explains a violation in words.
#[derive(Clone)]
pub struct PropertyDef {
    pub name: &'static str,
    pub summary: &'static str,
    pub kind: PropertyKind,
    pub faults: &'static [FaultModel],
    /// The check: `Err` explains the violation. It reads the run through an [`Observation`]
    /// (a model world or a live run alike) and sees the whole system (scenario, recipe,
    /// bounds), so a property may, e.g., run a late contender against the final keyspace.
    pub check: fn(&System, &dyn Observation) -> Result<(), String>,
}

impl fmt::Debug for PropertyDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertyDef")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish()
    }
}

/// One way of doing the scenario's job: one recipe per role of the scenario.
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: &'static str,
    pub summary: &'static str,
    /// The recipe each role's clients run, in the order of [`Scenario::roles`] (one recipe in
    /// a one-role scenario).
    pub recipes: Vec<Arc<dyn Recipe>>,
}

impl Variant {
    /// A variant of a one-role scenario running `recipe` (a hand-written machine or a
    /// [`crate::program`]).
    pub fn new(
        name: &'static str,
        summary: &'static str,
        recipe: impl Recipe + 'static,
    ) -> Variant {
        Variant {
            name,
            summary,
            recipes: vec![Arc::new(recipe)],
        }
    }

    /// A variant with one recipe per role, in the order of the scenario's roles.
    pub fn with_roles(
        name: &'static str,
        summary: &'static str,
        recipes: Vec<Arc<dyn Recipe>>,
    ) -> Variant {
        Variant {
            name,
            summary,
            recipes,
        }
    }
}

/// A kind of client in a scenario (a producer, a worker) and how many run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub clients: usize,
}

/// A key's value before any client runs: a string, a list, a hash or a sorted set, with an
/// optional time to live. Built by the commands [`Preset::commands`] gives, on the model and
/// on a live server alike.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Preset {
    pub value: PresetValue,
    /// Time to live in ms from the start (`None`: no expiry).
    pub px: Option<u64>,
}

/// The value part of a [`Preset`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PresetValue {
    Str(String),
    /// Elements from head to tail (`LRANGE 0 -1` order).
    List(Vec<String>),
    /// Fields and values, in insertion order.
    Hash(Vec<(String, String)>),
    /// Members and their scores, the scores as written (`"1.5"`).
    ZSet(Vec<(String, String)>),
}

impl Preset {
    /// The string value, if the preset is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            PresetValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Builds the key in `server` at time 0, with the commands of [`Preset::commands`] sent on
    /// a connection of no client (closed again, so nothing of it stays in the world).
    pub fn apply_to(&self, server: &mut crate::server::Server, key: &str) {
        let conn = crate::server::ConnId {
            client: u8::MAX,
            slot: 0,
        };
        for cmd in self.commands(key) {
            let reply = server.apply(conn, &cmd, 0).reply();
            assert!(
                !matches!(reply, Some(crate::reply::Reply::Error(_))),
                "preset {cmd}: {reply:?}"
            );
        }
        server.close(conn);
    }

    /// The commands that build the key: `SET`, `RPUSH`, `HSET` or `ZADD`, then `PEXPIRE` if
    /// it has a time to live.
    pub fn commands(&self, key: &str) -> Vec<Command> {
        let mut args = Vec::new();
        let name = match &self.value {
            PresetValue::Str(v) => {
                args.push(v.clone());
                "SET"
            }
            PresetValue::List(items) => {
                args.extend(items.iter().cloned());
                "RPUSH"
            }
            PresetValue::Hash(fields) => {
                for (f, v) in fields {
                    args.extend([f.clone(), v.clone()]);
                }
                "HSET"
            }
            PresetValue::ZSet(members) => {
                for (m, score) in members {
                    args.extend([score.clone(), m.clone()]);
                }
                "ZADD"
            }
        };
        let mut out = Vec::new();
        if !args.is_empty() {
            let mut build = vec![name.to_string(), key.to_string()];
            build.extend(args);
            out.push(Command(build));
            if let Some(px) = self.px {
                out.push(Command(vec!["PEXPIRE".into(), key.into(), px.to_string()]));
            }
        }
        out
    }
}

impl From<&str> for Preset {
    fn from(s: &str) -> Self {
        Preset {
            value: PresetValue::Str(s.to_string()),
            px: None,
        }
    }
}

impl From<String> for Preset {
    fn from(s: String) -> Self {
        Preset {
            value: PresetValue::Str(s),
            px: None,
        }
    }
}

/// A shared job, its starting keyspace, its properties and its variants.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub summary: &'static str,
    /// Keys set before any client runs (strings, lists, hashes, sorted sets).
    pub setup: Vec<(String, Preset)>,
    /// The key the properties are about (the counter, the stock, the lock).
    pub subject: &'static str,
    pub properties: Vec<PropertyDef>,
    pub variants: Vec<Variant>,
    /// Clients when the user does not say.
    pub default_clients: usize,
    pub params: Params,
    /// How many clock ticks (seconds) a run may span; 0 for scenarios without time.
    pub max_ticks: u64,
    /// The kinds of client and how many of each, clients named in this order (A, B for the
    /// first role's two, C for the next…). Empty: one role, `default_clients` clients.
    pub roles: Vec<Role>,
    /// The built-in events (by [`crate::recipe::Event::name`]) each client's history keeps,
    /// or `["all"]`; named events are always kept. Empty for rows whose properties read no
    /// history, so their states stay as small as before.
    pub history: Vec<&'static str>,
}

impl Scenario {
    pub fn variant(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.name == name)
    }

    pub fn property(&self, name: &str) -> Option<usize> {
        self.properties.iter().position(|p| p.name == name)
    }

    /// The integer the string key `key` starts at (0 if unset or not a number).
    pub fn initial_int(&self, key: &str) -> i64 {
        self.setup
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_str()?.parse().ok())
            .unwrap_or(0)
    }

    /// The integer the subject key starts at (0 if unset or not a number).
    pub fn initial(&self) -> i64 {
        self.initial_int(self.subject)
    }

    /// Whether a client's history keeps `event`.
    pub fn keeps(&self, event: &crate::recipe::Event) -> bool {
        matches!(event, crate::recipe::Event::Named { .. })
            || self
                .history
                .iter()
                .any(|h| *h == "all" || *h == event.name())
    }

    /// How many clients run each role, given `--clients`: in a one-role scenario `clients`
    /// replaces the default; a scenario with several roles takes its own counts and refuses
    /// another total (one line, for the CLI).
    pub fn role_counts(&self, clients: Option<usize>) -> Result<Vec<usize>, String> {
        if self.roles.len() <= 1 {
            let default = self
                .roles
                .first()
                .map_or(self.default_clients, |r| r.clients);
            return Ok(vec![clients.unwrap_or(default)]);
        }
        let counts: Vec<usize> = self.roles.iter().map(|r| r.clients).collect();
        let total: usize = counts.iter().sum();
        match clients {
            Some(n) if n != total => Err(format!(
                "{} has roles ({}): --clients cannot say how many of each; change the counts in the recipe's roles",
                self.name,
                self.roles
                    .iter()
                    .map(|r| format!("{}={}", r.name, r.clients))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Ok(counts),
        }
    }
}

/// A row id: `scenario/variant`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowId {
    pub scenario: String,
    pub variant: String,
}

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.scenario, self.variant)
    }
}
