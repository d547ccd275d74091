//! The [`Backend`] verbs of a schedule replay's connections, and the connection itself:
//!
//! 1. **send**: the command as the server must receive it (`wire.rs`: keys namespaced, time
//!    arguments scaled; `clock.rs`: absolute times on the real clock, noted as sent), sent
//!    through [`ParkingConn`] (a command the model parks is watched in CLIENT LIST until it
//!    shows blocked or answered), its reply read back as the model's (un-namespaced, TTLs
//!    in ticks, a TIME reply on the model's clock; inside EXEC's, each queued command's reply
//!    as that command's).
//! 2. **take served**: a reply kept across a server's replacement, else a parked command's
//!    once the server no longer lists the connection blocked.
//! 3. **drain**: what a subscribed connection has been sent: `PING redis-races:drain`, then
//!    everything read before the pong. Every message published before the PING was written
//!    to the connection before the pong, so what comes first is exactly what the model's
//!    inbox holds (a PING is one of the commands a subscribed connection may send;
//!    unsubscribed, it answers the bulk argument instead of the pong array). Channels come
//!    back without the prefix.
//! 4. **kill**: CLIENT KILL ID on every master the connection reaches, then CLIENT LIST must
//!    no longer list it.

use super::{clock, namespace, wire, ScheduleBackend};
use crate::backend::{Answer, ParkingConn};
use crate::executor::DEFAULT_TICK_MS;
use crate::LiveError;
use model::backend::{dump_value, Backend, Dump, Sent};
use model::{Command, ConnId, Note, Reply};

/// The PING argument that marks the end of what a connection has been sent (step 3).
const DRAIN_MARK: &str = "redis-races:drain";

/// One live connection: on `cluster3`, one per master, each command routed to the master of
/// its keys ([`crate::route`]).
pub(super) struct LiveConn {
    /// Sent on as the live backend sends ([`ParkingConn`]: parking told from CLIENT LIST).
    pub(super) con: ParkingConn,
    /// The model server it is bound to.
    pub(super) server: usize,
    /// Set while a blocking command waits for its reply: how to read that reply.
    parked: Option<wire::Fix>,
    /// The reply to a parked command its server answered (or lost) before the connection
    /// was replaced by a promotion or a restart; read instead of the socket.
    pub(super) kept: Option<Reply>,
    /// While MULTI is open: how to read each queued command's reply inside EXEC's.
    multi: Option<Vec<wire::Fix>>,
    /// A SUBSCRIBE-family command was sent on it.
    pub(super) subscribed: bool,
}

impl LiveConn {
    pub(super) fn new(con: ParkingConn, server: usize) -> Self {
        LiveConn {
            con,
            server,
            parked: None,
            kept: None,
            multi: None,
            subscribed: false,
        }
    }
}

fn config(reason: String) -> LiveError {
    LiveError::Config { reason }
}

