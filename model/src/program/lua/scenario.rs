//! From a recipe file's declarations to a [`Scenario`]: its keys, bounds, fault models,
//! variants (as [`LuaProgram`]s) and properties (built-in by name, or the file's own).

use super::engine::{check_property, lua_message, with_engine, Engine};
use super::{LuaFile, LuaProgram};
use crate::faults::FaultModel;
use crate::program::runner::raise;
use crate::program::Runner;
use crate::properties;
use crate::recipe::Params;
use crate::scenario::{PropertyDef, PropertyKind, Scenario, Variant};
use crate::system::System;
use crate::world::World;
use mlua::{Table, Value as LuaValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The properties a file may name without declaring them.
fn builtins() -> Vec<PropertyDef> {
    use crate::recipes::{job_result, transfer};
    vec![
        properties::NO_LOST_UPDATE,
        properties::NO_OVERSELL,
        properties::MUTUAL_EXCLUSION,
        properties::OWNER_ONLY_RELEASE,
        properties::PAUSE_CONTAINED,
        properties::CRASHED_LOCK_FREES,
        job_result::TAKEN_ONCE,
        transfer::NO_LOST_TRANSFER,
    ]
}

/// Loaded files by scenario name: how a file's own property finds its Lua function.
fn files() -> &'static Mutex<HashMap<String, Arc<LuaFile>>> {
    static FILES: OnceLock<Mutex<HashMap<String, Arc<LuaFile>>>> = OnceLock::new();
    FILES.get_or_init(Default::default)
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The check behind every property a file declares: finds the file and the property by name.
fn file_property(sys: &System, w: &World, is_final: bool) -> Result<(), String> {
    let file = files()
        .lock()
        .expect("recipe file registry poisoned")
        .get(sys.scenario.name)
        .cloned();
    let Some(file) = file else {
        raise(format!("scenario {} has no recipe file", sys.scenario.name));
    };
    let name = sys.property_def().name;
    match with_engine(&file, |e| check_property(e, name, w, is_final)) {
        Ok(Ok(verdict)) => verdict,
        Ok(Err(why)) | Err(why) => raise(format!("{}: property {name}: {why}", file.path)),
    }
}

fn file_property_always(sys: &System, w: &World) -> Result<(), String> {
    file_property(sys, w, false)
}

fn file_property_at_end(sys: &System, w: &World) -> Result<(), String> {
    file_property(sys, w, true)
}

fn strings(t: &Table, what: &str) -> Result<Vec<String>, String> {
    t.clone()
        .sequence_values::<String>()
        .collect::<mlua::Result<Vec<_>>>()
        .map_err(|_| format!("{what} must be a list of strings"))
}

const FIELDS: &[&str] = &[
    "name",
    "summary",
    "keys",
    "clients",
    "params",
    "faults",
    "properties",
    "connections",
    "subject",
    "ticks",
];

/// Reads the recipe file at `path` into a scenario. Errors are one line (`file:line: …` for
/// Lua errors) for the CLI to print.
pub fn load(path: &str) -> Result<Arc<Scenario>, String> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    load_source(path, source)
}

/// Reads a recipe file's `source` (named `path` in errors and traces) into a scenario: how
/// the catalogue loads the files compiled into the binary. A second file declaring the same
/// scenario name is an error; the same path and text again is the same scenario.
pub fn load_source(path: &str, source: String) -> Result<Arc<Scenario>, String> {
    let file = Arc::new(LuaFile::new(path, source));
    let scenario = with_engine(&file, |engine| build(&file, engine))??;
    let mut registry = files().lock().expect("recipe file registry poisoned");
    if let Some(other) = registry.get(scenario.name) {
        if other.id != file.id {
            return Err(format!(
                "{path}: scenario {:?} is already loaded from {}",
                scenario.name, other.path
            ));
        }
    }
    registry.insert(scenario.name.to_string(), Arc::clone(&file));
    Ok(Arc::new(scenario))
}

