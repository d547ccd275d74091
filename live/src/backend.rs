//! Connections to a real server (one, or each master of `cluster3`) as a [`Backend`]: the
//! verbs of `model::backend` carried out on [`RoutedConn`]s, with the real clock. Every reply
//! and every key in a dump is the server's own; a model server (of any profile) runs
//! alongside as a *guide*, and only says when and what to wait for, never what to answer:
//! whether a command is expected to park (then the connection is watched in CLIENT LIST until
//! it shows blocked, or answered), how many pub/sub messages to read after a step, which keys
//! and which parked commands a tick expires (then PTTL and CLIENT LIST are polled until the
//! server has done so too), and which commands the model refuses (never sent).
//!
//! Time: tick `n` ends `n × tick_ms` real ms after the backend was opened; [`Backend::tick`]
//! sleeps until then. In `backend/`: `parking.rs` (sending on a connection that may park,
//! shared with the schedule backend), `dump.rs` (the keyspace and PTTL), and
//! `schedule.rs` ([`ScheduleBackend`]: the connections of a schedule replay, each bound to
//! one server of a fleet, with the wire's namespacing and time scaling; the executor's).

mod dump;
mod parking;
pub(crate) mod schedule;

pub use parking::{Answer, ParkingConn};
pub use schedule::{Due, ScheduleBackend};

use crate::executor::reply_from_value;
use crate::route::{Masters, RoutedConn};
use crate::{LiveError, LiveServer};
use model::backend::{Backend, Dump, ModelBackend, Sent};
use model::{Command, ConnId, Reply, Server};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long to wait for a key or a BLPOP the model expires at a tick to go on the server.
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// A set of connections to a live server, guided by a model server (see the module doc).
pub struct LiveBackend<'a> {
    masters: &'a mut Masters,
    conns: BTreeMap<ConnId, ParkingConn>,
    guide: ModelBackend,
    started: Instant,
}

impl<'a> LiveBackend<'a> {
    /// Empties `server` (FLUSHDB and SCRIPT FLUSH on every master, through `masters`, its
    /// control connections), opens one connection for each of `conns`, and starts the clock.
    /// `guide` is a fresh model server of any profile and mode, its ticks `tick_ms` long.
    pub fn fresh(
        server: &LiveServer,
        masters: &'a mut Masters,
        conns: &[ConnId],
        guide: Server,
        tick_ms: u64,
    ) -> Result<Self, LiveError> {
        for con in masters.all() {
            redis::cmd("FLUSHDB")
                .exec(con)
                .map_err(|e| LiveError::redis("FLUSHDB", e))?;
            redis::cmd("SCRIPT")
                .arg("FLUSH")
                .exec(con)
                .map_err(|e| LiveError::redis("SCRIPT FLUSH", e))?;
        }
        let mut opened = BTreeMap::new();
        for &id in conns {
            opened.insert(id, ParkingConn::new(RoutedConn::open(server, None)?));
        }
        Ok(LiveBackend {
            masters,
            conns: opened,
            guide: ModelBackend::new(guide, tick_ms),
            started: Instant::now(),
        })
    }

    fn conn(&mut self, id: ConnId) -> Result<&mut ParkingConn, LiveError> {
        self.conns.get_mut(&id).ok_or_else(|| not_open(id))
    }
}

fn not_open(id: ConnId) -> LiveError {
    LiveError::Config {
        reason: format!("connection {id} is not open"),
    }
}

/// The model never fails.
fn guided<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

