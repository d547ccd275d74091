//! Sleep sets: a state skips the client steps that would only reach, by a path of the same
//! length, a state the search reaches anyway (Godefroid's sleep sets, on a breadth-first
//! search). Every state is still reached, at its depth, and first reached from the same parent
//! by the same action, so verdicts, state counts, depths and counterexamples do not change;
//! what changes is how many successors are computed (`benches/reductions.rs` measures it: on
//! `counter/watch-retry` with 5 clients and 2 retries, without symmetry, 2.71 M → about half).
//!
//! Two actions `a` and `b` are **independent at `s`** when their footprints say so
//! ([`crate::system::independent`]): then `s·a·b = s·b·a`, and each leaves the other enabled.
//! The search, in frontier order, each state `t` carrying a set `Z(t)` of client steps:
//! 1. The start state's set is empty.
//! 2. `t` steps every enabled action not in `Z(t)`, in the enabled order.
//! 3. The successor `t·b` is given the set of every step `a` in `Z(t)` or stepped by `t`
//!    before `b` that is independent of `b` at `t`.
//! 4. A state keeps the set given by the step that first reached it; later paths to it
//!    change nothing.
//!
//! **Why nothing is lost.** Claim: for every state `t` and `a` in `Z(t)`, the state `t·a` has
//! been reached before `t` is expanded. By induction on the order in which states are first
//! reached. Let `(s, b)` be the step that first reached `t`; `a` is independent of `b` at
//! `s`, so `t·a = s·a·b`.
//! - If `s` stepped `a` before `b`: `v = s·a` was reached before `t` was (at `(s, a)` or
//!   earlier), so it is expanded before `t`. If `v` steps `b`, `t·a = v·b` is reached then;
//!   if `b` is in `Z(v)`, the claim for `v` (reached before `t`) says `v·b` was reached before
//!   `v` was expanded.
//! - If `a` is in `Z(s)`: by the claim for `s`, `v = s·a` was reached before `s` was expanded,
//!   so before `t` was reached; the same two cases for `v` and `b` follow.
//!
//! So every enabled step of every state either is taken or leads to a state reached before
//! the step would have been taken: every state is reached at its breadth-first depth. And the
//! first path to each state is the same as without sleep sets: if the step that first reaches
//! `u` in the full search, `(p, c)`, were skipped, `u` would have been reached before `p` was
//! expanded, by a step of a state expanded before `p` — which the full search takes too, so
//! `(p, c)` would not be first. By induction over the states in order, both searches number
//! the states alike. (A state's set could be narrowed to what all its shortest paths agree
//! on; the claim does not need it, and every set skips only what it may.)
//!
//! A sleep set is a bit mask over clients' steps and crashes (bit `i`: `Action::Step(i)`,
//! bit `32 + i`: `Action::Crash(i)`); no other action is ever independent. Searches with more
//! than 32 clients, or with sleep sets turned off (`Limits::sleep_sets`), give every state the
//! empty set: the full search.
//!
//! **Not with symmetry reduction.** The proof needs `t·a`, reached by two paths, to be one
//! stored state. Under symmetry reduction a state is stored as its orbit's canonical world,
//! and the canonical world is not unique per orbit: clients are ordered by a signature that
//! compares their states with their own tokens in them, so two renamings of one world can
//! canonicalize differently (sound for symmetry reduction — each is a renaming of the world
//! it stands for — but then the second path may end in another representative). Measured
//! with `benches/reductions.rs -- --symmetry`: sleep sets renamed along with the worlds reach
//! other states in 10 of 390 searches of the catalogue. So a symmetric search gives every
//! state the empty set.

use crate::system::{independent, Action, Footprint, System};
use crate::world::World;

/// A mask has 32 bits for steps and 32 for crashes: sleep sets apply to systems of at most
/// this many clients.
pub(super) const MAX_CLIENTS: usize = 32;

/// A state's footprints, made once per expanded state and asked for each successor.
pub(super) struct Sleeper<'s> {
    system: &'s System,
    on: bool,
    /// The footprint of each enabled action that has a bit ([`bit`]), by bit.
    prints: Vec<Option<Footprint>>,
    /// The bits whose footprint is set.
    set: u64,
}

/// Whether `mask` skips `action`.
#[inline]
pub(super) fn skips(mask: u64, action: Action) -> bool {
    mask & bit(action) != 0
}

