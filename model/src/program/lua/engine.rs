//! One Lua state per thread and recipe file: loading it, converting replies, and running a
//! property's function over an observation (a variant's function runs in `run.rs`).
//!
//! Replies reach Lua as redis-py users see them: nil → `nil`, integer → number, bulk and
//! status → string, error → `{err = "..."}`, array → table (a nil element becomes `false`).

use super::LuaFile;
use crate::observation::Observation;
use crate::recipe::EventValue;
use crate::reply::Reply;
use crate::scenario::Role;
use crate::server::Value;
use crate::world::Status;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value as LuaValue};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

const PRELUDE: &str = include_str!("prelude.lua");

/// How a retry loop that ended with `true` is remembered (integers stay below it).
pub(super) const TRUE_OUTCOME: u32 = 1 << 31;

/// A loaded recipe file: its Lua state and what it declared.
pub(crate) struct Engine {
    pub lua: Lua,
    pub decl: Table,
    pub(super) client_mt: Table,
    /// Each variant's function by (variant, role): role `None` in a one-role scenario.
    pub(super) variants: HashMap<(String, Option<String>), Function>,
    properties: HashMap<String, Function>,
}

thread_local! {
    static ENGINES: RefCell<HashMap<u64, Rc<Engine>>> = RefCell::new(HashMap::new());
}

/// The first line of a Lua error, without mlua's prefixes: `file.lua:3: message`.
pub(crate) fn lua_message(e: &mlua::Error) -> String {
    let text = match e {
        mlua::Error::CallbackError { cause, .. } => return lua_message(cause),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        other => other.to_string(),
    };
    let line = text.lines().next().unwrap_or_default();
    line.trim_start_matches("runtime error: ")
        .trim_start_matches("syntax error: ")
        .to_string()
}

impl Engine {
    /// Loads `file` into a new sandboxed state and collects its declarations.
    pub(crate) fn load(file: &LuaFile) -> Result<Engine, String> {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            LuaOptions::default(),
        )
        .map_err(|e| lua_message(&e))?;
        lua.load(PRELUDE)
            .set_name("=prelude")
            .exec()
            .map_err(|e| format!("recipe prelude: {}", lua_message(&e)))?;
        lua.load(file.source.as_str())
            .set_name(format!("@{}", file.path))
            .exec()
            .map_err(|e| lua_message(&e))?;
        let g = lua.globals();
        let decl: Table = g.get("__rr_decl").map_err(|e| lua_message(&e))?;
        let client_mt: Table = g.get("__rr_client").map_err(|e| lua_message(&e))?;
        let mut variants = HashMap::new();
        for v in decl
            .get::<Table>("variants")
            .map_err(|e| lua_message(&e))?
            .sequence_values::<Table>()
        {
            let v = v.map_err(|e| lua_message(&e))?;
            let name: String = v.get("name").map_err(|e| lua_message(&e))?;
            let body: Option<Function> = v.get("body").map_err(|e| lua_message(&e))?;
            let roles: Option<Table> = v.get("roles").map_err(|e| lua_message(&e))?;
            let mut bodies = Vec::new();
            if let Some(body) = body {
                bodies.push((None, body));
            }
            if let Some(roles) = roles {
                for pair in roles.pairs::<String, Function>() {
                    let (role, f) = pair.map_err(|e| lua_message(&e))?;
                    bodies.push((Some(role), f));
                }
            }
            if variants.keys().any(|(n, _)| *n == name) {
                return Err(format!("{}: variant {name:?} is declared twice", file.path));
            }
            for (role, f) in bodies {
                variants.insert((name.clone(), role), f);
            }
        }
        let mut properties = HashMap::new();
        for p in decl
            .get::<Table>("properties")
            .map_err(|e| lua_message(&e))?
            .sequence_values::<Table>()
        {
            let p = p.map_err(|e| lua_message(&e))?;
            let name: String = p.get("name").map_err(|e| lua_message(&e))?;
            let check: Function = p.get("check").map_err(|e| lua_message(&e))?;
            if properties.insert(name.clone(), check).is_some() {
                return Err(format!(
                    "{}: property {name:?} is declared twice",
                    file.path
                ));
            }
        }
        Ok(Engine {
            lua,
            decl,
            client_mt,
            variants,
            properties,
        })
    }
}

/// Runs `f` with this thread's engine for `file`, loading it on first use.
pub(crate) fn with_engine<R>(file: &LuaFile, f: impl FnOnce(&Engine) -> R) -> Result<R, String> {
    let engine = ENGINES.with(|cell| -> Result<Rc<Engine>, String> {
        if let Some(e) = cell.borrow().get(&file.id) {
            return Ok(Rc::clone(e));
        }
        let e = Rc::new(Engine::load(file)?);
        cell.borrow_mut().insert(file.id, Rc::clone(&e));
        Ok(e)
    })?;
    Ok(f(&engine))
}

pub(super) fn reply_to_lua(lua: &Lua, r: &Reply, top: bool) -> mlua::Result<LuaValue> {
    Ok(match r {
        Reply::Nil if top => LuaValue::Nil,
        Reply::Nil => LuaValue::Boolean(false),
        Reply::Int(i) => LuaValue::Number(*i as f64),
        Reply::Bulk(s) | Reply::Status(s) => LuaValue::String(lua.create_string(s)?),
        Reply::Error(e) => {
            let t = lua.create_table()?;
            t.set("err", e.as_str())?;
            LuaValue::Table(t)
        }
        Reply::Array(items) => {
            let t = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, reply_to_lua(lua, item, false)?)?;
            }
            LuaValue::Table(t)
        }
    })
}

