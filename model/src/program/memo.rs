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
//! Trails are kept once per content ([`Memo::keep`]): a run's resulting trail is the kept
//! allocation with its content, so the search's clients carry kept trails, and a key names its
//! trail by that allocation's address. An entry holds its trail, so no other trail can have that
//! address while the entry exists: equal addresses are the same trail, and a lookup hashes and
//! compares a pointer instead of every reply in the trail.
//!
//! Contract:
//! - `get(key)`: the result stored for exactly this key (the trail — by identity, or by
//!   content through the kept trail equal to it —, the input after it, the time and the
//!   client's identity are compared, not a hash of them), or nothing.
//! - `put(key, result)`: stores it, unless the memo holds [`CAPACITY`] results already; then
//!   the program simply runs again each time (memory stays bounded whatever the search does).
//! - Only runs that kept the contract are stored: a broken contract raises before `put`.
//!
//! The table is read without a lock ([`AppendOnly`]): the search's threads read it on every
//! step and do not take turns owning a lock's cache line.

use super::append_only::AppendOnly;
use super::client::Pending;
use crate::recipe::{ClientCtx, Event, Input};
use crate::reply::Reply;
use crate::shared::Shared;
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// The most results one program's memo keeps (beyond it, runs are not remembered): a result
/// is a few hundred bytes, so a memo stays under ~50 MB whatever the search. The catalogue's
/// graphs need hundreds to a few thousand (one per distinct client state, and one per reply a
/// client state can read).
pub(crate) const CAPACITY: usize = 1 << 16;

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
    /// The spawned threads' next steps and their `exit`s not yet carried (see
    /// [`super::client::ThreadHarvest`]).
    pub threads: Vec<super::client::ThreadHarvest>,
    /// Once known, the outcome over `trail` itself, for the same client at the same time
    /// (kept by the same memo): what the step that settles after this run asks for
    /// ([`super::follow`]). Null until then.
    pub follow: std::sync::atomic::AtomicPtr<Outcome>,
}

struct Entry {
    index: usize,
    token: String,
    params: crate::recipe::Params,
    now: u64,
    /// The trail as given; held here, so no other trail can take its address while the
    /// entry exists (entries are never removed).
    given: Shared<Vec<Input>>,
    then: Vec<Input>,
    /// Lookups hand out references to it for as long as the memo lives (entries never move
    /// and are never removed: [`AppendOnly`]).
    outcome: Outcome,
}

/// An outcome as the memo gives it: one it keeps (alive as long as the memo), or one it had
/// no room for.
pub(crate) enum Got<'m> {
    Kept(&'m Outcome),
    Fresh(Box<Outcome>),
}

impl std::ops::Deref for Got<'_> {
    type Target = Outcome;
    fn deref(&self) -> &Outcome {
        match self {
            Got::Kept(o) => o,
            Got::Fresh(o) => o,
        }
    }
}

/// Whether two (short) strings are equal, without a call to `memcmp`: a client's token is a
/// letter or two, and this runs on every step.
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// A key: the trail as given, followed by the input just read if any (the reply, with a
/// spawned thread's mark before it); so that a step can be looked up before its reply is
/// appended.
#[derive(Clone, Copy)]
pub(crate) struct Trail<'a> {
    pub given: &'a Shared<Vec<Input>>,
    pub then: Then<'a>,
}

/// What follows the given trail in a key: a spawned thread's mark, then the input just read.
/// The reply is borrowed, not copied into an [`Input`]: the key is looked up on every step.
#[derive(Clone, Copy, Default)]
pub(crate) struct Then<'a> {
    pub thread: Option<u8>,
    pub input: Option<Read<'a>>,
}

/// The input just read, borrowed.
#[derive(Clone, Copy)]
pub(crate) enum Read<'a> {
    Reply(&'a Reply),
    Input(&'a Input),
}

impl Then<'_> {
    fn len(&self) -> usize {
        usize::from(self.thread.is_some()) + usize::from(self.input.is_some())
    }

    /// The inputs, owned.
    fn extend(&self, v: &mut Vec<Input>) {
        v.extend(self.thread.map(Input::Thread));
        match self.input {
            Some(Read::Reply(r)) => v.push(Input::Reply(r.clone())),
            Some(Read::Input(i)) => v.push(i.clone()),
            None => {}
        }
    }

    pub(crate) fn to_vec(self) -> Vec<Input> {
        let mut v = Vec::with_capacity(self.len());
        self.extend(&mut v);
        v
    }

    /// Whether `stored` is these inputs (a reply compares as `Input::Reply` of it).
    fn is(&self, stored: &[Input]) -> bool {
        if stored.len() != self.len() {
            return false;
        }
        let mut rest = stored.iter();
        if let Some(t) = self.thread {
            if rest.next() != Some(&Input::Thread(t)) {
                return false;
            }
        }
        match (self.input, rest.next()) {
            (Some(Read::Reply(r)), Some(Input::Reply(s))) => r == s,
            (Some(Read::Input(i)), Some(s)) => i == s,
            (None, None) => true,
            _ => false,
        }
    }

    /// Hashes the inputs; equal inputs hash equally, however the reply is held.
    fn hash_into(&self, h: &mut FxHasher) {
        if let Some(t) = self.thread {
            h.write_u8(2);
            h.write_u8(t);
        }
        match self.input {
            Some(Read::Reply(r)) | Some(Read::Input(Input::Reply(r))) => {
                h.write_u8(0);
                r.hash(h);
            }
            Some(Read::Input(i)) => {
                h.write_u8(1);
                i.hash(h);
            }
            None => {}
        }
    }
}

