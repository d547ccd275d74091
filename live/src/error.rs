//! The one error type of this crate.
//!
//! Every message is a single line that names what went wrong *and* what to do
//! about it, because these errors end up verbatim in a CLI or a test failure.

use std::fmt;
use std::time::Duration;

/// Why no usable Redis server could be obtained (or cleaned up).
#[derive(Debug)]
#[non_exhaustive]
pub enum LiveError {
    /// `Auto` found no backend at all.
    NoBackend {
        /// What each backend said, e.g. "REDIS_URL unset; Docker: ...; redis-server: not on PATH".
        tried: String,
    },
    /// A `--server` name that [`crate::ServerSpec::parse`] does not know.
    UnknownServer {
        /// The name as given.
        name: String,
    },
    /// A configuration value (URL, environment variable) that cannot be used.
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The Docker engine does not answer.
    DockerUnavailable {
        /// The engine address that was tried (DOCKER_HOST or the default socket).
        host: String,
        /// Why it did not answer.
        reason: String,
    },
    /// The image is not present locally (nothing is ever pulled).
    ImageMissing {
        /// Full image reference, e.g. `redis-races/redis:7.0`.
        image: String,
    },
    /// A missing image could not be built (see `crate::provision`).
    ImageBuild {
        /// Full image reference.
        image: String,
        /// The build that was tried, e.g. `bash images/build.sh --tag ... redis-7.0`.
        how: String,
        /// The build's last error line.
        reason: String,
    },
    /// Docker refused or failed to run the container.
    Container {
        /// Full image reference.
        image: String,
        /// The underlying failure.
        reason: String,
    },
    /// The `redis-server` binary could not be found.
    BinaryNotFound {
        /// The binary that was looked for.
        binary: String,
    },
    /// No `redis-server` on PATH, and none could be unpacked from the image
    /// (see `crate::provision::redis_server_binary`).
    NoServerBinary {
        /// The image the binary was to come from.
        image: String,
        /// Why unpacking it failed.
        reason: String,
    },
    /// The server process could not be started.
    Spawn {
        /// The binary that was run.
        binary: String,
        /// The underlying failure, including the server's own output when there is any.
        reason: String,
    },
    /// The server never answered PING.
    NotReady {
        /// Which server, e.g. "container redis-races/redis:7.0 at 127.0.0.1:32771".
        what: String,
        /// How long we waited.
        waited: Duration,
        /// The last error seen, plus the tail of the server's output when available.
        detail: String,
    },
    /// The suite's database on an external server already holds keys.
    DbNotEmpty {
        /// The server URL, password redacted.
        url: String,
        /// The database index the suite would use.
        db: i64,
        /// DBSIZE of that database.
        keys: u64,
    },
    /// A Redis command failed.
    Redis {
        /// What we were doing.
        context: String,
        /// The client's error.
        source: redis::RedisError,
    },
    /// A local I/O operation failed.
    Io {
        /// What we were doing.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl LiveError {
    pub(crate) fn redis(context: impl Into<String>, source: redis::RedisError) -> Self {
        LiveError::Redis {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        LiveError::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::NoBackend { tried } => write!(
                f,
                "no Redis server available ({tried}): install redis-server \
                 (apt-get install redis-server) or start a Docker engine (the images are \
                 then built on first use), or set REDIS_URL"
            ),
            LiveError::UnknownServer { name } => write!(
                f,
                "unknown server '{name}': expected one of {}, or a redis:// URL",
                crate::server::SERVER_NAMES.join(", ")
            ),
            LiveError::Config { reason } => write!(f, "{reason}"),
            LiveError::DockerUnavailable { host, reason } => write!(
                f,
                "Docker engine at {host} does not answer ({reason}): start Docker \
                 (or fix DOCKER_HOST), or use the process backend (--server process)"
            ),
            LiveError::ImageMissing { image } => write!(
                f,
                "image {image} not found, and it is not one `bash images/build.sh` builds \
                 ({}): build or pull it yourself (nothing is pulled from a registry)",
                crate::server::IMAGES.map(|(_, i)| i).join(", ")
            ),
            LiveError::ImageBuild { image, how, reason } => write!(
                f,
                "image {image} is missing and building it failed: {} [`{how}`; fix that \
                 (run as root on Debian with a Docker engine and access to deb.debian.org), \
                 or set REDIS_URL, or REDIS_RACES_SKIP_LIVE=1 to skip live tests]",
                one_line(reason)
            ),
            LiveError::Container { image, reason } => write!(
                f,
                "could not run a container from {image}: {reason} \
                 (check `docker info`; rebuild with `bash images/build.sh --force`)"
            ),
            LiveError::BinaryNotFound { binary } => write!(
                f,
                "{binary} not found on PATH: install redis-server \
                 (apt-get install redis-server) or pass the binary's full path"
            ),
            LiveError::NoServerBinary { image, reason } => write!(
                f,
                "redis-server is not on PATH and none could be unpacked from the image {image}: \
                 {} [install redis-server (apt-get install redis-server), or start a Docker \
                 engine, or set {}=/path/to/redis-server, or REDIS_RACES_SKIP_LIVE=1 to skip \
                 live tests]",
                one_line(reason),
                crate::provision::BINARY_ENV
            ),
            LiveError::Spawn { binary, reason } => {
                write!(f, "could not start {binary}: {reason}")
            }
            LiveError::NotReady {
                what,
                waited,
                detail,
            } => write!(
                f,
                "{what} did not answer PING within {:.1}s: {detail}",
                waited.as_secs_f64()
            ),
            LiveError::DbNotEmpty { url, db, keys } => write!(
                f,
                "database {db} on {url} already holds {keys} key(s) and the suite never \
                 touches data it did not write: choose an empty database with \
                 REDIS_RACES_DB=N, or let the suite FLUSHDB database {db} (only that one) \
                 with REDIS_RACES_ALLOW_FLUSH=1"
            ),
            LiveError::Redis { context, source } => write!(
                f,
                "redis error while {context}: {}",
                one_line(&source.to_string())
            ),
            LiveError::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for LiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LiveError::Redis { source, .. } => Some(source),
            LiveError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Collapses whitespace runs (newlines included) so messages stay on one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
