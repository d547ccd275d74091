//! The run that follows a reply, found without a memo lookup.
//!
//! A client step reads its reply (the memo's outcome over the trail and that reply) and then
//! settles (the outcome over the trail that run left, at the same time): the second is a
//! function of the first. So a kept [`Outcome`] remembers it, once computed, in
//! [`Outcome::follow`], and the thread that just made a run over a reply notes it here; the
//! settle that comes next on that thread takes the note and, if it asks about exactly that
//! run's trail, for the same client and time, of the same memo, gets the follow-up from it.
//!
//! 1. `note(memo, me, now, o)`: after a run over a reply, on this thread (only for kept
//!    outcomes, and clients whose token fits the note).
//! 2. `take(memo, me, now, trail)`: the noted outcome, if the note is for this memo
//!    (by its generation: a memo dropped and another made at its address never matches),
//!    this client (its index, token and parameters, compared by content), this time and
//!    this trail (by address: the memo keeps the trails its outcomes leave). The note is
//!    cleared either way.
//!
//! The follow-up is only a cache: it is the memo's answer for `(client, now, trail)`, made by
//! the memo the first time and then kept, so a step takes the same path with or without it.

use super::memo::{Memo, Outcome};
use crate::recipe::{ClientCtx, Params};
use std::cell::Cell;

/// Tokens longer than this get no note (the catalogue's are a letter or two).
const TOKEN: usize = 8;

#[derive(Clone, Copy)]
struct Note {
    memo: u64,
    index: usize,
    params: (u16, u64),
    token: ([u8; TOKEN], usize),
    now: u64,
    trail: usize,
    outcome: *const Outcome,
}

thread_local! {
    static LAST: Cell<Option<Note>> = const { Cell::new(None) };
}

fn token_of(token: &str) -> Option<([u8; TOKEN], usize)> {
    let b = token.as_bytes();
    (b.len() <= TOKEN).then(|| {
        let mut t = [0u8; TOKEN];
        t[..b.len()].copy_from_slice(b);
        (t, b.len())
    })
}

fn params_of(p: &Params) -> (u16, u64) {
    let Params { retries, lease } = *p;
    (retries, lease)
}

/// Notes that this thread's last run over a reply was `o`, kept by `memo`, for `me` at `now`.
pub(super) fn note(memo: &Memo, me: &ClientCtx, now: u64, o: &Outcome) {
    let note = token_of(&me.token).map(|token| Note {
        memo: memo.generation(),
        index: me.index,
        params: params_of(&me.params),
        token,
        now,
        trail: o.trail.addr(),
        outcome: o,
    });
    LAST.with(|l| l.set(note));
}

/// The outcome noted for exactly this memo, client, time and trail, if any (see the module
/// doc); the note is cleared.
pub(super) fn take<'m>(
    memo: &'m Memo,
    me: &ClientCtx,
    now: u64,
    trail: usize,
) -> Option<&'m Outcome> {
    let n = LAST.with(|l| l.take())?;
    let same = n.memo == memo.generation()
        && n.index == me.index
        && n.now == now
        && n.trail == trail
        && n.params == params_of(&me.params)
        && token_of(&me.token) == Some(n.token);
    // SAFETY: the note's outcome is kept by the memo of that generation, which is `memo`
    // (generations are never reused), and a kept outcome lives as long as its memo.
    same.then(|| unsafe { &*n.outcome })
}
