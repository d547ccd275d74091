//! Running a program: one loop, [`run_on`], over any [`Backend`], called with the model
//! ([`run_model_on`]: a [`ModelBackend`]) and with a live server ([`LiveSession`]: a
//! [`LiveBackend`], guided by the model). Both runs come back as a [`Run`] of the same shape,
//! which `crate::compare` holds side by side.

use crate::program::{Op, Program};
use live::backend::LiveBackend;
use live::route::Masters;
use live::{LiveError, LiveServer};
use model::backend::{Backend, Dump, ModelBackend, Sent};
use model::{Command, ConnId, Profile, Reply, Server};
use serde::Serialize;

/// One tick of the clock, in real milliseconds (and model milliseconds: the model's clock is
/// in ms). Generated programs use PX/PEXPIRE/PSETEX in multiples of it and EX/EXPIRE in whole
/// seconds, so TTL's rounding never falls on a boundary.
pub const TICK_MS: u64 = 200;

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
    pub keys: Dump,
    pub unmodelled: Option<String>,
}

/// Runs `program` on `backend` (fresh, with a connection for each of the program's): each
/// step's reply, then what subscribed connections received and what parked ones were served;
/// at the end every connection is closed and the keyspace observed.
pub fn run_on<B: Backend>(program: &Program, backend: &mut B) -> Result<Run, B::Error> {
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
            Op::Tick => backend.tick()?,
            Op::Send { conn, command } => {
                match backend.send(conn_id(*conn), &Command(command.clone()))? {
                    Sent::Reply(r) => step.reply = Some(r),
                    Sent::Parked => step.blocked = true,
                    Sent::Busy => step.reply = Some(Reply::err("skipped: connection parked")),
                    Sent::Refused(name) => {
                        unmodelled = Some(name);
                        break;
                    }
                }
            }
        }
        step.messages = by_conn(backend.take_messages()?);
        step.served = by_conn(backend.take_served()?);
        steps.push(step);
    }
    for c in 0..program.conns {
        backend.close(conn_id(c))?;
    }
    Ok(Run {
        steps,
        keys: backend.observe()?,
        unmodelled,
    })
}

fn by_conn(replies: Vec<(ConnId, Reply)>) -> Vec<(u8, Reply)> {
    replies.into_iter().map(|(c, r)| (c.client, r)).collect()
}

/// Runs `program` on a fresh model server with `profile`.
pub fn run_model(program: &Program, profile: Profile) -> Run {
    run_model_on(program, Server::new(profile))
}

/// Runs `program` on `server`, a fresh model server of any profile and mode (cluster mode:
/// `Server::new(profile).on_cluster()`).
pub fn run_model_on(program: &Program, server: Server) -> Run {
    match run_on(program, &mut ModelBackend::new(server, TICK_MS)) {
        Ok(run) => run,
        Err(never) => match never {},
    }
}

/// A live server prepared for conformance runs (owned: no key prefix). On the `cluster3`
/// backend every program connection is a `RoutedConn` (each command to the master of its
/// keys, `live::route`) and the control connections are one per master.
pub struct LiveSession<'a> {
    server: &'a LiveServer,
    masters: Masters,
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

    /// Runs `program` on the server. `guide` (the model, any profile) only says when to wait
    /// for the server: which keys and BLPOPs expire at a tick. Every reply is the server's.
    pub fn run(&mut self, program: &Program, guide: Profile) -> Result<Run, LiveError> {
        self.run_guided(program, Server::new(guide))
    }

    /// [`LiveSession::run`] with a fresh model server of any mode as the guide.
    pub fn run_guided(&mut self, program: &Program, guide: Server) -> Result<Run, LiveError> {
        let conns: Vec<ConnId> = (0..program.conns).map(conn_id).collect();
        let mut backend =
            LiveBackend::fresh(self.server, &mut self.masters, &conns, guide, TICK_MS)?;
        run_on(program, &mut backend)
    }
}

/// Runs `program` on `server` (see [`LiveSession::run`]).
pub fn run_live(server: &LiveServer, program: &Program, guide: Profile) -> Result<Run, LiveError> {
    LiveSession::new(server)?.run(program, guide)
}
