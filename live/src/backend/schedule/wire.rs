//! What goes over the wire and what comes back: the model's command turned into the bytes a
//! live server receives (keys namespaced, time arguments scaled to the tick), and the server's
//! reply turned back into the model's [`Reply`] (key names un-namespaced, TTLs in ticks).

use model::{Command, Reply};
use redis::Value;

/// How to turn a live reply back into what the model would have said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fix {
    /// BLPOP/BRPOP: the reply's first element is a key name that carries the prefix.
    pub strip_popped_key: bool,
    /// The command was sent as PTTL; the reply is real milliseconds to turn into model time.
    pub ttl: Option<TtlUnit>,
    /// Channel names or KEYS/SCAN keys in the reply carry the prefix (`namespace.rs`).
    pub strip: super::namespace::Strip,
}

/// The unit the model's TTL-family command answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TtlUnit {
    /// TTL: seconds of model time, rounded as Redis does (`(ms + 500) / 1000`).
    Seconds,
    /// PTTL: milliseconds of model time.
    Millis,
}

/// A command ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    /// The argument vector the server receives.
    pub args: Vec<String>,
    pub fix: Fix,
}

/// Whether a command carries a time argument that depends on the length of a tick.
pub(crate) fn has_time_argument(cmd: &Command) -> bool {
    matches!(
        cmd.name().as_str(),
        "SETEX" | "PSETEX" | "EXPIRE" | "PEXPIRE" | "TTL" | "PTTL" | "BLPOP" | "BRPOP"
    ) || (cmd.name() == "SET"
        && cmd.args().iter().any(|a| {
            matches!(
                a.to_ascii_uppercase().as_str(),
                "EX" | "PX" | "EXAT" | "PXAT"
            )
        }))
}

/// Builds what the server receives for `cmd`: every key argument prefixed with `prefix`
/// (EVAL's KEYS included; the script text is never changed) and, when a tick is not
/// 1000 ms, every time argument scaled from model seconds to real time. `timed` says whether
/// the run has a clock at all: a script is refused only then (its text cannot be scaled).
pub(crate) fn outgoing(
    cmd: &Command,
    prefix: &str,
    tick_ms: u64,
    timed: bool,
) -> Result<Outgoing, String> {
    let mut args = cmd.0.clone();
    if !prefix.is_empty() {
        for p in cmd.key_positions() {
            args[p] = format!("{prefix}{}", args[p]);
        }
    }
    let name = cmd.name();
    let mut fix = Fix {
        strip_popped_key: matches!(name.as_str(), "BLPOP" | "BRPOP") && !prefix.is_empty(),
        ttl: None,
        strip: super::namespace::outgoing(cmd, &mut args, prefix),
    };
    if tick_ms != 1000 {
        scale_time(&name, &mut args, &mut fix, tick_ms, timed)?;
    }
    Ok(Outgoing { args, fix })
}

/// Model seconds → real milliseconds at `tick_ms` per second.
fn secs_to_real_ms(s: &str, tick_ms: u64) -> Option<String> {
    let n: i64 = model::server::parse_int(s).ok()?;
    Some((n.saturating_mul(tick_ms as i64)).to_string())
}

/// Model milliseconds → real milliseconds, only when exact.
fn ms_to_real_ms(s: &str, tick_ms: u64) -> Result<Option<String>, String> {
    let Ok(n) = model::server::parse_int(s) else {
        return Ok(None);
    };
    let scaled = n as i128 * tick_ms as i128;
    if scaled % 1000 != 0 {
        return Err(format!(
            "{n} ms of model time is not a whole number of real milliseconds at --tick-ms {tick_ms}"
        ));
    }
    Ok(Some(((scaled / 1000) as i64).to_string()))
}

