//! List commands: LPUSH RPUSH LPOP RPOP LLEN LRANGE LMOVE LREM LINDEX LSET LINSERT RPOPLPUSH.

use super::{parse_int, Entry, Server, Value, WRONGTYPE};
use crate::reply::Reply;
use std::collections::VecDeque;

impl Server {
    fn read_list(&self, key: &str) -> Result<Option<&VecDeque<String>>, Reply> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::List(l),
                ..
            }) => Ok(Some(l)),
            Some(_) => Err(Reply::err(WRONGTYPE)),
        }
    }

    pub(super) fn push(&mut self, key: &str, vals: &[String], left: bool) -> Reply {
        if let Err(e) = self.read_list(key) {
            return e;
        }
        let created = !self.keys.contains_key(key);
        let entry = self.keys.get_or_insert_with(key, || Entry {
            value: Value::List(VecDeque::new()),
            expires_at: None,
        });
        let Value::List(l) = &mut entry.value else {
            unreachable!("type checked above")
        };
        for v in vals {
            if left {
                l.push_front(v.clone());
            } else {
                l.push_back(v.clone());
            }
        }
        let len = l.len() as i64;
        self.touch(key);
        if created {
            self.signal_ready(key);
        }
        Reply::Int(len)
    }

    /// Pops up to `n` elements; deletes the key when the list empties. Signals the key.
    pub(super) fn pop_n(&mut self, key: &str, n: usize, left: bool) -> Vec<String> {
        let Some(Entry {
            value: Value::List(l),
            ..
        }) = self.keys.get_mut(key)
        else {
            return vec![];
        };
        let mut out = Vec::new();
        while out.len() < n {
            let v = if left { l.pop_front() } else { l.pop_back() };
            match v {
                Some(v) => out.push(v),
                None => break,
            }
        }
        let empty = l.is_empty();
        if empty {
            self.keys.remove(key);
        }
        if !out.is_empty() {
            self.touch(key);
        }
        out
    }

    /// LPOP/RPOP key [count].
    pub(super) fn pop(&mut self, a: &[String], left: bool) -> Reply {
        if a.len() > 2 {
            return Reply::err(format!(
                "ERR wrong number of arguments for '{}' command",
                if left { "lpop" } else { "rpop" }
            ));
        }
        // Any unparsable or negative count gets the same message in Redis.
        let count = match a.get(1).map(|c| parse_int(c)) {
            None => None,
            Some(Ok(c)) if c >= 0 => Some(c as usize),
            Some(_) => return Reply::err("ERR value is out of range, must be positive"),
        };
        match self.read_list(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Nil,
            Ok(Some(_)) => {}
        }
        match count {
            None => self
                .pop_n(&a[0], 1, left)
                .pop()
                .map(Reply::Bulk)
                .unwrap_or(Reply::Nil),
            Some(c) => Reply::Array(
                self.pop_n(&a[0], c, left)
                    .into_iter()
                    .map(Reply::Bulk)
                    .collect(),
            ),
        }
    }

    pub(super) fn llen(&self, key: &str) -> Reply {
        match self.read_list(key) {
            Ok(l) => Reply::Int(l.map_or(0, |l| l.len() as i64)),
            Err(e) => e,
        }
    }

    pub(super) fn lrange(&self, key: &str, start: &str, stop: &str) -> Reply {
        let (start, stop) = match (parse_int(start), parse_int(stop)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let l = match self.read_list(key) {
            Ok(Some(l)) => l,
            Ok(None) => return Reply::Array(vec![]),
            Err(e) => return e,
        };
        let len = l.len() as i64;
        // As Redis: negative indices count from the end; then only the start is clamped at
        // 0, so an end still negative (LRANGE -100 -50 on 5 elements) leaves nothing.
        let s = if start < 0 {
            (len + start).max(0)
        } else {
            start
        };
        let e = if stop < 0 { len + stop } else { stop };
        if s > e || s >= len {
            return Reply::Array(vec![]);
        }
        let e = e.min(len - 1);
        Reply::Array(
            l.iter()
                .skip(s as usize)
                .take((e - s + 1) as usize)
                .cloned()
                .map(Reply::Bulk)
                .collect(),
        )
    }

    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: pop from one end of `source`, push to
    /// one end of `destination`, atomically (the reliable-queue step of seed 004).
    pub(super) fn lmove(&mut self, a: &[String]) -> Reply {
        let side = |s: &str| match s.to_ascii_uppercase().as_str() {
            "LEFT" => Some(true),
            "RIGHT" => Some(false),
            _ => None,
        };
        let (Some(from_left), Some(to_left)) = (side(&a[2]), side(&a[3])) else {
            return Reply::err("ERR syntax error");
        };
        match self.read_list(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Nil,
            Ok(Some(_)) => {}
        }
        if let Err(e) = self.read_list(&a[1]) {
            return e;
        }
        let Some(v) = self.pop_n(&a[0], 1, from_left).pop() else {
            return Reply::Nil;
        };
        self.push(&a[1], std::slice::from_ref(&v), to_left);
        Reply::Bulk(v)
    }

    /// LREM key count element: removes up to |count| occurrences (from the head when
    /// count > 0, from the tail when < 0, all when 0).
    pub(super) fn lrem(&mut self, key: &str, count: &str, element: &str) -> Reply {
        let count = match parse_int(count) {
            Ok(i64::MIN) if self.profile.lrem_refuses_i64_min() => {
                return Reply::err(
                    "ERR value is out of range, value must between -9223372036854775807 and \
                     9223372036854775807",
                )
            }
            Ok(c) => c,
            Err(e) => return e,
        };
        match self.read_list(key) {
            Err(e) => return e,
            Ok(None) => return Reply::Int(0),
            Ok(Some(_)) => {}
        }
        let Some(Entry {
            value: Value::List(l),
            ..
        }) = self.keys.get_mut(key)
        else {
            unreachable!("type checked above")
        };
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let positions: Vec<usize> = if count >= 0 {
            (0..l.len())
                .filter(|&i| l[i] == element)
                .take(limit)
                .collect()
        } else {
            (0..l.len())
                .rev()
                .filter(|&i| l[i] == element)
                .take(limit)
                .collect()
        };
        let mut sorted = positions.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        for i in sorted {
            l.remove(i);
        }
        let empty = l.is_empty();
        if empty {
            self.keys.remove(key);
        }
        if !positions.is_empty() {
            self.touch(key);
        }
        Reply::Int(positions.len() as i64)
    }

    /// LINDEX key index: the key is looked up before the index is parsed.
    pub(super) fn lindex(&self, key: &str, index: &str) -> Reply {
        let l = match self.read_list(key) {
            Err(e) => return e,
            Ok(None) => return Reply::Nil,
            Ok(Some(l)) => l,
        };
        let i = match parse_int(index) {
            Ok(i) => i,
            Err(e) => return e,
        };
        let i = if i < 0 { i + l.len() as i64 } else { i };
        if i < 0 {
            return Reply::Nil;
        }
        l.get(i as usize)
            .map_or(Reply::Nil, |v| Reply::bulk(v.clone()))
    }

    /// LSET key index element: the key is looked up before the index is parsed.
    pub(super) fn lset(&mut self, key: &str, index: &str, element: &str) -> Reply {
        let len = match self.read_list(key) {
            Err(e) => return e,
            Ok(None) => return Reply::err("ERR no such key"),
            Ok(Some(l)) => l.len() as i64,
        };
        let i = match parse_int(index) {
            Ok(i) => i,
            Err(e) => return e,
        };
        let i = if i < 0 { i + len } else { i };
        if i < 0 || i >= len {
            return Reply::err("ERR index out of range");
        }
        if let Some(Entry {
            value: Value::List(l),
            ..
        }) = self.keys.get_mut(key)
        {
            l[i as usize] = element.to_string();
        }
        self.touch(key);
        Reply::ok()
    }

    /// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0
    /// without the key.
    pub(super) fn linsert(&mut self, a: &[String]) -> Reply {
        let after = match a[1].to_ascii_uppercase().as_str() {
            "BEFORE" => false,
            "AFTER" => true,
            _ => return Reply::err("ERR syntax error"),
        };
        let pos = match self.read_list(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Int(0),
            Ok(Some(l)) => l.iter().position(|v| *v == a[2]),
        };
        let Some(pos) = pos else {
            return Reply::Int(-1);
        };
        let Some(Entry {
            value: Value::List(l),
            ..
        }) = self.keys.get_mut(&a[0])
        else {
            unreachable!("type checked above")
        };
        l.insert(pos + after as usize, a[3].clone());
        let len = l.len() as i64;
        self.touch(&a[0]);
        Reply::Int(len)
    }

    /// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
    pub(super) fn rpoplpush(&mut self, src: &str, dst: &str) -> Reply {
        self.lmove(&[src.into(), dst.into(), "RIGHT".into(), "LEFT".into()])
    }
}
