//! Replays a model schedule on real servers and records what they did.
//!
//! [`run_schedule`] (one server) and [`run_fleet_schedule`] (a [`LiveFleet`]: independent
//! masters, the primary's replicas, for `failover`, `restart` and Redlock) open one connection
//! per (client, connection slot) on the server the slot is bound to, drive every client's
//! recipe with the *live* replies (calling `Recipe::next`/`on_reply` exactly as `System::step`
//! does), and keep the model's run alongside to know the model's replies, which keys expire at
//! a tick, whether a BLPOP parks, and which replica must miss which write. Both runs come back
//! as [`Trace`]s of the same type, compared step by step, and the property is evaluated on an
//! observation of the live run (`observed.rs`; no model `World` is built): client states from
//! the live-driven recipes, each server's keyspace read back from it, the connections the
//! servers report parked. So "the violation reproduces" is decided on the servers' own state.
//!
//! Time: a tick is `tick_ms` of real time (1000 by default, the model's second). A tick waits
//! until the real clock reaches the tick's boundary, measured from the start of the run, then
//! polls PTTL for every key the model expires in that tick until the server reports it gone
//! (and, for a BLPOP the model times out, until the server has unblocked it).
//!
//! Every command goes through a [`ScheduleBackend`] (`crate::backend`: the connections, the
//! wire, parking, pub/sub draining, the tick's waits), and every fault action through the
//! row's nemesis (`crate::nemesis`). One job per file here: `runner.rs` (the step loop and
//! the tick), `step.rs` (a client's step), `pubsub.rs` (a recipe's `receive`), `observed.rs`
//! (the live run as the invariants read it), `compare.rs`.

mod compare;
mod observed;
mod pubsub;
mod runner;
mod step;

pub use crate::backend::schedule::wire::reply_from_value;
pub use compare::{differing_fields, same_step, Mismatch};

