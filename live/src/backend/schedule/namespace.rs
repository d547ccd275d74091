//! The run's namespace beyond key arguments: channel names and KEYS/SCAN patterns.
//!
//! On a server that is not ours (`REDIS_URL`) every name the run uses carries its prefix, so
//! the run never sees, matches or touches anyone else's:
//! 1. SUBSCRIBE, UNSUBSCRIBE and PUBLISH channels are prefixed like keys; a message's channel
//!    and a (un)subscription confirmation's come back without it.
//! 2. KEYS pattern and SCAN … MATCH pattern are prefixed (the prefix's own glob characters
//!    escaped), so only the run's keys match; a SCAN without MATCH gets `MATCH <prefix>*`.
//!    The keys in the reply come back without the prefix, in sorted order: the order KEYS
//!    and SCAN return is the hash table's, which Redis leaves unspecified, and the model
//!    lists keys sorted.
//!
//! A script's text is never rewritten, so a script that walks the keyspace itself (KEYS
//! inside EVAL) would reach other people's keys: [`script_walks_keyspace`] lets the executor
//! refuse it on a prefixed server.

use crate::server::glob_escape;
use model::{Command, Reply};

/// What the reply of a namespaced command needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Strip {
    #[default]
    Nothing,
    /// A (un)subscription confirmation or message: `[kind, channel, …]`.
    Channel,
    /// KEYS: an array of keys.
    Keys,
    /// SCAN: `[cursor, [keys]]`.
    ScanKeys,
}

/// Prefixes the channels and patterns of `cmd` in `args` (already key-prefixed); says what
/// to strip from the reply.
pub(crate) fn outgoing(cmd: &Command, args: &mut Vec<String>, prefix: &str) -> Strip {
    if prefix.is_empty() {
        return Strip::Nothing;
    }
    let n = args.len();
    match cmd.name().as_str() {
        "SUBSCRIBE" | "UNSUBSCRIBE" => {
            for a in &mut args[1..] {
                *a = format!("{prefix}{a}");
            }
            Strip::Channel
        }
        "PUBLISH" if n >= 2 => {
            args[1] = format!("{prefix}{}", args[1]);
            Strip::Nothing
        }
        "KEYS" if n == 2 => {
            args[1] = format!("{}{}", glob_escape(prefix), args[1]);
            Strip::Keys
        }
        "SCAN" if n >= 2 => {
            let mut i = 2;
            let mut matched = false;
            while i + 1 < n {
                if args[i].eq_ignore_ascii_case("MATCH") {
                    args[i + 1] = format!("{}{}", glob_escape(prefix), args[i + 1]);
                    matched = true;
                }
                i += 2;
            }
            if !matched {
                args.push("MATCH".into());
                args.push(format!("{}*", glob_escape(prefix)));
            }
            Strip::ScanKeys
        }
        _ => Strip::Nothing,
    }
}

fn unprefixed_keys(items: Vec<Reply>, prefix: &str) -> Vec<Reply> {
    let mut keys: Vec<String> = items
        .into_iter()
        .filter_map(|r| match r {
            Reply::Bulk(k) => k.strip_prefix(prefix).map(str::to_string),
            _ => None,
        })
        .collect();
    keys.sort();
    keys.into_iter().map(Reply::Bulk).collect()
}

/// Undoes [`outgoing`] on the reply.
pub(crate) fn incoming(reply: Reply, strip: Strip, prefix: &str) -> Reply {
    match (strip, reply) {
        (Strip::Channel, r) => strip_channel(r, prefix),
        (Strip::Keys, Reply::Array(items)) => Reply::Array(unprefixed_keys(items, prefix)),
        (Strip::ScanKeys, Reply::Array(mut parts)) if parts.len() == 2 => {
            if let Reply::Array(items) = parts.pop().expect("two parts") {
                parts.push(Reply::Array(unprefixed_keys(items, prefix)));
            }
            Reply::Array(parts)
        }
        (_, r) => r,
    }
}

/// A pushed message or confirmation `[kind, channel, …]` with the channel un-namespaced.
pub(crate) fn strip_channel(reply: Reply, prefix: &str) -> Reply {
    match reply {
        Reply::Array(mut a) if a.len() == 3 && !prefix.is_empty() => {
            if let Reply::Bulk(ch) = &a[1] {
                if let Some(s) = ch.strip_prefix(prefix) {
                    a[1] = Reply::Bulk(s.to_string());
                }
            }
            Reply::Array(a)
        }
        r => r,
    }
}

/// Whether `cmd` runs a script whose text calls KEYS or SCAN (any case): it would walk the
/// whole keyspace, other people's keys included, and its text cannot be namespaced.
pub(crate) fn script_walks_keyspace(cmd: &Command) -> bool {
    if !matches!(cmd.name().as_str(), "EVAL" | "EVAL_RO") || cmd.0.len() < 2 {
        return false;
    }
    let text = cmd.0[1].to_ascii_lowercase().replace(['"', ' '], "'");
    text.contains("call('keys'") || text.contains("call('scan'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::cmd;

    #[test]
    fn namespaces_patterns_and_channels() {
        let c = cmd!["KEYS", "lock:*"];
        let mut args = c.0.clone();
        let s = outgoing(&c, &mut args, "rr:1-a:");
        assert_eq!(args, ["KEYS", "rr:1-a:lock:*"]);
        let r = Reply::Array(vec![
            Reply::bulk("rr:1-a:lock:b"),
            Reply::bulk("rr:1-a:lock:a"),
        ]);
        assert_eq!(
            incoming(r, s, "rr:1-a:"),
            Reply::Array(vec![Reply::bulk("lock:a"), Reply::bulk("lock:b")])
        );
        let c = cmd!["SCAN", 0, "COUNT", 100];
        let mut args = c.0.clone();
        assert_eq!(outgoing(&c, &mut args, "p*:"), Strip::ScanKeys);
        assert_eq!(args, ["SCAN", "0", "COUNT", "100", "MATCH", "p\\*:*"]);
        let c = cmd!["SUBSCRIBE", "ch"];
        let mut args = c.0.clone();
        let s = outgoing(&c, &mut args, "p:");
        assert_eq!(args, ["SUBSCRIBE", "p:ch"]);
        let r = Reply::Array(vec![
            Reply::bulk("subscribe"),
            Reply::bulk("p:ch"),
            Reply::Int(1),
        ]);
        assert_eq!(
            incoming(r, s, "p:"),
            Reply::Array(vec![
                Reply::bulk("subscribe"),
                Reply::bulk("ch"),
                Reply::Int(1)
            ])
        );
        // Without a prefix nothing changes.
        let c = cmd!["KEYS", "*"];
        let mut args = c.0.clone();
        assert_eq!(outgoing(&c, &mut args, ""), Strip::Nothing);
        assert_eq!(args, c.0);
    }

    #[test]
    fn spots_scripts_that_walk_the_keyspace() {
        assert!(script_walks_keyspace(&cmd![
            "EVAL",
            "local l = redis.call('KEYS', 'lock:*')",
            0
        ]));
        assert!(script_walks_keyspace(&cmd![
            "EVAL",
            "redis.call(\"scan\", 0)",
            0
        ]));
        assert!(!script_walks_keyspace(&cmd![
            "EVAL",
            "return redis.call('GET', KEYS[1])",
            1,
            "k"
        ]));
    }
}
