//! EVAL, EVALSHA and SCRIPT LOAD with a real Lua 5.1 (mlua, vendored).
//!
//! A script runs as one atomic step of the server: `redis.call` executes commands on the same
//! [`Server`] value, so the model and a live server run the very same script text. The
//! conversions follow Redis: Lua numbers become integers by truncation, `false` becomes nil,
//! `{err=…}` an error reply, `{ok=…}` a status reply, a table an array cut at its first nil;
//! going in, a nil bulk becomes `false` and a status reply `{ok=…}`. Errors raised by
//! `redis.call` or by the Lua runtime get Redis 7's suffix `script: <sha>, on @user_script:N.`.

use crate::command::Command;
use crate::profile::Profile;
use crate::reply::Reply;
use crate::server::{parse_int, ConnId, Context, Outcome, Server};
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value as LuaValue};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Process-wide script bodies by SHA1. The server state keeps only the SHA1s it has cached,
/// which keeps model states small and cheap to hash.
fn registry() -> &'static Mutex<HashMap<String, Arc<str>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<str>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The SHA1 Redis names a script by (lower-case hex).
pub fn sha1_hex(body: &str) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

fn register(body: &str) -> String {
    let sha = sha1_hex(body);
    registry()
        .lock()
        .expect("script registry poisoned")
        .entry(sha.clone())
        .or_insert_with(|| Arc::from(body));
    sha
}

fn lookup(sha: &str) -> Option<Arc<str>> {
    registry()
        .lock()
        .expect("script registry poisoned")
        .get(sha)
        .cloned()
}

/// The Lua prelude every script environment gets. `redis.call` and `redis.pcall` are C (Rust)
/// functions installed for each run, as in Redis: `return redis.call(…)` is then no Lua tail
/// call, so the error handler still sees the line of the failing call.
const PRELUDE: &str = r#"
local getinfo = debug.getinfo
redis = {}
-- Redis 7 replaces pcall so that an error table raised by redis.call reaches the script as
-- its message string (luaRedisPcall).
local lua_pcall, lua_unpack, lua_select = pcall, unpack, select
local function pack(...) return { n = lua_select('#', ...), ... } end
function pcall(...)
  local r = pack(lua_pcall(...))
  if r[1] == false then
    local e = r[2]
    -- A redis.call error: raised from Rust (a userdata), its table set aside in __rr_raised.
    if type(e) == 'userdata' and __rr_raised ~= nil then e = __rr_raised; __rr_raised = nil end
    if type(e) == 'table' and (type(e.err) == 'string' or type(e.err) == 'number') then
      e = e.err
    end
    r[2] = e
  end
  return lua_unpack(r, 1, r.n)
end
function redis.status_reply(s) return { ok = s } end
function redis.error_reply(s)
  s = tostring(s)
  if string.sub(s, 1, 1) == '-' then s = string.sub(s, 2) end
  if not string.find(s, ' ', 1, true) then s = 'ERR ' .. s end
  return { err = s }
end
function redis.sha1hex(s) return __rr_sha1hex(s) end
function redis.log() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
-- The message handler of xpcall: turns any error into {err=…, source=…, line=…}.
function __rr_on_error(e)
  local at = getinfo(2, 'Sl')
  if at and at.what == 'C' then at = getinfo(3, 'Sl') end
  if type(e) == 'userdata' and __rr_raised ~= nil then e = __rr_raised; __rr_raised = nil end
  if type(e) ~= 'table' then e = { err = 'ERR ' .. tostring(e) } end
  if at and e.source == nil then e.source = at.source; e.line = at.currentline end
  return e
end
"#;

/// One Lua interpreter per thread (the model checker may run on several), with each
/// script compiled once.
struct Engine {
    lua: Lua,
    compiled: HashMap<String, Function>,
}

/// The running script's view of the server, reached by `redis.call` while a script runs.
struct Session<'a> {
    server: &'a mut Server,
    conn: ConnId,
    now: u64,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

