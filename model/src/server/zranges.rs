//! Sorted-set ranges and stores: ZRANGE (ranks, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES),
//! ZRANGEBYSCORE, ZRANGEBYLEX (the lex walk: `zlex.rs`), ZUNIONSTORE and ZINTERSTORE (WEIGHTS,
//! AGGREGATE).

use super::double::parse_double;
use super::zlex::LexRange;
use super::zsets::{rank_span, Range};
use super::{parse_int, Entry, Server, Value, ZSet, WRONGTYPE};
use crate::reply::Reply;

/// What a range command selects.
enum Select {
    Rank(i64, i64),
    Score(Range),
    Lex(LexRange),
}

/// How a range command reads its range: ZRANGE by its options, ZRANGEBYSCORE and ZRANGEBYLEX
/// by their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum By {
    Rank,
    Score,
    Lex,
}

impl Server {
    /// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
    /// (`named` = `By::Rank`), ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
    /// (`By::Score`) and ZRANGEBYLEX key min max [LIMIT offset count] (`By::Lex`).
    pub(super) fn zrange(&mut self, a: &[String], named: By) -> Reply {
        let syntax = || Reply::err("ERR syntax error");
        let options_first = self.profile.zrange_options_first();
        let zrange_cmd = named == By::Rank;
        let old_zrange = zrange_cmd && !self.profile.zrange_has_options();
        // 6.0 parses the range before the options; 7.0 the options first.
        let mut parsed_range = None;
        if !options_first {
            match self.zrange_select(a, named, false) {
                Ok(s) => parsed_range = Some(s),
                Err(e) => return e,
            }
        }
        let (mut withscores, mut rev, mut by) = (false, false, named);
        let (mut offset, mut limit) = (0i64, -1i64);
        let mut j = 3;
        if old_zrange {
            match &a[3..] {
                [] => {}
                [w] if w.eq_ignore_ascii_case("WITHSCORES") => withscores = true,
                _ => return syntax(),
            }
            j = a.len();
        }
        while j < a.len() {
            let word = a[j].to_ascii_uppercase();
            let left = a.len() - j - 1;
            match word.as_str() {
                // 6.0's ZRANGEBYLEX takes LIMIT only.
                "WITHSCORES" if named == By::Lex && !options_first => return syntax(),
                "WITHSCORES" => withscores = true,
                "LIMIT" if left >= 2 => {
                    match (parse_int(&a[j + 1]), parse_int(&a[j + 2])) {
                        (Ok(o), Ok(l)) => (offset, limit) = (o, l),
                        (Err(e), _) | (_, Err(e)) => return e,
                    }
                    j += 2;
                }
                "REV" if zrange_cmd && !rev => rev = true,
                "BYSCORE" if zrange_cmd && by == By::Rank => by = By::Score,
                "BYLEX" if zrange_cmd && by == By::Rank => by = By::Lex,
                _ => return syntax(),
            }
            j += 1;
        }
        if by == By::Rank && limit != -1 {
            return Reply::err(
                "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            );
        }
        if by == By::Lex && withscores {
            return Reply::err(
                "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
            );
        }
        let select = match parsed_range {
            Some(s) => s,
            None => match self.zrange_select(a, by, rev) {
                Ok(s) => s,
                Err(e) => return e,
            },
        };
        let z = match self.read_zset(&a[0]) {
            Err(e) => return e,
            Ok(None) => return Reply::Array(vec![]),
            Ok(Some(z)) => z,
        };
        let ordered: Vec<(&str, f64)> = if rev {
            z.iter().rev().collect()
        } else {
            z.iter().collect()
        };
        let picked: Vec<(&str, f64)> = match select {
            Select::Rank(start, end) => match rank_span(start, end, ordered.len()) {
                Some((s, e)) => ordered[s..=e].to_vec(),
                None => vec![],
            },
            Select::Score(range) => {
                if offset < 0 {
                    vec![]
                } else {
                    let take = if limit < 0 {
                        usize::MAX
                    } else {
                        limit as usize
                    };
                    ordered
                        .into_iter()
                        .filter(|(_, s)| range.contains(*s))
                        .skip(offset as usize)
                        .take(take)
                        .collect()
                }
            }
            Select::Lex(range) => {
                let members: Vec<&str> = z.iter().map(|(m, _)| m).collect();
                range
                    .pick(&members, rev, offset, limit)
                    .into_iter()
                    .map(|m| (m, z.score(m).unwrap_or_default()))
                    .collect()
            }
        };
        Reply::Array(
            picked
                .into_iter()
                .flat_map(|(m, s)| {
                    let mut v = vec![Reply::bulk(m)];
                    if withscores {
                        v.push(self.score_reply(s));
                    }
                    v
                })
                .collect(),
        )
    }

    /// The range arguments (`a[1]`, `a[2]`); with REV BYSCORE or REV BYLEX they come as max,
    /// min.
    fn zrange_select(&self, a: &[String], by: By, rev: bool) -> Result<Select, Reply> {
        let (min, max) = if rev { (&a[2], &a[1]) } else { (&a[1], &a[2]) };
        match by {
            By::Score => Range::parse(min, max, self.profile).map(Select::Score),
            By::Lex => LexRange::parse(min, max).map(Select::Lex),
            By::Rank => Ok(Select::Rank(parse_int(&a[1])?, parse_int(&a[2])?)),
        }
    }

    /// ZUNIONSTORE / ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...]
    /// [AGGREGATE SUM|MIN|MAX].
    pub(super) fn zstore(&mut self, a: &[String], union: bool) -> Reply {
        let name = if union { "zunionstore" } else { "zinterstore" };
        let n = match parse_int(&a[1]) {
            Ok(n) => n,
            Err(e) => return e,
        };
        if n < 1 {
            return Reply::err(self.profile.zstore_needs_a_key(name));
        }
        let n = n as usize;
        if n > a.len() - 2 {
            return Reply::err("ERR syntax error");
        }
        let mut sources: Vec<Option<ZSet>> = Vec::with_capacity(n);
        for k in &a[2..2 + n] {
            match self.keys.get(k) {
                None => sources.push(None),
                Some(Entry {
                    value: Value::ZSet(z),
                    ..
                }) => sources.push(Some(z.clone())),
                Some(_) => return Reply::err(WRONGTYPE),
            }
        }
        let mut weights = vec![1.0; n];
        let mut aggregate = "SUM".to_string();
        let mut j = 2 + n;
        while j < a.len() {
            let left = a.len() - j;
            let word = a[j].to_ascii_uppercase();
            if word == "WEIGHTS" && left > n {
                for (i, w) in a[j + 1..j + 1 + n].iter().enumerate() {
                    match parse_double(w) {
                        Some(w) => weights[i] = w,
                        None => return Reply::err("ERR weight value is not a float"),
                    }
                }
                j += 1 + n;
            } else if word == "AGGREGATE" && left >= 2 {
                let agg = a[j + 1].to_ascii_uppercase();
                if !matches!(agg.as_str(), "SUM" | "MIN" | "MAX") {
                    return Reply::err("ERR syntax error");
                }
                aggregate = agg;
                j += 2;
            } else {
                return Reply::err("ERR syntax error");
            }
        }
        let combine = |acc: f64, v: f64| match aggregate.as_str() {
            "SUM" => {
                let s = acc + v;
                if s.is_nan() {
                    0.0
                } else {
                    s
                }
            }
            "MIN" => acc.min(v),
            _ => acc.max(v),
        };
        let weighted = |z: &ZSet, i: usize, m: &str| {
            z.score(m).map(|s| {
                let v = s * weights[i];
                if v.is_nan() {
                    0.0
                } else {
                    v
                }
            })
        };
        // Redis walks the inputs from the smallest; ties keep the order given.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| sources[i].as_ref().map_or(0, ZSet::len));
        let mut out = ZSet::default();
        if union {
            for &i in &order {
                let Some(z) = &sources[i] else { continue };
                for (m, _) in z.iter() {
                    let v = weighted(z, i, m).unwrap_or_default();
                    let s = match out.score(m) {
                        Some(acc) => combine(acc, v),
                        None => v,
                    };
                    out.insert(m, s);
                }
            }
        } else if let Some(Some(first)) = order.first().map(|&i| &sources[i]) {
            'members: for (m, _) in first.iter() {
                let mut acc = weighted(first, order[0], m).unwrap_or_default();
                for &i in &order[1..] {
                    match sources[i].as_ref().and_then(|z| weighted(z, i, m)) {
                        Some(v) => acc = combine(acc, v),
                        None => continue 'members,
                    }
                }
                out.insert(m, acc);
            }
        }
        let dst = &a[0];
        if out.is_empty() {
            if self.keys.remove(dst).is_some() {
                self.touch(dst);
            }
            return Reply::Int(0);
        }
        let mut stored = ZSet::default();
        for (m, s) in out.iter() {
            stored.insert(m, self.store_score(s));
        }
        let len = stored.len() as i64;
        self.keys.insert(
            dst.clone(),
            Entry {
                value: Value::ZSet(stored),
                expires_at: None,
            },
        );
        self.touch(dst);
        Reply::Int(len)
    }
}
