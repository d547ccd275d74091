//! More than one server: independent masters, and server 0's asynchronous replicas.
//!
//! A world has one server ([`World::server`]) unless its system needs more; then
//! [`World::fleet`] holds the rest, and a single-server world pays nothing for it.
//!
//! - **Independent masters** (Redlock's N instances): servers 1.. are full [`Server`]s, each
//!   with its own keyspace, connections and expiry on the shared logical clock. A recipe's
//!   connection named `NAME@i` is bound to server `i` (a plain name is on server 0).
//! - **Replication** (fault model `failover`): server 0 is a primary with replicas.
//!   1. A client's command runs on the primary and is acknowledged at once.
//!   2. If it changed the keyspace, the primary's new keyspace is appended to the stream (one
//!      entry per write: a script or a transaction is one entry holding its *effects*, and a
//!      key's expiry is its absolute deadline, so `SET … PX` arrives as a deadline, not as a
//!      relative TTL restarted on the replica).
//!   3. `Replicate(r)`: replica `r` applies the next entry. A replica is always at a prefix.
//!   4. `WAIT n timeout` answers how many replicas have applied the client's last write, at
//!      the step it runs (the checker chooses when replication steps happen, so every count
//!      a real WAIT could return is explored; the model never parks on WAIT).
//!   5. `Promote(r)`: replica `r` becomes the primary with the keyspace it has, expiring what
//!      is due on its own clock; the old primary is gone, every connection moves to the new
//!      one (WATCH/MULTI state and subscriptions lost, a parked command answered with a
//!      connection error), and the other replicas resync from it.

use crate::command::Command;
use crate::reply::Reply;
use crate::server::{ConnId, ConnState, Outcome, Server};
use crate::world::World;
use std::collections::BTreeMap;

/// A keyspace as the stream carries it.
pub type Keys = crate::server::KeyMap;

/// The reply a client gets for a command that was parked on a server that went away.
pub const CONNECTION_LOST: &str = "ERR model: connection lost (the server went away)";

/// The servers of a world beyond server 0, and the faults they have had.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fleet {
    /// Servers 1, 2, …: independent masters.
    pub masters: Vec<Server>,
    /// Server 0's replicas, under `failover`.
    pub replication: Option<Replication>,
    /// Promotions so far.
    pub failovers: u8,
    /// Restarts so far.
    pub restarts: u8,
}

/// Server 0's replication stream and where each replica is in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Replication {
    /// The primary's keyspace after each write from offset `base` on; the last entry is the
    /// primary's current keyspace. Entries no replica still needs are dropped.
    pub log: Vec<Keys>,
    /// The stream offset of `log[0]`.
    pub base: u32,
    /// Replica `r` has applied the stream up to offset `offsets[r]`.
    pub offsets: Vec<u32>,
    /// The offset of each connection's last write (what its WAIT waits for).
    pub woff: BTreeMap<ConnId, u32>,
}

impl Replication {
    /// `replicas` replicas, all in sync with `keys`.
    pub fn new(replicas: usize, keys: &Keys) -> Replication {
        Replication {
            log: vec![keys.clone()],
            base: 0,
            offsets: vec![0; replicas],
            woff: BTreeMap::new(),
        }
    }

    /// The offset of the primary's latest write.
    pub fn head(&self) -> u32 {
        self.base + self.log.len() as u32 - 1
    }

    /// The keyspace replica `r` has.
    pub fn replica_keys(&self, r: usize) -> &Keys {
        &self.log[(self.offsets[r] - self.base) as usize]
    }

    /// Whether replica `r` has writes left to apply.
    pub fn lags(&self, r: usize) -> bool {
        self.offsets[r] < self.head()
    }

    /// How many replicas have applied `conn`'s last write.
    pub fn acked(&self, conn: ConnId) -> usize {
        let want = self.woff.get(&conn).copied().unwrap_or(0);
        self.offsets.iter().filter(|&&o| o >= want).count()
    }

    /// Appends the primary's keyspace if `conn`'s command changed it.
    fn record(&mut self, conn: ConnId, keys: &Keys) {
        if self.log.last() != Some(keys) {
            self.log.push(keys.clone());
            self.woff.insert(conn, self.head());
            self.trim();
        }
    }