impl Engine {
    fn new() -> mlua::Result<Engine> {
        // Redis loads base, table, string, math and debug (no io, os or package); `debug`
        // is what locates errors, and mlua counts it unsafe, hence `unsafe_new_with`.
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: only the scripts of the model's own users run here, as on a Redis server.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
        lua.globals().set(
            "__rr_sha1hex",
            lua.create_function(|_, s: mlua::LuaString| Ok(sha1_hex(&s.to_string_lossy())))?,
        )?;
        lua.load(PRELUDE).set_name("=prelude").exec()?;
        Ok(Engine {
            lua,
            compiled: HashMap::new(),
        })
    }

    /// Compiles a script as Redis does (chunk name `@user_script`), or gives Redis's error.
    fn compile(&mut self, sha: &str, body: &str) -> Result<Function, Reply> {
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

/// `redis.call`/`redis.pcall` body: runs one command on the session's server and converts the
/// reply to Lua (errors as `{err=…}` tables; the Lua side raises them for `redis.call`).
fn command_from_lua(lua: &Lua, session: &mut Session, args: MultiValue) -> mlua::Result<LuaValue> {
    let err_table = |msg: &str| -> mlua::Result<LuaValue> {
        let t = lua.create_table()?;
        t.set("err", msg)?;
        Ok(LuaValue::Table(t))
    };
    if args.is_empty() {
        return err_table("ERR Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args {
        match a {
            // Redis formats a Lua number argument with "%.17g" (1e15 -> "1000000000000000"),
            // not with Lua's tostring ("1e+15").
            LuaValue::Number(n) => argv.push(format_g17(n)),
            LuaValue::Integer(i) => argv.push(format_g17(i as f64)),
            LuaValue::String(_) => match lua.coerce_string(a)? {
                Some(s) => argv.push(s.to_string_lossy().to_string()),
                None => {
                    return err_table(
                        "ERR Lua redis lib command arguments must be strings or integers",
                    )
                }
            },
            _ => {
                return err_table("ERR Lua redis lib command arguments must be strings or integers")
            }
        }
    }
    let cmd = Command(argv);
    let name = cmd.name();
    let profile = session.server.profile;
    let Some(want) = crate::server::arity_in(profile, &name) else {
        if let Outcome::Unmodelled(name) = session.server.not_implemented(&cmd) {
            // Never a guessed reply: the script stops here and the caller sees Unmodelled.
            return Err(mlua::Error::RuntimeError(format!(
                "model: {name} is not modelled"
            )));
        }
        return err_table(profile.script_unknown_command());
    };
    let have = cmd.0.len() as i32;
    if (want >= 0 && have != want) || (want < 0 && have < -want) {
        return err_table(profile.script_wrong_arity());
    }
    let reply = session
        .server
        .execute(session.conn, &cmd, session.now, Context::Script)
        .reply()
        .unwrap_or(Reply::Nil);
    reply_to_lua(lua, &reply)
}

fn reply_to_lua(lua: &Lua, r: &Reply) -> mlua::Result<LuaValue> {
    Ok(match r {
        Reply::Nil => LuaValue::Boolean(false),
        Reply::Int(i) => LuaValue::Number(*i as f64),
        Reply::Bulk(s) => LuaValue::String(lua.create_string(s)?),
        Reply::Status(s) => {
            let t = lua.create_table()?;
            t.set("ok", s.as_str())?;
            LuaValue::Table(t)
        }
        Reply::Error(e) => {
            let t = lua.create_table()?;
            t.set("err", e.as_str())?;
            LuaValue::Table(t)
        }
        Reply::Array(items) => {
            let t = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, reply_to_lua(lua, item)?)?;
            }
            LuaValue::Table(t)
        }
    })
}

fn lua_to_reply(v: &LuaValue) -> Reply {
    match v {
        LuaValue::Nil => Reply::Nil,
        LuaValue::Boolean(true) => Reply::Int(1),
        LuaValue::Boolean(false) => Reply::Nil,
        LuaValue::Integer(i) => Reply::Int(*i),
        LuaValue::Number(n) => Reply::Int(lua_number_to_int(*n)),
        LuaValue::String(s) => Reply::Bulk(s.to_string_lossy().to_string()),
        LuaValue::Table(t) => table_to_reply(t),
        _ => Reply::Nil,
    }
}

/// C's `(long long)` cast as Redis does it on x86-64: truncation, and i64::MIN for NaN or a
/// value out of range (Rust's `as` would saturate instead).
fn lua_number_to_int(n: f64) -> i64 {
    let limit = -(i64::MIN as f64); // 2^63
    if n.is_nan() || !(-limit..limit).contains(&n) {
        i64::MIN
    } else {
        n.trunc() as i64
    }
}

/// C's `printf("%.17g", n)` (glibc), which Redis uses to turn a Lua number into an argument.
pub(crate) fn format_g17(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    fn trim(s: &str) -> &str {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s
        }
    }
    // %g picks the style from the exponent the %e conversion (17 significant digits) has.
    let sci = format!("{n:.16e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    if (-4..17).contains(&exp) {
        trim(&format!("{:.*}", (16 - exp) as usize, n)).to_string()
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    }
}

