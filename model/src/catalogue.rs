//! The catalogue: the list of scenarios (each defined, with its rows, setup, bounds and
//! properties, in its own file under `recipes/` or `model/recipes/`) and the selection of
//! rows, properties and fault models a run asks for. Row ids (`scenario/variant`) and property
//! names are part of the CLI contract.

use crate::recipes::{counter, inventory, lock};
use crate::scenario::Scenario;
use std::sync::Arc;

pub mod files;

/// Counter: increments must not be lost (seed 000, seed 004).
pub fn counter() -> Scenario {
    counter::scenario()
}

/// Inventory: never sell more than the stock (seed 002, seed 004).
pub fn inventory() -> Scenario {
    inventory::scenario()
}

/// Locks: one holder at a time, releases by the owner only, crashed locks free (seeds 001,
/// 003, 004).
pub fn lock() -> Scenario {
    lock::scenario()
}

/// Transfer: a move between two balances is applied exactly once (seed 004).
pub fn transfer() -> Scenario {
    crate::recipes::transfer::scenario()
}

/// Job result: taken exactly once (seed 004's GETDEL).
pub fn job_result() -> Scenario {
    crate::recipes::job_result::scenario()
}

/// Fencing (DESIGN.md §4): `lock/client`'s lock plus an INCR token checked by the resource.
pub fn fencing() -> Scenario {
    crate::recipes::fencing::scenario()
}

/// Every scenario, in the order the verdict table lists them: the Rust scenarios, then the
/// recipe files of [`files::FILES`].
pub fn all() -> Vec<Arc<Scenario>> {
    let mut all = vec![
        Arc::new(counter()),
        Arc::new(inventory()),
        Arc::new(transfer()),
        Arc::new(job_result()),
        Arc::new(lock()),
        Arc::new(fencing()),
        Arc::new(crate::recipes::redlock::scenario()),
        Arc::new(crate::recipes::wait_lock::scenario()),
    ];
    // Never fails in a released binary: model/tests/recipe_files.rs loads every file.
    all.extend(
        files::scenarios().unwrap_or_else(|e| panic!("a shipped recipe file is broken: {e}")),
    );
    all
}

/// Whether a row argument names a recipe file (`FILE.lua` or `FILE.lua:VARIANT`).
pub fn is_recipe_file(pattern: &str) -> bool {
    pattern.ends_with(".lua") || pattern.contains(".lua:")
}

/// The scenarios a row argument names, and the row pattern within them: a catalogue pattern
/// stays as it is; a recipe file `FILE.lua` stands for all its rows, `FILE.lua:VARIANT` for
/// one. `None` is the whole catalogue.
pub fn resolve(pattern: Option<&str>) -> Result<(Vec<Arc<Scenario>>, Option<String>), String> {
    let Some(p) = pattern else {
        return Ok((all(), None));
    };
    if !is_recipe_file(p) {
        return Ok((all(), Some(p.to_string())));
    }
    let (path, variant) = match p.rsplit_once(".lua:") {
        Some((stem, v)) => (format!("{stem}.lua"), Some(v)),
        None => (p.to_string(), None),
    };
    let scenario = crate::program::lua::load(&path)?;
    let row = match variant {
        Some(v) => format!("{}/{v}", scenario.name),
        None => scenario.name.to_string(),
    };
    Ok((vec![scenario], Some(row)))
}

/// One (row, property, fault model) to check.
#[derive(Clone, Debug)]
pub struct Job {
    pub scenario: Arc<Scenario>,
    pub variant: usize,
    pub property: usize,
    pub faults: crate::faults::FaultModel,
}

impl Job {
    /// The system to explore, with `clients` clients (the scenario's default when `None`).
    pub fn system(&self, clients: Option<usize>) -> crate::system::System {
        crate::system::System::new(
            Arc::clone(&self.scenario),
            self.variant,
            self.property,
            self.faults,
            clients,
        )
    }
}

/// Whether `row` (`scenario/variant`) matches a user pattern: a scenario name, a full row id,
/// or a glob with `*` (`lock/*`, `*/lua`).
pub fn row_matches(pattern: &str, row: &str) -> bool {
    if !pattern.contains('/') && !pattern.contains('*') {
        return row.split('/').next() == Some(pattern);
    }
    glob(pattern.as_bytes(), row.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The jobs selected by a row pattern, an optional property name and fault models, in table
/// order. Errors name what did not match and what exists.
pub fn select(
    scenarios: &[Arc<Scenario>],
    pattern: Option<&str>,
    property: Option<&str>,
    faults: &[crate::faults::FaultModel],
) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    let mut rows = 0;
    let mut property_known = property.is_none();
    for s in scenarios {
        for (vi, v) in s.variants.iter().enumerate() {
            let row = format!("{}/{}", s.name, v.name);
            if pattern.is_some_and(|p| !row_matches(p, &row)) {
                continue;
            }
            rows += 1;
            for (pi, p) in s.properties.iter().enumerate() {
                if property.is_some_and(|want| want != p.name) {
                    continue;
                }
                property_known = true;
                for &f in faults {
                    if p.faults.contains(&f) {
                        jobs.push(Job {
                            scenario: Arc::clone(s),
                            variant: vi,
                            property: pi,
                            faults: f,
                        });
                    }
                }
            }
        }
    }
    if rows == 0 {
        let known: Vec<String> = scenarios
            .iter()
            .flat_map(|s| {
                s.variants
                    .iter()
                    .map(move |v| format!("{}/{}", s.name, v.name))
            })
            .collect();
        return Err(format!(
            "unknown row {:?} (known rows: {})",
            pattern.unwrap_or(""),
            known.join(", ")
        ));
    }
    if !property_known {
        let mut known: Vec<&str> = scenarios
            .iter()
            .flat_map(|s| s.properties.iter().map(|p| p.name))
            .collect();
        known.dedup();
        return Err(format!(
            "unknown property {:?} for the selected rows (known: {})",
            property.unwrap_or(""),
            known.join(", ")
        ));
    }
    Ok(jobs)
}
