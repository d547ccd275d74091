//! The runtime: a [`Program`] as a [`Recipe`], by deterministic re-execution over the trail.
//!
//! `on_reply` appends the reply to the trail and runs the program up to its next call: the
//! events it states on the way take effect with that reply. `next` runs it again and returns
//! the call it is waiting on (with the `exit` stated before it), the sleep or choice it is
//! waiting on, or the end; `resume_at` appends the end of a sleep or the checker's choice and
//! runs it on, as `on_reply` does for a reply. A broken contract
//! (a program that is not deterministic, or that swallows a `Stop`) stops the whole check with
//! a [`RecipeError`], which the CLI prints as one line (exit 2).

use super::client::{Client, Harvest, Pending};
use super::Program;
use crate::recipe::{ClientCtx, Event, Input, Local, Next, Op, Recipe};
use crate::reply::Reply;
use std::fmt;

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

/// A program, run as a recipe.
#[derive(Debug)]
pub struct Runner<P> {
    program: P,
}

impl<P: Program> Runner<P> {
    pub fn new(program: P) -> Runner<P> {
        Runner { program }
    }

    pub fn program(&self) -> &P {
        &self.program
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
        let h = self.execute(me, &mut local.trail, now_ms);
        // Before the first call no reply has carried the program's events yet.
        let mut events = if h.first_step { h.events } else { vec![] };
        events.extend(h.deferred);
        match h.pending {
            Some(Pending::Call(conn, command)) => Next::send(conn, command).with(events),
            Some(Pending::Sleep(ms)) => Next {
                events,
                op: Op::Sleep { ms },
            },
            Some(Pending::Choose(n)) => Next {
                events,
                op: Op::Choose { n },
            },
            None => {
                // Nothing of a finished program matters but what it stated.
                local.trail = Vec::new();
                Next::finish().with(events)
            }
        }
    }

    fn on_reply_at(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        reply: &Reply,
        now_ms: u64,
    ) -> Vec<Event> {
        local.trail.push(Input::Reply(reply.clone()));
        self.execute(me, &mut local.trail, now_ms).events
    }

    fn resume_at(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        input: Input,
        now_ms: u64,
    ) -> Vec<Event> {
        local.trail.push(input);
        self.execute(me, &mut local.trail, now_ms).events
    }
}
