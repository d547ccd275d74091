//! Running a program on the model and on a live server, and comparing the two runs.

use crate::dump::{dump_value, join_pairs, sorted_keys};
use crate::program::{Op, Program};
use live::executor::reply_from_value;
use live::route::{Masters, RoutedConn};
use live::{LiveError, LiveServer};
use model::{Command, ConnId, Outcome, Profile, Reply, Server};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

/// One tick of the clock, in real milliseconds (and model milliseconds: the model's clock is
/// in ms). Generated programs use PX/PEXPIRE/PSETEX in multiples of it and EX/EXPIRE in whole
/// seconds, so TTL's rounding never falls on a boundary.
pub const TICK_MS: u64 = 200;
/// How long to wait for a key or a BLPOP the model expires at a tick to go on the server.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

fn is_blocking(name: &str) -> bool {
    ["BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH"]
        .iter()
        .any(|b| name.eq_ignore_ascii_case(b))
}

pub(crate) fn conn_id(conn: u8) -> ConnId {
    ConnId {
        client: conn,
        slot: 0,
    }
}

/// What one step did: the reply (`None` while the connection is parked, or when the step is a
/// tick), and the replies served to parked connections after it, by connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepResult {
    pub reply: Option<Reply>,
    pub blocked: bool,
    pub served: Vec<(u8, Reply)>,
    /// What subscribed connections received after it (pub/sub messages, and the further
    /// confirmations of a multi-channel (UN)SUBSCRIBE), by connection, in wire order.
    pub messages: Vec<(u8, Reply)>,
}

/// A whole run: every step, then the final keyspace as `(key, type, value, pttl ms or -1)`.
///
/// A program that reaches a Redis command the model does not implement (directly, queued in
/// MULTI or called by a script) stops there on both sides: `unmodelled` names it, `steps` are
/// the steps before it and `keys` the keyspace before it. The live side never sends it, so
/// conformance compares everything up to the model's clean refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    pub steps: Vec<StepResult>,
    pub keys: Vec<(String, String, String, i64)>,
    pub unmodelled: Option<String>,
}

/// Runs `program` on a fresh model server with `profile`.
pub fn run_model(program: &Program, profile: Profile) -> Run {
    run_model_on(program, Server::new(profile))
}

/// Runs `program` on `server`, a fresh model server of any profile and mode (cluster mode:
/// `Server::new(profile).on_cluster()`).
pub fn run_model_on(program: &Program, mut server: Server) -> Run {
    let profile = server.profile;
    let mut now = 0;
    let mut steps = Vec::with_capacity(program.ops.len());
    let mut unmodelled = None;
    for op in &program.ops {
        let mut step = StepResult {
            reply: None,
            blocked: false,
            served: vec![],
            messages: vec![],
        };
        match op {
            Op::Tick => {
                now += TICK_MS;
                server.advance(now);
            }
            Op::Send { conn, command } => {
                let id = conn_id(*conn);
                if server.is_blocked(id) {
                    step.reply = Some(Reply::err("skipped: connection parked"));
                } else {
                    let before = server.clone();
                    match server.apply(id, &Command(command.clone()), now) {
                        Outcome::Reply(r) => step.reply = Some(r),
                        Outcome::Blocked => step.blocked = true,
                        Outcome::Unmodelled(name) => {
                            server = before;
                            unmodelled = Some(name);
                            break;
                        }
                    }
                }
            }
        }
        for c in 0..program.conns {
            if let Some(r) = server.take_served(conn_id(c)) {
                step.served.push((c, r));
            }
            for r in server.take_messages(conn_id(c)) {
                step.messages.push((c, r));
            }
        }
        steps.push(step);
    }
    let keys = server
        .keys
        .iter()
        .map(|(k, e)| {
            let v = dump_value(&e.value, profile);
            let ty = e.value.type_name();
            let ttl = e
                .expires_at
                .map_or(-1, |d| (d.wrapping_sub(now) as i64).max(0));
            (k.clone(), ty.to_string(), v, ttl)
        })
        .collect();
    Run {
        steps,
        keys,
        unmodelled,
    }
}

/// A live server prepared for conformance runs (owned: no key prefix). On the `cluster3`
/// backend every program connection is a [`RoutedConn`] (each command to the master of its
/// keys, `live::route`) and the control connections are one per master.
pub struct LiveSession<'a> {
    server: &'a LiveServer,
    masters: Masters,
}

struct Conn {
    con: RoutedConn,
    parked: bool,
    /// The last command sent was a blocking one (BLPOP BRPOP BLMOVE BRPOPLPUSH).
    after_blpop: bool,
}

