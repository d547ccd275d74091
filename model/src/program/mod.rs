//! Recipes as programs: a client written as plain sequential code over a [`Client`] handle,
//! the way the seeds write redis-py code, instead of a program-counter machine.
//!
//! # The recipe contract
//!
//! 1. **A step is one `call`.** `c.call(cmd)` sends one command on one of the client's named
//!    connections and returns the reply; the command runs atomically on the server and the
//!    reply arrives in the same step (a blocking command parks the connection and its reply
//!    arrives in a later step; so does `receive`'s pub/sub message when none is waiting). Everything the program does between two calls — arithmetic,
//!    `if`, loops, local variables of any kind and number — is invisible to other clients and
//!    takes no time: the clock only moves between steps.
//! 2. **Beliefs are events.** `acquired`, `enter`, `released`, `committed`, `gave_up` take
//!    effect together with the reply the program last received (a client that has just read
//!    `OK` from `SET … NX` holds the lock from that moment). `exit` takes effect as the
//!    program sends its next command or ends: a client is inside its critical section until
//!    it next does something, which is the conservative reading for mutual exclusion.
//! 3. **`now()` is the client's clock** in ms (logical time: tick *t* reads `t * 1000`): the
//!    time of the step that delivered the last reply, or of the client's first step.
//!    **`sleep(ms)`** and **`choose(n)`** are steps without a command: the client wakes (a step)
//!    once the clock has moved on by `ms` rounded down to whole ticks; the checker takes each
//!    of the `n` branches (a step). Both are recorded in the trail (`Slept`, `Chose(k)`).
//! 4. **Determinism.** Given the same replies (and clock readings), a program must send the
//!    same commands and state the same events. Programs may keep state only in their own
//!    variables: nothing may survive from one run of the program to the next.
//! 5. **Symmetry.** Clients of one role are interchangeable: a program may use its own
//!    token (`c.token()`) and the replies it received, and may compare tokens only for
//!    equality. Tokens appear in the server and in replies only as whole values (a string
//!    value, a list element); the checker renames them there.
//!
//! # How it runs
//!
//! The runtime never suspends a program. A client's state is the list of inputs it has
//! received so far (its *trail*: replies and clock readings); to learn what the client does
//! next, the program is run again from the start, the `call`s it has already made answered from
//! the trail, until it makes a call the trail cannot answer (that is its next command) or
//! returns. Equal trails are equal client states, so the visited set merges them, and nothing
//! has to be cloned but the trail. A finished client's trail is dropped: all that is left of
//! it is what it stated. Since the program is a pure function of its trail (rule 4), each
//! distinct run is made once and remembered (`program/memo.rs`): the search meets the same client
//! state in many worlds and asks again each time. [`Runner`] turns a [`Program`] into a [`crate::Recipe`], so the
//! stepper, the checker, replay and the Explorer run programs unchanged.
//!
//! A Lua program may spawn a second thread (`c:spawn`, see `lua/run.rs`): the trail is then the
//! ordered log of both threads' inputs, a spawned thread's marked with [`crate::recipe::Input::Thread`],
//! and each thread waits on a step of its own ([`crate::recipe::Recipe::next_thread`]), which the
//! system schedules as `Action::Thread`.

mod append_only;
pub(crate) mod client;
mod follow;
pub mod lua;
pub(crate) mod memo;
pub(crate) mod runner;

pub use client::{Client, Outcome, Stop};
pub use runner::{RecipeError, Runner};

use std::fmt;

/// What a program returns: `Err(Stop)` means "waiting for a reply" and must be propagated with
/// `?` (never caught).
pub type Flow<T = ()> = Result<T, Stop>;

/// A client program written as sequential code.
pub trait Program: Send + Sync + fmt::Debug {
    /// The connections the client opens, by name; `call` uses the first.
    fn connections(&self) -> &'static [&'static str];

    /// The program itself. It runs from the start each time the runtime needs its next step
    /// (see the module doc), so it must be deterministic.
    fn run(&self, c: &mut Client) -> Flow;
}

/// A program written as a plain function, for the catalogue and for users' crates.
#[derive(Clone, Copy)]
pub struct Sequential {
    pub connections: &'static [&'static str],
    pub body: fn(&mut Client) -> Flow,
}

impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sequential")
            .field("connections", &self.connections)
            .finish()
    }
}

impl Program for Sequential {
    fn connections(&self) -> &'static [&'static str] {
        self.connections
    }
    fn run(&self, c: &mut Client) -> Flow {
        (self.body)(c)
    }
}

/// A program as a recipe on one connection named `conn`.
pub fn sequential(body: fn(&mut Client) -> Flow) -> Runner<Sequential> {
    Runner::new(Sequential {
        connections: &["conn"],
        body,
    })
}

/// A program as a recipe on the named connections.
pub fn sequential_on(
    connections: &'static [&'static str],
    body: fn(&mut Client) -> Flow,
) -> Runner<Sequential> {
    Runner::new(Sequential { connections, body })
}
