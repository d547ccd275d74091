//! Sorted-set commands that add, remove and look up members: ZADD ZINCRBY ZREM ZSCORE ZRANK
//! ZREVRANK ZCARD ZCOUNT ZPOPMIN ZREMRANGEBYSCORE ZREMRANGEBYRANK (ranges and stores are in
//! `zranges.rs`).
//!
//! A small sorted set is a listpack in Redis, which stores each score as text: 7.0 and later
//! store `-0` as `0`, 6.0 keeps `-0` (measured); [`Server::store_score`] does the same.

use super::double::{format_score, parse_bound, parse_double};
use super::{parse_int, Entry, Server, Value, ZSet, WRONGTYPE};
use crate::reply::Reply;

pub(super) const NOT_FLOAT: &str = "ERR value is not a valid float";
pub(super) const BAD_RANGE: &str = "ERR min or max is not a float";
const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";

/// A parsed score range: `(min, min exclusive, max, max exclusive)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Range {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

impl Range {
    pub(super) fn parse(min: &str, max: &str, profile: crate::Profile) -> Result<Range, Reply> {
        match (parse_bound(min, profile), parse_bound(max, profile)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(Range {
                min,
                minex,
                max,
                maxex,
            }),
            _ => Err(Reply::err(BAD_RANGE)),
        }
    }

    pub(super) fn contains(&self, v: f64) -> bool {
        (if self.minex {
            v > self.min
        } else {
            v >= self.min
        }) && (if self.maxex {
            v < self.max
        } else {
            v <= self.max
        })
    }
}

