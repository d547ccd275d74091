//! The system under check: N clients, each running its role's recipe, against one server or
//! several (independent masters, a primary with replicas), under a fault model whose nemesis
//! (`crate::faults`) says which faults may happen, within printed bounds ([`Bounds`]). This
//! file holds the world's transitions; how a client steps is in `clients.rs`, stateright's
//! `Model` in `stateright_model.rs` (so stateright's checkers and its Explorer run the system
//! as it is; [`crate::checker`] runs it too, with exact shortest counterexamples). What may
//! happen next, and the property's verdict, are read from an [`Observation`] of the world, so
//! the live executor asks the same questions of a live run.

use crate::client_name;
use crate::faults::FaultModel;
use crate::fleet::{Fleet, Replication};
use crate::observation::{ModelView, Observation};
use crate::recipe::{ClientCtx, Recipe};
use crate::scenario::{PropertyDef, PropertyKind, RowId, Scenario};
use crate::server::{ConnId, Server};
use crate::trace::{Note, Step, StepKind};
use crate::world::{ClientState, Status, World};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

mod bounds;
mod clients;
mod footprint;
mod stateright_model;

pub use bounds::{bound_server, Bounds};
pub use clients::{served_note, wait_over};
pub use footprint::{independent, Footprint};

/// One thing that can happen next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Client `i` takes its next step (sends a command, or reads a served reply).
    Step(usize),
    /// The thread client `i` spawned on its connection number `.1` (`c:spawn`) takes its
    /// next step; the main thread's steps are `Step(i)`.
    Thread(usize, u8),
    /// The clock advances one tick (one second).
    Tick,
    /// Client `i` crashes.
    Crash(usize),
    /// Client `i`, at a `choose(n)`, takes branch `k` (`k < n`) and runs on to its next step.
    Choose(usize, u32),
    /// Replica `r` of server 0 applies the primary's next write (`failover`).
    Replicate(u8),
    /// Replica `r` of server 0 is promoted; the old primary is gone (`failover`).
    Promote(u8),
    /// Server `s` restarts empty (`restart`).
    Restart(u8),
}

/// A row under one property and one fault model, ready to explore.
#[derive(Clone, Debug)]
pub struct System {
    pub scenario: Arc<Scenario>,
    pub variant: usize,
    pub property: usize,
    pub faults: FaultModel,
    pub bounds: Bounds,
    /// The recipe each client runs (its role's).
    recipes: Vec<Arc<dyn Recipe>>,
    /// Each client's role (an index into the scenario's roles).
    roles: Vec<u8>,
    ctxs: Vec<ClientCtx>,
    /// The server each client's connections are bound to (`NAME@i`: server `i`), by client
    /// and connection number.
    bound: Vec<Vec<u8>>,
}

impl System {
    /// Builds the system for `scenario`'s variant and property with `clients` clients (the
    /// scenario's default when `None`). A scenario with several roles takes its own counts:
    /// another `clients` stops the check with one line ([`Scenario::role_counts`]).
    pub fn new(
        scenario: Arc<Scenario>,
        variant: usize,
        property: usize,
        faults: FaultModel,
        clients: Option<usize>,
    ) -> System {
        let counts = scenario
            .role_counts(clients)
            .unwrap_or_else(|why| crate::program::runner::raise(why));
        let v = &scenario.variants[variant];
        assert_eq!(
            v.recipes.len(),
            counts.len(),
            "variant {} has one recipe per role",
            v.name
        );
        let mut recipes = Vec::new();
        let mut roles = Vec::new();
        for (role, &n) in counts.iter().enumerate() {
            for _ in 0..n {
                recipes.push(Arc::clone(&v.recipes[role]));
                roles.push(role as u8);
            }
        }
        let clients = recipes.len();
        let params = scenario.params.clone();
        let bound: Vec<Vec<u8>> = recipes
            .iter()
            .map(|r| r.connections().iter().map(|c| bound_server(c)).collect())
            .collect();
        let budget = faults.nemesis().budget();
        let bounds = Bounds {
            clients,
            retries: params.retries,
            ticks: scenario.max_ticks,
            crashes: budget.crashes,
            lease: params.lease,
            cluster: false,
            servers: bound.iter().flatten().copied().max().unwrap_or(0) + 1,
            replicas: budget.failovers,
            failovers: budget.failovers,
            restarts: budget.restarts,
        };
        let ctxs = (0..clients)
            .map(|i| ClientCtx {
                index: i,
                token: client_name(i),
                params: params.clone(),
            })
            .collect();
        System {
            scenario,
            variant,
            property,
            faults,
            bounds,
            recipes,
            roles,
            ctxs,
            bound,
        }
    }

    /// The same system with `replicas` replicas of server 0 (`failover` only; at least 1).
    pub fn with_replicas(mut self, replicas: u8) -> System {
        if self.faults == FaultModel::Failover {
            self.bounds.replicas = replicas.max(1);
        }
        self
    }

