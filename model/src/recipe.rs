//! The recipe API: a client program as a deterministic state machine that emits one command
//! per step on a named connection and reads the reply.
//!
//! A recipe never sees the server: it sees only the replies to its own commands, exactly as a
//! real client does. What it believes (it holds the lock, its increment committed) it states
//! as [`Event`]s, which is what the properties read.

use crate::command::Command;
use crate::reply::Reply;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A client's local variables. Small and fixed so that model states hash cheaply; a recipe
/// gives the fields its own meaning (document it in the recipe). A [`crate::program`] keeps
/// its whole state in `trail` instead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Local {
    /// Program counter: which step comes next.
    pub pc: u16,
    /// Attempts made so far (for recipes that retry).
    pub attempt: u16,
    /// A value read from the server (a counter, a stock count).
    pub value: i64,
    /// What a program has received so far, in order (empty for hand-written machines).
    pub trail: crate::shared::Shared<Vec<Input>>,
}

/// One thing a program received: a reply, a reading of its clock (ms), or what is left of a
/// retry loop once its attempts are dead: that it is at attempt `n`, or that it has ended
/// (with success or not).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    Reply(Reply),
    Time(u64),
    Attempt(u32),
    Attempted(Option<u32>),
    /// A `sleep` that has ended.
    Slept,
    /// The branch the checker took at a `choose`.
    Chose(u32),
    /// The next input belongs to the thread on connection slot `.0` (`c:spawn`); inputs
    /// without this mark belong to the main thread.
    Thread(u8),
}

/// The value of a named event: an integer or a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventValue {
    Int(i64),
    Str(String),
}

impl fmt::Display for EventValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventValue::Int(i) => write!(f, "{i}"),
            EventValue::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for EventValue {
    fn from(i: i64) -> Self {
        EventValue::Int(i)
    }
}

impl From<&str> for EventValue {
    fn from(s: &str) -> Self {
        EventValue::Str(s.to_string())
    }
}

impl From<String> for EventValue {
    fn from(s: String) -> Self {
        EventValue::Str(s)
    }
}

/// What a client believes or did, stated at a step. Properties are defined over these.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "event")]
pub enum Event {
    /// The client believes it holds the lock, for `lease` seconds from now (`None`: no expiry).
    Acquired { lease: Option<u64> },
    /// The client enters its critical section.
    Enter,
    /// The client leaves its critical section.
    Exit,
    /// The client no longer believes it holds the lock.
    Released,
    /// A change the client made is acknowledged by the server (an increment, a sale).
    Committed { delta: i64 },
    /// The client stops trying (retries exhausted, nothing left to buy).
    GaveUp,
    /// The checker took branch `choice` of the client's `choose` (a step of its own).
    Chose { choice: u32 },
    /// A fact of the recipe's own (`processed "m1"`, `effect 1`), for properties to read in
    /// the history.
    Named {
        name: String,
        value: Option<EventValue>,
    },
    /// The client started a second thread (`c:spawn`) on its connection number `slot`,
    /// named `thread` (the connection's name): from now on it is an action of its own.
    Spawned { thread: String, slot: u8 },
}

impl Event {
    /// The event's name as properties and the history see it: `acquired`, `enter`, `exit`,
    /// `released`, `committed`, `gave-up`, `chose`, or a named event's own name.
    pub fn name(&self) -> &str {
        match self {
            Event::Acquired { .. } => "acquired",
            Event::Enter => "enter",
            Event::Exit => "exit",
            Event::Released => "released",
            Event::Committed { .. } => "committed",
            Event::GaveUp => "gave-up",
            Event::Chose { .. } => "chose",
            Event::Named { name, .. } => name,
            Event::Spawned { .. } => "spawned",
        }
    }

    /// The event's value as the history shows it: the lease (s), the delta, the choice, or a
    /// named event's value.
    pub fn value(&self) -> Option<EventValue> {
        match self {
            Event::Acquired { lease } => lease.map(|s| EventValue::Int(s as i64)),
            Event::Committed { delta } => Some(EventValue::Int(*delta)),
            Event::Chose { choice } => Some(EventValue::Int(*choice as i64)),
            Event::Named { value, .. } => value.clone(),
            Event::Spawned { thread, .. } => Some(EventValue::Str(thread.clone())),
            Event::Enter | Event::Exit | Event::Released | Event::GaveUp => None,
        }
    }

