//! The model checker's state: the server, every client's program state and beliefs, the
//! clock, and the little history the properties need.

use crate::recipe::{Event, EventValue, Local};
use crate::server::Server;
use crate::shared::Shared;

/// Where a client's program is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Running,
    /// Parked on connection `conn` until the server serves its blocking command.
    Waiting {
        conn: u8,
    },
    /// Asleep until logical time `until` (ms): it may step once the clock has reached it.
    Sleeping {
        until: u64,
    },
    /// At a `choose(n)`: its next step is one of the checker's `n` choices.
    Choosing {
        n: u32,
    },
    Done,
    /// Stopped for good at logical time `at` (ms).
    Crashed {
        at: u64,
    },
}

/// One client: its program's variables and what it has stated about itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientState {
    pub local: Local,
    pub status: Status,
    /// Inside its critical section (between `Enter` and `Exit`).
    pub in_cs: bool,
    /// `Some(deadline)` while the client believes it holds the lock; the deadline (ms) is when
    /// its lease ends, `None` for a lock without expiry.
    pub lease_until: Option<Option<u64>>,
    /// Sum of the deltas the server acknowledged (increments, sales).
    pub committed: i64,
    /// The client's role, as an index into the scenario's roles (0 in a one-role scenario).
    /// Symmetry renames clients only within a role.
    pub role: u8,
    /// What the client stated that the scenario keeps, in order, with the time: every named
    /// event, and the built-in events the scenario's `history` lists. Empty for rows that do
    /// not ask for it, so it costs them nothing.
    pub history: Shared<Vec<Noted>>,
    /// The threads the program spawned (`c:spawn`), each as (its connection slot, where it
    /// is), in the order spawned; empty for a client of one thread. The client's `status` is
    /// its main thread's: when the main thread ends or the client crashes, these stop too.
    pub threads: Vec<(u8, Status)>,
}

/// One entry of a client's history: an event and the logical time (ms) it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Noted {
    pub at: u64,
    pub name: String,
    pub value: Option<EventValue>,
}

impl ClientState {
    pub fn new() -> Self {
        ClientState {
            local: Local::default(),
            status: Status::Running,
            in_cs: false,
            lease_until: None,
            committed: 0,
            role: 0,
            history: Shared::default(),
            threads: Vec::new(),
        }
    }

    /// Where thread `slot` is (0: the main thread, whose status is the client's).
    pub fn thread_status(&self, slot: u8) -> Status {
        if slot == 0 {
            return self.status;
        }
        self.threads
            .iter()
            .find(|(s, _)| *s == slot)
            .map_or(Status::Done, |(_, st)| *st)
    }

    /// Sets where thread `slot` is. The main thread's end (done, crashed) stops every other.
    pub fn set_thread_status(&mut self, slot: u8, status: Status) {
        if slot == 0 {
            self.status = status;
            if !self.is_live() {
                self.threads.clear();
            }
        } else if let Some(t) = self.threads.iter_mut().find(|(s, _)| *s == slot) {
            t.1 = status;
        }
    }

    /// The client stops for good at `now`: its spawned threads die with it and it holds no
    /// critical section (a crash, in the model and on a live run alike).
    pub fn crash(&mut self, now: u64) {
        self.status = Status::Crashed { at: now };
        self.threads.clear();
        self.in_cs = false;
    }

    pub fn is_crashed(&self) -> bool {
        matches!(self.status, Status::Crashed { .. })
    }

    /// Still able to act (not finished, not crashed).
    pub fn is_live(&self) -> bool {
        matches!(
            self.status,
            Status::Running
                | Status::Waiting { .. }
                | Status::Sleeping { .. }
                | Status::Choosing { .. }
        )
    }

    /// Records what the client stated at logical time `now` (ms).
    pub fn apply(&mut self, event: &Event, now: u64) {
        match event {
            Event::Acquired { lease } => {
                self.lease_until = Some(lease.map(|s| now + s * 1000));
            }
            Event::Enter => self.in_cs = true,
            Event::Exit => self.in_cs = false,
            Event::Released => self.lease_until = None,
            Event::Committed { delta } => self.committed += delta,
            Event::Spawned { slot, .. } => self.threads.push((*slot, Status::Running)),
            Event::GaveUp | Event::Chose { .. } | Event::Named { .. } => {}
        }
    }

    /// Appends `event` to the history, at logical time `now` (ms).
    pub fn note(&mut self, event: &Event, now: u64) {
        self.history.push(Noted {
            at: now,
            name: event.name().to_string(),
            value: event.value(),
        });
    }
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new()
    }
}

/// Everything the model checker explores.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct World {
    pub server: Server,
    pub clients: Vec<Shared<ClientState>>,
    /// Logical time in ms; it moves in whole ticks of 1000 ms.
    pub now: u64,
    pub crashes: u8,
    /// The first release that removed another client's lock: (remover, owner).
    pub foreign_release: Option<(u8, u8)>,
    /// Servers beyond server 0 and server 0's replicas, for systems that have them
    /// ([`crate::fleet`]); `None` for a single server.
    pub fleet: Option<Box<crate::fleet::Fleet>>,
}
