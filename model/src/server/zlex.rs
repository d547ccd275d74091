//! Lexicographic ranges of a sorted set: `ZRANGE … BYLEX` and `ZRANGEBYLEX`, as Redis walks a
//! small (listpack-encoded, up to 128 members) sorted set, which is every set the model meets
//! in conformance. Members compare bytewise (memcmp, then length).
//!
//! 1. Each end is `-` (below everything), `+` (above everything), `[x` (inclusive) or `(x`
//!    (exclusive); anything else: `ERR min or max not valid string range item`.
//! 2. The range is empty when min is above max, or equal to it with either end exclusive.
//! 3. Redis checks the set's last member against min and its first against max before
//!    walking; either failing gives nothing.
//! 4. Forward: the first member (in score order) at or above min starts the range, provided it
//!    is also at or below max; then `offset` members are skipped unchecked (a negative offset
//!    skips them all), and members are taken while they are at or below max, up to `limit`
//!    (negative: no limit). Reverse (REV, the ends given as max then min): the last member at
//!    or below max starts it, provided it is at or above min, and members are taken walking
//!    down while they are at or above min.
//!
//! With members of different scores the walk keeps score order and stops at the first member
//! past the far end, exactly as the listpack walk does (Redis documents the result as
//! unspecified then).

use crate::reply::Reply;

/// One end of a lex range (rule 1).
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    /// `-`
    Min,
    /// `+`
    Max,
    /// `[x` (`true`) or `(x` (`false`).
    At(String, bool),
}

/// Which end a member is tested against.
type Test = fn(&LexRange, &str) -> bool;

/// A parsed lex range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LexRange {
    min: End,
    max: End,
}

fn parse_end(s: &str) -> Option<End> {
    match s.as_bytes().first()? {
        b'-' if s.len() == 1 => Some(End::Min),
        b'+' if s.len() == 1 => Some(End::Max),
        b'[' => Some(End::At(s[1..].to_string(), true)),
        b'(' => Some(End::At(s[1..].to_string(), false)),
        _ => None,
    }
}

/// Redis's sdscmplex: `-` below and `+` above every string, each equal to itself.
fn cmp(a: &End, b: &End) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (End::Min, End::Min) | (End::Max, End::Max) => Equal,
        (End::Min, _) | (_, End::Max) => Less,
        (End::Max, _) | (_, End::Min) => Greater,
        (End::At(x, _), End::At(y, _)) => x.as_bytes().cmp(y.as_bytes()),
    }
}

fn exclusive(e: &End) -> bool {
    !matches!(e, End::At(_, true))
}

impl LexRange {
    /// Rule 1.
    pub(super) fn parse(min: &str, max: &str) -> Result<LexRange, Reply> {
        match (parse_end(min), parse_end(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(Reply::err("ERR min or max not valid string range item")),
        }
    }

    fn at_or_above_min(&self, m: &str) -> bool {
        let c = cmp(&End::At(m.to_string(), true), &self.min);
        c.is_gt() || (c.is_eq() && !exclusive(&self.min))
    }

    fn at_or_below_max(&self, m: &str) -> bool {
        let c = cmp(&End::At(m.to_string(), true), &self.max);
        c.is_lt() || (c.is_eq() && !exclusive(&self.max))
    }

    /// Rules 2 to 4 over `members` in score order.
    pub(super) fn pick<'a>(
        &self,
        members: &[&'a str],
        rev: bool,
        offset: i64,
        limit: i64,
    ) -> Vec<&'a str> {
        let c = cmp(&self.min, &self.max);
        let empty_range =
            c.is_gt() || (c.is_eq() && (exclusive(&self.min) || exclusive(&self.max)));
        let (Some(first), Some(last)) = (members.first(), members.last()) else {
            return vec![];
        };
        if empty_range || !self.at_or_above_min(last) || !self.at_or_below_max(first) || offset < 0
        {
            return vec![];
        }
        let (order, start_ok, in_range): (Vec<&str>, Test, Test) = if rev {
            (
                members.iter().rev().copied().collect(),
                Self::at_or_below_max,
                Self::at_or_above_min,
            )
        } else {
            (
                members.to_vec(),
                Self::at_or_above_min,
                Self::at_or_below_max,
            )
        };
        let Some(start) = order.iter().position(|m| start_ok(self, m)) else {
            return vec![];
        };
        if !in_range(self, order[start]) {
            return vec![];
        }
        let take = usize::try_from(limit).unwrap_or(usize::MAX);
        order[start..]
            .iter()
            .skip(offset as usize)
            .take_while(|m| in_range(self, m))
            .take(take)
            .copied()
            .collect()
    }
}
