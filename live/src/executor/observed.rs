//! The live run as the invariants read it: an [`Observation`] built from what the server and
//! the live-driven recipes said, never a model `World`.
//!
//! 1. The keyspace: the live keys read back after the last step (the backend's `snapshot.rs`).
//! 2. The clients: their states as the live replies left them (status, beliefs, history).
//! 3. Parked connections: those CLIENT LIST shows blocked, each with the blocking command it
//!    actually sent; a parked connection the server has answered is `served`.
//!    A client waiting for a pub/sub message is served once one has arrived or its timeout
//!    has come, as in the model (`pubsub.rs`).
//! 4. The clock, the crashes, the first foreign release, as the executor counted them.
//! 5. On a fleet: each master's keyspace (server 0 first), the failovers and restarts done
//!    live, and the model's final replication stream (replicas were compared step by step).

use model::fleet::Replication;
use model::server::{Blocked, Server};
use model::world::ClientState;
use model::{Observation, Step, System};
use std::collections::{HashMap, HashSet};

/// What the live run left: see the module doc.
#[derive(Clone, Debug)]
pub(super) struct LiveObservation {
    /// Each model server's live keyspace (server 0 first).
    pub keyspaces: Vec<Server>,
    pub clients: Vec<ClientState>,
    pub now: u64,
    pub crashes: u8,
    pub failovers: u8,
    pub restarts: u8,
    pub replication: Option<Replication>,
    pub foreign_release: Option<(usize, usize)>,
    /// `(client, slot)` → the blocking command the server holds that connection on.
    pub parked: HashMap<(usize, usize), Blocked>,
    /// `(client, slot)` of parked connections whose reply has arrived.
    pub served: HashSet<(usize, usize)>,
    /// `(client, slot)` → a wait for a pub/sub message: when it may give up, the channels.
    pub receiving: HashMap<(usize, usize), (Option<u64>, Vec<String>)>,
}

impl Observation for LiveObservation {
    fn now(&self) -> u64 {
        self.now
    }
    fn clients(&self) -> usize {
        self.clients.len()
    }
    fn client(&self, i: usize) -> &ClientState {
        &self.clients[i]
    }
    fn servers(&self) -> usize {
        self.keyspaces.len()
    }
    fn keyspace(&self, s: usize) -> &Server {
        &self.keyspaces[s]
    }
    fn parked(&self, i: usize, slot: usize) -> Option<&Blocked> {
        self.parked.get(&(i, slot))
    }
    fn served(&self, i: usize, slot: usize) -> bool {
        self.served.contains(&(i, slot))
    }
    fn receiving(&self, i: usize, slot: usize) -> Option<(Option<u64>, Vec<String>)> {
        self.receiving.get(&(i, slot)).cloned()
    }
    fn foreign_release(&self) -> Option<(usize, usize)> {
        self.foreign_release
    }
    fn crashes(&self) -> u8 {
        self.crashes
    }
    fn failovers(&self) -> u8 {
        self.failovers
    }
    fn restarts(&self) -> u8 {
        self.restarts
    }
    fn replicas(&self) -> usize {
        self.replication.as_ref().map_or(0, |r| r.offsets.len())
    }
    fn replica_lags(&self, r: usize) -> bool {
        self.replication.as_ref().is_some_and(|rep| rep.lags(r))
    }
}

/// The blocking command client `i` last sent on connection `slot` (BLPOP key… timeout), as
/// the server holds it: its keys and its deadline on the logical clock (none for timeout 0).
pub(super) fn parked_command(
    steps: &[Step],
    system: &System,
    i: usize,
    slot: usize,
) -> Option<model::server::Blocked> {
    let who = model::client_name(i);
    let conn = system.connection_name(i, slot);
    let step = steps.iter().rev().find(|s| {
        s.kind == model::trace::StepKind::Command
            && s.client.as_deref() == Some(who.as_str())
            && s.connection.as_deref() == Some(conn)
    })?;
    let argv = step.command.as_ref()?;
    if argv.len() < 3 || !argv[0].eq_ignore_ascii_case("blpop") {
        return None;
    }
    let timeout_ms = (argv[argv.len() - 1].parse::<f64>().ok()? * 1000.0).ceil() as u64;
    Some(model::server::Blocked {
        keys: argv[1..argv.len() - 1].to_vec(),
        deadline: (timeout_ms > 0).then(|| step.time * 1000 + timeout_ms),
        park: model::server::Park::Pop { left: true },
    })
}
