//! The model server as a [`Backend`]: a [`Server`] value and its logical clock. Every verb is
//! the server's own method ([`Server::apply`], [`Server::take_served`], [`Server::close`],
//! [`Server::advance`]); what this adds is the clock (one tick is `tick_ms` model ms), the
//! roll-back of a command the model refuses, and the keyspace as a [`Dump`].

use super::{Backend, Dump, Sent};
use crate::server::{Advanced, Value};
use crate::{Command, ConnId, Outcome, Profile, Reply, Server};
use std::convert::Infallible;

/// A model server stepped through the [`Backend`] verbs.
#[derive(Clone, Debug)]
pub struct ModelBackend {
    server: Server,
    /// The logical clock, in ms.
    now: u64,
    tick_ms: u64,
}

impl ModelBackend {
    /// `server` (fresh, of any profile and mode) at time 0, its clock moving `tick_ms` ms a
    /// tick.
    pub fn new(server: Server, tick_ms: u64) -> Self {
        ModelBackend {
            server,
            now: 0,
            tick_ms,
        }
    }

    /// The server as it is now.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The logical clock, in ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// How long a tick is, in model ms.
    pub fn tick_ms(&self) -> u64 {
        self.tick_ms
    }

    /// One tick: what the server expired and timed out ([`Backend::tick`] without its
    /// answer, which a live backend reads to know what to wait for).
    pub fn advance_tick(&mut self) -> Advanced {
        self.now += self.tick_ms;
        self.server.advance(self.now)
    }

    /// The connections the server holds state for, in order.
    fn conns(&self) -> Vec<ConnId> {
        self.server.conns.keys().copied().collect()
    }
}

impl Backend for ModelBackend {
    type Error = Infallible;

    fn send(&mut self, conn: ConnId, command: &Command) -> Result<Sent, Infallible> {
        if self.server.is_blocked(conn) {
            return Ok(Sent::Busy);
        }
        let before = self.server.clone();
        Ok(match self.server.apply(conn, command, self.now) {
            Outcome::Reply(r) => Sent::Reply(r),
            Outcome::Blocked => Sent::Parked,
            Outcome::Unmodelled(name) => {
                self.server = before;
                Sent::Refused(name)
            }
        })
    }

    fn take_messages(&mut self) -> Result<Vec<(ConnId, Reply)>, Infallible> {
        let mut out = Vec::new();
        for c in self.conns() {
            out.extend(self.server.take_messages(c).into_iter().map(|r| (c, r)));
        }
        Ok(out)
    }

    fn take_served(&mut self) -> Result<Vec<(ConnId, Reply)>, Infallible> {
        let mut out = Vec::new();
        for c in self.conns() {
            out.extend(self.server.take_served(c).map(|r| (c, r)));
        }
        Ok(out)
    }

    fn take_messages_on(&mut self, conn: ConnId) -> Result<Vec<Reply>, Infallible> {
        Ok(self.server.take_messages(conn))
    }

    fn take_served_on(&mut self, conn: ConnId) -> Result<Option<Reply>, Infallible> {
        Ok(self.server.take_served(conn))
    }

    fn is_parked(&mut self, conn: ConnId) -> Result<bool, Infallible> {
        Ok(self.server.is_blocked(conn))
    }

    fn close(&mut self, conn: ConnId) -> Result<(), Infallible> {
        self.server.close(conn);
        Ok(())
    }

    fn tick(&mut self) -> Result<(), Infallible> {
        self.advance_tick();
        Ok(())
    }

    fn observe(&mut self) -> Result<Dump, Infallible> {
        let profile = self.server.profile;
        Ok(self
            .server
            .keys
            .iter()
            .map(|(k, e)| {
                let ttl = e
                    .expires_at
                    .map_or(-1, |d| (d.wrapping_sub(self.now) as i64).max(0));
                (
                    k.clone(),
                    e.value.type_name().to_string(),
                    dump_value(&e.value, profile),
                    ttl,
                )
            })
            .collect())
    }
}

/// A value as a [`Dump`] shows it: a string as is, a list `a,b`, a hash `f=v,g=w` in field
/// order, a sorted set `m:score,…` in score order with the profile's score text (what
/// ZRANGE … WITHSCORES prints), so a live dump, read with those commands, compares as text.
pub fn dump_value(v: &Value, profile: Profile) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::List(l) => l.iter().cloned().collect::<Vec<_>>().join(","),
        Value::Hash(h) => h
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        Value::ZSet(z) => z
            .iter()
            .map(|(m, s)| format!("{m}:{}", crate::server::double::format_score(s, profile)))
            .collect::<Vec<_>>()
            .join(","),
    }
}
