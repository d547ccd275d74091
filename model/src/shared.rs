//! A value shared between worlds until one of them changes it (copy-on-write).
//!
//! The search makes one world per successor, and a step changes one client and a key or two:
//! the rest of the world is the same as its parent's. A [`Shared`] part is cloned by counting
//! a reference, and copied only when a world writes to it while another world still holds it
//! (`DerefMut` copies unless the allocation is this world's alone). The search's store hands
//! out *borrowed* copies of the parts it keeps, which count no reference at all
//! ([`Shared::borrowed`]). Reading goes through `Deref`, so code that reads or writes
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
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// A copy-on-write part of a world; see the module doc.
///
/// It is an `Arc<Inner<T>>` held as a raw pointer, so that one bit of it can say *borrowed*:
/// a borrowed copy ([`Shared::borrowed`]) counts no reference, so cloning and dropping it
/// touch no memory at all. The search's store hands out borrowed copies of the parts it keeps
/// (`store/parts.rs`): the worlds decoded from it, their successors and the successors' clones
/// then cost no reference counting for the parts a step leaves alone, and two threads that
/// decode the same part do not take turns owning the cache line of its count.
pub struct Shared<T> {
    /// `Arc::into_raw` of the allocation; the low bit ([`BORROWED`]) is set in a borrowed copy
    /// (an `Inner` is aligned to 8, so the bit is free).
    ptr: *const Inner<T>,
    _owns: PhantomData<Arc<Inner<T>>>,
}

/// The tag of a borrowed copy, in the pointer's low bit.
const BORROWED: usize = 1;

// SAFETY: a `Shared<T>` is an `Arc<Inner<T>>` (or a borrowed alias of one, see
// [`Shared::borrowed`]): it may cross and be shared between threads exactly when the `Arc`
// may, which is when `T` is `Send + Sync` (`Inner`'s hash is an atomic).
unsafe impl<T: Send + Sync> Send for Shared<T> {}
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

