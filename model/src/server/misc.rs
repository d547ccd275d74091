//! The small commands issue 16 adds beside the families: APPEND, GETEX, TIME, FLUSHALL and
//! FLUSHDB (ECHO is one line in the dispatch table). Replies checked against Redis 7.0.15.

use super::strings::deadline_at;
use super::{parse_int, wall, Entry, Server, Value, EPOCH_MS, WRONGTYPE};
use crate::reply::Reply;

/// TIME: `[seconds, microseconds]` of the wall clock, as bulk strings.
pub(super) fn time(now: u64) -> Reply {
    let ms = wall(now);
    Reply::Array(vec![
        Reply::bulk((ms / 1000).to_string()),
        Reply::bulk(((ms % 1000) * 1000).to_string()),
    ])
}

/// GETEX's expiry option.
enum GetexOption {
    None,
    Persist,
    /// The value and its unit (1000 or 1), and whether it is absolute (EXAT/PXAT).
    Expire(String, i64, bool),
}

impl Server {
    /// APPEND key value: the new length.
    pub(super) fn append(&mut self, key: &str, val: &str) -> Reply {
        let old = match self.read_str(key) {
            Ok(v) => v.unwrap_or("").to_string(),
            Err(e) => return e,
        };
        let new = old + val;
        let len = new.len() as i64;
        self.write_str(key, &new, None, true);
        Reply::Int(len)
    }

    /// GETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST]. Redis parses the option words,
    /// then looks the key up (absent: nil, whatever the value), then checks its type, and only
    /// then parses the time; a time in the past deletes the key.
    pub(super) fn getex(&mut self, a: &[String], now: u64) -> Reply {
        let syntax = || Reply::err("ERR syntax error");
        let mut opt = GetexOption::None;
        let mut i = 1;
        while i < a.len() {
            let word = a[i].to_ascii_uppercase();
            let unset = matches!(opt, GetexOption::None);
            match word.as_str() {
                "PERSIST" if unset => opt = GetexOption::Persist,
                "EX" | "PX" | "EXAT" | "PXAT" if unset && i + 1 < a.len() => {
                    let unit = if word.starts_with('E') { 1000 } else { 1 };
                    opt = GetexOption::Expire(a[i + 1].clone(), unit, word.ends_with("AT"));
                    i += 1;
                }
                _ => return syntax(),
            }
            i += 1;
        }
        let key = &a[0];
        let value = match self.read_str(key) {
            Ok(Some(v)) => v.to_string(),
            Ok(None) => return Reply::Nil,
            Err(e) => return e,
        };
        match opt {
            GetexOption::None => {}
            GetexOption::Persist => {
                self.persist(key);
            }
            GetexOption::Expire(n, unit, absolute) => {
                let at = parse_int(&n)
                    .and_then(|n| deadline_at(now, n, unit, absolute, "getex", self.profile));
                match at {
                    Err(e) => return e,
                    Ok(None) => {
                        self.keys.remove(key);
                        self.touch(key);
                    }
                    Ok(Some(t)) => {
                        if let Some(e) = self.keys.get_mut(key) {
                            e.expires_at = Some(t);
                        }
                        self.touch(key);
                    }
                }
            }
        }
        Reply::Bulk(value)
    }

    /// FLUSHALL / FLUSHDB [ASYNC|SYNC]: every key goes; a WATCH on a key that existed is
    /// dirtied (one on an absent key is not), parked connections stay parked.
    pub(super) fn flush(&mut self, a: &[String]) -> Reply {
        let mode_ok = match a {
            [] => true,
            [m] => {
                m.eq_ignore_ascii_case("ASYNC")
                    || (m.eq_ignore_ascii_case("SYNC") && self.profile.flush_has_sync())
            }
            _ => false,
        };
        if !mode_ok {
            return Reply::err("ERR syntax error");
        }
        let keys: Vec<String> = std::mem::take(&mut *self.keys).into_keys().collect();
        for k in &keys {
            self.touch(k);
        }
        Reply::ok()
    }

    /// Whether `key` holds a non-empty list (for the blocking pops).
    pub(super) fn holds_list(&self, key: &str) -> bool {
        matches!(self.keys.get(key), Some(Entry { value: Value::List(l), .. }) if !l.is_empty())
    }

    /// Whether `key` holds something other than a list.
    pub(super) fn holds_non_list(&self, key: &str) -> bool {
        self.keys
            .get(key)
            .is_some_and(|e| !matches!(e.value, Value::List(_)))
    }
}

/// The logical deadline of wall-clock ms `t`, or `None` when it is already past at `now`.
pub(super) fn logical(t: i64, now: u64) -> Option<u64> {
    (t > wall(now)).then(|| (t - EPOCH_MS as i64) as u64)
}

/// WRONGTYPE, for callers outside this module.
pub(super) fn wrongtype() -> Reply {
    Reply::err(WRONGTYPE)
}
