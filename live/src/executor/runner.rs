//! The replay's step loop: each action of the schedule dispatched to what performs it live,
//! as numbered steps.
//!
//! 1. A client step (a command, a receive, a wake-up) is the client step the model takes
//!    (`System::begin_thread_step` and the rest, `model::system::clients`), its command sent
//!    through the [`ScheduleBackend`] (guided by whether the model parked it) and the live
//!    reply read by the client; the row's nemesis may hold servers back around it.
//! 2. A tick: the backend waits for the real clock and for the servers to expire what the
//!    model expires in it (guided by the model's world before the tick).
//! 3. A choice: the client takes the branch, nothing is sent.
//! 4. A fault action: the row's nemesis performs it (`crate::nemesis`).
//!
//! Afterwards the live run is observed (`observed.rs`): the property is judged on it.

use super::observed::{parked_command, LiveObservation};
use super::pubsub::Inboxes;
use crate::backend::{Due, ScheduleBackend};
use crate::nemesis::{self, Done, Faulting, ModelRun, Nemesis};
use crate::LiveError;
use model::backend::Backend;
use model::world::{ClientState, Status};
use model::{client_name, Action, Event, Note, Step, System, World};
use std::time::Duration;

pub(super) type Outcome = (Vec<Step>, LiveObservation, bool, Duration, Vec<String>);

pub(super) struct Runner<'s, 'a> {
    pub(super) backend: ScheduleBackend<'a>,
    pub(super) system: &'s System,
    pub(super) nemesis: &'static dyn Nemesis,
    pub(super) clients: Vec<ClientState>,
    pub(super) done: Done,
    pub(super) foreign_release: Option<(u8, u8)>,
    /// The subject key's live value, when known (`None`: read it before relying on it).
    pub(super) subject: Option<Option<String>>,
    pub(super) late_warned: Option<u64>,
    /// Messages read on subscribed connections, and who waits for one (`pubsub.rs`).
    pub(super) pubsub: Inboxes,
}

impl<'s, 'a> Runner<'s, 'a> {
    /// The clients of `system` at rest where they start, on `backend` (opened for it).
    pub(super) fn new(backend: ScheduleBackend<'a>, system: &'s System) -> Self {
        let mut runner = Runner {
            backend,
            system,
            nemesis: nemesis::of(system.faults),
            clients: vec![ClientState::new(); system.bounds.clients],
            done: Done::default(),
            foreign_release: None,
            subject: None,
            late_warned: None,
            pubsub: Default::default(),
        };
        for i in 0..system.bounds.clients {
            runner.settle(i, &mut vec![]);
        }
        runner
    }

    fn faulting(&mut self) -> Faulting<'_, 'a> {
        Faulting {
            system: self.system,
            backend: &mut self.backend,
            clients: &mut self.clients,
            done: &mut self.done,
        }
    }

