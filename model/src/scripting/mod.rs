//! EVAL, EVALSHA and SCRIPT LOAD with a real Lua 5.1 (mlua, vendored).
//!
//! A script runs as one atomic step of the server: `redis.call` executes commands on the same
//! [`Server`] value, so the model and a live server run the very same script text. Errors
//! raised by `redis.call` or by the Lua runtime get Redis 7's suffix
//! `script: <sha>, on @user_script:N.`.
//!
//! **The sandbox rule.** The Lua interpreter lives outside the state the checker hashes, so
//! nothing a script does may outlive it: every run of every script sees exactly the same
//! environment. Redis 7.0 makes `_G` and every library table read-only, and so does the model
//! (`sandbox.lua`): the environment is built once per profile and can never change; each run
//! only fills in its KEYS, ARGV and `redis.call`, and takes them away afterwards. What a real
//! server keeps across scripts (its random generator, its heap, 6.0's writable globals, cjson's
//! settings) is a model refusal, `ERR model: unmodelled: …`, which no `pcall` can catch.
//! `model/tests/server_lua_sandbox.rs` proves that nothing survives between runs and servers.
//!
//! One file per job: `engine` (the interpreter and its compiled scripts), `sandbox.lua` (the
//! environment and `redis.*`), `convert` (replies ↔ Lua values), `bit` and `cjson` (the
//! libraries Redis ships), `shebang` (`#!lua flags=…`).

mod bit;
mod cjson;
mod convert;
mod engine;
mod shebang;

use crate::command::Command;
use crate::profile::Profile;
use crate::reply::Reply;
use crate::server::{parse_int, ConnId, Context, Outcome, Server};
pub(crate) use convert::format_g17;
use convert::{format_g, lua_to_reply, one_line, reply_to_lua};
use engine::Engine;
use mlua::{Function, Lua, MultiValue, Value as LuaValue};
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

/// The running script's view of the server, reached by `redis.call` while a script runs.
struct Session<'a> {
    server: &'a mut Server,
    conn: ConnId,
    now: u64,
    flags: shebang::Flags,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

const NOT_STRINGS: &str = "ERR Lua redis lib command arguments must be strings or integers";

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
            LuaValue::Number(n) => argv.push(format_g(n, 17)),
            LuaValue::Integer(i) => argv.push(format_g(i as f64, 17)),
            LuaValue::String(_) => match lua.coerce_string(a)? {
                Some(s) => argv.push(s.to_string_lossy().to_string()),
                None => return err_table(NOT_STRINGS),
            },
            _ => return err_table(NOT_STRINGS),
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
    if session.flags.no_writes {
        match shebang::is_write(&name) {
            Some(true) => {
                return err_table("ERR Write commands are not allowed from read-only scripts.")
            }
            Some(false) => {}
            None => {
                let what = format!("whether {name} is a write command (a no-writes script)");
                lua.globals().set("__rr_refused", what.as_str())?;
                return err_table(&format!("ERR model: unmodelled: {what}"));
            }
        }
    }
    let reply = session
        .server
        .execute(session.conn, &cmd, session.now, Context::Script)
        .reply()
        .unwrap_or(Reply::Nil);
    reply_to_lua(lua, &reply)
}

/// The reply for a script that raised: the message plus where it was raised.
fn raised_to_reply(v: &LuaValue, sha: &str, profile: Profile) -> Reply {
    let LuaValue::Table(t) = v else {
        return Reply::err(format!("ERR {}", lua_to_reply(v)));
    };
    let msg = match t.raw_get::<LuaValue>("err") {
        Ok(LuaValue::String(e)) => one_line(&e.to_string_lossy()),
        Ok(LuaValue::Number(n)) => format_g(n, 14),
        Ok(LuaValue::Integer(i)) => i.to_string(),
        // Measured: `error({})` closes the connection of Redis 7.0.15 (the server crashes).
        _ => return Reply::err("ERR model: unmodelled: a script raising a table without err"),
    };
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    let at = match (&source, line) {
        (Some(src), Some(line)) => Some((src.as_str(), line)),
        _ => None,
    };
    Reply::Error(profile.script_error(&msg, sha, at))
}

