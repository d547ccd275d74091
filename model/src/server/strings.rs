//! String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL and the INCR family.

use super::{parse_int, Entry, Server, Value, NOT_INTEGER, WRONGTYPE};
use crate::profile::Profile;
use crate::reply::Reply;

/// SET's parsed options.
#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    /// Logical deadline in ms, if EX/PX/EXAT/PXAT was given.
    deadline: Option<u64>,
    /// EXAT/PXAT named a time already past: the key is written and gone at once.
    expired: bool,
}

fn parse_set_options(opts: &[String], now: u64, profile: Profile) -> Result<SetOptions, Reply> {
    let syntax = || Reply::err("ERR syntax error");
    let mut o = SetOptions::default();
    // Redis checks every option word first and reads the expire value afterwards. The same
    // expire option may repeat (the last value wins); two different ones may not, nor either
    // with KEEPTTL.
    let mut expire: Option<(&str, String)> = None;
    let mut i = 0;
    while i < opts.len() {
        let word = opts[i].to_ascii_uppercase();
        let absolute = matches!(word.as_str(), "EXAT" | "PXAT");
        match word.as_str() {
            "NX" if !o.xx => o.nx = true,
            "XX" if !o.nx => o.xx = true,
            "GET" if profile.set_has_get_option() => o.get = true,
            "KEEPTTL" if expire.is_none() => o.keepttl = true,
            "EX" | "PX" | "EXAT" | "PXAT"
                if !o.keepttl
                    && i + 1 < opts.len()
                    && (!absolute || profile.set_has_exat())
                    && expire.as_ref().is_none_or(|(_, w)| *w == word) =>
            {
                expire = Some((&opts[i + 1], word));
                i += 1;
            }
            _ => return Err(syntax()),
        }
        i += 1;
    }
    if let Some((value, word)) = expire {
        let n = parse_int(value)?;
        let unit = if word.starts_with('E') { 1000 } else { 1 };
        match deadline_at(now, n, unit, word.ends_with("AT"), "set", profile)? {
            Some(t) => o.deadline = Some(t),
            None => o.expired = true,
        }
    }
    Ok(o)
}

/// The deadline [`deadline_at`] gives 6.0's wrapped-to-negative times: never stored, the
/// command is reported unmodelled instead ([`Server::undefined_deadline`]).
pub(super) const UNDEFINED_DEADLINE: u64 = u64::MAX;

/// The logical deadline of a positive expire time `n` (in `unit` ms, relative to the wall
/// clock at `now` or `absolute` Unix time), `None` when already past, or Redis's error: for a
/// non-positive time, one in seconds beyond `i64::MAX / 1000`, or a sum that overflows.
pub(super) fn deadline_at(
    now: u64,
    n: i64,
    unit: i64,
    absolute: bool,
    cmd: &str,
    profile: Profile,
) -> Result<Option<u64>, Reply> {
    let invalid = || Reply::err(profile.invalid_expire_time(cmd));
    if n <= 0 {
        return Err(invalid());
    }
    if !profile.expire_overflow_checked() {
        // 6.0: C's arithmetic wraps around. A wrapped deadline still positive is past (the
        // key goes). A negative one is stored as it is: lazy expiry keeps the key (measured
        // on 6.0.16: SET k v PX i64::MAX, then EXISTS k is 1), but the active expiry cycle
        // deletes it at a moment of its own, and TTL's arithmetic on it overflows (undefined
        // behaviour in C: 6.0.16 answered TTL 9223372036854776, then PTTL -2). No model can
        // promise a reply there: the caller reports it unmodelled (see `is_undefined`).
        let t = n.wrapping_mul(unit).wrapping_add(super::wall(now));
        return Ok(if t < 0 {
            Some(UNDEFINED_DEADLINE)
        } else {
            super::misc::logical(t, now)
        });
    }
    let ms = n.checked_mul(unit).ok_or_else(invalid)?;
    let t = if absolute {
        ms
    } else {
        ms.checked_add(super::wall(now)).ok_or_else(invalid)?
    };
    Ok(super::misc::logical(t, now))
}

