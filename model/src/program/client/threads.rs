//! The handle's threads (`c:spawn`): which thread the trail's next input belongs to, where a
//! spawned thread waits, and which of its `exit`s are news.
//!
//! Contract:
//! 1. A spawned thread's inputs are marked in the trail ([`Input::Thread`] before each); the
//!    main thread's are not, so a one-thread trail is exactly what it was before threads.
//! 2. A verb of the current thread (`set_thread`) is answered only by an input of its own
//!    ([`Peek::Mine`]); another thread's input next means the driver must switch threads
//!    (`next_owner`), the end of the trail means the thread waits (`wait_on`).
//! 3. Events stated with a reply are news when stated after the trail's last reply (only the
//!    thread that read it runs there); an `exit` is news when stated after its own thread's
//!    last reply, wake-up or choice, since other threads may have stepped meanwhile.

use super::{is_boundary, Client, Pending};
use crate::recipe::{Event, Input};

/// What a run left of one spawned thread.
#[derive(Debug)]
pub(crate) struct ThreadHarvest {
    /// Its connection slot (its name is that connection's).
    pub slot: u8,
    /// Its next step; `None` once its function has returned.
    pub pending: Option<Pending>,
    /// Its `exit`s not yet carried by a step of its own.
    pub deferred: Vec<Event>,
}

/// Whose input the trail holds next.
pub(super) enum Peek<'t> {
    /// The current thread's: the input, and how many trail entries it takes (1, or 2 with
    /// its thread mark).
    Mine(&'t Input, usize),
    /// Another thread's.
    Other,
    /// None: the trail is consumed.
    End,
}

/// Whether the trail holds a thread mark, and per thread slot the position after that
/// thread's last reply (or wake-up, choice): see rule 3 of the module doc.
pub(super) fn freshness(trail: &[Input]) -> (bool, Vec<(u8, usize)>) {
    let threaded = trail.iter().any(|i| matches!(i, Input::Thread(_)));
    let mut thread_fresh: Vec<(u8, usize)> = Vec::new();
    if threaded {
        let mut owner = 0u8;
        for (p, input) in trail.iter().enumerate() {
            if let Input::Thread(t) = input {
                owner = *t;
                continue;
            }
            if is_boundary(input) {
                match thread_fresh.iter_mut().find(|(t, _)| *t == owner) {
                    Some(f) => f.1 = p + 1,
                    None => thread_fresh.push((owner, p + 1)),
                }
            }
            owner = 0;
        }
    }
    (threaded, thread_fresh)
}

impl Client<'_> {
    /// Answers thread `slot`'s verbs from now on (the Lua front end's scheduler).
    pub(crate) fn set_thread(&mut self, slot: u8) {
        self.thread = slot;
    }

    /// Whose input the trail holds next: `Some(slot)` of the thread it belongs to, or `None`
    /// when the trail is consumed.
    pub(crate) fn next_owner(&self) -> Option<u8> {
        match self.trail.get(self.pos)? {
            Input::Thread(t) => Some(*t),
            _ => Some(0),
        }
    }

    /// Starts thread `name` (one of the program's connections, not the first): its events
    /// and steps are its own from now on. Returns its slot.
    pub(crate) fn spawn(&mut self, name: &str) -> Result<u8, String> {
        let Some(slot) = self.connections.iter().position(|c| *c == name) else {
            return Err(format!(
                "c:spawn({name:?}): a thread runs on a connection of its own, one of {:?}",
                self.connections
            ));
        };
        if slot >= 8 {
            // The visited set packs a thread's action with its slot in three bits.
            return Err(format!(
                "c:spawn({name:?}): a thread runs on one of the first 8 connections"
            ));
        }
        if slot == 0 || self.thread != 0 {
            return Err(format!(
                "c:spawn({name:?}): only the main thread spawns, and not on its first connection"
            ));
        }
        let slot = slot as u8;
        if self.harvest.threads.iter().any(|t| t.slot == slot) {
            return Err(format!("c:spawn({name:?}): the thread is already running"));
        }
        self.harvest.threads.push(ThreadHarvest {
            slot,
            pending: None,
            deferred: Vec::new(),
        });
        self.event(Event::Spawned {
            thread: name.to_string(),
            slot,
        });
        Ok(slot)
    }

    pub(super) fn peek(&self) -> Peek<'_> {
        match (self.trail.get(self.pos), self.thread) {
            (None, _) => Peek::End,
            (Some(Input::Thread(t)), me) if *t == me => match self.trail.get(self.pos + 1) {
                Some(input) => Peek::Mine(input, 2),
                None => Peek::End,
            },
            (Some(Input::Thread(_)), _) => Peek::Other,
            (Some(input), 0) => Peek::Mine(input, 1),
            (Some(_), _) => Peek::Other,
        }
    }

    /// The current thread waits on `pending`.
    pub(super) fn wait_on(&mut self, pending: Pending) {
        let me = self.thread;
        if me == 0 {
            self.harvest.pending = Some(pending);
        } else if let Some(t) = self.harvest.threads.iter_mut().find(|t| t.slot == me) {
            t.pending = Some(pending);
        }
    }

    /// Whether the current thread already waits on a step.
    pub(super) fn waiting(&self) -> bool {
        let me = self.thread;
        if me == 0 {
            return self.harvest.pending.is_some();
        }
        self.harvest
            .threads
            .iter()
            .any(|t| t.slot == me && t.pending.is_some())
    }

    /// Whether an `exit` stated now is news: stated after the current thread's last step.
    pub(super) fn exit_is_fresh(&self) -> bool {
        if !self.threaded {
            return self.is_fresh();
        }
        let from = self
            .thread_fresh
            .iter()
            .find(|(t, _)| *t == self.thread)
            .map_or(0, |f| f.1);
        self.pos >= from
    }
}
