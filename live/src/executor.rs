//! Replays a model schedule on a real server and records what the server did.
//!
//! [`run_schedule`] opens one connection per (client, connection slot), drives every
//! client's recipe with the *live* replies (calling `Recipe::next`/`on_reply` exactly as
//! `System::step` does), and keeps a model [`World`] in lockstep to know the model's replies,
//! which keys expire at a tick, and whether a BLPOP parks. Both runs come back as [`Trace`]s of
//! the same type, compared step by step, and the property is evaluated on a [`World`] built
//! from the live run: client states from the live-driven recipes, the server as a snapshot of
//! the live keyspace. So "the violation reproduces" is decided on the server's own state.
//!
//! Time: a tick is `tick_ms` of real time (1000 by default, the model's second). A tick waits
//! until the real clock reaches the tick's boundary, measured from the start of the run, then
//! polls PTTL for every key the model expires in that tick until the server reports it gone
//! (and, for a BLPOP the model times out, until the server has unblocked it).

mod compare;
mod snapshot;
mod wire;

pub use compare::{differing_fields, reply as reply_text, same_step, Mismatch};
pub use wire::reply_from_value;

use crate::{LiveError, LiveServer};
use model::server::ConnState;
use model::world::{ClientState, Status};
use model::{client_name, Action, Command, Event, Op, Reply, Step, StepKind, System, Trace, World};
use redis::ConnectionLike;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The model's tick: one second.
pub const DEFAULT_TICK_MS: u64 = 1000;
/// How long a key the model expires may take to disappear from the server after its tick.
pub const EXPIRY_WAIT: Duration = Duration::from_secs(5);
/// How long a command may take to answer (a read timeout on every connection).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How much earlier than the first step (or the write of the scenario's expiring keys) the
/// run's clock starts, at most: the server's clock and PTTL count whole milliseconds, so a
/// TTL set in the run's first millisecond could otherwise read back a tick early.
const CLOCK_MARGIN: Duration = Duration::from_millis(20);
/// How long a BLPOP may take to show up as blocked (or unblocked) in CLIENT LIST.
pub const BLOCK_WAIT: Duration = Duration::from_secs(5);

/// Receives one line whenever the replay waits for the clock (for progress output).
pub type WaitReporter = Arc<dyn Fn(&str) + Send + Sync>;

/// How to run a schedule.
#[derive(Clone)]
pub struct ExecOptions {
    /// Real milliseconds per model tick. At 1000 commands go out as the model sends them;
    /// otherwise their time arguments are scaled (EX → PX, EXPIRE → PEXPIRE, TTL → PTTL with
    /// the reply converted back, BLPOP timeouts) and a schedule with ticks that sends EVAL is
    /// refused, since a script's text is never rewritten.
    pub tick_ms: u64,
    /// Told whenever the replay waits for the clock or for the server to expire a key.
    pub on_wait: Option<WaitReporter>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            tick_ms: DEFAULT_TICK_MS,
            on_wait: None,
        }
    }
}

impl fmt::Debug for ExecOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecOptions")
            .field("tick_ms", &self.tick_ms)
            .field("on_wait", &self.on_wait.is_some())
            .finish()
    }
}

/// A schedule run on the model and on a live server.
#[derive(Clone, Debug)]
pub struct LiveRun {
    /// What the live server did, step by step.
    pub live: Trace,
    /// What the model did on the same schedule.
    pub model: Trace,
    /// Steps whose kind, client, connection, command or reply differ.
    pub mismatches: Vec<Mismatch>,
    /// The property's verdict on the live run's final state (client beliefs from the
    /// live-driven recipes, the server's own keyspace), if violated.
    pub live_violation: Option<String>,
    /// The property's verdict on the model's final state, if violated.
    pub model_violation: Option<String>,
    /// The live keyspace after the last step, `key = value (ttl)` lines in key order.
    pub live_keys: Vec<String>,
    /// Things that went unexpectedly without being a reply mismatch (a key the model expires
    /// that has no TTL live, steps that ran late for their tick, unknown key types).
    pub warnings: Vec<String>,
    /// Wall time of the schedule itself (from the first step to the last).
    pub steps_elapsed: Duration,
    /// Wall time of the whole replay (connections, set-up, snapshot and clean-up included).
    pub elapsed: Duration,
}

impl LiveRun {
    /// Every step did on the server what it did in the model.
    pub fn replies_match(&self) -> bool {
        self.mismatches.is_empty() && self.live.steps.len() == self.model.steps.len()
    }

