//! What a step may touch, known before it is taken: enough to tell two client steps that
//! commute (either order reaches the same world), which the checker's sleep sets skip
//! (`crate::checker`, "sleep sets").
//!
//! A client's step is its program's next operation: a command sent on one of its connections
//! and the reply read, then the program run on to its next operation — all of it in the
//! client's own state and connection, except what the command does on the server. So a step's
//! footprint is its command's, read off the world before stepping (the program is asked for
//! its next operation on a copy of its state: it is deterministic):
//! 1. **Local**: touches only the client's own connection — `MULTI`, `DISCARD`, `UNWATCH`, a
//!    command queued inside `MULTI`, `PING`, `ECHO`, `TIME`.
//! 2. **Read(keys)**: reads those keys and nothing else shared — `GET`, `EXISTS`, `TTL`,
//!    `LRANGE`, … and `WATCH` (which only notes the keys on its own connection, but must stay
//!    ordered against writes to them).
//! 3. **Write(keys)**: may write those keys — `SET`, `DEL`, `INCR`, `EXPIRE`, `LPUSH`, … and
//!    `EXEC` (its queued commands' keys). Writes are never reordered with each other: they
//!    also mark other connections' WATCHes dirty, and a release may be the run's first
//!    foreign release (`World::foreign_release`).
//! 4. **Crash**: a client crashing (`Action::Crash`): its connections close (the server
//!    forgets their WATCH and MULTI state; its keys stay), the client stops, the run's crash
//!    count goes up. Ordered against other crashes (the count limits them), and against
//!    everything when a connection is parked on a blocking pop (closing it edits the
//!    server's list of parked connections).
//! 5. **Global**: anything else — other commands (scripts, pub/sub, blocking pops,
//!    keyspace walks, …), a client reading a served reply or waking or choosing, a spawned
//!    thread's step, the clock, faults, replication; and every step when the system has more
//!    than one server, when a connection is subscribed, or (for writes) when a connection is
//!    parked on a blocking pop (a push may serve it, writing a key the push does not name).
//!
//! Contract of [`independent`]: `true` only for two steps of different clients, neither
//! `Global`, not both crashes, that touch no common key unless both only read it, and not
//! both writes (a crash names no key: it commutes with the other client's command, which
//! neither reads nor writes the crashed client's state, and a command that marks the crashed
//! client's connection dirty marks a connection that the crash then closes either way). Such
//! steps commute at the world they were read from, and each leaves the other enabled (a
//! running client stays running whatever another client's command does). Every command runs
//! the server's expiry of due keys first, at the same time in either order, so which of the
//! two commands deletes an expired key makes no difference. `benches/reductions.rs` checks
//! the contract against the two orders computed, on every catalogue graph.

use super::{Action, System};
use crate::command::Command;
use crate::recipe::Op;
use crate::world::{Status, World};
use std::sync::Arc;

/// What a step may touch (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Footprint {
    /// Only the client's own state and connection.
    Local,
    /// A client crashing: its own state and connections, and the run's crash count.
    Crash,
    /// Reads the keys this command names.
    Read(Arc<Command>),
    /// May write the keys this command names.
    Write(Arc<Command>),
    /// EXEC: may write the keys its queued commands name.
    Exec(Vec<Arc<Command>>),
    /// Anything.
    Global,
}

/// What a command does outside MULTI, by name (see the module doc): `None` for anything
/// else (global).
fn kind(name: &str) -> Option<Kind> {
    Some(match name {
        "GET" | "EXISTS" | "TTL" | "PTTL" | "TYPE" | "LLEN" | "LRANGE" | "LINDEX" | "HGET"
        | "HMGET" | "HEXISTS" | "HLEN" | "HGETALL" | "ZSCORE" | "ZRANK" | "ZREVRANK" | "ZCARD"
        | "ZCOUNT" | "ZRANGE" | "ZRANGEBYSCORE" | "ZRANGEBYLEX" | "MGET" | "WATCH" => Kind::Read,
        "SET" | "SETNX" | "SETEX" | "PSETEX" | "GETSET" | "GETDEL" | "GETEX" | "INCR"
        | "INCRBY" | "DECR" | "DECRBY" | "APPEND" | "DEL" | "UNLINK" | "EXPIRE" | "PEXPIRE"
        | "EXPIREAT" | "PEXPIREAT" | "PERSIST" | "LPUSH" | "RPUSH" | "LPOP" | "RPOP" | "LREM"
        | "LSET" | "HSET" | "HDEL" | "HINCRBY" | "HSETNX" | "ZADD" | "ZREM" | "ZINCRBY"
        | "MSET" => Kind::Write,
        "MULTI" | "DISCARD" | "UNWATCH" | "PING" | "ECHO" | "TIME" => Kind::Local,
        _ => return None,
    })
}

/// The classes of [`kind`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Reads its keys and writes nothing shared.
    Read,
    /// Writes only the keys at its key positions.
    Write,
    /// Touches only the sender's connection.
    Local,
}

/// Inside MULTI these run (or fail) at once; every other command is queued.
fn queued(name: &str) -> bool {
    !matches!(
        name,
        "EXEC" | "DISCARD" | "MULTI" | "WATCH" | "QUIT" | "RESET"
    )
}

