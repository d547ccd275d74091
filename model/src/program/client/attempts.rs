//! The handle's retry loop (`attempts`): each attempt learns nothing from earlier ones but its
//! number, and the code after the loop nothing but its [`Outcome`], so the runtime replaces
//! what a finished attempt (or the whole loop) received by one mark in the trail.

use super::Client;
use crate::program::Flow;
use crate::recipe::Input;

/// What ends a retry loop: a value small enough to be remembered in its place.
pub trait Outcome: Copy {
    fn encode(self) -> u32;
    fn decode(code: u32) -> Self;
}

impl Outcome for () {
    fn encode(self) -> u32 {
        0
    }
    fn decode(_: u32) -> Self {}
}

impl Outcome for bool {
    fn encode(self) -> u32 {
        self as u32
    }
    fn decode(code: u32) -> Self {
        code != 0
    }
}

impl Outcome for u8 {
    fn encode(self) -> u32 {
        self as u32
    }
    fn decode(code: u32) -> Self {
        code as u8
    }
}

impl Outcome for u32 {
    fn encode(self) -> u32 {
        self
    }
    fn decode(code: u32) -> Self {
        code
    }
}

/// Where a retry loop stands when a run reaches it.
pub(crate) enum Loop {
    /// It ended on an earlier run, with this outcome.
    Ended(Option<u32>),
    /// It runs from trail position `start`, at this attempt.
    At { start: usize, attempt: usize },
}

impl Client<'_> {
    /// Up to `n` attempts of `body` (given the attempt number, from 0) until one returns
    /// `Some(outcome)`: the retry loop of WATCH transactions and lock acquisition. Returns the
    /// outcome that ended the loop, or `None` when all `n` attempts asked for another.
    ///
    /// `body` is `Fn` and answers with a small [`Outcome`] (`()`, `bool`, an integer): an
    /// attempt learns nothing from earlier ones but its number, and the code after the loop
    /// nothing but the outcome. So the runtime forgets what a failed attempt received, and
    /// what the whole loop received once it has ended: two clients at the same point with the
    /// same live history are one state.
    pub fn attempts<T: Outcome>(
        &mut self,
        n: usize,
        body: impl Fn(&mut Self, usize) -> Flow<Option<T>>,
    ) -> Flow<Option<T>> {
        let (start, mut k) = match self.attempts_begin() {
            Loop::Ended(code) => return Ok(code.map(T::decode)),
            Loop::At { start, attempt } => (start, attempt),
        };
        while k < n {
            if let Some(t) = body(self, k)? {
                self.attempts_end(start, Some(t.encode()));
                return Ok(Some(t));
            }
            k += 1;
            self.attempts_failed(start, k);
        }
        self.attempts_end(start, None);
        Ok(None)
    }

    /// Enters a retry loop: where it starts in the trail and the attempt to run, or, if the
    /// loop has already ended on an earlier run, how.
    pub(crate) fn attempts_begin(&mut self) -> Loop {
        let start = self.pos;
        if self.threaded || !self.harvest.threads.is_empty() {
            // Compacting a loop's inputs would drop the other threads' inputs among them.
            self.broken(
                "c:attempts cannot run once a thread is spawned: write the loop with `for`".into(),
            );
        }
        match self.trail.get(self.pos) {
            Some(Input::Attempted(ok)) => {
                self.pos += 1;
                Loop::Ended(*ok)
            }
            Some(Input::Attempt(a)) => {
                self.pos += 1;
                Loop::At {
                    start,
                    attempt: *a as usize,
                }
            }
            _ => Loop::At { start, attempt: 0 },
        }
    }

    /// The loop that began at `start` goes on to attempt `k`.
    pub(crate) fn attempts_failed(&mut self, start: usize, k: usize) {
        self.compact(start, Input::Attempt(k as u32));
    }

    /// The loop that began at `start` has ended, with this outcome.
    pub(crate) fn attempts_end(&mut self, start: usize, outcome: Option<u32>) {
        self.compact(start, Input::Attempted(outcome));
    }

    /// Replaces what the trail received since `start` (now dead) by `mark`.
    fn compact(&mut self, start: usize, mark: Input) {
        let dropped_last_reply = self.fresh_from > start;
        self.trail.splice(start..self.pos, [mark]);
        self.pos = start + 1;
        if dropped_last_reply {
            self.fresh_from = self.pos;
        }
    }
}