    /// The model's violation also holds on the live run's final state.
    pub fn reproduced(&self) -> bool {
        self.model_violation.is_some() && self.live_violation.is_some()
    }

    /// Replies match and the live verdict is the model's (violated on both, or on neither).
    pub fn agrees(&self) -> bool {
        self.replies_match() && self.model_violation.is_some() == self.live_violation.is_some()
    }
}

/// Runs `actions` on `system`'s model and on `server`, one live connection per (client,
/// connection slot), and compares the two runs. The run's keys are removed afterwards (for a
/// server we own, FLUSHDB of our database; for an external one, only the run's prefix).
///
/// Errors: an action the model cannot take at that point, a tick length the schedule's
/// commands cannot be scaled to, or the server failing (no reply within [`REPLY_TIMEOUT`], a
/// key the model expires still there [`EXPIRY_WAIT`] after its tick).
pub fn run_schedule(
    server: &LiveServer,
    system: &System,
    actions: &[Action],
    opts: &ExecOptions,
) -> Result<LiveRun, LiveError> {
    let begun = Instant::now();
    if opts.tick_ms == 0 {
        return Err(config("a tick of 0 ms cannot be replayed: use --tick-ms 1000 (the model's second) or another positive value"));
    }
    if system.servers() > 1 || system.bounds.replicas > 0 || system.bounds.restarts > 0 {
        return Err(config(format!(
            "{} under {} needs more than one live server (replicas, independent masters or a \
             restarted one); the live executor drives one server and cannot replay it yet",
            system.row(),
            system.faults
        )));
    }
    // The model's run first, in full: it says what to expect at every step.
    let mut worlds = Vec::with_capacity(actions.len() + 1);
    let mut model_steps = Vec::with_capacity(actions.len());
    let mut w = system.initial();
    for (n, &a) in actions.iter().enumerate() {
        let enabled = system.enabled(&w);
        if !enabled.contains(&a) {
            return Err(config(format!(
                "step {} ({}) is not possible in the model of {} at that point (possible: {}): \
                 the schedule does not belong to this row, clients or fault model",
                n + 1,
                action_word(a),
                system.row(),
                if enabled.is_empty() {
                    "nothing, the run is over".to_string()
                } else {
                    enabled
                        .iter()
                        .map(|a| action_word(*a))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
        let (next, step) = system.step(&w, a);
        worlds.push(w);
        model_steps.push(step);
        w = next;
    }
    worlds.push(w);
    let timed = system.bounds.ticks > 0 || actions.contains(&Action::Tick);
    if opts.tick_ms != DEFAULT_TICK_MS {
        for (n, s) in model_steps.iter().enumerate() {
            if let Some(c) = &s.command {
                wire::outgoing(&Command(c.clone()), "", opts.tick_ms, timed)
                    .map_err(|e| config(format!("step {}: {e}", n + 1)))?;
            }
        }
    }

    let mut runner = match Runner::connect(server, system, opts, timed) {
        Ok(r) => r,
        Err(e) => {
            // Best effort: the starting keys may already be written.
            let _ = server.cleanup();
            return Err(e);
        }
    };
    let outcome = runner.run(actions, &model_steps, &worlds);
    let cleanup = runner.finish();
    let (live_steps, live_world, live_final, steps_elapsed, mut warnings) = outcome?;
    cleanup?;

    let model_world = worlds.last().expect("initial world");
    let model_final = system.enabled(model_world).is_empty();
    let model_violation = system.check(model_world, model_final).err();
    let live_violation = system.check(&live_world, live_final).err();
    let mismatches: Vec<Mismatch> = model_steps
        .iter()
        .zip(&live_steps)
        .enumerate()
        .filter(|(_, (m, l))| !same_step(m, l))
        .map(|(step, (m, l))| Mismatch {
            step,
            model: m.clone(),
            live: l.clone(),
        })
        .collect();
    let live_keys = system.describe_keys(&live_world);
    if !model_final && live_final {
        warnings.push("the live run is over but the model's is not".into());
    }
    Ok(LiveRun {
        model: trace(
            system,
            model_steps,
            model_violation.clone(),
            system.describe_keys(model_world),
        ),
        live: trace(
            system,
            live_steps,
            live_violation.clone(),
            live_keys.clone(),
        ),
        mismatches,
        live_violation,
        model_violation,
        live_keys,
        warnings,
        steps_elapsed,
        elapsed: begun.elapsed(),
    })
}

fn trace(
    system: &System,
    steps: Vec<Step>,
    violation: Option<String>,
    final_keys: Vec<String>,
) -> Trace {
    model::checker::assemble_trace(system, steps, violation, final_keys)
}

fn action_word(a: Action) -> String {
    match a {
        Action::Step(i) => format!("{} steps", client_name(i)),
        Action::Tick => "clock +1s".into(),
        Action::Crash(i) => format!("{} crashes", client_name(i)),
        Action::Choose(i, k) => format!("{} chooses {k}", client_name(i)),
        Action::Replicate(r) => format!("replica {} applies a write", r + 1),
        Action::Promote(r) => format!("replica {} is promoted", r + 1),
        Action::Restart(s) => format!("server {s} restarts empty"),
    }
}

fn config(reason: impl Into<String>) -> LiveError {
    LiveError::Config {
        reason: reason.into(),
    }
}

fn timed_out(context: impl Into<String>, what: impl Into<String>) -> LiveError {
    LiveError::io(
        context,
        std::io::Error::new(std::io::ErrorKind::TimedOut, what.into()),
    )
}

/// Commands that never modify a key (so cannot release a lock).
fn read_only(name: &str) -> bool {
    matches!(
        name,
        "GET"
            | "TTL"
            | "PTTL"
            | "EXISTS"
            | "TYPE"
            | "LLEN"
            | "LRANGE"
            | "WATCH"
            | "UNWATCH"
            | "MULTI"
            | "DISCARD"
            | "PING"
            | "ECHO"
    )
}

/// The blocking command client `i` last sent on connection `slot` (BLPOP key… timeout), as
/// the server holds it: its keys and its deadline on the logical clock (none for timeout 0).
fn parked_command(
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

/// One live connection of one client.
struct LiveConn {
    con: redis::Connection,
    /// CLIENT ID on the server.
    id: i64,
    /// Set while a blocking command waits for its reply: how to read that reply.
    parked: Option<wire::Fix>,
    /// Lower-case name of the last command sent (to tell "blocked" from "answered at once").
    last_command: String,
    /// While MULTI is open: how to read each queued command's reply inside EXEC's.
    multi: Option<Vec<wire::Fix>>,
}

/// Where a connection is, according to CLIENT LIST.
struct ClientInfo {
    blocked: bool,
    cmd: String,
}

type Outcome = (Vec<Step>, World, bool, Duration, Vec<String>);

struct Runner<'a> {
    server: &'a LiveServer,
    system: &'a System,
    tick_ms: u64,
    timed: bool,
    on_wait: Option<WaitReporter>,
    prefix: String,
    control: redis::Connection,
    /// `conns[client][slot]`; `None` once killed.
    conns: Vec<Vec<Option<LiveConn>>>,
    clients: Vec<ClientState>,
    /// Model time of the live run (ms, whole ticks).
    now: u64,
    crashes: u8,
    foreign_release: Option<(u8, u8)>,
    /// The subject key's live value, when known (`None`: read it before relying on it).
    subject: Option<Option<String>>,
    started: Instant,
    /// When the scenario's keys with a time to live were written: their TTLs run from then,
    /// so the run's clock starts then too (`None`: no preset expires; the clock starts with
    /// the first step). See [`CLOCK_MARGIN`].
    presets_at: Option<Instant>,
    warnings: Vec<String>,
    late_warned: Option<u64>,
}

impl<'a> Runner<'a> {
    fn connect(
        server: &'a LiveServer,
        system: &'a System,
        opts: &ExecOptions,
        timed: bool,
    ) -> Result<Runner<'a>, LiveError> {
        server.cleanup()?;
        let prefix = server.key_prefix().to_string();
        let mut control = server.connect()?;
        control
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .map_err(|e| LiveError::redis("setting a read timeout", e))?;
        let mut conns = Vec::with_capacity(system.bounds.clients);
        for i in 0..system.bounds.clients {
            let names = system.recipe(i).connections();
            let mut slots = Vec::with_capacity(names.len());
            for name in names {
                let mut con = server.connect()?;
                con.set_read_timeout(Some(REPLY_TIMEOUT))
                    .map_err(|e| LiveError::redis("setting a read timeout", e))?;
                let (id,): (i64,) = redis::pipe()
                    .cmd("CLIENT")
                    .arg("SETNAME")
                    .arg(format!("redis-races:{}:{name}", client_name(i)))
                    .ignore()
                    .cmd("CLIENT")
                    .arg("ID")
                    .query(&mut con)
                    .map_err(|e| LiveError::redis("naming a client connection", e))?;
                slots.push(Some(LiveConn {
                    con,
                    id,
                    parked: None,
                    last_command: "client".into(),
                    multi: None,
                }));
            }
            conns.push(slots);
        }
        let mut presets_at = None;
        if !system.scenario.setup.is_empty() {
            if system.scenario.setup.iter().any(|(_, v)| v.px.is_some()) {
                presets_at = Some(Instant::now());
            }
            let mut pipe = redis::pipe();
            for (k, v) in &system.scenario.setup {
                for command in v.commands(k) {
                    let out =
                        wire::outgoing(&command, &prefix, opts.tick_ms, timed).map_err(config)?;
                    pipe.cmd(&out.args[0]).arg(&out.args[1..]).ignore();
                }
            }
            pipe.exec(&mut control)
                .map_err(|e| LiveError::redis("writing the scenario's starting keys", e))?;
        }
        let mut runner = Runner {
            server,
            system,
            tick_ms: opts.tick_ms,
            timed,
            on_wait: opts.on_wait.clone(),
            prefix,
            control,
            conns,
            clients: vec![ClientState::new(); system.bounds.clients],
            now: 0,
            crashes: 0,
            foreign_release: None,
            subject: None,
            started: Instant::now(),
            presets_at,
            warnings: Vec::new(),
            late_warned: None,
        };
        for i in 0..system.bounds.clients {
            runner.settle(i, &mut vec![]);
        }
        Ok(runner)
    }

    fn run(
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
            let step = match a {
                Action::Step(i) => self.client_step(i, &model_steps[n])?,
                Action::Tick => self.tick(&worlds[n])?,
                Action::Crash(i) => self.crash(i)?,
                Action::Choose(i, k) => self.choose(i, k),
                Action::Replicate(_) | Action::Promote(_) | Action::Restart(_) => {
                    unreachable!("run_schedule refuses multi-server schedules up front")
                }
            };
            self.check_lateness(&worlds[n + 1]);
            steps.push(step);
        }
        let steps_elapsed = self.started.elapsed();
        let mut warnings = std::mem::take(&mut self.warnings);
        let keyspace = snapshot::read_keyspace(
            &mut self.control,
            &self.prefix,
            self.started,
            self.tick_ms,
            self.now,
            &mut warnings,
        )?;
        let mut world = World {
            server: keyspace,
            clients: self.clients.clone(),
            now: self.now,
            crashes: self.crashes,
            foreign_release: self.foreign_release,
            fleet: None,
        };
        // Parked connections, as the server reports them (CLIENT LIST says blocked), with the
        // keys and timeout of the blocking command each actually sent: properties such as
        // "no waiter sleeps forever" read them.
        for i in 0..self.clients.len() {
            if let Status::Waiting { conn } = self.clients[i].status {
                if self.is_blocked(i, conn as usize)? {
                    if let Some(blocked) = parked_command(&steps, self.system, i, conn as usize) {
                        let id = self.system.conn_id(i, conn as usize);
                        world.server.conns.insert(
                            id,
                            ConnState {
                                blocked: Some(blocked),
                                ..ConnState::default()
                            }
                            .into(),
                        );
                        world.server.waiters.push(id);
                    }
                }
            }
        }
        // Finality as the model defines it; a parked client whose reply has arrived can step.
        let mut probe = world.clone();
        for i in 0..self.clients.len() {
            if let Status::Waiting { conn } = self.clients[i].status {
                if !self.is_blocked(i, conn as usize)? {
                    probe.server.conns.insert(
                        self.system.conn_id(i, conn as usize),
                        ConnState {
                            served: Some(Reply::Nil),
                            ..ConnState::default()
                        }
                        .into(),
                    );
                }
            }
        }
        let is_final = self.system.enabled(&probe).is_empty();
        Ok((steps, world, is_final, steps_elapsed, warnings))
    }

    /// Closes every connection and removes the run's keys.
    fn finish(mut self) -> Result<(), LiveError> {
        self.conns.clear();
        self.server.cleanup()
    }

    fn report(&self, line: &str) {
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
            time: self.now / 1000,
            kind: StepKind::Local,
            client: Some(client_name(i)),
            server: None,
            connection: None,
            command: None,
            reply: None,
            events,
            notes: vec![],
        }
    }

    fn client_step(&mut self, i: usize, model_step: &Step) -> Result<Step, LiveError> {
        let system = self.system;
        let mut step = Step {
            time: self.now / 1000,
            kind: StepKind::Tick,
            client: Some(client_name(i)),
            server: None,
            connection: None,
            command: None,
            reply: None,
            events: vec![],
            notes: vec![],
        };
        match self.clients[i].status {
            Status::Waiting { conn } => {
                let slot = conn as usize;
                step.kind = StepKind::Receive;
                step.connection = Some(system.connection_name(i, slot).to_string());
                let Some(reply) = self.receive(i, slot)? else {
                    step.notes.push(format!(
                        "live: {}'s command is still blocked on the server; nothing to read",
                        client_name(i)
                    ));
                    return Ok(step);
                };
                self.clients[i].status = Status::Running;
                step.events = system.read_reply(&mut self.clients[i], i, &reply, self.now);
                step.reply = Some(reply);
            }
            Status::Sleeping { .. } => {
                step.kind = StepKind::Local;
                step.events = system.wake(&mut self.clients[i], i, self.now);
                return Ok(step);
            }
            Status::Running => {
                let next = system.begin_step(&mut self.clients[i], i, self.now);
                let mut events = next.events;
                match next.op {
                    Op::Send { conn, command } => {
                        step.kind = StepKind::Command;
                        step.connection = Some(system.connection_name(i, conn).to_string());
                        step.command = Some(command.0.clone());
                        let park = model_step.kind == StepKind::Command
                            && model_step.reply.is_none()
                            && model_step.command.as_ref() == Some(&command.0);
                        let writes = !read_only(&command.name());
                        let before = if writes { self.subject_value()? } else { None };
                        match self.send(i, conn, &command, park, &mut step.notes)? {
                            Some(reply) => {
                                if writes && reply != Reply::Status("QUEUED".into()) {
                                    let after = self.read_subject()?;
                                    self.note_foreign_release(i, before, after, &mut step.notes);
                                }
                                let later =
                                    system.read_reply(&mut self.clients[i], i, &reply, self.now);
                                events.extend(later);
                                step.reply = Some(reply);
                            }
                            None => {
                                self.clients[i].status = Status::Waiting { conn: conn as u8 };
                                self.subject = None;
                                step.notes.push(format!("{} blocks", client_name(i)));
                            }
                        }
                        self.note_served(i, &mut step.notes)?;
                    }
                    Op::Local => step.kind = StepKind::Local,
                    op @ (Op::Finish | Op::Sleep { .. } | Op::Choose { .. }) => {
                        step.kind = StepKind::Local;
                        system.rest(&mut self.clients[i], &op, self.now);
                    }
                }
                step.events = events;
            }
            Status::Done | Status::Crashed { .. } | Status::Choosing { .. } => {
                step.kind = StepKind::Local;
                step.notes.push(format!(
                    "live: {} has {}; nothing to do",
                    client_name(i),
                    if self.clients[i].is_crashed() {
                        "crashed"
                    } else {
                        "finished"
                    }
                ));
                return Ok(step);
            }
        }
        let mut events = std::mem::take(&mut step.events);
        self.settle(i, &mut events);
        step.events = events;
        Ok(step)
    }

    /// Sends `command` on client `i`'s connection `slot`. Returns the reply, or `None` when
    /// the command parked the connection (only tried when the model parked it too).
    fn send(
        &mut self,
        i: usize,
        slot: usize,
        command: &Command,
        park: bool,
        notes: &mut Vec<String>,
    ) -> Result<Option<Reply>, LiveError> {
        let out =
            wire::outgoing(command, &self.prefix, self.tick_ms, self.timed).map_err(config)?;
        if self.tick_ms != DEFAULT_TICK_MS && wire::has_time_argument(command) {
            let plain =
                wire::outgoing(command, &self.prefix, DEFAULT_TICK_MS, false).map_err(config)?;
            if plain.args != out.args {
                notes.push(format!("live: sent as {}", Command(out.args.clone())));
            }
        }
        let who = format!(
            "{} [{}]",
            client_name(i),
            self.system.connection_name(i, slot)
        );
        let mut lc = self.conns[i][slot].take().ok_or_else(|| {
            config(format!(
                "{who}: the connection was closed (the client crashed) and cannot send {command}"
            ))
        })?;
        let result = self.send_on(&mut lc, &out, command, park, notes, &who);
        self.conns[i][slot] = Some(lc);
        result
    }

    fn send_on(
        &mut self,
        lc: &mut LiveConn,
        out: &wire::Outgoing,
        command: &Command,
        park: bool,
        notes: &mut Vec<String>,
        who: &str,
    ) -> Result<Option<Reply>, LiveError> {
        let name = command.name();
        let lower = name.to_ascii_lowercase();
        let packed = out.packed();
        let value = if park {
            lc.con
                .send_packed_command(&packed)
                .map_err(|e| LiveError::redis(format!("{who}: sending {command}"), e))?;
            let previous = std::mem::replace(&mut lc.last_command, lower.clone());
            if self.await_blocked(lc.id, &lower, &previous, who)? {
                lc.parked = Some(out.fix);
                return Ok(None);
            }
            notes.push(format!("live: {name} answered at once (the model blocks)"));
            lc.con.recv_response()
        } else {
            lc.last_command = lower;
            lc.con.req_packed_command(&packed)
        }
        .map_err(|e| LiveError::redis(format!("{who}: reading the reply to {command}"), e))?;
        let reply = wire::incoming(reply_from_value(value), out.fix, &self.prefix, self.tick_ms);
        Ok(Some(match name.as_str() {
            "MULTI" => {
                if reply == Reply::ok() {
                    lc.multi = Some(Vec::new());
                }
                reply
            }
            "EXEC" => match (lc.multi.take(), reply) {
                (Some(fixes), Reply::Array(items)) if fixes.len() == items.len() => Reply::Array(
                    items
                        .into_iter()
                        .zip(fixes)
                        .map(|(r, fix)| wire::incoming(r, fix, &self.prefix, self.tick_ms))
                        .collect(),
                ),
                (_, r) => r,
            },
            "DISCARD" => {
                lc.multi = None;
                reply
            }
            _ => {
                if let (Some(q), Reply::Status(s)) = (lc.multi.as_mut(), &reply) {
                    if s == "QUEUED" {
                        q.push(out.fix);
                    }
                }
                reply
            }
        }))
    }

    /// Reads the reply of client `i`'s parked connection, or `None` if the server still holds
    /// it blocked.
    fn receive(&mut self, i: usize, slot: usize) -> Result<Option<Reply>, LiveError> {
        if self.is_blocked(i, slot)? {
            return Ok(None);
        }
        let who = format!(
            "{} [{}]",
            client_name(i),
            self.system.connection_name(i, slot)
        );
        let lc = self.conns[i][slot].as_mut().ok_or_else(|| {
            config(format!(
                "{who}: the connection was closed; no reply to read"
            ))
        })?;
        let fix = lc.parked.take().unwrap_or_default();
        let value = lc.con.recv_response().map_err(|e| {
            LiveError::redis(
                format!("{who}: reading the reply to its blocked command"),
                e,
            )
        })?;
        Ok(Some(wire::incoming(
            reply_from_value(value),
            fix,
            &self.prefix,
            self.tick_ms,
        )))
    }

    /// After a command: notes the other parked clients the server has now served.
    fn note_served(&mut self, actor: usize, notes: &mut Vec<String>) -> Result<(), LiveError> {
        for j in 0..self.clients.len() {
            if j == actor {
                continue;
            }
            if let Status::Waiting { conn } = self.clients[j].status {
                if !self.is_blocked(j, conn as usize)? {
                    notes.push(format!("{}'s BLPOP is served", client_name(j)));
                }
            }
        }
        Ok(())
    }

    fn crash(&mut self, i: usize) -> Result<Step, LiveError> {
        let mut killed = 0;
        let mut ids = Vec::new();
        for slot in 0..self.conns[i].len() {
            if let Some(lc) = self.conns[i][slot].take() {
                let n: i64 = redis::cmd("CLIENT")
                    .arg("KILL")
                    .arg("ID")
                    .arg(lc.id)
                    .query(&mut self.control)
                    .map_err(|e| {
                        LiveError::redis(
                            format!("killing {}'s connection {}", client_name(i), lc.id),
                            e,
                        )
                    })?;
                killed += n;
                ids.push(lc.id);
            }
        }
        // The server frees a killed client (its WATCH, MULTI and parked BLPOP) at once;
        // check it is gone before anything else runs.
        for id in ids {
            if self.client_info(id)?.is_some() {
                return Err(config(format!(
                    "{}'s connection {id} is still listed by CLIENT LIST after CLIENT KILL",
                    client_name(i)
                )));
            }
        }
        if killed as usize != self.conns[i].len() {
            self.warnings.push(format!(
                "CLIENT KILL closed {killed} of {}'s {} connections",
                client_name(i),
                self.conns[i].len()
            ));
        }
        self.crashes += 1;
        let c = &mut self.clients[i];
        c.status = Status::Crashed { at: self.now };
        c.in_cs = false;
        Ok(Step {
            time: self.now / 1000,
            kind: StepKind::Crash,
            client: Some(client_name(i)),
            server: None,
            connection: None,
            command: None,
            reply: None,
            events: vec![],
            notes: vec![format!("{} crashes; its connections close", client_name(i))],
        })
    }

    fn tick(&mut self, before: &World) -> Result<Step, LiveError> {
        self.now += 1000;
        let t = self.now / 1000;
        let mut notes = Vec::new();
        let boundary = Duration::from_millis(t * self.tick_ms);
        let elapsed = self.started.elapsed();
        if elapsed < boundary {
            let wait = boundary - elapsed;
            self.report(&format!(
                "waiting {:.2}s for the clock to reach t={t}s",
                wait.as_secs_f64()
            ));
            std::thread::sleep(wait);
        }
        let due: Vec<String> = before
            .server
            .keys
            .iter()
            .filter(|(_, e)| e.expires_at.is_some_and(|d| d <= self.now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &due {
            self.await_expiry(k, t, &mut notes)?;
        }
        let timed_out: Vec<model::ConnId> = before
            .server
            .waiters
            .iter()
            .copied()
            .filter(|c| {
                before.server.conns[c]
                    .blocked
                    .as_ref()
                    .and_then(|b| b.deadline)
                    .is_some_and(|d| d <= self.now)
            })
            .collect();
        for c in timed_out {
            self.await_unblocked(c.client as usize, c.slot as usize)?;
            notes.push(format!(
                "{}'s BLPOP times out",
                client_name(c.client as usize)
            ));
        }
        for (i, c) in self.clients.iter().enumerate() {
            if let (true, Some(Some(until))) = (c.is_live(), c.lease_until) {
                if until == self.now {
                    notes.push(format!("{}'s lease runs out", client_name(i)));
                }
            }
        }
        self.subject = None;
        Ok(Step {
            time: t,
            kind: StepKind::Tick,
            client: None,
            server: None,
            connection: None,
            command: None,
            reply: None,
            events: vec![],
            notes,
        })
    }

    /// Polls PTTL until the server reports `key` gone.
    fn await_expiry(
        &mut self,
        key: &str,
        t: u64,
        notes: &mut Vec<String>,
    ) -> Result<(), LiveError> {
        let wire_key = format!("{}{key}", self.prefix);
        let since = Instant::now();
        let mut reported = false;
        loop {
            let pttl: i64 = redis::cmd("PTTL")
                .arg(&wire_key)
                .query(&mut self.control)
                .map_err(|e| LiveError::redis(format!("reading PTTL {key}"), e))?;
            match pttl {
                -2 => {
                    notes.push(format!("{key} expires"));
                    return Ok(());
                }
                -1 => {
                    let msg = format!("live: {key} has no expiry on the server, but the model expires it at t={t}s");
                    self.warnings.push(msg.clone());
                    notes.push(msg);
                    return Ok(());
                }
                ms => {
                    if since.elapsed() > EXPIRY_WAIT {
                        return Err(timed_out(
                            format!("waiting for {key} to expire on the server at t={t}s"),
                            format!(
                                "still there {:.1}s after the tick (PTTL {ms} ms); is the server's clock or the machine overloaded?",
                                since.elapsed().as_secs_f64()
                            ),
                        ));
                    }
                    if !reported && ms > 20 {
                        reported = true;
                        self.report(&format!(
                            "waiting {ms} ms for {key} to expire on the server (t={t}s)"
                        ));
                    }
                    std::thread::sleep(Duration::from_millis((ms as u64).clamp(1, 10)));
                }
            }
        }
    }

    /// Polls CLIENT LIST until client `i`'s connection `slot` is no longer blocked.
    fn await_unblocked(&mut self, i: usize, slot: usize) -> Result<(), LiveError> {
        let since = Instant::now();
        let mut reported = false;
        while self.is_blocked(i, slot)? {
            if since.elapsed() > BLOCK_WAIT {
                return Err(timed_out(
                    format!(
                        "waiting for {}'s BLPOP to time out on the server",
                        client_name(i)
                    ),
                    format!(
                        "still blocked {:.1}s after the tick",
                        since.elapsed().as_secs_f64()
                    ),
                ));
            }
            if !reported {
                reported = true;
                self.report(&format!(
                    "waiting for {}'s BLPOP to time out on the server",
                    client_name(i)
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    }

    fn client_info(&mut self, id: i64) -> Result<Option<ClientInfo>, LiveError> {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(&mut self.control)
            .map_err(|e| LiveError::redis("reading CLIENT LIST", e))?;
        let want = format!("id={id}");
        for line in list.lines() {
            let mut fields = line.split_whitespace();
            if fields.next() != Some(want.as_str()) {
                continue;
            }
            let mut info = ClientInfo {
                blocked: false,
                cmd: String::new(),
            };
            for f in line.split_whitespace() {
                if let Some(flags) = f.strip_prefix("flags=") {
                    info.blocked = flags.contains('b');
                } else if let Some(cmd) = f.strip_prefix("cmd=") {
                    info.cmd = cmd.to_string();
                }
            }
            return Ok(Some(info));
        }
        Ok(None)
    }

    /// Whether client `i`'s connection `slot` is parked on the server.
    fn is_blocked(&mut self, i: usize, slot: usize) -> Result<bool, LiveError> {
        let Some(id) = self.conns[i][slot].as_ref().map(|c| c.id) else {
            return Ok(false);
        };
        Ok(self.client_info(id)?.is_some_and(|c| c.blocked))
    }

    /// After sending a command the model parks: waits until CLIENT LIST shows the connection
    /// blocked (`true`) or shows the command ran without blocking (`false`).
    fn await_blocked(
        &mut self,
        id: i64,
        name: &str,
        previous: &str,
        who: &str,
    ) -> Result<bool, LiveError> {
        let since = Instant::now();
        loop {
            let info = self.client_info(id)?.ok_or_else(|| {
                config(format!("{who}: connection {id} is gone from CLIENT LIST"))
            })?;
            if info.blocked {
                return Ok(true);
            }
            let ran = info.cmd == name;
            if ran && previous != name {
                return Ok(false);
            }
            if since.elapsed() > BLOCK_WAIT {
                if ran {
                    return Ok(false);
                }
                return Err(timed_out(
                    format!("{who}: waiting for {name} to block on the server"),
                    format!("not seen after {:.1}s", since.elapsed().as_secs_f64()),
                ));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// The subject key's live value before a step (cached since the last write).
    fn subject_value(&mut self) -> Result<Option<String>, LiveError> {
        match &self.subject {
            Some(v) => Ok(v.clone()),
            None => self.read_subject(),
        }
    }

    fn read_subject(&mut self) -> Result<Option<String>, LiveError> {
        let key = format!("{}{}", self.prefix, self.system.scenario.subject);
        let v = self
            .control
            .req_packed_command(&redis::cmd("GET").arg(&key).get_packed_command())
            .map_err(|e| {
                LiveError::redis(format!("reading {}", self.system.scenario.subject), e)
            })?;
        let v = match reply_from_value(v) {
            Reply::Bulk(s) => Some(s),
            _ => None,
        };
        self.subject = Some(v.clone());
        Ok(v)
    }

    /// `System::note_foreign_release` on live values of the subject key.
    fn note_foreign_release(
        &mut self,
        actor: usize,
        before: Option<String>,
        after: Option<String>,
        notes: &mut Vec<String>,
    ) {
        let Some(owner_token) = before else { return };
        let Some(owner) =
            (0..self.clients.len()).find(|&j| self.system.ctx(j).token == owner_token)
        else {
            return;
        };
        if owner == actor || after.as_deref() == Some(owner_token.as_str()) {
            return;
        }
        notes.push(format!(
            "{} removes {}'s lock",
            client_name(actor),
            client_name(owner)
        ));
        if self.foreign_release.is_none() {
            self.foreign_release = Some((actor as u8, owner as u8));
        }
    }

    /// Warns once per tick when steps run past the next tick's boundary while keys have TTLs:
    /// the server may then expire them before the model does.
    fn check_lateness(&mut self, model_world: &World) {
        let t = self.now / 1000;
        if self.late_warned == Some(t)
            || model_world
                .server
                .keys
                .values()
                .all(|e| e.expires_at.is_none())
        {
            return;
        }
        let next = Duration::from_millis((t + 1) * self.tick_ms);
        let elapsed = self.started.elapsed();
        if elapsed > next {
            self.late_warned = Some(t);
            self.warnings.push(format!(
                "the steps at t={t}s ran {} ms past the next tick's boundary: keys with a TTL may have expired on the server before the model expires them",
                (elapsed - next).as_millis()
            ));
        }
    }
}
