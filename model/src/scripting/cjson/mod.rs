//! `cjson.encode` and `cjson.decode` as the lua-cjson 2.1.0 Redis ships does them, with its
//! default settings: numbers as `%.14g`, `/` escaped as `\/`, an empty table as `{}`, sparse
//! arrays refused past lua-cjson's ratio, NaN and infinity refused, 1000 levels of nesting,
//! `null` decoded as the light userdata `cjson.null`, and its exact error texts.
//!
//! Each native returns `(true, result)` or `(false, "where", message)`; the sandbox's trampoline
//! raises the message at the calling script line, as `luaL_error` does.

mod decode;

use super::bit::{failure, lua_type_name};
use super::convert::format_g;
use decode::decode;
use mlua::{Lua, MultiValue, Table, Value as LuaValue};

pub(super) const MAX_DEPTH: usize = 1000;

fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode_number(out: &mut Vec<u8>, n: f64) -> Result<(), String> {
    if !n.is_finite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(format_g(n, 14).as_bytes());
    Ok(())
}

fn number(v: &LuaValue) -> Option<f64> {
    match v {
        LuaValue::Number(n) => Some(*n),
        LuaValue::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// lua-cjson's array test: every key a number >= 1 with no fraction, else an object (`None`).
/// The largest key is kept in a C `int`, so a key past its range wraps to `i32::MIN` (and such a
/// table then encodes as an object); a sparse array (largest key over 10 and over twice the
/// number of keys) is an error.
fn array_length(t: &Table) -> Result<Option<i64>, String> {
    let mut max: i32 = 0;
    let mut items: i64 = 0;
    for pair in t.clone().pairs::<LuaValue, LuaValue>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        match number(&k) {
            Some(k) if k.floor() == k && k >= 1.0 => {
                if k > max as f64 {
                    max = if k < 2_147_483_648.0 {
                        k as i32
                    } else {
                        i32::MIN
                    };
                }
                items += 1;
            }
            _ => return Ok(None),
        }
    }
    if max as i64 > items * 2 && max > 10 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok((max > 0).then_some(max as i64))
}

fn encode_value(out: &mut Vec<u8>, v: &LuaValue, depth: usize) -> Result<(), String> {
    match v {
        LuaValue::Nil => out.extend_from_slice(b"null"),
        LuaValue::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        LuaValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        LuaValue::Integer(_) | LuaValue::Number(_) => encode_number(out, number(v).unwrap())?,
        LuaValue::String(s) => encode_string(out, &s.as_bytes()),
        LuaValue::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t)? {
                Some(len) => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: LuaValue = t.raw_get(i).map_err(|e| e.to_string())?;
                        encode_value(out, &item, depth)?;
                    }
                    out.push(b']');
                }
                None => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<LuaValue, LuaValue>() {
                        let (k, item) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            LuaValue::String(s) => encode_string(out, &s.as_bytes()),
                            LuaValue::Integer(_) | LuaValue::Number(_) => {
                                out.push(b'"');
                                encode_number(out, number(&k).unwrap())?;
                                out.push(b'"');
                            }
                            other => {
                                return Err(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    lua_type_name(other)
                                ))
                            }
                        }
                        out.push(b':');
                        encode_value(out, &item, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                lua_type_name(other)
            ))
        }
    }
    Ok(())
}

fn encode(args: &MultiValue) -> Result<Vec<u8>, String> {
    if args.len() != 1 {
        return Err("bad argument #1 to 'encode' (expected 1 argument)".into());
    }
    let mut out = Vec::new();
    encode_value(&mut out, &args[0], 0)?;
    Ok(out)
}

/// The most keys outside a `1..n` sequence in any table within `v` (to depth 1000): the keys
/// whose order comes from Lua's string hash, which Valkey 8.1 computes differently.
fn hashed_keys(v: &LuaValue, depth: usize) -> usize {
    let LuaValue::Table(t) = v else { return 0 };
    if depth > MAX_DEPTH {
        return 0;
    }
    let len = t.raw_len();
    let mut own = 0;
    let mut inner = 0;
    for (k, item) in t.clone().pairs::<LuaValue, LuaValue>().flatten() {
        let in_sequence =
            matches!(number(&k), Some(n) if n >= 1.0 && n <= len as f64 && n.fract() == 0.0);
        own += !in_sequence as usize;
        inner = inner.max(hashed_keys(&item, depth + 1));
    }
    own.max(inner)
}

/// Adds `cjson_encode`, `cjson_decode` and `cjson_hashed_keys` to the natives table.
pub(super) fn install(lua: &Lua, natives: &Table) -> mlua::Result<()> {
    let encoder = lua.create_function(|lua, args: MultiValue| {
        Ok(match encode(&args) {
            Ok(bytes) => MultiValue::from_iter([
                LuaValue::Boolean(true),
                LuaValue::String(lua.create_string(&bytes)?),
            ]),
            Err(msg) => failure(lua, &msg)?,
        })
    })?;
    let decoder = lua.create_function(|lua, args: MultiValue| {
        Ok(match decode(lua, &args) {
            Ok(v) => MultiValue::from_iter([LuaValue::Boolean(true), v]),
            Err(msg) => failure(lua, &msg)?,
        })
    })?;
    natives.set("cjson_encode", encoder)?;
    natives.set(
        "cjson_hashed_keys",
        lua.create_function(|_, v: LuaValue| Ok(hashed_keys(&v, 0)))?,
    )?;
    natives.set("cjson_decode", decoder)?;
    natives.set("null", LuaValue::NULL)?;
    Ok(())
}
