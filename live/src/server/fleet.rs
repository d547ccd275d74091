//! A fleet of `redis-server` children: N independent masters, the first of them (the
//! primary) with R replicas, for replaying multi-server schedules (Redlock's N instances,
//! `failover`, `restart`).
//!
//! Every node is a [`LiveServer`] of the process backend (its own port, temp dir and
//! `--save "" --appendonly no`, killed on drop, on panic unwind and when this process dies).
//! The replication protocols, as numbered steps:
//!
//! 1. **Link** replica `r`: `REPLICAOF <primary host> <port>` on it, then poll `INFO
//!    replication` on both until the replica says `master_link_status:up` and its
//!    `slave_repl_offset` equals the primary's `master_repl_offset` ([`LiveFleet::sync`]).
//! 2. **Hold back** replica `r` ([`LiveFleet::detach`]): sync it (step 1's poll), then
//!    `REPLICAOF NO ONE`. Once that returns the replica has left the stream with exactly the
//!    primary's keyspace at that moment, and nothing the primary writes later can reach it
//!    (SIGSTOP would not do: the kernel keeps receiving the stream into the stopped
//!    process's socket, and it applies that on SIGCONT).
//! 3. **Pause** replica `r` ([`LiveFleet::stop`]): sync it and wait until the primary has its
//!    acknowledgement, then SIGSTOP it. It stays in the primary's replica list with that
//!    acknowledged offset (so WAIT counts it for writes it has, and not for later ones), and
//!    the kernel buffers the later stream for it: on SIGCONT it applies all of it. Used where
//!    the replica's next event is applying everything it missed, never a promotion.
//! 4. **Release** replica `r` ([`LiveFleet::relink`]): SIGCONT if paused, then step 1 again;
//!    the primary resyncs it (partially or in full), so it ends at the primary's current
//!    keyspace.
//! 5. **Promote** replica `r` ([`LiveFleet::promote`]): SIGKILL the primary, `REPLICAOF NO
//!    ONE` on `r` (it keeps what it has), `r` becomes master 0, and every other replica is
//!    linked to it (step 1).
//! 6. **Restart** master `i` ([`LiveFleet::restart`]): SIGKILL it and start a new empty
//!    `redis-server` on the same port.
//!
//! Only the process backend runs fleets: an external server (`REDIS_URL`) is one server, and
//! containers are not wired here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{owned, process::ProcessServer, Backend, LiveServer, SafetyOptions, ServerSpec};
use crate::LiveError;

/// The channel [`LiveFleet::await_acks`] publishes on to make the primary ask its replicas.
pub const ACK_CHANNEL: &str = "redis-races:ack";

/// How long a replica may take to link up and catch up with the primary.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a replica is in the primary's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Follows the primary (step 1).
    Linked,
    /// SIGSTOPped, still the primary's replica (step 3).
    Paused,
    /// Left the stream with `REPLICAOF NO ONE` (step 2).
    Detached,
}

/// N masters (master 0 the primary) and the primary's replicas.
pub struct LiveFleet {
    binary: PathBuf,
    opts: SafetyOptions,
    masters: Vec<LiveServer>,
    replicas: Vec<LiveServer>,
    /// Where each replica is: following the primary, paused, or detached.
    links: Vec<Link>,
}

impl LiveFleet {
    /// Starts `masters` independent masters and `replicas` replicas of master 0, each linked
    /// and in sync. `spec` must name the process backend (`Auto` means `redis-server`
    /// unless `REDIS_URL` is set).
    pub fn start(
        spec: &ServerSpec,
        masters: usize,
        replicas: usize,
        opts: &SafetyOptions,
    ) -> Result<LiveFleet, LiveError> {
        let binary = fleet_binary(spec)?;
        let mut fleet = LiveFleet {
            binary,
            opts: opts.clone(),
            masters: Vec::new(),
            replicas: Vec::new(),
            links: Vec::new(),
        };
        for _ in 0..masters.max(1) {
            let node = fleet.node(None)?;
            fleet.masters.push(node);
        }
        fleet.reset(replicas)?;
        Ok(fleet)
    }

    fn node(&self, port: Option<u16>) -> Result<LiveServer, LiveError> {
        let p = ProcessServer::start_at(&self.binary, false, port)?;
        let node = owned(Backend::Process(p), &self.opts)?;
        // A full resync starts at once instead of waiting 5 s for more replicas to join.
        let mut con = node.connect()?;
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("repl-diskless-sync-delay")
            .arg(0)
            .exec(&mut con)
            .map_err(|e| LiveError::redis("CONFIG SET repl-diskless-sync-delay 0", e))?;
        Ok(node)
    }

