//! A server somebody else runs (`REDIS_URL`). The suite must leave it as it
//! found it: one database of its own (9 unless told otherwise), refused if not
//! empty (unless FLUSHDB of that one database is explicitly allowed), keys
//! namespaced by a per-run prefix, and only those keys deleted afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use redis::IntoConnectionInfo;

use super::{
    server_version, wait_for_ping, with_db, Backend, LiveServer, SafetyOptions,
    DEFAULT_EXTERNAL_DB, EXTERNAL_READY_TIMEOUT,
};
use crate::LiveError;

/// What the handle remembers about an external server.
pub(super) struct External {
    /// The URL with any password replaced by `***`, safe to print.
    pub(super) redacted_url: String,
}

/// Checks that `url` is a Redis URL the client understands.
pub(super) fn validate_url(url: &str) -> Result<redis::ConnectionInfo, LiveError> {
    url.into_connection_info().map_err(|e| LiveError::Config {
        reason: format!(
            "'{}' is not a usable Redis URL ({}): expected e.g. redis://127.0.0.1:6379 or redis://:password@host:6379/9",
            redact(url),
            crate::error::one_line(&e.to_string())
        ),
    })
}

pub(super) fn start(url: &str, opts: &SafetyOptions) -> Result<LiveServer, LiveError> {
    let base = validate_url(url)?;
    let redacted_url = redact(url);
    let db = opts
        .db
        .or_else(|| url_db(url))
        .unwrap_or(DEFAULT_EXTERNAL_DB);
    let info = with_db(base, db);
    let what = format!("external server {redacted_url} (db {db})");
    let mut con = wait_for_ping(&info, EXTERNAL_READY_TIMEOUT, &what, || Ok(()))?;

    let keys = dbsize(&mut con, db)?;
    if keys > 0 {
        if !opts.allow_flush {
            return Err(LiveError::DbNotEmpty {
                url: redacted_url,
                db,
                keys,
            });
        }
        eprintln!(
            "redis-races: FLUSHDB of database {db} on {redacted_url} ({keys} keys; allowed by REDIS_RACES_ALLOW_FLUSH=1); other databases untouched"
        );
        // The connection already selected `db`; select it again right before
        // the destructive command so nothing in between can have moved us.
        redis::cmd("SELECT")
            .arg(db)
            .exec(&mut con)
            .map_err(|e| LiveError::redis(format!("selecting db {db}"), e))?;
        redis::cmd("FLUSHDB")
            .exec(&mut con)
            .map_err(|e| LiveError::redis(format!("FLUSHDB of db {db}"), e))?;
    }

    let (product, version) = server_version(&mut con)?;
    Ok(LiveServer {
        backend: Backend::External(External { redacted_url }),
        info,
        db,
        key_prefix: new_prefix(),
        version,
        product,
    })
}

fn dbsize(con: &mut redis::Connection, db: i64) -> Result<u64, LiveError> {
    redis::cmd("DBSIZE")
        .query(con)
        .map_err(|e| LiveError::redis(format!("reading DBSIZE of db {db}"), e))
}

/// A namespace no other run can share: `rr:<pid>-<nanos>:`, with the
/// nanoseconds forced to increase within this process.
fn new_prefix() -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(0);
    let nanos = now.max(prev + 1);
    format!("rr:{}-{nanos}:", std::process::id())
}

/// Deletes every key starting with `prefix` in the connection's database
/// (SCAN MATCH + UNLINK), repeating until a full pass finds none, so keys
/// written concurrently with a pass are not left behind.
pub(super) fn delete_prefixed(con: &mut redis::Connection, prefix: &str) -> Result<(), LiveError> {
    assert!(!prefix.is_empty(), "an empty prefix would match every key");
    for _pass in 0..10 {
        let keys = scan_prefixed(con, prefix, &format!("scanning keys {prefix}*"))?;
        if keys.is_empty() {
            break;
        }
        unlink(con, &keys)?;
    }
    Ok(())
}

/// Every key of the connection's database that starts with `prefix` (every key when it is
/// empty), sorted, from one full SCAN MATCH pass; `what` names the scan in an error. The glob
/// alone is never trusted (deletions rely on this): each key is checked against the prefix.
pub(crate) fn scan_prefixed(
    con: &mut redis::Connection,
    prefix: &str,
    what: &str,
) -> Result<Vec<Vec<u8>>, LiveError> {
    let pattern = format!("{}*", glob_escape(prefix));
    let mut cursor: u64 = 0;
    let mut keys = Vec::new();
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query(con)
            .map_err(|e| LiveError::redis(what, e))?;
        keys.extend(
            batch
                .into_iter()
                .filter(|k| k.starts_with(prefix.as_bytes())),
        );
        if next == 0 {
            break;
        }
        cursor = next;
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}

fn unlink(con: &mut redis::Connection, keys: &[Vec<u8>]) -> Result<(), LiveError> {
    match redis::cmd("UNLINK").arg(keys).exec(con) {
        Ok(()) => Ok(()),
        // Redis < 4.0 has no UNLINK.
        Err(e)
            if e.to_string()
                .to_ascii_lowercase()
                .contains("unknown command") =>
        {
            redis::cmd("DEL")
                .arg(keys)
                .exec(con)
                .map_err(|e| LiveError::redis("deleting the run's keys", e))
        }
        Err(e) => Err(LiveError::redis("deleting the run's keys", e)),
    }
}

/// Escapes Redis glob metacharacters so the prefix matches literally (the one place the
/// suite writes a pattern from a prefix: here and in the executor's namespace).
pub(crate) fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The database named in the URL itself (`redis://h/3`, `redis+unix:///s?db=3`), if any.
fn url_db(url: &str) -> Option<i64> {
    let parsed = redis::parse_redis_url(url)?;
    let from_path = parsed.path().trim_matches('/');
    if matches!(parsed.scheme(), "redis" | "rediss") && !from_path.is_empty() {
        return from_path.parse().ok();
    }
    parsed
        .query_pairs()
        .find(|(k, _)| k == "db")
        .and_then(|(_, v)| v.parse().ok())
}

/// The URL with its password (if any) replaced by `***`.
pub(super) fn redact(url: &str) -> String {
    match redis::parse_redis_url(url) {
        Some(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Some(parsed) => parsed.to_string(),
        None => "<unparsable URL>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_literal() {
        let a = new_prefix();
        let b = new_prefix();
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("rr:{}-", std::process::id())), "{a}");
        assert!(a.ends_with(':'));
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }

    #[test]
    fn db_from_url() {
        assert_eq!(url_db("redis://127.0.0.1:6379"), None);
        assert_eq!(url_db("redis://127.0.0.1:6379/"), None);
        assert_eq!(url_db("redis://127.0.0.1:6379/3"), Some(3));
        assert_eq!(url_db("redis+unix:///tmp/r.sock?db=4"), Some(4));
    }

    #[test]
    fn passwords_never_printed() {
        let r = redact("redis://user:s3cret@127.0.0.1:6379/2");
        assert!(!r.contains("s3cret") && r.contains("***"), "{r}");
        let msg = validate_url("redis://:s3cret@[bad")
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("s3cret"), "{msg}");
    }
}