/// A Lua value as a command argument: strings as they are, numbers as redis-py prints them.
pub(super) fn argument(v: &LuaValue) -> Result<String, String> {
    match v {
        LuaValue::String(s) => Ok(s.to_string_lossy().to_string()),
        LuaValue::Integer(i) => Ok(i.to_string()),
        LuaValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok((*n as i64).to_string()),
        LuaValue::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "a command argument must be a string or a number, not a {}",
            other.type_name()
        )),
    }
}

pub(super) fn number(v: Option<&LuaValue>) -> Option<f64> {
    match v {
        Some(LuaValue::Number(n)) => Some(*n),
        Some(LuaValue::Integer(i)) => Some(*i as f64),
        _ => None,
    }
}

/// The observation a property reads: `w.keys` (strings; lists as arrays; hashes as field →
/// value tables; sorted sets as member → score tables), `w.clients[i]`
/// (`name`, `role`, `committed`, `in_cs`, `holds`, `lease_until` ms or nil, `done`,
/// `crashed`, `waiting` (parked on a blocking command or a `receive`), `events`: the history, `{ at = ms, name = …, value = … }` in order),
/// `w.expires` (key → the time it expires, ms on the clock of `w.now`; keys without an
/// expiry are absent), `w.now` (ms) and `w.final`.
fn observation(
    lua: &Lua,
    w: &dyn Observation,
    roles: &[Role],
    is_final: bool,
) -> mlua::Result<Table> {
    let obs = lua.create_table()?;
    let keys = lua.create_table()?;
    for (k, e) in &w.keyspace(0).keys {
        match &e.value {
            Value::Str(s) => keys.set(k.as_str(), s.as_str())?,
            Value::List(l) => keys.set(k.as_str(), l.iter().cloned().collect::<Vec<_>>())?,
            Value::Hash(h) => {
                let t = lua.create_table()?;
                for (f, v) in h.iter() {
                    t.set(f, v)?;
                }
                keys.set(k.as_str(), t)?
            }
            Value::ZSet(z) => {
                let t = lua.create_table()?;
                for (m, score) in z.iter() {
                    t.set(m, score)?;
                }
                keys.set(k.as_str(), t)?
            }
        }
    }
    obs.set("keys", keys)?;
    let expires = lua.create_table()?;
    for (k, e) in &w.keyspace(0).keys {
        if let Some(at) = e.expires_at {
            expires.set(k.as_str(), at)?;
        }
    }
    obs.set("expires", expires)?;
    let clients = lua.create_table()?;
    for i in 0..w.clients() {
        let cs = w.client(i);
        let t = lua.create_table()?;
        t.set("name", crate::client_name(i))?;
        t.set("committed", cs.committed)?;
        t.set("in_cs", cs.in_cs)?;
        t.set("holds", cs.lease_until.is_some())?;
        t.set("lease_until", cs.lease_until.flatten())?;
        t.set("done", cs.status == Status::Done)?;
        t.set("crashed", cs.is_crashed())?;
        t.set("waiting", matches!(cs.status, Status::Waiting { .. }))?;
        t.set(
            "role",
            roles.get(cs.role as usize).map_or("client", |r| r.name),
        )?;
        let events = lua.create_table()?;
        for (n, e) in cs.history.iter().enumerate() {
            let entry = lua.create_table()?;
            entry.set("at", e.at)?;
            entry.set("name", e.name.as_str())?;
            match &e.value {
                Some(EventValue::Int(v)) => entry.set("value", *v)?,
                Some(EventValue::Str(v)) => entry.set("value", v.as_str())?,
                None => {}
            }
            events.raw_set(n + 1, entry)?;
        }
        t.set("events", events)?;
        clients.raw_set(i + 1, t)?;
    }
    obs.set("clients", clients)?;
    obs.set("now", w.now())?;
    obs.set("final", is_final)?;
    Ok(obs)
}

/// Evaluates the file's property `name` on `w`: `Err` explains a violation; a property that
/// raises an error breaks the contract (the caller stops the check).
pub(crate) fn check_property(
    engine: &Engine,
    name: &str,
    w: &dyn Observation,
    roles: &[Role],
    is_final: bool,
) -> Result<Result<(), String>, String> {
    let Some(f) = engine.properties.get(name) else {
        return Err(format!("property {name:?} is not declared"));
    };
    let obs = observation(&engine.lua, w, roles, is_final).map_err(|e| lua_message(&e))?;
    let out: MultiValue = f.call(obs).map_err(|e| lua_message(&e))?;
    let mut out = out.into_iter();
    match out.next() {
        Some(LuaValue::Boolean(true)) => Ok(Ok(())),
        Some(LuaValue::Boolean(false)) | Some(LuaValue::Nil) | None => {
            let why = match out.next() {
                Some(LuaValue::String(s)) => s.to_string_lossy().to_string(),
                _ => format!("{name} does not hold"),
            };
            Ok(Err(why))
        }
        Some(other) => Err(format!(
            "property {name:?} must return true or false (and a message), not a {}",
            other.type_name()
        )),
    }
}