    /// Brings the fleet back to its starting shape for the next run: `replicas` replicas
    /// (new ones started where a promotion used one up), all linked to master 0 and in sync,
    /// every master's database empty.
    pub fn reset(&mut self, replicas: usize) -> Result<(), LiveError> {
        for m in &self.masters {
            m.cleanup()?;
        }
        for r in 0..self.replicas.len() {
            if self.links[r] == Link::Paused {
                self.signal(r, libc::SIGCONT)?;
            }
        }
        self.replicas.truncate(replicas);
        while self.replicas.len() < replicas {
            let node = self.node(None)?;
            self.replicas.push(node);
        }
        self.links = vec![Link::Detached; replicas];
        for r in 0..replicas {
            self.relink(r)?;
        }
        Ok(())
    }

    /// Masters (master 0 is the primary).
    pub fn masters(&self) -> usize {
        self.masters.len()
    }

    /// Replicas of master 0.
    pub fn replicas(&self) -> usize {
        self.replicas.len()
    }

    /// Master `i`.
    pub fn master(&self, i: usize) -> &LiveServer {
        &self.masters[i]
    }

    /// Replica `r`.
    pub fn replica(&self, r: usize) -> &LiveServer {
        &self.replicas[r]
    }

    /// Whether replica `r` follows the primary's stream.
    pub fn is_linked(&self, r: usize) -> bool {
        self.links[r] == Link::Linked
    }

    /// Where replica `r` is.
    pub fn link(&self, r: usize) -> Link {
        self.links[r]
    }

    /// PIDs of every node (leak checks).
    pub fn pids(&self) -> Vec<u32> {
        self.masters
            .iter()
            .chain(&self.replicas)
            .filter_map(LiveServer::pid)
            .collect()
    }

    /// One line: `3 masters + 1 replica (process redis-server, Redis 7.0.15) at ports …`.
    pub fn describe(&self) -> String {
        let ports = |v: &[LiveServer]| {
            v.iter()
                .map(|s| s.port().map_or("?".into(), |p| p.to_string()))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "fleet of {} master(s) [{}] + {} replica(s) [{}] (process {}, {})",
            self.masters.len(),
            ports(&self.masters),
            self.replicas.len(),
            ports(&self.replicas),
            self.binary.display(),
            self.masters[0].version()
        )
    }

