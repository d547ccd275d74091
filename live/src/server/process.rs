//! A `redis-server` child on a free loopback port, optionally in cluster mode: a cluster of
//! one node, its config file in the child's temp dir, that assigns itself all 16384 slots
//! (`CLUSTER ADDSLOTSRANGE 0 16383`) and is ready once `CLUSTER INFO` says `cluster_state:ok`;
//! or a bare cluster node with no slots, for the three-master cluster (`super::cluster3`).
//! A cluster node's bus listens on a second free port (`--cluster-port`), never port+10000.
//!
//! The child is killed when the handle drops (including during a panic
//! unwind) and, through `PR_SET_PDEATHSIG`, when this process dies without
//! unwinding (SIGKILL, abort). Its output goes to a temp file so start-up
//! failures can quote it.

use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::IntoConnectionInfo;

use super::container::tail;
use super::{wait_for_ping, READY_TIMEOUT};
use crate::LiveError;

/// Temp dirs are named `<DIR_PREFIX><our pid>-<nanos>`.
const DIR_PREFIX: &str = "redis-races-proc-";

/// How many times a port lost to another process is retried.
const PORT_ATTEMPTS: usize = 5;

/// Why an attempt failed: worth another port, or not.
enum Failure {
    PortLost(LiveError),
    Fatal(LiveError),
}

pub(super) struct ProcessServer {
    /// The resolved binary path.
    pub(super) binary: PathBuf,
    /// Started with `--cluster-enabled yes` and every slot assigned.
    pub(super) cluster: bool,
    child: Child,
    port: u16,
    /// The cluster bus port (cluster mode only).
    pub(super) bus_port: Option<u16>,
    dir: PathBuf,
    log: PathBuf,
}

impl ProcessServer {
    /// Starts the server and waits until *our* child answers PING (checked
    /// through INFO's `process_id`, so a foreign server that grabbed the port
    /// first is never mistaken for ours).
    pub(super) fn start(binary: &Path, cluster: bool) -> Result<Self, LiveError> {
        Self::start_with(binary, cluster, cluster, None)
    }

    /// As [`ProcessServer::start`], on `port` when given (a restarted fleet node comes back
    /// where its clients reconnect; the port is not retried then).
    pub(super) fn start_at(
        binary: &Path,
        cluster: bool,
        port: Option<u16>,
    ) -> Result<Self, LiveError> {
        Self::start_with(binary, cluster, cluster, port)
    }

    /// A node in cluster mode that owns no slot yet (a member of `super::cluster3`).
    pub(super) fn start_cluster_node(binary: &Path) -> Result<Self, LiveError> {
        Self::start_with(binary, true, false, None)
    }

