//! The connections of a schedule replay as a [`Backend`]: one connection per (client, slot),
//! named `redis-races:<client>:<connection>`, on the model server its slot is bound to
//! ([`Nodes`]: one live server, or a fleet whose master `i` is model server `i`). Everything
//! about "a command on a real connection" is here: keys and channels namespaced under the
//! server's prefix and time arguments scaled to the tick (`wire.rs`, `namespace.rs`),
//! absolute times and TIME moved to the real clock (`clock.rs`), queued replies read inside
//! EXEC's, parking told from CLIENT LIST ([`super::ParkingConn`]), pub/sub messages drained
//! with a PING mark, a parked command's reply kept across its server's replacement, and the
//! tick's waits for the server to expire what the model expires (`tick.rs`).
//!
//! Guided as [`super::LiveBackend`] is, by the model's run of the same schedule, which says
//! when and what to wait for, never what to answer: before a send, whether the model parked
//! that command ([`ScheduleBackend::expect_park`]); before a tick, which keys each server
//! expires in it and which parked commands it times out ([`ScheduleBackend::expect_tick`]).
//! A guide is used by the next verb of its kind and then forgotten.
//!
//! The verbs' contracts are the trait's (`model::backend`); a [`ConnId`] is `(client, slot)`
//! and says which server the connection is on (`System::server_of`). Beyond them, each with
//! its contract:
//! - [`ScheduleBackend::replace_server`]: server `s` goes away and another takes its place
//!   (a promotion, a restart). A parked command `s` has already answered keeps its reply; one
//!   still parked is answered with the model's connection-lost error; every connection to
//!   `s` is new (no WATCH, MULTI or subscription). Returns the connections that lost their
//!   parked command. Changes no key itself.
//! - [`ScheduleBackend::keyspace`], [`ScheduleBackend::replica_keyspace`],
//!   [`ScheduleBackend::read_key`], [`ScheduleBackend::is_subscribed`]: read-only probes on
//!   the control connections (the run's keys, CLIENT LIST); they change no key and no client
//!   connection.
//! - [`ScheduleBackend::take_notes`], [`ScheduleBackend::warn`],
//!   [`ScheduleBackend::take_warnings`]: what the last verbs did on the wire (a command sent
//!   as other arguments, a park answered at once, a key expired), and what went unexpectedly.
//!
//! Files in `schedule/`: `nodes.rs` (the servers, opening and cleaning up), `conn.rs` (the
//! trait's verbs, on one connection each), `tick.rs` (the tick's waits), `wire.rs`, `clock.rs`, `namespace.rs`,
//! `snapshot.rs` (the live keyspace as a model server value).

mod clock;
mod conn;
mod namespace;
mod nodes;
mod snapshot;
mod tick;
pub(crate) mod wire;

pub(crate) use nodes::Nodes;
pub use tick::Due;

use super::ParkingConn;
use crate::executor::{ExecOptions, WaitReporter};
use crate::route::Masters;
use crate::{LiveError, LiveFleet};
use conn::LiveConn;
use model::backend::Backend;
use model::fleet::CONNECTION_LOST;
use model::{client_name, ConnId, Note, Reply, System};
use redis::ConnectionLike;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How much earlier than the first step (or the write of the scenario's expiring keys) the
/// run's clock starts, at most: the server's clock and PTTL count whole milliseconds, so a
/// TTL set in the run's first millisecond could otherwise read back a tick early.
const CLOCK_MARGIN: Duration = Duration::from_millis(20);

/// Where a connection goes and what it is called (kept after it is closed, for errors).
struct Binding {
    /// The model server it is bound to.
    server: usize,
    /// `redis-races:<client>:<connection>`, its CLIENT SETNAME.
    name: String,
    /// `<client> [<connection>]`, for errors.
    who: String,
}

/// The connections of one schedule replay (see the module doc).
pub struct ScheduleBackend<'a> {
    nodes: Nodes<'a>,
    prefix: String,
    tick_ms: u64,
    /// Whether the run has a clock at all (a script is refused only then: `wire.rs`).
    timed: bool,
    on_wait: Option<WaitReporter>,
    /// The control connections of each model server (one per master of it).
    control: Vec<Masters>,
    bindings: BTreeMap<ConnId, Binding>,
    /// The open connections (a closed one is gone from here, not from `bindings`).
    conns: BTreeMap<ConnId, LiveConn>,
    /// When the run's clock started (model time 0): see [`ScheduleBackend::start_clock`].
    started: Instant,
    /// When the scenario's keys with a time to live were written (`None`: none were).
    presets_at: Option<Instant>,
    /// Model time, ms (whole ticks).
    now: u64,
    /// The guide for the next send: the model parked it.
    parks: bool,
    /// The guide for the next tick.
    due: Vec<Due>,
    notes: Vec<Note>,
    warnings: Vec<String>,
}