/// Step 1 on `id`; `parks`: the model parked this command.
fn send(
    b: &mut ScheduleBackend<'_>,
    id: ConnId,
    command: &Command,
    parks: bool,
) -> Result<Sent, LiveError> {
    if !b.prefix.is_empty() && namespace::script_walks_keyspace(command) {
        return Err(config(format!(
            "{command} runs a script that calls KEYS or SCAN: on a server that is not ours \
             (prefix {}) it would walk other people's keys, and a script's text is never \
             rewritten; replay it on a server the suite starts",
            b.prefix
        )));
    }
    let mut out = wire::outgoing(command, &b.prefix, b.tick_ms, b.timed).map_err(config)?;
    let start_wall_ms = clock::start_wall_ms(b.started);
    if clock::has_absolute_time(command) {
        clock::outgoing(command, &mut out.args, start_wall_ms, b.tick_ms).map_err(config)?;
        b.notes.push(Note::LiveSentAs {
            command: out.args.clone(),
        });
    }
    if b.tick_ms != DEFAULT_TICK_MS && wire::has_time_argument(command) {
        let plain = wire::outgoing(command, &b.prefix, DEFAULT_TICK_MS, false).map_err(config)?;
        if plain.args != out.args {
            b.notes.push(Note::LiveSentAs {
                command: out.args.clone(),
            });
        }
    }
    let who = &b.bindings[&id].who;
    let Some(lc) = b.conns.get_mut(&id) else {
        return Err(config(format!(
            "{who}: the connection was closed (the client crashed) and cannot send {command}"
        )));
    };
    if lc.con.is_parked() {
        return Ok(Sent::Busy);
    }
    let name = command.name();
    if name.ends_with("SUBSCRIBE") && !name.contains("UNSUB") {
        lc.subscribed = true;
    }
    let context = format!("{who}: {command}");
    let value = match lc
        .con
        .send(&mut b.control[lc.server], &out.args, parks, &context)?
    {
        Answer::Reply(v) => v,
        Answer::Parked => {
            lc.parked = Some(out.fix);
            return Ok(Sent::Parked);
        }
        Answer::AtOnce(v) => {
            b.notes.push(Note::LiveAnsweredAtOnce {
                command: name.clone(),
            });
            v
        }
    };
    let (prefix, tick_ms) = (&b.prefix, b.tick_ms);
    let reply = wire::incoming(wire::reply_from_value(value), out.fix, prefix, tick_ms);
    let reply = match name.as_str() {
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
                    .map(|(r, fix)| wire::incoming(r, fix, prefix, tick_ms))
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
    };
    if name == "TIME" {
        return Ok(Sent::Reply(clock::time_reply(
            reply,
            start_wall_ms,
            tick_ms,
        )));
    }
    Ok(Sent::Reply(reply))
}

/// Step 2 on `id`: `None` while the server still holds it blocked (or it is not parked).
fn take_served(b: &mut ScheduleBackend<'_>, id: ConnId) -> Result<Option<Reply>, LiveError> {
    let who = &b.bindings[&id].who;
    let Some(lc) = b.conns.get_mut(&id) else {
        return Err(config(format!(
            "{who}: the connection was closed; no reply to read"
        )));
    };
    if let Some(kept) = lc.kept.take() {
        return Ok(Some(kept));
    }
    if !lc.con.is_parked() {
        return Ok(None);
    }
    let served = lc.con.take_served(&mut b.control[lc.server]);
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
        wire::reply_from_value(value),
        fix,
        &b.prefix,
        b.tick_ms,
    )))
}

/// Step 3 on `id`.
fn drain(b: &mut ScheduleBackend<'_>, id: ConnId) -> Result<Vec<Reply>, LiveError> {
    let who = &b.bindings[&id].who;
    let in_context = |what: &str, e: LiveError| config(format!("{who}: {what}: {e}"));
    let Some(lc) = b.conns.get_mut(&id) else {
        return Err(config(format!(
            "{who}: the connection was closed; nothing to receive"
        )));
    };
    let con = lc.con.routed();
    con.send(&["PING".to_string(), DRAIN_MARK.to_string()])
        .map_err(|e| in_context("sending PING", e))?;
    let mut out = Vec::new();
    loop {
        let v = con
            .recv()
            .map_err(|e| in_context("reading what the connection was sent", e))?;
        let r = wire::reply_from_value(v);
        let is_mark = match &r {
            Reply::Bulk(s) => s == DRAIN_MARK,
            Reply::Array(a) => {
                a.len() == 2 && a[0] == Reply::bulk("pong") && a[1] == Reply::bulk(DRAIN_MARK)
            }
            _ => false,
        };
        if is_mark {
            return Ok(out);
        }
        out.push(namespace::strip_channel(r, &b.prefix));
    }
}