/// The bit of a client's step (bit `i`) or crash (bit `32 + i`); 0 for any other action
/// (never in a sleep set).
#[inline]
pub(super) fn bit(action: Action) -> u64 {
    match action {
        Action::Step(i) => 1 << i,
        Action::Crash(i) => 1 << (CRASH + i),
        _ => 0,
    }
}

/// Where crashes' bits start.
const CRASH: usize = 32;

/// One state's expansion under its sleep set: which of its enabled actions it takes, in
/// order, and the sleep set each one passes on.
pub(super) struct Turns {
    sleep: u64,
    stepped: u64,
    taken: usize,
    todo: usize,
}

impl Turns {
    /// For a state whose sleep set is `sleep` and whose enabled actions are `actions`.
    pub(super) fn new(sleep: u64, actions: &[Action]) -> Self {
        Turns {
            sleep,
            stepped: 0,
            taken: 0,
            todo: actions.iter().filter(|&&a| !skips(sleep, a)).count(),
        }
    }

    /// The state's next enabled action, `action`: `None` if its sleep set skips it; else the
    /// sleep set its successor is given, and which of the taken actions it is (`k` of `n`,
    /// for `copy_for`).
    pub(super) fn take(
        &mut self,
        sleeper: &Sleeper<'_>,
        action: Action,
    ) -> Option<(u64, usize, usize)> {
        if skips(self.sleep, action) {
            return None;
        }
        let passed = sleeper.passed_on(action, self.sleep, self.stepped);
        self.stepped |= bit(action);
        self.taken += 1;
        Some((passed, self.taken - 1, self.todo))
    }
}

impl<'s> Sleeper<'s> {
    /// Sleep sets for `system` if `on` (and the system has at most [`MAX_CLIENTS`] clients).
    pub(super) fn new(system: &'s System, on: bool) -> Self {
        let clients = system.bounds.clients;
        Sleeper {
            system,
            on: on && clients <= MAX_CLIENTS,
            prints: vec![None; 64],
            set: 0,
        }
    }

    /// Whether sleep sets are in use.
    pub(super) fn on(&self) -> bool {
        self.on
    }

    /// Reads the footprints of `w`'s enabled `actions` (when sleep sets are in use and two
    /// client steps could be independent).
    pub(super) fn begin(&mut self, w: &World, actions: &[Action]) {
        while self.set != 0 {
            self.prints[self.set.trailing_zeros() as usize] = None;
            self.set &= self.set - 1;
        }
        if !self.on || actions.iter().filter(|a| bit(**a) != 0).count() < 2 {
            return;
        }
        for &a in actions {
            let b = bit(a);
            if b != 0 {
                self.prints[b.trailing_zeros() as usize] = Some(self.system.footprint(w, a));
                self.set |= b;
            }
        }
    }

    /// The sleep set step `b` passes on from a state whose set is `sleep`, where the actions
    /// in `stepped` were taken before `b` (step 3 of the module doc).
    pub(super) fn passed_on(&self, b: Action, sleep: u64, stepped: u64) -> u64 {
        let kb = bit(b);
        if kb == 0 {
            return 0;
        }
        let kb = kb.trailing_zeros() as usize;
        let Some(pb) = &self.prints[kb] else {
            return 0;
        };
        let mut out = 0;
        let mut rest = sleep | stepped;
        while rest != 0 {
            let ka = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if let Some(pa) = &self.prints[ka] {
                if independent(ka % CRASH, pa, kb % CRASH, pb) {
                    out |= 1 << ka;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{bit, skips};
    use crate::system::Action;

    #[test]
    fn masks_name_client_steps_only() {
        assert!(skips(0b10, Action::Step(1)));
        assert!(!skips(0b10, Action::Step(0)));
        assert!(!skips(u64::MAX, Action::Tick));
        assert!(skips(1 << 33, Action::Crash(1)));
        assert!(!skips(1 << 33, Action::Step(1)));
        assert!(!skips(u64::MAX, Action::Choose(1, 0)));
        assert_eq!(bit(Action::Step(3)), 0b1000);
        assert_eq!(bit(Action::Crash(3)), 1 << 35);
        assert_eq!(bit(Action::Thread(3, 1)), 0);
    }
}
