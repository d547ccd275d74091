//! From a recipe file's declarations to a [`Scenario`]: its keys, bounds, fault models,
//! variants (as [`LuaProgram`]s) and properties (built-in by name, or the file's own). The
//! keys' presets are read in `presets.rs`, the properties in `declared.rs`.

use super::declared::{build_properties, register};
use super::engine::{lua_message, with_engine, Engine};
use super::presets::{number_text, preset};
use super::{LuaFile, LuaProgram};
use crate::faults::FaultModel;
use crate::program::Runner;
use crate::recipe::{Params, Recipe};
use crate::scenario::{Role, Scenario, Variant};
use mlua::{Table, Value as LuaValue};
use std::sync::Arc;

/// `s`, kept for the rest of the run (a scenario's names are `&'static str`).
pub(super) fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A Lua list of strings (`what` names it in the error).
pub(super) fn strings(t: &Table, what: &str) -> Result<Vec<String>, String> {
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
    register(scenario.name, &file)?;
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
