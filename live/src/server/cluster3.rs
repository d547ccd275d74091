//! The `cluster3` backend: a real Redis Cluster of three masters, each a `redis-server` child
//! of the process backend, owning the standard three-way split of the 16384 hash slots.
//!
//! Start-up, in order (any failure drops the nodes started so far: killed, dirs removed):
//! 1. three children with `--cluster-enabled yes`, each on its own free port with its own bus
//!    port (`--cluster-port`), its own temp dir and `nodes-<port>.conf`, each answering PING
//!    from our own child's PID (`process::ProcessServer::start_cluster_node`);
//! 2. `CLUSTER SET-CONFIG-EPOCH 1`, `2`, `3` on nodes 0, 1, 2 (distinct epochs, so no
//!    collision has to be resolved later);
//! 3. node 0 sends `CLUSTER MEET 127.0.0.1 <port> <bus port>` for nodes 1 and 2;
//! 4. node *i* takes its range with `CLUSTER ADDSLOTSRANGE` ([`crate::route::MASTER_SLOTS`]:
//!    0-5460, 5461-10922, 10923-16383);
//! 5. ready once every node says `cluster_state:ok` and `cluster_known_nodes:3` and every
//!    node's `CLUSTER SLOTS` is the same map: each range served by the node that took it.
//!
//! Dropping the handle drops the three children (each killed, also during a panic unwind,
//! and through `PR_SET_PDEATHSIG` when this process dies without unwinding) and removes
//! their dirs, nodes.conf included.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redis::IntoConnectionInfo;

use super::process::ProcessServer;
use super::{connect, with_db, Backend, LiveServer, READY_TIMEOUT};
use crate::route::MASTER_SLOTS;
use crate::LiveError;

/// How long the three nodes may take to agree on the slot map once the slots are assigned
/// (gossip plus Redis's own two-second delay before a master reports `ok`).
pub const CLUSTER_READY_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) struct Cluster3 {
    /// The resolved binary of node 0 (all three run the same one).
    pub(super) binary: PathBuf,
    /// Node *i* owns `MASTER_SLOTS[i]`.
    pub(super) nodes: Vec<ProcessServer>,
    /// How long steps 1-5 took.
    pub(super) startup: Duration,
}

impl Cluster3 {
    /// Steps 1-5 of the module doc.
    pub(super) fn start(binary: &Path) -> Result<Self, LiveError> {
        let begun = Instant::now();
        let mut nodes = Vec::with_capacity(MASTER_SLOTS.len());
        for _ in MASTER_SLOTS {
            nodes.push(ProcessServer::start_cluster_node(binary)?);
        }
        let cluster = Cluster3 {
            binary: nodes[0].binary.clone(),
            nodes,
            startup: Duration::ZERO,
        };
        let mut cons = cluster.connections()?;
        for (i, con) in cons.iter_mut().enumerate() {
            cluster_cmd(con, &["SET-CONFIG-EPOCH", &(i + 1).to_string()])?;
        }
        for node in &cluster.nodes[1..] {
            let bus = node.bus_port.expect("a cluster node has a bus port");
            let port = node.port().to_string();
            cluster_cmd(
                &mut cons[0],
                &["MEET", "127.0.0.1", &port, &bus.to_string()],
            )?;
        }
        for (con, (lo, hi)) in cons.iter_mut().zip(MASTER_SLOTS) {
            cluster_cmd(con, &["ADDSLOTSRANGE", &lo.to_string(), &hi.to_string()])?;
        }
        cluster.await_agreement(&mut cons)?;
        Ok(Cluster3 {
            startup: begun.elapsed(),
            ..cluster
        })
    }

    /// One fresh connection per node, in node order.
    fn connections(&self) -> Result<Vec<redis::Connection>, LiveError> {
        self.nodes
            .iter()
            .map(|n| {
                let info = n
                    .addr()
                    .into_connection_info()
                    .map_err(|e| LiveError::redis("building connection info", e))?;
                let con = super::connect(&info, Duration::from_secs(5)).map_err(|e| {
                    LiveError::redis(format!("connecting to node {:?}", n.addr()), e)
                })?;
                con.set_read_timeout(Some(Duration::from_secs(5)))
                    .map_err(|e| LiveError::redis("setting a read timeout", e))?;
                Ok(con)
            })
            .collect()
    }

