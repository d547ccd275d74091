//! Choosing, starting, describing and cleaning up a real Redis server.
//!
//! Three backends, one handle ([`LiveServer`]):
//! * **external** (`REDIS_URL`): somebody else's server. The suite confines
//!   itself to one database index and a per-run key prefix, refuses a
//!   non-empty database, and deletes only its own keys.
//! * **container**: a throw-away container from a locally built image
//!   (`images/build.sh`, run by [`crate::provision`] when the image is
//!   missing), removed on drop.
//! * **process**: a `redis-server` child on a free loopback port, killed on
//!   drop and when this process dies. Plain `redis-server` is the host's, or
//!   without one the image's copy ([`crate::provision::redis_server_binary`]).
//! * **cluster3**: three such children forming a three-master Redis Cluster
//!   (`cluster3`); commands reach them through [`crate::route`].
//!
//! A [`LiveFleet`] is several process-backend servers: N masters and the first one's
//! replicas, for schedules with more than one server (`server/fleet.rs`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use redis::{ConnectionInfo, IntoConnectionInfo};

use crate::LiveError;

mod cluster3;
mod container;
mod external;
mod fleet;
mod process;

pub use cluster3::CLUSTER_READY_TIMEOUT;
pub use fleet::{Link, LiveFleet};

pub(crate) use process::{find_binary, search_path};

/// Image used by `Auto`/`default` when `REDIS_IMAGE` is not set.
pub const DEFAULT_IMAGE: &str = "redis-races/redis:7.0";
/// Database index used on external servers unless told otherwise: not 0,
/// because 0 is where people keep the data they care about.
pub const DEFAULT_EXTERNAL_DB: i64 = 9;
/// Docker label put on every container we start; its value is our PID, so
/// leaked containers can be found (`docker ps -a --filter label=redis-races.owner`).
pub const OWNER_LABEL: &str = "redis-races.owner";
/// How long a server we own may take to answer PING.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long an external server may take to answer PING (it should already be up).
pub const EXTERNAL_READY_TIMEOUT: Duration = Duration::from_secs(5);

/// The names [`ServerSpec::parse`] accepts (besides redis:// URLs).
pub const SERVER_NAMES: [&str; 8] = [
    "default",
    "redis-6.0",
    "redis-7.0",
    "redis-8.0",
    "valkey-8.1",
    "process",
    "cluster",
    "cluster3",
];

/// Container images behind the versioned server names (built by `images/build.sh`).
pub const IMAGES: [(&str, &str); 4] = [
    ("redis-6.0", "redis-races/redis:6.0"),
    ("redis-7.0", "redis-races/redis:7.0"),
    ("redis-8.0", "redis-races/redis:8.0"),
    ("valkey-8.1", "redis-races/valkey:8.1"),
];

/// Which server to use.
///
/// `Auto` chooses: `REDIS_URL` set -> `External`; else a Docker engine answers
/// -> `Container` with image `REDIS_IMAGE` or [`DEFAULT_IMAGE`]; else
/// `redis-server` on PATH -> `Process`; otherwise an error saying what to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSpec {
    /// Pick a backend from the environment (see the type's docs).
    Auto,
    /// A server someone else runs, reached by URL (`redis://`, `rediss://`, `redis+unix://`, `unix://`).
    External {
        /// The server URL; a database in the URL is honoured unless [`SafetyOptions::db`] is set.
        url: String,
    },
    /// A container from a local image; nothing is ever pulled.
    Container {
        /// Full image reference, e.g. `redis-races/redis:7.0`.
        image: String,
    },
    /// A `redis-server` child process.
    Process {
        /// The binary: a path, or a bare name looked up on PATH.
        binary: PathBuf,
    },
    /// A `redis-server` child process in cluster mode, a cluster of one node that owns all
    /// 16384 hash slots (`--cluster-enabled yes`, `CLUSTER ADDSLOTSRANGE 0 16383`): every key
    /// is local, and multi-key work across slots meets CROSSSLOT as on any cluster.
    Cluster {
        /// The binary, as for `Process`.
        binary: PathBuf,
    },
    /// Three `redis-server` children forming a Redis Cluster of three masters, owning slots
    /// 0-5460, 5461-10922 and 10923-16383 ([`crate::route::MASTER_SLOTS`]). Commands reach
    /// the master of their keys through [`crate::route`].
    Cluster3 {
        /// The binary, as for `Process`.
        binary: PathBuf,
    },
}

