//! The live keyspace as a model [`Server`] value, so the property is evaluated on what the
//! real server holds.

use super::wire::reply_from_value;
use crate::route::Masters;
use crate::server::scan_prefixed;
use crate::LiveError;
use model::server::{Entry, Server, Value};
use model::Reply;
use redis::ConnectionLike;
use std::collections::VecDeque;
use std::time::Instant;

/// Reads every key of the run (those starting with `prefix`, with the prefix removed) into a
/// model server. A key's deadline comes from PTTL: its real expiry instant (at the latest:
/// PTTL plus the time its reply came back), measured from `started` and counted in ticks of
/// `tick_ms`, rounded down to the tick at which the model expires it. Types the model does not know are reported in `warnings` and left out.
pub(crate) fn read_keyspace(
    masters: &mut Masters,
    prefix: &str,
    started: Instant,
    tick_ms: u64,
    now: u64,
    warnings: &mut Vec<String>,
) -> Result<Server, LiveError> {
    let mut server = Server::default();
    let mut keys = Vec::new();
    for con in masters.all() {
        keys.extend(scan_prefixed(con, prefix, "scanning the live keyspace")?);
    }
    keys.sort();
    for raw in keys {
        let con = masters.for_key(&String::from_utf8_lossy(&raw));
        let Some(name) = raw.strip_prefix(prefix.as_bytes()) else {
            continue;
        };
        let name = String::from_utf8_lossy(name).into_owned();
        let mut pipe = redis::pipe();
        pipe.cmd("TYPE")
            .arg(&raw)
            .cmd("PTTL")
            .arg(&raw)
            .cmd("GET")
            .arg(&raw)
            .cmd("LRANGE")
            .arg(&raw)
            .arg(0)
            .arg(-1)
            .cmd("HGETALL")
            .arg(&raw)
            .cmd("ZRANGE")
            .arg(&raw)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES");
        let values = con
            .req_packed_commands(&pipe.get_packed_pipeline(), 0, 6)
            .map_err(|e| LiveError::redis(format!("reading key {name}"), e))?;
        // Taken once the reply is in, so that `read_at + PTTL` is never before the real
        // deadline (a key whose TTL started exactly at model time 0, a preset, stays on its
        // tick instead of falling to the one before).
        let read_at = started.elapsed().as_millis() as u64;
        let replies: Vec<Reply> = values.into_iter().map(reply_from_value).collect();
        let [kind, pttl, get, lrange, hgetall, zrange] = <[Reply; 6]>::try_from(replies)
            .map_err(|r| protocol(format!("reading key {name}: {} replies, not 6", r.len())))?;
        let value = match kind.as_str() {
            Some("none") => continue,
            Some("string") => match get {
                Reply::Bulk(s) => Value::Str(s),
                other => return Err(protocol(format!("GET {name} answered {other}"))),
            },
            Some("list") => match lrange {
                Reply::Array(items) => Value::List(
                    items
                        .into_iter()
                        .map(|r| match r {
                            Reply::Bulk(s) => s,
                            other => other.to_string(),
                        })
                        .collect::<VecDeque<_>>(),
                ),
                other => return Err(protocol(format!("LRANGE {name} answered {other}"))),
            },
            Some("hash") => match hgetall {
                Reply::Array(items) => {
                    Value::Hash(pairs(items).into_iter().collect::<model::server::Hash>())
                }
                other => return Err(protocol(format!("HGETALL {name} answered {other}"))),
            },
            Some("zset") => match zrange {
                Reply::Array(items) => {
                    let mut z = model::server::ZSet::default();
                    for (m, s) in pairs(items) {
                        let score = model::server::double::parse_double(&s).ok_or_else(|| {
                            protocol(format!("ZRANGE {name} gave the score {s:?}"))
                        })?;
                        z.insert(&m, score);
                    }
                    Value::ZSet(z)
                }
                other => return Err(protocol(format!("ZRANGE {name} answered {other}"))),
            },
            _ => {
                warnings.push(format!(
                    "live key {name} is a {kind}, which the model does not know; left out of the live state"
                ));
                continue;
            }
        };
        let expires_at = match pttl {
            Reply::Int(ms) if ms >= 0 => {
                let real_deadline = read_at + ms as u64;
                // To the nearest tick: the executor sends right after a tick's boundary, and
                // `read_at` (the host's clock) may run a millisecond behind the server's, so
                // rounding down could land a whole tick early (seen with a 86400 s PX set at
                // t=0).
                let deadline = (real_deadline + tick_ms / 2) / tick_ms * 1000;
                if deadline <= now {
                    warnings.push(format!(
                        "live key {name} should already have expired (PTTL {ms} ms at {:.3}s into the run)",
                        read_at as f64 / 1000.0
                    ));
                    Some(now + 1000)
                } else {
                    Some(deadline)
                }
            }
            _ => None,
        };
        server.keys.insert(name, Entry { value, expires_at });
    }
    Ok(server)
}

/// `[a, b, c, d]` as `[(a, b), (c, d)]` (an HGETALL or a ZRANGE … WITHSCORES reply).
fn pairs(items: Vec<Reply>) -> Vec<(String, String)> {
    let text = |r: Reply| match r {
        Reply::Bulk(s) => s,
        other => other.to_string(),
    };
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((text(a), text(b)));
    }
    out
}

fn protocol(reason: String) -> LiveError {
    LiveError::Config {
        reason: format!("unexpected reply while reading the live keyspace: {reason}"),
    }
}
