//! The replay's state and step loop: the live servers ([`Nodes`]), one connection per
//! (client, slot) on the server the slot is bound to, the client states the live replies
//! drive, and each action dispatched to what performs it live. The final [`World`] is built
//! here from the live run (the property is judged on it).

use super::observed::LiveObservation;
use super::{config, snapshot, wire, ExecOptions, WaitReporter, CLOCK_MARGIN};
use crate::backend::ParkingConn;
use crate::route::{Masters, RoutedConn};
use crate::{LiveError, LiveFleet, LiveServer};
use model::world::{ClientState, Status};
use model::{client_name, Action, Event, Note, Op, Reply, Step, StepKind, System, World};
use std::time::{Duration, Instant};

/// The live servers a run drives: one, or a fleet (model server `i` is master `i`).
pub(super) enum Nodes<'a> {
    One(&'a LiveServer),
    Fleet(&'a mut LiveFleet),
}

impl Nodes<'_> {
    /// Model server `i`.
    pub(super) fn server(&self, i: usize) -> &LiveServer {
        match self {
            Nodes::One(s) => s,
            Nodes::Fleet(f) => f.master(i),
        }
    }

    /// The control connections of model server `i` (one per master of it: three on
    /// `cluster3`), with [`super::REPLY_TIMEOUT`] as their read timeout.
    pub(super) fn control(&self, i: usize) -> Result<Masters, LiveError> {
        Masters::open(self.server(i))
    }

    /// A client connection to model server `i` named `name` (on `cluster3`, one to each
    /// master, routed by key: [`crate::route`]).
    pub(super) fn connect(&self, i: usize, name: &str) -> Result<RoutedConn, LiveError> {
        RoutedConn::open(self.server(i), Some(name))
    }

    /// Removes the run's keys from every master (a fleet's replicas follow, or are reset
    /// before the next run).
    pub(super) fn cleanup(&self) -> Result<(), LiveError> {
        match self {
            Nodes::One(s) => s.cleanup(),
            Nodes::Fleet(f) => (0..f.masters()).try_for_each(|i| f.master(i).cleanup()),
        }
    }

    /// The fleet, for a fault action (`run_schedule` refuses those on one server).
    pub(super) fn fleet(&mut self) -> &mut LiveFleet {
        match self {
            Nodes::Fleet(f) => f,
            Nodes::One(_) => unreachable!("run_schedule refuses multi-server schedules"),
        }
    }
}

/// One live connection of one client: on `cluster3`, one per master, each command routed to
/// the master of its keys ([`crate::route`]).
pub(super) struct LiveConn {
    /// Sent on as the live backend sends ([`ParkingConn`]: parking told from CLIENT LIST).
    pub(super) con: ParkingConn,
    /// The model server it is bound to.
    pub(super) server: usize,
    /// Set while a blocking command waits for its reply: how to read that reply.
    pub(super) parked: Option<wire::Fix>,
    /// The reply to a parked command its server answered (or lost) before the connection
    /// was replaced by a promotion or a restart; read instead of the socket.
    pub(super) kept: Option<Reply>,
    /// While MULTI is open: how to read each queued command's reply inside EXEC's.
    pub(super) multi: Option<Vec<wire::Fix>>,
}

pub(super) type Outcome = (Vec<Step>, LiveObservation, bool, Duration, Vec<String>);

pub(super) struct Runner<'a> {
    pub(super) nodes: Nodes<'a>,
    pub(super) system: &'a System,
    pub(super) tick_ms: u64,
    pub(super) timed: bool,
    pub(super) on_wait: Option<WaitReporter>,
    pub(super) prefix: String,
    /// The control connections of each model server (one per master of it).
    pub(super) control: Vec<Masters>,
    /// `conns[client][slot]`; `None` once killed.
    pub(super) conns: Vec<Vec<Option<LiveConn>>>,
    pub(super) clients: Vec<ClientState>,
    /// Model time of the live run (ms, whole ticks).
    pub(super) now: u64,
    pub(super) crashes: u8,
    pub(super) failovers: u8,
    pub(super) restarts: u8,
    pub(super) foreign_release: Option<(u8, u8)>,
    /// The subject key's live value, when known (`None`: read it before relying on it).
    pub(super) subject: Option<Option<String>>,
    pub(super) started: Instant,
    /// When the scenario's keys with a time to live were written: their TTLs run from then,
    /// so the run's clock starts then too (`None`: no preset expires; the clock starts with
    /// the first step). See [`CLOCK_MARGIN`].
    presets_at: Option<Instant>,
    pub(super) warnings: Vec<String>,
    pub(super) late_warned: Option<u64>,
    /// Messages read on subscribed connections, and who waits for one (`pubsub.rs`).
    pub(super) pubsub: super::pubsub::Inboxes,
}

