//! One shard of the visited set's hash table (and a chunk's `checker::seen::Seen`): state
//! numbers by the hash of their id tuple, in open addressing with linear probing.
//!
//! A slot is one `u64`: the number (a state index, or a provisional number during a merge) in
//! the high half, the low 32 bits of the state's hash in the low half. Storing those bits
//! gives three things a table of bare numbers cannot:
//! 1. **Growing reads no key.** A slot's home is `hash & mask`, so doubling the table moves
//!    slots by the bits they carry, without reading the id tuple they stand for.
//! 2. **A lookup compares ids only where 32 hash bits match.** The caller's `is` (the whole
//!    id tuple compared) then decides: the hash bits only choose where to look and filter,
//!    so two states with equal bits are still two states. No collision can merge them.
//! 3. **A lookup can be announced.** [`Table::prefetch`] asks the CPU for the home slot's
//!    cache line before the answer is needed (the parallel merge announces a few candidates
//!    ahead), so that lookups overlap each other.
//!
//! The table is never more than 3/4 full, so a probe for a missing hash ends within a few
//! slots of its home, nearly always in the same cache line or the next.

/// The number part of an empty slot.
const EMPTY: u32 = u32::MAX;
const EMPTY_SLOT: u64 = (EMPTY as u64) << 32;

fn number(slot: u64) -> u32 {
    (slot >> 32) as u32
}

fn bits(slot: u64) -> u32 {
    slot as u32
}

/// State numbers by hash (see the module doc).
#[derive(Default)]
pub(crate) struct Table {
    slots: Vec<u64>,
    len: usize,
}

