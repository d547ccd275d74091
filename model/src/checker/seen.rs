//! The successors one chunk of the frontier has produced so far, so that the chunk drops a
//! state it has already made instead of sending it to the merge again.
//!
//! Why: a batch's states are expanded against the visited set as it was when the batch
//! began, so a state reached from several of the batch's states is a candidate once per
//! path to it, and every copy is checked, copied into the batch and looked up again by the
//! merge. Neighbouring frontier states mostly differ in one client, so most of those copies
//! come from the same chunk (c=5 r=2: 2.44 M candidates for 0.76 M new states before).
//!
//! Contract of [`Seen::note`]: `true` exactly when the same id tuple was noted since the last
//! [`Seen::clear`] (tuples are compared whole; the hash only chooses where to look). Dropping
//! such a successor changes nothing the merge decides: the earlier copy comes first in the
//! merge's order, so the later one would never be the first of its state, and a state's
//! verdict is the same whichever path reached it.

/// The index of an empty slot.
const EMPTY: u32 = u32::MAX;

/// Id tuples noted since the last clear, in open addressing over their indices.
#[derive(Default)]
pub(super) struct Seen {
    width: usize,
    slots: Vec<u32>,
    hashes: Vec<u64>,
    keys: Vec<u32>,
}

impl Seen {
    /// Forgets every tuple; tuples of `width` ids, about `expected` of them, come next.
    pub(super) fn clear(&mut self, width: usize, expected: usize) {
        self.width = width;
        self.hashes.clear();
        self.keys.clear();
        let room = (2 * expected).next_power_of_two().max(64);
        self.slots.clear();
        self.slots.resize(room, EMPTY);
    }

    fn home(&self, h: u64) -> usize {
        // The visited table places by the low bits and shards by the top ones: these are
        // independent of both.
        (h >> 32) as usize & (self.slots.len() - 1)
    }

    /// Whether `key` (whose hash is `h`) was noted since the last clear; notes it if not.
    pub(super) fn note(&mut self, key: &[u32], h: u64) -> bool {
        debug_assert_eq!(key.len(), self.width);
        let mask = self.slots.len() - 1;
        let mut at = self.home(h);
        loop {
            let i = self.slots[at];
            if i == EMPTY {
                break;
            }
            let i = i as usize;
            if self.hashes[i] == h && self.keys[i * self.width..(i + 1) * self.width] == *key {
                return true;
            }
            at = (at + 1) & mask;
        }
        self.slots[at] = self.hashes.len() as u32;
        self.hashes.push(h);
        self.keys.extend_from_slice(key);
        if 2 * self.hashes.len() > self.slots.len() {
            self.grow();
        }
        false
    }

    /// Doubles the slots, placing every noted tuple again by its kept hash.
    fn grow(&mut self) {
        let room = 2 * self.slots.len();
        self.slots.clear();
        self.slots.resize(room, EMPTY);
        let mask = room - 1;
        for (i, &h) in self.hashes.iter().enumerate() {
            let mut at = self.home(h);
            while self.slots[at] != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = i as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn notes_each_tuple_once_and_tells_equal_hashes_apart() {
        let mut s = Seen::default();
        s.clear(2, 4);
        assert!(!s.note(&[1, 2], 7));
        assert!(s.note(&[1, 2], 7));
        // The same hash, another tuple: a different state.
        assert!(!s.note(&[2, 1], 7));
        assert!(s.note(&[2, 1], 7));
        // Past growing, everything noted is still found, and nothing else is.
        for k in 0..1000u32 {
            assert!(!s.note(&[k, 9], u64::from(k % 13) << 32));
        }
        for k in 0..1000u32 {
            assert!(s.note(&[k, 9], u64::from(k % 13) << 32));
        }
        assert!(s.note(&[1, 2], 7));
        s.clear(2, 4);
        assert!(!s.note(&[1, 2], 7));
    }
}
