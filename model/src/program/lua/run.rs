//! Running one variant's function as a program: its threads as coroutines of one Lua state,
//! their verbs answered through the [`Client`] handle.
//!
//! A variant runs in fresh coroutines each time the runtime re-executes it; the client's verbs
//! (`c:call`, `c:now`, the events, `c:attempts`, `c:spawn`) yield to this driver. A client of
//! one thread is one coroutine, resumed verb after verb. `c:spawn(name, fn)` adds a thread:
//!
//! 1. The spawned function runs at once, in a coroutine of its own, up to its first step (a
//!    call, a sleep): code before it takes no time, like any code between two steps. Then
//!    `spawn` returns and the main thread goes on.
//! 2. The trail is the ordered log of what the threads received (a spawned thread's inputs
//!    carry its mark, [`crate::recipe::Input::Thread`]). Re-execution hands each input to the
//!    thread it belongs to, in the log's order: a thread parked at a step resumes only when
//!    the log's next input is its own. So the variables the threads share (upvalues, tables)
//!    are a function of the log, as a one-thread program's are of its trail.
//! 3. When the log is consumed, each thread waits on the step it is parked at: those are the
//!    client's enabled steps, one per thread.
//! 4. The main thread's end ends the client: its other threads stop with it (as a process
//!    ends with its daemon threads). A spawned thread's end ends only that thread.

use super::engine::{argument, lua_message, number, reply_to_lua, Engine, TRUE_OUTCOME};
use crate::command::Command;
use crate::program::client::{stop, Loop};
use crate::program::{Client, Flow};
use crate::recipe::EventValue;
use mlua::thread::ThreadStatus;
use mlua::{Function, MultiValue, Table, Value as LuaValue};

/// One thread of the client: its coroutine and the step verb it is parked at.
struct Thread {
    slot: u8,
    co: mlua::Thread,
    parked: Option<Vec<LuaValue>>,
    /// The retry loops it is in (their start in the trail).
    loops: Vec<usize>,
}

fn fail<T>(c: &mut Client, why: String) -> Flow<T> {
    c.broken(why);
    Err(stop())
}

/// The verbs that make a step: a thread parks at them until the log's next input is its own.
fn is_step(out: &[LuaValue]) -> bool {
    let verb = match out.first() {
        Some(LuaValue::String(s)) => s.to_string_lossy(),
        _ => return false,
    };
    match verb.as_str() {
        "call" | "sleep" | "receive" => true,
        // choose(1) is 0 without a step.
        "choose" => number(out.get(1)) != Some(1.0),
        _ => false,
    }
}

/// The client table a thread's function receives: the client's identity; a spawned thread's
/// `c:call` goes to its own connection.
fn client_table(
    engine: &Engine,
    c: &Client,
    role: Option<&str>,
    thread: Option<&str>,
) -> mlua::Result<Table> {
    let lua = &engine.lua;
    let me = lua.create_table()?;
    me.set("token", c.token())?;
    me.set("role", role)?;
    let params = lua.create_table()?;
    params.set("retries", c.params().retries)?;
    params.set("lease", c.params().lease)?;
    me.set("params", params)?;
    if let Some(name) = thread {
        me.set("thread", name)?;
        me.set("__conn", name)?;
    }
    me.set_metatable(Some(engine.client_mt.clone()))?;
    Ok(me)
}

/// Runs variant `name` (role `role`'s function, in a scenario with roles) of the engine's
/// file as a program over `c`.
pub(crate) fn run_variant(engine: &Engine, name: &str, role: Option<&str>, c: &mut Client) -> Flow {
    let Some(body) = engine
        .variants
        .get(&(name.to_string(), role.map(str::to_string)))
    else {
        return fail(c, format!("variant {name:?} is not declared"));
    };
    let set_up = || -> mlua::Result<(mlua::Thread, Table)> {
        let me = client_table(engine, c, role, None)?;
        Ok((engine.lua.create_thread(body.clone())?, me))
    };
    let (co, me) = match set_up() {
        Ok(x) => x,
        Err(e) => return fail(c, lua_message(&e)),
    };
    let mut threads = vec![Thread {
        slot: 0,
        co,
        parked: None,
        loops: Vec::new(),
    }];
    let input = MultiValue::from_iter([LuaValue::Table(me)]);
    if !drive(engine, c, role, &mut threads, 0, input)? {
        return Ok(());
    }
    while let Some(owner) = c.next_owner() {
        let Some(k) = threads
            .iter()
            .position(|t| t.slot == owner && t.parked.is_some())
        else {
            return fail(
                c,
                "not deterministic: a thread stepped here on an earlier run that is not running now"
                    .into(),
            );
        };
        let out = threads[k].parked.take().unwrap_or_default();
        c.set_thread(owner);
        let answer = answer(engine, c, &mut threads[k], &out)?;
        if !drive(engine, c, role, &mut threads, k, answer)? && k == 0 {
            return Ok(());
        }
    }
    // The log is consumed: each thread waits on the step it is parked at.
    for th in threads.iter_mut() {
        if let Some(out) = th.parked.take() {
            c.set_thread(th.slot);
            if answer(engine, c, th, &out).is_ok() {
                return fail(
                    c,
                    "a thread's step was answered past the end of its trail".into(),
                );
            }
        }
    }
    c.set_thread(0);
    Err(stop())
}

