//! The runtime: a [`Program`] as a [`Recipe`], by deterministic re-execution over the trail.
//!
//! `on_reply` appends the reply to the trail and runs the program up to its next call: the
//! events it states on the way take effect with that reply. `next` runs it again and returns
//! the call it is waiting on (with the `exit` stated before it), the sleep or choice it is
//! waiting on, or the end; `resume_at` appends the end of a sleep or the checker's choice and
//! runs it on, as `on_reply` does for a reply. A broken contract
//! (a program that is not deterministic, or that swallows a `Stop`) stops the whole check with
//! a [`RecipeError`], which the CLI prints as one line (exit 2). Each distinct run is made once
//! and remembered ([`super::memo`]).

use super::client::{Client, Harvest, Pending};
use super::follow;
use super::memo::{Got, Memo, Outcome, Read, Then, Trail};
use super::Program;
use crate::recipe::{ClientCtx, Event, Input, Local, Next, Op, Recipe, Rest};
use crate::reply::Reply;
use crate::shared::Shared;
use std::fmt;
use std::sync::atomic::Ordering;

/// A program that broke the recipe contract: the message says which client and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeError(pub String);

impl fmt::Display for RecipeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Raises a broken contract; see [`RecipeError`].
pub fn raise(message: String) -> ! {
    std::panic::panic_any(RecipeError(message))
}

/// A program, run as a recipe. Runs are remembered (`program/memo.rs`): a program is run once per
/// distinct (client, clock reading, trail), however often the search meets that client state.
#[derive(Debug)]
pub struct Runner<P> {
    program: P,
    memo: Memo,
}

impl<P: Program> Runner<P> {
    pub fn new(program: P) -> Runner<P> {
        Runner {
            program,
            memo: Memo::new(),
        }
    }

    pub fn program(&self) -> &P {
        &self.program
    }

    /// What the program does over `trail` at time `now`: remembered, or run now.
    fn outcome(&self, me: &ClientCtx, trail: Trail<'_>, now: u64) -> Got<'_> {
        if let Some(o) = self.memo.get(me, now, trail) {
            return Got::Kept(o);
        }
        let mut after = trail.to_vec();
        let h = self.execute(me, &mut after, now);
        let o = Box::new(Outcome {
            trail: self.memo.keep(after.into()),
            events: h.events,
            deferred: h.deferred,
            pending: h.pending,
            first_step: h.first_step,
            threads: h.threads,
            follow: Default::default(),
        });
        self.memo.put(me, now, trail, o)
    }

    /// Runs the program over `trail` at time `now`; clock readings past the trail are appended.
    fn execute(&self, me: &ClientCtx, trail: &mut Vec<Input>, now: u64) -> Harvest {
        let mut c = Client::new(me, self.program.connections(), trail, now);
        let result = self.program.run(&mut c);
        let consumed_all = c.consumed_all();
        let mut harvest = std::mem::take(&mut c.harvest);
        if harvest.broken.is_none() {
            if result.is_ok() && harvest.pending.is_some() {
                harvest.broken = Some(
                    "the program caught a call's Stop and went on to the end: propagate it with `?`"
                        .into(),
                );
            } else if result.is_err() && harvest.pending.is_none() {
                harvest.broken =
                    Some("the program returned a Stop it did not get from a call".into());
            } else if !consumed_all {
                harvest.broken = Some(
                    "not deterministic: on an earlier run it made more calls at this point".into(),
                );
            }
        }
        if let Some(why) = &harvest.broken {
            raise(format!("client {}: {why}", me.token));
        }
        harvest
    }
}

impl<P: Program> Recipe for Runner<P> {
    fn connections(&self) -> &'static [&'static str] {
        self.program.connections()
    }

    fn next(&self, me: &ClientCtx, local: &mut Local) -> Next {
        self.next_at(me, local, 0)
    }

    fn on_reply(&self, me: &ClientCtx, local: &mut Local, reply: &Reply) -> Vec<Event> {
        self.on_reply_at(me, local, reply, 0)
    }

    fn next_at(&self, me: &ClientCtx, local: &mut Local, now_ms: u64) -> Next {
        let o = self.outcome(me, whole(&local.trail), now_ms);
        let events = starting_events(&o);
        match &o.pending {
            Some(pending) => {
                set_trail(&mut local.trail, &o.trail);
                Next {
                    events,
                    op: op_of(pending),
                }
            }
            None => {
                // Nothing of a finished program matters but what it stated.
                local.trail = Default::default();
                Next::finish().with(events)
            }
        }
    }

    fn rests_at(&self, me: &ClientCtx, local: &Local, now_ms: u64) -> Option<Rest> {
        let o = self.settling(me, local, now_ms);
        let op = match &o.pending {
            Some(Pending::Call(..) | Pending::Receive(..)) => return None,
            Some(pending) => op_of(pending),
            None => Op::Finish,
        };
        let trail = if op == Op::Finish {
            // Nothing of a finished program matters but what it stated.
            Default::default()
        } else {
            o.trail.clone()
        };
        let local = Local {
            pc: local.pc,
            attempt: local.attempt,
            value: local.value,
            trail,
        };
        Some(Rest {
            events: starting_events(&o),
            local,
            op,
        })
    }

    fn on_reply_at(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        reply: &Reply,
        now_ms: u64,
    ) -> Vec<Event> {
        self.run_on(me, local, Read::Reply(reply), now_ms)
    }

    fn resume_at(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        input: Input,
        now_ms: u64,
    ) -> Vec<Event> {
        self.run_on(me, local, Read::Input(&input), now_ms)
    }

