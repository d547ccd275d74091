//! How values and key lists are put in comparable form: the final-keyspace dump of every type
//! (model values and live replies alike), and KEYS/SCAN key lists as sets.

use model::{Profile, Reply};

/// A value as the final-keyspace dump shows it: a list `a,b`, a hash `f=v,g=w` in field
/// order, a sorted set `m:score,…` in score order with the profile's score text (what
/// ZRANGE … WITHSCORES prints), so the live dump, read with those commands, compares as text.
pub(crate) fn dump_value(v: &model::server::Value, profile: Profile) -> String {
    use model::server::Value;
    match v {
        Value::Str(s) => s.clone(),
        Value::List(l) => l.iter().cloned().collect::<Vec<_>>().join(","),
        Value::Hash(h) => h
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        Value::ZSet(z) => z
            .iter()
            .map(|(m, s)| format!("{m}:{}", model::server::double::format_score(s, profile)))
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Pairs `[a, b, c, d]` as `a{sep}b,c{sep}d` (a live HGETALL or ZRANGE … WITHSCORES).
pub(crate) fn join_pairs(items: &[String], sep: char) -> String {
    items
        .chunks(2)
        .map(|p| format!("{}{sep}{}", p[0], p.get(1).map_or("", String::as_str)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A KEYS or SCAN reply with its key list sorted.
pub(crate) fn sorted_keys(r: &Reply) -> Reply {
    match r {
        Reply::Array(items) if items.iter().all(|i| matches!(i, Reply::Bulk(_))) => {
            let mut items = items.clone();
            items.sort();
            Reply::Array(items)
        }
        Reply::Array(items) => Reply::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}