impl<'a> ScheduleBackend<'a> {
    /// Empties the servers, opens a connection for every (client, slot) of `system` on the
    /// server its slot is bound to, writes the scenario's starting keys (on server 0) and, on
    /// a fleet, waits until every replica has them. Of `system` only the connections'
    /// bindings and names and the starting keys are read. On error the nodes come back, so
    /// the caller can clean up.
    pub(crate) fn open(
        nodes: Nodes<'a>,
        system: &System,
        opts: &ExecOptions,
        timed: bool,
    ) -> Result<Self, (Nodes<'a>, LiveError)> {
        let mut backend = ScheduleBackend {
            prefix: nodes.server(0).key_prefix().to_string(),
            nodes,
            tick_ms: opts.tick_ms,
            timed,
            on_wait: opts.on_wait.clone(),
            control: Vec::new(),
            bindings: BTreeMap::new(),
            conns: BTreeMap::new(),
            started: Instant::now(),
            presets_at: None,
            now: 0,
            parks: false,
            due: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
        };
        for i in 0..system.bounds.clients {
            for slot in 0..system.recipe(i).connections().len() {
                let conn = system.connection_name(i, slot);
                backend.bindings.insert(
                    system.conn_id(i, slot),
                    Binding {
                        server: system.server_of(i, slot),
                        name: format!("redis-races:{}:{conn}", client_name(i)),
                        who: format!("{} [{conn}]", client_name(i)),
                    },
                );
            }
        }
        match backend.connect(system) {
            Ok(()) => Ok(backend),
            Err(e) => {
                backend.conns.clear();
                backend.control.clear();
                Err((backend.nodes, e))
            }
        }
    }

    fn connect(&mut self, system: &System) -> Result<(), LiveError> {
        self.nodes.cleanup()?;
        for s in 0..system.servers() {
            let con = self.nodes.control(s)?;
            self.control.push(con);
        }
        let ids: Vec<ConnId> = self.bindings.keys().copied().collect();
        for id in ids {
            let lc = self.open_conn(id)?;
            self.conns.insert(id, lc);
        }
        if !system.scenario.setup.is_empty() {
            if system.scenario.setup.iter().any(|(_, v)| v.px.is_some()) {
                self.presets_at = Some(Instant::now());
            }
            nodes::write_setup(
                &mut self.control[0],
                &system.scenario.setup,
                &self.prefix,
                self.tick_ms,
                self.timed,
            )?;
        }
        self.sync_linked()
    }

    /// A new connection for `id`, on the server it is bound to.
    fn open_conn(&self, id: ConnId) -> Result<LiveConn, LiveError> {
        let b = &self.bindings[&id];
        let con = self.nodes.connect(b.server, &b.name)?;
        Ok(LiveConn::new(ParkingConn::new(con), b.server))
    }

    /// Starts the run's clock (model time 0): a little before the presets' TTLs began, or
    /// before the first step, so every live deadline is at or after the model's, never a tick
    /// early. The margin is a fiftieth of a tick at most, so a scaled tick keeps its length.
    pub fn start_clock(&mut self) {
        let base = self.presets_at.unwrap_or_else(Instant::now);
        let margin = CLOCK_MARGIN.min(Duration::from_millis(self.tick_ms / 50));
        self.started = base.checked_sub(margin).unwrap_or(base);
    }

