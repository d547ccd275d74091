//! A value shared between worlds until one of them changes it (copy-on-write).
//!
//! The search makes one world per successor, and a step changes one client and a key or two:
//! the rest of the world is the same as its parent's. A [`Shared`] part is cloned by counting
//! a reference, and copied only when a world writes to it while another world still holds it
//! (`DerefMut` is `Arc::make_mut`). Reading goes through `Deref`, so code that reads or writes
//! the part is written as if it held the value itself.
//!
//! A `Shared<T>` is the value for every other purpose: equality and order are `T`'s, with a
//! shortcut when both sides hold the same allocation (equal by reflexivity). `Hash` feeds one
//! `u64`, `T`'s own hash (FxHasher, a fixed function), computed once per allocation and kept
//! beside the value: equal values give equal `u64`s, so `Hash` agrees with `Eq`, and an
//! unchanged part is not hashed again in every world that holds it. Writing through
//! `DerefMut` forgets the kept hash (the allocation is then this world's alone).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// A copy-on-write part of a world; see the module doc.
#[derive(Default)]
pub struct Shared<T>(Arc<Inner<T>>);

/// The value and its hash once computed (0: not yet; a hash of 0 is kept as 1).
#[derive(Default)]
struct Inner<T> {
    value: T,
    hash: AtomicU64,
}

impl<T: Clone> Clone for Inner<T> {
    /// A copy about to be written (`make_mut`): its hash is computed afresh when asked for.
    fn clone(&self) -> Self {
        Inner {
            value: self.value.clone(),
            hash: AtomicU64::new(0),
        }
    }
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Arc::new(Inner {
            value,
            hash: AtomicU64::new(0),
        }))
    }

    /// The allocation's address: it identifies the allocation while the allocation is held.
    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// Whether both hold the same allocation (then they are equal).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        if Arc::strong_count(&self.0) > 1 {
            // Held elsewhere (a read, not `make_mut`'s compare-and-swap, which takes the count's
            // cache line from the other threads of the search even when it fails): copy now.
            // Should the others let go meanwhile, the copy was merely not needed.
            self.0 = Arc::new((*self.0).clone());
        }
        let inner = Arc::make_mut(&mut self.0);
        *inner.hash.get_mut() = 0;
        &mut inner.value
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared::new(value)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Shared::ptr_eq(self, other) || self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: PartialOrd> PartialOrd for Shared<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.0.value.partial_cmp(&other.0.value)
    }
}

impl<T: Ord> Ord for Shared<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        if Shared::ptr_eq(self, other) {
            return Ordering::Equal;
        }
        self.0.value.cmp(&other.0.value)
    }
}

impl<T: Hash> Shared<T> {
    /// `T`'s hash, computed once per allocation (see the module doc). Threads that race to
    /// compute it compute the same number.
    fn kept_hash(&self) -> u64 {
        let kept = self.0.hash.load(AtomicOrdering::Relaxed);
        if kept != 0 {
            return kept;
        }
        let mut h = rustc_hash::FxHasher::default();
        self.0.value.hash(&mut h);
        let h = h.finish().max(1);
        self.0.hash.store(h, AtomicOrdering::Relaxed);
        h
    }
}

impl<T: Hash> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.kept_hash())
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.value.fmt(f)
    }
}

impl<T: serde::Serialize> serde::Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.value.serialize(s)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Shared<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&self.0.value).into_iter()
    }
}

impl<'a, T: Clone> IntoIterator for &'a mut Shared<T>
where
    &'a mut T: IntoIterator,
{
    type Item = <&'a mut T as IntoIterator>::Item;
    type IntoIter = <&'a mut T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&mut **self).into_iter()
    }
}