impl Server {
    /// The string at `key`, `Ok(None)` when absent, WRONGTYPE for another type.
    pub(super) fn read_str(&self, key: &str) -> Result<Option<&str>, Reply> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::Str(s),
                ..
            }) => Ok(Some(s)),
            Some(_) => Err(Reply::err(WRONGTYPE)),
        }
    }

    /// Stores a string, signalling the key. `keep_ttl` keeps an existing deadline.
    pub(super) fn write_str(
        &mut self,
        key: &str,
        val: &str,
        deadline: Option<u64>,
        keep_ttl: bool,
    ) {
        let kept = if keep_ttl {
            self.keys.get(key).and_then(|e| e.expires_at)
        } else {
            None
        };
        let entry = Entry {
            value: Value::Str(val.to_string()),
            expires_at: deadline.or(kept),
        };
        match self.keys.get_mut(key) {
            // An existing key keeps its name's allocation.
            Some(e) => *e = entry,
            None => {
                self.keys.insert(key.to_string(), entry);
            }
        }
        self.touch(key);
    }

    pub(super) fn get(&self, key: &str) -> Reply {
        match self.read_str(key) {
            Ok(Some(s)) => Reply::bulk(s),
            Ok(None) => Reply::Nil,
            Err(e) => e,
        }
    }

    pub(super) fn set(&mut self, a: &[String], now: u64) -> Reply {
        let o = match parse_set_options(&a[2..], now, self.profile) {
            Ok(o) => o,
            Err(e) => return e,
        };
        if o.deadline == Some(UNDEFINED_DEADLINE) {
            return self.undefined_deadline("SET");
        }
        let (key, val) = (&a[0], &a[1]);
        let old = if o.get {
            match self.read_str(key) {
                Ok(v) => Some(v.map(str::to_string)),
                Err(e) => return e,
            }
        } else {
            None
        };
        let exists = self.keys.contains_key(key);
        if (o.nx && exists) || (o.xx && !exists) {
            return match old {
                Some(Some(v)) => Reply::Bulk(v),
                _ => Reply::Nil,
            };
        }
        self.write_str(key, val, o.deadline, o.keepttl);
        if o.expired {
            self.keys.remove(key);
        }
        match old {
            Some(Some(v)) => Reply::Bulk(v),
            Some(None) => Reply::Nil,
            None => Reply::ok(),
        }
    }

    /// A 6.0 expire time that wrapped to a negative deadline: what Redis does next depends
    /// on its active expiry's timing and on undefined arithmetic, so the model stops
    /// ([`super::Outcome::Unmodelled`]). The reply is never read.
    pub(super) fn undefined_deadline(&mut self, cmd: &str) -> Reply {
        self.unmodelled.get_or_insert_with(|| {
            format!(
                "{} with an expire time past i64::MAX (Redis 6.0 stores it wrapped around)",
                cmd.to_ascii_uppercase()
            )
        });
        Reply::Nil
    }

    pub(super) fn setnx(&mut self, key: &str, val: &str) -> Reply {
        if self.keys.contains_key(key) {
            return Reply::Int(0);
        }
        self.write_str(key, val, None, false);
        Reply::Int(1)
    }

    pub(super) fn setex(
        &mut self,
        key: &str,
        ttl: &str,
        val: &str,
        now: u64,
        unit: i64,
        cmd: &str,
    ) -> Reply {
        let t = parse_int(ttl).and_then(|n| deadline_at(now, n, unit, false, cmd, self.profile));
        let t = match t {
            Ok(Some(UNDEFINED_DEADLINE)) => return self.undefined_deadline(cmd),
            Ok(t) => t,
            Err(e) => return e,
        };
        self.write_str(key, val, t, false);
        if t.is_none() {
            // Only 6.0's wrapped-around deadline is past already: the key is gone.
            self.keys.remove(key);
        }
        Reply::ok()
    }

    pub(super) fn getset(&mut self, key: &str, val: &str) -> Reply {
        let old = match self.read_str(key) {
            Ok(v) => v.map(str::to_string),
            Err(e) => return e,
        };
        self.write_str(key, val, None, false);
        old.map(Reply::Bulk).unwrap_or(Reply::Nil)
    }

    pub(super) fn getdel(&mut self, key: &str) -> Reply {
        match self.read_str(key) {
            Ok(Some(v)) => {
                let v = v.to_string();
                self.keys.remove(key);
                self.touch(key);
                Reply::Bulk(v)
            }
            Ok(None) => Reply::Nil,
            Err(e) => e,
        }
    }

    /// INCR, DECR, INCRBY, DECRBY: `by` carries the parsed increment or its parse error.
    pub(super) fn incr_by(&mut self, key: &str, by: Result<i64, Reply>) -> Reply {
        let by = match by {
            Ok(b) => b,
            Err(e) => return e,
        };
        let current = match self.read_str(key) {
            Ok(None) => 0,
            Ok(Some(s)) => match parse_int(s) {
                Ok(n) => n,
                Err(_) => return Reply::err(NOT_INTEGER),
            },
            Err(e) => return e,
        };
        let Some(new) = current.checked_add(by) else {
            return Reply::err("ERR increment or decrement would overflow");
        };
        self.write_str(key, &new.to_string(), None, true);
        Reply::Int(new)
    }
}
