//! Multi-key and keyspace-walking commands: MSET MGET MSETNX RENAME RENAMENX COPY KEYS SCAN,
//! and WAIT on a server without replicas.
//!
//! KEYS and SCAN list keys in name order; a real server lists them in its hash table's
//! order, so a comparison with one must treat their key lists as sets. SCAN returns every
//! matching key at cursor 0, with next cursor "0" (a real server does so too while the
//! keyspace fits in one COUNT, which the generated programs' few keys always do); any other
//! valid cursor returns nothing, where a real server would carry on from that bucket.

use super::{parse_int, Server, Value};
use crate::reply::Reply;

/// Redis's glob (stringmatchlen): `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes, on bytes.
pub fn glob_match(pattern: &str, s: &str) -> bool {
    glob(pattern.as_bytes(), s.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => {
            let rest = &p[p.iter().take_while(|c| **c == b'*').count()..];
            rest.is_empty() || (0..=s.len()).any(|i| glob(rest, &s[i..]))
        }
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(&c) = s.first() else { return false };
            let mut i = 1;
            let negate = p.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            loop {
                match p.get(i) {
                    // An unterminated class ends at the pattern's end.
                    None => {
                        i -= 1;
                        break;
                    }
                    Some(b']') => break,
                    Some(b'\\') if i + 1 < p.len() => {
                        matched |= p[i + 1] == c;
                        i += 2;
                    }
                    Some(&lo) if p.get(i + 1) == Some(&b'-') && i + 2 < p.len() => {
                        let hi = p[i + 2];
                        let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
                        matched |= lo <= c && c <= hi;
                        i += 3;
                    }
                    Some(&x) => {
                        matched |= x == c;
                        i += 1;
                    }
                }
            }
            matched != negate && glob(&p[(i + 1).min(p.len())..], &s[1..])
        }
        Some(b'\\') if p.len() >= 2 => s.first() == Some(&p[1]) && glob(&p[2..], &s[1..]),
        Some(&x) => s.first() == Some(&x) && glob(&p[1..], &s[1..]),
    }
}

impl Server {
    /// MSET / MSETNX key value [key value ...]; `nx`: only when no key exists (1 or 0).
    pub(super) fn mset(&mut self, a: &[String], nx: bool) -> Reply {
        if !a.len().is_multiple_of(2) {
            return Reply::err(
                self.profile
                    .mset_odd_arguments(if nx { "msetnx" } else { "mset" }),
            );
        }
        if nx && a.chunks(2).any(|p| self.keys.contains_key(&p[0])) {
            return Reply::Int(0);
        }
        for p in a.chunks(2) {
            self.write_str(&p[0], &p[1], None, false);
        }
        if nx {
            Reply::Int(1)
        } else {
            Reply::ok()
        }
    }

    pub(super) fn mget(&self, keys: &[String]) -> Reply {
        Reply::Array(
            keys.iter()
                .map(|k| match self.read_str(k) {
                    Ok(Some(s)) => Reply::bulk(s),
                    _ => Reply::Nil,
                })
                .collect(),
        )
    }

    /// RENAME / RENAMENX source destination: the value and its deadline move.
    pub(super) fn rename(&mut self, src: &str, dst: &str, nx: bool) -> Reply {
        if !self.keys.contains_key(src) {
            return Reply::err("ERR no such key");
        }
        if src == dst {
            return if nx { Reply::Int(0) } else { Reply::ok() };
        }
        if nx && self.keys.contains_key(dst) {
            return Reply::Int(0);
        }
        let entry = self.keys.remove(src).expect("checked above");
        let list = matches!(entry.value, Value::List(_));
        self.keys.insert(dst.to_string(), entry);
        self.touch(src);
        self.touch(dst);
        // dbAdd signals a list it adds: a client blocked on `dst` is served from it.
        if list {
            self.signal_ready(dst);
        }
        if nx {
            Reply::Int(1)
        } else {
            Reply::ok()
        }
    }

