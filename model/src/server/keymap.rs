//! The keyspace: a map from key name to its [`Entry`], kept as one vector sorted by name.
//!
//! A recipe touches a handful of keys, and the search copies a server's keyspace on every
//! write (it is shared between worlds until then), hashes and compares it for every successor
//! and scans it for due deadlines on every command. A sorted vector does each of those in one
//! pass over one allocation, where a `BTreeMap` allocates, frees and walks nodes.
//! It iterates, compares, orders and hashes exactly as the `BTreeMap` it replaces (ascending
//! names; the length first, then each `(name, entry)` pair), and prints as a map. Lookups are
//! binary searches; an insertion or removal moves the entries after it (a few, here).
//!
//! Contract: names are unique and ascending at all times; every method keeps them so.

use super::Entry;
use std::borrow::Borrow;
use std::fmt;

/// Keys by name, ascending; see the module doc.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyMap(Vec<(String, Entry)>);

impl KeyMap {
    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        String: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn new() -> Self {
        KeyMap(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&Entry>
    where
        String: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut Entry>
    where
        String: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Sets `key`'s entry, returning the one it replaces.
    pub fn insert(&mut self, key: String, entry: Entry) -> Option<Entry> {
        match self.position(key.as_str()) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, entry)),
            Err(i) => {
                self.0.insert(i, (key, entry));
                None
            }
        }
    }

    /// `key`'s entry, made by `make` first when there is none.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> Entry) -> &mut Entry {
        let i = match self.position(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_string(), make()));
                i
            }
        };
        &mut self.0[i].1
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<Entry>
    where
        String: Borrow<Q>,
    {
        self.position(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Keeps the keys for which `keep` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Entry) -> bool) {
        self.0.retain_mut(|(k, e)| keep(k, e));
    }

    /// Every key, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Entry)> + Clone {
        self.0.iter().map(|(k, e)| (k, e))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Entry)> {
        self.0.iter_mut().map(|(k, e)| (&*k, e))
    }

    /// Every name, ascending, the map consumed.
    pub fn into_keys(self) -> impl Iterator<Item = String> {
        self.0.into_iter().map(|(k, _)| k)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Entry> {
        self.0.iter().map(|(_, e)| e)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.0.iter_mut().map(|(_, e)| e)
    }
}

impl<'a> IntoIterator for &'a KeyMap {
    type Item = (&'a String, &'a Entry);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Entry)>,
        fn(&'a (String, Entry)) -> (&'a String, &'a Entry),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, e)| (k, e))
    }
}

impl IntoIterator for KeyMap {
    type Item = (String, Entry);
    type IntoIter = std::vec::IntoIter<(String, Entry)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(String, Entry)> for KeyMap {
    /// Sorted by name; a later duplicate name replaces an earlier one, as collecting a map
    /// does.
    fn from_iter<I: IntoIterator<Item = (String, Entry)>>(iter: I) -> Self {
        let mut v: Vec<_> = iter.into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, Entry)> = Vec::with_capacity(v.len());
        for (k, e) in v {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = e,
                _ => out.push((k, e)),
            }
        }
        KeyMap(out)
    }
}

impl Extend<(String, Entry)> for KeyMap {
    fn extend<I: IntoIterator<Item = (String, Entry)>>(&mut self, iter: I) {
        for (k, e) in iter {
            self.insert(k, e);
        }
    }
}

impl fmt::Debug for KeyMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