impl ServerSpec {
    /// Parses a CLI name: `default` (= `Auto`), `redis-6.0` | `redis-7.0` |
    /// `redis-8.0` | `valkey-8.1` (= `Container` with the matching
    /// `redis-races/...` image), `process`, `cluster`, `cluster3`, or a redis:// URL.
    pub fn parse(s: &str) -> Result<Self, LiveError> {
        let s = s.trim();
        if s == "default" {
            return Ok(ServerSpec::Auto);
        }
        if s == "process" {
            return Ok(ServerSpec::Process {
                binary: PathBuf::from("redis-server"),
            });
        }
        if s == "cluster" {
            return Ok(ServerSpec::Cluster {
                binary: PathBuf::from("redis-server"),
            });
        }
        if s == "cluster3" {
            return Ok(ServerSpec::Cluster3 {
                binary: PathBuf::from("redis-server"),
            });
        }
        if let Some((_, image)) = IMAGES.iter().find(|(name, _)| *name == s) {
            return Ok(ServerSpec::Container {
                image: (*image).to_string(),
            });
        }
        if ["redis://", "rediss://", "redis+unix://", "unix://"]
            .iter()
            .any(|scheme| s.starts_with(scheme))
        {
            external::validate_url(s)?;
            return Ok(ServerSpec::External { url: s.to_string() });
        }
        Err(LiveError::UnknownServer {
            name: s.to_string(),
        })
    }

    /// Turns `Auto` into the concrete backend it stands for right now (other
    /// variants are returned unchanged), so callers can say what they chose.
    pub fn resolve(&self) -> Result<ServerSpec, LiveError> {
        if *self != ServerSpec::Auto {
            return Ok(self.clone());
        }
        if let Some(url) = env_nonempty("REDIS_URL") {
            return Ok(ServerSpec::External { url });
        }
        if crate::docker::docker_available().is_ok() {
            let image = env_nonempty("REDIS_IMAGE").unwrap_or_else(|| DEFAULT_IMAGE.to_string());
            return Ok(ServerSpec::Container { image });
        }
        let binary = PathBuf::from("redis-server");
        if search_path("redis-server").is_some() {
            return Ok(ServerSpec::Process { binary });
        }
        Err(LiveError::NoBackend {
            tried: format!(
                "REDIS_URL unset, no Docker engine answers at {}, redis-server not on PATH",
                crate::docker::docker_host()
            ),
        })
    }
}

/// Guard rails for servers the suite does not own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyOptions {
    /// May the suite FLUSHDB its own database on an external server that is not
    /// empty? Never FLUSHALL, never another database. `Default`: env
    /// `REDIS_RACES_ALLOW_FLUSH=1`.
    pub allow_flush: bool,
    /// The database index the suite uses; `None` means 9 on external servers
    /// and 0 on servers we own. `Default`: env `REDIS_RACES_DB`.
    pub db: Option<i64>,
}

impl SafetyOptions {
    /// Reads `REDIS_RACES_ALLOW_FLUSH` and `REDIS_RACES_DB`, rejecting
    /// malformed values instead of guessing (a wrong guess could touch data).
    pub fn from_env() -> Result<Self, LiveError> {
        let allow_flush = match env_nonempty("REDIS_RACES_ALLOW_FLUSH").as_deref() {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(LiveError::Config {
                    reason: format!("REDIS_RACES_ALLOW_FLUSH='{other}': use 1 to allow FLUSHDB of the suite's database, or 0/unset"),
                })
            }
        };
        let db = match env_nonempty("REDIS_RACES_DB") {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    return Err(LiveError::Config {
                        reason: format!(
                            "REDIS_RACES_DB='{v}': expected a database index such as 9"
                        ),
                    })
                }
            },
        };
        Ok(SafetyOptions { allow_flush, db })
    }
}