    /// A named event.
    pub fn named(name: &str, value: Option<EventValue>) -> Event {
        Event::Named {
            name: name.to_string(),
            value,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Acquired { lease: Some(s) } => write!(f, "acquired (lease {s}s)"),
            Event::Acquired { lease: None } => f.write_str("acquired (no expiry)"),
            Event::Enter => f.write_str("enters critical section"),
            Event::Exit => f.write_str("leaves critical section"),
            Event::Released => f.write_str("released"),
            Event::Committed { delta } => write!(f, "committed {delta:+}"),
            Event::GaveUp => f.write_str("gives up"),
            Event::Chose { choice } => write!(f, "chooses {choice}"),
            Event::Named { name, value: None } => f.write_str(name),
            Event::Named {
                name,
                value: Some(v),
            } => write!(f, "{name} {v}"),
            Event::Spawned { thread, .. } => write!(f, "starts thread {thread}"),
        }
    }
}

/// What a client does in one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Send `command` on the client's connection number `conn` (an index into
    /// [`Recipe::connections`]); the reply goes to [`Recipe::on_reply`]. Shared, so that
    /// handing a remembered program's next command to the stepper copies no argument.
    Send {
        conn: usize,
        command: std::sync::Arc<Command>,
    },
    /// Read the next pub/sub message on connection number `conn`: at once if one is waiting,
    /// else the connection parks until one is published to it or, from `timeout_ms` (rounded
    /// down to whole ticks, as a sleep is) on, the client may give up with nil (`None`: it
    /// waits forever). The message goes to [`Recipe::on_reply`].
    Receive {
        conn: usize,
        timeout_ms: Option<u64>,
    },
    /// The program sleeps `ms` milliseconds: it may take its next step once the clock has
    /// moved on by `ms` rounded down to whole ticks (see [`crate::system`]).
    Sleep { ms: u64 },
    /// The program branches `n` ways: the checker explores each choice as a step.
    Choose { n: u32 },
    /// The program has ended.
    Finish,
}

/// The outcome of [`Recipe::next`]: events that happen as the step starts, then the op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Next {
    pub events: Vec<Event>,
    pub op: Op,
}

impl Next {
    pub fn send(conn: usize, command: Command) -> Next {
        Next {
            events: vec![],
            op: Op::Send {
                conn,
                command: command.into(),
            },
        }
    }

    pub fn finish() -> Next {
        Next {
            events: vec![],
            op: Op::Finish,
        }
    }

    /// Adds events that happen as this step starts (e.g. leaving the critical section as
    /// the release command is sent).
    pub fn with(mut self, events: impl IntoIterator<Item = Event>) -> Next {
        self.events.extend(events);
        self
    }
}

/// Who is running the recipe, and the scenario's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCtx {
    /// Index of the client (0 = A).
    pub index: usize,
    /// The client's unique token (its lock identifier): its name, `A`, `B`, ….
    pub token: String,
    pub params: Params,
}

/// Scenario parameters a recipe reads. The model prints them with every verdict.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Params {
    /// Re-attempts after the first try (WATCH retries, lock acquisition attempts).
    pub retries: u16,
    /// Lock lease in seconds (= clock ticks).
    pub lease: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            retries: 1,
            lease: 1,
        }
    }
}

