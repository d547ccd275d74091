//! A recipe file's `keys = {…}`: each key's preset (a string or integer, or a table naming
//! its type, `string`, `list`, `hash` or `zset`, with an optional time to live, `px` or `ex`).

use super::engine::lua_message;
use crate::scenario::{Preset, PresetValue};
use mlua::Value as LuaValue;

/// A number as a preset writes it: integers without a fraction, others as Rust prints them.
pub(super) fn number_text(v: &LuaValue) -> Option<String> {
    match v {
        LuaValue::Integer(i) => Some(i.to_string()),
        LuaValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            Some((*n as i64).to_string())
        }
        LuaValue::Number(n) if n.is_finite() => Some(n.to_string()),
        _ => None,
    }
}

/// A string or a number, as a preset element.
fn element(v: &LuaValue) -> Option<String> {
    match v {
        LuaValue::String(s) => Some(s.to_string_lossy().to_string()),
        other => number_text(other),
    }
}

/// One key of `keys = {…}`: a string or integer, or a table naming its type (`string`,
/// `list`, `hash`, `zset`) with an optional time to live (`px` ms or `ex` s).
pub(super) fn preset(k: &str, v: &LuaValue) -> Result<Preset, String> {
    let t = match v {
        LuaValue::Table(t) => t,
        other => {
            return element(other).map(Preset::from).ok_or_else(|| {
                format!(
                    "key {k:?}: a string, an integer, or a table such as {{ list = {{ \"a\" }} }}"
                )
            })
        }
    };
    let mut value = None;
    let mut px = None;
    for pair in t.clone().pairs::<String, LuaValue>() {
        let (field, v) = pair.map_err(|_| format!("key {k:?}: fields must be named"))?;
        let bad = |what: &str| format!("key {k:?}: {field} must be {what}");
        let typed = match field.as_str() {
            "string" => PresetValue::Str(element(&v).ok_or_else(|| bad("a string"))?),
            "list" => {
                let LuaValue::Table(items) = v else {
                    return Err(bad("a list of strings"));
                };
                let items: Vec<String> = items
                    .sequence_values::<LuaValue>()
                    .map(|i| i.ok().as_ref().and_then(element))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("a list of strings"))?;
                PresetValue::List(items)
            }
            "hash" | "zset" => {
                let LuaValue::Table(map) = v else {
                    return Err(bad("a table"));
                };
                let mut pairs = Vec::new();
                for pair in map.pairs::<LuaValue, LuaValue>() {
                    let (f, x) = pair.map_err(|e| lua_message(&e))?;
                    let f = element(&f).ok_or_else(|| bad("a table with string keys"))?;
                    let x = if field == "hash" {
                        element(&x).ok_or_else(|| bad("a table of strings"))?
                    } else {
                        number_text(&x).ok_or_else(|| bad("a table of member = score"))?
                    };
                    pairs.push((f, x));
                }
                // Lua tables have no order: fields and members go in sorted order.
                pairs.sort();
                if field == "hash" {
                    PresetValue::Hash(pairs)
                } else {
                    PresetValue::ZSet(pairs)
                }
            }
            "px" | "ex" => {
                let n = number_text(&v)
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| bad("a non-negative integer"))?;
                px = Some(if field == "ex" { n * 1000 } else { n });
                continue;
            }
            other => {
                return Err(format!(
                    "key {k:?}: unknown field {other:?} (known: string, list, hash, zset, px, ex)"
                ))
            }
        };
        if value.replace(typed).is_some() {
            return Err(format!("key {k:?}: one of string, list, hash, zset"));
        }
    }
    let value = value.ok_or_else(|| format!("key {k:?}: give string, list, hash or zset"))?;
    Ok(Preset { value, px })
}
