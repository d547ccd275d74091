//! A small map kept as one vector sorted by key: the server's connections ([`ConnMap`]) and
//! its keyspace ([`KeyMap`]).
//!
//! A world holds a handful of connections and keys, and the search clones, compares, hashes
//! and drops a world's server for every successor (and scans its keys for due deadlines on
//! every command). A sorted vector does each of those in one pass over one allocation, where
//! a `BTreeMap` allocates, frees and walks nodes. It iterates, compares, orders and hashes
//! exactly as the `BTreeMap` it replaces (ascending keys; the length first, then each
//! `(key, value)` pair), and prints as a map. Lookups are binary searches; an insertion or a
//! removal moves the entries after it (a few, here).
//!
//! Contract: keys are unique and ascending at all times; every method keeps them so.

use super::{ConnId, ConnState, Entry};
use crate::shared::Shared;
use std::borrow::Borrow;
use std::fmt;

/// A map by key, ascending; see the module doc.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VecMap<K, V>(Vec<(K, V)>);

/// The server's connections with state, by id.
pub type ConnMap = VecMap<ConnId, Shared<ConnState>>;

/// The keyspace, by name.
pub type KeyMap = VecMap<String, Entry>;

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Sets `key`'s value, returning the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// `key`'s value, made by `make` first (under `key` made owned) when there is none.
    pub fn get_or_insert_with<Q>(&mut self, key: &Q, make: impl FnOnce() -> V) -> &mut V
    where
        K: Borrow<Q>,
        Q: Ord + ToOwned<Owned = K> + ?Sized,
    {
        let i = match self.position(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_owned(), make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// `key`'s value, inserted as the default when absent.
    pub fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.position(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, V::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Keeps the entries for which `keep` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// Every entry, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + Clone {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Every entry as a slice of `(key, value)`, ascending.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.0
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    /// Every key, ascending, the map consumed.
    pub fn into_keys(self) -> impl Iterator<Item = K> {
        self.0.into_iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// The entries from `lo` on, ascending.
    pub fn from<Q: Ord + ?Sized>(&self, lo: &Q) -> &[(K, V)]
    where
        K: Borrow<Q>,
    {
        let start = self.position(lo).unwrap_or_else(|i| i);
        &self.0[start..]
    }

    /// The highest key and its value.
    pub fn last(&self) -> Option<&(K, V)> {
        self.0.last()
    }

    /// Room for `more` entries beyond those present, allocated at once.
    pub fn reserve(&mut self, more: usize) {
        self.0.reserve_exact(more);
    }

    /// Appends `key`, which must be above every key present (as a decoder adding entries in
    /// order does); panics otherwise, since the order is the type's invariant.
    pub fn push_last(&mut self, key: K, value: V)
    where
        K: fmt::Debug,
    {
        assert!(
            self.0.last().is_none_or(|(k, _)| *k < key),
            "{key:?} pushed out of order"
        );
        self.0.push((key, value));
    }
}

impl<K: Ord + fmt::Display, V> std::ops::Index<&K> for VecMap<K, V> {
    type Output = V;
    /// The value of `key`; panics when there is none (as indexing a map does).
    fn index(&self, key: &K) -> &V {
        self.get(key)
            .unwrap_or_else(|| panic!("{key} is not in the map"))
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// Sorted by key; a later duplicate key replaces an earlier one, as collecting a map does.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut v: Vec<(K, V)> = iter.into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(K, V)> = Vec::with_capacity(v.len());
        for (k, x) in v {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = x,
                _ => out.push((k, x)),
            }
        }
        VecMap(out)
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}