fn err(context: &str, e: redis::RedisError) -> LiveError {
    LiveError::Redis {
        context: context.to_string(),
        source: e,
    }
}

impl<'a> LiveSession<'a> {
    pub fn new(server: &'a LiveServer) -> Result<Self, LiveError> {
        if !server.key_prefix().is_empty() {
            return Err(LiveError::Config {
                reason: "conformance runs need a server of their own (a container or a process), \
                         not an external one shared through a key prefix"
                    .into(),
            });
        }
        let masters = Masters::open(server)?;
        Ok(LiveSession { server, masters })
    }

    /// Whether each connection (master, CLIENT ID) is blocked, by CLIENT LIST on every master.
    fn blocked_ids(&mut self) -> Result<BTreeMap<(usize, i64), bool>, LiveError> {
        let mut out = BTreeMap::new();
        for node in 0..self.masters.len() {
            for (id, blocked) in self.blocked_on(node)? {
                out.insert((node, id), blocked);
            }
        }
        Ok(out)
    }

    fn blocked_on(&mut self, node: usize) -> Result<BTreeMap<i64, bool>, LiveError> {
        Ok(self
            .masters
            .clients(node)?
            .into_iter()
            .map(|c| (c.id, c.blocked))
            .collect())
    }

    /// Waits until the connection is no longer blocked or `wait` passes; true if unblocked.
    fn await_unblocked(
        &mut self,
        (node, id): (usize, i64),
        wait: Duration,
    ) -> Result<bool, LiveError> {
        let since = Instant::now();
        loop {
            if !self.blocked_on(node)?.get(&id).copied().unwrap_or(false) {
                return Ok(true);
            }
            if since.elapsed() > wait {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits until the connection shows up blocked, or its command ran without blocking. When
    /// the connection's previous command was BLPOP too, CLIENT LIST's `cmd=blpop` proves
    /// nothing: then only a short wait for the blocked flag tells.
    fn await_parked(
        &mut self,
        (node, id): (usize, i64),
        name: &str,
        after_blpop: bool,
    ) -> Result<bool, LiveError> {
        let limit = if after_blpop {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(2)
        };
        let since = Instant::now();
        loop {
            if let Some(c) = self.masters.client(node, id)? {
                if c.blocked {
                    return Ok(true);
                }
                if c.cmd == name && !after_blpop {
                    return Ok(false);
                }
            }
            if since.elapsed() > limit {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn pttl(&mut self, key: &str) -> Result<i64, LiveError> {
        redis::cmd("PTTL")
            .arg(key)
            .query(self.masters.for_key(key))
            .map_err(|e| err("PTTL", e))
    }

    /// Runs `program` on the server. `guide` (the model, any profile) only says when to wait
    /// for the server: which keys and BLPOPs expire at a tick. Every reply is the server's.
    pub fn run(&mut self, program: &Program, guide: Profile) -> Result<Run, LiveError> {
        self.run_guided(program, Server::new(guide))
    }

    /// [`LiveSession::run`] with a fresh model server of any mode as the guide.
    pub fn run_guided(&mut self, program: &Program, guide: Server) -> Result<Run, LiveError> {
        for con in self.masters.all() {
            redis::cmd("FLUSHDB")
                .exec(con)
                .map_err(|e| err("FLUSHDB", e))?;
            redis::cmd("SCRIPT")
                .arg("FLUSH")
                .exec(con)
                .map_err(|e| err("SCRIPT FLUSH", e))?;
        }
        let mut conns = Vec::new();
        for _ in 0..program.conns {
            conns.push(Conn {
                con: RoutedConn::open(self.server, None)?,
                parked: false,
                after_blpop: false,
            });
        }
        let mut model = guide;
        let mut now = 0u64;
        let started = Instant::now();
        let mut steps = Vec::with_capacity(program.ops.len());
        let mut unmodelled = None;
        for op in &program.ops {
            let mut step = StepResult {
                reply: None,
                blocked: false,
                served: vec![],
                messages: vec![],
            };
            match op {
                Op::Tick => {
                    let due: Vec<String> = model
                        .keys
                        .iter()
                        .filter(|(_, e)| e.expires_at.is_some_and(|d| d <= now + TICK_MS))
                        .map(|(k, _)| k.clone())
                        .collect();
                    now += TICK_MS;
                    let timed_out = model.advance(now).timed_out;
                    let boundary = Duration::from_millis(now);
                    if let Some(wait) = boundary.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    for k in due {
                        let since = Instant::now();
                        while self.pttl(&k)? >= 0 && since.elapsed() < SETTLE_WAIT {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                    for c in timed_out {
                        let at = conns[c.client as usize].con.last();
                        self.await_unblocked(at, SETTLE_WAIT)?;
                    }
                }
                Op::Send { conn, command } => {
                    let cmd = Command(command.clone());
                    let id = conn_id(*conn);
                    let guide_outcome = if model.is_blocked(id) {
                        None
                    } else {
                        Some(model.apply(id, &cmd, now))
                    };
                    if let Some(Outcome::Unmodelled(name)) = guide_outcome {
                        // The model refuses it: the live run stops before sending it.
                        unmodelled = Some(name);
                        break;
                    }
                    let c = &mut conns[*conn as usize];
                    if c.parked {
                        step.reply = Some(Reply::err("skipped: connection parked"));
                    } else {
                        let blocking = is_blocking(&command[0]);
                        let after_blpop = std::mem::replace(&mut c.after_blpop, blocking);
                        if guide_outcome == Some(Outcome::Blocked) {
                            c.con.send(command)?;
                            let at = c.con.last();
                            let name = command[0].to_ascii_lowercase();
                            if self.await_parked(at, &name, after_blpop)? {
                                conns[*conn as usize].parked = true;
                                step.blocked = true;
                            } else {
                                let v = conns[*conn as usize].con.recv()?;
                                step.reply = Some(reply_from_value(v));
                            }
                        } else {
                            let v = c.con.request(command)?;
                            step.reply = Some(reply_from_value(v));
                        }
                    }
                }
            }
            for c in 0..program.conns {
                model.take_served(conn_id(c));
                // As many further replies as the guide delivers: they are already on their
                // way when the step's own reply has arrived (Redis writes both before it
                // reads the next command). A missing one is a read timeout, an error.
                for _ in model.take_messages(conn_id(c)) {
                    let v = conns[c as usize].con.recv()?;
                    step.messages.push((c, reply_from_value(v)));
                }
            }
            if conns.iter().any(|c| c.parked) {
                let blocked = self.blocked_ids()?;
                for (i, c) in conns.iter_mut().enumerate() {
                    if c.parked && !blocked.get(&c.con.last()).copied().unwrap_or(false) {
                        let v = c.con.recv()?;
                        c.parked = false;
                        step.served.push((i as u8, reply_from_value(v)));
                    }
                }
            }
            steps.push(step);
        }
        drop(conns);
        let mut keys = Vec::new();
        let mut names = self.masters.keys("*")?;
        names.sort();
        for k in names {
            let con = self.masters.for_key(&k);
            let ty: String = redis::cmd("TYPE")
                .arg(&k)
                .query(&mut *con)
                .map_err(|e| err("TYPE", e))?;
            let v = match ty.as_str() {
                "string" => redis::cmd("GET")
                    .arg(&k)
                    .query::<Option<String>>(&mut *con)
                    .map_err(|e| err("GET", e))?
                    .unwrap_or_default(),
                "list" => redis::cmd("LRANGE")
                    .arg(&k)
                    .arg(0)
                    .arg(-1)
                    .query::<Vec<String>>(&mut *con)
                    .map_err(|e| err("LRANGE", e))?
                    .join(","),
                "hash" => join_pairs(
                    &redis::cmd("HGETALL")
                        .arg(&k)
                        .query::<Vec<String>>(&mut *con)
                        .map_err(|e| err("HGETALL", e))?,
                    '=',
                ),
                "zset" => join_pairs(
                    &redis::cmd("ZRANGE")
                        .arg(&k)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query::<Vec<String>>(&mut *con)
                        .map_err(|e| err("ZRANGE", e))?,
                    ':',
                ),
                "none" => continue,
                _ => String::new(),
            };
            let ttl = self.pttl(&k)?;
            keys.push((k, ty, v, ttl));
        }
        Ok(Run {
            steps,
            keys,
            unmodelled,
        })
    }
}

/// Runs `program` on `server` (see [`LiveSession::run`]).
pub fn run_live(server: &LiveServer, program: &Program, guide: Profile) -> Result<Run, LiveError> {
    LiveSession::new(server)?.run(program, guide)
}

/// Where a live run first departs from the model's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// 1-based step, or `None` for the final keyspace.
    pub step: Option<usize>,
    pub op: Option<String>,
    pub model: String,
    pub live: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.step, &self.op) {
            (Some(n), Some(op)) => writeln!(f, "step {n}: {op}")?,
            _ => writeln!(f, "final keyspace")?,
        }
        writeln!(f, "  model: {}", self.model)?;
        write!(f, "  live:  {}", self.live)
    }
}

fn show(s: &StepResult) -> String {
    let mut out = match (&s.reply, s.blocked) {
        (Some(r), _) => r.to_string(),
        (None, true) => "(blocked)".into(),
        (None, false) => "-".into(),
    };
    for (c, r) in &s.served {
        out.push_str(&format!("; c{c} served {r}"));
    }
    for (c, r) in &s.messages {
        out.push_str(&format!("; c{c} receives {r}"));
    }
    out
}

/// Whether two PTTL-like replies agree within the tick's granularity: a live command runs a
/// little after the model's instant (the tick boundary), by less than half a tick.
fn close_ms(model: i64, live: i64) -> bool {
    if model < 0 || live < 0 {
        return model == live;
    }
    (model - live).abs() < TICK_MS as i64 / 2
}

fn same_reply(name: &str, queued: &[String], m: &Reply, l: &Reply) -> bool {
    match (name, m, l) {
        ("PTTL", Reply::Int(a), Reply::Int(b)) => close_ms(*a, *b),
        // A server lists keys in its hash table's order: compare them as sets.
        ("KEYS" | "SCAN", _, _) => sorted_keys(m) == sorted_keys(l),
        ("EXEC", Reply::Array(ms), Reply::Array(ls)) if ms.len() == ls.len() => ms
            .iter()
            .zip(ls)
            .enumerate()
            .all(|(i, (a, b))| same_reply(queued.get(i).map_or("", String::as_str), &[], a, b)),
        _ => m == l,
    }
}

/// Compares a model run with a live run of the same program: the first divergence, if any.
pub fn compare(program: &Program, model: &Run, live: &Run) -> Option<Divergence> {
    if model.unmodelled != live.unmodelled || model.steps.len() != live.steps.len() {
        return Some(Divergence {
            step: Some(model.steps.len().min(live.steps.len()) + 1),
            op: None,
            model: format!("stops (unmodelled: {:?})", model.unmodelled),
            live: format!("stops (unmodelled: {:?})", live.unmodelled),
        });
    }
    let mut queued: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    for (n, (op, (m, l))) in program
        .ops
        .iter()
        .zip(model.steps.iter().zip(&live.steps))
        .enumerate()
    {
        let mut name = String::new();
        let mut q = Vec::new();
        if let Op::Send { conn, command } = op {
            name = command[0].to_ascii_uppercase();
            if m.reply == Some(Reply::Status("QUEUED".into())) {
                queued.entry(*conn).or_default().push(name.clone());
            }
            if matches!(name.as_str(), "EXEC" | "DISCARD") {
                q = queued.remove(conn).unwrap_or_default();
            }
        }
        let replies_agree = match (&m.reply, &l.reply) {
            (Some(a), Some(b)) => same_reply(&name, &q, a, b),
            (a, b) => a == b,
        };
        if !replies_agree
            || m.blocked != l.blocked
            || m.served != l.served
            || m.messages != l.messages
        {
            return Some(Divergence {
                step: Some(n + 1),
                op: Some(op.to_string()),
                model: show(m),
                live: show(l),
            });
        }
    }
    let keys_agree = model.keys.len() == live.keys.len()
        && model
            .keys
            .iter()
            .zip(&live.keys)
            .all(|(a, b)| a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && close_ms(a.3, b.3));
    if !keys_agree {
        let fmt = |ks: &[(String, String, String, i64)]| {
            ks.iter()
                .map(|(k, t, v, ttl)| format!("{k}={t}:[{v}] pttl {ttl}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        return Some(Divergence {
            step: None,
            op: None,
            model: fmt(&model.keys),
            live: fmt(&live.keys),
        });
    }
    None
}

/// A program and its divergence, as the snapshot of a minimal failing case shows them.
pub fn describe(program: &Program, model: &Run, live: &Run, d: &Divergence) -> String {
    let mut out = format!("connections: {}\n", program.conns);
    for (n, op) in program.ops.iter().enumerate() {
        let m = model.steps.get(n).map(show).unwrap_or_default();
        let l = live.steps.get(n).map(show).unwrap_or_default();
        out.push_str(&format!(
            "{:>3}  {op}\n       model: {m}\n       live:  {l}\n",
            n + 1
        ));
    }
    out.push_str(&format!("divergence at {d}\n"));
    out
}
