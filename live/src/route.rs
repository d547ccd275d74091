//! Routing commands to the masters of a cluster as a cluster client does: one logical
//! connection ([`RoutedConn`]) over one real connection per master, and one control
//! connection per master ([`Masters`]). On a server that is not the `cluster3` backend there
//! is one master and every route is that server, so the same code drives every backend.
//!
//! The model does not model redirection (MOVED, ASK): it is one node owning every slot. A
//! three-master cluster answers like it when every command reaches the master that owns its
//! keys, which these rules ensure, in order:
//! 1. A connection holding per-connection state on a master — WATCHing, inside MULTI, or
//!    subscribed — has that master as its *pin*, until EXEC, DISCARD, UNWATCH or the last
//!    UNSUBSCRIBE clears the state (tracked from the replies, as a client does). Inside MULTI
//!    or subscribed, everything goes to the pin; while only WATCHing, the commands about the
//!    connection's state do ([`STATE_COMMANDS`]: WATCH, MULTI, EXEC, SUBSCRIBE…), and others
//!    go where rule 2 sends them (on that master's connection, which holds no WATCH, so the
//!    watch is neither read nor changed).
//! 2. A command with keys goes to the master of its first key's slot ([`key_slot`], the
//!    model's own function; CROSSSLOT is refused by every master before ownership is looked
//!    at, so a command over two slots still meets it).
//! 3. MULTI on an unpinned connection is sent to every master (deferred choice: nothing tells
//!    yet where the transaction belongs). Keyless commands queued after it go to every master
//!    too, and must get the same reply from each. The first keyed command picks the master:
//!    the others get DISCARD, and the connection is pinned there. An EXEC or DISCARD before
//!    any keyed command goes to master 0, the others get DISCARD.
//! 4. SCRIPT LOAD, SCRIPT FLUSH, FLUSHALL and FLUSHDB go to every master (each must answer
//!    the same); KEYS and SCAN go to every master and their keys are concatenated (SCAN only
//!    while every master's cursor is 0); DBSIZE sums. Other keyless commands go to master 0.
//! 5. Each master has its own script cache, the model one: after a direct EVAL (or an EXEC
//!    that ran EVAL or SCRIPT LOAD) a body the master now holds (`SCRIPT EXISTS`) is loaded
//!    into the others (`SCRIPT LOAD`), so EVALSHA finds it wherever its keys send it.
//!
//! What a three-master cluster still answers differently, because the model is one node: a
//! transaction, WATCH or script that reaches a key of another master (MOVED at queue time
//! and EXECABORT; `ERR Script attempted to access a non local key in a cluster node`), a
//! PUBLISH seen by a subscriber pinned to another master, and node-wide commands queued in
//! MULTI (they run on the pinned master only).

use model::server::cluster::key_slot;
use model::Command;
use redis::{ConnectionLike, Value};

use crate::executor::reply_from_value;
use crate::{LiveError, LiveServer};

mod masters;
pub use masters::{parse_client_list, ListedClient, Masters};

/// Commands about the connection's own state: while it WATCHes, they go to its pin (rule 1).
pub const STATE_COMMANDS: [&str; 10] = [
    "WATCH",
    "UNWATCH",
    "MULTI",
    "EXEC",
    "DISCARD",
    "RESET",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PSUBSCRIBE",
    "PUNSUBSCRIBE",
];

/// The slots each master of the `cluster3` backend owns, master 0 first.
pub const MASTER_SLOTS: [(u16, u16); 3] = [(0, 5460), (5461, 10922), (10923, 16383)];

/// The master (an index into [`MASTER_SLOTS`]) that owns `slot` on a cluster of `masters`
/// (on a single server, 0).
pub fn node_of_slot(slot: u16, masters: usize) -> usize {
    if masters <= 1 {
        return 0;
    }
    MASTER_SLOTS
        .iter()
        .position(|(lo, hi)| (*lo..=*hi).contains(&slot))
        .unwrap_or(0)
}

/// The master that owns `key`.
pub fn node_of_key(key: &str, masters: usize) -> usize {
    node_of_slot(key_slot(key), masters)
}

/// Where an unpinned command goes (rules 2 and 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// One master.
    Node(usize),
    /// Every master, each answering the same.
    Every,
    /// Every master, the replies' keys concatenated (KEYS, SCAN) or summed (DBSIZE).
    Gather,
}

