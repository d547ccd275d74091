//! The visited set itself: every state's id tuple, parent and action, in the order first
//! reached, and a hash table over them split in shards (see [`Visited`]).

use super::table::Table;
use super::Parts;
use crate::system::Action;
use crate::workers::Workers;
use rustc_hash::FxHasher;
use std::hash::Hasher;

/// Fixed-width records in blocks of 65,536, so growing never copies what is stored.
struct Column<T> {
    width: usize,
    blocks: Vec<Vec<T>>,
}

const BLOCK: usize = 1 << 16;

impl<T: Copy> Column<T> {
    fn new(width: usize) -> Self {
        Column {
            width,
            blocks: Vec::new(),
        }
    }

    fn push(&mut self, record: &[T]) {
        debug_assert_eq!(record.len(), self.width);
        match self.blocks.last_mut() {
            Some(b) if b.len() < BLOCK * self.width => b.extend_from_slice(record),
            _ => {
                let mut b = Vec::with_capacity(BLOCK * self.width);
                b.extend_from_slice(record);
                self.blocks.push(b);
            }
        }
    }

    fn get(&self, i: u32) -> &[T] {
        let i = i as usize;
        let at = (i % BLOCK) * self.width;
        &self.blocks[i / BLOCK][at..at + self.width]
    }
}

/// An action in two bytes (a choice: client in the low 5 bits, branch (< 256) above them).
fn pack(a: Action) -> u16 {
    match a {
        Action::Step(i) => i as u16,
        Action::Crash(i) => 0x4000 | i as u16,
        Action::Tick => 0x8000,
        Action::Choose(i, k) => 0xc000 | (k as u16) << 5 | i as u16,
        Action::Replicate(r) => 0x8100 | r as u16,
        Action::Promote(r) => 0x8200 | r as u16,
        Action::Restart(s) => 0x8300 | s as u16,
        // A spawned thread: client in the low 5 bits, connection slot (< 8) above them.
        Action::Thread(i, t) => 0x8400 | (t as u16) << 5 | i as u16,
    }
}

fn unpack(a: u16) -> Action {
    match a {
        0x8000 => Action::Tick,
        a if a & 0xc000 == 0xc000 => Action::Choose((a & 0x1f) as usize, ((a >> 5) & 0x1ff) as u32),
        a if a & 0xff00 == 0x8100 => Action::Replicate(a as u8),
        a if a & 0xff00 == 0x8200 => Action::Promote(a as u8),
        a if a & 0xff00 == 0x8300 => Action::Restart(a as u8),
        a if a & 0xff00 == 0x8400 => Action::Thread((a & 0x1f) as usize, ((a >> 5) & 0x7) as u8),
        a if a & 0x4000 != 0 => Action::Crash((a & 0x3fff) as usize),
        a => Action::Step(a as usize),
    }
}

/// Whether two id tuples are equal: every id compared, without a call to `memcmp` (a tuple
/// is a few ids, and this runs for nearly every successor).
#[inline]
pub(crate) fn same_ids(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The parent of the start state.
pub(crate) const ROOT: u32 = u32::MAX;

/// The hash of a state's id tuple: chooses its shard (the top bits) and its place there (the
/// low 32, which a [`Table`] slot keeps). FxHash's bits are mixed once more at the end
/// (murmur3's finalizer), so that both ends are evenly spread.
pub(crate) fn hash_ids(ids: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    for &i in ids {
        h.write_u32(i);
    }
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Shards of the visited table, chosen by the hash's top 6 bits (a [`Table`] places a state
/// by the low 32).
const SHARDS: usize = 64;

fn shard_of(h: u64) -> usize {
    (h >> 58) as usize
}

/// How many candidates ahead the merge announces its lookups ([`Table::prefetch`]).
const LOOKAHEAD: usize = 8;

/// In a shard table during a merge ([`Visited::mark_first`]): the entry of a batch's
/// candidate not yet numbered, by its ordinal in the batch. State indices stay below it.
const PROVISIONAL: u32 = 1 << 31;

/// Every state reached, as its parts' ids, with how it was first reached.
///
/// The hash table over the states is split in [`SHARDS`] tables by hash, so that a batch's
/// successors can be looked up and added on every thread at once, each thread owning some
/// shards ([`Visited::mark_first`]), while states are still numbered on one thread in
/// frontier order ([`Visited::push`]): the numbering is the one-threaded search's.
pub(crate) struct Visited {
    pub(crate) parts: Parts,
    keys: Column<u32>,
    parents: Column<u32>,
    actions: Column<u16>,
    /// Each state's sleep set: the clients' steps and crashes its expansion skips
    /// (`crate::checker`'s sleep sets).
    sleep: Column<u64>,
    /// `level_starts[d]`: the index of the first state at depth `d` (BFS adds states in order
    /// of depth).
    level_starts: Vec<u32>,
    shards: Vec<Table>,
    len: u32,
}

/// A batch's successors as the merge sees them: one key of `width` ids per candidate,
/// concatenated, with each key's hash.
pub(crate) struct Batch<'a> {
    pub keys: &'a [u32],
    pub hashes: &'a [u64],
}

impl Batch<'_> {
    fn key(&self, ordinal: usize, width: usize) -> &[u32] {
        &self.keys[ordinal * width..(ordinal + 1) * width]
    }
}

