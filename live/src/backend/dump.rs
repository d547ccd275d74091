//! The live keyspace as a [`Dump`]: every key of every master, in name order, its type, its
//! value read with GET, LRANGE, HGETALL or ZRANGE … WITHSCORES and written as
//! `model::backend::dump_value` writes the model's (so the two compare as text, the scores
//! as the server prints them), and its PTTL (read here for the backend's tick too).

use crate::route::Masters;
use crate::LiveError;
use model::backend::Dump;

/// Reads the whole keyspace of the masters.
pub(super) fn read(masters: &mut Masters) -> Result<Dump, LiveError> {
    let err = |context: &str, e| LiveError::redis(context, e);
    let mut keys = Vec::new();
    let mut names = masters.keys("*")?;
    names.sort();
    for k in names {
        let con = masters.for_key(&k);
        let ty: String = redis::cmd("TYPE")
            .arg(&k)
            .query(&mut *con)
            .map_err(|e| err("TYPE", e))?;
        let v = match ty.as_str() {
            "string" => redis::cmd("GET")
                .arg(&k)
                .query::<Option<String>>(&mut *con)
                .map_err(|e| err("GET", e))?
                .unwrap_or_default(),
            "list" => redis::cmd("LRANGE")
                .arg(&k)
                .arg(0)
                .arg(-1)
                .query::<Vec<String>>(&mut *con)
                .map_err(|e| err("LRANGE", e))?
                .join(","),
            "hash" => join_pairs(
                &redis::cmd("HGETALL")
                    .arg(&k)
                    .query::<Vec<String>>(&mut *con)
                    .map_err(|e| err("HGETALL", e))?,
                '=',
            ),
            "zset" => join_pairs(
                &redis::cmd("ZRANGE")
                    .arg(&k)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query::<Vec<String>>(&mut *con)
                    .map_err(|e| err("ZRANGE", e))?,
                ':',
            ),
            "none" => continue,
            _ => String::new(),
        };
        let ttl = pttl(masters, &k)?;
        keys.push((k, ty, v, ttl));
    }
    Ok(keys)
}

/// Pairs `[a, b, c, d]` as `a{sep}b,c{sep}d` (a live HGETALL or ZRANGE … WITHSCORES).
fn join_pairs(items: &[String], sep: char) -> String {
    items
        .chunks(2)
        .map(|p| format!("{}{sep}{}", p[0], p.get(1).map_or("", String::as_str)))
        .collect::<Vec<_>>()
        .join(",")
}

/// PTTL of `key`, on the master that owns it.
pub(super) fn pttl(masters: &mut Masters, key: &str) -> Result<i64, LiveError> {
    redis::cmd("PTTL")
        .arg(key)
        .query(masters.for_key(key))
        .map_err(|e| LiveError::redis("PTTL", e))
}