/// Rule 2 and 4 for `args` on a cluster of `masters`.
pub fn route(args: &[String], masters: usize) -> Route {
    let cmd = Command(args.to_vec());
    if let Some(&first) = cmd.key_positions().first() {
        return Route::Node(node_of_key(&args[first], masters));
    }
    let sub = args
        .get(1)
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_default();
    match (cmd.name().as_str(), sub.as_str()) {
        ("SCRIPT", "LOAD" | "FLUSH") | ("FLUSHALL" | "FLUSHDB", _) => Route::Every,
        ("KEYS" | "SCAN" | "DBSIZE", _) => Route::Gather,
        _ => Route::Node(0),
    }
}

/// One real connection to one master.
pub struct NodeConn {
    /// The connection.
    pub con: redis::Connection,
    /// Its CLIENT ID on that master.
    pub id: i64,
}

/// One logical connection of a client: a connection to every master, routed by the rules of
/// the module doc.
pub struct RoutedConn {
    nodes: Vec<NodeConn>,
    /// Rule 1's master, while the connection holds state there.
    pin: Option<usize>,
    /// Rule 3: MULTI went to every master and no keyed command chose one yet.
    open_multi: bool,
    in_multi: bool,
    watching: bool,
    subscriptions: i64,
    /// The master the last command went to (where a parked reply or a message is read).
    last: usize,
    /// Script bodies queued in the open transaction (rule 5 after EXEC).
    queued_bodies: Vec<String>,
}

pub(crate) fn redis_err(context: &str, e: redis::RedisError) -> LiveError {
    LiveError::redis(context.to_string(), e)
}

fn packed(args: &[String]) -> Vec<u8> {
    let mut cmd = redis::cmd(&args[0]);
    for a in &args[1..] {
        cmd.arg(a);
    }
    cmd.get_packed_command()
}

/// The body a command hands to the script cache (EVAL's, SCRIPT LOAD's).
fn script_body(args: &[String]) -> Option<&str> {
    let name = args.first()?.to_ascii_uppercase();
    match name.as_str() {
        "EVAL" => args.get(1).map(String::as_str),
        "SCRIPT" if args.get(1)?.eq_ignore_ascii_case("LOAD") => args.get(2).map(String::as_str),
        _ => None,
    }
}

impl RoutedConn {
    /// Connects to every master of `server`, naming each connection `name` when given.
    pub fn open(server: &LiveServer, name: Option<&str>) -> Result<Self, LiveError> {
        let mut nodes = Vec::new();
        for i in 0..server.masters() {
            let mut con = server.connect_node(i)?;
            con.set_read_timeout(Some(crate::executor::REPLY_TIMEOUT))
                .map_err(|e| redis_err("setting a read timeout", e))?;
            if let Some(name) = name {
                redis::cmd("CLIENT")
                    .arg("SETNAME")
                    .arg(name)
                    .exec(&mut con)
                    .map_err(|e| redis_err("naming a client connection", e))?;
            }
            let id: i64 = redis::cmd("CLIENT")
                .arg("ID")
                .query(&mut con)
                .map_err(|e| redis_err("CLIENT ID", e))?;
            nodes.push(NodeConn { con, id });
        }
        Ok(RoutedConn {
            nodes,
            pin: None,
            open_multi: false,
            in_multi: false,
            watching: false,
            subscriptions: 0,
            last: 0,
            queued_bodies: Vec::new(),
        })
    }

    /// Every master's connection, in master order.
    pub fn nodes(&self) -> &[NodeConn] {
        &self.nodes
    }

    /// The master the last command went to, and the connection's CLIENT ID there.
    pub fn last(&self) -> (usize, i64) {
        (self.last, self.nodes[self.last].id)
    }

    /// Rule 1: whether `name` goes to the pin (when there is one).
    fn sticks(&self, name: &str) -> bool {
        self.in_multi || self.subscriptions > 0 || STATE_COMMANDS.contains(&name)
    }

    /// The master where this connection's messages and parked replies arrive: where the last
    /// command went (a subscribed connection sends everything to its pin).
    fn reading_node(&self) -> usize {
        self.last
    }

    /// Sends `args` and reads the reply.
    pub fn request(&mut self, args: &[String]) -> Result<Value, LiveError> {
        let name = args[0].to_ascii_uppercase();
        let masters = self.nodes.len();
        let value = match (self.pin, self.open_multi) {
            (Some(n), _) if self.sticks(&name) => self.on(n, args)?,
            (None, true) => self.in_open_multi(args, &name)?,
            (None, false) if name == "MULTI" => self.on_every(args)?,
            _ => match route(args, masters) {
                Route::Node(n) => self.on(n, args)?,
                Route::Every => self.on_every(args)?,
                Route::Gather => self.gather(args, &name)?,
            },
        };
        self.track(args, &name, &value)?;
        Ok(value)
    }

