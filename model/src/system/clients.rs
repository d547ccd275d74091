//! How a client steps: its recipe says what it does next, the server runs the command, the
//! reply and the events it states are recorded. The model's transition
//! (`System::advance`) and the live executor both step clients through these functions.
//!
//! 1. `begin_step`: the recipe's next step at the current time, its opening events recorded.
//! 2. A command goes to the server the connection is bound to; a reply is read at once
//!    (`read_reply`), a parked command later, when served.
//! 3. `settle_client`: a program that next ends, sleeps or chooses comes to rest there.
//!
//! A client's spawned threads (`c:spawn`) step the same way: the `*_thread` forms take the
//! thread's connection slot (0: the main thread, whose status is the client's).

use super::{StepKind, System};
use crate::client_name;
use crate::invariants::{removed_by_other, token_owner};
use crate::recipe::{Event, Input, Op};
use crate::reply::Reply;
use crate::server::Outcome;
use crate::trace::{Note, Step};
use crate::world::{ClientState, Status, World};

/// When a wait of `ms` milliseconds begun at `now` is over: `ms` rounded down to whole ticks
/// (every real wake-up time is then allowed: the client may also step later). A sleep's end
/// and a `receive` timeout both follow this rule, in the model and on a live run.
pub fn wait_over(now: u64, ms: u64) -> u64 {
    now + ms / 1000 * 1000
}

/// The trace's note for client `j`'s parked connection served `reply`: a pub/sub message
/// (`["message", channel, data]`, which no blocking pop replies) or a blocking pop's reply.
pub fn served_note(j: usize, reply: Option<&Reply>) -> Note {
    let client = client_name(j);
    match reply {
        Some(Reply::Array(a)) if a.len() == 3 && a[0] == Reply::bulk("message") => {
            Note::ServedMessage { client }
        }
        _ => Note::Served { client },
    }
}