    fn next_thread(&self, me: &ClientCtx, local: &mut Local, thread: u8, now_ms: u64) -> Next {
        if thread == 0 {
            return self.next_at(me, local, now_ms);
        }
        let o = self.outcome(me, whole(&local.trail), now_ms);
        set_trail(&mut local.trail, &o.trail);
        match o.threads.iter().find(|t| t.slot == thread) {
            Some(t) => Next {
                events: t.deferred.clone(),
                op: t.pending.as_ref().map_or(Op::Finish, op_of),
            },
            None => Next::finish(),
        }
    }

    fn peek_thread(&self, me: &ClientCtx, local: &Local, thread: u8, now_ms: u64) -> Op {
        // What `next_thread` would return, read from the same outcome without writing the
        // trail it leaves.
        let o = self.outcome(me, whole(&local.trail), now_ms);
        let pending = if thread == 0 {
            o.pending.as_ref()
        } else {
            o.threads
                .iter()
                .find(|t| t.slot == thread)
                .and_then(|t| t.pending.as_ref())
        };
        pending.map_or(Op::Finish, op_of)
    }

    fn rests_thread(&self, me: &ClientCtx, local: &Local, thread: u8, now_ms: u64) -> Option<Rest> {
        if thread == 0 {
            return self.rests_at(me, local, now_ms);
        }
        let o = self.outcome(me, whole(&local.trail), now_ms);
        let t = o.threads.iter().find(|t| t.slot == thread);
        let op = match t.and_then(|t| t.pending.as_ref()) {
            Some(Pending::Call(..) | Pending::Receive(..)) => return None,
            Some(pending) => op_of(pending),
            None => Op::Finish,
        };
        Some(Rest {
            events: t.map(|t| t.deferred.clone()).unwrap_or_default(),
            local: Local {
                trail: o.trail.clone(),
                ..local.clone()
            },
            op,
        })
    }

    fn on_reply_thread(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        thread: u8,
        reply: &Reply,
        now_ms: u64,
    ) -> Vec<Event> {
        self.run_on_thread(me, local, thread, Read::Reply(reply), now_ms)
    }

    fn resume_thread(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        thread: u8,
        input: Input,
        now_ms: u64,
    ) -> Vec<Event> {
        self.run_on_thread(me, local, thread, Read::Input(&input), now_ms)
    }
}

impl<P: Program> Runner<P> {
    /// [`Runner::outcome`] over the whole trail, for a client settling after its reply: the
    /// run just made over that reply knows it once asked ([`super::follow`]).
    fn settling(&self, me: &ClientCtx, local: &Local, now_ms: u64) -> Got<'_> {
        let Some(read) = follow::take(&self.memo, me, now_ms, local.trail.addr()) else {
            return self.outcome(me, whole(&local.trail), now_ms);
        };
        let known = read.follow.load(Ordering::Acquire);
        if !known.is_null() {
            // SAFETY: `follow` only ever points to an outcome kept by this memo (stored
            // below), which lives as long as the memo.
            return Got::Kept(unsafe { &*known });
        }
        let o = self.outcome(me, whole(&local.trail), now_ms);
        if let Got::Kept(kept) = o {
            read.follow
                .store(kept as *const Outcome as *mut Outcome, Ordering::Release);
        }
        o
    }

    /// Appends `input` (a reply, the end of a sleep, a choice) to the trail and runs the
    /// program on to its next step; returns the events taking effect with that input.
    fn run_on(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        input: Read<'_>,
        now_ms: u64,
    ) -> Vec<Event> {
        self.run_on_thread(me, local, 0, input, now_ms)
    }

    /// [`Runner::run_on`] for thread `thread`: its input goes in with its thread mark.
    fn run_on_thread(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        thread: u8,
        input: Read<'_>,
        now_ms: u64,
    ) -> Vec<Event> {
        let trail = Trail {
            given: &local.trail,
            then: Then {
                thread: (thread != 0).then_some(thread),
                input: Some(input),
            },
        };
        let o = self.outcome(me, trail, now_ms);
        set_trail(&mut local.trail, &o.trail);
        if let (0, Got::Kept(kept)) = (thread, &o) {
            follow::note(&self.memo, me, now_ms, kept);
        }
        o.events.clone()
    }
}

/// Sets a client's trail to the one a run left, unless it holds that very allocation already
/// (then a clone and a drop would only count a reference up and down: on the search's
/// threads, a line they take turns owning).
fn set_trail(trail: &mut Shared<Vec<Input>>, left: &Shared<Vec<Input>>) {
    if !Shared::ptr_eq(trail, left) {
        *trail = left.clone();
    }
}

/// The stepper's operation for what the program waits on.
fn op_of(pending: &Pending) -> Op {
    match pending {
        Pending::Call(conn, command) => Op::Send {
            conn: *conn,
            command: command.clone(),
        },
        Pending::Receive(conn, timeout_ms) => Op::Receive {
            conn: *conn,
            timeout_ms: *timeout_ms,
        },
        Pending::Sleep(ms) => Op::Sleep { ms: *ms },
        Pending::Choose(n) => Op::Choose { n: *n },
    }
}

fn whole(trail: &Shared<Vec<Input>>) -> Trail<'_> {
    Trail {
        given: trail,
        then: Then::default(),
    }
}

/// The events a step stated before its command (or the end): those stated since the last
/// reply when no reply has carried them yet (the first step), and the deferred `exit`.
fn starting_events(o: &Outcome) -> Vec<Event> {
    let mut events = if o.first_step {
        o.events.clone()
    } else {
        vec![]
    };
    events.extend(o.deferred.iter().cloned());
    events
}