/// Step 4 on `id` (already closed: nothing to do).
fn kill(b: &mut ScheduleBackend<'_>, id: ConnId) -> Result<(), LiveError> {
    let Some(lc) = b.conns.remove(&id) else {
        return Ok(());
    };
    let client = model::client_name(id.client as usize);
    let (mut killed, mut expected) = (0, 0);
    let control = &mut b.control[lc.server];
    for (node, nc) in lc.con.nodes().iter().enumerate() {
        let n: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(nc.id)
            .query(control.node(node))
            .map_err(|e| LiveError::redis(format!("killing {client}'s connection {}", nc.id), e))?;
        killed += n;
        expected += 1;
    }
    // The server frees a killed client (its WATCH, MULTI and parked BLPOP) at once; check it
    // is gone before anything else runs.
    for (node, nc) in lc.con.nodes().iter().enumerate() {
        if control.client(node, nc.id)?.is_some() {
            return Err(config(format!(
                "{client}'s connection {} is still listed by CLIENT LIST after CLIENT KILL",
                nc.id
            )));
        }
    }
    if killed != expected {
        b.warnings.push(format!(
            "CLIENT KILL closed {killed} of {client}'s {expected} connections"
        ));
    }
    Ok(())
}

impl Backend for ScheduleBackend<'_> {
    type Error = LiveError;

    /// Sends the command as the server must receive it (module doc); a command the model
    /// parked ([`ScheduleBackend::expect_park`]) is watched in CLIENT LIST until it shows
    /// blocked or answered. Never [`Sent::Refused`]: the schedule is the model's own.
    fn send(&mut self, id: ConnId, command: &Command) -> Result<Sent, LiveError> {
        let parks = std::mem::take(&mut self.parks);
        send(self, id, command, parks)
    }

    /// Drains every connection a SUBSCRIBE-family command was sent on.
    fn take_messages(&mut self) -> Result<Vec<(ConnId, Reply)>, LiveError> {
        let subscribed: Vec<ConnId> = (self.conns.iter())
            .filter(|(_, lc)| lc.subscribed)
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::new();
        for id in subscribed {
            out.extend(self.take_messages_on(id)?.into_iter().map(|r| (id, r)));
        }
        Ok(out)
    }

    /// Every parked connection the server has answered, with its reply.
    fn take_served(&mut self) -> Result<Vec<(ConnId, Reply)>, LiveError> {
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = self.take_served_on(id)? {
                out.push((id, r));
            }
        }
        Ok(out)
    }

    /// Everything the server wrote to `id` before a `PING` sent now (module doc).
    fn take_messages_on(&mut self, id: ConnId) -> Result<Vec<Reply>, LiveError> {
        drain(self, id)
    }

    /// A reply kept across a replacement, else the parked command's once CLIENT LIST no
    /// longer shows the connection blocked.
    fn take_served_on(&mut self, id: ConnId) -> Result<Option<Reply>, LiveError> {
        take_served(self, id)
    }

    /// Parked, and CLIENT LIST on its master still shows it blocked.
    fn is_parked(&mut self, id: ConnId) -> Result<bool, LiveError> {
        let Some(lc) = self.conns.get(&id) else {
            return Ok(false);
        };
        if !lc.con.is_parked() {
            return Ok(false);
        }
        lc.con.is_blocked(&mut self.control[lc.server])
    }

    /// CLIENT KILL of the connection on every master of its server; CLIENT LIST must no
    /// longer list it (the server has freed its WATCH, MULTI and parked command).
    fn close(&mut self, id: ConnId) -> Result<(), LiveError> {
        kill(self, id)
    }

    /// Sleeps until the tick's boundary, then waits until each server has expired and timed
    /// out what the guide says (`tick.rs`).
    fn tick(&mut self) -> Result<(), LiveError> {
        super::tick::tick(self)
    }

    /// Server 0's keyspace, each TTL in model ms from now.
    fn observe(&mut self) -> Result<Dump, LiveError> {
        let server = self.keyspace(0)?;
        let now = self.now;
        Ok(server
            .keys
            .iter()
            .map(|(k, e)| {
                let ttl = e.expires_at.map_or(-1, |d| d.saturating_sub(now) as i64);
                let kind = e.value.type_name().to_string();
                (k.clone(), kind, dump_value(&e.value, server.profile), ttl)
            })
            .collect())
    }
}