impl<'a> Runner<'a> {
    /// Empties the servers, opens every connection, writes the scenario's starting keys (on
    /// server 0) and, on a fleet, waits until every replica has them. On error the nodes
    /// come back so the caller can clean up.
    pub(super) fn connect(
        nodes: Nodes<'a>,
        system: &'a System,
        opts: &ExecOptions,
        timed: bool,
    ) -> Result<Runner<'a>, (Nodes<'a>, LiveError)> {
        let mut runner = Runner {
            prefix: nodes.server(0).key_prefix().to_string(),
            nodes,
            system,
            tick_ms: opts.tick_ms,
            timed,
            on_wait: opts.on_wait.clone(),
            control: Vec::new(),
            conns: Vec::new(),
            clients: vec![ClientState::new(); system.bounds.clients],
            now: 0,
            crashes: 0,
            failovers: 0,
            restarts: 0,
            foreign_release: None,
            subject: None,
            started: Instant::now(),
            presets_at: None,
            warnings: Vec::new(),
            late_warned: None,
            pubsub: Default::default(),
        };
        match runner.open(opts) {
            Ok(()) => Ok(runner),
            Err(e) => {
                runner.conns.clear();
                runner.control.clear();
                Err((runner.nodes, e))
            }
        }
    }

    fn open(&mut self, opts: &ExecOptions) -> Result<(), LiveError> {
        let system = self.system;
        self.nodes.cleanup()?;
        for s in 0..system.servers() {
            let con = self.nodes.control(s)?;
            self.control.push(con);
        }
        for i in 0..system.bounds.clients {
            let mut slots = Vec::new();
            for slot in 0..system.recipe(i).connections().len() {
                slots.push(Some(self.open_conn(i, slot)?));
            }
            self.conns.push(slots);
        }
        if !system.scenario.setup.is_empty() {
            if system.scenario.setup.iter().any(|(_, v)| v.px.is_some()) {
                self.presets_at = Some(Instant::now());
            }
            // One pipeline per master of server 0: each key is written where it lives.
            let masters = self.control[0].len();
            let mut pipes = vec![(redis::pipe(), false); masters];
            for (k, v) in &system.scenario.setup {
                let node = crate::route::node_of_key(&format!("{}{k}", self.prefix), masters);
                for command in v.commands(k) {
                    let out = wire::outgoing(&command, &self.prefix, opts.tick_ms, self.timed)
                        .map_err(config)?;
                    pipes[node].0.cmd(&out.args[0]).arg(&out.args[1..]).ignore();
                    pipes[node].1 = true;
                }
            }
            for (node, (pipe, _)) in pipes.iter().enumerate().filter(|(_, (_, used))| *used) {
                pipe.exec(self.control[0].node(node))
                    .map_err(|e| LiveError::redis("writing the scenario's starting keys", e))?;
            }
        }
        self.sync_linked()?;
        for i in 0..system.bounds.clients {
            self.settle(i, &mut vec![]);
        }
        Ok(())
    }

    /// A new connection for client `i`'s slot, on the server the slot is bound to, named
    /// `redis-races:<client>:<connection>`.
    pub(super) fn open_conn(&self, i: usize, slot: usize) -> Result<LiveConn, LiveError> {
        let server = self.system.server_of(i, slot);
        let name = self.system.connection_name(i, slot);
        let con = self
            .nodes
            .connect(server, &format!("redis-races:{}:{name}", client_name(i)))?;
        Ok(LiveConn {
            con: ParkingConn::new(con),
            server,
            parked: None,
            kept: None,
            multi: None,
        })
    }

    /// Waits until every linked replica has the primary's writes (a fleet only).
    pub(super) fn sync_linked(&mut self) -> Result<(), LiveError> {
        if let Nodes::Fleet(f) = &self.nodes {
            for r in 0..f.replicas() {
                if f.is_linked(r) {
                    f.sync(r)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn run(
        &mut self,
        actions: &[Action],
        model_steps: &[Step],
        worlds: &[World],
    ) -> Result<Outcome, LiveError> {
        let mut steps = Vec::with_capacity(actions.len());
        // Model time 0 is a little before the presets' TTLs began, or before the first step:
        // every live deadline is then at or after the model's, never a tick early. The margin
        // is a fiftieth of a tick at most, so a scaled tick keeps its length.
        let base = self.presets_at.unwrap_or_else(Instant::now);
        let margin = CLOCK_MARGIN.min(Duration::from_millis(self.tick_ms / 50));
        self.started = base.checked_sub(margin).unwrap_or(base);
        for (n, &a) in actions.iter().enumerate() {
            let (before, after) = (&worlds[n], &worlds[n + 1]);
            let step = match a {
                Action::Step(i) | Action::Thread(i, _) => {
                    let thread = match a {
                        Action::Thread(_, t) => t,
                        _ => 0,
                    };
                    self.hold_back(&model_steps[n], before, after, &actions[n + 1..])?;
                    let step = self.client_step(i, thread, &model_steps[n])?;
                    self.after_write(before, after)?;
                    step
                }
                Action::Tick => self.tick(before)?,
                Action::Crash(i) => self.crash(i)?,
                Action::Choose(i, k) => self.choose(i, k),
                Action::Replicate(r) => self.replicate(r as usize, after)?,
                Action::Promote(r) => self.promote(r as usize, before)?,
                Action::Restart(s) => self.restart(s as usize)?,
            };
            self.check_lateness(after);
            steps.push(step);
        }
        let steps_elapsed = self.started.elapsed();
        let obs = self.observe(&steps, worlds.last().expect("final world"))?;
        let mut warnings = std::mem::take(&mut self.warnings);
        // Finality as the model defines it, asked of the live run.
        let mut enabled = Vec::new();
        self.system.enabled_observed(&obs, &mut enabled);
        warnings.append(&mut self.warnings);
        Ok((steps, obs, enabled.is_empty(), steps_elapsed, warnings))
    }

    /// What the property is judged on (`observed.rs`): the live clients, each server's live
    /// keyspace, and the parked connections as the servers report them (CLIENT LIST says
    /// blocked), with the keys and timeout of the blocking command each actually sent; one
    /// the server has answered is served. Of a fleet's state only the faults done live are
    /// taken; the replication stream is the model's final one (its replicas were compared
    /// with the live ones step by step), so that finality, which asks what fault may come
    /// next, is judged as in the model.
    fn observe(
        &mut self,
        steps: &[Step],
        model_final: &World,
    ) -> Result<LiveObservation, LiveError> {
        let mut keyspaces = Vec::with_capacity(self.control.len());
        for s in 0..self.control.len() {
            let keyspace = snapshot::read_keyspace(
                &mut self.control[s],
                &self.prefix,
                self.started,
                self.tick_ms,
                self.now,
                &mut self.warnings,
            )?;
            keyspaces.push(keyspace);
        }
        let mut obs = LiveObservation {
            keyspaces,
            clients: self.clients.clone(),
            now: self.now,
            crashes: self.crashes,
            failovers: self.failovers,
            restarts: self.restarts,
            replication: model_final.replication().cloned(),
            foreign_release: self
                .foreign_release
                .map(|(by, owner)| (by as usize, owner as usize)),
            parked: Default::default(),
            served: Default::default(),
            receiving: Default::default(),
        };
        for i in 0..self.clients.len() {
            if let Status::Waiting { conn } = self.clients[i].status {
                let slot = conn as usize;
                if let Some((deadline, channels, message)) = self.pubsub.waiting_on(i, slot) {
                    // Waiting for a pub/sub message (`pubsub.rs`): served once one has
                    // arrived, or once its timeout has come, as in the model.
                    if message || deadline.is_some_and(|d| self.now >= d) {
                        obs.served.insert((i, slot));
                    }
                    obs.receiving.insert((i, slot), (deadline, channels));
                } else if !self.is_blocked(i, slot)? {
                    obs.served.insert((i, slot));
                } else if let Some(blocked) =
                    super::send::parked_command(steps, self.system, i, slot)
                {
                    obs.parked.insert((i, slot), blocked);
                }
            }
        }
        Ok(obs)
    }

    /// Closes every connection and removes the run's keys.
    pub(super) fn finish(mut self) -> Result<(), LiveError> {
        self.conns.clear();
        self.control.clear();
        self.nodes.cleanup()
    }

    pub(super) fn report(&self, line: &str) {
        if let Some(f) = &self.on_wait {
            f(line);
        }
    }

    /// Brings the client to rest where it sends nothing next (`System::settle_client`).
    fn settle(&mut self, i: usize, events: &mut Vec<Event>) {
        self.system
            .settle_client(&mut self.clients[i], i, self.now, events);
    }

    /// Client `i` takes branch `k` of its choice (a step without a command).
    fn choose(&mut self, i: usize, k: u32) -> Step {
        let events = self
            .system
            .take_choice(&mut self.clients[i], i, k, self.now);
        Step {
            events,
            ..self.blank(StepKind::Local, Some(i))
        }
    }

    /// A step of `kind` at the live run's time, by client `who` if any, with nothing else.
    pub(super) fn blank(&self, kind: StepKind, who: Option<usize>) -> Step {
        Step {
            time: self.now / 1000,
            kind,
            client: who.map(client_name),
            server: None,
            connection: None,
            command: None,
            reply: None,
            events: vec![],
            notes: vec![],
        }
    }

    /// Thread `thread` of client `i` reads the reply its command (or receive) on connection
    /// `conn` got, its events joining `events`; without a reply it waits on `conn`, and this
    /// says so (true).
    fn read_or_wait(
        &mut self,
        (i, thread): (usize, u8),
        conn: usize,
        reply: Option<Reply>,
        step: &mut Step,
        events: &mut Vec<Event>,
    ) -> bool {
        match reply {
            Some(reply) => {
                events.extend(self.system.read_thread_reply(
                    &mut self.clients[i],
                    i,
                    thread,
                    &reply,
                    self.now,
                ));
                step.reply = Some(reply);
                false
            }
            None => {
                let waiting = Status::Waiting { conn: conn as u8 };
                self.clients[i].set_thread_status(thread, waiting);
                true
            }
        }
    }

    /// Thread `thread` of client `i` (0: its main thread) takes its step.
    fn client_step(&mut self, i: usize, thread: u8, model_step: &Step) -> Result<Step, LiveError> {
        let system = self.system;
        let mut step = self.blank(StepKind::Tick, Some(i));
        step.client = Some(system.thread_name(i, thread));
        match self.clients[i].thread_status(thread) {
            Status::Waiting { conn } => {
                let slot = conn as usize;
                step.kind = StepKind::Receive;
                step.connection = Some(system.connection_name(i, slot).to_string());
                let received = match self.receive_parked(i, slot)? {
                    Some(message) => message,
                    None => self.receive(i, slot)?,
                };
                let Some(reply) = received else {
                    step.notes.push(Note::LiveStillBlocked {
                        client: client_name(i),
                    });
                    return Ok(step);
                };
                self.clients[i].set_thread_status(thread, Status::Running);
                step.events =
                    system.read_thread_reply(&mut self.clients[i], i, thread, &reply, self.now);
                step.reply = Some(reply);
            }
            Status::Sleeping { .. } => {
                step.kind = StepKind::Local;
                step.events = system.wake_thread(&mut self.clients[i], i, thread, self.now);
                return Ok(step);
            }
            Status::Running => {
                let next = system.begin_thread_step(&mut self.clients[i], i, thread, self.now);
                let mut events = next.events;
                match next.op {
                    Op::Send { conn, command } => {
                        step.kind = StepKind::Command;
                        step.connection = Some(system.connection_name(i, conn).to_string());
                        step.command = Some(command.0.clone());
                        let park = model_step.kind == StepKind::Command
                            && model_step.reply.is_none()
                            && model_step.command.as_ref() == Some(&command.0);
                        let writes = !super::send::read_only(&command.name());
                        let before = if writes { self.subject_value()? } else { None };
                        let reply = self.send(i, conn, &command, park, &mut step.notes)?;
                        if let Some(reply) = &reply {
                            if writes && *reply != Reply::Status("QUEUED".into()) {
                                let after = self.read_subject()?;
                                self.note_foreign_release(i, before, after, &mut step.notes);
                            }
                            self.pubsub.observe(i, conn, reply);
                        }
                        if self.read_or_wait((i, thread), conn, reply, &mut step, &mut events) {
                            self.subject = None;
                            step.notes.push(Note::Blocks {
                                client: system.thread_name(i, thread),
                            });
                        }
                        self.note_served(i, &mut step.notes)?;
                    }
                    Op::Receive { conn, timeout_ms } => {
                        step.kind = StepKind::Receive;
                        step.connection = Some(system.connection_name(i, conn).to_string());
                        let reply = self.receive_message(i, conn, timeout_ms)?;
                        if self.read_or_wait((i, thread), conn, reply, &mut step, &mut events) {
                            step.notes.push(Note::WaitsForMessage {
                                client: system.thread_name(i, thread),
                            });
                        }
                    }
                    op @ (Op::Finish | Op::Sleep { .. } | Op::Choose { .. }) => {
                        step.kind = StepKind::Local;
                        system.rest_thread(&mut self.clients[i], thread, &op, self.now);
                    }
                }
                step.events = events;
            }
            Status::Done | Status::Crashed { .. } | Status::Choosing { .. } => {
                step.kind = StepKind::Local;
                step.notes.push(Note::LiveNothingToDo {
                    client: client_name(i),
                    crashed: self.clients[i].is_crashed(),
                });
                return Ok(step);
            }
        }
        let mut events = std::mem::take(&mut step.events);
        self.settle(i, &mut events);
        step.events = events;
        Ok(step)
    }
}