impl Default for SafetyOptions {
    /// Same as [`SafetyOptions::from_env`].
    ///
    /// # Panics
    /// If `REDIS_RACES_DB` or `REDIS_RACES_ALLOW_FLUSH` is malformed: silently
    /// falling back to another database could destroy someone's data.
    fn default() -> Self {
        SafetyOptions::from_env().unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A running, PING-answering server plus everything needed to use it safely.
///
/// Dropping it stops what we started (container removed, process killed); for
/// an external server it deletes this run's keys, best effort.
pub struct LiveServer {
    backend: Backend,
    info: ConnectionInfo,
    db: i64,
    key_prefix: String,
    version: String,
    product: String,
}

enum Backend {
    External(external::External),
    Container(container::ContainerServer),
    Process(process::ProcessServer),
    Cluster3(cluster3::Cluster3),
}

impl LiveServer {
    /// Starts (or, for `External`, checks and claims) a server and waits until
    /// it answers PING.
    pub fn start(spec: &ServerSpec, opts: &SafetyOptions) -> Result<LiveServer, LiveError> {
        if let Some(db) = opts.db {
            if db < 0 {
                return Err(LiveError::Config {
                    reason: format!(
                        "database index {db} is negative: use REDIS_RACES_DB=N with N >= 0"
                    ),
                });
            }
        }
        match spec.resolve()? {
            ServerSpec::Auto => unreachable!("resolve() never returns Auto"),
            ServerSpec::External { url } => external::start(&url, opts),
            ServerSpec::Container { image } => {
                let server = container::ContainerServer::start(&image)?;
                owned(Backend::Container(server), opts)
            }
            ServerSpec::Process { binary } => {
                let server = process::ProcessServer::start(&binary, false)?;
                owned(Backend::Process(server), opts)
            }
            ServerSpec::Cluster { binary } => {
                let server = process::ProcessServer::start(&binary, true)?;
                owned(Backend::Process(server), opts)
            }
            ServerSpec::Cluster3 { binary } => {
                let cluster = cluster3::Cluster3::start(&binary)?;
                owned(Backend::Cluster3(cluster), opts)
            }
        }
    }

    /// `"external"`, `"container"`, `"process"`, `"cluster"` or `"cluster3"`.
    pub fn backend(&self) -> &'static str {
        match &self.backend {
            Backend::External(_) => "external",
            Backend::Container(_) => "container",
            Backend::Process(p) if p.cluster => "cluster",
            Backend::Process(_) => "process",
            Backend::Cluster3(_) => "cluster3",
        }
    }

    /// Whether the server runs in cluster mode (the `cluster` and `cluster3` backends).
    pub fn is_cluster(&self) -> bool {
        matches!(&self.backend, Backend::Process(p) if p.cluster)
            || matches!(self.backend, Backend::Cluster3(_))
    }

    /// One line for logs and reports, e.g.
    /// `container redis-races/redis:7.0 at 127.0.0.1:32771 (Redis 7.0.15)`.
    pub fn describe(&self) -> String {
        let at = self.info.addr();
        let what = format!("{} {}", self.product, self.version);
        match &self.backend {
            Backend::External(e) => format!(
                "external {} db {} prefix {} ({what})",
                e.redacted_url, self.db, self.key_prefix
            ),
            Backend::Container(c) => format!("container {} at {at} ({what})", c.image),
            Backend::Process(p) if p.cluster => format!(
                "cluster node (process {}, all 16384 slots) at {at} ({what})",
                p.binary.display()
            ),
            Backend::Process(p) => format!("process {} at {at} ({what})", p.binary.display()),
            Backend::Cluster3(c) => format!(
                "cluster3 (three masters, process {}) at {} ({what})",
                c.binary.display(),
                c.nodes
                    .iter()
                    .map(|n| n.port().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// `redis_version` (or `valkey_version` for Valkey) from INFO server.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Connection parameters, already pointing at the suite's database.
    pub fn connection_info(&self) -> ConnectionInfo {
        self.info.clone()
    }

    /// A new connection with the suite's database selected.
    pub fn connect(&self) -> Result<redis::Connection, LiveError> {
        connect(&self.info, Duration::from_secs(5))
            .map_err(|e| LiveError::redis(format!("connecting to {}", self.info.addr()), e))
    }

    /// The database index the suite owns on this server.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// Per-run key namespace (`rr:<pid>-<nanos>:`) on external servers, `""`
    /// on servers we own. The executor prefixes every key with it.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// Docker container id, for the container backend (diagnostics, leak checks).
    pub fn container_id(&self) -> Option<&str> {
        match &self.backend {
            Backend::Container(c) => Some(c.id()),
            _ => None,
        }
    }

    /// PID of the `redis-server` child, for the process backend.
    pub fn pid(&self) -> Option<u32> {
        match &self.backend {
            Backend::Process(p) => Some(p.pid()),
            _ => None,
        }
    }

    /// The loopback port of a process-backend server.
    pub fn port(&self) -> Option<u16> {
        match &self.backend {
            Backend::Process(p) => Some(p.port()),
            _ => None,
        }
    }

    /// Removes only what this run wrote. External servers: SCAN MATCH
    /// `<prefix>*` + UNLINK in the suite's database (never FLUSHALL, never
    /// FLUSHDB). Servers we own: FLUSHDB of the suite's database.
    pub fn cleanup(&self) -> Result<(), LiveError> {
        for i in 1..self.masters() {
            redis::cmd("FLUSHDB")
                .exec(&mut self.connect_node(i)?)
                .map_err(|e| LiveError::redis(format!("FLUSHDB of master {i}"), e))?;
        }
        let mut con = self.connect()?;
        if self.key_prefix.is_empty() {
            redis::cmd("FLUSHDB")
                .exec(&mut con)
                .map_err(|e| LiveError::redis(format!("FLUSHDB of db {}", self.db), e))
        } else {
            external::delete_prefixed(&mut con, &self.key_prefix)
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        // Owned backends clean up in their own Drop (kill / remove). An
        // external server outlives us: leave it as we found it, so the next
        // run does not find a non-empty database.
        if let Backend::External(_) = self.backend {
            if let Err(e) = self.cleanup() {
                eprintln!(
                    "redis-races: could not delete keys {}* from db {}: {e}",
                    self.key_prefix, self.db
                );
            }
        }
    }
}

impl std::fmt::Debug for LiveServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Finishes start-up for a server we own: selects the database, reads the version.
fn owned(backend: Backend, opts: &SafetyOptions) -> Result<LiveServer, LiveError> {
    let (addr, what) = match &backend {
        Backend::Container(c) => (c.addr(), format!("container {} at {}", c.image, c.addr())),
        Backend::Process(p) => (
            p.addr(),
            format!("process {} at {}", p.binary.display(), p.addr()),
        ),
        Backend::Cluster3(c) => (
            c.nodes[0].addr(),
            format!("cluster3 master 0 at {}", c.nodes[0].addr()),
        ),
        Backend::External(_) => unreachable!("external servers are not owned"),
    };
    let db = opts.db.unwrap_or(0);
    let info = with_db(
        addr.into_connection_info()
            .map_err(|e| LiveError::redis("building connection info", e))?,
        db,
    );
    let mut con = match &backend {
        Backend::Process(p) => wait_for_ping(&info, READY_TIMEOUT, &what, || p.check_alive())?,
        Backend::Container(c) => wait_for_ping(&info, READY_TIMEOUT, &what, || c.check_alive())?,
        Backend::Cluster3(c) => wait_for_ping(&info, READY_TIMEOUT, &what, || c.check_alive())?,
        Backend::External(_) => unreachable!(),
    };
    let (product, version) = server_version(&mut con)?;
    Ok(LiveServer {
        backend,
        info,
        db,
        key_prefix: String::new(),
        version,
        product,
    })
}

pub(crate) fn with_db(info: ConnectionInfo, db: i64) -> ConnectionInfo {
    let settings = info.redis_settings().clone().set_db(db);
    info.set_redis_settings(settings)
}

pub(crate) fn connect(
    info: &ConnectionInfo,
    timeout: Duration,
) -> redis::RedisResult<redis::Connection> {
    redis::Client::open(info.clone())?.get_connection_with_timeout(timeout)
}

/// Polls until a fresh connection (which also SELECTs our database) answers
/// PING, or `timeout` passes. `alive` lets the backend stop early with a
/// better message when the server has already died.
pub(crate) fn wait_for_ping(
    info: &ConnectionInfo,
    timeout: Duration,
    what: &str,
    mut alive: impl FnMut() -> Result<(), LiveError>,
) -> Result<redis::Connection, LiveError> {
    let started = Instant::now();
    let mut last;
    loop {
        alive()?;
        match connect(info, Duration::from_millis(500)).and_then(|mut con| {
            con.set_read_timeout(Some(Duration::from_secs(2)))?;
            let pong: String = redis::cmd("PING").query(&mut con)?;
            Ok((con, pong))
        }) {
            Ok((con, pong)) if pong == "PONG" => {
                con.set_read_timeout(None)
                    .map_err(|e| LiveError::redis("resetting the read timeout", e))?;
                return Ok(con);
            }
            Ok((_, other)) => last = format!("PING answered '{other}'"),
            Err(e) if is_transient(&e) => last = crate::error::one_line(&e.to_string()),
            // The server answered and said no (bad password, DB index out of
            // range...): waiting will not change its mind.
            Err(e) => return Err(LiveError::redis(format!("connecting to {what}"), e)),
        }
        if started.elapsed() >= timeout {
            return Err(LiveError::NotReady {
                what: what.to_string(),
                waited: started.elapsed(),
                detail: last,
            });
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Errors that mean "not up yet" rather than "will never work".
fn is_transient(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_connection_dropped()
        || matches!(
            e.code(),
            Some("LOADING" | "BUSY" | "MASTERDOWN" | "TRYAGAIN")
        )
}

/// `("Redis", "7.0.15")` or `("Valkey", "8.1.1")` from INFO server.
pub(crate) fn server_version(con: &mut redis::Connection) -> Result<(String, String), LiveError> {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(con)
        .map_err(|e| LiveError::redis("reading INFO server", e))?;
    Ok(parse_version(&info))
}

fn parse_version(info: &str) -> (String, String) {
    let field = |name: &str| {
        info.lines().find_map(|l| {
            l.trim_end()
                .strip_prefix(name)?
                .strip_prefix(':')
                .map(str::to_string)
        })
    };
    if let Some(v) = field("valkey_version") {
        ("Valkey".to_string(), v)
    } else {
        (
            "Redis".to_string(),
            field("redis_version").unwrap_or_else(|| "unknown".to_string()),
        )
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_cli_name() {
        assert_eq!(ServerSpec::parse("default").unwrap(), ServerSpec::Auto);
        assert_eq!(
            ServerSpec::parse("redis-6.0").unwrap(),
            ServerSpec::Container {
                image: "redis-races/redis:6.0".into()
            }
        );
        assert_eq!(
            ServerSpec::parse("valkey-8.1").unwrap(),
            ServerSpec::Container {
                image: "redis-races/valkey:8.1".into()
            }
        );
        assert_eq!(
            ServerSpec::parse("process").unwrap(),
            ServerSpec::Process {
                binary: "redis-server".into()
            }
        );
        assert_eq!(
            ServerSpec::parse("cluster3").unwrap(),
            ServerSpec::Cluster3 {
                binary: "redis-server".into()
            }
        );
        assert_eq!(
            ServerSpec::parse("redis://127.0.0.1:6379/3").unwrap(),
            ServerSpec::External {
                url: "redis://127.0.0.1:6379/3".into()
            }
        );
    }

    #[test]
    fn unknown_name_lists_the_accepted_ones() {
        let msg = ServerSpec::parse("redis-5.0").unwrap_err().to_string();
        for name in SERVER_NAMES {
            assert!(msg.contains(name), "{msg}");
        }
        assert!(msg.contains("redis://"), "{msg}");
    }

    #[test]
    fn version_prefers_valkey() {
        let redis = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n";
        assert_eq!(parse_version(redis), ("Redis".into(), "7.0.15".into()));
        let valkey =
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.1\r\n";
        assert_eq!(parse_version(valkey), ("Valkey".into(), "8.1.1".into()));
    }
}