/// The value and its hash once computed (0: not yet; a hash of 0 is kept as 1).
struct Inner<T> {
    value: T,
    hash: AtomicU64,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        let inner = Arc::new(Inner {
            value,
            hash: AtomicU64::new(0),
        });
        Shared {
            ptr: Arc::into_raw(inner),
            _owns: PhantomData,
        }
    }

    #[inline]
    fn is_borrowed(&self) -> bool {
        self.ptr.addr() & BORROWED != 0
    }

    /// The allocation, untagged.
    #[inline]
    fn raw(&self) -> *const Inner<T> {
        self.ptr.map_addr(|a| a & !BORROWED)
    }

    #[inline]
    fn inner(&self) -> &Inner<T> {
        // SAFETY: a counted `Shared` keeps its allocation alive; a borrowed one is only made
        // for an allocation that outlives it (the contract of `borrowed`).
        unsafe { &*self.raw() }
    }

    /// A copy that counts no reference: cloning and dropping it (and its clones) cost
    /// nothing, and it compares, hashes and reads as the value. Writing through it copies
    /// the value first, as for any shared part.
    ///
    /// # Safety
    /// The allocation must stay alive, and unwritten, for as long as the copy or any clone
    /// of it exists: some counted `Shared` of it must be kept, and never written through,
    /// until then (the search's store keeps one per part until the search ends).
    #[inline]
    pub unsafe fn borrowed(&self) -> Self {
        Shared {
            ptr: self.raw().map_addr(|a| a | BORROWED),
            _owns: PhantomData,
        }
    }

    /// A counted reference to the same allocation, whether `self` is counted or borrowed: what
    /// a store that may outlive the lender keeps (the memo keeps trails so).
    pub fn counted(&self) -> Self {
        // SAFETY: the allocation is alive while `self` is (counted, or borrowed under the
        // contract of `borrowed`); this adds one count, released when the copy is dropped.
        unsafe { Arc::increment_strong_count(self.raw()) };
        Shared {
            ptr: self.raw(),
            _owns: PhantomData,
        }
    }

    /// Whether this copy counts no reference ([`Shared::borrowed`]).
    #[inline]
    pub fn is_lent(&self) -> bool {
        self.is_borrowed()
    }

    /// The allocation's address: it identifies the allocation while the allocation is held.
    #[inline]
    pub fn addr(&self) -> usize {
        self.raw().addr()
    }

    /// Whether both hold the same allocation (then they are equal).
    #[inline]
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.addr() == b.addr()
    }

    /// Whether this is the only counted reference to its allocation (a borrowed copy never is).
    #[inline]
    fn is_unique(&self) -> bool {
        if self.is_borrowed() {
            return false;
        }
        // SAFETY: the pointer came from `Arc::into_raw` and this `Shared` holds one count;
        // the `Arc` is not dropped (ManuallyDrop), so the count is unchanged.
        let arc = ManuallyDrop::new(unsafe { Arc::from_raw(self.ptr) });
        // A read, not `make_mut`'s compare-and-swap, which takes the count's cache line from
        // the other threads of the search even when it fails.
        Arc::strong_count(&arc) == 1
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T> Clone for Shared<T> {
    #[inline]
    fn clone(&self) -> Self {
        if !self.is_borrowed() {
            // SAFETY: a counted pointer from `Arc::into_raw`, alive while `self` is.
            unsafe { Arc::increment_strong_count(self.ptr) };
        }
        Shared {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Shared<T> {
    #[inline]
    fn drop(&mut self) {
        if !self.is_borrowed() {
            // SAFETY: a counted pointer from `Arc::into_raw`; this releases its one count.
            unsafe { Arc::decrement_strong_count(self.ptr) };
        }
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        if !self.is_unique() {
            // Held elsewhere, or borrowed: copy now. Should the others let go meanwhile, the
            // copy was merely not needed.
            *self = Shared::new(self.inner().value.clone());
        }
        // SAFETY: counted, from `Arc::into_raw`; not dropped here (ManuallyDrop).
        let mut arc = ManuallyDrop::new(unsafe { Arc::from_raw(self.ptr) });
        let inner: *mut Inner<T> = match Arc::get_mut(&mut arc) {
            Some(inner) => inner,
            // The only count, and no weak ones are made: no one can have cloned it since.
            None => unreachable!("a unique Shared became shared"),
        };
        // SAFETY: the allocation is this `Shared`'s alone (unique, and no borrowed copy of a
        // written allocation may exist: the contract of `borrowed`), and stays alive while
        // `self` is borrowed mutably.
        let inner = unsafe { &mut *inner };
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
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        Shared::ptr_eq(self, other) || **self == **other
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: PartialOrd> PartialOrd for Shared<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: Ord> Ord for Shared<T> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        if Shared::ptr_eq(self, other) {
            return Ordering::Equal;
        }
        (**self).cmp(&**other)
    }
}

impl<T: Hash> Shared<T> {
    /// `T`'s hash, computed once per allocation (see the module doc). Threads that race to
    /// compute it compute the same number.
    fn kept_hash(&self) -> u64 {
        let inner = self.inner();
        let kept = inner.hash.load(AtomicOrdering::Relaxed);
        if kept != 0 {
            return kept;
        }
        let mut h = rustc_hash::FxHasher::default();
        inner.value.hash(&mut h);
        let h = h.finish().max(1);
        inner.hash.store(h, AtomicOrdering::Relaxed);
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
        (**self).fmt(f)
    }
}

impl<T: serde::Serialize> serde::Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
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
        (&**self).into_iter()
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

#[cfg(test)]
mod tests {
    use super::Shared;
    use std::sync::Arc;

    /// The counted references to `s`'s allocation (borrowed copies count none).
    fn count<T>(s: &Shared<T>) -> usize {
        // SAFETY: `s` keeps the allocation alive for this read; the Arc is not dropped.
        let arc = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(s.raw()) });
        Arc::strong_count(&arc)
    }

    #[test]
    fn borrowed_copies_count_nothing_and_write_to_a_copy() {
        let owner = Shared::new(vec![1, 2, 3]);
        // SAFETY: `owner` outlives every copy below and is not written while they exist.
        let lent = unsafe { owner.borrowed() };
        let more: Vec<_> = (0..5).map(|_| lent.clone()).collect();
        assert_eq!(count(&owner), 1);
        assert!(lent.is_lent() && !owner.is_lent());
        assert!(Shared::ptr_eq(&owner, &lent) && lent == owner && *lent == [1, 2, 3]);
        drop(more);
        assert_eq!(count(&owner), 1);

        // Writing through a borrowed copy copies: the owner is untouched.
        let mut written = lent.clone();
        written.push(4);
        assert!(!written.is_lent() && !Shared::ptr_eq(&written, &owner));
        assert_eq!((&*owner, &*written), (&vec![1, 2, 3], &vec![1, 2, 3, 4]));
        assert_eq!(count(&owner), 1);
    }

    #[test]
    fn a_counted_copy_of_a_borrowed_one_outlives_the_lender() {
        let owner = Shared::new(String::from("kept"));
        // SAFETY: `owner` outlives `lent`.
        let lent = unsafe { owner.borrowed() };
        let kept = lent.counted();
        drop(lent);
        assert_eq!(count(&owner), 2);
        drop(owner);
        assert_eq!((kept.as_str(), count(&kept)), ("kept", 1));
    }

    #[test]
    fn a_unique_counted_part_is_written_in_place_and_a_shared_one_copied() {
        let mut only = Shared::new(vec![1]);
        let at = only.addr();
        only.push(2);
        assert_eq!(only.addr(), at, "the only reference writes in place");

        let other = only.clone();
        only.push(3);
        assert_ne!(
            only.addr(),
            other.addr(),
            "a shared part is copied on write"
        );
        assert_eq!((&*other, &*only), (&vec![1, 2], &vec![1, 2, 3]));
    }
}
