//! Minimal hand-written models of two catalogue rows, at the suite's granularity, for
//! `benches/compare.rs`: what a model checker costs on the same state graph when a state is a
//! few integers instead of a real server value.
//!
//! `WatchRetry` is `counter/watch-retry`: WATCH, GET, MULTI, SET, EXEC each one step; per
//! client its pc, the value read, the attempt, whether it committed and whether its WATCH was
//! dirtied; one integer for the key. `SetNxExDel` is `lock/set-nx-ex-del` under `pause`: `SET
//! lock tok NX EX 1` (retried), the critical section, `DEL lock`; a clock that may tick while
//! under its bound, expiring the key; the first foreign release remembered, as the suite's
//! world does. Both reach exactly the suite's unique states without symmetry (the bench
//! asserts it): like the suite's program runtime, they forget what a failed attempt read and
//! what a finished client did beyond what it stated.

use stateright::{Model, Property};

/// One client of `counter/watch-retry`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tx {
    /// 0 WATCH, 1 GET, 2 MULTI, 3 SET (queued), 4 EXEC, 5 done.
    pc: u8,
    value: i64,
    attempt: u8,
    committed: bool,
    /// A watched key was written since WATCH (meaningful while `pc` is 1..=4).
    dirty: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Counter {
    key: i64,
    clients: Vec<Tx>,
}

pub struct WatchRetry {
    pub clients: usize,
    pub retries: u8,
}

impl Model for WatchRetry {
    type State = Counter;
    type Action = usize;

    fn init_states(&self) -> Vec<Counter> {
        let c = Tx {
            pc: 0,
            value: 0,
            attempt: 0,
            committed: false,
            dirty: false,
        };
        vec![Counter {
            key: 0,
            clients: vec![c; self.clients],
        }]
    }

    fn actions(&self, s: &Counter, out: &mut Vec<usize>) {
        out.extend((0..s.clients.len()).filter(|&i| s.clients[i].pc < 5));
    }

    fn next_state(&self, s: &Counter, i: usize) -> Option<Counter> {
        let mut s = s.clone();
        let key = s.key;
        let c = &mut s.clients[i];
        match c.pc {
            1 => {
                c.value = key;
                c.pc = 2;
            }
            4 => {
                let dirty = std::mem::take(&mut c.dirty);
                if !dirty {
                    // Done: the suite keeps only what the client stated.
                    c.pc = 5;
                    c.committed = true;
                    s.key = c.value + 1;
                    c.value = 0;
                    c.attempt = 0;
                    for other in &mut s.clients {
                        if (1..=4).contains(&other.pc) {
                            other.dirty = true;
                        }
                    }
                } else {
                    // A failed attempt is forgotten (`Client::attempts`): only its number stays.
                    c.value = 0;
                    c.attempt += 1;
                    if c.attempt > self.retries {
                        c.pc = 5;
                        c.attempt = 0;
                    } else {
                        c.pc = 0;
                    }
                }
            }
            _ => c.pc += 1,
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("no-lost-update", |_, s: &Counter| {
            s.clients.iter().any(|c| c.pc < 5)
                || s.key == s.clients.iter().filter(|c| c.committed).count() as i64
        })]
    }
}

/// One client of `lock/set-nx-ex-del`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Holder {
    /// 0 acquire, 1 release, 2 done.
    pc: u8,
    attempt: u8,
    in_cs: bool,
    /// When the client believes its lease ends (ms), while it believes it holds the lock.
    lease_until: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockWorld {
    /// The lock key: holder's index and deadline (ms).
    key: Option<(u8, u64)>,
    now: u64,
    clients: Vec<Holder>,
    foreign_release: Option<(u8, u8)>,
}

pub struct SetNxExDel {
    pub clients: usize,
    pub retries: u8,
    /// Clock ticks (seconds) a run may span.
    pub ticks: u64,
}

/// `None` is a clock tick; `Some(i)` client `i`'s step.
impl Model for SetNxExDel {
    type State = LockWorld;
    type Action = Option<usize>;

    fn init_states(&self) -> Vec<LockWorld> {
        let c = Holder {
            pc: 0,
            attempt: 0,
            in_cs: false,
            lease_until: None,
        };
        vec![LockWorld {
            key: None,
            now: 0,
            clients: vec![c; self.clients],
            foreign_release: None,
        }]
    }

    fn actions(&self, s: &LockWorld, out: &mut Vec<Option<usize>>) {
        out.extend(
            (0..s.clients.len())
                .filter(|&i| s.clients[i].pc < 2)
                .map(Some),
        );
        if s.now / 1000 < self.ticks {
            out.push(None);
        }
    }

    fn next_state(&self, s: &LockWorld, a: Option<usize>) -> Option<LockWorld> {
        let mut s = s.clone();
        let Some(i) = a else {
            s.now += 1000;
            if s.key.is_some_and(|(_, until)| until <= s.now) {
                s.key = None;
            }
            return Some(s);
        };
        let now = s.now;
        match s.clients[i].pc {
            0 if s.key.is_none() => {
                s.key = Some((i as u8, now + 1000));
                let c = &mut s.clients[i];
                c.attempt = 0;
                c.lease_until = Some(now + 1000);
                c.in_cs = true;
                c.pc = 1;
            }
            0 => {
                let c = &mut s.clients[i];
                c.attempt += 1;
                if c.attempt > self.retries {
                    c.pc = 2;
                    c.attempt = 0;
                }
            }
            _ => {
                if let Some((owner, _)) = s.key {
                    if owner as usize != i && s.foreign_release.is_none() {
                        s.foreign_release = Some((i as u8, owner));
                    }
                }
                s.key = None;
                let c = &mut s.clients[i];
                c.in_cs = false;
                c.lease_until = None;
                c.pc = 2;
            }
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // `no-lost-wakeup`: no client is left parked; this recipe never parks.
        vec![Property::always("no-lost-wakeup", |_, _: &LockWorld| true)]
    }
}
