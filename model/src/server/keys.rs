//! Keyspace commands: DEL EXISTS TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT PERSIST TTL PTTL.

use super::{parse_int, Server};
use crate::reply::Reply;

impl Server {
    pub(super) fn del(&mut self, keys: &[String]) -> Reply {
        let mut n = 0;
        for k in keys {
            if self.keys.remove(k).is_some() {
                self.touch(k);
                n += 1;
            }
        }
        Reply::Int(n)
    }

    pub(super) fn exists(&self, keys: &[String]) -> Reply {
        Reply::Int(keys.iter().filter(|k| self.keys.contains_key(*k)).count() as i64)
    }

    pub(super) fn type_of(&self, key: &str) -> Reply {
        let t = self.keys.get(key).map_or("none", |e| e.value.type_name());
        Reply::Status(t.into())
    }

    /// EXPIRE/PEXPIRE key n [NX|XX|GT|LT]; a non-positive time deletes the key. With
    /// `absolute` (EXPIREAT/PEXPIREAT) `n` is a time on the server's clock, whose origin is
    /// the model's time 0; a time not after `now` deletes the key.
    pub(super) fn expire(&mut self, a: &[String], now: u64, unit: i64, absolute: bool) -> Reply {
        // Redis parses the options before the time. XX combines with GT or LT.
        let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
        for opt in &a[2..] {
            match opt.to_ascii_uppercase().as_str() {
                "NX" => nx = true,
                "XX" => xx = true,
                "GT" => gt = true,
                "LT" => lt = true,
                _ => return Reply::err(format!("ERR Unsupported option {opt}")),
            }
        }
        if nx && (xx || gt || lt) {
            return Reply::err(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            );
        }
        if gt && lt {
            return Reply::err("ERR GT and LT options at the same time are not compatible");
        }
        let n = match parse_int(&a[1]) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let cmd = match (unit == 1000, absolute) {
            (true, false) => "expire",
            (false, false) => "pexpire",
            (true, true) => "expireat",
            (false, true) => "pexpireat",
        };
        // Redis adds the wall clock (EXPIREAT's time is one already): an overflow there is an
        // error, not a wrap.
        let base = if absolute { 0 } else { super::wall(now) };
        let when = if self.profile.expire_overflow_checked() {
            n.checked_mul(unit).and_then(|ms| ms.checked_add(base))
        } else {
            // 6.0 wraps around (a wrapped time is past: the key goes).
            Some(n.wrapping_mul(unit).wrapping_add(base))
        };
        let Some(when) = when else {
            return Reply::err(format!("ERR invalid expire time in '{cmd}' command"));
        };
        // Back to the logical clock (negative: already past). Saturating: 6.0's wrapped time
        // can sit within EPOCH_MS of i64::MIN, and it is past either way.
        let when = when.saturating_sub(super::EPOCH_MS as i64);
        let Some(entry) = self.keys.get(&a[0]) else {
            return Reply::Int(0);
        };
        let current = entry.expires_at;
        // A key without a deadline counts as an infinite one.
        let refused = (nx && current.is_some())
            || (xx && current.is_none())
            || (gt && current.is_none_or(|c| when <= c as i64))
            || (lt && current.is_some_and(|c| when >= c as i64));
        if refused {
            return Reply::Int(0);
        }
        if when <= now as i64 {
            self.keys.remove(&a[0]);
        } else if let Some(e) = self.keys.get_mut(&a[0]) {
            e.expires_at = Some(when as u64);
        }
        self.touch(&a[0]);
        Reply::Int(1)
    }

    pub(super) fn persist(&mut self, key: &str) -> Reply {
        match self.keys.get_mut(key) {
            Some(e) if e.expires_at.is_some() => {
                e.expires_at = None;
                self.touch(key);
                Reply::Int(1)
            }
            _ => Reply::Int(0),
        }
    }

    /// TTL rounds to the nearest second as Redis does (`(ms + 500) / 1000`).
    pub(super) fn ttl(&self, key: &str, now: u64, in_ms: bool) -> Reply {
        match self.keys.get(key) {
            None => Reply::Int(-2),
            Some(e) => match e.expires_at {
                None => Reply::Int(-1),
                Some(t) => {
                    // Wrapping, then clamped at 0 as Redis does (only 6.0's wrapped-around
                    // deadlines are ever "negative").
                    let ms = (t.wrapping_sub(now) as i64).max(0);
                    Reply::Int(if in_ms { ms } else { (ms + 500) / 1000 })
                }
            },
        }
    }
}
