//! From a recipe file's declarations to a [`Scenario`]: its keys, bounds, fault models,
//! variants (as [`LuaProgram`]s) and properties (built-in by name, or the file's own).

use super::engine::{check_property, lua_message, with_engine, Engine};
use super::{LuaFile, LuaProgram};
use crate::faults::FaultModel;
use crate::invariants;
use crate::observation::Observation;
use crate::program::runner::raise;
use crate::program::Runner;
use crate::recipe::{Params, Recipe};
use crate::scenario::{Preset, PresetValue, PropertyDef, PropertyKind, Role, Scenario, Variant};
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

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
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
    "roles",
    "history",
];

/// The built-in events a scenario's `history` may list (named events are always kept).
const BUILT_IN_EVENTS: &[&str] = &[
    "acquired",
    "enter",
    "exit",
    "released",
    "committed",
    "gave-up",
    "chose",
];

/// A number as a preset writes it: integers without a fraction, others as Rust prints them.
fn number_text(v: &LuaValue) -> Option<String> {
    match v {
        LuaValue::Integer(i) => Some(i.to_string()),
        LuaValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            Some((*n as i64).to_string())
        }
        LuaValue::Number(n) if n.is_finite() => Some(n.to_string()),
        _ => None,
    }
}

/// A string or a number, as a preset element.
fn element(v: &LuaValue) -> Option<String> {
    match v {
        LuaValue::String(s) => Some(s.to_string_lossy().to_string()),
        other => number_text(other),
    }
}

/// One key of `keys = {…}`: a string or integer, or a table naming its type (`string`,
/// `list`, `hash`, `zset`) with an optional time to live (`px` ms or `ex` s).
fn preset(k: &str, v: &LuaValue) -> Result<Preset, String> {
    let t = match v {
        LuaValue::Table(t) => t,
        other => {
            return element(other).map(Preset::from).ok_or_else(|| {
                format!(
                    "key {k:?}: a string, an integer, or a table such as {{ list = {{ \"a\" }} }}"
                )
            })
        }
    };
    let mut value = None;
    let mut px = None;
    for pair in t.clone().pairs::<String, LuaValue>() {
        let (field, v) = pair.map_err(|_| format!("key {k:?}: fields must be named"))?;
        let bad = |what: &str| format!("key {k:?}: {field} must be {what}");
        let typed = match field.as_str() {
            "string" => PresetValue::Str(element(&v).ok_or_else(|| bad("a string"))?),
            "list" => {
                let LuaValue::Table(items) = v else {
                    return Err(bad("a list of strings"));
                };
                let items: Vec<String> = items
                    .sequence_values::<LuaValue>()
                    .map(|i| i.ok().as_ref().and_then(element))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("a list of strings"))?;
                PresetValue::List(items)
            }
            "hash" | "zset" => {
                let LuaValue::Table(map) = v else {
                    return Err(bad("a table"));
                };
                let mut pairs = Vec::new();
                for pair in map.pairs::<LuaValue, LuaValue>() {
                    let (f, x) = pair.map_err(|e| lua_message(&e))?;
                    let f = element(&f).ok_or_else(|| bad("a table with string keys"))?;
                    let x = if field == "hash" {
                        element(&x).ok_or_else(|| bad("a table of strings"))?
                    } else {
                        number_text(&x).ok_or_else(|| bad("a table of member = score"))?
                    };
                    pairs.push((f, x));
                }
                // Lua tables have no order: fields and members go in sorted order.
                pairs.sort();
                if field == "hash" {
                    PresetValue::Hash(pairs)
                } else {
                    PresetValue::ZSet(pairs)
                }
            }
            "px" | "ex" => {
                let n = number_text(&v)
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| bad("a non-negative integer"))?;
                px = Some(if field == "ex" { n * 1000 } else { n });
                continue;
            }
            other => {
                return Err(format!(
                    "key {k:?}: unknown field {other:?} (known: string, list, hash, zset, px, ex)"
                ))
            }
        };
        if value.replace(typed).is_some() {
            return Err(format!("key {k:?}: one of string, list, hash, zset"));
        }
    }
    let value = value.ok_or_else(|| format!("key {k:?}: give string, list, hash or zset"))?;
    Ok(Preset { value, px })
}

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
            let p = preset(&k, &v).map_err(err)?;
            setup.push((k, p));
        }
    }
    setup.sort_by(|a, b| a.0.cmp(&b.0));
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
    let roles = build_roles(&get("roles")).map_err(err)?;
    if !roles.is_empty() && !matches!(get("clients"), LuaValue::Nil) {
        return Err(err(
            "give either clients or roles: with roles, each role says how many clients run it"
                .into(),
        ));
    }
    let clients = match roles.iter().map(|r| r.clients).sum::<usize>() {
        0 => int("clients", 2)? as usize,
        n => n,
    };
    if !(1..=26).contains(&clients) {
        return Err(err("clients must be between 1 and 26".into()));
    }
    let history: Vec<&'static str> = match get("history") {
        LuaValue::Nil => vec![],
        LuaValue::String(s) if s.to_string_lossy() == "all" => vec!["all"],
        LuaValue::Table(t) => {
            let names = strings(&t, "history").map_err(err)?;
            let mut out = Vec::new();
            for n in names {
                match BUILT_IN_EVENTS.iter().find(|b| **b == n) {
                    Some(b) => out.push(*b),
                    None => {
                        return Err(err(format!(
                            "history: unknown built-in event {n:?} (known: {}; named events are always kept)",
                            BUILT_IN_EVENTS.join(", ")
                        )))
                    }
                }
            }
            out
        }
        _ => {
            return Err(err(
                "history must be \"all\" or a list of built-in event names".into(),
            ))
        }
    };
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
    let variants = build_variants(file, engine, &connections, &roles).map_err(err)?;
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
        roles,
        history,
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