/// ZRANGE-style rank bounds normalized against `len`: the inclusive index range, if any.
pub(super) fn rank_span(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let end = if end < 0 { end + len } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

impl Server {
    pub(super) fn read_zset(&self, key: &str) -> Result<Option<&ZSet>, Reply> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::ZSet(z),
                ..
            }) => Ok(Some(z)),
            Some(_) => Err(Reply::err(WRONGTYPE)),
        }
    }

    /// The sorted set at `key` for writing, created if absent (the caller checked the type).
    pub(super) fn zset_mut(&mut self, key: &str) -> &mut ZSet {
        let e = self.keys.get_or_insert_with(key, || Entry {
            value: Value::ZSet(ZSet::default()),
            expires_at: None,
        });
        match &mut e.value {
            Value::ZSet(z) => z,
            _ => unreachable!("type checked by the caller"),
        }
    }

    /// A score as the listpack keeps it (see the module doc).
    pub(super) fn store_score(&self, d: f64) -> f64 {
        if d == 0.0 && self.profile.listpack_scores_drop_negative_zero() {
            0.0
        } else {
            d
        }
    }

    /// Deletes `key` if its sorted set emptied.
    pub(super) fn drop_if_empty(&mut self, key: &str) {
        if matches!(self.keys.get(key), Some(Entry { value: Value::ZSet(z), .. }) if z.is_empty()) {
            self.keys.remove(key);
        }
    }

    pub(super) fn score_reply(&self, d: f64) -> Reply {
        Reply::Bulk(format_score(d, self.profile))
    }

    /// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
    pub(super) fn zadd(&mut self, a: &[String]) -> Reply {
        let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
            (false, false, false, false, false, false);
        let mut i = 1;
        while i < a.len() {
            match a[i].to_ascii_uppercase().as_str() {
                "NX" => nx = true,
                "XX" => xx = true,
                "CH" => ch = true,
                "INCR" => incr = true,
                "GT" if self.profile.zadd_has_gt_lt() => gt = true,
                "LT" if self.profile.zadd_has_gt_lt() => lt = true,
                _ => break,
            }
            i += 1;
        }
        let pairs = &a[i..];
        if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
            return Reply::err("ERR syntax error");
        }
        if nx && xx {
            return Reply::err("ERR XX and NX options at the same time are not compatible");
        }
        if (gt || lt) && nx || gt && lt {
            return Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible");
        }
        if incr && pairs.len() > 2 {
            return Reply::err("ERR INCR option supports a single increment-element pair");
        }
        let mut scores = Vec::with_capacity(pairs.len() / 2);
        for p in pairs.chunks(2) {
            match parse_double(&p[0]) {
                Some(s) => scores.push((s, p[1].as_str())),
                None => return Reply::err(NOT_FLOAT),
            }
        }
        let exists = match self.read_zset(&a[0]) {
            Err(e) => return e,
            Ok(z) => z.is_some(),
        };
        if !exists && xx {
            return if incr { Reply::Nil } else { Reply::Int(0) };
        }
        let (mut added, mut updated, mut last) = (0, 0, None);
        let mut error = None;
        for (score, member) in scores {
            let current = self
                .read_zset(&a[0])
                .ok()
                .flatten()
                .and_then(|z| z.score(member));
            let new = match current {
                Some(_) if nx => continue,
                None if xx => continue,
                Some(cur) => {
                    let new = if incr { cur + score } else { score };
                    if new.is_nan() {
                        error = Some(Reply::err(NAN_SCORE));
                        break;
                    }
                    if (lt && new >= cur) || (gt && new <= cur) {
                        continue;
                    }
                    if new != cur {
                        updated += 1;
                        let stored = self.store_score(new);
                        self.zset_mut(&a[0]).insert(member, stored);
                    }
                    new
                }
                None => {
                    added += 1;
                    let stored = self.store_score(score);
                    self.zset_mut(&a[0]).insert(member, stored);
                    score
                }
            };
            last = Some(new);
        }
        if added + updated > 0 {
            self.touch(&a[0]);
        }
        if let Some(e) = error {
            return e;
        }
        match (incr, last) {
            (true, Some(s)) => {
                let stored = self.store_score(s);
                self.score_reply(stored)
            }
            (true, None) => Reply::Nil,
            _ => Reply::Int(if ch { added + updated } else { added }),
        }
    }

    /// ZINCRBY key increment member: ZADD INCR with its own float error.
    pub(super) fn zincrby(&mut self, a: &[String]) -> Reply {
        if parse_double(&a[1]).is_none() {
            return Reply::err(NOT_FLOAT);
        }
        self.zadd(&[a[0].clone(), "INCR".into(), a[1].clone(), a[2].clone()])
    }

    pub(super) fn zrem(&mut self, key: &str, members: &[String]) -> Reply {
        match self.read_zset(key) {
            Err(e) => return e,
            Ok(None) => return Reply::Int(0),
            Ok(Some(_)) => {}
        }
        let z = self.zset_mut(key);
        let n = members.iter().filter(|m| z.remove(m)).count();
        self.drop_if_empty(key);
        if n > 0 {
            self.touch(key);
        }
        Reply::Int(n as i64)
    }

    pub(super) fn zscore(&self, key: &str, member: &str) -> Reply {
        match self.read_zset(key) {
            Err(e) => e,
            Ok(z) => match z.and_then(|z| z.score(member)) {
                Some(s) => self.score_reply(s),
                None => Reply::Nil,
            },
        }
    }

    /// ZRANK/ZREVRANK key member [WITHSCORE] (the option since 7.2: its arity is the profile's).
    pub(super) fn zrank(&self, a: &[String], rev: bool) -> Reply {
        let with_score = match a.get(2) {
            None => false,
            Some(o) if o.eq_ignore_ascii_case("WITHSCORE") => true,
            Some(_) => return Reply::err("ERR syntax error"),
        };
        let z = match self.read_zset(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Nil,
            Ok(Some(z)) => z,
        };
        let Some(rank) = z.rank(&a[1]) else {
            return Reply::Nil;
        };
        let rank = if rev { z.len() - 1 - rank } else { rank } as i64;
        if with_score {
            let s = z.score(&a[1]).unwrap_or_default();
            return Reply::Array(vec![Reply::Int(rank), self.score_reply(s)]);
        }
        Reply::Int(rank)
    }

    pub(super) fn zcard(&self, key: &str) -> Reply {
        match self.read_zset(key) {
            Err(e) => e,
            Ok(z) => Reply::Int(z.map_or(0, |z| z.len() as i64)),
        }
    }

    pub(super) fn zcount(&self, key: &str, min: &str, max: &str) -> Reply {
        let range = match Range::parse(min, max, self.profile) {
            Ok(r) => r,
            Err(e) => return e,
        };
        match self.read_zset(key) {
            Err(e) => e,
            Ok(z) => Reply::Int(z.map_or(0, |z| {
                z.iter().filter(|(_, s)| range.contains(*s)).count() as i64
            })),
        }
    }

    /// ZPOPMIN key [count]: a flat [member, score, ...] array in RESP2.
    pub(super) fn zpopmin(&mut self, a: &[String]) -> Reply {
        if a.len() > 2 {
            return Reply::err("ERR syntax error");
        }
        let count = match a.get(1) {
            None => 1,
            Some(c) => match (parse_int(c), self.profile.zpop_count_must_be_positive()) {
                (Ok(n), _) if n > 0 => n as usize,
                (Ok(0), true) => 0,
                // 6.0 answers a count of 0 or less before it looks at the key.
                (Ok(_), false) => return Reply::Array(vec![]),
                (_, true) => return Reply::err("ERR value is out of range, must be positive"),
                (Err(e), false) => return e,
            },
        };
        let popped: Vec<(String, f64)> = match self.read_zset(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Array(vec![]),
            Ok(Some(z)) => z
                .iter()
                .take(count)
                .map(|(m, s)| (m.to_string(), s))
                .collect(),
        };
        let z = self.zset_mut(&a[0]);
        for (m, _) in &popped {
            z.remove(m);
        }
        self.drop_if_empty(&a[0]);
        if !popped.is_empty() {
            self.touch(&a[0]);
        }
        Reply::Array(
            popped
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), self.score_reply(s)])
                .collect(),
        )
    }

    /// ZREMRANGEBYSCORE key min max / ZREMRANGEBYRANK key start stop.
    pub(super) fn zremrange(&mut self, a: &[String], by_score: bool) -> Reply {
        let pick: Box<dyn Fn(usize, f64, usize) -> bool> = if by_score {
            let range = match Range::parse(&a[1], &a[2], self.profile) {
                Ok(r) => r,
                Err(e) => return e,
            };
            Box::new(move |_, s, _| range.contains(s))
        } else {
            let (start, end) = match (parse_int(&a[1]), parse_int(&a[2])) {
                (Ok(s), Ok(e)) => (s, e),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            Box::new(move |i, _, len| {
                rank_span(start, end, len).is_some_and(|(s, e)| s <= i && i <= e)
            })
        };
        let doomed: Vec<String> = match self.read_zset(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Int(0),
            Ok(Some(z)) => z
                .iter()
                .enumerate()
                .filter(|(i, (_, s))| pick(*i, *s, z.len()))
                .map(|(_, (m, _))| m.to_string())
                .collect(),
        };
        let z = self.zset_mut(&a[0]);
        for m in &doomed {
            z.remove(m);
        }
        self.drop_if_empty(&a[0]);
        if !doomed.is_empty() {
            self.touch(&a[0]);
        }
        Reply::Int(doomed.len() as i64)
    }
}