    /// Step 1's poll: replica `r` is linked and has applied everything the primary wrote.
    pub fn sync(&self, r: usize) -> Result<(), LiveError> {
        let mut primary = self.masters[0].connect()?;
        let mut replica = self.replicas[r].connect()?;
        let since = Instant::now();
        loop {
            let p = info_replication(&mut primary)?;
            let q = info_replication(&mut replica)?;
            let head = field(&p, "master_repl_offset");
            let up = field(&q, "master_link_status").as_deref() == Some("up");
            if up && head.is_some() && field(&q, "slave_repl_offset") == head {
                return Ok(());
            }
            if since.elapsed() > SYNC_TIMEOUT {
                return Err(LiveError::NotReady {
                    what: format!("replica {} of {}", r + 1, self.describe()),
                    waited: since.elapsed(),
                    detail: format!(
                        "link {:?}, replica offset {:?}, primary offset {head:?}",
                        field(&q, "master_link_status"),
                        field(&q, "slave_repl_offset")
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The primary has heard every linked replica acknowledge its whole stream. Replicas
    /// acknowledge on their own once a second; WAIT makes the primary ask at once, and it
    /// waits for the asking connection's last write: so a `PUBLISH` on a channel nobody
    /// subscribes to (propagated to replicas, no key touched) on our own connection, then
    /// `WAIT <linked> <timeout>`.
    pub fn await_acks(&self) -> Result<(), LiveError> {
        let linked = self.links.iter().filter(|l| **l == Link::Linked).count();
        if linked == 0 {
            return Ok(());
        }
        let mut primary = self.masters[0].connect()?;
        let (acked,): (usize,) = redis::pipe()
            .cmd("PUBLISH")
            .arg(ACK_CHANNEL)
            .arg("ack")
            .ignore()
            .cmd("WAIT")
            .arg(linked)
            .arg(SYNC_TIMEOUT.as_millis() as u64)
            .query(&mut primary)
            .map_err(|e| {
                LiveError::redis("PUBLISH + WAIT for the replicas' acknowledgements", e)
            })?;
        if acked < linked {
            return Err(LiveError::NotReady {
                what: format!("acknowledgements from the replicas of {}", self.describe()),
                waited: SYNC_TIMEOUT,
                detail: format!("WAIT {linked} answered {acked}"),
            });
        }
        Ok(())
    }

    /// Step 2: replica `r` keeps what it has and misses every later write.
    pub fn detach(&mut self, r: usize) -> Result<(), LiveError> {
        match self.links[r] {
            Link::Detached => return Ok(()),
            // What the kernel buffered for it would be applied before REPLICAOF NO ONE.
            Link::Paused => {
                return Err(LiveError::Config {
                    reason: format!(
                        "replica {} is paused with the stream buffered: it cannot be detached                          at its offset",
                        r + 1
                    ),
                })
            }
            Link::Linked => self.sync(r)?,
        }
        replicaof(&self.replicas[r], None)?;
        self.links[r] = Link::Detached;
        Ok(())
    }

    /// Step 3: replica `r` is paused at the primary's current offset, acknowledged.
    pub fn stop(&mut self, r: usize) -> Result<(), LiveError> {
        if self.links[r] != Link::Linked {
            return Ok(());
        }
        self.sync(r)?;
        self.await_acks()?;
        self.signal(r, libc::SIGSTOP)?;
        self.links[r] = Link::Paused;
        Ok(())
    }

    fn signal(&self, r: usize, sig: libc::c_int) -> Result<(), LiveError> {
        let pid = self.replicas[r].pid().expect("a process node has a pid");
        // SAFETY: kill(2) on our own child's pid, which Drop has not reaped yet.
        if unsafe { libc::kill(pid as libc::pid_t, sig) } == -1 {
            return Err(LiveError::io(
                format!("signalling replica {} (pid {pid})", r + 1),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(())
    }

    /// Step 4: replica `r` follows the primary again and catches up with it.
    pub fn relink(&mut self, r: usize) -> Result<(), LiveError> {
        if self.links[r] == Link::Paused {
            self.signal(r, libc::SIGCONT)?;
        }
        let port = self.masters[0].port().expect("a process node has a port");
        replicaof(&self.replicas[r], Some(port))?;
        self.links[r] = Link::Linked;
        self.sync(r)
    }

    /// Step 5: the primary dies, replica `r` becomes master 0, the others follow it. A
    /// paused replica cannot be promoted (what the kernel buffered for it would land first).
    pub fn promote(&mut self, r: usize) -> Result<(), LiveError> {
        if self.links[r] == Link::Paused {
            return Err(LiveError::Config {
                reason: format!(
                    "replica {} is paused with the stream buffered: it cannot be promoted",
                    r + 1
                ),
            });
        }
        let new = self.replicas.remove(r);
        self.links.remove(r);
        // Dropping the handle SIGKILLs the old primary and removes its temp dir.
        drop(std::mem::replace(&mut self.masters[0], new));
        replicaof(&self.masters[0], None)?;
        for q in 0..self.replicas.len() {
            self.relink(q)?;
        }
        Ok(())
    }

    /// Step 6: master `i` restarts empty on its port (linked replicas of master 0 resync).
    pub fn restart(&mut self, i: usize) -> Result<(), LiveError> {
        // The old child must be gone (killed and reaped) before the new one binds the port.
        let port = self.masters.remove(i).port();
        let node = self.node(port)?;
        self.masters.insert(i, node);
        if i == 0 {
            for r in 0..self.replicas.len() {
                if self.links[r] != Link::Detached {
                    self.relink(r)?;
                }
            }
        }
        Ok(())
    }
}

/// The binary a fleet runs, or why `spec` cannot run one.
fn fleet_binary(spec: &ServerSpec) -> Result<PathBuf, LiveError> {
    let no = |what: &str| LiveError::Config {
        reason: format!(
            "{what} is one server; replicas, independent masters and restarts need the process \
             backend: use --server process (redis-server children)"
        ),
    };
    match spec {
        ServerSpec::Process { binary } => Ok(binary.clone()),
        ServerSpec::Auto => match std::env::var("REDIS_URL") {
            Ok(u) if !u.trim().is_empty() => Err(no("REDIS_URL")),
            _ => Ok(PathBuf::from("redis-server")),
        },
        ServerSpec::External { .. } => Err(no("an external server (REDIS_URL)")),
        ServerSpec::Container { image } => Err(no(&format!("the container {image}"))),
        ServerSpec::Cluster { .. } => Err(no("the cluster backend")),
        ServerSpec::Cluster3 { .. } => Err(no("the cluster3 backend")),
    }
}

fn replicaof(node: &LiveServer, port: Option<u16>) -> Result<(), LiveError> {
    let mut con = node.connect()?;
    let mut cmd = redis::cmd("REPLICAOF");
    match port {
        Some(p) => cmd.arg("127.0.0.1").arg(p),
        None => cmd.arg("NO").arg("ONE"),
    };
    cmd.exec(&mut con).map_err(|e| {
        LiveError::redis(
            match port {
                Some(p) => format!("REPLICAOF 127.0.0.1 {p}"),
                None => "REPLICAOF NO ONE".into(),
            },
            e,
        )
    })
}

fn info_replication(con: &mut redis::Connection) -> Result<String, LiveError> {
    redis::cmd("INFO")
        .arg("replication")
        .query(con)
        .map_err(|e| LiveError::redis("reading INFO replication", e))
}

fn field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.trim_end()
            .strip_prefix(name)?
            .strip_prefix(':')
            .map(str::to_string)
    })
}
