//! BLPOP: a connection parks on empty lists; a push serves the oldest waiter; the timeout is
//! a clock event.

use super::{ConnId, Context, Outcome, Server, Value};
use crate::reply::Reply;

/// A parked BLPOP: the keys in the order given and the absolute deadline (None = forever).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Blocked {
    pub keys: Vec<String>,
    pub deadline: Option<u64>,
}

/// Parses BLPOP's timeout (seconds, decimals allowed) into milliseconds, as Redis 7.0 does:
/// the milliseconds are rounded up (0.0001 s waits 1 ms; -0.0001 s rounds to 0, forever), and
/// a value beyond the i64 range (inf, 1e18) turns negative in C's cast: "timeout is negative".
fn parse_timeout(s: &str) -> Result<u64, Reply> {
    let not_float = || Reply::err("ERR timeout is not a float or out of range");
    let secs: f64 = s.parse().map_err(|_| not_float())?;
    if secs.is_nan() {
        return Err(not_float());
    }
    let ms = (secs * 1000.0).ceil();
    if !(ms > -1.0 && ms < -(i64::MIN as f64)) {
        return Err(Reply::err("ERR timeout is negative"));
    }
    Ok(ms as u64)
}

impl Server {
    /// The first of `keys` holding a non-empty list, and its popped head.
    fn pop_first_ready(&mut self, keys: &[String]) -> Option<Reply> {
        if self.profile.served_blpop_reruns_command() {
            let ready = keys.iter().any(|k| {
                matches!(self.keys.get(k).map(|e| &e.value), Some(Value::List(l)) if !l.is_empty())
            });
            if !ready {
                return None;
            }
            for k in keys {
                match self.keys.get(k).map(|e| &e.value) {
                    Some(Value::List(l)) if !l.is_empty() => {
                        let v = self.pop_n(k, 1, true).pop()?;
                        return Some(Reply::Array(vec![Reply::bulk(k.clone()), Reply::Bulk(v)]));
                    }
                    Some(Value::List(_)) | None => {}
                    Some(_) => return Some(Reply::err(super::WRONGTYPE)),
                }
            }
            return None;
        }
        for k in keys {
            if matches!(self.keys.get(k).map(|e| &e.value), Some(Value::List(l)) if !l.is_empty()) {
                let v = self.pop_n(k, 1, true).pop()?;
                return Some(Reply::Array(vec![Reply::bulk(k.clone()), Reply::Bulk(v)]));
            }
        }
        None
    }

    pub(super) fn blpop(&mut self, conn: ConnId, a: &[String], now: u64, ctx: Context) -> Outcome {
        // Redis 7 refuses the command by its flags before parsing any argument.
        if ctx == Context::Script && self.profile.blocking_in_script_is_error() {
            return Outcome::Reply(Reply::err(self.profile.script_not_allowed()));
        }
        let (keys, timeout) = a.split_at(a.len() - 1);
        let timeout = match parse_timeout(&timeout[0]) {
            Ok(t) => t,
            Err(e) => return Outcome::Reply(e),
        };
        // Keys are looked at in order: a string before the first non-empty list is
        // WRONGTYPE; one after it is never reached.
        for (i, k) in keys.iter().enumerate() {
            if let Err(e) = self.read_str_or_list(k) {
                return Outcome::Reply(e);
            }
            if let Some(r) = self.pop_first_ready(&keys[i..=i]) {
                return Outcome::Reply(r);
            }
        }
        if ctx != Context::Client {
            // Inside MULTI (and in 6.0 scripts) a blocking pop does not block.
            return Outcome::Reply(Reply::Nil);
        }
        let deadline = (timeout > 0).then(|| now + timeout);
        self.conn_mut(conn).blocked = Some(Blocked {
            keys: keys.to_vec(),
            deadline,
        });
        self.waiters.push(conn);
        Outcome::Blocked
    }

    /// WRONGTYPE for a key holding something other than a list.
    fn read_str_or_list(&self, key: &str) -> Result<(), Reply> {
        match self.keys.get(key).map(|e| &e.value) {
            Some(Value::List(_)) | None => Ok(()),
            Some(_) => Err(Reply::err(super::WRONGTYPE)),
        }
    }

    /// Serves parked connections, oldest first, from lists that now have elements.
    pub(super) fn serve_waiters(&mut self) {
        let mut i = 0;
        while i < self.waiters.len() {
            let conn = self.waiters[i];
            let keys = self.conns[&conn]
                .blocked
                .as_ref()
                .map(|b| b.keys.clone())
                .unwrap_or_default();
            if let Some(r) = self.pop_first_ready(&keys) {
                self.waiters.remove(i);
                let c = self.conn_mut(conn);
                c.blocked = None;
                c.served = Some(r);
            } else {
                i += 1;
            }
        }
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