    /// COPY source destination [DB 0] [REPLACE]: the value and its deadline are copied. Only
    /// the current database (0) exists in the model.
    pub(super) fn copy(&mut self, a: &[String]) -> Reply {
        let mut replace = false;
        let mut j = 2;
        while j < a.len() {
            match a[j].to_ascii_uppercase().as_str() {
                "REPLACE" => replace = true,
                "DB" if j + 1 < a.len() => {
                    match parse_int(&a[j + 1]) {
                        Ok(0) => {}
                        Ok(_) => {
                            return Reply::err(
                                "ERR model: COPY to another database is not modelled",
                            )
                        }
                        Err(e) => return e,
                    }
                    j += 1;
                }
                _ => return Reply::err("ERR syntax error"),
            }
            j += 1;
        }
        if a[0] == a[1] {
            return Reply::err("ERR source and destination objects are the same");
        }
        let Some(entry) = self.keys.get(&a[0]).cloned() else {
            return Reply::Int(0);
        };
        if self.keys.contains_key(&a[1]) && !replace {
            return Reply::Int(0);
        }
        let list = matches!(entry.value, Value::List(_));
        self.keys.insert(a[1].clone(), entry);
        self.touch(&a[1]);
        // As RENAME: the added list serves a client blocked on the destination.
        if list {
            self.signal_ready(&a[1]);
        }
        Reply::Int(1)
    }

    pub(super) fn keys_matching(&self, pattern: &str) -> Reply {
        Reply::Array(
            self.keys
                .keys()
                .filter(|k| glob_match(pattern, k))
                .map(|k| Reply::bulk(k.clone()))
                .collect(),
        )
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (see the module doc).
    pub(super) fn scan(&self, a: &[String]) -> Reply {
        // strtoul: an optional sign, then digits that fit (a negative one wraps around).
        let digits = a[0].strip_prefix(['-', '+']).unwrap_or(&a[0]);
        let valid = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.parse::<u64>().is_ok();
        if !valid {
            return Reply::err("ERR invalid cursor");
        }
        let (mut pattern, mut kind) = (None, None);
        let mut j = 1;
        while j < a.len() {
            if j + 1 >= a.len() {
                return Reply::err("ERR syntax error");
            }
            match a[j].to_ascii_uppercase().as_str() {
                "COUNT" => match parse_int(&a[j + 1]) {
                    Ok(n) if n >= 1 => {}
                    Ok(_) => return Reply::err("ERR syntax error"),
                    Err(e) => return e,
                },
                "MATCH" => pattern = Some(a[j + 1].clone()),
                "TYPE" => kind = Some(a[j + 1].to_ascii_lowercase()),
                _ => return Reply::err("ERR syntax error"),
            }
            j += 2;
        }
        let from_start = digits.parse::<u64>() == Ok(0);
        let keys = self
            .keys
            .iter()
            .filter(|_| from_start)
            .filter(|(k, _)| pattern.as_ref().is_none_or(|p| glob_match(p, k)))
            .filter(|(_, e)| kind.as_ref().is_none_or(|t| e.value.type_name() == t))
            .map(|(k, _)| Reply::bulk(k.clone()))
            .collect();
        Reply::Array(vec![Reply::bulk("0"), Reply::Array(keys)])
    }

    /// WAIT numreplicas timeout on a server without replicas: 0 at once when no replica is
    /// asked for, or inside MULTI. Asking for replicas blocks a real server until the
    /// timeout; the model does not park on WAIT and says so.
    pub(super) fn wait(&self, a: &[String], in_exec: bool) -> Reply {
        let n = match parse_int(&a[0]) {
            Ok(n) => n,
            Err(e) => return e,
        };
        match parse_int(&a[1]) {
            Ok(t) if t < 0 => return Reply::err("ERR timeout is negative"),
            Ok(_) => {}
            Err(_) => return Reply::err("ERR timeout is not an integer or out of range"),
        }
        if n <= 0 || in_exec {
            return Reply::Int(0);
        }
        Reply::err("ERR model: WAIT for replicas is not modelled (no replica ever acknowledges)")
    }
}