/// Resumes thread `k` with `input` and answers its verbs until it parks at a step (`true`)
/// or its function returns (`false`).
fn drive(
    engine: &Engine,
    c: &mut Client,
    role: Option<&str>,
    threads: &mut Vec<Thread>,
    k: usize,
    mut input: MultiValue,
) -> Flow<bool> {
    let slot = threads[k].slot;
    c.set_thread(slot);
    let co = threads[k].co.clone();
    loop {
        let out = match co.resume::<MultiValue>(input) {
            Ok(out) => out,
            Err(e) => return fail(c, lua_message(&e)),
        };
        if co.status() != ThreadStatus::Resumable {
            return Ok(false);
        }
        let out: Vec<LuaValue> = out.into_iter().collect();
        if is_step(&out) && c.next_owner() != Some(slot) {
            threads[k].parked = Some(out);
            return Ok(true);
        }
        if matches!(out.first(), Some(LuaValue::String(s)) if s.to_string_lossy() == "spawn") {
            spawn(engine, c, role, threads, &out)?;
            c.set_thread(slot);
            input = MultiValue::new();
            continue;
        }
        input = answer(engine, c, &mut threads[k], &out)?;
    }
}

/// `c:spawn(name, fn)`: starts `fn` as thread `name` and runs it to its first step.
fn spawn(
    engine: &Engine,
    c: &mut Client,
    role: Option<&str>,
    threads: &mut Vec<Thread>,
    out: &[LuaValue],
) -> Flow {
    let (Some(LuaValue::String(name)), Some(LuaValue::Function(f))) = (out.get(1), out.get(2))
    else {
        return fail(c, "c:spawn(name, function(c) ... end) expected".into());
    };
    let name = name.to_string_lossy().to_string();
    let slot = match c.spawn(&name) {
        Ok(slot) => slot,
        Err(why) => return fail(c, why),
    };
    let f: Function = f.clone();
    let set_up = || -> mlua::Result<(mlua::Thread, Table)> {
        let me = client_table(engine, c, role, Some(&name))?;
        Ok((engine.lua.create_thread(f)?, me))
    };
    let (co, me) = match set_up() {
        Ok(x) => x,
        Err(e) => return fail(c, lua_message(&e)),
    };
    threads.push(Thread {
        slot,
        co,
        parked: None,
        loops: Vec::new(),
    });
    let k = threads.len() - 1;
    drive(
        engine,
        c,
        role,
        threads,
        k,
        MultiValue::from_iter([LuaValue::Table(me)]),
    )?;
    Ok(())
}

/// Answers one verb of thread `th` (see the prelude's client handle).
fn answer(engine: &Engine, c: &mut Client, th: &mut Thread, out: &[LuaValue]) -> Flow<MultiValue> {
    let lua = &engine.lua;
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
                    Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                        Some(EventValue::Int(n as i64))
                    }
                    _ => {
                        return fail(
                            c,
                            format!(
                            "c:event({name:?}, value): the value must be a string or an integer"
                        ),
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
                th.loops.push(start);
                Ok(MultiValue::from_iter([
                    LuaValue::Boolean(false),
                    LuaValue::Number(attempt as f64),
                ]))
            }
        },
        "attempts-failed" | "attempts-end" => {
            let Some(&start) = th.loops.last() else {
                return fail(c, "a retry loop ended that had not begun".into());
            };
            if verb == "attempts-failed" {
                let k = number(out.get(1)).unwrap_or(0.0) as usize;
                c.attempts_failed(start, k);
            } else {
                th.loops.pop();
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
        "spawn" => return fail(c, "c:spawn is for the main thread only".into()),
        other => {
            return fail(
                c,
                format!("the program yielded {other:?}: recipe files must not use coroutines"),
            )
        }
    };
    match answer {
        Ok(v) => Ok(v),
        Err(e) => fail(c, lua_message(&e)),
    }
}