impl Trail<'_> {
    pub(crate) fn to_vec(self) -> Vec<Input> {
        let mut v = Vec::with_capacity(self.given.len() + self.then.len());
        v.extend_from_slice(self.given);
        self.then.extend(&mut v);
        v
    }
}

impl Entry {
    fn is(&self, me: &ClientCtx, now: u64, trail: Trail<'_>) -> bool {
        Shared::ptr_eq(&self.given, trail.given)
            && self.now == now
            && self.index == me.index
            && self.params == me.params
            && trail.then.is(&self.then)
            && same_text(&self.token, &me.token)
    }
}

/// Remembered runs of one program; see the module doc.
pub(crate) struct Memo {
    /// This memo's number, never reused in the process ([`super::follow`] tells memos apart
    /// by it).
    generation: u64,
    /// Read without a lock on every step ([`AppendOnly`]).
    table: AppendOnly<Entry>,
    /// Every trail the memo keeps, once per content, with its hash: runs that give or leave
    /// equal trails share one allocation.
    trails: Mutex<HashTable<(u64, Shared<Vec<Input>>)>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("len", &self.table.len())
            .finish()
    }
}

/// The hash of a key: the given trail by address (see the module doc), the rest by value.
fn key_hash(me: &ClientCtx, now: u64, trail: Trail<'_>) -> u64 {
    let mut h = FxHasher::default();
    h.write_usize(trail.given.addr());
    me.index.hash(&mut h);
    now.hash(&mut h);
    trail.then.hash_into(&mut h);
    h.finish()
}

fn content_hash(inputs: &[Input]) -> u64 {
    let mut h = FxHasher::default();
    inputs.hash(&mut h);
    h.finish()
}

impl Memo {
    pub(crate) fn new() -> Memo {
        static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Memo {
            generation: GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            table: AppendOnly::new(),
            trails: Mutex::new(HashTable::new()),
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    fn find(&self, me: &ClientCtx, now: u64, trail: Trail<'_>) -> Option<&Outcome> {
        let hash = key_hash(me, now, trail);
        self.table
            .find(hash, |e| e.is(me, now, trail))
            .map(|e| &e.outcome)
    }

    /// The trail the memo keeps with `inputs`' content, if it keeps one.
    fn kept(&self, inputs: &[Input]) -> Option<Shared<Vec<Input>>> {
        let h = content_hash(inputs);
        let trails = self.trails.lock().unwrap_or_else(|p| p.into_inner());
        trails
            .find(h, |(th, t)| *th == h && ***t == *inputs)
            .map(|(_, t)| t.clone())
    }

    /// The trail the memo keeps with `trail`'s content: `trail` itself when the memo keeps
    /// none yet (it is then kept, while the memo has room).
    pub(crate) fn keep(&self, trail: Shared<Vec<Input>>) -> Shared<Vec<Input>> {
        // Counted: a trail lent by the search's store would not outlive the store, and an
        // entry's trail must hold its address for as long as the memo lives.
        let trail = if trail.is_lent() {
            trail.counted()
        } else {
            trail
        };
        let h = content_hash(&trail);
        let mut trails = self.trails.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, t)) = trails.find(h, |(th, t)| *th == h && **t == *trail) {
            return t.clone();
        }
        if trails.len() < 2 * CAPACITY {
            trails.insert_unique(h, (h, trail.clone()), |(th, _)| *th);
        }
        trail
    }

    /// The result of running client `me`'s program over `trail` at `now`, if remembered.
    pub(crate) fn get(&self, me: &ClientCtx, now: u64, trail: Trail<'_>) -> Option<&Outcome> {
        if let Some(o) = self.find(me, now, trail) {
            return Some(o);
        }
        // An equal trail in another allocation (a renamed client, a fresh start): ask again
        // with the one the memo keeps.
        let kept = self.kept(trail.given)?;
        if Shared::ptr_eq(&kept, trail.given) {
            return None;
        }
        let trail = Trail {
            given: &kept,
            then: trail.then,
        };
        self.find(me, now, trail)
    }

    /// Remembers `outcome` as the result over `trail` at `now` (see the module doc), and
    /// hands it back (the one another thread stored meanwhile, if it did).
    pub(crate) fn put(
        &self,
        me: &ClientCtx,
        now: u64,
        trail: Trail<'_>,
        outcome: Box<Outcome>,
    ) -> Got<'_> {
        let given = self.keep(trail.given.clone());
        let trail = Trail {
            given: &given,
            then: trail.then,
        };
        let hash = key_hash(me, now, trail);
        let made = self.table.insert(
            hash,
            |e| e.is(me, now, trail),
            CAPACITY,
            || Entry {
                index: me.index,
                token: me.token.clone(),
                params: me.params.clone(),
                now,
                given: given.clone(),
                then: trail.then.to_vec(),
                outcome: *outcome,
            },
        );
        match made {
            // Stored now, or by another thread meanwhile.
            Ok(e) => Got::Kept(&e.outcome),
            Err(e) => Got::Fresh(Box::new(e.outcome)),
        }
    }
}