fn scale_time(
    name: &str,
    args: &mut [String],
    fix: &mut Fix,
    tick_ms: u64,
    timed: bool,
) -> Result<(), String> {
    let n = args.len();
    match name {
        "SET" => {
            let mut i = 3;
            while i < n {
                match args[i].to_ascii_uppercase().as_str() {
                    "EX" if i + 1 < n => {
                        if let Some(ms) = secs_to_real_ms(&args[i + 1], tick_ms) {
                            args[i] = "PX".into();
                            args[i + 1] = ms;
                        }
                        i += 1;
                    }
                    "PX" if i + 1 < n => {
                        if let Some(ms) = ms_to_real_ms(&args[i + 1], tick_ms)? {
                            args[i + 1] = ms;
                        }
                        i += 1;
                    }
                    "EXAT" | "PXAT" => {
                        return Err(format!(
                        "SET {} (an absolute time) cannot be replayed with a tick of {tick_ms} ms",
                        args[i]
                    ))
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        "SETEX" if n == 4 => {
            if let Some(ms) = secs_to_real_ms(&args[2], tick_ms) {
                args[0] = "PSETEX".into();
                args[2] = ms;
            }
        }
        "PSETEX" if n == 4 => {
            if let Some(ms) = ms_to_real_ms(&args[2], tick_ms)? {
                args[2] = ms;
            }
        }
        "EXPIRE" if n >= 3 => {
            if let Some(ms) = secs_to_real_ms(&args[2], tick_ms) {
                args[0] = "PEXPIRE".into();
                args[2] = ms;
            }
        }
        "PEXPIRE" if n >= 3 => {
            if let Some(ms) = ms_to_real_ms(&args[2], tick_ms)? {
                args[2] = ms;
            }
        }
        "TTL" => {
            args[0] = "PTTL".into();
            fix.ttl = Some(TtlUnit::Seconds);
        }
        "PTTL" => fix.ttl = Some(TtlUnit::Millis),
        "BLPOP" | "BRPOP" if n >= 3 => {
            if let Ok(secs) = args[n - 1].parse::<f64>() {
                if secs.is_finite() && secs > 0.0 {
                    args[n - 1] = format!("{:.3}", secs * tick_ms as f64 / 1000.0);
                }
            }
        }
        "EVAL" | "EVALSHA" if timed => {
            return Err(format!(
                "{name} cannot be replayed with a tick of {tick_ms} ms: a script may set \
                 expiries in seconds and its text is never rewritten (use --tick-ms 1000)"
            ))
        }
        _ => {}
    }
    Ok(())
}

/// A live reply as the model's RESP2 [`Reply`]: nil bulk and nil array are both `Nil`, bulk
/// strings are read as (lossy) UTF-8, and a server error keeps its full text (`CODE message`).
/// RESP3-only types (never sent to a RESP2 client) map to their nearest RESP2 form.
pub fn reply_from_value(v: Value) -> Reply {
    match v {
        Value::Nil => Reply::Nil,
        Value::Int(i) => Reply::Int(i),
        Value::BulkString(b) => Reply::Bulk(String::from_utf8_lossy(&b).into_owned()),
        Value::Array(items) | Value::Set(items) => {
            Reply::Array(items.into_iter().map(reply_from_value).collect())
        }
        Value::SimpleString(s) => Reply::Status(s),
        Value::Okay => Reply::ok(),
        Value::Map(pairs) => Reply::Array(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [reply_from_value(k), reply_from_value(v)])
                .collect(),
        ),
        Value::Attribute { data, .. } => reply_from_value(*data),
        Value::Double(d) => Reply::Bulk(d.to_string()),
        Value::Boolean(b) => Reply::Int(i64::from(b)),
        Value::VerbatimString { text, .. } => Reply::Bulk(text),
        Value::BigNumber(n) => Reply::Bulk(format!("{n:?}")),
        Value::Push { data, .. } => Reply::Array(data.into_iter().map(reply_from_value).collect()),
        Value::ServerError(e) => Reply::Error(match e.details() {
            Some(d) => format!("{} {d}", e.code()),
            None => e.code().to_string(),
        }),
        #[allow(unreachable_patterns)]
        other => Reply::Error(format!("redis-races: unexpected reply {other:?}")),
    }
}

/// Undoes [`outgoing`]'s namespacing and time scaling on the reply.
pub(crate) fn incoming(reply: Reply, fix: Fix, prefix: &str, tick_ms: u64) -> Reply {
    let reply = super::namespace::incoming(reply, fix.strip, prefix);
    let reply = match (fix.strip_popped_key, reply) {
        (true, Reply::Array(mut items)) if items.len() == 2 => {
            if let Reply::Bulk(k) = &items[0] {
                if let Some(stripped) = k.strip_prefix(prefix) {
                    items[0] = Reply::Bulk(stripped.to_string());
                }
            }
            Reply::Array(items)
        }
        (_, r) => r,
    };
    match (fix.ttl, reply) {
        (Some(unit), Reply::Int(ms)) if ms >= 0 => {
            let t = tick_ms as i64;
            let model_ms = (ms * 1000 + t / 2) / t;
            Reply::Int(match unit {
                TtlUnit::Seconds => (model_ms + 500) / 1000,
                TtlUnit::Millis => model_ms,
            })
        }
        (_, r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::cmd;

    #[test]
    fn prefixes_keys_but_never_script_text() {
        let c = cmd![
            "EVAL",
            "return redis.call('get', KEYS[1])",
            1,
            "lock:res",
            "A"
        ];
        let o = outgoing(&c, "rr:1:", 1000, true).unwrap();
        assert_eq!(o.args[1], "return redis.call('get', KEYS[1])");
        assert_eq!(o.args[3], "rr:1:lock:res");
        assert_eq!(o.args[4], "A");
        let o = outgoing(&cmd!["BLPOP", "a", "b", 0], "p:", 1000, true).unwrap();
        assert_eq!(o.args, ["BLPOP", "p:a", "p:b", "0"]);
        let r = Reply::Array(vec![Reply::bulk("p:b"), Reply::bulk("x")]);
        assert_eq!(
            incoming(r, o.fix, "p:", 1000),
            Reply::Array(vec![Reply::bulk("b"), Reply::bulk("x")])
        );
    }

    #[test]
    fn scales_time_arguments() {
        let o = outgoing(&cmd!["SET", "k", "A", "NX", "EX", 2], "", 250, true).unwrap();
        assert_eq!(o.args, ["SET", "k", "A", "NX", "PX", "500"]);
        let o = outgoing(&cmd!["EXPIRE", "k", 3], "", 250, true).unwrap();
        assert_eq!(o.args, ["PEXPIRE", "k", "750"]);
        let o = outgoing(&cmd!["TTL", "k"], "", 250, true).unwrap();
        assert_eq!(o.args, ["PTTL", "k"]);
        assert_eq!(incoming(Reply::Int(240), o.fix, "", 250), Reply::Int(1));
        assert_eq!(incoming(Reply::Int(-1), o.fix, "", 250), Reply::Int(-1));
        assert!(outgoing(&cmd!["EVAL", "return 1", 0], "", 250, true).is_err());
        assert!(outgoing(&cmd!["EVAL", "return 1", 0], "", 250, false).is_ok());
        // At 1000 ms nothing changes.
        let c = cmd!["SET", "k", "A", "NX", "EX", 2];
        assert_eq!(outgoing(&c, "", 1000, true).unwrap().args, c.0);
    }

    #[test]
    fn maps_values() {
        assert_eq!(reply_from_value(Value::Okay), Reply::ok());
        assert_eq!(
            reply_from_value(Value::BulkString(vec![b'a', 0xff])),
            Reply::bulk("a\u{fffd}")
        );
        assert_eq!(
            reply_from_value(Value::SimpleString("QUEUED".into())),
            Reply::Status("QUEUED".into())
        );
    }
}
