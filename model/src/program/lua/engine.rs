//! One Lua state per thread and recipe file: running a variant's function as a program, and a
//! property's function over an observation.
//!
//! A variant runs in a fresh coroutine each time the runtime re-executes it; the client's
//! verbs (`c:call`, `c:now`, the events, `c:attempts`) yield to [`run_variant`], which
//! answers them through the [`Client`] handle, exactly as a Rust program's calls are answered.
//! Replies reach Lua as redis-py users see them: nil → `nil`, integer → number, bulk and
//! status → string, error → `{err = "..."}`, array → table (a nil element becomes `false`).

use super::LuaFile;
use crate::command::Command;
use crate::program::client::Loop;
use crate::program::{Client, Flow};
use crate::recipe::EventValue;
use crate::reply::Reply;
use crate::scenario::Role;
use crate::server::Value;
use crate::world::{Status, World};
use mlua::thread::ThreadStatus;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value as LuaValue};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

const PRELUDE: &str = include_str!("prelude.lua");

/// How a retry loop that ended with `true` is remembered (integers stay below it).
const TRUE_OUTCOME: u32 = 1 << 31;

/// A loaded recipe file: its Lua state and what it declared.
pub(crate) struct Engine {
    pub lua: Lua,
    pub decl: Table,
    client_mt: Table,
    /// Each variant's function by (variant, role): role `None` in a one-role scenario.
    variants: HashMap<(String, Option<String>), Function>,
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

fn reply_to_lua(lua: &Lua, r: &Reply, top: bool) -> mlua::Result<LuaValue> {
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
fn argument(v: &LuaValue) -> Result<String, String> {
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

fn number(v: Option<&LuaValue>) -> Option<f64> {
    match v {
        Some(LuaValue::Number(n)) => Some(*n),
        Some(LuaValue::Integer(i)) => Some(*i as f64),
        _ => None,
    }
}

/// Runs variant `name` (role `role`'s function, in a scenario with roles) of the engine's
/// file as a program over `c`.
pub(crate) fn run_variant(engine: &Engine, name: &str, role: Option<&str>, c: &mut Client) -> Flow {
    let lua = &engine.lua;
    let fail = |c: &mut Client, why: String| {
        c.broken(why);
        Err(crate::program::client::stop())
    };
    let Some(body) = engine
        .variants
        .get(&(name.to_string(), role.map(str::to_string)))
    else {
        return fail(c, format!("variant {name:?} is not declared"));
    };
    let set_up = || -> mlua::Result<(mlua::Thread, Table)> {
        let me = lua.create_table()?;
        me.set("token", c.token())?;
        me.set("role", role)?;
        let params = lua.create_table()?;
        params.set("retries", c.params().retries)?;
        params.set("lease", c.params().lease)?;
        me.set("params", params)?;
        me.set_metatable(Some(engine.client_mt.clone()))?;
        Ok((lua.create_thread(body.clone())?, me))
    };
    let (thread, me) = match set_up() {
        Ok(x) => x,
        Err(e) => return fail(c, lua_message(&e)),
    };
    let mut input = MultiValue::from_iter([LuaValue::Table(me)]);
    let mut loops: Vec<usize> = Vec::new();
    loop {
        let out = match thread.resume::<MultiValue>(input) {
            Ok(out) => out,
            Err(e) => return fail(c, lua_message(&e)),
        };
        if thread.status() != ThreadStatus::Resumable {
            return Ok(());
        }
        let out: Vec<LuaValue> = out.into_iter().collect();
        let verb = match out.first() {
            Some(LuaValue::String(s)) => s.to_string_lossy().to_string(),
            _ => {
                return fail(
                    c,
                    "the program yielded: recipe files must not use coroutines".into(),
                )
            }
        };
        let answer: mlua::Result<MultiValue> = match verb.as_str() {
            "call" => {
                let mut args = Vec::with_capacity(out.len());
                for v in &out[2..] {
                    match argument(v) {
                        Ok(a) => args.push(a),
                        Err(why) => return fail(c, why),
                    }
                }
                if args.is_empty() {
                    return fail(c, "c:call() needs a command".into());
                }
                let reply = match &out[1] {
                    LuaValue::String(conn) => c.call_on(&conn.to_string_lossy(), Command(args))?,
                    _ => c.call(Command(args))?,
                };
                reply_to_lua(lua, &reply, true).map(|v| MultiValue::from_iter([v]))
            }
            "now" => Ok(MultiValue::from_iter([LuaValue::Number(c.now() as f64)])),
            "event" => {
                let arg = number(out.get(2));
                let event = match &out.get(1) {
                    Some(LuaValue::String(s)) => s.to_string_lossy().to_string(),
                    _ => String::new(),
                };
                match event.as_str() {
                    "acquired" => c.acquired(arg.map(|s| s.max(0.0) as u64)),
                    "acquired-until" => match arg {
                        Some(ms) => c.acquired_until(ms.max(0.0) as u64),
                        None => return fail(c, "c:acquired_until(ms) needs a time in ms".into()),
                    },
                    "enter" => c.enter(),
                    "exit" => c.exit(),
                    "released" => c.released(),
                    "committed" => c.committed(arg.unwrap_or(1.0) as i64),
                    "gave-up" => c.gave_up(),
                    other => return fail(c, format!("unknown event {other:?}")),
                }
                Ok(MultiValue::new())
            }
            "named" => {
                let name = match out.get(1) {
                    Some(LuaValue::String(s)) => s.to_string_lossy().to_string(),
                    _ => return fail(c, "c:event(name, value) needs a name (a string)".into()),
                };
                let value = match out.get(2) {
                    None | Some(LuaValue::Nil) => None,
                    Some(LuaValue::String(s)) => Some(EventValue::Str(s.to_string_lossy().to_string())),
                    Some(v) => match number(Some(v)) {
                        Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(EventValue::Int(n as i64)),
                        _ => {
                            return fail(
                                c,
                                format!("c:event({name:?}, value): the value must be a string or an integer"),
                            )
                        }
                    },
                };
                c.named(&name, value);
                Ok(MultiValue::new())
            }
            "receive" => {
                let timeout = match out.get(2) {
                    None | Some(LuaValue::Nil) => None,
                    v => match number(v) {
                        Some(ms) if ms >= 0.0 && ms.fract() == 0.0 => Some(ms as u64),
                        _ => {
                            return fail(
                                c,
                                "c:receive([timeout_ms]) needs a whole number of ms".into(),
                            )
                        }
                    },
                };
                let reply = match &out[1] {
                    LuaValue::String(conn) => c.receive_on(&conn.to_string_lossy(), timeout)?,
                    _ => c.receive(timeout)?,
                };
                reply_to_lua(lua, &reply, true).map(|v| MultiValue::from_iter([v]))
            }
            "sleep" => match number(out.get(1)) {
                Some(ms) if ms >= 0.0 && ms.fract() == 0.0 => {
                    c.sleep(ms as u64)?;
                    Ok(MultiValue::new())
                }
                _ => return fail(c, "c:sleep(ms) needs a whole number of ms".into()),
            },
            "choose" => match number(out.get(1)) {
                Some(n) if n.fract() == 0.0 && (1.0..=256.0).contains(&n) => {
                    let k = c.choose(n as u32)?;
                    Ok(MultiValue::from_iter([LuaValue::Number(k as f64)]))
                }
                _ => return fail(c, "c:choose(n) needs a whole number from 1 to 256".into()),
            },
            "attempts-begin" => match c.attempts_begin() {
                Loop::Ended(code) => Ok(MultiValue::from_iter([
                    LuaValue::Boolean(true),
                    match code {
                        None => LuaValue::Boolean(false),
                        Some(TRUE_OUTCOME) => LuaValue::Boolean(true),
                        Some(n) => LuaValue::Number(n as f64),
                    },
                ])),
                Loop::At { start, attempt } => {
                    loops.push(start);
                    Ok(MultiValue::from_iter([
                        LuaValue::Boolean(false),
                        LuaValue::Number(attempt as f64),
                    ]))
                }
            },
            "attempts-failed" | "attempts-end" => {
                let Some(&start) = loops.last() else {
                    return fail(c, "a retry loop ended that had not begun".into());
                };
                if verb == "attempts-failed" {
                    let k = number(out.get(1)).unwrap_or(0.0) as usize;
                    c.attempts_failed(start, k);
                } else {
                    loops.pop();
                    let code = match out.get(1) {
                        Some(LuaValue::Boolean(true)) => Some(TRUE_OUTCOME),
                        Some(LuaValue::Boolean(false)) | None => None,
                        Some(v) => match number(Some(v)) {
                            Some(n) if n.fract() == 0.0 && (0.0..TRUE_OUTCOME as f64).contains(&n) => {
                                Some(n as u32)
                            }
                            _ => {
                                return fail(
                                    c,
                                    "a c:attempts body must return nil, false, true or an integer from 0 to 2^31-1"
                                        .into(),
                                )
                            }
                        },
                    };
                    c.attempts_end(start, code);
                }
                Ok(MultiValue::new())
            }
            other => {
                return fail(
                    c,
                    format!("the program yielded {other:?}: recipe files must not use coroutines"),
                )
            }
        };
        input = match answer {
            Ok(v) => v,
            Err(e) => return fail(c, lua_message(&e)),
        };
    }
}

/// The observation a property reads: `w.keys` (strings; lists as arrays; hashes as field →
/// value tables; sorted sets as member → score tables), `w.clients[i]`
/// (`name`, `role`, `committed`, `in_cs`, `holds`, `lease_until` ms or nil, `done`,
/// `crashed`, `waiting` (parked on a blocking command or a `receive`), `events`: the history, `{ at = ms, name = …, value = … }` in order),
/// `w.expires` (key → the time it expires, ms on the clock of `w.now`; keys without an
/// expiry are absent), `w.now` (ms) and `w.final`.
fn observation(lua: &Lua, w: &World, roles: &[Role], is_final: bool) -> mlua::Result<Table> {
    let obs = lua.create_table()?;
    let keys = lua.create_table()?;
    for (k, e) in &w.server.keys {
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
    for (k, e) in &w.server.keys {
        if let Some(at) = e.expires_at {
            expires.set(k.as_str(), at)?;
        }
    }
    obs.set("expires", expires)?;
    let clients = lua.create_table()?;
    for (i, cs) in w.clients.iter().enumerate() {
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
    obs.set("now", w.now)?;
    obs.set("final", is_final)?;
    Ok(obs)
}

/// Evaluates the file's property `name` on `w`: `Err` explains a violation; a property that
/// raises an error breaks the contract (the caller stops the check).
pub(crate) fn check_property(
    engine: &Engine,
    name: &str,
    w: &World,
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