/// Runs `work` once per thread of `workers`, each run owning the shards `s` with
/// `s % threads` its number: `work` gets a table by shard number with its own shards in it
/// and `None` for the others'. The results come back in that order.
fn on_shards<R: Send>(
    shards: &mut [Table],
    workers: &Workers,
    work: impl Fn(&mut [Option<&mut Table>]) -> R + Sync,
) -> Vec<R> {
    let threads = workers.threads().clamp(1, SHARDS);
    let mut owned: Vec<Vec<Option<&mut Table>>> = (0..threads)
        .map(|_| (0..SHARDS).map(|_| None).collect())
        .collect();
    for (s, table) in shards.iter_mut().enumerate() {
        owned[s % threads][s] = Some(table);
    }
    workers.each(owned, |mut mine| work(&mut mine))
}

impl Visited {
    pub(crate) fn new(clients: usize) -> Self {
        Visited {
            parts: Parts::new(clients),
            keys: Column::new(clients + 1),
            parents: Column::new(1),
            actions: Column::new(1),
            sleep: Column::new(1),
            level_starts: Vec::new(),
            shards: (0..SHARDS).map(|_| Table::new()).collect(),
            len: 0,
        }
    }

    /// Width of a key: one id per part.
    pub(crate) fn key_len(&self) -> usize {
        self.keys.width
    }

    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Adds the state `key`, reached from `parent` by `action` at `depth` with sleep set
    /// `sleep`, if it is new; its index then. Depths must not decrease from one insertion to
    /// the next.
    pub(crate) fn insert(
        &mut self,
        key: &[u32],
        parent: u32,
        action: Action,
        depth: usize,
        sleep: u64,
    ) -> Option<u32> {
        let h = hash_ids(key);
        let keys = &self.keys;
        // One probe: the state is entered under the index it will get, if it is new.
        let new = self.shards[shard_of(h)].insert_new(h, self.len, |i| same_ids(keys.get(i), key));
        new.then(|| self.push(key, parent, action, depth, sleep))
    }

    /// Numbers a new state (one that [`Visited::mark_first`] marked first) without touching
    /// the table: its index. Depths must not decrease from one call to the next.
    pub(crate) fn push(
        &mut self,
        key: &[u32],
        parent: u32,
        action: Action,
        depth: usize,
        sleep: u64,
    ) -> u32 {
        let idx = self.len;
        assert!(
            idx < PROVISIONAL,
            "more states than the visited set indexes"
        );
        self.keys.push(key);
        self.parents.push(&[parent]);
        self.actions.push(&[pack(action)]);
        self.sleep.push(&[sleep]);
        while self.level_starts.len() <= depth {
            self.level_starts.push(idx);
        }
        self.len += 1;
        idx
    }

    /// State `idx`'s sleep set (see [`Visited::insert`]).
    pub(crate) fn sleep(&self, idx: u32) -> u64 {
        self.sleep.get(idx)[0]
    }