impl Backend for LiveBackend<'_> {
    type Error = LiveError;

    /// Sends unless the guide refuses the command or the connection is parked; when the guide
    /// parks it, waits until CLIENT LIST shows it blocked (else reads its reply:
    /// [`ParkingConn::send`]).
    fn send(&mut self, id: ConnId, command: &Command) -> Result<Sent, LiveError> {
        let expected = guided(self.guide.send(id, command));
        if let Sent::Refused(name) = expected {
            return Ok(Sent::Refused(name));
        }
        let c = self.conns.get_mut(&id).ok_or_else(|| not_open(id))?;
        if c.is_parked() {
            return Ok(Sent::Busy);
        }
        let context = format!("{id}: {command}");
        Ok(
            match c.send(self.masters, &command.0, expected == Sent::Parked, &context)? {
                Answer::Reply(v) | Answer::AtOnce(v) => Sent::Reply(reply_from_value(v)),
                Answer::Parked => Sent::Parked,
            },
        )
    }

    /// As many messages on each connection as the guide delivers: they are already on their
    /// way when the step's own reply has arrived (Redis writes both before it reads the next
    /// command). A missing one is a read timeout, an error.
    fn take_messages(&mut self) -> Result<Vec<(ConnId, Reply)>, LiveError> {
        let mut out = Vec::new();
        for (id, _) in guided(self.guide.take_messages()) {
            let v = self.conn(id)?.routed().recv()?;
            out.push((id, reply_from_value(v)));
        }
        Ok(out)
    }

    /// The parked connections CLIENT LIST no longer shows blocked, each with its reply.
    fn take_served(&mut self) -> Result<Vec<(ConnId, Reply)>, LiveError> {
        guided(self.guide.take_served());
        let mut out = Vec::new();
        for (id, c) in self.conns.iter_mut().filter(|(_, c)| c.is_parked()) {
            if let Some(v) = c.take_served(self.masters)? {
                out.push((*id, reply_from_value(v)));
            }
        }
        Ok(out)
    }

    /// As many messages as the guide delivers to `id` (see [`Backend::take_messages`]).
    fn take_messages_on(&mut self, id: ConnId) -> Result<Vec<Reply>, LiveError> {
        let expected = guided(self.guide.take_messages_on(id)).len();
        let c = self.conn(id)?;
        let mut out = Vec::with_capacity(expected);
        for _ in 0..expected {
            out.push(reply_from_value(c.routed().recv()?));
        }
        Ok(out)
    }

    /// `id`'s reply once CLIENT LIST no longer shows it blocked.
    fn take_served_on(&mut self, id: ConnId) -> Result<Option<Reply>, LiveError> {
        guided(self.guide.take_served_on(id));
        let Some(c) = self.conns.get_mut(&id).filter(|c| c.is_parked()) else {
            return Ok(None);
        };
        Ok(c.take_served(self.masters)?.map(reply_from_value))
    }

    /// Parked here and still listed blocked by CLIENT LIST.
    fn is_parked(&mut self, id: ConnId) -> Result<bool, LiveError> {
        match self.conns.get(&id).filter(|c| c.is_parked()) {
            Some(c) => c.is_blocked(self.masters),
            None => Ok(false),
        }
    }

    fn close(&mut self, id: ConnId) -> Result<(), LiveError> {
        guided(self.guide.close(id));
        self.conns.remove(&id);
        Ok(())
    }

    /// Sleeps until the tick's boundary, then polls until every key the guide expires in it
    /// is gone and every parked command it times out is unblocked (at most [`SETTLE_WAIT`]
    /// each).
    fn tick(&mut self) -> Result<(), LiveError> {
        let end = self.guide.now() + self.guide.tick_ms();
        let due: Vec<String> = self
            .guide
            .server()
            .keys
            .iter()
            .filter(|(_, e)| e.expires_at.is_some_and(|d| d <= end))
            .map(|(k, _)| k.clone())
            .collect();
        let timed_out = self.guide.advance_tick().timed_out;
        let boundary = Duration::from_millis(self.guide.now());
        if let Some(wait) = boundary.checked_sub(self.started.elapsed()) {
            std::thread::sleep(wait);
        }
        for k in due {
            let since = Instant::now();
            while dump::pttl(self.masters, &k)? >= 0 && since.elapsed() < SETTLE_WAIT {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        for c in timed_out {
            if let Some(c) = self.conns.get(&c) {
                c.await_unblocked(self.masters, SETTLE_WAIT)?;
            }
        }
        Ok(())
    }

    fn observe(&mut self) -> Result<Dump, LiveError> {
        dump::read(self.masters)
    }
}
