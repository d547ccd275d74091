//! Commands and replies on one client connection: sending a command (through the live
//! backend's [`crate::backend::ParkingConn`], which, when the model parks it, waits until
//! CLIENT LIST shows it blocked), reading a reply (the queued replies of
//! MULTI inside EXEC's, a parked command's when it comes, or the one kept across a promotion
//! or restart), and the subject key's live value around a write (to note a foreign release).

use super::runner::{LiveConn, Runner};
use super::wire::reply_from_value;
use super::{client_name, config, wire, Command, DEFAULT_TICK_MS};
use crate::backend::Answer;
use crate::LiveError;
use model::world::Status;
use model::{Note, Reply, Step, System};
use redis::ConnectionLike;

/// Commands that never modify a key (so cannot release a lock).
pub(super) fn read_only(name: &str) -> bool {
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

impl Runner<'_> {
    /// Sends `command` on client `i`'s connection `slot`. Returns the reply, or `None` when
    /// the command parked the connection (only tried when the model parked it too).
    pub(super) fn send(
        &mut self,
        i: usize,
        slot: usize,
        command: &Command,
        park: bool,
        notes: &mut Vec<Note>,
    ) -> Result<Option<Reply>, LiveError> {
        if !self.prefix.is_empty() && super::namespace::script_walks_keyspace(command) {
            return Err(config(format!(
                "{command} runs a script that calls KEYS or SCAN: on a server that is not ours \
                 (prefix {}) it would walk other people's keys, and a script's text is never \
                 rewritten; replay it on a server the suite starts",
                self.prefix
            )));
        }
        let mut out =
            wire::outgoing(command, &self.prefix, self.tick_ms, self.timed).map_err(config)?;
        let start_wall_ms = super::clock::start_wall_ms(self.started);
        if super::clock::has_absolute_time(command) {
            super::clock::outgoing(command, &mut out.args, start_wall_ms, self.tick_ms)
                .map_err(config)?;
            notes.push(Note::LiveSentAs {
                command: out.args.clone(),
            });
        }
        if self.tick_ms != DEFAULT_TICK_MS && wire::has_time_argument(command) {
            let plain =
                wire::outgoing(command, &self.prefix, DEFAULT_TICK_MS, false).map_err(config)?;
            if plain.args != out.args {
                notes.push(Note::LiveSentAs {
                    command: out.args.clone(),
                });
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
        let mut result = self.send_on(&mut lc, &out, command, park, notes, &who);
        self.conns[i][slot] = Some(lc);
        if let (Ok(Some(reply)), "TIME") = (&mut result, command.name().as_str()) {
            *reply = super::clock::time_reply(
                std::mem::replace(reply, Reply::Nil),
                start_wall_ms,
                self.tick_ms,
            );
        }
        result
    }

    fn send_on(
        &mut self,
        lc: &mut LiveConn,
        out: &wire::Outgoing,
        command: &Command,
        park: bool,
        notes: &mut Vec<Note>,
        who: &str,
    ) -> Result<Option<Reply>, LiveError> {
        let name = command.name();
        let context = format!("{who}: {command}");
        let control = &mut self.control[lc.server];
        let value = match lc.con.send(control, &out.args, park, &context)? {
            Answer::Reply(v) => v,
            Answer::Parked => {
                lc.parked = Some(out.fix);
                return Ok(None);
            }
            Answer::AtOnce(v) => {
                notes.push(Note::LiveAnsweredAtOnce {
                    command: name.clone(),
                });
                v
            }
        };
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
    pub(super) fn receive(&mut self, i: usize, slot: usize) -> Result<Option<Reply>, LiveError> {
        if let Some(kept) = self.conns[i][slot].as_mut().and_then(|lc| lc.kept.take()) {
            return Ok(Some(kept));
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
        let served = lc.con.take_served(&mut self.control[lc.server]);
        let Some(value) = served.map_err(|e| {
            config(format!(
                "{who}: reading the reply to its blocked command: {e}"
            ))
        })?
        else {
            return Ok(None);
        };
        let fix = lc.parked.take().unwrap_or_default();
        Ok(Some(wire::incoming(
            reply_from_value(value),
            fix,
            &self.prefix,
            self.tick_ms,
        )))
    }

    /// After a command: notes the other parked clients the server has now served.
    pub(super) fn note_served(
        &mut self,
        actor: usize,
        notes: &mut Vec<Note>,
    ) -> Result<(), LiveError> {
        for j in 0..self.clients.len() {
            if j == actor {
                continue;
            }
            if let Status::Waiting { conn } = self.clients[j].status {
                // A client waiting for a message is not blocked in CLIENT LIST either.
                if !self.pubsub.is_receiving(j, conn as usize)
                    && !self.is_blocked(j, conn as usize)?
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
    pub(super) fn subject_value(&mut self) -> Result<Option<String>, LiveError> {
        match &self.subject {
            Some(v) => Ok(v.clone()),
            None => self.read_subject(),
        }
    }

    pub(super) fn read_subject(&mut self) -> Result<Option<String>, LiveError> {
        let key = format!("{}{}", self.prefix, self.system.scenario.subject);
        let v = self.control[0]
            .for_key(&key)
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

    /// The model stepper's foreign-release record ([`model::invariants::removed_by_other`])
    /// on live values of the subject key.
    pub(super) fn note_foreign_release(
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