    /// Sends `args` without reading (a command expected to park); it must have one master.
    pub fn send(&mut self, args: &[String]) -> Result<(), LiveError> {
        let name = args[0].to_ascii_uppercase();
        let n = match (self.pin, route(args, self.nodes.len())) {
            (Some(n), _) if self.sticks(&name) => n,
            (_, Route::Node(n)) if !self.open_multi => n,
            _ => {
                return Err(LiveError::Config {
                    reason: format!("{} cannot park on one master", Command(args.to_vec())),
                })
            }
        };
        self.last = n;
        self.nodes[n]
            .con
            .send_packed_command(&packed(args))
            .map_err(|e| redis_err("sending", e))
    }

    /// Reads one more reply (a parked command's, or a pub/sub message) where it arrives.
    pub fn recv(&mut self) -> Result<Value, LiveError> {
        let n = self.reading_node();
        let v = self.nodes[n]
            .con
            .recv_response()
            .map_err(|e| redis_err("reading", e))?;
        self.track_subscriptions(&v);
        self.settle_pin(n);
        Ok(v)
    }

    /// Rule 1: pinned to `node` while the connection holds state there, else unpinned.
    fn settle_pin(&mut self, node: usize) {
        if !(self.in_multi || self.watching || self.subscriptions > 0) {
            self.pin = None;
        } else if self.pin.is_none() && !self.open_multi {
            self.pin = Some(node);
        }
    }

    fn on(&mut self, n: usize, args: &[String]) -> Result<Value, LiveError> {
        self.last = n;
        self.nodes[n]
            .con
            .req_packed_command(&packed(args))
            .map_err(|e| redis_err("reading", e))
    }

    /// Sends to every master; their replies must agree. Returns master 0's.
    fn on_every(&mut self, args: &[String]) -> Result<Value, LiveError> {
        let mut first = None;
        for n in 0..self.nodes.len() {
            let v = self.on(n, args)?;
            match &first {
                None => first = Some(v),
                Some(f) if reply_from_value(f.clone()) == reply_from_value(v.clone()) => {}
                Some(f) => return Err(disagree(args, f, &v)),
            }
        }
        self.last = 0;
        Ok(first.expect("at least one master"))
    }

    /// KEYS and SCAN concatenated, DBSIZE summed, over every master.
    fn gather(&mut self, args: &[String], name: &str) -> Result<Value, LiveError> {
        let mut replies = Vec::new();
        for n in 0..self.nodes.len() {
            replies.push(self.on(n, args)?);
        }
        self.last = 0;
        if replies.len() == 1 {
            return Ok(replies.pop().expect("one reply"));
        }
        let mut keys = Vec::new();
        let mut sum = 0;
        for v in &replies {
            match (name, v) {
                ("DBSIZE", Value::Int(n)) => sum += n,
                ("KEYS", Value::Array(ks)) => keys.extend(ks.iter().cloned()),
                ("SCAN", Value::Array(parts)) if parts.len() == 2 => match &parts[..] {
                    [Value::BulkString(c), Value::Array(ks)] if c.as_slice() == b"0" => {
                        keys.extend(ks.iter().cloned())
                    }
                    _ => return Err(disagree(args, &replies[0], v)),
                },
                // An error (wrong arity, a bad option): every master must say the same.
                _ => return self.agreeing(args, replies),
            }
        }
        Ok(match name {
            "DBSIZE" => Value::Int(sum),
            "KEYS" => Value::Array(keys),
            _ => Value::Array(vec![Value::BulkString(b"0".to_vec()), Value::Array(keys)]),
        })
    }

    fn agreeing(&self, args: &[String], mut replies: Vec<Value>) -> Result<Value, LiveError> {
        let first = replies.remove(0);
        for v in &replies {
            if reply_from_value(first.clone()) != reply_from_value(v.clone()) {
                return Err(disagree(args, &first, v));
            }
        }
        Ok(first)
    }

    /// Rule 3: MULTI is open on every master and no keyed command has chosen one.
    fn in_open_multi(&mut self, args: &[String], name: &str) -> Result<Value, LiveError> {
        let masters = self.nodes.len();
        let chosen = match Command(args.to_vec()).key_positions().first() {
            Some(&k) => Some(node_of_key(&args[k], masters)),
            None if matches!(name, "EXEC" | "DISCARD") => Some(0),
            None => None,
        };
        let Some(n) = chosen else {
            return self.on_every(args);
        };
        for other in (0..masters).filter(|&o| o != n) {
            let v = self.on(other, &["DISCARD".to_string()])?;
            if reply_from_value(v.clone()) != model::Reply::ok() {
                return Err(disagree(&["DISCARD".to_string()], &Value::Okay, &v));
            }
        }
        self.open_multi = false;
        self.pin = Some(n);
        self.on(n, args)
    }