impl System {
    /// The footprint of `action` in `w` (see the module doc).
    pub fn footprint(&self, w: &World, action: Action) -> Footprint {
        if self.servers() > 1 || w.fleet.is_some() {
            return Footprint::Global;
        }
        let i = match action {
            Action::Step(i) => i,
            Action::Crash(_) if w.server.waiters.is_empty() => return Footprint::Crash,
            _ => return Footprint::Global,
        };
        let client = &w.clients[i];
        if !matches!(client.status, Status::Running) {
            return Footprint::Global;
        }
        let op = self.recipes[i].peek_thread(&self.ctxs[i], &client.local, 0, w.now);
        let Op::Send { conn, command } = op else {
            return Footprint::Global;
        };
        let parked = !w.server.waiters.is_empty();
        let Some(conn_state) = w.server.conn(self.conn_id(i, conn)) else {
            return classify(command, None, parked);
        };
        if !conn_state.pubsub.is_empty() || conn_state.blocked.is_some() {
            return Footprint::Global;
        }
        classify(
            command,
            conn_state.multi.as_ref().map(|m| &m.queue[..]),
            parked,
        )
    }
}

/// A command's footprint, sent on a connection whose MULTI queue is `queue` (`None` outside
/// MULTI), with connections parked on blocking pops or not.
fn classify(command: Arc<Command>, queue: Option<&[Arc<Command>]>, parked: bool) -> Footprint {
    let name = command.upper();
    if let Some(queue) = queue {
        if queued(&name) {
            return Footprint::Local;
        }
        if name == "EXEC" {
            let known = |c: &Arc<Command>| kind(&c.upper()).is_some();
            if parked || !queue.iter().all(known) {
                return Footprint::Global;
            }
            return Footprint::Exec(queue.to_vec());
        }
    }
    let kind = kind(&name);
    drop(name);
    match kind {
        Some(Kind::Local) => Footprint::Local,
        Some(Kind::Read) => Footprint::Read(command),
        Some(Kind::Write) if !parked => Footprint::Write(command),
        _ => Footprint::Global,
    }
}

/// The keys a command names.
fn keys(c: &Command) -> impl Iterator<Item = &str> {
    c.key_positions().into_iter().map(|p| c.0[p].as_str())
}

/// The commands whose keys a write footprint may write.
fn written(f: &Footprint) -> &[Arc<Command>] {
    match f {
        Footprint::Write(c) => std::slice::from_ref(c),
        Footprint::Exec(queue) => queue,
        _ => &[],
    }
}

/// Whether two steps of clients `i` and `j` with footprints `a` and `b` commute (see the
/// module doc's contract).
pub fn independent(i: usize, a: &Footprint, j: usize, b: &Footprint) -> bool {
    use Footprint::*;
    if i == j {
        return false;
    }
    match (a, b) {
        (Global, _) | (_, Global) => false,
        // Each crash counts against the crash budget: a crash may disable another.
        (Crash, Crash) => false,
        (Crash, _) | (_, Crash) => true,
        (Local, _) | (_, Local) => true,
        (Read(_), Read(_)) => true,
        (Write(_) | Exec(_), Write(_) | Exec(_)) => false,
        (Read(r), w) | (w, Read(r)) => {
            keys(r).all(|k| written(w).iter().all(|c| keys(c).all(|m| m != k)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> Arc<Command> {
        Arc::new(Command::new(args))
    }

    #[test]
    fn reads_writes_and_queued_commands_are_told_apart() {
        assert_eq!(classify(cmd(&["MULTI"]), None, false), Footprint::Local);
        assert!(matches!(
            classify(cmd(&["GET", "k"]), None, false),
            Footprint::Read(_)
        ));
        assert!(matches!(
            classify(cmd(&["SET", "k", "1"]), None, false),
            Footprint::Write(_)
        ));
        // A write while a connection is parked may serve it: anything.
        assert_eq!(
            classify(cmd(&["LPUSH", "q", "x"]), None, true),
            Footprint::Global
        );
        // Queued inside MULTI: only the connection's queue changes.
        assert_eq!(
            classify(cmd(&["SET", "k", "1"]), Some(&[]), false),
            Footprint::Local
        );
        // EXEC writes what was queued; a queued script makes it anything.
        let queue = [cmd(&["SET", "k", "1"])];
        assert!(matches!(
            classify(cmd(&["EXEC"]), Some(&queue), false),
            Footprint::Exec(_)
        ));
        let queue = [cmd(&["EVAL", "return 1", "0"])];
        assert_eq!(
            classify(cmd(&["EXEC"]), Some(&queue), false),
            Footprint::Global
        );
        assert_eq!(
            classify(cmd(&["EVAL", "return 1", "0"]), None, false),
            Footprint::Global
        );
        assert_eq!(
            classify(cmd(&["PUBLISH", "c", "m"]), None, false),
            Footprint::Global
        );
    }

    #[test]
    fn only_disjoint_or_read_only_steps_of_two_clients_commute() {
        let get_k = Footprint::Read(cmd(&["GET", "k"]));
        let get_m = Footprint::Read(cmd(&["WATCH", "m"]));
        let set_k = Footprint::Write(cmd(&["SET", "k", "1"]));
        let set_m = Footprint::Exec(vec![cmd(&["SET", "m", "1"]), cmd(&["DEL", "n"])]);
        assert!(independent(0, &get_k, 1, &get_k));
        assert!(!independent(0, &get_k, 1, &set_k));
        assert!(independent(0, &get_k, 1, &set_m));
        assert!(independent(0, &set_m, 1, &get_k));
        assert!(!independent(0, &get_m, 1, &set_m), "EXEC writes m");
        assert!(!independent(0, &set_k, 1, &set_m), "writes stay ordered");
        assert!(independent(0, &Footprint::Local, 1, &set_k));
        assert!(!independent(0, &Footprint::Local, 0, &get_m), "one client");
        assert!(!independent(0, &Footprint::Global, 1, &Footprint::Local));
        assert!(independent(0, &Footprint::Crash, 1, &set_k));
        assert!(!independent(0, &Footprint::Crash, 1, &Footprint::Crash));
        assert!(!independent(0, &Footprint::Crash, 0, &get_k), "one client");
    }
}
