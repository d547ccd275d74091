//! The system under check: N clients running one recipe against one server, under a fault
//! model, within printed bounds. Implements stateright's `Model`, so stateright's checkers
//! and its Explorer run it as they are; [`crate::checker`] runs it too, with exact shortest
//! counterexamples.

use crate::client_name;
use crate::faults::FaultModel;
use crate::fleet::{Fleet, Replication};
use crate::recipe::{ClientCtx, Event, Input, Op, Recipe};
use crate::reply::Reply;
use crate::scenario::{PropertyDef, PropertyKind, RowId, Scenario};
use crate::server::{ConnId, Outcome, Server};
use crate::trace::{Step, StepKind};
use crate::world::{ClientState, Status, World};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// One thing that can happen next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Client `i` takes its next step (sends a command, or reads a served reply).
    Step(usize),
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

/// The server a connection named `NAME@i` is bound to: `i` (0 for a plain name).
pub fn bound_server(connection: &str) -> u8 {
    connection
        .rsplit_once('@')
        .and_then(|(_, i)| i.parse().ok())
        .unwrap_or(0)
}

/// How long (ticks) the late contender of `crashed-lock-frees` keeps trying.
pub const LATE_CONTENDER_TICKS: u64 = 10;

/// The bounds of a search; printed with every verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bounds {
    pub clients: usize,
    /// Re-attempts after a client's first try.
    pub retries: u16,
    /// Clock ticks (seconds) a run may span.
    pub ticks: u64,
    /// Crashes per run (0 unless the fault model is `crash`).
    pub crashes: u8,
    /// Lock lease in ticks.
    pub lease: u64,
    /// Checked as on a cluster: the server in cluster mode (`model::server::cluster`), so
    /// multi-key work whose keys span hash slots gets CROSSSLOT. Absent from JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cluster: bool,
    /// Servers the recipe talks to (1 unless its connections are bound to others).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub servers: u8,
    /// Replicas of server 0 (`failover` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replicas: u8,
    /// Promotions per run (`failover` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failovers: u8,
    /// Server restarts per run (`restart` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts: u8,
}

fn one() -> u8 {
    1
}