fn table_to_reply(t: &Table) -> Reply {
    if let Ok(LuaValue::String(e)) = t.raw_get::<LuaValue>("err") {
        return Reply::Error(e.to_string_lossy().to_string());
    }
    if let Ok(LuaValue::String(s)) = t.raw_get::<LuaValue>("ok") {
        return Reply::Status(s.to_string_lossy().to_string());
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<LuaValue>(i) {
            Ok(LuaValue::Nil) | Err(_) => break,
            Ok(v) => items.push(lua_to_reply(&v)),
        }
    }
    Reply::Array(items)
}

/// The reply for a script that raised: the message plus where it was raised.
fn raised_to_reply(v: &LuaValue, sha: &str, profile: Profile) -> Reply {
    let LuaValue::Table(t) = v else {
        return Reply::err(format!("ERR {}", lua_to_reply(v)));
    };
    let msg = match t.raw_get::<LuaValue>("err") {
        Ok(LuaValue::String(e)) => e.to_string_lossy().to_string(),
        _ => "ERR unknown error".to_string(),
    };
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    let at = match (&source, line) {
        (Some(src), Some(line)) => Some((src.as_str(), line)),
        _ => None,
    };
    Reply::Error(profile.script_error(&msg, sha, at))
}

/// Runs a compiled script with KEYS and ARGV against `server`, atomically.
fn run(
    server: &mut Server,
    conn: ConnId,
    sha: &str,
    body: &str,
    keys: &[String],
    argv: &[String],
    now: u64,
) -> Reply {
    let profile = server.profile;
    with_engine(|engine| {
        let f = match engine.compile(sha, body) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let lua = &engine.lua;
        let set_up = || -> mlua::Result<Function> {
            lua.globals().set("KEYS", keys.to_vec())?;
            lua.globals().set("ARGV", argv.to_vec())?;
            lua.globals().get::<Function>("__rr_on_error")
        };
        let handler = match set_up() {
            Ok(h) => h,
            Err(e) => return Reply::err(format!("ERR model: Lua set-up failed: {e}")),
        };
        let xpcall: Function = lua.globals().get("xpcall").expect("base library loaded");
        let session = RefCell::new(Session { server, conn, now });
        let result = lua.scope(|scope| {
            let pcall = scope.create_function(|lua, args: MultiValue| {
                command_from_lua(lua, &mut session.borrow_mut(), args)
            })?;
            // redis.call raises an error reply: the table goes to __rr_raised for the error
            // handler (and the pcall wrapper), since a Rust error reaches Lua as a userdata.
            let call = scope.create_function(|lua, args: MultiValue| {
                let r = command_from_lua(lua, &mut session.borrow_mut(), args)?;
                if let LuaValue::Table(t) = &r {
                    if let LuaValue::String(e) = t.raw_get::<LuaValue>("err")? {
                        let msg = e.to_string_lossy().to_string();
                        lua.globals().set("__rr_raised", t.clone())?;
                        return Err(mlua::Error::RuntimeError(msg));
                    }
                }
                Ok(r)
            })?;
            let redis: Table = lua.globals().get("redis")?;
            redis.set("pcall", pcall)?;
            redis.set("call", call)?;
            lua.globals().set("__rr_raised", LuaValue::Nil)?;
            let out = xpcall.call::<MultiValue>((f, handler));
            redis.set("pcall", LuaValue::Nil)?;
            redis.set("call", LuaValue::Nil)?;
            lua.globals().set("__rr_raised", LuaValue::Nil)?;
            // Convert inside the scope: the values still belong to this call.
            out.map(|values| {
                let mut it = values.into_iter();
                let ok = matches!(it.next(), Some(LuaValue::Boolean(true)));
                let value = it.next().unwrap_or(LuaValue::Nil);
                if ok {
                    lua_to_reply(&value)
                } else {
                    raised_to_reply(&value, sha, profile)
                }
            })
        });
        match result {
            Ok(reply) => reply,
            Err(e) => Reply::err(format!("ERR model: Lua failed: {e}")),
        }
    })
}