    /// Real time since the run's clock started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Model time of the live run (ms, whole ticks).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Real milliseconds per model tick.
    pub fn tick_ms(&self) -> u64 {
        self.tick_ms
    }

    /// The guide for the next [`Backend::send`]: whether the model parked that command (only
    /// then may it park live; CLIENT LIST tells whether it did).
    pub fn expect_park(&mut self, parks: bool) {
        self.parks = parks;
    }

    /// The guide for the next [`Backend::tick`]: what the model expires and times out in it.
    pub fn expect_tick(&mut self, due: Vec<Due>) {
        self.due = due;
    }

    /// Tells the progress reporter a line (the replay waits for the clock or the server).
    pub fn report(&self, line: &str) {
        if let Some(f) = &self.on_wait {
            f(line);
        }
    }

    /// Adds a warning (in the order things happened, with the backend's own).
    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// The warnings since the last call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The notes on what the last verbs did on the wire, since the last call.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// The fleet, for a fault action (`run_schedule` refuses those on one server).
    pub fn fleet(&mut self) -> &mut LiveFleet {
        self.nodes.fleet()
    }

    /// Waits until every linked replica has the primary's writes (a fleet only).
    pub fn sync_linked(&mut self) -> Result<(), LiveError> {
        self.nodes.sync_linked()
    }

    /// Model server `s`'s live keyspace (the run's keys, prefix removed), deadlines in ticks.
    pub fn keyspace(&mut self, s: usize) -> Result<model::Server, LiveError> {
        let (started, tick_ms, now) = (self.started, self.tick_ms, self.now);
        snapshot::read_keyspace(
            &mut self.control[s],
            &self.prefix,
            started,
            tick_ms,
            now,
            &mut self.warnings,
        )
    }

    /// Live replica `r`'s keyspace, as [`ScheduleBackend::keyspace`] reads a master's.
    pub fn replica_keyspace(&mut self, r: usize) -> Result<model::Server, LiveError> {
        let mut con = Masters::open(self.nodes.fleet().replica(r))?;
        snapshot::read_keyspace(
            &mut con,
            &self.prefix,
            self.started,
            self.tick_ms,
            self.now,
            &mut self.warnings,
        )
    }

    /// The value of the model's `key` on server 0, read with GET (`None`: no such key, or
    /// not a string).
    pub fn read_key(&mut self, key: &str) -> Result<Option<String>, LiveError> {
        let wire_key = format!("{}{key}", self.prefix);
        let v = self.control[0]
            .for_key(&wire_key)
            .req_packed_command(&redis::cmd("GET").arg(&wire_key).get_packed_command())
            .map_err(|e| LiveError::redis(format!("reading {key}"), e))?;
        Ok(match wire::reply_from_value(v) {
            Reply::Bulk(s) => Some(s),
            _ => None,
        })
    }

    /// Whether CLIENT LIST shows `id` subscribed to a channel (false once it is closed).
    pub fn is_subscribed(&mut self, id: ConnId) -> Result<bool, LiveError> {
        let Some(lc) = self.conns.get(&id) else {
            return Ok(false);
        };
        let (node, cid) = lc.con.last();
        Ok(self.control[lc.server]
            .client(node, cid)?
            .is_some_and(|c| c.subscriptions > 0))
    }

    /// Server `s` goes away and `replace` puts another in its place (see the module doc):
    /// replies already served on it are kept, and every connection to it is opened again.
    pub fn replace_server(
        &mut self,
        s: usize,
        replace: impl FnOnce(&mut LiveFleet) -> Result<(), LiveError>,
    ) -> Result<Vec<ConnId>, LiveError> {
        let on_s: Vec<ConnId> = (self.conns.iter())
            .filter(|(_, lc)| lc.server == s)
            .map(|(id, _)| *id)
            .collect();
        for &id in &on_s {
            if self.conns[&id].kept.is_none() && !self.is_parked(id)? {
                if let Some(reply) = self.take_served_on(id)? {
                    self.conns.get_mut(&id).expect("open").kept = Some(reply);
                }
            }
        }
        replace(self.nodes.fleet())?;
        self.control[s] = self.nodes.control(s)?;
        let mut lost = Vec::new();
        for id in on_s {
            let old = self.conns.remove(&id).expect("open");
            let mut new = self.open_conn(id)?;
            new.kept = match old.kept {
                Some(r) => Some(r),
                None if old.con.is_parked() => {
                    lost.push(id);
                    Some(Reply::err(CONNECTION_LOST))
                }
                None => None,
            };
            self.conns.insert(id, new);
        }
        Ok(lost)
    }

