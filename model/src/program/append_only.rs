//! A hash table that only grows, read without locks: the memo's table ([`super::memo`]).
//!
//! The memo is read on every step of every client by every thread of the search, and written
//! a few thousand times per check. A `Mutex` per read costs two atomic read-modify-writes on
//! a line the other thread also writes (measured: most of the memo's time on two threads).
//! Here a read takes no lock and writes nothing:
//!
//! 1. The table is an array of slots, each null or pointing to a boxed value with its hash;
//!    it is published through one atomic pointer.
//! 2. `find` loads the table, then probes slots from the hash's place (linear probing), loading
//!    each slot (Acquire) and the hash stored beside it; it follows the pointer only where the
//!    hash matches, and stops at the first null slot. A value is never moved, changed or
//!    freed while the table lives, so a reference to it lives as long as the table.
//! 3. `insert` runs under the writers' lock: it probes again (another writer may have added
//!    the value meanwhile: that one is returned), then stores the new value's pointer in the
//!    first null slot (Release: a reader that sees the pointer sees the value). When the table
//!    is half full it first builds one twice the size, with every pointer in it, and publishes
//!    it; the old array is kept until the table is dropped, as a reader may still be probing
//!    it.
//!
//! A reader that probes while a writer inserts may miss the new value: it then does what it
//! would have done before the value existed (the memo runs the program, and its `insert`
//! finds the value). It never sees a value half-written, nor a value that is not there.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

/// A value with its hash, as the slots point to it.
struct Item<T> {
    hash: u64,
    value: T,
}

/// One slot: null, or a value and (beside it, so that a probe need not follow the pointer of
/// every slot it passes) the value's hash. The hash is stored before the pointer is published.
struct Slot<T> {
    hash: AtomicU64,
    item: AtomicPtr<Item<T>>,
}

/// One array of slots (a power of two long).
struct Slots<T> {
    slots: Box<[Slot<T>]>,
}

impl<T> Slots<T> {
    fn new(len: usize) -> Box<Self> {
        Box::new(Slots {
            slots: (0..len)
                .map(|_| Slot {
                    hash: AtomicU64::new(0),
                    item: AtomicPtr::new(std::ptr::null_mut()),
                })
                .collect(),
        })
    }

    /// The first free slot in probe order for `hash` (writers only: nothing else stores).
    fn free_slot(&self, hash: u64) -> &Slot<T> {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = &self.slots[at];
            if slot.item.load(Ordering::Relaxed).is_null() {
                return slot;
            }
            at = (at + 1) & mask;
        }
    }

    /// Publishes `item` (whose hash is `hash`) in its slot; the array must have a free one.
    fn publish(&self, hash: u64, item: *mut Item<T>) {
        let slot = self.free_slot(hash);
        slot.hash.store(hash, Ordering::Relaxed);
        // Release: a reader that loads the pointer sees the hash and the value.
        slot.item.store(item, Ordering::Release);
    }
}

/// What only writers touch (under the lock).
struct Writer<T> {
    len: usize,
    /// Every array ever published (the current one last): readers may still be in old ones.
    /// Boxed: readers hold an array by its address, which must not move when this grows.
    #[allow(clippy::vec_box)]
    arrays: Vec<Box<Slots<T>>>,
    /// Owns every item; slots only point to them.
    items: Vec<*mut Item<T>>,
}

/// A hash table that only grows, read without locks; see the module doc.
pub(crate) struct AppendOnly<T> {
    current: AtomicPtr<Slots<T>>,
    writer: Mutex<Writer<T>>,
    _owns: PhantomData<T>,
}

// SAFETY: the table hands out `&T` to any thread (so `T: Sync`) and drops the values on the
// thread that drops it (so `T: Send`); the raw pointers are its own allocations, written only
// under the writers' lock and published with Release / read with Acquire.
unsafe impl<T: Send + Sync> Send for AppendOnly<T> {}
unsafe impl<T: Send + Sync> Sync for AppendOnly<T> {}

const FIRST_LEN: usize = 64;

impl<T> AppendOnly<T> {
    pub(crate) fn new() -> Self {
        let first = Slots::new(FIRST_LEN);
        let current = AtomicPtr::new(&*first as *const Slots<T> as *mut Slots<T>);
        AppendOnly {
            current,
            writer: Mutex::new(Writer {
                len: 0,
                arrays: vec![first],
                items: Vec::new(),
            }),
            _owns: PhantomData,
        }
    }