impl Table {
    pub(crate) fn new() -> Self {
        Table {
            slots: Vec::new(),
            len: 0,
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Asks for the cache line of `h`'s home slot, ahead of a [`Table::find`]; does nothing
    /// else, and nothing on CPUs without a prefetch instruction.
    #[inline]
    pub(crate) fn prefetch(&self, h: u64) {
        if self.slots.is_empty() {
            return;
        }
        let at = &self.slots[h as u32 as usize & self.mask()];
        prefetch_line(at);
    }

    /// The slots of `h`'s probe sequence, from its home to the first empty one (excluded),
    /// with their places.
    fn probe(&self, h: u64) -> impl Iterator<Item = (usize, u64)> + '_ {
        let mask = self.mask();
        let home = h as u32 as usize & mask;
        let n = self.slots.len();
        (0..n)
            .map(move |k| {
                let at = (home + k) & mask;
                (at, self.slots[at])
            })
            .take_while(|&(_, s)| number(s) != EMPTY)
    }

    /// The number with hash `h` for which `is` holds (`is` compares the whole state).
    #[inline]
    pub(crate) fn find(&self, h: u64, is: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut at = h as u32 as usize & mask;
        loop {
            let s = self.slots[at];
            let n = number(s);
            if n == EMPTY {
                return None;
            }
            if bits(s) == h as u32 && is(n) {
                return Some(n);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `n` under hash `h`; the caller knows that no equal state is in the table. Returns
    /// its place, which stays its place until the table grows or a slot is removed.
    pub(crate) fn insert_unique(&mut self, h: u64, n: u32) -> usize {
        assert!(n != EMPTY, "a state number is below u32::MAX");
        self.reserve(1);
        self.len += 1;
        self.place((n as u64) << 32 | h as u32 as u64)
    }

    /// Adds `n` under hash `h` unless a number for which `is` holds is there already (one
    /// probe for both): whether it was added.
    pub(crate) fn insert_new(&mut self, h: u64, n: u32, is: impl Fn(u32) -> bool) -> bool {
        assert!(n != EMPTY, "a state number is below u32::MAX");
        self.reserve(1);
        let mask = self.mask();
        let mut at = h as u32 as usize & mask;
        loop {
            let s = self.slots[at];
            if number(s) == EMPTY {
                self.slots[at] = (n as u64) << 32 | h as u32 as u64;
                self.len += 1;
                return true;
            }
            if bits(s) == h as u32 && is(number(s)) {
                return false;
            }
            at = (at + 1) & mask;
        }
    }

    /// Empties it, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.slots.fill(EMPTY_SLOT);
        self.len = 0;
    }

    /// Grows the table now so that `more` insertions will not grow it.
    pub(crate) fn reserve(&mut self, more: usize) {
        while 4 * (self.len + more) > 3 * self.slots.len() {
            self.grow();
        }
    }

    /// The slot at place `at` (from [`Table::insert_unique`]) takes the number `n`.
    pub(crate) fn renumber_at(&mut self, at: usize, n: u32) {
        assert!(n != EMPTY, "a state number is below u32::MAX");
        let s = self.slots[at];
        assert!(number(s) != EMPTY, "renumbering a place that holds a slot");
        self.slots[at] = (n as u64) << 32 | bits(s) as u64;
    }

    /// Puts `slot` in the first empty place of its probe sequence (there is one): its place.
    fn place(&mut self, slot: u64) -> usize {
        let mask = self.mask();
        let mut at = bits(slot) as usize & mask;
        while number(self.slots[at]) != EMPTY {
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
        at
    }

    /// Doubles the table (at least 16 slots), placing every slot by its own hash bits.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(16);
        assert!(
            size <= 1 << 31,
            "a shard's slots are placed by 32 hash bits and their places fit a u32"
        );
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; size]);
        for s in old {
            if number(s) != EMPTY {
                self.place(s);
            }
        }
    }

    /// The slot holding exactly number `n` under hash `h` takes the number `to`, or is
    /// removed when `to` is `None`; `false` when there is no such slot.
    pub(crate) fn renumber(&mut self, h: u64, n: u32, to: Option<u32>) -> bool {
        let want = (n as u64) << 32 | h as u32 as u64;
        let Some((at, _)) = self.probe(h).find(|&(_, s)| s == want) else {
            return false;
        };
        match to {
            Some(to) => {
                assert!(to != EMPTY, "a state number is below u32::MAX");
                self.slots[at] = (to as u64) << 32 | h as u32 as u64;
            }
            None => self.remove_at(at),
        }
        true
    }

    /// Empties place `at`, moving later slots of the same run back so that every slot stays
    /// reachable from its home without passing an empty place (backward-shift deletion).
    fn remove_at(&mut self, mut at: usize) {
        let mask = self.mask();
        let mut next = at;
        loop {
            next = (next + 1) & mask;
            let s = self.slots[next];
            if number(s) == EMPTY {
                break;
            }
            let home = bits(s) as usize & mask;
            // The slot at `next` may fill the hole at `at` unless its home lies cyclically
            // in (at, next]: then moving it before its home would hide it.
            let home_after_hole = if at <= next {
                at < home && home <= next
            } else {
                at < home || home <= next
            };
            if !home_after_hole {
                self.slots[at] = s;
                at = next;
            }
        }
        self.slots[at] = EMPTY_SLOT;
        self.len -= 1;
    }
}

/// Asks the CPU for the cache line holding `at` (a hint: it changes no value).
#[inline]
fn prefetch_line<T>(at: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache; it reads nothing into the program and cannot
    // fault, and `at` is a valid reference anyway.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((at as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A deliberately bad hash: many numbers share their low bits, so runs are long and
    /// wrap around the table's end.
    fn h(k: u32) -> u64 {
        (((k % 7) as u64) << 40) | ((k % 5) as u64 * 0x1000_0001) | 0xffff_fff0
    }

    #[test]
    fn finds_what_it_holds_and_only_that() {
        let mut t = Table::new();
        for k in 0..1000 {
            assert_eq!(t.find(h(k), |n| n == k), None);
            t.insert_unique(h(k), k);
        }
        // Present: not added again; absent (same bits, other state): added.
        assert!(!t.insert_new(h(7), 7, |n| n == 7));
        assert!(t.insert_new(h(7), 5000, |n| n == 5000));
        assert_eq!(t.find(h(7), |n| n == 5000), Some(5000));
        assert_eq!(t.len, 1001);
        for k in 0..1000 {
            assert_eq!(t.find(h(k), |n| n == k), Some(k), "{k}");
        }
        // Same hash bits, different state: not found (the caller's comparison decides).
        assert_eq!(t.find(h(3), |n| n == 6000), None);
    }

    #[test]
    fn renumbering_and_removal_keep_every_other_slot_reachable() {
        let mut t = Table::new();
        let mut model: HashMap<u32, u32> = HashMap::new();
        for k in 0..600 {
            t.insert_unique(h(k), k + 10_000);
            model.insert(k, k + 10_000);
        }
        for k in (0..600).step_by(3) {
            assert!(t.renumber(h(k), k + 10_000, None));
            model.remove(&k);
        }
        for k in (1..600).step_by(3) {
            assert!(t.renumber(h(k), k + 10_000, Some(k)));
            model.insert(k, k);
        }
        assert!(!t.renumber(h(0), 10_000, None), "already removed");
        assert_eq!(t.len, model.len());
        for k in 0..600 {
            let want = model.get(&k).copied();
            assert_eq!(t.find(h(k), |n| Some(n) == want), want, "{k}");
        }
    }

    #[test]
    fn places_stay_put_after_a_reserve() {
        let mut t = Table::new();
        t.reserve(500);
        let size = t.slots.len();
        let places: Vec<usize> = (0..500)
            .map(|k| t.insert_unique(h(k), k | 1 << 31))
            .collect();
        assert_eq!(t.slots.len(), size, "no growth within the reserve");
        for (k, &at) in places.iter().enumerate() {
            t.renumber_at(at, k as u32);
        }
        for k in 0..500 {
            assert_eq!(t.find(h(k), |n| n == k), Some(k), "{k}");
        }
    }

    #[test]
    fn removal_wraps_around_the_end() {
        let mut t = Table::new();
        // All in the last home slot of a 16-slot table: the run wraps to the start.
        let last = |k: u32| 15 | (k as u64) << 40;
        for k in 0..10 {
            t.insert_unique(last(k), k);
        }
        assert_eq!(t.slots.len(), 16);
        assert!(t.renumber(last(0), 0, None));
        assert!(t.renumber(last(4), 4, None));
        for k in (1..10).filter(|&k| k != 4) {
            assert_eq!(t.find(last(k), |n| n == k), Some(k), "{k}");
        }
    }
}
