//! Blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH): a connection parks on empty lists; a key
//! that becomes a list while someone waits on it is signalled ready, and after each command
//! (a whole EXEC or script included) the ready keys are served in the order they were
//! signalled, each to its waiters oldest first, so one transaction can serve several waiters
//! on different keys. The timeout is a clock event.
//!
//! Measured on Redis 7.0.15: a waiter is served from the ready key, even when an earlier key of
//! its own holds elements too (`BLPOP a b` gets `b` if `b` became ready first); a key emptied
//! again (or no longer a list) by the time it is served serves nobody; a served BLMOVE pushes
//! at once, which may make its destination ready in turn; a served BLMOVE whose destination
//! holds a string gets WRONGTYPE and pops nothing. Redis 8.0 and Valkey 8.1 walk the ready keys
//! the same way but re-run each waiter's command ([`Profile::served_blpop_reruns_command`]):
//! its keys in its own order, so it may pop another key, get WRONGTYPE, or stay parked.
//!
//! [`Profile::served_blpop_reruns_command`]: crate::profile::Profile::served_blpop_reruns_command

use super::misc::wrongtype;
use super::{ConnId, Context, Outcome, Server};
use crate::profile::Profile;
use crate::reply::Reply;

/// What a parked connection will do when served.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Park {
    /// BLPOP (`left`) or BRPOP: reply `[key, element]`.
    Pop { left: bool },
    /// BLMOVE / BRPOPLPUSH: push the element to `to`, reply the element.
    Move {
        to: String,
        from_left: bool,
        to_left: bool,
    },
}

/// A parked blocking command: its keys in the order given, the absolute deadline (None =
/// forever) and what serving it does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Blocked {
    pub keys: Vec<String>,
    pub deadline: Option<u64>,
    pub park: Park,
}

/// Parses a number as C's `strtold` does for Redis's string2ld: decimal (`1e1`, `1.`, `.5`,
/// `+1`), hexadecimal (`0x10`, `0x1p3`), `inf`/`infinity` in any case; no surrounding spaces.
fn parse_strtold(s: &str) -> Option<f64> {
    if s.is_empty() || s.len() >= 5 * 1024 || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let v = match body.get(..2) {
        Some("0x" | "0X") => parse_hex_float(&body[2..])?,
        _ if body.starts_with(['+', '-']) => return None,
        _ => body.parse::<f64>().ok()?,
    };
    Some(if neg { -v } else { v })
}

/// The part of a hexadecimal float after `0x`: digits, an optional point and digits, an
/// optional binary exponent `p[+-]n`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = match s.find(['p', 'P']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let e: i32 = e.parse().unwrap_or(if e.starts_with('-') {
            -100_000
        } else {
            100_000
        });
        v *= 2f64.powi(e.clamp(-100_000, 100_000));
    }
    Some(v)
}

/// Parses a blocking command's timeout (seconds, decimals allowed) into milliseconds, as
/// Redis 7.0 does: the milliseconds are rounded up (0.0001 s waits 1 ms; -0.0001 s rounds to
/// 0, forever), and a value beyond the i64 range (inf, 1e18) turns negative in C's cast:
/// "timeout is negative". Redis 8.0 and Valkey 8.1 say "timeout is out of range" instead for
/// a value beyond i64 or one that overflows when the clock is added (measured).
fn parse_timeout(s: &str, profile: Profile, now: u64) -> Result<u64, Reply> {
    let not_float = || Reply::err("ERR timeout is not a float or out of range");
    let negative = || Reply::err("ERR timeout is negative");
    let range_checked = profile.timeout_range_checked();
    let out_of_range = || Reply::err("ERR timeout is out of range");
    let check = |ms: i128| -> Result<u64, Reply> {
        if ms > i64::MAX as i128 {
            return Err(if range_checked {
                out_of_range()
            } else {
                negative()
            });
        }
        if ms < 0 {
            return Err(negative());
        }
        if range_checked && ms > 0 && ms > (i64::MAX - super::wall(now)) as i128 {
            return Err(out_of_range());
        }
        Ok(ms as u64)
    };
    // A plain integer is exact in C's long double; f64 would round 9223372036854775 s up to
    // 2^63 ms. Compute it exactly.
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.len() < 30 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n: i128 = s.parse().map_err(|_| not_float())?;
        return check(n * 1000);
    }
    let secs = parse_strtold(s).ok_or_else(not_float)?;
    if secs.is_nan() {
        return Err(not_float());
    }
    let ms = (secs * 1000.0).ceil();
    if ms >= -(i64::MIN as f64) {
        return check(i128::MAX);
    }
    if ms <= -1.0 {
        return Err(negative());
    }
    check(ms.max(0.0) as i128)
}

/// LEFT or RIGHT, as BLMOVE and LMOVE take them.
fn side(s: &str) -> Option<bool> {
    match s.to_ascii_uppercase().as_str() {
        "LEFT" => Some(true),
        "RIGHT" => Some(false),
        _ => None,
    }
}