    /// The server client `i`'s connection number `slot` is bound to.
    pub fn server_of(&self, i: usize, slot: usize) -> usize {
        self.bound[i].get(slot).copied().unwrap_or(0) as usize
    }

    /// How many servers the recipe talks to.
    pub fn servers(&self) -> usize {
        self.bounds.servers as usize
    }

    /// The same system with another retry bound (re-attempts after a client's first try).
    pub fn with_retries(mut self, retries: u16) -> System {
        self.bounds.retries = retries;
        for c in &mut self.ctxs {
            c.params.retries = retries;
        }
        self
    }

    /// The same system with another bound on clock ticks (seconds a run may span).
    pub fn with_ticks(mut self, ticks: u64) -> System {
        self.bounds.ticks = ticks;
        self
    }

    /// The same system checked as on a cluster (see [`Bounds::cluster`]).
    pub fn on_cluster(mut self) -> System {
        self.bounds.cluster = true;
        self
    }

    /// The same system with another lock lease (seconds).
    pub fn with_lease(mut self, lease: u64) -> System {
        self.bounds.lease = lease;
        for c in &mut self.ctxs {
            c.params.lease = lease;
        }
        self
    }

    pub fn row(&self) -> RowId {
        RowId {
            scenario: self.scenario.name.to_string(),
            variant: self.scenario.variants[self.variant].name.to_string(),
        }
    }

    pub fn property_def(&self) -> &PropertyDef {
        &self.scenario.properties[self.property]
    }

