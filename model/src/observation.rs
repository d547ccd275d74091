//! What the invariants (and the stepper's "what may happen next") read of a run: an
//! [`Observation`]. The model checker observes its own [`World`] through [`ModelView`], a
//! borrowed view that costs two pointers; the live executor observes a real server's run
//! (the keyspace it read back, the beliefs its recipes stated, the connections CLIENT LIST
//! shows parked) and builds no model `World`. An invariant that reads only this trait means
//! the same thing on both sides, and does not depend on how `World` lays out its fields.
//!
//! The contract per reading:
//! - `now`: the logical clock (ms, whole ticks).
//! - `clients` / `client(i)`: each client's program status, its beliefs (inside its critical
//!   section, holding until when, committed deltas) and the history of events it stated,
//!   with their times ([`ClientState`]).
//! - `servers` / `keyspace(s)`: each server's keys and values (server 0 first; replicas are
//!   not listed), as a model server value so a property may run a late contender on a copy.
//! - `parked(i, slot)` / `served(i, slot)`: the blocking command client `i`'s connection
//!   `slot` waits on, and whether its reply has arrived (or, waiting for a pub/sub message,
//!   whether one has, or its timeout has come); `receiving(i, slot)`: a wait for a message.
//! - `foreign_release`: the first command that removed a lock holding another client's token
//!   (remover, owner).
//! - `crashes`, `failovers`, `restarts`, `replicas`, `replica_lags(r)`: the faults the run has
//!   had, and which of server 0's replicas still lag its primary.

use crate::server::{Blocked, Server};
use crate::system::System;
use crate::world::{ClientState, World};

/// A run's state as the invariants read it (see the module doc for each reading's contract).
pub trait Observation {
    fn now(&self) -> u64;
    fn clients(&self) -> usize;
    fn client(&self, i: usize) -> &ClientState;
    fn servers(&self) -> usize;
    fn keyspace(&self, s: usize) -> &Server;
    fn parked(&self, i: usize, slot: usize) -> Option<&Blocked>;
    fn served(&self, i: usize, slot: usize) -> bool;
    /// While client `i` waits on connection `slot` for a pub/sub message: from when it may
    /// give up (`None`: never), and the channels it is subscribed to.
    fn receiving(&self, i: usize, slot: usize) -> Option<(Option<u64>, Vec<String>)> {
        let _ = (i, slot);
        None
    }
    fn foreign_release(&self) -> Option<(usize, usize)>;
    fn crashes(&self) -> u8;
    fn failovers(&self) -> u8 {
        0
    }
    fn restarts(&self) -> u8 {
        0
    }
    fn replicas(&self) -> usize {
        0
    }
    fn replica_lags(&self, r: usize) -> bool {
        let _ = r;
        false
    }

    /// Server 0's string value at `key`, if it holds a string.
    fn get_str(&self, key: &str) -> Option<&str> {
        self.keyspace(0).get_str(key)
    }

    /// Whether server 0 holds `key`.
    fn contains_key(&self, key: &str) -> bool {
        self.keyspace(0).keys.contains_key(key)
    }
}

/// The model's observation of one world of `sys`: a borrowed view, built for free.
#[derive(Clone, Copy)]
pub struct ModelView<'a> {
    pub sys: &'a System,
    pub w: &'a World,
}

impl Observation for ModelView<'_> {
    fn now(&self) -> u64 {
        self.w.now
    }
    fn clients(&self) -> usize {
        self.w.clients.len()
    }
    fn client(&self, i: usize) -> &ClientState {
        &self.w.clients[i]
    }
    fn servers(&self) -> usize {
        self.w.servers().count()
    }
    fn keyspace(&self, s: usize) -> &Server {
        self.w.server_at(s)
    }
    fn parked(&self, i: usize, slot: usize) -> Option<&Blocked> {
        self.w
            .server_at(self.sys.server_of(i, slot))
            .conn(self.sys.conn_id(i, slot))
            .and_then(|c| c.blocked.as_ref())
    }
    fn served(&self, i: usize, slot: usize) -> bool {
        self.w
            .server_at(self.sys.server_of(i, slot))
            .conn(self.sys.conn_id(i, slot))
            .is_some_and(|c| {
                c.served.is_some() || matches!(c.pubsub.receiving, Some(Some(d)) if self.w.now >= d)
            })
    }
    fn receiving(&self, i: usize, slot: usize) -> Option<(Option<u64>, Vec<String>)> {
        let c = self
            .w
            .server_at(self.sys.server_of(i, slot))
            .conn(self.sys.conn_id(i, slot))?;
        let deadline = c.pubsub.receiving?;
        Some((deadline, c.pubsub.channels.iter().cloned().collect()))
    }
    fn foreign_release(&self) -> Option<(usize, usize)> {
        self.w
            .foreign_release
            .map(|(by, owner)| (by as usize, owner as usize))
    }
    fn crashes(&self) -> u8 {
        self.w.crashes
    }
    fn failovers(&self) -> u8 {
        self.w.fleet.as_ref().map_or(0, |f| f.failovers)
    }
    fn restarts(&self) -> u8 {
        self.w.fleet.as_ref().map_or(0, |f| f.restarts)
    }
    fn replicas(&self) -> usize {
        self.w.replication().map_or(0, |r| r.offsets.len())
    }
    fn replica_lags(&self, r: usize) -> bool {
        self.w.replication().is_some_and(|rep| rep.lags(r))
    }
}