impl Server {
    /// BLPOP/BRPOP key… timeout, BLMOVE src dst from to timeout, BRPOPLPUSH src dst timeout.
    pub(super) fn blocking(
        &mut self,
        conn: ConnId,
        name: &str,
        a: &[String],
        now: u64,
        ctx: Context,
    ) -> Outcome {
        // Redis 7 refuses the command by its flags before parsing any argument.
        if ctx == Context::Script && self.profile.blocking_in_script_is_error() {
            return Outcome::Reply(Reply::err(self.profile.script_not_allowed()));
        }
        let (keys, park, timeout) = match name {
            "BLPOP" | "BRPOP" => (
                &a[..a.len() - 1],
                Park::Pop {
                    left: name == "BLPOP",
                },
                &a[a.len() - 1],
            ),
            _ => {
                let (from_left, to_left) = if name == "BRPOPLPUSH" {
                    (false, true)
                } else {
                    match (side(&a[2]), side(&a[3])) {
                        (Some(f), Some(t)) => (f, t),
                        _ => return Outcome::Reply(Reply::err("ERR syntax error")),
                    }
                };
                let park = Park::Move {
                    to: a[1].clone(),
                    from_left,
                    to_left,
                };
                (&a[..1], park, &a[a.len() - 1])
            }
        };
        let timeout = match parse_timeout(timeout, self.profile, now) {
            Ok(t) => t,
            Err(e) => return Outcome::Reply(e),
        };
        // Keys are looked at in order: a string before the first non-empty list is
        // WRONGTYPE; one after it is never reached.
        for k in keys {
            if self.holds_non_list(k) {
                return Outcome::Reply(wrongtype());
            }
            if self.holds_list(k) {
                return Outcome::Reply(self.serve_from(k, &park));
            }
        }
        if ctx != Context::Client {
            // Inside MULTI (and in scripts where allowed) a blocking pop does not block.
            return Outcome::Reply(Reply::Nil);
        }
        let deadline = (timeout > 0).then(|| now + timeout);
        self.conn_mut(conn).blocked = Some(Blocked {
            keys: keys.to_vec(),
            deadline,
            park,
        });
        self.waiters.push(conn);
        Outcome::Blocked
    }

    /// Pops one element of the non-empty list `key` for `park` (a move pushes it on, unless its
    /// destination holds another type: WRONGTYPE, nothing popped).
    fn serve_from(&mut self, key: &str, park: &Park) -> Reply {
        match park {
            Park::Pop { left } => {
                let v = self.pop_n(key, 1, *left).pop().expect("a non-empty list");
                Reply::Array(vec![Reply::bulk(key), Reply::Bulk(v)])
            }
            Park::Move {
                to,
                from_left,
                to_left,
            } => {
                if self.holds_non_list(to) {
                    return wrongtype();
                }
                let v = self
                    .pop_n(key, 1, *from_left)
                    .pop()
                    .expect("a non-empty list");
                self.push(to, std::slice::from_ref(&v), *to_left);
                Reply::Bulk(v)
            }
        }
    }

    /// signalKeyAsReady: `key` has just been created as a list; if anyone waits on it, it is
    /// served (in signalling order) once the current command is over.
    pub(crate) fn signal_ready(&mut self, key: &str) {
        let waited_on = self.waiters.iter().any(|c| {
            self.conns[c]
                .blocked
                .as_ref()
                .is_some_and(|b| b.keys.iter().any(|k| k == key))
        });
        if waited_on && !self.ready.iter().any(|k| k == key) {
            self.ready.push(key.to_string());
        }
    }

    /// handleClientsBlockedOnKeys: serves the ready keys in signalling order (keys a served
    /// BLMOVE makes ready join the end of the queue).
    pub(super) fn serve_waiters(&mut self) {
        while !self.ready.is_empty() {
            let key = self.ready.remove(0);
            self.serve_key(&key);
        }
    }

    /// Serves the waiters on `key`, oldest first, while it holds a non-empty list.
    fn serve_key(&mut self, key: &str) {
        let waiting: Vec<ConnId> = self
            .waiters
            .iter()
            .copied()
            .filter(|c| {
                self.conns[c]
                    .blocked
                    .as_ref()
                    .is_some_and(|b| b.keys.iter().any(|k| k == key))
            })
            .collect();
        for conn in waiting {
            if !self.holds_list(key) {
                return;
            }
            let Some(b) = self.conns[&conn].blocked.clone() else {
                continue;
            };
            let reply = if self.profile.served_blpop_reruns_command() {
                match self.rerun(&b) {
                    Some(r) => r,
                    None => continue,
                }
            } else {
                self.serve_from(key, &b.park)
            };
            self.waiters.retain(|c| *c != conn);
            let c = self.conn_mut(conn);
            c.blocked = None;
            c.served = Some(reply);
        }
    }

    /// Redis 8.0 / Valkey 8.1: the parked command runs again; `None` if it would block again.
    fn rerun(&mut self, b: &Blocked) -> Option<Reply> {
        for k in &b.keys {
            if self.holds_non_list(k) {
                return Some(wrongtype());
            }
            if self.holds_list(k) {
                return Some(self.serve_from(k, &b.park));
            }
        }
        None
    }

    pub(super) fn time_out_waiters(&mut self, now: u64) -> Vec<ConnId> {
        let due: Vec<ConnId> = self
            .waiters
            .iter()
            .copied()
            .filter(|c| {
                self.conns[c]
                    .blocked
                    .as_ref()
                    .and_then(|b| b.deadline)
                    .is_some_and(|d| d <= now)
            })
            .collect();
        for conn in &due {
            self.waiters.retain(|c| c != conn);
            let c = self.conn_mut(*conn);
            c.blocked = None;
            c.served = Some(Reply::Nil);
        }
        due
    }
}