    /// Step 5: polls every node until all say ok and agree on the expected slot map.
    fn await_agreement(&self, cons: &mut [redis::Connection]) -> Result<(), LiveError> {
        let expected: Vec<(i64, i64, i64)> = MASTER_SLOTS
            .iter()
            .zip(&self.nodes)
            .map(|((lo, hi), n)| (i64::from(*lo), i64::from(*hi), i64::from(n.port())))
            .collect();
        let started = Instant::now();
        loop {
            let mut waiting = Vec::new();
            for (i, con) in cons.iter_mut().enumerate() {
                self.nodes[i].check_alive()?;
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(con)
                    .map_err(|e| LiveError::redis("CLUSTER INFO", e))?;
                let field = |name: &str| {
                    info.lines()
                        .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(':'))
                        .unwrap_or("?")
                        .to_string()
                };
                let (state, known) = (field("cluster_state"), field("cluster_known_nodes"));
                let map = slot_map(con)?;
                if state != "ok" || known != "3" || map != expected {
                    waiting.push(format!(
                        "node {i}: cluster_state:{state} cluster_known_nodes:{known} slots {map:?}"
                    ));
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            if started.elapsed() > CLUSTER_READY_TIMEOUT.max(READY_TIMEOUT) {
                return Err(LiveError::NotReady {
                    what: format!("a three-master cluster of {}", self.binary.display()),
                    waited: started.elapsed(),
                    detail: format!("expected slots {expected:?}; {}", waiting.join("; ")),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fails fast, quoting the server's output, if any node has exited.
    pub(super) fn check_alive(&self) -> Result<(), LiveError> {
        self.nodes.iter().try_for_each(ProcessServer::check_alive)
    }
}

/// What the live crate needs to reach every master (one master for the other backends).
impl LiveServer {
    /// How many masters own the keyspace: 3 for `cluster3`, else 1. Master `i` is reached
    /// with [`LiveServer::connect_node`]; [`crate::route`] says which master a command needs.
    pub fn masters(&self) -> usize {
        match &self.backend {
            Backend::Cluster3(c) => c.nodes.len(),
            _ => 1,
        }
    }

    /// A new connection to master `i` (`0..masters()`); master 0 is [`LiveServer::connect`]'s.
    pub fn connect_node(&self, i: usize) -> Result<redis::Connection, LiveError> {
        match &self.backend {
            Backend::Cluster3(c) => {
                let node = c.nodes.get(i).ok_or_else(|| LiveError::Config {
                    reason: format!("master {i} of {}", c.nodes.len()),
                })?;
                let info = with_db(
                    node.addr()
                        .into_connection_info()
                        .map_err(|e| LiveError::redis("building connection info", e))?,
                    self.db,
                );
                connect(&info, Duration::from_secs(5))
                    .map_err(|e| LiveError::redis(format!("connecting to {}", info.addr()), e))
            }
            _ if i == 0 => self.connect(),
            _ => Err(LiveError::Config {
                reason: format!("master {i} of a single server"),
            }),
        }
    }

    /// PIDs of every `redis-server` child (one per master of `cluster3`), for leak checks.
    pub fn pids(&self) -> Vec<u32> {
        match &self.backend {
            Backend::Process(p) => vec![p.pid()],
            Backend::Cluster3(c) => c.nodes.iter().map(|n| n.pid()).collect(),
            _ => vec![],
        }
    }

    /// How long `cluster3` took from the first spawn to an agreed slot map.
    pub fn startup(&self) -> Option<Duration> {
        match &self.backend {
            Backend::Cluster3(c) => Some(c.startup),
            _ => None,
        }
    }
}

/// `CLUSTER <args…>`, expecting OK.
fn cluster_cmd(con: &mut redis::Connection, args: &[&str]) -> Result<(), LiveError> {
    redis::cmd("CLUSTER")
        .arg(args)
        .exec(con)
        .map_err(|e| LiveError::redis(format!("CLUSTER {}", args.join(" ")), e))
}

/// `CLUSTER SLOTS` as (first slot, last slot, master port), sorted.
fn slot_map(con: &mut redis::Connection) -> Result<Vec<(i64, i64, i64)>, LiveError> {
    let value: redis::Value = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query(con)
        .map_err(|e| LiveError::redis("CLUSTER SLOTS", e))?;
    let int = |v: &redis::Value| match v {
        redis::Value::Int(n) => Some(*n),
        _ => None,
    };
    let mut map = Vec::new();
    if let redis::Value::Array(ranges) = value {
        for range in ranges {
            let redis::Value::Array(parts) = range else {
                continue;
            };
            let port = match parts.get(2) {
                Some(redis::Value::Array(master)) => master.get(1).and_then(int),
                _ => None,
            };
            if let (Some(lo), Some(hi), Some(port)) = (
                parts.first().and_then(int),
                parts.get(1).and_then(int),
                port,
            ) {
                map.push((lo, hi, port));
            }
        }
    }
    map.sort();
    Ok(map)
}
