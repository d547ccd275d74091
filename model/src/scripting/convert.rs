//! The conversions between Redis replies and Lua values, both ways, as Redis 7.0 makes them.
//!
//! Going out, Lua numbers become integers by truncation, `false` becomes nil, `{err=…}` an
//! error reply, `{ok=…}` a status reply (`\r` and `\n` in either become spaces), a table an
//! array cut at its first nil (hash keys are ignored), anything else (functions, `cjson.null`)
//! a nil. Going in, a nil bulk becomes `false`, a status reply `{ok=…}`, an error `{err=…}`.

use crate::reply::Reply;
use mlua::{Lua, Table, Value as LuaValue};

pub(super) fn reply_to_lua(lua: &Lua, r: &Reply) -> mlua::Result<LuaValue> {
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

pub(super) fn lua_to_reply(v: &LuaValue) -> Reply {
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

/// Redis writes a status or error line with its `\r` and `\n` replaced by spaces.
pub(super) fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
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

/// C's `printf("%.<precision>g", n)` (glibc): Redis formats a Lua number argument with
/// `%.17g`, cjson a number with `%.14g`.
pub(super) fn format_g(n: f64, precision: usize) -> String {
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
    // %g picks the style from the exponent the %e conversion (`precision` digits) has.
    let sci = format!("{n:.*e}", precision - 1);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    if (-4..precision as i32).contains(&exp) {
        trim(&format!("{:.*}", (precision as i32 - 1 - exp) as usize, n)).to_string()
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    }
}

fn table_to_reply(t: &Table) -> Reply {
    if let Ok(LuaValue::String(e)) = t.raw_get::<LuaValue>("err") {
        return Reply::Error(one_line(&e.to_string_lossy()));
    }
    if let Ok(LuaValue::String(s)) = t.raw_get::<LuaValue>("ok") {
        return Reply::Status(one_line(&s.to_string_lossy()));
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

/// C's `printf("%.17g", n)`: how Redis prints a double (sorted-set scores in 7.0).
pub(crate) fn format_g17(n: f64) -> String {
    format_g(n, 17)
}
