//! Merging successors into the visited set in the one-threaded search's order (see
//! [`Merge`]): as they are made, on one thread ([`Merge::in_place`]), or a batch's
//! expansions at once, with the table work on every thread ([`Merge::parallel`]).

use super::expand::{copy_for, reduce, Expansion};
use super::sleep::{Sleeper, Turns};
use crate::store::{hash_ids, Batch, Visited};
use crate::system::System;
use crate::workers::Workers;
use std::ops::Range;

/// The merge of a batch's expansions into the visited set, in the one-threaded search's
/// order, state by state: the same states get the same numbers and parents, the first
/// violation in that order wins, and the state limit stops at the same state.
pub(super) struct Merge<'a> {
    pub(super) v: &'a mut Visited,
    /// The next frontier state to be merged.
    pub(super) cursor: &'a mut usize,
    pub(super) max_depth: &'a mut usize,
    pub(super) found: &'a mut Option<(u32, String)>,
    pub(super) unmodelled: &'a mut Option<String>,
    pub(super) truncated: &'a mut bool,
    /// Successors computed so far.
    pub(super) successors: &'a mut u64,
    pub(super) max_states: usize,
    /// The parallel merge's buffers, kept from batch to batch (a batch's are megabytes: made
    /// anew each time, their pages would be faulted in and zeroed again by the kernel).
    pub(super) scratch: &'a mut Scratch,
}

/// What [`Merge::parallel`] builds for a batch, in candidate order: keys and hashes of the
/// candidates that were not visited when the batch began, their places in the table if first
/// of their state, and their new indices.
#[derive(Default)]
pub(super) struct Scratch {
    keys: Vec<u32>,
    hashes: Vec<u64>,
    place: Vec<Option<u32>>,
    index: Vec<Option<u32>>,
}