fn build(file: &Arc<LuaFile>, engine: &Engine) -> Result<Scenario, String> {
    let path = &file.path;
    let err = |m: String| format!("{path}: {m}");
    let s: Table = match engine.decl.get::<LuaValue>("scenario") {
        Ok(LuaValue::Table(t)) => t,
        _ => return Err(err("no scenario{...} declared".into())),
    };
    for pair in s.clone().pairs::<String, LuaValue>() {
        let (k, _) = pair.map_err(|_| err("scenario fields must be named".into()))?;
        if !FIELDS.contains(&k.as_str()) {
            return Err(err(format!(
                "unknown scenario field {k:?} (known: {})",
                FIELDS.join(", ")
            )));
        }
    }
    let get = |k: &str| s.get::<LuaValue>(k).unwrap_or(LuaValue::Nil);
    let name = match get("name") {
        LuaValue::String(n) => n.to_string_lossy().to_string(),
        _ => return Err(err("scenario needs a name".into())),
    };
    if name.is_empty() || name.contains('/') {
        return Err(err(format!(
            "scenario name {name:?} must be non-empty, without '/'"
        )));
    }
    let summary = match get("summary") {
        LuaValue::String(t) => t.to_string_lossy().to_string(),
        _ => format!("recipe file {path}"),
    };
    let mut setup = Vec::new();
    if let LuaValue::Table(keys) = get("keys") {
        for pair in keys.pairs::<String, LuaValue>() {
            let (k, v) = pair.map_err(|e| err(lua_message(&e)))?;
            match v {
                LuaValue::String(v) => setup.push((k, v.to_string_lossy().to_string())),
                LuaValue::Integer(i) => setup.push((k, i.to_string())),
                LuaValue::Number(n) if n.fract() == 0.0 => setup.push((k, (n as i64).to_string())),
                _ => {
                    return Err(err(format!(
                        "key {k:?}: only string (or integer) values can be preset for now"
                    )))
                }
            }
        }
    }
    setup.sort();
    let int = |k: &str, default: u64| -> Result<u64, String> {
        match get(k) {
            LuaValue::Nil => Ok(default),
            LuaValue::Integer(i) if i >= 0 => Ok(i as u64),
            LuaValue::Number(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n as u64),
            _ => Err(err(format!(
                "scenario field {k} must be a non-negative integer"
            ))),
        }
    };
    let clients = int("clients", 2)? as usize;
    if !(1..=26).contains(&clients) {
        return Err(err("clients must be between 1 and 26".into()));
    }
    let max_ticks = int("ticks", 0)?;
    let mut params = Params::default();
    if let LuaValue::Table(p) = get("params") {
        for pair in p.pairs::<String, LuaValue>() {
            let (k, v) = pair.map_err(|e| err(lua_message(&e)))?;
            let n = match v {
                LuaValue::Integer(i) if i >= 0 => i as u64,
                LuaValue::Number(n) if n >= 0.0 && n.fract() == 0.0 => n as u64,
                _ => return Err(err(format!("params.{k} must be a non-negative integer"))),
            };
            match k.as_str() {
                "retries" => params.retries = n.min(u16::MAX as u64) as u16,
                "lease" => params.lease = n,
                other => {
                    return Err(err(format!(
                        "unknown param {other:?} (known: retries, lease)"
                    )))
                }
            }
        }
    }
    let faults: Vec<FaultModel> = match get("faults") {
        LuaValue::Nil => FaultModel::ALL.to_vec(),
        LuaValue::Table(t) => strings(&t, "faults")
            .map_err(err)?
            .iter()
            .map(|f| f.parse::<FaultModel>().map_err(err))
            .collect::<Result<_, _>>()?,
        _ => return Err(err("faults must be a list of fault model names".into())),
    };
    let faults: &'static [FaultModel] = Box::leak(faults.into_boxed_slice());
    let connections: Vec<String> = match get("connections") {
        LuaValue::Nil => vec!["conn".into()],
        LuaValue::Table(t) => strings(&t, "connections").map_err(err)?,
        _ => return Err(err("connections must be a list of names".into())),
    };
    let subject = match get("subject") {
        LuaValue::String(k) => k.to_string_lossy().to_string(),
        _ if setup.len() == 1 => setup[0].0.clone(),
        _ => String::new(),
    };
    let properties = build_properties(engine, &get("properties"), faults).map_err(err)?;
    let variants = build_variants(file, engine, &connections).map_err(err)?;
    Ok(Scenario {
        name: leak(name),
        summary: leak(summary),
        setup,
        subject: leak(subject),
        properties,
        variants,
        default_clients: clients,
        params,
        max_ticks,
    })
}

fn build_properties(
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

fn build_variants(
    file: &Arc<LuaFile>,
    engine: &Engine,
    connections: &[String],
) -> Result<Vec<Variant>, String> {
    let declared: Table = engine.decl.get("variants").map_err(|e| lua_message(&e))?;
    let mut out = Vec::new();
    for v in declared.sequence_values::<Table>() {
        let v = v.map_err(|e| lua_message(&e))?;
        let name: String = v.get("name").map_err(|e| lua_message(&e))?;
        if name.is_empty() || name.contains('/') {
            return Err(format!(
                "variant name {name:?} must be non-empty, without '/'"
            ));
        }
        let options: Table = v.get("options").map_err(|e| lua_message(&e))?;
        let summary = options
            .get::<Option<String>>("summary")
            .ok()
            .flatten()
            .unwrap_or_default();
        let conns: Vec<String> = match options.get::<LuaValue>("connections") {
            Ok(LuaValue::Table(t)) => strings(&t, "connections")?,
            _ => connections.to_vec(),
        };
        if conns.is_empty() {
            return Err(format!("variant {name}: at least one connection"));
        }
        let conns: Vec<&'static str> = conns.into_iter().map(leak).collect();
        let program = LuaProgram {
            file: Arc::clone(file),
            variant: name.clone(),
            connections: Box::leak(conns.into_boxed_slice()),
        };
        out.push(Variant::new(
            leak(name),
            leak(summary),
            Runner::new(program),
        ));
    }
    if out.is_empty() {
        return Err("no variant declared: add variant(\"name\", function(c) … end)".into());
    }
    Ok(out)
}
