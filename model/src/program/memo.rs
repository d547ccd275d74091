//! What a program does over a given trail, remembered: the runtime's answer to "run it again
//! from the start" without running it again.
//!
//! A program is a pure function of its client's identity, the trail and the clock reading it
//! is run at (the recipe contract's determinism rule, which the runner checks on every run it
//! does make). So one run per distinct `(client, now, trail)` is enough: the [`Memo`] keeps the
//! run's result — the trail it left (compacted retry loops, appended clock readings), the
//! events, the pending call — and hands it back whenever the same key comes again. The
//! search meets the same client states over and over (a client's state is shared by all the
//! worlds that differ only in the other clients), so nearly every step is answered here.
//!
//! Contract:
//! - `get(key)`: the result stored for exactly this key (the whole trail, the time and the
//!   client's identity are compared, not a hash of them), or nothing.
//! - `put(key, result)`: stores it, unless the memo holds [`CAPACITY`] results already; then
//!   the program simply runs again each time (memory stays bounded whatever the search does).
//! - Only runs that kept the contract are stored: a broken contract raises before `put`.
//!
//! The table is split in shards, each behind its own lock, so that the search's threads
//! rarely wait for each other.

use super::client::Pending;
use crate::recipe::{ClientCtx, Event, Input};
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The most results one program's memo keeps (beyond it, runs are not remembered): a result
/// is a few hundred bytes, so a memo stays under ~50 MB whatever the search. The catalogue's
/// graphs need hundreds to a few thousand (one per distinct client state, and one per reply a
/// client state can read).
pub(crate) const CAPACITY: usize = 1 << 16;

const SHARDS: usize = 16;

/// What one run over a trail found.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The trail the run left (retry loops compacted, clock readings appended).
    pub trail: crate::shared::Shared<Vec<Input>>,
    /// Events taking effect with the trail's last reply.
    pub events: Vec<Event>,
    /// Events taking effect with the next command (`exit`).
    pub deferred: Vec<Event>,
    /// What the program waits on (a call, a sleep, a choice); `None` once it has ended.
    pub pending: Option<Pending>,
    /// Whether no reply (or retry mark) was in the trail: the program's first step.
    pub first_step: bool,
}

struct Entry {
    hash: u64,
    index: usize,
    token: String,
    params: crate::recipe::Params,
    now: u64,
    trail: Vec<Input>,
    outcome: Arc<Outcome>,
}

/// A key: the trail as given, followed by one more input (the reply just read) if any; so
/// that a step can be looked up before its reply is appended.
#[derive(Clone, Copy)]
pub(crate) struct Trail<'a> {
    pub given: &'a [Input],
    pub then: Option<&'a Input>,
}

impl Trail<'_> {
    fn len(&self) -> usize {
        self.given.len() + usize::from(self.then.is_some())
    }

    fn is(&self, whole: &[Input]) -> bool {
        whole.len() == self.len()
            && whole[..self.given.len()] == *self.given
            && self.then.is_none_or(|t| *t == whole[self.given.len()])
    }

    pub(crate) fn to_vec(self) -> Vec<Input> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(self.given);
        v.extend(self.then.cloned());
        v
    }
}

impl Entry {
    fn is(&self, me: &ClientCtx, now: u64, trail: Trail<'_>) -> bool {
        self.now == now
            && self.index == me.index
            && self.token == me.token
            && self.params == me.params
            && trail.is(&self.trail)
    }
}

/// Remembered runs of one program; see the module doc.
pub(crate) struct Memo {
    shards: Vec<Mutex<HashTable<Entry>>>,
    len: AtomicUsize,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("len", &self.len.load(Ordering::Relaxed))
            .finish()
    }
}

fn key_hash(me: &ClientCtx, now: u64, trail: Trail<'_>) -> u64 {
    let mut h = FxHasher::default();
    me.index.hash(&mut h);
    me.token.hash(&mut h);
    me.params.hash(&mut h);
    now.hash(&mut h);
    h.write_usize(trail.len());
    for input in trail.given.iter().chain(trail.then) {
        input.hash(&mut h);
    }
    h.finish()
}

impl Memo {
    pub(crate) fn new() -> Memo {
        Memo {
            shards: (0..SHARDS).map(|_| Mutex::new(HashTable::new())).collect(),
            len: AtomicUsize::new(0),
        }
    }

    fn shard(&self, hash: u64) -> std::sync::MutexGuard<'_, HashTable<Entry>> {
        // The top bits pick the shard; the table uses the low ones.
        let s = &self.shards[(hash >> 60) as usize % SHARDS];
        s.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The result of running client `me`'s program over `trail` at `now`, if remembered.
    pub(crate) fn get(&self, me: &ClientCtx, now: u64, trail: Trail<'_>) -> Option<Arc<Outcome>> {
        let hash = key_hash(me, now, trail);
        let table = self.shard(hash);
        table
            .find(hash, |e| e.hash == hash && e.is(me, now, trail))
            .map(|e| Arc::clone(&e.outcome))
    }

    /// Remembers `outcome` as the result over `trail` at `now` (see the module doc).
    pub(crate) fn put(&self, me: &ClientCtx, now: u64, trail: Trail<'_>, outcome: Arc<Outcome>) {
        if self.len.load(Ordering::Relaxed) >= CAPACITY {
            return;
        }
        let hash = key_hash(me, now, trail);
        let mut table = self.shard(hash);
        if table
            .find(hash, |e| e.hash == hash && e.is(me, now, trail))
            .is_some()
        {
            return; // another thread ran it meanwhile
        }
        self.len.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            hash,
            index: me.index,
            token: me.token.clone(),
            params: me.params.clone(),
            now,
            trail: trail.to_vec(),
            outcome,
        };
        table.insert_unique(hash, entry, |e| e.hash);
    }
}
