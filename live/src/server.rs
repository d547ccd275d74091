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

use std::time::{Duration, Instant};

use redis::{ConnectionInfo, IntoConnectionInfo};

use crate::LiveError;

mod cluster3;
mod container;
mod external;
mod fleet;
mod process;
mod spec;

pub use cluster3::CLUSTER_READY_TIMEOUT;
pub use fleet::{Link, LiveFleet};

pub(crate) use external::{glob_escape, scan_prefixed};
pub(crate) use process::{find_binary, search_path};
pub use spec::{
    SafetyOptions, ServerSpec, DEFAULT_EXTERNAL_DB, DEFAULT_IMAGE, EXTERNAL_READY_TIMEOUT, IMAGES,
    OWNER_LABEL, READY_TIMEOUT, SERVER_NAMES,
};

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

pub(super) fn env_nonempty(name: &str) -> Option<String> {
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
