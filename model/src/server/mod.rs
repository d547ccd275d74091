//! One Redis server as a pure value: `apply(conn, command, now) -> reply`.
//!
//! Time is the caller's: `now` is a logical clock in milliseconds. A key whose deadline has
//! been reached is gone for every command (Redis deletes it lazily on access or actively in
//! its cron; both signal the key as modified, so WATCH sees an expiry either way). The model
//! deletes due keys at the start of every call, which yields the same replies.
//!
//! The logical clock starts at [`EPOCH_MS`] on the server's wall clock: expiry overflow checks
//! and TIME see a realistic Unix time, while deadlines are kept (and traces print) relative to
//! the start. A real Redis command the model does not implement is never answered with a
//! guess: [`Outcome::Unmodelled`] names it.

mod blocking;
pub mod cluster;
pub mod double;
mod families;
mod hashes;
mod keys;
mod keyspace;
pub mod known;
mod lists;
mod misc;
mod pubsub;
mod strings;
mod table;
mod transactions;
mod vec_map;
mod zlex;
mod zranges;
pub mod zset;
mod zsets;

use crate::command::Command;
use crate::profile::Profile;
use crate::reply::Reply;
use crate::scripting;
use crate::shared::Shared;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;

pub use blocking::{Blocked, Park};
pub use hashes::Hash;
pub use pubsub::Subscriptions;
pub use table::parse_int;
use table::{allowed_in_script, arity_mismatch, negate, not_allowed};
pub(crate) use table::{arity_error, arity_in, unknown_command, NOT_INTEGER, WRONGTYPE};
pub use transactions::Multi;
pub use vec_map::{ConnMap, KeyMap, VecMap};
pub use zset::{Score, ZSet};

/// A connection as the server knows it: the client that owns it and its slot on that client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConnId {
    pub client: u8,
    pub slot: u8,
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}",
            crate::client_name(self.client as usize),
            self.slot
        )
    }
}

/// A stored value. Only the types the recipes use are modelled.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Str(String),
    List(VecDeque<String>),
    Hash(Hash),
    ZSet(ZSet),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::ZSet(_) => "zset",
        }
    }

    /// The value with every string it holds (elements, fields, values, members) renamed.
    pub fn renamed(&self, f: &dyn Fn(&String) -> String) -> Value {
        match self {
            Value::Str(s) => Value::Str(f(s)),
            Value::List(l) => Value::List(l.iter().map(f).collect()),
            Value::Hash(h) => Value::Hash(h.renamed(f)),
            Value::ZSet(z) => Value::ZSet(z.renamed(f)),
        }
    }

    /// Where `s` appears in a collection: list indexes, `2i` / `2i + 1` for the field / value
    /// of a hash's i-th pair, a sorted set member's rank. (A string value is not a collection.)
    pub fn positions_of(&self, s: &str) -> Vec<usize> {
        match self {
            Value::Str(_) => vec![],
            Value::List(l) => (0..l.len()).filter(|&i| l[i] == s).collect(),
            Value::Hash(h) => h
                .iter()
                .enumerate()
                .flat_map(|(i, (f, v))| [(2 * i, f == s), (2 * i + 1, v == s)])
                .filter(|(_, hit)| *hit)
                .map(|(p, _)| p)
                .collect(),
            Value::ZSet(z) => z.rank(s).into_iter().collect(),
        }
    }

    /// The value as the keyspace dumps show it: a string quoted, a list `["a", "b"]`, a hash
    /// `{f: "v"}` in field order, a sorted set `{m: 1.5}` in score order.
    pub fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("{s:?}"),
            Value::List(l) => format!("{:?}", l.iter().collect::<Vec<_>>()),
            Value::Hash(h) => h.describe(),
            Value::ZSet(z) => z.describe(),
        }
    }
}

/// A key's value and its absolute deadline (ms on the logical clock), if it has one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    pub value: Value,
    pub expires_at: Option<u64>,
}

/// Per-connection state the server keeps: WATCHed keys, an open MULTI, a parked BLPOP, and a
/// reply served to a parked connection that its client has not read yet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnState {
    /// Shared with the worlds that hold this connection's other states: most writes to a
    /// connection (MULTI, a queued command, EXEC) leave it as it is.
    pub watched: Shared<BTreeSet<String>>,
    /// Set when a watched key was modified (or expired) since WATCH: EXEC will return nil.
    pub dirty: bool,
    pub multi: Option<Multi>,
    pub blocked: Option<Blocked>,
    pub served: Option<Reply>,
    /// SUBSCRIBEd channels and messages not yet read.
    pub pubsub: Subscriptions,
}

impl ConnState {
    fn is_idle(&self) -> bool {
        self.watched.is_empty()
            && !self.dirty
            && self.multi.is_none()
            && self.blocked.is_none()
            && self.served.is_none()
            && self.pubsub.is_empty()
    }
}

