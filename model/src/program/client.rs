//! The handle a program talks to Redis through: `call` and the verbs that state beliefs.
//!
//! Contract per verb (see the module doc of [`crate::program`] for what a step is):
//! - `call` / `call_on`: one atomic step; returns the reply, or `Err(Stop)` when the runtime
//!   has yet to send the command — propagate it with `?` and never inspect it.
//! - `receive` / `receive_on`: one step that reads the next pub/sub message, parking the
//!   connection until one is published or the timeout (whole ticks) has come.
//! - `now`: the client's clock in ms; does not make a step.
//! - `sleep(ms)`: a step without a command; the client's next step waits for the clock.
//! - `choose(n)`: a step without a command whose result (0..n) the checker picks, each way.
//! - `acquired`, `acquired_until`, `enter`, `released`, `committed`, `gave_up`, `named`: take
//!   effect with the last reply (or sleep, or choice); `exit`: takes effect with the next command,
//!   sleep or choice (or the end). None makes a step.
//! - `token`, `index`, `params`: who the client is; reading them changes nothing.
//!
//! One job per file: this one holds the handle and its steps (call, receive, sleep, choose,
//! the clock); `attempts.rs` the retry loop, `beliefs.rs` the verbs that state events,
//! `threads.rs` the threads of `c:spawn`.

use super::Flow;
use crate::command::Command;
use crate::recipe::{ClientCtx, Event, Input, Params};
use crate::reply::Reply;

mod attempts;
mod beliefs;
mod threads;

pub(crate) use attempts::Loop;
pub use attempts::Outcome;
use threads::Peek;
pub(crate) use threads::ThreadHarvest;

/// Whether the events stated before `input` were reported with an earlier step: true of a
/// reply, and of a retry loop's mark, which stands for the reply that decided the attempt.
fn is_boundary(input: &Input) -> bool {
    !matches!(input, Input::Time(_) | Input::Thread(_))
}

fn describe(input: &Input) -> &'static str {
    match input {
        Input::Reply(_) => "sent a command",
        Input::Time(_) => "read the clock",
        Input::Attempt(_) | Input::Attempted(_) => "started a retry loop",
        Input::Slept => "slept",
        Input::Chose(_) => "made a choice",
        Input::Thread(_) => "let another thread step",
    }
}

/// "The program is waiting for a reply": the runtime stops the run here. Only the runtime
/// creates it; a program just propagates it with `?`.
#[derive(Debug, PartialEq, Eq)]
pub struct Stop(());

/// The runtime's `Stop` (for front ends that answer a program's calls themselves).
pub(crate) fn stop() -> Stop {
    Stop(())
}

/// What a run of the program left for the runtime.
#[derive(Debug, Default)]
pub(crate) struct Harvest {
    /// Events stated after the last reply of the trail, taking effect with that reply.
    pub events: Vec<Event>,
    /// Events stated after the last reply that take effect with the next command (`exit`).
    pub deferred: Vec<Event>,
    /// What the program is waiting for: a command to send, a sleep to end, a choice.
    pub pending: Option<Pending>,
    /// A broken contract (non-determinism, a swallowed `Stop`), in words.
    pub broken: Option<String>,
    /// Whether the run began with no reply (or retry mark) in the trail: the program's
    /// first step, whose events no reply has carried yet.
    pub first_step: bool,
    /// The threads the program spawned (`c:spawn`), in the order spawned.
    pub threads: Vec<ThreadHarvest>,
}

/// What a run stopped at: the program's next step.
#[derive(Debug)]
pub(crate) enum Pending {
    /// Send this command on connection number `.0`.
    Call(usize, std::sync::Arc<Command>),
    /// Read the next pub/sub message on connection number `.0`, waiting at most `.1` ms.
    Receive(usize, Option<u64>),
    /// Sleep this many ms.
    Sleep(u64),
    /// Branch this many ways.
    Choose(u32),
}

/// A client program's view of the world: its own identity, its connections, the replies.
pub struct Client<'a> {
    ctx: &'a ClientCtx,
    connections: &'static [&'static str],
    trail: &'a mut Vec<Input>,
    /// The next input of the trail to hand out.
    pos: usize,
    /// Inputs up to here were answered in earlier steps; events stated before are old news.
    fresh_from: usize,
    now: u64,
    pub(crate) harvest: Harvest,
    /// The thread whose verbs are answered now: its connection slot (0: the main thread).
    thread: u8,
    /// Whether the trail holds a thread mark (another thread has stepped).
    threaded: bool,
    /// Per thread slot, the trail position after that thread's last reply (or wake-up,
    /// choice): its `exit`s stated before were carried by an earlier step of its own.
    thread_fresh: Vec<(u8, usize)>,
}