    fn start_with(
        binary: &Path,
        cluster_mode: bool,
        cluster: bool,
        at: Option<u16>,
    ) -> Result<Self, LiveError> {
        let binary = resolve_binary(binary)?;
        remove_stale_dirs();
        let dir =
            std::env::temp_dir().join(format!("{DIR_PREFIX}{}-{}", std::process::id(), nanos()));
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            // (Re)created each attempt: a failed attempt's Drop removes it.
            fs::create_dir_all(&dir)
                .map_err(|e| LiveError::io(format!("creating {}", dir.display()), e))?;
            let port = match at {
                Some(p) => p,
                None => free_port()?,
            };
            let bus_port = if cluster_mode {
                Some(free_port()?)
            } else {
                None
            };
            let log = dir.join(format!("redis-{port}.log"));
            let child = spawn(&binary, port, &dir, &log, bus_port)?;
            let server = ProcessServer {
                binary: binary.clone(),
                cluster,
                child,
                port,
                bus_port,
                dir: dir.clone(),
                log,
            };
            match server.wait_ready() {
                Ok(()) => return Ok(server),
                Err(Failure::PortLost(e)) if at.is_none() => last_error = Some(e),
                Err(Failure::PortLost(e)) => return Err(e),
                Err(Failure::Fatal(e)) => return Err(e),
            }
            // `server` drops here: kills the child, removes its log and dir.
        }
        Err(last_error.expect("at least one attempt"))
    }

    fn wait_ready(&self) -> Result<(), Failure> {
        let lost_or_fatal = |e: LiveError| {
            let out = fs::read_to_string(&self.log).unwrap_or_default();
            if out.contains("Address already in use") {
                Failure::PortLost(e)
            } else {
                Failure::Fatal(e)
            }
        };
        let info = self
            .addr()
            .into_connection_info()
            .map_err(|e| Failure::Fatal(LiveError::redis("building connection info", e)))?;
        let what = format!("process {} at {}", self.binary.display(), self.addr());
        let mut con = wait_for_ping(&info, READY_TIMEOUT, &what, || self.check_alive())
            .map_err(lost_or_fatal)?;
        let server_info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut con)
            .map_err(|e| Failure::Fatal(LiveError::redis("reading INFO server", e)))?;
        let pid = server_info
            .lines()
            .find_map(|l| l.trim().strip_prefix("process_id:"))
            .and_then(|p| p.parse::<u32>().ok());
        if pid == Some(self.child.id()) {
            if self.cluster {
                self.own_every_slot(&mut con).map_err(Failure::Fatal)?;
            }
            Ok(())
        } else {
            Err(Failure::PortLost(LiveError::Spawn {
                binary: self.binary.display().to_string(),
                reason: format!(
                    "port {} answers from process {pid:?}, not from our child {}; output: {}",
                    self.port,
                    self.child.id(),
                    self.output_tail()
                ),
            }))
        }
    }

    /// Assigns every hash slot to this node and waits until the cluster reports ok.
    fn own_every_slot(&self, con: &mut redis::Connection) -> Result<(), LiveError> {
        redis::cmd("CLUSTER")
            .arg("ADDSLOTSRANGE")
            .arg(0)
            .arg(16383)
            .exec(con)
            .map_err(|e| LiveError::redis("CLUSTER ADDSLOTSRANGE 0 16383", e))?;
        let started = std::time::Instant::now();
        loop {
            let info: String = redis::cmd("CLUSTER")
                .arg("INFO")
                .query(con)
                .map_err(|e| LiveError::redis("CLUSTER INFO", e))?;
            if info.lines().any(|l| l.trim() == "cluster_state:ok") {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(LiveError::NotReady {
                    what: format!("cluster node {} at {}", self.binary.display(), self.addr()),
                    waited: started.elapsed(),
                    detail: "CLUSTER INFO never said cluster_state:ok".to_string(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(super) fn port(&self) -> u16 {
        self.port
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(super) fn addr(&self) -> redis::ConnectionAddr {
        redis::ConnectionAddr::Tcp("127.0.0.1".to_string(), self.port)
    }

    /// Fails fast, quoting the server's output, if the child has exited.
    pub(super) fn check_alive(&self) -> Result<(), LiveError> {
        // `try_wait` needs `&mut Child`; probing /proc avoids reaping (and so
        // recycling the PID) behind Drop's back.
        let stat =
            fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|s| s.split_whitespace().next());
        if matches!(state, None | Some("Z") | Some("X")) {
            return Err(LiveError::Spawn {
                binary: self.binary.display().to_string(),
                reason: format!("the server exited at start-up: {}", self.output_tail()),
            });
        }
        Ok(())
    }

    fn output_tail(&self) -> String {
        tail(&fs::read_to_string(&self.log).unwrap_or_default(), 5)
    }
}

impl Drop for ProcessServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The log, and a cluster node's nodes.conf: the dir is this server's alone.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Removes the temp dirs of runs that were killed before their Drop ran
/// (their PID no longer exists), so SIGKILLed runs do not pile up logs.
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The binary `start` runs: plain `redis-server` is whatever
/// [`crate::provision::redis_server_binary`] finds (the host's, else the image's copy);
/// any other name is [`find_binary`]'s.
fn resolve_binary(binary: &Path) -> Result<PathBuf, LiveError> {
    if binary == Path::new("redis-server") {
        crate::provision::redis_server_binary()
    } else {
        find_binary(binary)
    }
}

/// Resolves a bare name on PATH; checks an explicit path exists.
pub(crate) fn find_binary(binary: &Path) -> Result<PathBuf, LiveError> {
    let not_found = || LiveError::BinaryNotFound {
        binary: binary.display().to_string(),
    };
    if binary.components().count() > 1 {
        return if binary.is_file() {
            Ok(binary.to_path_buf())
        } else {
            Err(not_found())
        };
    }
    binary.to_str().and_then(search_path).ok_or_else(not_found)
}

/// The first executable `name` in a PATH directory.
pub(crate) fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A port the kernel just considered free. Another process may still take it
/// before the server binds; `start` retries in that case.
fn free_port() -> Result<u16, LiveError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| LiveError::io("finding a free port on 127.0.0.1", e))
}

fn spawn(
    binary: &Path,
    port: u16,
    dir: &Path,
    log: &Path,
    bus_port: Option<u16>,
) -> Result<Child, LiveError> {
    let out =
        File::create(log).map_err(|e| LiveError::io(format!("creating {}", log.display()), e))?;
    let err = out
        .try_clone()
        .map_err(|e| LiveError::io(format!("duplicating {}", log.display()), e))?;
    let mut cmd = Command::new(binary);
    cmd.args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", ""])
        .args(["--appendonly", "no"])
        .args(["--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .current_dir(dir)
        .args(match bus_port {
            Some(bus) => vec![
                "--cluster-enabled".into(),
                "yes".into(),
                "--cluster-port".into(),
                bus.to_string().into(),
                "--cluster-config-file".into(),
                dir.join(format!("nodes-{port}.conf")).into_os_string(),
            ],
            None => vec![],
        })
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and only calls the
    // async-signal-safe prctl(2) and getppid(2); it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) == -1
            {
                return Err(io::Error::last_os_error());
            }
            // We may have died between fork and prctl: then nobody would kill us.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    spawn_from_long_lived_thread(cmd).map_err(|e| LiveError::Spawn {
        binary: binary.display().to_string(),
        reason: e.to_string(),
    })
}

type SpawnRequest = (Command, Sender<io::Result<Child>>);

/// Spawns `cmd` from a thread that lives as long as the process.
///
/// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not
/// the process: a server started from a short-lived thread (every test runs in
/// its own) would be killed when that thread ends, even if its handle was
/// moved elsewhere. Forking from one permanent thread ties the signal to the
/// process's death only.
fn spawn_from_long_lived_thread(cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("redis-races-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .ok()
            .map(|_| tx)
    });
    let spawner = spawner
        .as_ref()
        .ok_or_else(|| io::Error::other("could not start the spawner thread"))?;
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    reply_rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| io::Error::other("the spawner thread did not answer"))?
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binary_says_what_to_install() {
        let msg = find_binary(Path::new("redis-server-that-does-not-exist"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("apt-get install redis-server"), "{msg}");
        assert!(find_binary(Path::new("/nonexistent/redis-server")).is_err());
    }
}
