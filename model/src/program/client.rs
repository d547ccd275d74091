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

use super::Flow;
use crate::command::Command;
use crate::recipe::{ClientCtx, Event, Input, Params};
use crate::reply::Reply;

mod threads;

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
                let now = doing();
                self.broken(format!(
                    "not deterministic: it {was} here on an earlier run, and now {now}"
                ));
                Err(Stop(()))
            }
            Peek::Other => {
                let now = doing();
                self.broken(format!(
                    "not deterministic: another thread stepped here on an earlier run, and now it {now}"
                ));
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
                self.broken(format!(
                    "not deterministic: it {was} here on an earlier run, and now sleeps"
                ));
                Err(Stop(()))
            }
            Peek::Other => {
                self.broken(
                    "not deterministic: another thread stepped here on an earlier run, and now it sleeps".into(),
                );
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
                self.broken(format!(
                    "not deterministic: another thread stepped here on an earlier run, and now it chooses among {n}"
                ));
                Err(Stop(()))
            }
            Peek::Mine(other, _) => {
                let was = describe(other);
                self.broken(format!(
                    "not deterministic: it {was} here on an earlier run, and now chooses among {n}"
                ));
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
                self.broken(format!(
                    "not deterministic: it {was} here on an earlier run, and now reads the clock"
                ));
                self.now
            }
            Peek::Other => {
                self.broken(
                    "not deterministic: another thread stepped here on an earlier run, and now it reads the clock".into(),
                );
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

    /// States an event that takes effect with the last reply.
    pub fn event(&mut self, event: Event) {
        if event == Event::Exit {
            if !self.exit_is_fresh() {
                return;
            }
            let me = self.thread;
            match self.harvest.threads.iter_mut().find(|t| t.slot == me) {
                Some(t) => t.deferred.push(event),
                None => self.harvest.deferred.push(event),
            }
        } else if self.is_fresh() {
            self.harvest.events.push(event);
        }
    }

    /// The client believes it holds the lock for `lease_s` seconds from now (`None`: no expiry).
    pub fn acquired(&mut self, lease_s: Option<u64>) {
        self.event(Event::Acquired { lease: lease_s });
    }

    /// The client believes it holds the lock until the absolute time `deadline_ms`.
    pub fn acquired_until(&mut self, deadline_ms: u64) {
        let lease = deadline_ms.saturating_sub(self.now).div_ceil(1000);
        self.event(Event::Acquired { lease: Some(lease) });
    }

    /// The client enters its critical section.
    pub fn enter(&mut self) {
        self.event(Event::Enter);
    }

    /// The client leaves its critical section (as its next command is sent, or as it ends).
    pub fn exit(&mut self) {
        self.event(Event::Exit);
    }

    /// The client no longer believes it holds the lock.
    pub fn released(&mut self) {
        self.event(Event::Released);
    }

    /// A change the client made was acknowledged by the server.
    pub fn committed(&mut self, delta: i64) {
        self.event(Event::Committed { delta });
    }

    /// The client stops trying.
    pub fn gave_up(&mut self) {
        self.event(Event::GaveUp);
    }

    /// A named event of the recipe's own (`processed "m1"`), taking effect with the last reply
    /// and kept in the client's history for properties to read.
    pub fn named(&mut self, name: &str, value: Option<crate::recipe::EventValue>) {
        self.event(Event::named(name, value));
    }
}