impl<'a> Client<'a> {
    pub(crate) fn new(
        ctx: &'a ClientCtx,
        connections: &'static [&'static str],
        trail: &'a mut Vec<Input>,
        now: u64,
    ) -> Client<'a> {
        let fresh_from = trail.iter().rposition(is_boundary).map_or(0, |p| p + 1);
        let (threaded, thread_fresh) = threads::freshness(trail);
        Client {
            ctx,
            connections,
            trail,
            pos: 0,
            fresh_from,
            now,
            harvest: Harvest {
                first_step: fresh_from == 0,
                ..Harvest::default()
            },
            thread: 0,
            threaded,
            thread_fresh,
        }
    }

    /// Whether every input of the trail has been handed out.
    pub(crate) fn consumed_all(&self) -> bool {
        self.pos == self.trail.len()
    }

    fn is_fresh(&self) -> bool {
        self.pos >= self.fresh_from
    }

    pub(crate) fn broken(&mut self, why: String) {
        self.harvest.broken.get_or_insert(why);
    }

    /// Sends `command` on the client's first connection and returns the reply.
    pub fn call(&mut self, command: Command) -> Result<Reply, Stop> {
        self.call_slot(0, command)
    }

    /// Sends `command` on the connection named `connection` (one of the program's
    /// `connections`) and returns the reply.
    pub fn call_on(&mut self, connection: &str, command: Command) -> Result<Reply, Stop> {
        match self.connections.iter().position(|c| *c == connection) {
            Some(slot) => self.call_slot(slot, command),
            None => {
                self.broken(format!(
                    "call on unknown connection {connection:?} (the program opens {:?})",
                    self.connections
                ));
                Err(Stop(()))
            }
        }
    }

    /// Breaks the determinism contract: on an earlier run this thread did `was` here
    /// (`None`: another thread stepped here instead), and now it does `now` ("sleeps").
    fn not_deterministic(&mut self, was: Option<&'static str>, now: &str) {
        self.broken(match was {
            Some(was) => {
                format!("not deterministic: it {was} here on an earlier run, and now {now}")
            }
            None => format!(
                "not deterministic: another thread stepped here on an earlier run, and now it {now}"
            ),
        });
    }

    /// Breaks the contract if the program went on after a step it had to wait for.
    fn went_on(&mut self, doing: &dyn Fn() -> String) -> bool {
        if self.waiting() {
            let what = doing();
            self.broken(format!(
                "the program went on after a call it had to wait for, and then {what}: \
                 propagate the call's result with `?`"
            ));
            return true;
        }
        false
    }

    /// Reads the next pub/sub message on the client's first connection (after SUBSCRIBE):
    /// `["message", channel, data]` (or a later SUBSCRIBE's confirmation), or nil when
    /// `timeout_ms` is given and the client gives up waiting. A step: at once if a message is
    /// waiting, else the connection parks until one is published to it, or until the clock has
    /// moved on by `timeout_ms` rounded down to whole ticks (or any later time: the client may
    /// still get a message first). Propagate the result with `?`.
    pub fn receive(&mut self, timeout_ms: Option<u64>) -> Result<Reply, Stop> {
        self.receive_slot(0, timeout_ms)
    }

    /// [`Client::receive`] on the connection named `connection`.
    pub fn receive_on(&mut self, connection: &str, timeout_ms: Option<u64>) -> Result<Reply, Stop> {
        match self.connections.iter().position(|c| *c == connection) {
            Some(slot) => self.receive_slot(slot, timeout_ms),
            None => {
                self.broken(format!(
                    "receive on unknown connection {connection:?} (the program opens {:?})",
                    self.connections
                ));
                Err(Stop(()))
            }
        }
    }

    fn receive_slot(&mut self, slot: usize, timeout_ms: Option<u64>) -> Result<Reply, Stop> {
        if self.went_on(&|| "waited for a message".to_string()) {
            return Err(Stop(()));
        }
        self.reply_or_wait(Pending::Receive(slot, timeout_ms))
    }

    pub(crate) fn call_slot(&mut self, slot: usize, command: Command) -> Result<Reply, Stop> {
        if self.went_on(&|| format!("sent {command}")) {
            return Err(Stop(()));
        }
        self.reply_or_wait(Pending::Call(slot, command.into()))
    }

    /// The reply this thread's step (`pending`: a call or a receive) read on an earlier run
    /// (the trail's next input for it), or, at the trail's end, the step it now waits on; a
    /// different input there breaks the determinism contract.
    fn reply_or_wait(&mut self, pending: Pending) -> Result<Reply, Stop> {
        let doing = || match &pending {
            Pending::Call(_, command) => format!("sends {command}"),
            _ => "waits for a message".to_string(),
        };
        match self.peek() {
            Peek::Mine(Input::Reply(r), n) => {
                let r = r.clone();
                self.pos += n;
                Ok(r)
            }
            Peek::Mine(other, _) => {
                let was = describe(other);
                self.not_deterministic(Some(was), &doing());
                Err(Stop(()))
            }
            Peek::Other => {
                self.not_deterministic(None, &doing());
                Err(Stop(()))
            }
            Peek::End => {
                self.wait_on(pending);
                Err(Stop(()))
            }
        }
    }

    /// Sleeps `ms` milliseconds: a step without a command after which the client may act
    /// again once the clock has moved on by `ms` rounded down to whole ticks (a sleep shorter
    /// than a tick does not wait). Propagate the result with `?`.
    pub fn sleep(&mut self, ms: u64) -> Flow {
        if self.went_on(&|| format!("slept {ms} ms")) {
            return Err(Stop(()));
        }
        match self.peek() {
            Peek::Mine(Input::Slept, n) => {
                self.pos += n;
                Ok(())
            }
            Peek::Mine(other, _) => {
                let was = describe(other);
                self.not_deterministic(Some(was), "sleeps");
                Err(Stop(()))
            }
            Peek::Other => {
                self.not_deterministic(None, "sleeps");
                Err(Stop(()))
            }
            Peek::End => {
                self.wait_on(Pending::Sleep(ms));
                Err(Stop(()))
            }
        }
    }

    /// An explicit branch: returns a number from 0 to `n - 1`, and the checker explores every
    /// one (a random back-off, which of two paths). The choice is a step of its own, recorded
    /// in the trail like an attempt number. `n` must be from 1 to 256; `choose(1)` is 0 and no
    /// step. Propagate the result with `?`.
    pub fn choose(&mut self, n: u32) -> Flow<u32> {
        if !(1..=256).contains(&n) {
            self.broken(format!("choose({n}): n must be from 1 to 256"));
            return Err(Stop(()));
        }
        if n == 1 {
            return Ok(0);
        }
        if self.went_on(&|| format!("chose among {n}")) {
            return Err(Stop(()));
        }
        if self.thread != 0 {
            self.broken("c:choose is for the main thread only".into());
            return Err(Stop(()));
        }
        match self.peek() {
            Peek::Mine(Input::Chose(k), m) if *k < n => {
                let k = *k;
                self.pos += m;
                Ok(k)
            }
            Peek::Other => {
                self.not_deterministic(None, &format!("chooses among {n}"));
                Err(Stop(()))
            }
            Peek::Mine(other, _) => {
                let was = describe(other);
                self.not_deterministic(Some(was), &format!("chooses among {n}"));
                Err(Stop(()))
            }
            Peek::End => {
                self.wait_on(Pending::Choose(n));
                Err(Stop(()))
            }
        }
    }

    /// The client's clock: logical time in ms (see the contract). Not a step.
    pub fn now(&mut self) -> u64 {
        match self.peek() {
            Peek::Mine(Input::Time(t), n) => {
                let t = *t;
                self.pos += n;
                t
            }
            Peek::Mine(other, _) => {
                let was = describe(other);
                self.not_deterministic(Some(was), "reads the clock");
                self.now
            }
            Peek::Other => {
                self.not_deterministic(None, "reads the clock");
                self.now
            }
            Peek::End => {
                if self.thread != 0 {
                    self.trail.push(Input::Thread(self.thread));
                    self.pos += 1;
                }
                self.trail.push(Input::Time(self.now));
                self.pos += 1;
                self.now
            }
        }
    }

    /// The client's unique token (its lock identifier): `A`, `B`, ….
    pub fn token(&self) -> &str {
        &self.ctx.token
    }

    /// The client's index (0 for A). Programs of one variant must not decide on it (symmetry).
    pub fn index(&self) -> usize {
        self.ctx.index
    }

    /// The scenario's parameters (retries, lease).
    pub fn params(&self) -> &Params {
        &self.ctx.params
    }
}