use crate::backend::schedule::{wire, Nodes};
use crate::backend::ScheduleBackend;
use crate::{LiveError, LiveFleet, LiveServer};
use model::{client_name, Action, Command, Step, System, Trace, World};
use runner::Runner;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The model's tick: one second.
pub const DEFAULT_TICK_MS: u64 = 1000;
/// How long a key the model expires may take to disappear from the server after its tick.
pub const EXPIRY_WAIT: Duration = Duration::from_secs(5);
/// How long a command may take to answer (a read timeout on every connection).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
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

    /// Why a replay of a VIOLATED check does not stand, one line each (empty: it does):
    /// every reply that differs, a violation that does not reproduce, a final keyspace that
    /// is not the model's, and every warning the run gave.
    pub fn disagreements(&self) -> Vec<String> {
        let mut why: Vec<String> = self.mismatches.iter().map(|m| m.to_string()).collect();
        if !self.reproduced() {
            why.push(format!(
                "violation not reproduced (model: {:?}, live keys: {:?})",
                self.model_violation, self.live_keys
            ));
        }
        if self.live_keys != self.model.final_keys {
            why.push(format!(
                "final keyspace: model {:?}, live {:?}",
                self.model.final_keys, self.live_keys
            ));
        }
        why.extend(self.warnings.iter().map(|w| format!("warning: {w}")));
        why
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
/// Errors: a schedule that needs more than one server (use [`run_fleet_schedule`]), an action
/// the model cannot take at that point, a tick length the schedule's commands cannot be scaled
/// to, or the server failing (no reply within [`REPLY_TIMEOUT`], a key the model expires still
/// there [`EXPIRY_WAIT`] after its tick).
pub fn run_schedule(
    server: &LiveServer,
    system: &System,
    actions: &[Action],
    opts: &ExecOptions,
) -> Result<LiveRun, LiveError> {
    if needs_fleet(system) {
        return Err(config(format!(
            "{} under {} needs more than one live server (replicas, independent masters or a \
             restarted one): replay it on a fleet (--server process)",
            system.row(),
            system.faults
        )));
    }
    execute(Nodes::One(server), system, actions, opts)
}

/// Whether `system` needs a [`LiveFleet`]: several masters, replicas or a restart.
pub fn needs_fleet(system: &System) -> bool {
    system.servers() > 1 || system.bounds.replicas > 0 || system.bounds.restarts > 0
}

/// As [`run_schedule`], on `fleet`: the model's server `i` is master `i`, replica `r` is the
/// primary's replica `r`. The fleet is first reset to `system`'s shape (its replica count,
/// every replica linked and in sync, every master empty), so one fleet serves many runs.
///
/// Replication is held back so that every replica has, at every step, the model's prefix of
/// the primary's writes (`nemesis/failover.rs` says how); a schedule that would need a replica
/// to stop mid-stream (a `Replicate` that leaves it still lagging) or a WAIT count the
/// hold-back cannot give is refused up front, with the step named.
pub fn run_fleet_schedule(
    fleet: &mut LiveFleet,
    system: &System,
    actions: &[Action],
    opts: &ExecOptions,
) -> Result<LiveRun, LiveError> {
    if fleet.masters() < system.servers() {
        return Err(config(format!(
            "{} needs {} masters; the fleet has {}",
            system.row(),
            system.servers(),
            fleet.masters()
        )));
    }
    fleet.reset(system.bounds.replicas as usize)?;
    execute(Nodes::Fleet(fleet), system, actions, opts)
}

fn execute(
    nodes: Nodes<'_>,
    system: &System,
    actions: &[Action],
    opts: &ExecOptions,
) -> Result<LiveRun, LiveError> {
    let begun = Instant::now();
    if opts.tick_ms == 0 {
        return Err(config("a tick of 0 ms cannot be replayed: use --tick-ms 1000 (the model's second) or another positive value"));
    }
    let (model_steps, worlds) = model_run(system, actions)?;
    let model = crate::nemesis::ModelRun {
        actions,
        steps: &model_steps,
        worlds: &worlds,
    };
    crate::nemesis::of(system.faults).check(system, &model)?;
    let timed = system.bounds.ticks > 0 || actions.contains(&Action::Tick);
    if opts.tick_ms != DEFAULT_TICK_MS {
        for (n, s) in model_steps.iter().enumerate() {
            if let Some(c) = &s.command {
                wire::outgoing(&Command(c.clone()), "", opts.tick_ms, timed)
                    .map_err(|e| config(format!("step {}: {e}", n + 1)))?;
            }
        }
    }

    let backend = match ScheduleBackend::open(nodes, system, opts, timed) {
        Ok(b) => b,
        Err((nodes, e)) => {
            // Best effort: the starting keys may already be written.
            let _ = nodes.cleanup();
            return Err(e);
        }
    };
    let mut runner = Runner::new(backend, system);
    let outcome = runner.run(actions, &model_steps, &worlds);
    let cleanup = runner.backend.finish();
    let (live_steps, live_obs, live_final, steps_elapsed, mut warnings) = outcome?;
    cleanup?;

    let model_world = worlds.last().expect("initial world");
    let model_final = system.enabled(model_world).is_empty();
    let model_violation = system.check(model_world, model_final).err();
    let live_violation = system.check_observed(&live_obs, live_final).err();
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
    let live_keys = system.describe_keyspace(&live_obs.keyspaces[0]);
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

/// The model's run first, in full: it says what to expect at every step. Returns the steps
/// and the worlds before each step (and after the last).
fn model_run(system: &System, actions: &[Action]) -> Result<(Vec<Step>, Vec<World>), LiveError> {
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
                action_word(system, a),
                system.row(),
                if enabled.is_empty() {
                    "nothing, the run is over".to_string()
                } else {
                    enabled
                        .iter()
                        .map(|a| action_word(system, *a))
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
    Ok((model_steps, worlds))
}

fn trace(
    system: &System,
    steps: Vec<Step>,
    violation: Option<String>,
    final_keys: Vec<String>,
) -> Trace {
    model::checker::assemble_trace(system, steps, violation, final_keys)
}

fn action_word(system: &System, a: Action) -> String {
    match a {
        Action::Step(i) => format!("{} steps", client_name(i)),
        Action::Thread(i, t) => format!("{} steps", system.thread_name(i, t)),
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