/// `roles = { producer = 1, worker = 2 }`: roles in alphabetical order (Lua tables have
/// none), clients named role by role.
fn build_roles(v: &LuaValue) -> Result<Vec<Role>, String> {
    let t = match v {
        LuaValue::Nil => return Ok(vec![]),
        LuaValue::Table(t) => t,
        _ => return Err("roles must be a table of name = number of clients".into()),
    };
    let mut roles = Vec::new();
    for pair in t.clone().pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair.map_err(|e| lua_message(&e))?;
        let LuaValue::String(name) = k else {
            return Err("roles must be a table of name = number of clients".into());
        };
        let name = name.to_string_lossy().to_string();
        let n = number_text(&v)
            .and_then(|t| t.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("roles.{name} must be a number of clients (at least 1)"))?;
        roles.push(Role {
            name: leak(name),
            clients: n,
        });
    }
    roles.sort_by_key(|r| r.name);
    Ok(roles)
}

fn build_variants(
    file: &Arc<LuaFile>,
    engine: &Engine,
    connections: &[String],
    roles: &[Role],
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
        let conns: &'static [&'static str] = Box::leak(
            conns
                .into_iter()
                .map(leak)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let bodies: Option<Table> = v.get("roles").map_err(|e| lua_message(&e))?;
        let program = |role: Option<&'static str>| -> Arc<dyn Recipe> {
            Arc::new(Runner::new(LuaProgram {
                file: Arc::clone(file),
                variant: name.clone(),
                role,
                connections: conns,
            }))
        };
        let recipes: Vec<Arc<dyn Recipe>> = match (&bodies, roles.len()) {
            (None, 0 | 1) => vec![program(None)],
            (None, _) => {
                return Err(format!(
                    "variant {name}: the scenario has roles ({}): give one function per role, variant({name:?}, {{ {} = function(c) … end, … }})",
                    roles.iter().map(|r| r.name).collect::<Vec<_>>().join(", "),
                    roles[0].name
                ))
            }
            (Some(_), 0) => {
                return Err(format!(
                    "variant {name}: one function per role, but the scenario declares no roles = {{…}}"
                ))
            }
            (Some(t), _) => {
                for pair in t.clone().pairs::<String, LuaValue>() {
                    let (role, _) = pair.map_err(|e| lua_message(&e))?;
                    if !roles.iter().any(|r| r.name == role) {
                        return Err(format!(
                            "variant {name}: unknown role {role:?} (the scenario's roles: {})",
                            roles.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
                let mut out = Vec::new();
                for r in roles {
                    if !t.contains_key(r.name).map_err(|e| lua_message(&e))? {
                        return Err(format!("variant {name}: no function for role {}", r.name));
                    }
                    out.push(program(Some(r.name)));
                }
                out
            }
        };
        out.push(Variant::with_roles(leak(name), leak(summary), recipes));
    }
    if out.is_empty() {
        return Err("no variant declared: add variant(\"name\", function(c) … end)".into());
    }
    Ok(out)
}
