//! A recipe file's properties as the checker's invariants: the built-in ones a file may name,
//! and its own `property(name, kind, function(w) … end)`, checked by finding the file that
//! declared it in the registry of loaded files.

use super::engine::{check_property, lua_message, with_engine, Engine};
use super::scenario::{leak, strings};
use super::LuaFile;
use crate::faults::FaultModel;
use crate::invariants;
use crate::observation::Observation;
use crate::program::runner::raise;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;
use mlua::{Table, Value as LuaValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The properties a file may name without declaring them.
fn builtins() -> Vec<PropertyDef> {
    use crate::recipes::{job_result, python_redis_lock, transfer};
    vec![
        invariants::NO_LOST_UPDATE,
        invariants::NO_OVERSELL,
        invariants::MUTUAL_EXCLUSION,
        invariants::OWNER_ONLY_RELEASE,
        invariants::PAUSE_CONTAINED,
        invariants::CRASHED_LOCK_FREES,
        job_result::TAKEN_ONCE,
        transfer::NO_LOST_TRANSFER,
        python_redis_lock::NO_LOST_WAKEUP,
    ]
}

/// Loaded files by scenario name: how a file's own property finds its Lua function.
fn files() -> &'static Mutex<HashMap<String, Arc<LuaFile>>> {
    static FILES: OnceLock<Mutex<HashMap<String, Arc<LuaFile>>>> = OnceLock::new();
    FILES.get_or_init(Default::default)
}

/// Records `file` as where scenario `name` comes from. A second file declaring the same
/// scenario name is an error; the same path and text again is the same scenario.
pub(super) fn register(name: &str, file: &Arc<LuaFile>) -> Result<(), String> {
    let mut registry = files().lock().expect("recipe file registry poisoned");
    if let Some(other) = registry.get(name) {
        if other.id != file.id {
            return Err(format!(
                "{}: scenario {name:?} is already loaded from {}",
                file.path, other.path
            ));
        }
    }
    registry.insert(name.to_string(), Arc::clone(file));
    Ok(())
}

/// The check behind every property a file declares: finds the file and the property by name.
fn file_property(sys: &System, w: &dyn Observation, is_final: bool) -> Result<(), String> {
    let file = files()
        .lock()
        .expect("recipe file registry poisoned")
        .get(sys.scenario.name)
        .cloned();
    let Some(file) = file else {
        raise(format!("scenario {} has no recipe file", sys.scenario.name));
    };
    let name = sys.property_def().name;
    match with_engine(&file, |e| {
        check_property(e, name, w, &sys.scenario.roles, is_final)
    }) {
        Ok(Ok(verdict)) => verdict,
        Ok(Err(why)) | Err(why) => raise(format!("{}: property {name}: {why}", file.path)),
    }
}

fn file_property_always(sys: &System, w: &dyn Observation) -> Result<(), String> {
    file_property(sys, w, false)
}

fn file_property_at_end(sys: &System, w: &dyn Observation) -> Result<(), String> {
    file_property(sys, w, true)
}

/// The scenario's properties: those `listed` (default: every one the file declares), each
/// built-in or the file's own, under the fault models both the file and the property allow.
pub(super) fn build_properties(
    engine: &Engine,
    listed: &LuaValue,
    faults: &'static [FaultModel],
) -> Result<Vec<PropertyDef>, String> {
    let mut own: Vec<(String, PropertyKind)> = Vec::new();
    let declared: Table = engine.decl.get("properties").map_err(|e| lua_message(&e))?;
    for p in declared.sequence_values::<Table>() {
        let p = p.map_err(|e| lua_message(&e))?;
        let name: String = p.get("name").map_err(|e| lua_message(&e))?;
        let kind: String = p.get("kind").map_err(|e| lua_message(&e))?;
        let kind = if kind == "always" {
            PropertyKind::Always
        } else {
            PropertyKind::AtEnd
        };
        own.push((name, kind));
    }
    let names = match listed {
        LuaValue::Nil => own.iter().map(|(n, _)| n.clone()).collect(),
        LuaValue::Table(t) => strings(t, "properties")?,
        _ => return Err("properties must be a list of names".into()),
    };
    if names.is_empty() {
        return Err("the scenario checks no property: list some in properties = {…}".into());
    }
    let builtins = builtins();
    let mut out = Vec::new();
    for name in &names {
        if let Some((_, kind)) = own.iter().find(|(n, _)| n == name) {
            out.push(PropertyDef {
                name: leak(name.clone()),
                summary: "declared in the recipe file",
                kind: *kind,
                faults,
                check: match kind {
                    PropertyKind::Always => file_property_always,
                    PropertyKind::AtEnd => file_property_at_end,
                },
            });
        } else if let Some(b) = builtins.iter().find(|b| b.name == name) {
            let both: Vec<FaultModel> = faults
                .iter()
                .copied()
                .filter(|f| b.faults.contains(f))
                .collect();
            out.push(PropertyDef {
                faults: Box::leak(both.into_boxed_slice()),
                ..b.clone()
            });
        } else {
            let mut known: Vec<&str> = builtins.iter().map(|b| b.name).collect();
            known.extend(own.iter().map(|(n, _)| n.as_str()));
            return Err(format!(
                "unknown property {name:?} (built-in or declared: {})",
                known.join(", ")
            ));
        }
    }
    Ok(out)
}