/// The body Lua compiles and the shebang flags, or the reply refusing the script.
fn prepare(profile: Profile, body: &str) -> Result<(shebang::Flags, String), Reply> {
    if profile.script_shebang() {
        shebang::parse(body).map_err(Reply::Error)
    } else {
        Ok((shebang::Flags::default(), body.to_string()))
    }
}

/// The key a compiled script is cached under: its SHA1, marked when the shebang line was
/// blanked (6.0 compiles the same body unblanked, and one thread runs every profile).
fn cache_key(sha: &str, body: &str, source: &str) -> String {
    if source == body {
        sha.to_string()
    } else {
        format!("{sha}#!")
    }
}

/// Runs a script with KEYS and ARGV against `server`, atomically, in the profile's sandbox.
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
    let (flags, source) = match prepare(profile, body) {
        Ok(p) => p,
        Err(e) => return e,
    };
    with_engine(|engine| {
        let f = match engine.compile(&cache_key(sha, body, &source), &source) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let sandbox = match engine.sandbox(profile) {
            Ok(s) => s,
            Err(e) => return Reply::err(format!("ERR model: Lua set-up failed: {e}")),
        };
        let lua = &engine.lua;
        let set_up = || -> mlua::Result<()> {
            f.set_environment(sandbox.env.clone())?;
            sandbox.visible.raw_set("KEYS", keys.to_vec())?;
            sandbox.visible.raw_set("ARGV", argv.to_vec())?;
            lua.globals().set("__rr_raised", LuaValue::Nil)?;
            lua.globals().set("__rr_refused", LuaValue::Nil)
        };
        if let Err(e) = set_up() {
            return Reply::err(format!("ERR model: Lua set-up failed: {e}"));
        }
        let xpcall: Function = lua.globals().get("xpcall").expect("base library loaded");
        let session = RefCell::new(Session {
            server,
            conn,
            now,
            flags,
        });
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
            sandbox.redis.raw_set("pcall", pcall)?;
            sandbox.redis.raw_set("call", call)?;
            let out = xpcall.call::<MultiValue>((f.clone(), engine.on_error.clone()));
            // Nothing of this run stays behind: the next one starts from the same sandbox.
            sandbox.redis.raw_set("pcall", LuaValue::Nil)?;
            sandbox.redis.raw_set("call", LuaValue::Nil)?;
            sandbox.visible.raw_set("KEYS", LuaValue::Nil)?;
            sandbox.visible.raw_set("ARGV", LuaValue::Nil)?;
            lua.globals().set("__rr_raised", LuaValue::Nil)?;
            let refused: Option<String> = lua.globals().get("__rr_refused")?;
            lua.globals().set("__rr_refused", LuaValue::Nil)?;
            if let Some(what) = refused {
                return Ok(Reply::err(format!("ERR model: unmodelled: {what}")));
            }
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
    // A Lua feature the model refuses stops the check like an unmodelled command does.
    if let Reply::Error(e) = &reply {
        if let Some(what) = e.strip_prefix(UNMODELLED) {
            let what = what.split(" script: ").next().unwrap_or(what);
            server
                .unmodelled
                .get_or_insert_with(|| format!("{LUA_FEATURE}{what}"));
        }
    }
    if !by_sha && !is_compile_error(&reply) {
        server.scripts.insert(sha);
    }
    reply
}

/// A script Redis refuses before running it (it stays out of the script cache).
/// How a model refusal inside a script begins.
const UNMODELLED: &str = "ERR model: unmodelled: ";

/// How [`Server::unmodelled`] names a refused Lua feature (see [`crate::checker::unmodelled_error`]).
pub const LUA_FEATURE: &str = "(in a script) ";

fn is_compile_error(r: &Reply) -> bool {
    matches!(r, Reply::Error(e) if e.starts_with("ERR Error compiling script")
        || e.starts_with("ERR Invalid script shebang")
        || e.starts_with("ERR Unexpected engine in script shebang")
        || e.starts_with("ERR Unknown lua shebang option")
        || e.starts_with("ERR Unexpected flag in script shebang"))
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
            let compiled = prepare(server.profile, body).and_then(|(_, source)| {
                let key = cache_key(&sha, body, &source);
                with_engine(|e| e.compile(&key, &source).map(|_| ()))
            });
            match compiled {
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
