//! The `bit` library Redis ships (LuaBitOp 1.0): 32-bit operations on Lua numbers.
//!
//! Each native returns `(true, result)` or `(false, "where", message)`; the sandbox's trampoline
//! raises the message at the calling script line, as the C library's `luaL_argerror` does.

use mlua::{Lua, MultiValue, Table, Value as LuaValue};

/// A number argument as LuaBitOp reads it: `luaL_checknumber` (numeric strings too), then
/// the 2^52 + 2^51 trick, which keeps the low 32 bits and rounds halves to even.
fn arg(lua: &Lua, args: &MultiValue, i: usize, op: &str) -> Result<i32, String> {
    let v = args.get(i).cloned().unwrap_or(LuaValue::Nil);
    let n = match &v {
        LuaValue::Number(n) => Some(*n),
        LuaValue::Integer(n) => Some(*n as f64),
        LuaValue::String(_) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    };
    let Some(n) = n else {
        let got = if i >= args.len() {
            "no value"
        } else {
            lua_type_name(&v)
        };
        return Err(format!(
            "bad argument #{} to '{op}' (number expected, got {got})",
            i + 1
        ));
    };
    Ok((n + 6_755_399_441_055_744.0).to_bits() as u32 as i32)
}

/// The name `type()` gives a value (a light userdata is a "userdata" too).
pub(super) fn lua_type_name(v: &LuaValue) -> &'static str {
    match v {
        LuaValue::Nil => "nil",
        LuaValue::Boolean(_) => "boolean",
        LuaValue::LightUserData(_) | LuaValue::UserData(_) => "userdata",
        LuaValue::Integer(_) | LuaValue::Number(_) => "number",
        LuaValue::String(_) => "string",
        LuaValue::Table(_) => "table",
        LuaValue::Function(_) => "function",
        LuaValue::Thread(_) => "thread",
        _ => "userdata",
    }
}

fn tohex(x: i32, n: i32) -> String {
    let (upper, n) = if n < 0 { (true, -n) } else { (false, n) };
    let n = n.min(8) as usize;
    let s = format!("{:08x}", x as u32);
    let s = &s[8 - n..];
    if upper {
        s.to_ascii_uppercase()
    } else {
        s.to_string()
    }
}

fn apply(lua: &Lua, op: &str, args: &MultiValue) -> Result<LuaValue, String> {
    let a = |i| arg(lua, args, i, op);
    let int = |x: i32| LuaValue::Number(x as f64);
    let fold = |f: fn(i32, i32) -> i32| -> Result<LuaValue, String> {
        let mut acc = a(0)?;
        for i in 1..args.len() {
            acc = f(acc, a(i)?);
        }
        Ok(int(acc))
    };
    Ok(match op {
        "tobit" => int(a(0)?),
        "bnot" => int(!a(0)?),
        "bswap" => int(a(0)?.swap_bytes()),
        "band" => fold(|x, y| x & y)?,
        "bor" => fold(|x, y| x | y)?,
        "bxor" => fold(|x, y| x ^ y)?,
        "lshift" | "rshift" | "arshift" | "rol" | "ror" => {
            let (x, n) = (a(0)?, (a(1)? & 31) as u32);
            int(match op {
                "lshift" => ((x as u32) << n) as i32,
                "rshift" => ((x as u32) >> n) as i32,
                "arshift" => x >> n,
                "rol" => (x as u32).rotate_left(n) as i32,
                _ => (x as u32).rotate_right(n) as i32,
            })
        }
        "tohex" => {
            let x = a(0)?;
            let n = match args.get(1) {
                None | Some(LuaValue::Nil) => 8,
                Some(_) => a(1)?,
            };
            LuaValue::String(lua.create_string(tohex(x, n)).map_err(|e| e.to_string())?)
        }
        _ => unreachable!("bit.{op} is not registered"),
    })
}

/// What a native returns for an error: `(false, "where", message)`.
pub(super) fn failure(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([
        LuaValue::Boolean(false),
        LuaValue::String(lua.create_string("where")?),
        LuaValue::String(lua.create_string(msg)?),
    ]))
}

/// Adds `bit_<op>` for every operation to the natives table.
pub(super) fn install(lua: &Lua, natives: &Table) -> mlua::Result<()> {
    for op in [
        "tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror",
        "bswap", "tohex",
    ] {
        let f = lua.create_function(move |lua, args: MultiValue| {
            Ok(match apply(lua, op, &args) {
                Ok(v) => MultiValue::from_iter([LuaValue::Boolean(true), v]),
                Err(msg) => failure(lua, &msg)?,
            })
        })?;
        natives.set(format!("bit_{op}"), f)?;
    }
    Ok(())
}