    /// The connection name client `client`'s recipe gave its connection number `slot`.
    pub fn connection_name(&self, client: usize, slot: usize) -> &'static str {
        self.recipe(client)
            .connections()
            .get(slot)
            .copied()
            .unwrap_or("?")
    }

    /// The recipe client `i` runs (its role's).
    pub fn recipe(&self, i: usize) -> &Arc<dyn Recipe> {
        &self.recipes[i]
    }

    /// The name of client `i`'s role (`client` in a one-role scenario).
    pub fn role_name(&self, i: usize) -> &'static str {
        self.scenario
            .roles
            .get(self.roles[i] as usize)
            .map_or("client", |r| r.name)
    }

    /// The starting world: the scenario's keys set, every client at the start of its program.
    pub fn initial(&self) -> World {
        let mut server = Server {
            cluster: self.bounds.cluster,
            ..Server::default()
        };
        for (k, v) in &self.scenario.setup {
            v.apply_to(&mut server, k);
        }
        let needs_fleet =
            self.servers() > 1 || matches!(self.faults, FaultModel::Failover | FaultModel::Restart);
        let fleet = needs_fleet.then(|| {
            Box::new(Fleet {
                masters: vec![Server::default(); self.servers() - 1],
                replication: (self.bounds.replicas > 0)
                    .then(|| Replication::new(self.bounds.replicas as usize, &server.keys)),
                failovers: 0,
                restarts: 0,
            })
        });
        let mut world = World {
            server,
            clients: self
                .roles
                .iter()
                .map(|&role| {
                    ClientState {
                        role,
                        ..ClientState::new()
                    }
                    .into()
                })
                .collect(),
            now: 0,
            crashes: 0,
            foreign_release: None,
            fleet,
        };
        for i in 0..self.bounds.clients {
            self.settle(&mut world, i, None);
        }
        world
    }

    /// What may happen next, in a fixed order (stateright rebuilds paths from indices).
    pub fn enabled(&self, w: &World) -> Vec<Action> {
        let mut out = Vec::new();
        self.enabled_into(w, &mut out);
        out
    }

    /// [`System::enabled`] into a buffer the caller reuses (the search's hot path).
    pub fn enabled_into(&self, w: &World, out: &mut Vec<Action>) {
        self.enabled_observed(&ModelView { sys: self, w }, out);
    }

    /// What may happen next in the run `o` observes, into `out` (cleared first): the model's
    /// [`System::enabled_into`], and on a live run the question "is the run over?" asked
    /// with the same rules.
    pub fn enabled_observed<O: Observation>(&self, o: &O, out: &mut Vec<Action>) {
        out.clear();
        for i in 0..o.clients() {
            let ready = match o.client(i).status {
                Status::Running => true,
                Status::Waiting { conn } => o.served(i, conn as usize),
                Status::Sleeping { until } => o.now() >= until,
                Status::Choosing { n } => {
                    out.extend((0..n).map(|k| Action::Choose(i, k)));
                    false
                }
                Status::Done | Status::Crashed { .. } => false,
            };
            if ready {
                out.push(Action::Step(i));
            }
            let c = o.client(i);
            if c.is_live() {
                for &(slot, status) in &c.threads {
                    let ready = match status {
                        Status::Running => true,
                        Status::Waiting { conn } => o.served(i, conn as usize),
                        Status::Sleeping { until } => o.now() >= until,
                        Status::Choosing { .. } | Status::Done | Status::Crashed { .. } => false,
                    };
                    if ready {
                        out.push(Action::Thread(i, slot));
                    }
                }
            }
        }
        let nemesis = self.faults.nemesis();
        if o.now() / 1000 < self.bounds.ticks && nemesis.may_tick(self, o) {
            out.push(Action::Tick);
        }
        nemesis.enabled(self, o, out);
    }

    /// Client `i`'s identity and parameters, as its recipe sees them.
    pub fn ctx(&self, i: usize) -> &ClientCtx {
        &self.ctxs[i]
    }

    /// The server-side id of client `client`'s connection number `slot`.
    pub fn conn_id(&self, client: usize, slot: usize) -> ConnId {
        ConnId {
            client: client as u8,
            slot: slot as u8,
        }
    }

    /// Applies `action` to `w`, returning the next world and the trace step it makes.
    pub fn step(&self, w: &World, action: Action) -> (World, Step) {
        let mut w = w.clone();
        let mut step = Step::new(w.now / 1000, StepKind::Tick);
        self.advance(&mut w, action, Some(&mut step));
        (w, step)
    }

    /// Applies `action` to `w` in place, building no trace step: the search's successor
    /// function. The world it leaves is exactly the one [`System::step`] returns (both run
    /// the same private transition function; only the recording differs).
    pub fn step_in_place(&self, w: &mut World, action: Action) {
        self.advance(w, action, None);
    }

    /// The one transition function. `rec` receives the trace step when the caller wants one;
    /// every string, note and copied command is built only then.
    fn advance(&self, w: &mut World, action: Action, rec: Option<&mut Step>) {
        match action {
            Action::Tick => {
                w.now += 1000;
                let adv = w.server.advance(w.now);
                let now = w.now;
                let others: Vec<_> = match &mut w.fleet {
                    Some(f) => f.masters.iter_mut().map(|s| s.advance(now)).collect(),
                    None => Vec::new(),
                };
                let Some(step) = rec else { return };
                step.time = w.now / 1000;
                let on = (self.servers() > 1).then_some(0);
                for key in adv.expired {
                    step.notes.push(Note::Expired { key, server: on });
                }
                for (i, adv) in others.iter().enumerate() {
                    for k in &adv.expired {
                        step.notes.push(Note::Expired {
                            key: k.clone(),
                            server: Some(i + 1),
                        });
                    }
                    for c in &adv.timed_out {
                        step.notes.push(Note::TimedOut {
                            client: client_name(c.client as usize),
                        });
                    }
                }
                for c in adv.timed_out {
                    step.notes.push(Note::TimedOut {
                        client: client_name(c.client as usize),
                    });
                }
                for (i, c) in w.clients.iter().enumerate() {
                    if let (true, Some(Some(until))) = (c.is_live(), c.lease_until) {
                        if until == w.now {
                            step.notes.push(Note::LeaseRanOut {
                                client: client_name(i),
                            });
                        }
                    }
                }
            }
            Action::Choose(i, k) => {
                let events = self.take_choice(&mut w.clients[i], i, k, w.now);
                if let Some(step) = rec {
                    step.client = Some(client_name(i));
                    step.kind = StepKind::Local;
                    step.events = events;
                }
            }
            Action::Step(i) => self.client_step(w, i, 0, rec),
            Action::Thread(i, slot) => self.client_step(w, i, slot, rec),
            fault => self.faults.nemesis().apply(self, w, fault, rec),
        }
    }

    /// The property's verdict on one world, given whether the world is final.
    pub fn check(&self, w: &World, is_final: bool) -> Result<(), String> {
        self.check_observed(&ModelView { sys: self, w }, is_final)
    }

    /// The property's verdict on the run `o` observes (a model world or a live run), given
    /// whether the run is over.
    pub fn check_observed(&self, o: &dyn Observation, is_final: bool) -> Result<(), String> {
        let p = self.property_def();
        match p.kind {
            PropertyKind::AtEnd if !is_final => Ok(()),
            _ => (p.check)(self, o),
        }
    }

    /// The keyspace as `key = value (ttl)` lines, for traces and the Explorer.
    pub fn describe_keys(&self, w: &World) -> Vec<String> {
        self.describe_keyspace(&w.server)
    }

    /// A server's keyspace as `key = value (ttl)` lines in key order.
    pub fn describe_keyspace(&self, server: &Server) -> Vec<String> {
        server
            .keys
            .iter()
            .map(|(k, e)| {
                let v = e.value.describe();
                match e.expires_at {
                    Some(t) => format!("{k} = {v} (expires at t={}s)", t / 1000),
                    None => format!("{k} = {v}"),
                }
            })
            .collect()
    }
}
