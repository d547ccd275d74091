//! The sorted-set value: member → score, and the (score, member) order Redis walks.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A score with a total order that is Redis's: by value (`-0 == 0`), never NaN (Redis refuses
/// a NaN score). Equality and hashing follow the order.
#[derive(Clone, Copy, Debug)]
pub struct Score(pub f64);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}
impl std::hash::Hash for Score {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // -0 and 0 are one score here; their bits are kept in `ZSet::scores`.
        (if self.0 == 0.0 { 0.0f64 } else { self.0 })
            .to_bits()
            .hash(state)
    }
}

/// A sorted set. `scores` holds each member's score bit for bit (so `-0` and `0`, which print
/// differently in 6.0, are different states); `order` is the same content sorted as Redis
/// sorts it: by score, ties by member bytes. Both are canonical: equal sets are equal values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZSet {
    scores: BTreeMap<String, Bits>,
    order: BTreeSet<(Score, String)>,
}

/// A score's exact bits, ordered as integers (only for canonical state comparison).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Bits(u64);

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &str) -> Option<f64> {
        self.scores.get(member).map(|b| f64::from_bits(b.0))
    }

    /// Sets `member`'s score (adding it if new). Returns whether it was new.
    pub fn insert(&mut self, member: &str, score: f64) -> bool {
        let old = self.remove(member);
        self.scores
            .insert(member.to_string(), Bits(score.to_bits()));
        self.order.insert((Score(score), member.to_string()));
        !old
    }

    /// Removes `member`; whether it was there.
    pub fn remove(&mut self, member: &str) -> bool {
        match self.scores.remove(member) {
            Some(b) => {
                self.order
                    .remove(&(Score(f64::from_bits(b.0)), member.to_string()));
                true
            }
            None => false,
        }
    }

    /// Members with their scores, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, f64)> + ExactSizeIterator {
        self.order
            .iter()
            .map(|(s, m)| (m.as_str(), self.score(m).unwrap_or(s.0)))
    }

    /// 0-based rank of `member`, lowest score first.
    pub fn rank(&self, member: &str) -> Option<usize> {
        let s = self.score(member)?;
        Some(self.order.range(..(Score(s), member.to_string())).count())
    }

    /// The set with every member renamed by `f` (scores kept).
    pub fn renamed(&self, f: &dyn Fn(&String) -> String) -> ZSet {
        let mut out = ZSet::default();
        for (m, s) in self.iter() {
            out.insert(&f(&m.to_string()), s);
        }
        out
    }

    /// `{a: 1, b: 2.5}` in Redis's order, scores as 7.0 prints them.
    pub fn describe(&self) -> String {
        let items: Vec<String> = self
            .iter()
            .map(|(m, s)| format!("{m:?}: {}", crate::scripting::format_g17(s)))
            .collect();
        format!("{{{}}}", items.join(", "))
    }
}
