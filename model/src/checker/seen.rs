//! The successors one chunk of the frontier has produced so far, so that the chunk drops a
//! state it has already made instead of sending it to the merge again.
//!
//! Why: a batch's states are expanded against the visited set as it was when the batch
//! began, so a state reached from several of the batch's states is a candidate once per
//! path to it, and every copy is checked, copied into the batch and looked up by the
//! merge. Neighbouring frontier states mostly differ in one client, so most of those copies
//! come from the same chunk (c=5 r=2: 2.44 M candidates for 0.76 M new states before, 0.97 M
//! after).
//!
//! Contract of [`Seen::note`]: `true` exactly when the same id tuple was noted since the last
//! [`Seen::clear`] (tuples are compared whole; the hash only chooses where to look). Dropping
//! such a successor changes nothing the merge decides: the earlier copy comes first in the
//! merge's order, so the later one would never be the first of its state, and a state's
//! verdict is the same whichever path reached it.

use crate::store::{same_ids, Table};

/// Id tuples noted since the last clear: the tuples in order, and a [`Table`] of their
/// ordinals by hash.
#[derive(Default)]
pub(super) struct Seen {
    width: usize,
    table: Table,
    keys: Vec<u32>,
}

impl Seen {
    /// Forgets every tuple; tuples of `width` ids, about `expected` of them, come next.
    pub(super) fn clear(&mut self, width: usize, expected: usize) {
        self.width = width;
        self.keys.clear();
        self.table.clear();
        self.table.reserve(expected);
    }

    /// Whether `key` (whose hash is `h`) was noted since the last clear; notes it if not.
    pub(super) fn note(&mut self, key: &[u32], h: u64) -> bool {
        let (w, keys) = (self.width, &self.keys);
        debug_assert_eq!(key.len(), w);
        let ordinal = (keys.len() / w) as u32;
        let at = |i: u32| &keys[i as usize * w..(i as usize + 1) * w];
        let new = self.table.insert_new(h, ordinal, |i| same_ids(at(i), key));
        if new {
            self.keys.extend_from_slice(key);
        }
        !new
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
            assert!(!s.note(&[k, 9], u64::from(k % 13)));
        }
        for k in 0..1000u32 {
            assert!(s.note(&[k, 9], u64::from(k % 13)));
        }
        assert!(s.note(&[1, 2], 7));
        s.clear(2, 4);
        assert!(!s.note(&[1, 2], 7));
    }
}