    /// The merge's parallel half: which of `batch`'s candidates is the first of its state in
    /// candidate order (a state visited before the batch has no first), on every thread of
    /// `workers`, each owning some shards ([`on_shards`]). A first one is entered in its
    /// shard under a provisional number; `place` (emptied first) gets its place there (`None`
    /// for the others), where [`Visited::number`] gives it its index.
    pub(crate) fn mark_first(
        &mut self,
        batch: &Batch<'_>,
        workers: &Workers,
        place: &mut Vec<Option<u32>>,
    ) {
        let width = self.keys.width;
        let n = batch.hashes.len();
        assert!(
            n + 1 < PROVISIONAL as usize,
            "a batch's candidates fit the provisional numbers"
        );
        let keys = &self.keys;
        let entry_key = |e: u32| -> &[u32] {
            if e & PROVISIONAL != 0 {
                batch.key((e & !PROVISIONAL) as usize, width)
            } else {
                keys.get(e)
            }
        };
        let lists = on_shards(&mut self.shards, workers, |tables| {
            // Room for the whole batch first: no table grows during it, so places stay put.
            let mut more = [0usize; SHARDS];
            for &h in batch.hashes {
                more[shard_of(h)] += 1;
            }
            for (s, table) in tables.iter_mut().enumerate() {
                if let Some(t) = table.as_deref_mut() {
                    t.reserve(more[s]);
                }
            }
            let mut first = Vec::new();
            for (o, &h) in batch.hashes.iter().enumerate() {
                // A lookup announced a few candidates ahead overlaps the ones before it.
                if let Some(&ahead) = batch.hashes.get(o + LOOKAHEAD) {
                    if let Some(t) = tables[shard_of(ahead)].as_deref() {
                        t.prefetch(ahead);
                    }
                }
                let Some(table) = tables[shard_of(h)].as_deref_mut() else {
                    continue;
                };
                let key = batch.key(o, width);
                if table.find(h, |e| same_ids(entry_key(e), key)).is_none() {
                    let at = table.insert_unique(h, PROVISIONAL | o as u32);
                    first.push((o as u32, at as u32));
                }
            }
            first
        });
        place.clear();
        place.resize(n, None);
        for (o, at) in lists.into_iter().flatten() {
            place[o as usize] = Some(at);
        }
    }

    /// The merge's last half: the provisional entries [`Visited::mark_first`] made (at
    /// `place`) take the indices the states got (`index[o]` for candidate `o`, `None` for one
    /// that was not numbered because the search stopped first; its entry is removed).
    pub(crate) fn number(
        &mut self,
        batch: &Batch<'_>,
        place: &[Option<u32>],
        index: &[Option<u32>],
        workers: &Workers,
    ) {
        on_shards(&mut self.shards, workers, |tables| {
            let mut unnumbered = Vec::new();
            for (o, &h) in batch.hashes.iter().enumerate() {
                let (Some(at), Some(table)) = (place[o], tables[shard_of(h)].as_deref_mut()) else {
                    continue;
                };
                match index[o] {
                    Some(idx) => table.renumber_at(at as usize, idx),
                    None => unnumbered.push(o),
                }
            }
            // Removing moves other slots: only after every place above was used.
            for o in unnumbered {
                let h = batch.hashes[o];
                if let Some(table) = tables[shard_of(h)].as_deref_mut() {
                    let removed = table.renumber(h, PROVISIONAL | o as u32, None);
                    debug_assert!(removed, "a first candidate has its entry");
                }
            }
        });
    }

    pub(crate) fn key(&self, idx: u32) -> &[u32] {
        self.keys.get(idx)
    }

    pub(crate) fn depth(&self, idx: u32) -> usize {
        self.level_starts.partition_point(|&s| s <= idx) - 1
    }

    /// The actions from the start to state `idx`.
    pub(crate) fn path_to(&self, mut idx: u32) -> Vec<Action> {
        let mut path = Vec::new();
        while self.parents.get(idx)[0] != ROOT {
            path.push(unpack(self.actions.get(idx)[0]));
            idx = self.parents.get(idx)[0];
        }
        path.reverse();
        path
    }
}