impl System {
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
        self.settle_thread(c, i, 0, now, events);
        // The threads it has spawned (in this step or before) come to rest too.
        let mut k = 0;
        while k < c.threads.len() {
            let slot = c.threads[k].0;
            self.settle_thread(c, i, slot, now, events);
            k += 1;
        }
    }

    /// [`System::settle_client`] for one thread (`slot` 0: the main thread).
    fn settle_thread(
        &self,
        c: &mut ClientState,
        i: usize,
        slot: u8,
        now: u64,
        events: &mut Vec<Event>,
    ) {
        if c.thread_status(slot) != Status::Running || !c.is_live() {
            return;
        }
        let Some(rest) = self.recipes[i].rests_thread(&self.ctxs[i], &c.local, slot, now) else {
            return;
        };
        for e in &rest.events {
            self.record(c, e, now);
        }
        events.extend(rest.events);
        c.local = rest.local;
        self.rest_thread(c, slot, &rest.op, now);
    }

    /// Client `i`'s thread `slot` is named `A` (the main thread) or `A/renewer` (a spawned
    /// thread: the client, a slash, its connection): in traces, the model and live alike.
    pub fn thread_name(&self, i: usize, slot: u8) -> String {
        if slot == 0 {
            client_name(i)
        } else {
            format!(
                "{}/{}",
                client_name(i),
                self.connection_name(i, slot as usize)
            )
        }
    }

    /// Hands thread `slot` of client `i` the end of its sleep or the checker's choice,
    /// recording what it states.
    fn resume(
        &self,
        c: &mut ClientState,
        i: usize,
        slot: u8,
        input: Input,
        now: u64,
        events: &mut Vec<Event>,
    ) {
        let later = self.recipes[i].resume_thread(&self.ctxs[i], &mut c.local, slot, input, now);
        for e in &later {
            self.record(c, e, now);
        }
        events.extend(later);
    }

    /// Marks a running client whose program has ended as done (or asleep, or at a choice),
    /// recording its final events.
    pub(super) fn settle(&self, w: &mut World, i: usize, events: Option<&mut Vec<Event>>) {
        let now = w.now;
        let mut stated = Vec::new();
        self.settle_client(&mut w.clients[i], i, now, &mut stated);
        if let Some(events) = events {
            events.extend(stated);
        }
    }

    /// Client `i` starts a step: its recipe decides what to do next, and the events it states
    /// as the step starts are recorded at `now`. The model and the live executor both step
    /// clients through this and [`System::read_reply`], so they cannot drift apart.
    pub fn begin_step(&self, c: &mut ClientState, i: usize, now: u64) -> crate::recipe::Next {
        self.begin_thread_step(c, i, 0, now)
    }

    /// [`System::begin_step`] for thread `slot` of client `i`.
    pub fn begin_thread_step(
        &self,
        c: &mut ClientState,
        i: usize,
        slot: u8,
        now: u64,
    ) -> crate::recipe::Next {
        let next = self.recipes[i].next_thread(&self.ctxs[i], &mut c.local, slot, now);
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
        self.rest_thread(c, 0, op, now)
    }

    /// [`System::rest`] for thread `slot`: the main thread's end ends the client (its other
    /// threads stop); another thread's end ends only that thread.
    pub fn rest_thread(&self, c: &mut ClientState, slot: u8, op: &Op, now: u64) {
        let status = match *op {
            Op::Finish => Status::Done,
            Op::Sleep { ms } => Status::Sleeping {
                until: wait_over(now, ms),
            },
            Op::Choose { n } => Status::Choosing { n },
            Op::Send { .. } | Op::Receive { .. } => return,
        };
        c.set_thread_status(slot, status);
    }

    /// Client `i`, at a choice, takes branch `k` at `now` (a step without a command): its
    /// program runs on from the choice to its next step; returns what it states, the choice
    /// first.
    pub fn take_choice(&self, c: &mut ClientState, i: usize, k: u32, now: u64) -> Vec<Event> {
        let mut events = vec![Event::Chose { choice: k }];
        self.record(c, &events[0], now);
        c.status = Status::Running;
        self.resume(c, i, 0, Input::Chose(k), now, &mut events);
        self.settle_client(c, i, now, &mut events);
        events
    }

    /// Client `i`, asleep, wakes at `now` (a step without a command): its program runs on from
    /// the sleep to its next step; returns what it states.
    pub fn wake(&self, c: &mut ClientState, i: usize, now: u64) -> Vec<Event> {
        self.wake_thread(c, i, 0, now)
    }

    /// [`System::wake`] for thread `slot` of client `i`.
    pub fn wake_thread(&self, c: &mut ClientState, i: usize, slot: u8, now: u64) -> Vec<Event> {
        let mut events = Vec::new();
        c.set_thread_status(slot, Status::Running);
        self.resume(c, i, slot, Input::Slept, now, &mut events);
        self.settle_client(c, i, now, &mut events);
        events
    }

    /// Client `i` reads `reply` (to the command it just sent, or to one that had parked its
    /// connection): its recipe updates its state and the events it states are recorded.
    pub fn read_reply(&self, c: &mut ClientState, i: usize, reply: &Reply, now: u64) -> Vec<Event> {
        self.read_thread_reply(c, i, 0, reply, now)
    }

    /// [`System::read_reply`] for a reply on thread `slot` of client `i`.
    pub fn read_thread_reply(
        &self,
        c: &mut ClientState,
        i: usize,
        slot: u8,
        reply: &Reply,
        now: u64,
    ) -> Vec<Event> {
        let events = self.recipes[i].on_reply_thread(&self.ctxs[i], &mut c.local, slot, reply, now);
        for e in &events {
            self.record(c, e, now);
        }
        events
    }

    pub(super) fn client_step(
        &self,
        w: &mut World,
        i: usize,
        slot: u8,
        mut rec: Option<&mut Step>,
    ) {
        if let Some(step) = rec.as_deref_mut() {
            step.client = Some(self.thread_name(i, slot));
        }
        if let Status::Waiting { conn } = w.clients[i].thread_status(slot) {
            let server = w.server_mut(self.server_of(i, conn as usize));
            let id = self.conn_id(i, conn as usize);
            let served = server.take_served(id);
            if served.is_none() && server.receive_deadline(id).is_some() {
                // Its timeout has come (`Observation::served`): the client stops waiting for a message.
                server.give_up_receiving(id);
                if let Some(step) = rec.as_deref_mut() {
                    step.notes.push(Note::StopsWaiting {
                        client: self.thread_name(i, slot),
                    });
                }
            }
            let reply = served.unwrap_or(Reply::Nil);
            w.clients[i].set_thread_status(slot, Status::Running);
            let events = self.read_thread_reply(&mut w.clients[i], i, slot, &reply, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.kind = StepKind::Receive;
                step.connection = Some(self.connection_name(i, conn as usize).to_string());
                step.events = events;
                step.reply = Some(reply);
            }
        } else if let Status::Sleeping { .. } = w.clients[i].thread_status(slot) {
            let woke = self.wake_thread(&mut w.clients[i], i, slot, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.kind = StepKind::Local;
                step.events = woke;
            }
            return;
        } else {
            let next = self.begin_thread_step(&mut w.clients[i], i, slot, w.now);
            if let Some(step) = rec.as_deref_mut() {
                step.events = next.events;
            }
            match next.op {
                Op::Send { conn, command } => {
                    let owner_before = token_owner(self, w.server.get_str(self.scenario.subject));
                    let (at, id, now) = (self.server_of(i, conn), self.conn_id(i, conn), w.now);
                    let outcome = w.apply_on(at, id, &command, now);
                    let conn_name = self.connection_name(i, conn);
                    self.note_foreign_release(w, i, owner_before, rec.as_deref_mut());
                    match outcome {
                        Outcome::Reply(reply) => {
                            let later =
                                self.read_thread_reply(&mut w.clients[i], i, slot, &reply, w.now);
                            if let Some(step) = rec.as_deref_mut() {
                                step.events.extend(later);
                                step.reply = Some(reply);
                            }
                        }
                        Outcome::Blocked => {
                            w.clients[i]
                                .set_thread_status(slot, Status::Waiting { conn: conn as u8 });
                            if let Some(step) = rec.as_deref_mut() {
                                step.notes.push(Note::Blocks {
                                    client: self.thread_name(i, slot),
                                });
                            }
                        }
                        Outcome::Unmodelled(name) => {
                            // The world records it (w.server.unmodelled); the checker stops.
                            w.clients[i].set_thread_status(slot, Status::Done);
                            if let Some(step) = rec.as_deref_mut() {
                                step.notes.push(Note::Unmodelled {
                                    command: name.to_string(),
                                });
                            }
                        }
                    }
                    if let Some(step) = rec.as_deref_mut() {
                        step.kind = StepKind::Command;
                        step.connection = Some(conn_name.to_string());
                        step.command = Some(command.0.clone());
                        for (j, c) in w.clients.iter().enumerate() {
                            if let Status::Waiting { conn } = c.status {
                                let served = w
                                    .server_at(self.server_of(j, conn as usize))
                                    .conn(self.conn_id(j, conn as usize))
                                    .and_then(|s| s.served.as_ref());
                                if j != i && served.is_some() {
                                    step.notes.push(served_note(j, served));
                                }
                            }
                        }
                    }
                }
                Op::Receive { conn, timeout_ms } => {
                    let (at, id) = (self.server_of(i, conn), self.conn_id(i, conn));
                    let deadline = timeout_ms.map(|ms| wait_over(w.now, ms));
                    let outcome = w.server_mut(at).receive(id, deadline);
                    if let Some(step) = rec.as_deref_mut() {
                        step.kind = StepKind::Receive;
                        step.connection = Some(self.connection_name(i, conn).to_string());
                    }
                    match outcome {
                        Outcome::Reply(reply) => {
                            let later =
                                self.read_thread_reply(&mut w.clients[i], i, slot, &reply, w.now);
                            if let Some(step) = rec.as_deref_mut() {
                                step.events.extend(later);
                                step.reply = Some(reply);
                            }
                        }
                        _ => {
                            w.clients[i]
                                .set_thread_status(slot, Status::Waiting { conn: conn as u8 });
                            if let Some(step) = rec.as_deref_mut() {
                                step.notes.push(Note::WaitsForMessage {
                                    client: self.thread_name(i, slot),
                                });
                            }
                        }
                    }
                }
                // A program that reads the clock may decide otherwise at a later time than
                // the one settle_client probed at.
                op @ (Op::Finish | Op::Sleep { .. } | Op::Choose { .. }) => {
                    self.rest_thread(&mut w.clients[i], slot, &op, w.now);
                    if let Some(step) = rec.as_deref_mut() {
                        step.kind = StepKind::Local;
                    }
                }
            }
        }
        self.settle(w, i, rec.map(|step| &mut step.events));
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
        if owner.is_none() {
            return; // no client's token was there to remove (the common case: no lookup)
        }
        let after = w.server.get_str(self.scenario.subject);
        let Some(owner) = removed_by_other(self, actor, owner, after) else {
            return;
        };
        if let Some(step) = rec {
            step.notes.push(Note::ForeignRelease {
                by: client_name(actor),
                owner: client_name(owner),
            });
        }
        if w.foreign_release.is_none() {
            w.foreign_release = Some((actor as u8, owner as u8));
        }
    }
}
