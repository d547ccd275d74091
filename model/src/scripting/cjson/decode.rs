//! `cjson.decode` as lua-cjson 2.1.0 does it with Redis's defaults: its tokenizer (numbers as
//! strtod reads them, with hex, inf, nan and a leading '+' let through), `null` as the light
//! userdata `cjson.null`, 1000 levels of nesting and its exact error texts.

use super::MAX_DEPTH;
use crate::scripting::bit::lua_type_name;
use mlua::{Lua, MultiValue, Table, Value as LuaValue};

/// A token of lua-cjson's decoder: its type name as the error messages spell it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool,
    Null,
    Colon,
    Comma,
    End,
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Num => "T_NUMBER",
            Tok::Bool => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
        }
    }
}

/// A token, or the tokenizer's own error text, with the byte offset it was found at.
struct Token {
    kind: Result<Tok, &'static str>,
    at: usize,
    value: LuaValue,
}

struct Decoder<'s> {
    lua: &'s Lua,
    s: &'s [u8],
    pos: usize,
    depth: usize,
}

fn hex4(s: &[u8]) -> Option<u32> {
    let h = std::str::from_utf8(s.get(..4)?).ok()?;
    if h.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(h, 16).ok()
    } else {
        None
    }
}

impl Decoder<'_> {
    fn token(&mut self) -> Result<Token, String> {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
        let at = self.pos;
        let tok = |kind: Tok| Token {
            kind: Ok(kind),
            at,
            value: LuaValue::Nil,
        };
        let Some(&b) = self.s.get(at) else {
            return Ok(tok(Tok::End));
        };
        let simple = match b {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(kind) = simple {
            self.pos += 1;
            return Ok(tok(kind));
        }
        if b == b'"' {
            return self.string(at);
        }
        let rest = &self.s[at..];
        for (word, kind, value) in [
            (&b"true"[..], Tok::Bool, LuaValue::Boolean(true)),
            (b"false", Tok::Bool, LuaValue::Boolean(false)),
            (b"null", Tok::Null, LuaValue::NULL),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(Token {
                    kind: Ok(kind),
                    at,
                    value,
                });
            }
        }
        // Numbers as strtod reads them; lua-cjson also lets through what JSON forbids
        // (a leading '+' or zero, hex, inf, nan) by default.
        let lower = |n: usize| -> Vec<u8> {
            rest.iter()
                .take(n)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let numberish = b == b'-'
            || b.is_ascii_digit()
            || b == b'+'
            || lower(3) == b"inf"
            || lower(3) == b"nan";
        if numberish {
            return Ok(match strtod(rest) {
                Some((n, len)) => {
                    self.pos += len;
                    Token {
                        kind: Ok(Tok::Num),
                        at,
                        value: LuaValue::Number(n),
                    }
                }
                None => Token {
                    kind: Err("invalid number"),
                    at,
                    value: LuaValue::Nil,
                },
            });
        }
        Ok(Token {
            kind: Err("invalid token"),
            at,
            value: LuaValue::Nil,
        })
    }

    fn string(&mut self, at: usize) -> Result<Token, String> {
        let mut out = Vec::new();
        let mut i = at + 1;
        let fail = |what: &'static str, at: usize| Token {
            kind: Err(what),
            at,
            value: LuaValue::Nil,
        };
        loop {
            let Some(&b) = self.s.get(i) else {
                return Ok(fail("unexpected end of string", i));
            };
            match b {
                b'"' => break,
                b'\\' => {
                    let esc = i;
                    let Some(&e) = self.s.get(i + 1) else {
                        return Ok(fail("unexpected end of string", i + 1));
                    };
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        _ => None,
                    };
                    if let Some(c) = simple {
                        out.push(c);
                        i += 2;
                        continue;
                    }
                    if e != b'u' {
                        return Ok(fail("invalid escape code", esc));
                    }
                    let Some(mut cp) = hex4(&self.s[i + 2..]) else {
                        return Ok(fail("invalid unicode escape code", esc));
                    };
                    i += 6;
                    if (0xD800..0xDC00).contains(&cp) {
                        let low = (self.s.get(i..i + 2) == Some(b"\\u"))
                            .then(|| hex4(&self.s[i + 2..]))
                            .flatten();
                        match low {
                            Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                i += 6;
                            }
                            _ => return Ok(fail("invalid unicode escape code", esc)),
                        }
                    } else if (0xDC00..0xE000).contains(&cp) {
                        return Ok(fail("invalid unicode escape code", esc));
                    }
                    let c = char::from_u32(cp).expect("a valid code point");
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        Ok(Token {
            kind: Ok(Tok::Str),
            at,
            value: LuaValue::String(self.lua.create_string(&out).map_err(|e| e.to_string())?),
        })
    }

    fn expected(what: &str, t: &Token) -> String {
        let found = match t.kind {
            Ok(k) => k.name(),
            Err(e) => e,
        };
        format!(
            "Expected {what} but found {found} at character {}",
            t.at + 1
        )
    }

    fn nest(&mut self, t: &Token) -> Result<Table, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth,
                t.at + 1
            ));
        }
        self.lua.create_table().map_err(|e| e.to_string())
    }

    fn value(&mut self, t: Token) -> Result<LuaValue, String> {
        match t.kind {
            Ok(Tok::Str | Tok::Num | Tok::Bool | Tok::Null) => Ok(t.value),
            Ok(Tok::ArrBegin) => {
                let table = self.nest(&t)?;
                let mut next = self.token()?;
                if next.kind != Ok(Tok::ArrEnd) {
                    for i in 1.. {
                        let v = self.value(next)?;
                        table.raw_set(i, v).map_err(|e| e.to_string())?;
                        let sep = self.token()?;
                        match sep.kind {
                            Ok(Tok::ArrEnd) => break,
                            Ok(Tok::Comma) => next = self.token()?,
                            _ => return Err(Self::expected("comma or array end", &sep)),
                        }
                    }
                }
                self.depth -= 1;
                Ok(LuaValue::Table(table))
            }
            Ok(Tok::ObjBegin) => {
                let table = self.nest(&t)?;
                let mut key = self.token()?;
                if key.kind != Ok(Tok::ObjEnd) {
                    loop {
                        if key.kind != Ok(Tok::Str) {
                            return Err(Self::expected("object key string", &key));
                        }
                        let colon = self.token()?;
                        if colon.kind != Ok(Tok::Colon) {
                            return Err(Self::expected("colon", &colon));
                        }
                        let first = self.token()?;
                        let v = self.value(first)?;
                        table.raw_set(key.value, v).map_err(|e| e.to_string())?;
                        let sep = self.token()?;
                        match sep.kind {
                            Ok(Tok::ObjEnd) => break,
                            Ok(Tok::Comma) => key = self.token()?,
                            _ => return Err(Self::expected("comma or object end", &sep)),
                        }
                    }
                }
                self.depth -= 1;
                Ok(LuaValue::Table(table))
            }
            _ => Err(Self::expected("value", &t)),
        }
    }
}