    /// Replica `r` applies the next write.
    pub fn replicate(&mut self, r: usize) {
        if self.lags(r) {
            self.offsets[r] += 1;
            self.trim();
        }
    }

    /// Drops the entries every replica has passed.
    fn trim(&mut self) {
        let min = self.offsets.iter().copied().min().unwrap_or(self.head());
        let drop = (min - self.base) as usize;
        if drop > 0 {
            self.log.drain(..drop);
            self.base = min;
        }
    }
}

impl World {
    /// Server `i` (0 is [`World::server`]).
    pub fn server_at(&self, i: usize) -> &Server {
        match (i, &self.fleet) {
            (0, _) => &self.server,
            (i, Some(f)) => &f.masters[i - 1],
            (i, None) => panic!("server {i} of a single-server world"),
        }
    }

    /// Server `i`, to change.
    pub fn server_mut(&mut self, i: usize) -> &mut Server {
        match (i, &mut self.fleet) {
            (0, _) => &mut self.server,
            (i, Some(f)) => &mut f.masters[i - 1],
            (i, None) => panic!("server {i} of a single-server world"),
        }
    }

    /// Every server, server 0 first.
    pub fn servers(&self) -> impl Iterator<Item = &Server> {
        std::iter::once(&self.server).chain(self.fleet.iter().flat_map(|f| f.masters.iter()))
    }

    /// Server 0's replication, under `failover`.
    pub fn replication(&self) -> Option<&Replication> {
        self.fleet.as_ref().and_then(|f| f.replication.as_ref())
    }

    /// Runs `cmd` from `conn` on server `i` at `now`, replicating what it wrote.
    pub fn apply_on(
        &mut self,
        i: usize,
        conn: ConnId,
        cmd: &std::sync::Arc<Command>,
        now: u64,
    ) -> Outcome {
        let World { server, fleet, .. } = self;
        let Some(fleet) = fleet else {
            return server.apply_shared(conn, cmd, now);
        };
        if i > 0 {
            return fleet.masters[i - 1].apply_shared(conn, cmd, now);
        }
        let outcome = server.apply_shared(conn, cmd, now);
        let Some(rep) = &mut fleet.replication else {
            return outcome;
        };
        rep.record(conn, &server.keys);
        match outcome {
            // The single-server model refuses to guess a WAIT for replicas; here it knows.
            Outcome::Reply(Reply::Error(e)) if e.starts_with("ERR model: WAIT") => {
                Outcome::Reply(Reply::Int(rep.acked(conn) as i64))
            }
            other => other,
        }
    }

    /// Replica `r` of server 0 becomes the primary (see the module doc, step 5).
    pub fn promote(&mut self, r: usize, now: u64) {
        let fleet = self.fleet.as_mut().expect("failover has a fleet");
        let rep = fleet.replication.as_mut().expect("failover has replicas");
        let keys = rep.replica_keys(r).clone();
        rep.offsets.remove(r);
        fleet.failovers += 1;
        self.server.keys = keys.into();
        lose_connections(&mut self.server);
        self.server.advance(now);
        let rep = self.fleet.as_mut().and_then(|f| f.replication.as_mut());
        let rep = rep.expect("failover has replicas");
        *rep = Replication::new(rep.offsets.len(), &self.server.keys);
    }

    /// Server `i` restarts without persistence: no keys, no scripts, no connections.
    pub fn restart(&mut self, i: usize) {
        let s = self.server_mut(i);
        s.keys.clear();
        s.scripts.clear();
        lose_connections(s);
        self.fleet.as_mut().expect("restart has a fleet").restarts += 1;
    }
}

/// Every connection of `server` is gone: its WATCH, MULTI and subscriptions are forgotten, a
/// parked command is answered with [`CONNECTION_LOST`], and a reply already served stays
/// with its client.
fn lose_connections(server: &mut Server) {
    let conns = std::mem::take(&mut server.conns);
    server.waiters.clear();
    for (id, c) in conns {
        let served = match (c.served.clone(), &c.blocked) {
            (Some(r), _) => r,
            (None, Some(_)) => Reply::err(CONNECTION_LOST),
            (None, None) => continue,
        };
        server.conns.insert(
            id,
            ConnState {
                served: Some(served),
                ..ConnState::default()
            }
            .into(),
        );
    }
}