impl Merge<'_> {
    /// Expands the frontier states `range` on this thread and merges each successor as it is
    /// made, in the order [`Merge::parallel`] merges a batch: the one-threaded search, with
    /// one lookup per successor and no copy of it; `true` when the search stops.
    pub(super) fn in_place(
        &mut self,
        system: &System,
        range: Range<usize>,
        symmetric: bool,
        sleeper: &mut Sleeper<'_>,
    ) -> bool {
        let mut parent = vec![0u32; self.v.key_len()];
        let mut key = parent.clone();
        let mut actions = Vec::new();
        for idx in range {
            debug_assert_eq!(idx, *self.cursor, "states are expanded in frontier order");
            let idx = idx as u32;
            parent.copy_from_slice(self.v.key(idx));
            // Interning a successor's new parts below frees none: `world` stays valid.
            let world = self.v.parts.decode(&parent);
            let depth = self.v.depth(idx);
            *self.max_depth = (*self.max_depth).max(depth);
            system.enabled_into(&world, &mut actions);
            if actions.is_empty() {
                if let Err(why) = system.check(&world, true) {
                    *self.found = Some((idx, why));
                    return true;
                }
            }
            sleeper.begin(&world, &actions);
            let mut turns = Turns::new(self.v.sleep(idx), &actions);
            let mut world = Some(world);
            for &action in &actions {
                let Some((passed, k, n)) = turns.take(sleeper, action) else {
                    continue;
                };
                let mut next = copy_for(&mut world, k, n);
                *self.successors += 1;
                system.step_in_place(&mut next, action);
                if let Some(name) = next.server.unmodelled.take() {
                    *self.unmodelled = Some(name);
                    return true;
                }
                let next = reduce(next, symmetric);
                if !self.v.parts.find_key(&next, &parent, &mut key) {
                    self.v.parts.intern_key(&next, &mut key);
                }
                if let Some(new) = self.v.insert(&key, idx, action, depth + 1, passed) {
                    if let Err(why) = system.check(&next, false) {
                        *self.found = Some((new, why));
                        *self.max_depth = (*self.max_depth).max(depth + 1);
                        return true;
                    }
                }
            }
            if self.next_state() {
                return true;
            }
        }
        false
    }

    /// Moves past the merged frontier state; `true` when the state limit stops the search.
    fn next_state(&mut self) -> bool {
        *self.cursor += 1;
        if self.v.len() >= self.max_states && *self.cursor < self.v.len() {
            *self.truncated = true;
            return true;
        }
        false
    }

    /// The same merge for a batch's expansions, its table work on every thread of `workers`: (1) on
    /// this thread, in order, the keys of candidates that carry their world are made (parts
    /// interned), up to the first final violation or unmodelled command; (2) on every thread,
    /// each owning some of the visited set's shards, which candidates are the first of their
    /// state ([`Visited::mark_first`]); (3) on this thread, in order, exactly the merge of
    /// [`Merge::in_place`] with "is it new" answered by (2): states numbered, violation and
    /// limit checked; (4) on every thread, the table entries take their numbers
    /// ([`Visited::number`]).
    pub(super) fn parallel(&mut self, expansions: &mut [Expansion], workers: &Workers) -> bool {
        let width = self.v.key_len();
        // Taken for the batch (numbering below needs `self`), given back at the end.
        let mut scratch = std::mem::take(self.scratch);
        let Scratch {
            keys,
            hashes,
            place,
            index,
        } = &mut scratch;
        keys.clear();
        hashes.clear();
        *self.successors += expansions.iter().map(|e| e.successors).sum::<u64>();
        'make: for exp in expansions.iter_mut() {
            let mut at = 0;
            for state in &exp.states {
                if state.final_violation.is_some() {
                    break 'make;
                }
                for c in at..at + state.candidates {
                    let cand = &exp.candidates[c];
                    if cand.unmodelled.is_some() {
                        break 'make;
                    }
                    let key = &mut exp.keys[c * width..(c + 1) * width];
                    let hash = match &cand.world {
                        Some(w) => {
                            self.v.parts.intern_key(w, key);
                            hash_ids(key)
                        }
                        None => exp.hashes[c],
                    };
                    keys.extend_from_slice(key);
                    hashes.push(hash);
                }
                at += state.candidates;
            }
        }
        let batch = Batch { keys, hashes };
        self.v.mark_first(&batch, workers, place);
        index.clear();
        index.resize(hashes.len(), None);
        let stopped = self.number_in_order(expansions, &batch, place, index);
        self.v.number(&batch, place, index, workers);
        *self.scratch = scratch;
        stopped
    }

    /// Step (3) of [`Merge::parallel`]; `true` when the search stops.
    fn number_in_order(
        &mut self,
        expansions: &mut [Expansion],
        batch: &Batch<'_>,
        place: &[Option<u32>],
        index: &mut [Option<u32>],
    ) -> bool {
        let width = self.v.key_len();
        let mut o = 0usize;
        for exp in expansions {
            let mut cands = exp.candidates.drain(..);
            for state in exp.states.drain(..) {
                let idx = *self.cursor as u32;
                let depth = self.v.depth(idx);
                *self.max_depth = (*self.max_depth).max(depth);
                if let Some(why) = state.final_violation {
                    *self.found = Some((idx, why));
                    return true;
                }
                for cand in cands.by_ref().take(state.candidates) {
                    if cand.unmodelled.is_some() {
                        *self.unmodelled = cand.unmodelled;
                        return true;
                    }
                    if place[o].is_some() {
                        let key = &batch.keys[o * width..(o + 1) * width];
                        let new = self.v.push(key, idx, cand.action, depth + 1, cand.sleep);
                        index[o] = Some(new);
                        if let Some(why) = cand.violation {
                            *self.found = Some((new, why));
                            *self.max_depth = (*self.max_depth).max(depth + 1);
                            return true;
                        }
                    }
                    o += 1;
                }
                if self.next_state() {
                    return true;
                }
            }
        }
        false
    }
}