    pub(super) fn run(
        &mut self,
        actions: &[Action],
        model_steps: &[Step],
        worlds: &[World],
    ) -> Result<Outcome, LiveError> {
        let mut steps = Vec::with_capacity(actions.len());
        self.backend.start_clock();
        let model = ModelRun {
            actions,
            steps: model_steps,
            worlds,
        };
        for (n, &a) in actions.iter().enumerate() {
            let at = model.at(n);
            let step = match a {
                Action::Step(i) | Action::Thread(i, _) => {
                    let thread = match a {
                        Action::Thread(_, t) => t,
                        _ => 0,
                    };
                    let nemesis = self.nemesis;
                    nemesis.before_step(&mut self.faulting(), &at)?;
                    let step = self.client_step(i, thread, at.step)?;
                    nemesis.after_step(&mut self.faulting(), &at)?;
                    step
                }
                Action::Tick => self.tick(at.before)?,
                Action::Choose(i, k) => self.choose(i, k),
                _ => {
                    let nemesis = self.nemesis;
                    let step = nemesis.apply(&mut self.faulting(), &at)?;
                    for i in 0..self.clients.len() {
                        if self.clients[i].is_crashed() {
                            self.pubsub.forget(i);
                        }
                    }
                    self.subject = None;
                    step
                }
            };
            self.check_lateness(at.after);
            steps.push(step);
        }
        let steps_elapsed = self.backend.elapsed();
        let obs = self.observe(&steps, worlds.last().expect("final world"))?;
        // Finality as the model defines it, asked of the live run.
        let mut enabled = Vec::new();
        self.system.enabled_observed(&obs, &mut enabled);
        let warnings = self.backend.take_warnings();
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
        let mut keyspaces = Vec::with_capacity(self.system.servers());
        for s in 0..self.system.servers() {
            keyspaces.push(self.backend.keyspace(s)?);
        }
        let mut obs = LiveObservation {
            keyspaces,
            clients: self.clients.clone(),
            now: self.backend.now(),
            crashes: self.done.crashes,
            failovers: self.done.failovers,
            restarts: self.done.restarts,
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
                    if message || deadline.is_some_and(|d| obs.now >= d) {
                        obs.served.insert((i, slot));
                    }
                    obs.receiving.insert((i, slot), (deadline, channels));
                } else if !self.backend.is_parked(self.system.conn_id(i, slot))? {
                    obs.served.insert((i, slot));
                } else if let Some(blocked) = parked_command(steps, self.system, i, slot) {
                    obs.parked.insert((i, slot), blocked);
                }
            }
        }
        Ok(obs)
    }

    /// Brings the client to rest where it sends nothing next (`System::settle_client`).
    pub(super) fn settle(&mut self, i: usize, events: &mut Vec<Event>) {
        let now = self.backend.now();
        self.system
            .settle_client(&mut self.clients[i], i, now, events);
    }

    /// Client `i` takes branch `k` of its choice (a step without a command).
    fn choose(&mut self, i: usize, k: u32) -> Step {
        let now = self.backend.now();
        let events = self.system.take_choice(&mut self.clients[i], i, k, now);
        Step::local(now / 1000, client_name(i), events)
    }

    /// Step 2: the clock advances one tick, guided by the model's world `before` it.
    fn tick(&mut self, before: &World) -> Result<Step, LiveError> {
        let now = self.backend.now() + 1000;
        let due = before
            .servers()
            .enumerate()
            .map(|(server, state)| Due {
                server,
                keys: (state.keys.iter())
                    .filter(|(_, e)| e.expires_at.is_some_and(|d| d <= now))
                    .map(|(k, _)| k.clone())
                    .collect(),
                timed_out: (state.waiters.iter().copied())
                    .filter(|c| {
                        (state.conns[c].blocked.as_ref())
                            .and_then(|b| b.deadline)
                            .is_some_and(|d| d <= now)
                    })
                    .collect(),
            })
            .collect();
        self.backend.expect_tick(due);
        self.backend.tick()?;
        let mut notes = self.backend.take_notes();
        for (i, c) in self.clients.iter().enumerate() {
            if let (true, Some(Some(until))) = (c.is_live(), c.lease_until) {
                if until == now {
                    notes.push(Note::LeaseRanOut {
                        client: client_name(i),
                    });
                }
            }
        }
        self.subject = None;
        Ok(Step::tick(now / 1000, notes))
    }

    /// Warns once per tick when steps run past the next tick's boundary while keys have TTLs:
    /// the server may then expire them before the model does.
    fn check_lateness(&mut self, model_world: &World) {
        let t = self.backend.now() / 1000;
        if self.late_warned == Some(t)
            || model_world
                .server
                .keys
                .values()
                .all(|e| e.expires_at.is_none())
        {
            return;
        }
        let next = Duration::from_millis((t + 1) * self.backend.tick_ms());
        let elapsed = self.backend.elapsed();
        if elapsed > next {
            self.late_warned = Some(t);
            self.backend.warn(format!(
                "the steps at t={t}s ran {} ms past the next tick's boundary: keys with a TTL may have expired on the server before the model expires them",
                (elapsed - next).as_millis()
            ));
        }
    }
}
