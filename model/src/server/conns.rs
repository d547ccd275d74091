//! The server's open connections with state: a map from [`ConnId`] to its [`ConnState`],
//! kept as one vector sorted by id.
//!
//! A world holds a handful of connections (one or two per client) and the search clones,
//! compares, hashes and drops a world's server for every successor; a sorted vector does each
//! of those in one pass over one allocation, where a `BTreeMap` allocates and frees nodes.
//! It iterates, compares, orders and hashes exactly as the `BTreeMap` it replaces (ascending
//! ids; the length first, then each `(id, state)` pair), and prints as a map.
//!
//! Contract: ids are unique and ascending at all times; every method keeps them so.

use super::{ConnId, ConnState};
use crate::shared::Shared;
use std::fmt;

/// Connections by id, ascending; see the module doc.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnMap(Vec<(ConnId, Shared<ConnState>)>);

impl ConnMap {
    fn position(&self, id: &ConnId) -> Result<usize, usize> {
        self.0.binary_search_by(|(c, _)| c.cmp(id))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, id: &ConnId) -> Option<&Shared<ConnState>> {
        self.position(id).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, id: &ConnId) -> Option<&mut Shared<ConnState>> {
        self.position(id).ok().map(|i| &mut self.0[i].1)
    }

    /// The state of `id`, inserted as the default (an idle connection) when absent.
    pub fn get_or_default(&mut self, id: ConnId) -> &mut Shared<ConnState> {
        let i = match self.position(&id) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (id, Shared::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Sets the state of `id`, returning the one it replaces.
    pub fn insert(&mut self, id: ConnId, state: Shared<ConnState>) -> Option<Shared<ConnState>> {
        match self.position(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, state)),
            Err(i) => {
                self.0.insert(i, (id, state));
                None
            }
        }
    }

    pub fn remove(&mut self, id: &ConnId) -> Option<Shared<ConnState>> {
        self.position(id).ok().map(|i| self.0.remove(i).1)
    }

    /// Every connection, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&ConnId, &Shared<ConnState>)> + Clone {
        self.0.iter().map(|(c, s)| (c, s))
    }

    /// Every connection as a slice of `(id, state)`, ascending.
    pub fn as_slice(&self) -> &[(ConnId, Shared<ConnState>)] {
        &self.0
    }

    pub fn keys(&self) -> impl Iterator<Item = &ConnId> {
        self.0.iter().map(|(c, _)| c)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Shared<ConnState>> {
        self.0.iter_mut().map(|(_, s)| s)
    }

    /// The connections from `lo` on, ascending.
    pub fn from(&self, lo: ConnId) -> &[(ConnId, Shared<ConnState>)] {
        let start = self.position(&lo).unwrap_or_else(|i| i);
        &self.0[start..]
    }

    /// The highest id and its state.
    pub fn last(&self) -> Option<&(ConnId, Shared<ConnState>)> {
        self.0.last()
    }

    /// Reserves room for `n` more connections.
    pub fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// Appends `id`, which must be above every id present (as a decoder adding connections
    /// in order does); panics otherwise, since the order is the type's invariant.
    pub fn push_last(&mut self, id: ConnId, state: Shared<ConnState>) {
        assert!(
            self.0.last().is_none_or(|(c, _)| *c < id),
            "connection {id} pushed out of order"
        );
        self.0.push((id, state));
    }
}

impl IntoIterator for ConnMap {
    type Item = (ConnId, Shared<ConnState>);
    type IntoIter = std::vec::IntoIter<(ConnId, Shared<ConnState>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(ConnId, Shared<ConnState>)> for ConnMap {
    /// Sorted by id; a later duplicate id replaces an earlier one, as collecting a map does.
    fn from_iter<I: IntoIterator<Item = (ConnId, Shared<ConnState>)>>(iter: I) -> Self {
        let mut v: Vec<_> = iter.into_iter().collect();
        v.sort_by_key(|(c, _)| *c);
        let mut out: Vec<(ConnId, Shared<ConnState>)> = Vec::with_capacity(v.len());
        for (c, s) in v {
            match out.last_mut() {
                Some(last) if last.0 == c => last.1 = s,
                _ => out.push((c, s)),
            }
        }
        ConnMap(out)
    }
}

impl fmt::Debug for ConnMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&ConnId> for ConnMap {
    type Output = Shared<ConnState>;
    /// The state of `id`; panics when `id` has none (as indexing a map does).
    fn index(&self, id: &ConnId) -> &Shared<ConnState> {
        self.get(id)
            .unwrap_or_else(|| panic!("connection {id} has no state"))
    }
}

impl<'a> IntoIterator for &'a ConnMap {
    type Item = (&'a ConnId, &'a Shared<ConnState>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (ConnId, Shared<ConnState>)>,
        fn(&'a (ConnId, Shared<ConnState>)) -> (&'a ConnId, &'a Shared<ConnState>),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(c, s)| (c, s))
    }
}