/// What a command did to the connection that sent it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The reply, sent at once.
    Reply(Reply),
    /// The connection is parked (BLPOP on empty lists); a later push or timeout serves it.
    Blocked,
    /// The command (or one queued in MULTI, or one a script called) is a real command of the
    /// profile's version that the model does not implement: there is no reply to give, and
    /// whoever drives the server must stop rather than guess. The server's state is then
    /// meaningless.
    Unmodelled(String),
}

impl Outcome {
    /// The reply, if the command did not block.
    pub fn reply(self) -> Option<Reply> {
        match self {
            Outcome::Reply(r) => Some(r),
            Outcome::Blocked | Outcome::Unmodelled(_) => None,
        }
    }
}

/// A command as its sender holds it: borrowed, or shared (then MULTI queues it by reference).
#[derive(Clone, Copy)]
pub(crate) enum Sent<'a> {
    Borrowed(&'a Command),
    Shared(&'a Arc<Command>),
}

impl Sent<'_> {
    pub(crate) fn command(&self) -> &Command {
        match self {
            Sent::Borrowed(c) => c,
            Sent::Shared(c) => c,
        }
    }

    /// The command shared: the sender's own copy if it holds one, else a new one.
    pub(crate) fn to_shared(self) -> Arc<Command> {
        match self {
            Sent::Borrowed(c) => Arc::new(c.clone()),
            Sent::Shared(c) => Arc::clone(c),
        }
    }
}

/// Where a command runs: straight from a client, queued inside EXEC, or from a script.
/// Blocking commands only block in `Client`; MULTI/WATCH/EVAL are refused from scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Client,
    Exec,
    Script,
}

/// What happened on the server when the clock moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advanced {
    /// Keys deleted because their deadline passed.
    pub expired: Vec<String>,
    /// Parked connections whose BLPOP timed out (each now holds a nil reply).
    pub timed_out: Vec<ConnId>,
}

/// The whole server. `Hash`/`Eq` make it part of the model checker's state, so every field is
/// kept canonical: idle connections are removed, and nothing depends on insertion history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Server {
    pub profile: Profile,
    /// Cluster mode: one node owning every hash slot (`cluster`: the CROSSSLOT rules).
    pub cluster: bool,
    pub keys: Shared<KeyMap>,
    pub conns: ConnMap,
    /// Parked connections, oldest first: a push serves them in this order.
    pub waiters: Vec<ConnId>,
    /// SHA1s of scripts in the script cache (bodies live in `scripting::registry`).
    pub scripts: Shared<BTreeSet<String>>,
    /// Set (for good) when a command reached a real Redis command the model does not implement.
    pub unmodelled: Option<String>,
    /// Keys signalled ready during the current command, in order (empty between commands).
    pub(crate) ready: Vec<String>,
}

/// The server's wall clock at logical time 0, in Unix ms (2023-11-14T22:13:20Z).
pub const EPOCH_MS: u64 = 1_700_000_000_000;

/// The wall-clock time (Unix ms) of logical time `now`.
pub(crate) fn wall(now: u64) -> i64 {
    (EPOCH_MS + now) as i64
}

impl Server {
    pub fn new(profile: Profile) -> Self {
        Server {
            profile,
            ..Server::default()
        }
    }

    /// The same server in cluster mode (see [`cluster`]).
    pub fn on_cluster(mut self) -> Self {
        self.cluster = true;
        self
    }

    /// Sets a string key directly (scenario set-up), without touching watchers.
    pub fn preset(&mut self, key: &str, value: &str) {
        self.keys.insert(
            key.to_string(),
            Entry {
                value: Value::Str(value.to_string()),
                expires_at: None,
            },
        );
    }