/// A client program. Implementations must be deterministic: the same `Local` and reply
/// always give the same next step, or the model checker's paths would not replay.
pub trait Recipe: Send + Sync + fmt::Debug {
    /// The connections this client opens, by name (`["conn"]`, or `["pool", "pipe"]` for a
    /// client that uses a pooled connection and a pipeline's connection).
    fn connections(&self) -> &'static [&'static str];

    /// The next step; may update `local`. The stepper may also call it on a copy of `local`
    /// to see whether the program has ended, so it must be deterministic.
    fn next(&self, me: &ClientCtx, local: &mut Local) -> Next;

    /// Reads the reply to the command sent in this step; returns what the client now
    /// believes. Called in the same atomic step as the send (or, for a command that parked the
    /// connection, in the step that receives its reply).
    fn on_reply(&self, me: &ClientCtx, local: &mut Local, reply: &Reply) -> Vec<Event>;

    /// [`Recipe::next`] at logical time `now_ms`, for recipes that read the clock. The stepper
    /// calls this one; the default ignores the time.
    fn next_at(&self, me: &ClientCtx, local: &mut Local, now_ms: u64) -> Next {
        let _ = now_ms;
        self.next(me, local)
    }

    /// Whether the program comes to rest at `now_ms` without sending a command: it ends, or
    /// waits on a sleep or a choice. If so, the events it states on the way, the local state
    /// it leaves and the [`Op`] it rests at. The stepper asks after every step; `local` itself
    /// is never changed. The default runs [`Recipe::next_at`] on a copy.
    fn rests_at(&self, me: &ClientCtx, local: &Local, now_ms: u64) -> Option<Rest> {
        let mut probe = local.clone();
        let next = self.next_at(me, &mut probe, now_ms);
        match next.op {
            Op::Send { .. } | Op::Receive { .. } => None,
            op => Some(Rest {
                events: next.events,
                local: probe,
                op,
            }),
        }
    }

    /// [`Recipe::on_reply`] at logical time `now_ms`; the stepper calls this one.
    fn on_reply_at(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        reply: &Reply,
        now_ms: u64,
    ) -> Vec<Event> {
        let _ = now_ms;
        self.on_reply(me, local, reply)
    }

    /// Resumes a program after a sleep ([`Input::Slept`]) or a choice ([`Input::Chose`]) at
    /// logical time `now_ms`; returns what the client now believes. Only recipes that return
    /// [`Op::Sleep`] or [`Op::Choose`] are ever resumed (hand-written machines never are).
    fn resume_at(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        input: Input,
        now_ms: u64,
    ) -> Vec<Event> {
        let _ = (me, local, input, now_ms);
        vec![]
    }

    /// [`Recipe::next_at`] for the thread on connection slot `thread` (0: the main thread;
    /// others exist once the program has stated [`Event::Spawned`]). The default knows only
    /// the main thread.
    fn next_thread(&self, me: &ClientCtx, local: &mut Local, thread: u8, now_ms: u64) -> Next {
        debug_assert_eq!(thread, 0, "a recipe without threads");
        self.next_at(me, local, now_ms)
    }

    /// The operation thread `thread`'s program takes next at `now_ms`, `local` unchanged:
    /// what the checker reads a step's footprint from (`crate::system::Footprint`). The
    /// default runs [`Recipe::next_thread`] on a copy.
    fn peek_thread(&self, me: &ClientCtx, local: &Local, thread: u8, now_ms: u64) -> Op {
        let mut probe = local.clone();
        self.next_thread(me, &mut probe, thread, now_ms).op
    }

    /// [`Recipe::rests_at`] for thread `thread`; [`Op::Finish`] there ends only that thread.
    fn rests_thread(&self, me: &ClientCtx, local: &Local, thread: u8, now_ms: u64) -> Option<Rest> {
        debug_assert_eq!(thread, 0, "a recipe without threads");
        self.rests_at(me, local, now_ms)
    }

    /// [`Recipe::on_reply_at`] for a reply on thread `thread`'s connection.
    fn on_reply_thread(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        thread: u8,
        reply: &Reply,
        now_ms: u64,
    ) -> Vec<Event> {
        debug_assert_eq!(thread, 0, "a recipe without threads");
        self.on_reply_at(me, local, reply, now_ms)
    }

    /// [`Recipe::resume_at`] for thread `thread`.
    fn resume_thread(
        &self,
        me: &ClientCtx,
        local: &mut Local,
        thread: u8,
        input: Input,
        now_ms: u64,
    ) -> Vec<Event> {
        debug_assert_eq!(thread, 0, "a recipe without threads");
        self.resume_at(me, local, input, now_ms)
    }
}

/// Where a program comes to rest without a command ([`Recipe::rests_at`]).
#[derive(Clone, Debug)]
pub struct Rest {
    /// The events it states on the way.
    pub events: Vec<Event>,
    /// The local state it leaves.
    pub local: Local,
    /// [`Op::Finish`], [`Op::Sleep`] or [`Op::Choose`].
    pub op: Op,
}

/// Shorthand for building a [`Command`] from its arguments.
#[macro_export]
macro_rules! cmd {
    ($($arg:expr),+ $(,)?) => {
        $crate::command::Command(vec![$($arg.to_string()),+])
    };
}

/// Reads an integer the way the seeds' Python does (`int(r.get(key))`): a missing key or a
/// non-integer gives `None`.
pub fn reply_int(r: &Reply) -> Option<i64> {
    match r {
        Reply::Int(i) => Some(*i),
        Reply::Bulk(s) => s.parse().ok(),
        _ => None,
    }
}