fn is_one(n: &u8) -> bool {
    *n == 1
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "clients={} retries={} ticks<={} crashes<={}",
            self.clients, self.retries, self.ticks, self.crashes
        )?;
        if self.servers > 1 {
            write!(f, " servers={}", self.servers)?;
        }
        if self.replicas > 0 || self.failovers > 0 {
            write!(
                f,
                " replicas={} failovers<={}",
                self.replicas, self.failovers
            )?;
        }
        if self.restarts > 0 {
            write!(f, " restarts<={}", self.restarts)?;
        }
        if self.cluster {
            f.write_str(" cluster")?;
        }
        Ok(())
    }
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
                .map(|&role| ClientState {
                    role,
                    ..ClientState::new()
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
        out.clear();
        for (i, c) in w.clients.iter().enumerate() {
            let ready = match c.status {
                Status::Running => true,
                Status::Waiting { conn } => self.is_served(w, i, conn as usize),
                Status::Sleeping { until } => w.now >= until,
                Status::Choosing { n } => {
                    out.extend((0..n).map(|k| Action::Choose(i, k)));
                    false
                }
                Status::Done | Status::Crashed { .. } => false,
            };
            if ready {
                out.push(Action::Step(i));
            }
        }
        let nemesis = self.faults.nemesis();
        if w.now / 1000 < self.bounds.ticks && nemesis.may_tick(self, w) {
            out.push(Action::Tick);
        }
        nemesis.enabled(self, w, out);
    }

    /// Whether a reply has been served to client `i`'s parked connection `slot`.
    fn is_served(&self, w: &World, i: usize, slot: usize) -> bool {
        w.server_at(self.server_of(i, slot))
            .conn(self.conn_id(i, slot))
            .is_some_and(|s| s.served.is_some())
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

    /// Records what client state `c` (client `i`) stated at `now`: its beliefs, and the
    /// history the scenario keeps.
    pub fn record(&self, c: &mut ClientState, event: &Event, now: u64) {
        c.apply(event, now);
        if self.scenario.keeps(event) {
            c.note(event, now);
        }
    }

    /// Brings a running client to rest where its program does not send a command next: done
    /// when it has ended, asleep at a sleep, at a choice. Records the events that take effect
    /// on the way (and adds them to `events`). The model and the live executor both call it
    /// after every client step.
    pub fn settle_client(&self, c: &mut ClientState, i: usize, now: u64, events: &mut Vec<Event>) {
        if c.status != Status::Running {
            return;
        }
        let Some(rest) = self.recipes[i].rests_at(&self.ctxs[i], &c.local, now) else {
            return;
        };
        for e in &rest.events {
            self.record(c, e, now);
        }
        events.extend(rest.events);
        c.local = rest.local;
        self.rest(c, &rest.op, now);
    }

    /// Hands client `i` the end of its sleep or the checker's choice, recording what it states.
    fn resume(
        &self,
        c: &mut ClientState,
        i: usize,
        input: Input,
        now: u64,
        events: &mut Vec<Event>,
    ) {
        let later = self.recipes[i].resume_at(&self.ctxs[i], &mut c.local, input, now);
        for e in &later {
            self.record(c, e, now);
        }
        events.extend(later);
    }

    /// Marks a running client whose program has ended as done (or asleep, or at a choice),
    /// recording its final events.
    fn settle(&self, w: &mut World, i: usize, events: Option<&mut Vec<Event>>) {
        let now = w.now;
        let mut stated = Vec::new();
        self.settle_client(&mut w.clients[i], i, now, &mut stated);
        if let Some(events) = events {
            events.extend(stated);
        }
    }

    /// Applies `action` to `w`, returning the next world and the trace step it makes.
    pub fn step(&self, w: &World, action: Action) -> (World, Step) {
        let mut w = w.clone();
        let mut step = Step {
            time: w.now / 1000,
            kind: StepKind::Tick,
            client: None,
            server: None,
            connection: None,
            command: None,
            reply: None,
            events: vec![],
            notes: vec![],
        };
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
                let on = if self.servers() > 1 {
                    " on server 0"
                } else {
                    ""
                };
                for k in adv.expired {
                    step.notes.push(format!("{k} expires{on}"));
                }
                for (i, adv) in others.iter().enumerate() {
                    for k in &adv.expired {
                        step.notes.push(format!("{k} expires on server {}", i + 1));
                    }
                    for c in &adv.timed_out {
                        step.notes.push(format!(
                            "{}'s BLPOP times out",
                            client_name(c.client as usize)
                        ));
                    }
                }
                for c in adv.timed_out {
                    step.notes.push(format!(
                        "{}'s BLPOP times out",
                        client_name(c.client as usize)
                    ));
                }
                for (i, c) in w.clients.iter().enumerate() {
                    if let (true, Some(Some(until))) = (c.is_live(), c.lease_until) {
                        if until == w.now {
                            step.notes
                                .push(format!("{}'s lease runs out", client_name(i)));
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
            Action::Step(i) => self.client_step(w, i, rec),
            fault => self.faults.nemesis().apply(self, w, fault, rec),
        }
    }

    /// Client `i` starts a step: its recipe decides what to do next, and the events it states
    /// as the step starts are recorded at `now`. The model and the live executor both step
    /// clients through this and [`System::read_reply`], so they cannot drift apart.
    pub fn begin_step(&self, c: &mut ClientState, i: usize, now: u64) -> crate::recipe::Next {
        let next = self.recipes[i].next_at(&self.ctxs[i], &mut c.local, now);
        for e in &next.events {
            self.record(c, e, now);
        }
        next
    }

    /// A client whose program, asked for its next step at `now`, ended, slept or chose
    /// instead of sending (`op`) rests accordingly: done; asleep until `now` plus the sleep
    /// rounded down to whole ticks (every real wake-up time is then allowed: the client may
    /// also step later); at a choice.
    pub fn rest(&self, c: &mut ClientState, op: &Op, now: u64) {
        match *op {
            Op::Finish => c.status = Status::Done,
            Op::Sleep { ms } => {
                c.status = Status::Sleeping {
                    until: now + ms / 1000 * 1000,
                }
            }
            Op::Choose { n } => c.status = Status::Choosing { n },
            Op::Send { .. } | Op::Local => {}
        }
    }

    /// Client `i`, at a choice, takes branch `k` at `now` (a step without a command): its
    /// program runs on from the choice to its next step; returns what it states, the choice
    /// first.
    pub fn take_choice(&self, c: &mut ClientState, i: usize, k: u32, now: u64) -> Vec<Event> {
        let mut events = vec![Event::Chose { choice: k }];
        self.record(c, &events[0], now);
        c.status = Status::Running;
        self.resume(c, i, Input::Chose(k), now, &mut events);
        self.settle_client(c, i, now, &mut events);
        events
    }

    /// Client `i`, asleep, wakes at `now` (a step without a command): its program runs on from
    /// the sleep to its next step; returns what it states.
    pub fn wake(&self, c: &mut ClientState, i: usize, now: u64) -> Vec<Event> {
        let mut events = Vec::new();
        c.status = Status::Running;
        self.resume(c, i, Input::Slept, now, &mut events);
        self.settle_client(c, i, now, &mut events);
        events
    }

    /// Client `i` reads `reply` (to the command it just sent, or to one that had parked its
    /// connection): its recipe updates its state and the events it states are recorded.
    pub fn read_reply(&self, c: &mut ClientState, i: usize, reply: &Reply, now: u64) -> Vec<Event> {
        let events = self.recipes[i].on_reply_at(&self.ctxs[i], &mut c.local, reply, now);
        for e in &events {
            self.record(c, e, now);
        }
        events
    }

    fn client_step(&self, w: &mut World, i: usize, mut rec: Option<&mut Step>) {
        if let Some(step) = rec.as_deref_mut() {
            step.client = Some(client_name(i));
        }
        if let Status::Waiting { conn } = w.clients[i].status {
            let reply = w
                .server_mut(self.server_of(i, conn as usize))
                .take_served(self.conn_id(i, conn as usize))
                .unwrap_or(Reply::Nil);
            w.clients[i].status = Status::Running;
            let events = self.read_reply(&mut w.clients[i], i, &reply, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.kind = StepKind::Receive;
                step.connection = Some(self.connection_name(i, conn as usize).to_string());
                step.events = events;
                step.reply = Some(reply);
            }
        } else if let Status::Sleeping { .. } = w.clients[i].status {
            let woke = self.wake(&mut w.clients[i], i, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.kind = StepKind::Local;
                step.events = woke;
            }
            return;
        } else {
            let next = self.begin_step(&mut w.clients[i], i, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.events = next.events;
            }
            match next.op {
                Op::Send { conn, command } => {
                    let owner_before = self.token_owner(w.server.get_str(self.scenario.subject));
                    let (at, id, now) = (self.server_of(i, conn), self.conn_id(i, conn), w.now);
                    let outcome = w.apply_on(at, id, &command, now);
                    let conn_name = self.connection_name(i, conn);
                    self.note_foreign_release(w, i, owner_before, rec.as_deref_mut());
                    match outcome {
                        Outcome::Reply(reply) => {
                            let later = self.read_reply(&mut w.clients[i], i, &reply, w.now);
                            if let Some(step) = rec.as_deref_mut() {
                                step.events.extend(later);
                                step.reply = Some(reply);
                            }
                        }
                        Outcome::Blocked => {
                            w.clients[i].status = Status::Waiting { conn: conn as u8 };
                            if let Some(step) = rec.as_deref_mut() {
                                step.notes.push(format!("{} blocks", client_name(i)));
                            }
                        }
                        Outcome::Unmodelled(name) => {
                            // The world records it (w.server.unmodelled); the checker stops.
                            w.clients[i].status = Status::Done;
                            if let Some(step) = rec.as_deref_mut() {
                                step.notes
                                    .push(format!("the model does not implement {name}"));
                            }
                        }
                    }
                    if let Some(step) = rec.as_deref_mut() {
                        step.kind = StepKind::Command;
                        step.connection = Some(conn_name.to_string());
                        step.command = Some(command.0);
                        for (j, c) in w.clients.iter().enumerate() {
                            if let Status::Waiting { conn } = c.status {
                                if j != i && self.is_served(w, j, conn as usize) {
                                    step.notes
                                        .push(format!("{}'s BLPOP is served", client_name(j)));
                                }
                            }
                        }
                    }
                }
                Op::Local => {
                    if let Some(step) = rec.as_deref_mut() {
                        step.kind = StepKind::Local;
                    }
                }
                // A program that reads the clock may decide otherwise at a later time than
                // the one settle_client probed at.
                op @ (Op::Finish | Op::Sleep { .. } | Op::Choose { .. }) => {
                    self.rest(&mut w.clients[i], &op, w.now);
                    if let Some(step) = rec.as_deref_mut() {
                        step.kind = StepKind::Local;
                    }
                }
            }
        }
        self.settle(w, i, rec.map(|step| &mut step.events));
    }

    /// The client whose token `value` is, if any.
    fn token_owner(&self, value: Option<&str>) -> Option<usize> {
        let value = value?;
        self.ctxs.iter().position(|c| c.token == value)
    }

    /// Records the first step in which a client removed a lock holding another's token
    /// (`owner`: whose token the subject held before the command).
    fn note_foreign_release(
        &self,
        w: &mut World,
        actor: usize,
        owner: Option<usize>,
        rec: Option<&mut Step>,
    ) {
        let Some(owner) = owner else { return };
        let owner_token = self.ctxs[owner].token.as_str();
        if owner == actor || w.server.get_str(self.scenario.subject) == Some(owner_token) {
            return;
        }
        if let Some(step) = rec {
            step.notes.push(format!(
                "{} removes {}'s lock",
                client_name(actor),
                client_name(owner)
            ));
        }
        if w.foreign_release.is_none() {
            w.foreign_release = Some((actor as u8, owner as u8));
        }
    }

    /// The property's verdict on one world, given whether the world is final.
    pub fn check(&self, w: &World, is_final: bool) -> Result<(), String> {
        let p = self.property_def();
        match p.kind {
            PropertyKind::AtEnd if !is_final => Ok(()),
            _ => (p.check)(self, w),
        }
    }

    /// Whether a client that arrives after everything in `w` happened, running the same
    /// recipe and retrying patiently (one tick between attempts, for up to
    /// [`LATE_CONTENDER_TICKS`] ticks), acquires the lock. This is how `crashed-lock-frees`
    /// asks "does the lock become acquirable again?" in a finite model.
    pub fn late_contender_acquires(&self, w: &World) -> bool {
        let me = ClientCtx {
            index: w.clients.len(),
            token: client_name(w.clients.len()),
            params: self.scenario.params.clone(),
        };
        let conn = |slot: usize| ConnId {
            client: me.index as u8,
            slot: slot as u8,
        };
        let recipe = &self.recipes[0];
        let mut server = w.server.clone();
        let mut now = w.now;
        for _ in 0..=LATE_CONTENDER_TICKS {
            let mut local = crate::recipe::Local::default();
            for _ in 0..64 {
                let next = recipe.next_at(&me, &mut local, now);
                if next
                    .events
                    .iter()
                    .any(|e| matches!(e, Event::Acquired { .. }))
                {
                    return true;
                }
                let Op::Send {
                    conn: slot,
                    command,
                } = next.op
                else {
                    break;
                };
                let Outcome::Reply(reply) = server.apply(conn(slot), &command, now) else {
                    break;
                };
                let events = recipe.on_reply_at(&me, &mut local, &reply, now);
                if events.iter().any(|e| matches!(e, Event::Acquired { .. })) {
                    return true;
                }
            }
            for slot in 0..recipe.connections().len() {
                server.close(conn(slot));
            }
            now += 1000;
            server.advance(now);
        }
        false
    }

    /// The keyspace as `key = value (ttl)` lines, for traces and the Explorer.
    pub fn describe_keys(&self, w: &World) -> Vec<String> {
        w.server
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

/// stateright's view: the same system, with the property as a stateright `Property`.
impl stateright::Model for System {
    type State = World;
    type Action = Action;

    fn init_states(&self) -> Vec<World> {
        vec![self.initial()]
    }

    fn actions(&self, state: &World, actions: &mut Vec<Action>) {
        actions.extend(self.enabled(state));
    }

    fn next_state(&self, last: &World, action: Action) -> Option<World> {
        Some(self.step(last, action).0)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        vec![stateright::Property::always(
            self.property_def().name,
            |m: &System, w: &World| {
                let is_final = m.enabled(w).is_empty();
                m.check(w, is_final).is_ok()
            },
        )]
    }

    fn format_action(&self, action: &Action) -> String {
        match action {
            Action::Step(i) => format!("{} steps", client_name(*i)),
            Action::Tick => "clock +1s".to_string(),
            Action::Crash(i) => format!("{} crashes", client_name(*i)),
            Action::Choose(i, k) => format!("{} chooses {k}", client_name(*i)),
            Action::Replicate(r) => format!("replica {} applies a write", r + 1),
            Action::Promote(r) => format!("replica {} is promoted", r + 1),
            Action::Restart(s) => format!("server {s} restarts empty"),
        }
    }

    fn format_step(&self, last: &World, action: Action) -> Option<String> {
        let (_, step) = self.step(last, action);
        Some(crate::render::step_line(&step))
    }
}