    /// Closes every connection and removes the run's keys.
    pub(crate) fn finish(mut self) -> Result<(), LiveError> {
        self.conns.clear();
        self.control.clear();
        self.nodes.cleanup()
    }
}

#[cfg(test)]
mod tests {
    //! The all-connection verbs and `close`, which the executor does not call (it reads one
    //! connection at a time), keep the trait's contract on a live server too.

    use super::*;
    use crate::{require_server_for_tests, ServerSpec};
    use model::backend::Sent;
    use model::{cmd, FaultModel};
    use std::sync::Arc;

    fn bulk(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| Reply::bulk(*s)).collect())
    }

    /// Polls `verb` until it gives something (the server serves and publishes soon after).
    fn poll<T>(
        b: &mut ScheduleBackend<'_>,
        verb: fn(&mut ScheduleBackend<'_>) -> Result<Vec<T>, LiveError>,
    ) -> Vec<T> {
        for _ in 0..500 {
            let got = verb(b).expect("verb");
            if !got.is_empty() {
                return got;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        vec![]
    }

    #[test]
    fn all_connection_verbs_and_close_keep_the_contract() {
        let spec = ServerSpec::Process {
            binary: "redis-server".into(),
        };
        let Some(server) = require_server_for_tests(&spec) else {
            return;
        };
        let counter = Arc::new(model::catalogue::counter());
        let system = System::new(counter, 0, 0, FaultModel::Crash, Some(2));
        let opts = ExecOptions::default();
        let Ok(mut b) = ScheduleBackend::open(Nodes::One(&server), &system, &opts, false) else {
            panic!("opening the backend")
        };
        let (a, c) = (system.conn_id(0, 0), system.conn_id(1, 0));
        b.expect_park(true);
        assert_eq!(b.send(a, &cmd!["BLPOP", "q", 0]).unwrap(), Sent::Parked);
        assert!(b.is_parked(a).unwrap());
        assert_eq!(b.send(a, &cmd!["PING"]).unwrap(), Sent::Busy);
        let pushed = b.send(c, &cmd!["RPUSH", "q", "x"]).unwrap();
        assert_eq!(pushed, Sent::Reply(Reply::Int(1)));
        assert_eq!(
            poll(&mut b, |b| b.take_served()),
            vec![(a, bulk(&["q", "x"]))]
        );
        assert!(!b.is_parked(a).unwrap());
        assert_eq!(b.take_served().unwrap(), vec![]);

        let subscribed = b.send(c, &cmd!["SUBSCRIBE", "ch"]).unwrap();
        assert_eq!(
            subscribed,
            Sent::Reply(Reply::Array(vec![
                Reply::bulk("subscribe"),
                Reply::bulk("ch"),
                Reply::Int(1)
            ]))
        );
        assert!(b.is_subscribed(c).unwrap());
        b.send(a, &cmd!["PUBLISH", "ch", "hi"]).unwrap();
        let messages = poll(&mut b, |b| b.take_messages());
        assert_eq!(messages, vec![(c, bulk(&["message", "ch", "hi"]))]);
        assert_eq!(b.take_messages().unwrap(), vec![]);

        // The keyspace as the model dumps it: the scenario's starting key, no list left.
        b.send(a, &cmd!["SET", "k", "v"]).unwrap();
        let keys = b.observe().unwrap();
        let names: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(names, ["counter", "k"]);
        assert_eq!(keys[1], ("k".into(), "string".into(), "v".into(), -1));

        b.close(a).unwrap();
        assert!(!b.is_parked(a).unwrap());
        assert!(b.send(a, &cmd!["GET", "k"]).is_err());
        assert_eq!(b.read_key("k").unwrap(), Some("v".into()));
        b.finish().unwrap();
    }
}
