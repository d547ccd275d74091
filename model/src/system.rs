//! The system under check: N clients running one recipe against one server, under a fault
//! model, within printed bounds. Implements stateright's `Model`, so stateright's checkers
//! and its Explorer run it as they are; [`crate::checker`] runs it too, with exact shortest
//! counterexamples.

use crate::client_name;
use crate::faults::FaultModel;
use crate::fleet::{Fleet, Replication};
use crate::recipe::{ClientCtx, Event, Op, Recipe};
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
    recipe: Arc<dyn Recipe>,
    ctxs: Vec<ClientCtx>,
    /// The server each of the recipe's connections is bound to (`NAME@i`: server `i`).
    bound: Vec<u8>,
}

impl System {
    /// Builds the system for `scenario`'s variant and property with `clients` clients (the
    /// scenario's default when `None`).
    pub fn new(
        scenario: Arc<Scenario>,
        variant: usize,
        property: usize,
        faults: FaultModel,
        clients: Option<usize>,
    ) -> System {
        let clients = clients.unwrap_or(scenario.default_clients);
        let params = scenario.params.clone();
        let recipe = Arc::clone(&scenario.variants[variant].recipe);
        let bound: Vec<u8> = recipe
            .connections()
            .iter()
            .map(|c| bound_server(c))
            .collect();
        let budget = faults.nemesis().budget();
        let bounds = Bounds {
            clients,
            retries: params.retries,
            ticks: scenario.max_ticks,
            crashes: budget.crashes,
            lease: params.lease,
            servers: bound.iter().copied().max().unwrap_or(0) + 1,
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
            recipe,
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

    /// The server the recipe's connection number `slot` is bound to.
    pub fn server_of(&self, slot: usize) -> usize {
        self.bound.get(slot).copied().unwrap_or(0) as usize
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

    /// The connection name a recipe gave its connection number `slot`.
    pub fn connection_name(&self, slot: usize) -> &'static str {
        self.recipe.connections().get(slot).copied().unwrap_or("?")
    }

    pub fn recipe(&self) -> &Arc<dyn Recipe> {
        &self.recipe
    }

    /// The starting world: the scenario's keys set, every client at the start of its program.
    pub fn initial(&self) -> World {
        let mut server = Server::default();
        for (k, v) in &self.scenario.setup {
            server.preset(k, v);
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
            clients: vec![ClientState::new(); self.bounds.clients],
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
                _ => false,
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
        w.server_at(self.server_of(slot))
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

    /// Marks a running client whose program has ended as done, recording its final events.
    fn settle(&self, w: &mut World, i: usize, events: Option<&mut Vec<Event>>) {
        if w.clients[i].status != Status::Running {
            return;
        }
        let mut probe = w.clients[i].local.clone();
        let next = self.recipe.next_at(&self.ctxs[i], &mut probe, w.now);
        if next.op == Op::Finish {
            for e in &next.events {
                w.clients[i].apply(e, w.now);
            }
            if let Some(events) = events {
                events.extend(next.events);
            }
            w.clients[i].local = probe;
            w.clients[i].status = Status::Done;
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
    /// [`System::advance`]; only the recording differs).
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
            Action::Step(i) => self.client_step(w, i, rec),
            fault => self.faults.nemesis().apply(self, w, fault, rec),
        }
    }

    /// Client `i` starts a step: its recipe decides what to do next, and the events it states
    /// as the step starts are recorded at `now`. The model and the live executor both step
    /// clients through this and [`System::read_reply`], so they cannot drift apart.
    pub fn begin_step(&self, c: &mut ClientState, i: usize, now: u64) -> crate::recipe::Next {
        let next = self.recipe.next_at(&self.ctxs[i], &mut c.local, now);
        for e in &next.events {
            c.apply(e, now);
        }
        next
    }

    /// Client `i` reads `reply` (to the command it just sent, or to one that had parked its
    /// connection): its recipe updates its state and the events it states are recorded.
    pub fn read_reply(&self, c: &mut ClientState, i: usize, reply: &Reply, now: u64) -> Vec<Event> {
        let events = self
            .recipe
            .on_reply_at(&self.ctxs[i], &mut c.local, reply, now);
        for e in &events {
            c.apply(e, now);
        }
        events
    }

    fn client_step(&self, w: &mut World, i: usize, mut rec: Option<&mut Step>) {
        if let Some(step) = rec.as_deref_mut() {
            step.client = Some(client_name(i));
        }
        if let Status::Waiting { conn } = w.clients[i].status {
            let reply = w
                .server_mut(self.server_of(conn as usize))
                .take_served(self.conn_id(i, conn as usize))
                .unwrap_or(Reply::Nil);
            w.clients[i].status = Status::Running;
            let events = self.read_reply(&mut w.clients[i], i, &reply, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.kind = StepKind::Receive;
                step.connection = Some(self.connection_name(conn as usize).to_string());
                step.events = events;
                step.reply = Some(reply);
            }
        } else {
            let next = self.begin_step(&mut w.clients[i], i, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.events = next.events;
            }
            match next.op {
                Op::Send { conn, command } => {
                    let owner_before = self.token_owner(w.server.get_str(self.scenario.subject));
                    let (at, id, now) = (self.server_of(conn), self.conn_id(i, conn), w.now);
                    let outcome = w.apply_on(at, id, &command, now);
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
                        step.connection = Some(self.connection_name(conn).to_string());
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
                Op::Finish => w.clients[i].status = Status::Done,
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
        let mut server = w.server.clone();
        let mut now = w.now;
        for _ in 0..=LATE_CONTENDER_TICKS {
            let mut local = crate::recipe::Local::default();
            for _ in 0..64 {
                let next = self.recipe.next_at(&me, &mut local, now);
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
                let events = self.recipe.on_reply_at(&me, &mut local, &reply, now);
                if events.iter().any(|e| matches!(e, Event::Acquired { .. })) {
                    return true;
                }
            }
            for slot in 0..self.recipe.connections().len() {
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
