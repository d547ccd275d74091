//! Scenarios and rows: a scenario is a shared starting keyspace, a set of properties and the
//! variants (recipes) that try to keep them. A row is `scenario/variant`.

use crate::faults::FaultModel;
use crate::recipe::{Params, Recipe};
use crate::system::System;
use crate::world::World;
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
    /// The check: `Err` explains the violation. It sees the whole system (scenario, recipe,
    /// bounds) so a property may, e.g., run a late contender against the final server.
    pub check: fn(&System, &World) -> Result<(), String>,
}

impl fmt::Debug for PropertyDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertyDef")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish()
    }
}

/// One way of doing the scenario's job.
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: &'static str,
    pub summary: &'static str,
    pub recipe: Arc<dyn Recipe>,
}

impl Variant {
    /// A variant running `recipe` (a hand-written machine or a [`crate::program`]).
    pub fn new(
        name: &'static str,
        summary: &'static str,
        recipe: impl Recipe + 'static,
    ) -> Variant {
        Variant {
            name,
            summary,
            recipe: Arc::new(recipe),
        }
    }
}

/// A shared job, its starting keyspace, its properties and its variants.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub summary: &'static str,
    /// String keys set before any client runs.
    pub setup: Vec<(String, String)>,
    /// The key the properties are about (the counter, the stock, the lock).
    pub subject: &'static str,
    pub properties: Vec<PropertyDef>,
    pub variants: Vec<Variant>,
    /// Clients when the user does not say.
    pub default_clients: usize,
    pub params: Params,
    /// How many clock ticks (seconds) a run may span; 0 for scenarios without time.
    pub max_ticks: u64,
}

impl Scenario {
    pub fn variant(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.name == name)
    }

    pub fn property(&self, name: &str) -> Option<usize> {
        self.properties.iter().position(|p| p.name == name)
    }

    /// The integer the subject key starts at (0 if unset or not a number).
    pub fn initial(&self) -> i64 {
        self.setup
            .iter()
            .find(|(k, _)| k == self.subject)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
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