    /// The string stored at `key`, if any (a list or an absent key gives `None`).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.keys.get(key) {
            Some(Entry {
                value: Value::Str(s),
                ..
            }) => Some(s),
            _ => None,
        }
    }

    /// Runs one command sent by `conn` at logical time `now` (ms).
    pub fn apply(&mut self, conn: ConnId, cmd: &Command, now: u64) -> Outcome {
        self.run(conn, Sent::Borrowed(cmd), now)
    }

    /// [`Server::apply`] for a command the client holds shared: inside MULTI it is queued by
    /// reference, not copied (the same queue, the same replies).
    pub fn apply_shared(&mut self, conn: ConnId, cmd: &Arc<Command>, now: u64) -> Outcome {
        self.run(conn, Sent::Shared(cmd), now)
    }

    fn run(&mut self, conn: ConnId, sent: Sent<'_>, now: u64) -> Outcome {
        self.expire_due(now);
        if self.conn(conn).is_some_and(|c| c.blocked.is_some()) {
            // A parked connection cannot send: the client is waiting for its reply.
            return Outcome::Reply(Reply::err(
                "ERR model: connection is blocked (a client sent on a parked connection)",
            ));
        }
        let outcome = self.dispatch(conn, sent, now);
        if let Some(name) = &self.unmodelled {
            return Outcome::Unmodelled(name.clone());
        }
        self.serve_waiters();
        self.tidy(conn);
        outcome
    }

    /// Moves the clock to `now`: deletes due keys and times out parked BLPOPs.
    pub fn advance(&mut self, now: u64) -> Advanced {
        let expired = self.expire_due(now);
        let timed_out = self.time_out_waiters(now);
        Advanced { expired, timed_out }
    }

    /// The connection closed (its client crashed or hung up): the server forgets its WATCH,
    /// MULTI and parked BLPOP, exactly as Redis frees a client.
    pub fn close(&mut self, conn: ConnId) {
        self.conns.remove(&conn);
        self.waiters.retain(|c| *c != conn);
    }

    /// Takes the reply served to a parked connection, if one has arrived.
    pub fn take_served(&mut self, conn: ConnId) -> Option<Reply> {
        let r = self.conns.get_mut(&conn).and_then(|c| c.served.take());
        self.tidy(conn);
        r
    }

    /// Whether `conn` is parked waiting for a BLPOP reply.
    pub fn is_blocked(&self, conn: ConnId) -> bool {
        self.conn(conn).is_some_and(|c| c.blocked.is_some())
    }

    pub fn conn(&self, conn: ConnId) -> Option<&ConnState> {
        self.conns.get(&conn).map(|c| &**c)
    }

    fn conn_mut(&mut self, conn: ConnId) -> &mut ConnState {
        self.conns.get_or_default(conn)
    }

    fn tidy(&mut self, conn: ConnId) {
        if self.conns.get(&conn).is_some_and(|c| c.is_idle()) {
            self.conns.remove(&conn);
        }
    }

    /// Deletes every key whose deadline is reached, signalling each as modified.
    fn expire_due(&mut self, now: u64) -> Vec<String> {
        let due: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, e)| e.expires_at.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &due {
            self.keys.remove(k);
            self.touch(k);
        }
        due
    }

    /// signalModifiedKey: every connection WATCHing `key` (the writer's own included) is dirty.
    pub(crate) fn touch(&mut self, key: &str) {
        for c in self.conns.values_mut() {
            // Read first: a connection already dirty is not copied to be written again.
            if !c.dirty && c.watched.contains(key) {
                c.dirty = true;
            }
        }
    }

    /// Runs a command in the given context. The single switch over command names.
    pub(crate) fn execute(
        &mut self,
        conn: ConnId,
        cmd: &Command,
        now: u64,
        ctx: Context,
    ) -> Outcome {
        let name = cmd.upper();
        let Some(want) = arity_in(self.profile, &name) else {
            return self.not_implemented(cmd);
        };
        if let Some(err) = arity_mismatch(want, &name, cmd.args().len()) {
            return Outcome::Reply(err);
        }
        self.execute_known(conn, cmd, &name, now, ctx)
    }

    /// [`Server::execute`] once `name` (the command's, upper-cased) is known to be in the
    /// table with the right arity: what a client's command comes to after `dispatch` checked
    /// both.
    fn execute_known(
        &mut self,
        conn: ConnId,
        cmd: &Command,
        name: &str,
        now: u64,
        ctx: Context,
    ) -> Outcome {
        let a = cmd.args();
        if ctx == Context::Script && allowed_in_script(self.profile, name) {
            if let Some(err) = self.script_cross_slot(cmd) {
                return Outcome::Reply(err);
            }
        }
        let r = match name {
            "GET" => self.get(&a[0]),
            "SET" => self.set(a, now),
            "SETNX" => self.setnx(&a[0], &a[1]),
            "SETEX" => self.setex(&a[0], &a[1], &a[2], now, 1000, "setex"),
            "PSETEX" => self.setex(&a[0], &a[1], &a[2], now, 1, "psetex"),
            "GETSET" => self.getset(&a[0], &a[1]),
            "GETDEL" => self.getdel(&a[0]),
            "INCR" => self.incr_by(&a[0], Ok(1)),
            "DECR" => self.incr_by(&a[0], Ok(-1)),
            "INCRBY" => self.incr_by(&a[0], parse_int(&a[1])),
            "DECRBY" => self.incr_by(&a[0], parse_int(&a[1]).and_then(negate)),
            "DEL" | "UNLINK" => self.del(a),
            "EXISTS" => self.exists(a),
            "TYPE" => self.type_of(&a[0]),
            "EXPIRE" => self.expire(a, now, 1000, false),
            "PEXPIRE" => self.expire(a, now, 1, false),
            "PERSIST" => self.persist(&a[0]),
            "TTL" => self.ttl(&a[0], now, false),
            "PTTL" => self.ttl(&a[0], now, true),
            "LPUSH" => self.push(&a[0], &a[1..], true),
            "RPUSH" => self.push(&a[0], &a[1..], false),
            "LPOP" => self.pop(a, true),
            "RPOP" => self.pop(a, false),
            "LLEN" => self.llen(&a[0]),
            "LRANGE" => self.lrange(&a[0], &a[1], &a[2]),
            "LMOVE" => self.lmove(a),
            "LREM" => self.lrem(&a[0], &a[1], &a[2]),
            "BLPOP" | "BRPOP" | "BLMOVE" | "BRPOPLPUSH" => {
                return self.blocking(conn, name, a, now, ctx)
            }
            "GETEX" => self.getex(a, now),
            "APPEND" => self.append(&a[0], &a[1]),
            "ECHO" => Reply::bulk(a[0].clone()),
            "TIME" => misc::time(now),
            "FLUSHALL" | "FLUSHDB" => self.flush(a),
            "PING" if self.is_subscribed(conn) => Reply::Array(vec![
                Reply::bulk("pong"),
                Reply::bulk(a.first().cloned().unwrap_or_default()),
            ]),
            "PING" => match a {
                [] => Reply::Status("PONG".into()),
                [msg] => Reply::bulk(msg.clone()),
                _ => Reply::err("ERR wrong number of arguments for 'ping' command"),
            },
            "UNWATCH" if ctx == Context::Exec => self.unwatch(conn),
            "MULTI" | "EXEC" | "DISCARD" | "WATCH" | "UNWATCH" if ctx != Context::Client => {
                not_allowed(self.profile, ctx, name)
            }
            "MULTI" => self.multi(conn),
            "EXEC" => self.exec(conn, now),
            "DISCARD" => self.discard(conn),
            "WATCH" => self.watch(conn, a),
            "UNWATCH" => self.unwatch(conn),
            "EVAL" | "EVALSHA" | "SCRIPT" if ctx == Context::Script => {
                not_allowed(self.profile, ctx, name)
            }
            "EVAL" => scripting::eval(self, conn, a, now, false),
            "EVALSHA" => scripting::eval(self, conn, a, now, true),
            "SCRIPT" => scripting::script_command(self, a),
            _ => match self.execute_family(conn, name, a, now, ctx) {
                Some(r) => r,
                None => return self.not_implemented(cmd),
            },
        };
        Outcome::Reply(r)
    }

    /// A command outside the model's table: Redis's own reply if the version has no such
    /// command, else [`Outcome::Unmodelled`] (recorded in [`Server::unmodelled`]).
    pub(crate) fn not_implemented(&mut self, cmd: &Command) -> Outcome {
        let name = cmd.upper();
        if known::exists_in(self.profile, &name) {
            self.unmodelled.get_or_insert(name.to_string());
            Outcome::Unmodelled(name.into_owned())
        } else {
            Outcome::Reply(unknown_command(self.profile, cmd))
        }
    }

    fn dispatch(&mut self, conn: ConnId, sent: Sent<'_>, now: u64) -> Outcome {
        let cmd = sent.command();
        let name = cmd.upper();
        let in_multi = self.conn(conn).is_some_and(|c| c.multi.is_some());
        if name == "CLUSTER" && !in_multi {
            return self.cluster_command(cmd);
        }
        if in_multi && !matches!(&*name, "EXEC" | "DISCARD" | "MULTI" | "WATCH") {
            return Outcome::Reply(self.queue(conn, sent));
        }
        if let (true, Some(e)) = (in_multi, self.profile.rejected_inside_multi(&name)) {
            return Outcome::Reply(self.reject(conn, &name, Reply::err(e)));
        }
        let want = arity_in(self.profile, &name);
        if let Some(err) = want.and_then(|want| arity_mismatch(want, &name, cmd.args().len())) {
            // Redis rejects a wrong arity before running the command, so it dooms an open
            // MULTI even for EXEC/DISCARD/MULTI/WATCH; EXEC's own arity error aborts it.
            return Outcome::Reply(self.reject(conn, &name, err));
        }
        if name == "EXEC" {
            if let Some(err) = self.exec_cross_slot(conn) {
                return Outcome::Reply(err);
            }
        } else if let Some(err) = self.cross_slot(cmd) {
            return Outcome::Reply(self.reject(conn, &name, err));
        }
        if want.is_some() {
            if let Some(err) = self.subscribed_refusal(conn, cmd) {
                return Outcome::Reply(self.reject(conn, &name, err));
            }
        }
        match want {
            Some(_) => self.execute_known(conn, cmd, &name, now, Context::Client),
            None => self.not_implemented(cmd),
        }
    }
}
