//! The Lua interpreter a thread runs scripts in: Lua 5.1 with the libraries Redis loads, the
//! natives (bit, cjson, sha1hex) and the sandbox of `sandbox.lua`, one immutable environment
//! per profile; each script is compiled once.

use super::{bit, cjson};
use crate::profile::Profile;
use crate::reply::Reply;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value as LuaValue};
use std::collections::HashMap;

/// One profile's environment: what scripts see as `_G`, the table behind it (where the
/// per-run KEYS and ARGV go) and the table behind `redis` (where the per-run `redis.call` and
/// `redis.pcall` go).
#[derive(Clone)]
pub(super) struct Sandbox {
    pub env: Table,
    pub visible: Table,
    pub redis: Table,
}

/// Wraps a sandbox function `f` returning `(true, results…)` or `(false, kind, value)` into a
/// C function that returns the results or raises `value` (prefixed with the caller's position
/// for kind `"where"`, as `luaL_error` does). Being a C function matters: Lua 5.1 keeps the
/// script's frame when it tail-calls a C function (`return bit.band()`), so the error still
/// knows the script line, as with Redis's own C functions.
fn trampoline(lua: &Lua, f: Function) -> mlua::Result<Function> {
    lua.create_function(move |lua, args: MultiValue| {
        let mut out = f.call::<MultiValue>(args)?;
        if let Some(LuaValue::Boolean(true)) = out.pop_front() {
            return Ok(out);
        }
        let located = matches!(out.pop_front(), Some(LuaValue::String(k)) if k == "where");
        let mut value = out.pop_front().unwrap_or(LuaValue::Nil);
        if let (true, LuaValue::String(msg)) = (located, &value) {
            let at = lua
                .inspect_stack(1, |d| match d.current_line() {
                    Some(line) if line > 0 => {
                        let src = d.source().short_src.unwrap_or_default().to_string();
                        format!("{src}:{line}: ")
                    }
                    _ => String::new(),
                })
                .unwrap_or_default();
            let mut text = at.into_bytes();
            text.extend_from_slice(&msg.as_bytes());
            value = LuaValue::String(lua.create_string(&text)?);
        }
        // A Rust error reaches Lua as a userdata: the value waits in __rr_raised.
        lua.globals().set("__rr_raised", value)?;
        Err(mlua::Error::RuntimeError("raised by the sandbox".into()))
    })
}

pub(super) struct Engine {
    pub lua: Lua,
    compiled: HashMap<String, Function>,
    sandboxes: HashMap<Profile, Sandbox>,
    make_env: Function,
    pub on_error: Function,
}

impl Engine {
    pub fn new() -> mlua::Result<Engine> {
        // Redis loads base, table, string, math and debug (no io, os or package); `debug`
        // is what locates errors (the sandbox keeps it from scripts), and mlua counts it
        // unsafe, hence `unsafe_new_with`.
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: only the scripts of the model's own users run here, as on a Redis server.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
        let natives = lua.create_table()?;
        natives.set(
            "sha1hex",
            lua.create_function(|_, v: LuaValue| {
                let bytes = match &v {
                    LuaValue::String(s) => s.as_bytes().to_vec(),
                    LuaValue::Number(n) => super::convert::format_g(*n, 14).into_bytes(),
                    LuaValue::Integer(i) => i.to_string().into_bytes(),
                    _ => Vec::new(),
                };
                Ok(sha1_smol::Sha1::from(bytes).digest().to_string())
            })?,
        )?;
        natives.set(
            "trampoline",
            lua.create_function(|lua, f: Function| trampoline(lua, f))?,
        )?;
        bit::install(&lua, &natives)?;
        cjson::install(&lua, &natives)?;
        let (make_env, on_error): (Function, Function) = lua
            .load(include_str!("sandbox.lua"))
            .set_name("=sandbox")
            .call(natives)?;
        Ok(Engine {
            lua,
            compiled: HashMap::new(),
            sandboxes: HashMap::new(),
            make_env,
            on_error,
        })
    }

    /// The environment scripts run in under `profile`, built on first use.
    pub fn sandbox(&mut self, profile: Profile) -> mlua::Result<Sandbox> {
        if let Some(s) = self.sandboxes.get(&profile) {
            return Ok(s.clone());
        }
        let info = self.lua.create_table()?;
        info.set("v60", !profile.script_sandbox_is_read_only())?;
        info.set("lib_name", profile.script_library_name())?;
        info.set("log_level_error", profile.script_log_level_error())?;
        info.set("set_repl_arity", profile.script_set_repl_arity_error())?;
        if let Some((v, n)) = profile.script_redis_version() {
            info.set("version", v)?;
            info.set("version_num", n)?;
        }
        if let Some((v, n)) = profile.script_valkey_version() {
            info.set("valkey", true)?;
            info.set("valkey_version", v)?;
            info.set("valkey_version_num", n)?;
        }
        let (env, visible, redis): (Table, Table, Table) = self.make_env.call(info)?;
        let s = Sandbox {
            env,
            visible,
            redis,
        };
        self.sandboxes.insert(profile, s.clone());
        Ok(s)
    }

    /// Compiles a script as Redis does (chunk name `@user_script`), or gives Redis's error.
    pub fn compile(&mut self, sha: &str, body: &str) -> Result<Function, Reply> {
        if let Some(f) = self.compiled.get(sha) {
            return Ok(f.clone());
        }
        let f = self
            .lua
            .load(body)
            .set_name("@user_script")
            .into_function()
            .map_err(|e| {
                let msg = match &e {
                    mlua::Error::SyntaxError { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                Reply::err(format!(
                    "ERR Error compiling script (new function): {}",
                    msg.lines().next().unwrap_or_default()
                ))
            })?;
        self.compiled.insert(sha.to_string(), f.clone());
        Ok(f)
    }
}