    /// Rule 1's state and rule 5's copies, from the reply to `args`.
    fn track(&mut self, args: &[String], name: &str, value: &Value) -> Result<(), LiveError> {
        let ok = reply_from_value(value.clone()) == model::Reply::ok();
        let was_in_multi = self.in_multi;
        match name {
            "WATCH" if ok => self.watching = true,
            "UNWATCH" if ok && !self.in_multi => self.watching = false,
            "MULTI" if ok && !self.in_multi => {
                self.in_multi = true;
                self.queued_bodies.clear();
                if self.pin.is_none() {
                    self.open_multi = true;
                    self.last = 0;
                }
            }
            "EXEC" | "DISCARD" if self.in_multi => {
                self.in_multi = false;
                self.watching = false;
            }
            _ => {}
        }
        self.track_subscriptions(value);
        let node = self.last;
        let bodies: Vec<String> = if was_in_multi {
            match (name, value) {
                ("EXEC", Value::Array(_)) => std::mem::take(&mut self.queued_bodies),
                ("EXEC" | "DISCARD", _) => {
                    self.queued_bodies.clear();
                    vec![]
                }
                _ => {
                    self.queued_bodies
                        .extend(script_body(args).map(str::to_string));
                    vec![]
                }
            }
        } else if name == "EVAL" {
            script_body(args).map(str::to_string).into_iter().collect()
        } else {
            vec![]
        };
        self.settle_pin(node);
        self.copy_scripts(node, &bodies)
    }

    /// Subscription counts from (UN)SUBSCRIBE confirmations.
    fn track_subscriptions(&mut self, value: &Value) {
        if let Value::Array(parts) | Value::Push { data: parts, .. } = value {
            if let [Value::BulkString(kind), _, Value::Int(count)] = &parts[..] {
                if matches!(kind.as_slice(), b"subscribe" | b"unsubscribe") {
                    self.subscriptions = *count;
                }
            }
        }
    }

    /// Rule 5: the bodies master `node` holds are loaded into the other masters.
    fn copy_scripts(&mut self, node: usize, bodies: &[String]) -> Result<(), LiveError> {
        if self.nodes.len() == 1 || self.subscriptions > 0 {
            return Ok(());
        }
        for body in bodies {
            let sha = model::scripting::sha1_hex(body);
            let held: Vec<i64> = redis::cmd("SCRIPT")
                .arg("EXISTS")
                .arg(&sha)
                .query(&mut self.nodes[node].con)
                .map_err(|e| redis_err("SCRIPT EXISTS", e))?;
            if held.first() != Some(&1) {
                continue;
            }
            for other in (0..self.nodes.len()).filter(|&o| o != node) {
                let loaded: String = redis::cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(body)
                    .query(&mut self.nodes[other].con)
                    .map_err(|e| redis_err("copying a script to another master", e))?;
                if loaded != sha {
                    return Err(LiveError::Config {
                        reason: format!("master {other} loaded {sha} as {loaded}"),
                    });
                }
            }
        }
        Ok(())
    }
}

fn disagree(args: &[String], a: &Value, b: &Value) -> LiveError {
    LiveError::Config {
        reason: format!(
            "the masters answer {} differently: {} and {}",
            Command(args.to_vec()),
            reply_from_value(a.clone()),
            reply_from_value(b.clone())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn keys_go_to_the_master_of_their_slot() {
        // Slots from `CLUSTER KEYSLOT` on 7.0.15 (see model::server::cluster's tests).
        assert_eq!(route(&s(&["GET", "k2"]), 3), Route::Node(0)); // 449
        assert_eq!(route(&s(&["GET", "q1"]), 3), Route::Node(1)); // 7450
        assert_eq!(route(&s(&["GET", "k1"]), 3), Route::Node(2)); // 12706
        assert_eq!(route(&s(&["MGET", "k1", "k2"]), 3), Route::Node(2));
        assert_eq!(
            route(&s(&["EVAL", "return 1", "1", "q1"]), 3),
            Route::Node(1)
        );
        assert_eq!(route(&s(&["PING"]), 3), Route::Node(0));
        assert_eq!(route(&s(&["SCRIPT", "LOAD", "return 1"]), 3), Route::Every);
        assert_eq!(route(&s(&["KEYS", "*"]), 3), Route::Gather);
        assert_eq!(route(&s(&["GET", "k1"]), 1), Route::Node(0));
        assert_eq!(node_of_slot(5460, 3), 0);
        assert_eq!(node_of_slot(5461, 3), 1);
        assert_eq!(node_of_slot(10923, 3), 2);
        assert_eq!(node_of_slot(16383, 3), 2);
    }
}