    fn find_in(slots: &Slots<T>, hash: u64, is: impl Fn(&T) -> bool) -> Option<&T> {
        let mask = slots.slots.len() - 1;
        let mut at = hash as usize & mask;
        // At most half the slots are full, so a probe ends at a null slot.
        loop {
            let slot = &slots.slots[at];
            let p = slot.item.load(Ordering::Acquire);
            if p.is_null() {
                return None;
            }
            if slot.hash.load(Ordering::Relaxed) == hash {
                // SAFETY: a non-null slot points to an item that lives, unchanged, as long as
                // the table (items are freed only in `drop`); Acquire pairs with the Release
                // store that published it (and the hash stored before it).
                let item = unsafe { &*p };
                if is(&item.value) {
                    return Some(&item.value);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// The value whose hash is `hash` and for which `is` holds, if the table has it.
    pub(crate) fn find(&self, hash: u64, is: impl Fn(&T) -> bool) -> Option<&T> {
        // SAFETY: every array ever published is kept until the table is dropped.
        let slots = unsafe { &*self.current.load(Ordering::Acquire) };
        Self::find_in(slots, hash, is)
    }

    /// The value for which `is` holds if the table has one, else `make()`, added; `Err` with
    /// `make()` if the table holds `cap` values already (nothing is added then).
    pub(crate) fn insert(
        &self,
        hash: u64,
        is: impl Fn(&T) -> bool,
        cap: usize,
        make: impl FnOnce() -> T,
    ) -> Result<&T, T> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let slots: &Slots<T> = w.arrays.last().expect("an array is always published");
        // SAFETY (of the references returned below): items live until the table is dropped.
        if let Some(v) = Self::find_in(slots, hash, &is) {
            return Ok(unsafe { &*(v as *const T) });
        }
        if w.len >= cap {
            return Err(make());
        }
        let cur_len = slots.slots.len();
        if 2 * (w.len + 1) > cur_len {
            let bigger = Slots::new(2 * cur_len);
            for &item in &w.items {
                // SAFETY: the table's own items, alive.
                bigger.publish(unsafe { (*item).hash }, item);
            }
            // Release: a reader that loads the new array sees every pointer stored in it.
            self.current.store(
                &*bigger as *const Slots<T> as *mut Slots<T>,
                Ordering::Release,
            );
            w.arrays.push(bigger);
        }
        let item = Box::into_raw(Box::new(Item {
            hash,
            value: make(),
        }));
        w.items.push(item);
        w.len += 1;
        w.arrays
            .last()
            .expect("an array is always published")
            .publish(hash, item);
        // SAFETY: the item lives until the table is dropped.
        Ok(unsafe { &(*item).value })
    }

    /// How many values the table holds.
    pub(crate) fn len(&self) -> usize {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).len
    }
}

impl<T> Drop for AppendOnly<T> {
    fn drop(&mut self) {
        let w = self.writer.get_mut().unwrap_or_else(|p| p.into_inner());
        for &item in &w.items {
            // SAFETY: each item was made by `Box::into_raw` and is freed once, here; no
            // reference to it outlives the table (`&self` borrows).
            drop(unsafe { Box::from_raw(item) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppendOnly;

    #[test]
    fn finds_what_was_inserted_across_growth_and_respects_the_cap() {
        let t = AppendOnly::new();
        for k in 0u64..1000 {
            // Colliding hashes on purpose: equality decides, the hash only places.
            let got = t.insert(k % 7, |v: &u64| *v == k, 600, || k);
            if k < 600 {
                assert_eq!(got, Ok(&k));
            } else {
                assert_eq!(got, Err(k));
            }
        }
        assert_eq!(t.len(), 600);
        for k in 0u64..1000 {
            assert_eq!(t.find(k % 7, |v| *v == k).copied(), (k < 600).then_some(k));
        }
        // Inserting what is there returns it and adds nothing.
        assert_eq!(t.insert(3, |v| *v == 3, 600, || 99), Ok(&3));
        assert_eq!(t.len(), 600);
    }

    #[test]
    fn readers_on_other_threads_see_every_value_once_inserted() {
        let t = AppendOnly::new();
        std::thread::scope(|s| {
            s.spawn(|| {
                for k in 0u64..5000 {
                    t.insert(
                        k.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                        |v| *v == k,
                        usize::MAX,
                        || k,
                    )
                    .expect("no cap");
                }
            });
            s.spawn(|| {
                // Whatever is found is the value asked for; once found, always found.
                let mut seen = 0u64;
                while seen < 5000 {
                    let h = seen.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    if let Some(v) = t.find(h, |v| *v == seen) {
                        assert_eq!(*v, seen);
                        assert_eq!(t.find(h, |v| *v == seen), Some(&seen));
                        seen += 1;
                    }
                }
            });
        });
        assert_eq!(t.len(), 5000);
    }
}
