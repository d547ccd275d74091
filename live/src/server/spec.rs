//! Which server to use, and how safely: the names `--server` takes ([`ServerSpec`], resolved
//! from `REDIS_URL`, a local image or a `redis-server` on PATH), the rules for somebody else's
//! server ([`SafetyOptions`]: the database index, refusing a non-empty one), and the names,
//! images and timeouts they share.

use std::path::PathBuf;
use std::time::Duration;

use super::{env_nonempty, external, search_path};
use crate::LiveError;

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
