//! A client's step on the live run, as the model takes it (`model::system::clients`: the
//! recipe's next step, the reply read, the client brought to rest), with the command sent
//! and the reply, message or served reply read through the [`ScheduleBackend`] verbs.
//! Around a write, the subject key's live value is read to note a foreign release, as the
//! model's stepper does.
//!
//! [`ScheduleBackend`]: crate::backend::ScheduleBackend

use super::runner::Runner;
use crate::LiveError;
use model::backend::{Backend, Sent};
use model::world::Status;
use model::{client_name, Command, Event, Note, Op, Reply, Step, StepKind};

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

impl Runner<'_, '_> {
    /// Thread `thread` of client `i` (0: its main thread) takes its step; `model_step` is
    /// the model's (it says whether the command parks).
    pub(super) fn client_step(
        &mut self,
        i: usize,
        thread: u8,
        model_step: &Step,
    ) -> Result<Step, LiveError> {
        let system = self.system;
        let now = self.backend.now();
        let mut step = Step::of_client(now / 1000, StepKind::Tick, system.thread_name(i, thread));
        match self.clients[i].thread_status(thread) {
            Status::Waiting { conn } => {
                let slot = conn as usize;
                step.kind = StepKind::Receive;
                step.connection = Some(system.connection_name(i, slot).to_string());
                let received = match self.receive_parked(i, slot)? {
                    Some(message) => message,
                    None => self.backend.take_served_on(system.conn_id(i, slot))?,
                };
                let Some(reply) = received else {
                    step.notes.push(Note::LiveStillBlocked {
                        client: client_name(i),
                    });
                    return Ok(step);
                };
                self.clients[i].set_thread_status(thread, Status::Running);
                step.events =
                    system.read_thread_reply(&mut self.clients[i], i, thread, &reply, now);
                step.reply = Some(reply);
            }
            Status::Sleeping { .. } => {
                step.kind = StepKind::Local;
                step.events = system.wake_thread(&mut self.clients[i], i, thread, now);
                return Ok(step);
            }
            Status::Running => {
                let next = system.begin_thread_step(&mut self.clients[i], i, thread, now);
                let mut events = next.events;
                match next.op {
                    Op::Send { conn, command } => {
                        step.kind = StepKind::Command;
                        step.connection = Some(system.connection_name(i, conn).to_string());
                        step.command = Some(command.0.clone());
                        let parks = model_step.kind == StepKind::Command
                            && model_step.reply.is_none()
                            && model_step.command.as_ref() == Some(&command.0);
                        let reply = self.send(i, conn, &command, parks, &mut step.notes)?;
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
                        system.rest_thread(&mut self.clients[i], thread, &op, now);
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
                let now = self.backend.now();
                events.extend(self.system.read_thread_reply(
                    &mut self.clients[i],
                    i,
                    thread,
                    &reply,
                    now,
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

    /// Sends `command` on client `i`'s connection `slot` (`parks`: the model parked it), the
    /// backend's notes joining `notes`, and follows a write's effect on the subject key.
    /// Returns the reply, or `None` when the command parked the connection.
    fn send(
        &mut self,
        i: usize,
        slot: usize,
        command: &Command,
        parks: bool,
        notes: &mut Vec<Note>,
    ) -> Result<Option<Reply>, LiveError> {
        let writes = !read_only(&command.name());
        let before = if writes { self.subject_value()? } else { None };
        self.backend.expect_park(parks);
        let sent = self.backend.send(self.system.conn_id(i, slot), command);
        notes.extend(self.backend.take_notes());
        let reply = match sent? {
            Sent::Reply(r) => r,
            Sent::Parked => return Ok(None),
            // Neither happens on a schedule the model took (its connection is not parked,
            // and the replay backend refuses nothing), but say so rather than panic.
            other @ (Sent::Busy | Sent::Refused(_)) => {
                return Err(LiveError::Config {
                    reason: format!("{} could not send {command}: {other:?}", client_name(i)),
                })
            }
        };
        if writes && reply != Reply::Status("QUEUED".into()) {
            let after = self.read_subject()?;
            self.note_foreign_release(i, before, after, notes);
        }
        self.pubsub.observe(i, slot, &reply);
        Ok(Some(reply))
    }

    /// After a command: notes the other parked clients the server has now served.
    fn note_served(&mut self, actor: usize, notes: &mut Vec<Note>) -> Result<(), LiveError> {
        for j in 0..self.clients.len() {
            if j == actor {
                continue;
            }
            if let Status::Waiting { conn } = self.clients[j].status {
                // A client waiting for a message is not blocked in CLIENT LIST either.
                if !self.pubsub.is_receiving(j, conn as usize)
                    && !self
                        .backend
                        .is_parked(self.system.conn_id(j, conn as usize))?
                {
                    notes.push(Note::Served {
                        client: client_name(j),
                    });
                }
            }
        }
        Ok(())
    }

    /// The subject key's live value before a step (cached since the last write).
    fn subject_value(&mut self) -> Result<Option<String>, LiveError> {
        match &self.subject {
            Some(v) => Ok(v.clone()),
            None => self.read_subject(),
        }
    }

    fn read_subject(&mut self) -> Result<Option<String>, LiveError> {
        let v = self.backend.read_key(self.system.scenario.subject)?;
        self.subject = Some(v.clone());
        Ok(v)
    }

    /// The model stepper's foreign-release record ([`model::invariants::removed_by_other`])
    /// on live values of the subject key.
    fn note_foreign_release(
        &mut self,
        actor: usize,
        before: Option<String>,
        after: Option<String>,
        notes: &mut Vec<Note>,
    ) {
        let owner = model::invariants::token_owner(self.system, before.as_deref());
        let Some(owner) =
            model::invariants::removed_by_other(self.system, actor, owner, after.as_deref())
        else {
            return;
        };
        notes.push(Note::ForeignRelease {
            by: client_name(actor),
            owner: client_name(owner),
        });
        if self.foreign_release.is_none() {
            self.foreign_release = Some((actor as u8, owner as u8));
        }
    }
}