/// EVAL script numkeys key… arg… / EVALSHA sha numkeys key… arg….
pub(crate) fn eval(
    server: &mut Server,
    conn: ConnId,
    a: &[String],
    now: u64,
    by_sha: bool,
) -> Reply {
    // EVALSHA refuses a name that cannot be a SHA1 before looking at numkeys.
    if by_sha && a[0].len() != 40 {
        return Reply::err(server.profile.noscript());
    }
    let numkeys = match parse_int(&a[1]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    if numkeys < 0 {
        return Reply::err("ERR Number of keys can't be negative");
    }
    if numkeys as usize > a.len() - 2 {
        return Reply::err("ERR Number of keys can't be greater than number of args");
    }
    let (keys, argv) = a[2..].split_at(numkeys as usize);
    let (sha, body) = if by_sha {
        let sha = a[0].to_ascii_lowercase();
        match server
            .scripts
            .contains(&sha)
            .then(|| lookup(&sha))
            .flatten()
        {
            Some(body) => (sha, body),
            None => return Reply::err(server.profile.noscript()),
        }
    } else {
        let sha = register(&a[0]);
        (sha, Arc::from(a[0].as_str()))
    };
    let reply = run(server, conn, &sha, &body, keys, argv, now);
    if !by_sha && !is_compile_error(&reply) {
        server.scripts.insert(sha);
    }
    reply
}

fn is_compile_error(r: &Reply) -> bool {
    matches!(r, Reply::Error(e) if e.starts_with("ERR Error compiling script"))
}

fn with_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let engine = slot.get_or_insert_with(|| Engine::new().expect("the Lua prelude compiles"));
        f(engine)
    })
}

/// SCRIPT LOAD body | SCRIPT EXISTS sha… | SCRIPT FLUSH [ASYNC|SYNC].
pub(crate) fn script_command(server: &mut Server, a: &[String]) -> Reply {
    let sub = a[0].to_ascii_uppercase();
    let arity_error = || {
        Reply::err(format!(
            "ERR wrong number of arguments for 'script|{}' command",
            sub.to_ascii_lowercase()
        ))
    };
    match (sub.as_str(), &a[1..]) {
        ("LOAD", [body]) => {
            let sha = register(body);
            match with_engine(|e| e.compile(&sha, body).map(|_| ())) {
                Ok(()) => {
                    server.scripts.insert(sha.clone());
                    Reply::Bulk(sha)
                }
                Err(e) => e,
            }
        }
        ("LOAD", _) => arity_error(),
        ("EXISTS", shas) if !shas.is_empty() => Reply::Array(
            shas.iter()
                .map(|s| Reply::Int(server.scripts.contains(&s.to_ascii_lowercase()) as i64))
                .collect(),
        ),
        ("EXISTS", _) => arity_error(),
        ("FLUSH", opts) => {
            let mode_ok = match opts {
                [] => true,
                [m] => m.eq_ignore_ascii_case("ASYNC") || m.eq_ignore_ascii_case("SYNC"),
                _ => false,
            };
            if !mode_ok {
                return Reply::err("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            }
            server.scripts.clear();
            Reply::ok()
        }
        _ => Reply::err(format!(
            "ERR unknown subcommand '{}'. Try SCRIPT HELP.",
            a[0]
        )),
    }
}