/// The longest prefix of `s` that C's strtod reads as a number, and its length.
fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let text: String = s
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .map(|&b| b as char)
        .collect();
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, &text[..]),
    };
    let skip = text.len() - body.len();
    let lower = body.to_ascii_lowercase();
    for word in ["infinity", "inf"] {
        if lower.starts_with(word) {
            return Some((sign * f64::INFINITY, skip + word.len()));
        }
    }
    if lower.starts_with("nan") {
        return Some((f64::NAN, skip + 3));
    }
    if lower.starts_with("0x") {
        let digits = body[2..]
            .bytes()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if digits > 0 {
            let v = u64::from_str_radix(&body[2..2 + digits], 16).ok()? as f64;
            return Some((sign * v, skip + 2 + digits));
        }
        return Some((0.0, skip + 1));
    }
    // Decimal: digits [. digits] [e [sign] digits], the longest prefix that parses.
    let b = body.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(|c| c.is_ascii_digit()) {
            *i += 1;
        }
        *i - start
    };
    let mut n = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    let v: f64 = body[..i].parse().ok()?;
    Some((sign * v, skip + i))
}

pub(super) fn decode(lua: &Lua, args: &MultiValue) -> Result<LuaValue, String> {
    if args.len() != 1 {
        return Err("bad argument #1 to 'decode' (expected 1 argument)".into());
    }
    let text = match &args[0] {
        LuaValue::String(s) => s.as_bytes().to_vec(),
        v @ (LuaValue::Number(_) | LuaValue::Integer(_)) => lua
            .coerce_string(v.clone())
            .map_err(|e| e.to_string())?
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default(),
        other => {
            let got = lua_type_name(other);
            return Err(format!(
                "bad argument #1 to 'decode' (string expected, got {got})"
            ));
        }
    };
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Err("JSON parser does not support UTF-16 or UTF-32".into());
    }
    let mut d = Decoder {
        lua,
        s: &text,
        pos: 0,
        depth: 0,
    };
    let first = d.token()?;
    let v = d.value(first)?;
    let end = d.token()?;
    if end.kind != Ok(Tok::End) {
        return Err(Decoder::expected("the end", &end));
    }
    Ok(v)
}
