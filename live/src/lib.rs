//! Real Redis servers for replaying the model checker's traces.
//!
//! [`LiveServer::start`] obtains a server from a [`ServerSpec`]: an external
//! one (`REDIS_URL`, handled with [`SafetyOptions`] so other people's data is
//! never touched), a throw-away container from a locally built image, or a
//! `redis-server` child process. Whatever the backend, the handle only comes
//! back once the server answers PING, and dropping it leaves nothing behind.

pub mod backend;
mod docker;
mod error;
pub mod executor;
pub mod lock;
pub mod nemesis;
pub mod provision;
pub mod route;
mod server;

pub use docker::{docker_available, docker_host, image_exists};
pub use error::LiveError;
pub use executor::{run_schedule, ExecOptions, LiveRun, Mismatch};
pub use server::{
    Link, LiveFleet, LiveServer, SafetyOptions, ServerSpec, CLUSTER_READY_TIMEOUT,
    DEFAULT_EXTERNAL_DB, DEFAULT_IMAGE, EXTERNAL_READY_TIMEOUT, IMAGES, OWNER_LABEL, READY_TIMEOUT,
    SERVER_NAMES,
};

/// Environment variable that lets live tests pass without a server.
pub const SKIP_LIVE_ENV: &str = "REDIS_RACES_SKIP_LIVE";

/// True when `REDIS_RACES_SKIP_LIVE=1`: live tests may then skip instead of
/// failing. Skipping is opt-in so a missing backend never passes silently.
pub fn live_tests_skipped() -> bool {
    std::env::var(SKIP_LIVE_ENV).is_ok_and(|v| v.trim() == "1")
}

/// Starts `spec` (with [`SafetyOptions::default`]) for a test.
///
/// Returns `None` only when the server cannot be had *and* skipping was
/// explicitly requested ([`live_tests_skipped`]); the test should then
/// return early. Otherwise a failure panics with the reason, so CI cannot
/// go green without having talked to a real server.
pub fn require_server_for_tests(spec: &ServerSpec) -> Option<LiveServer> {
    match LiveServer::start(spec, &SafetyOptions::default()) {
        Ok(server) => Some(server),
        Err(e) if live_tests_skipped() => {
            eprintln!("SKIPPED live test ({SKIP_LIVE_ENV}=1): {e}");
            None
        }
        Err(e) => panic!(
            "live test needs a real server ({spec:?}) and could not get one: {e} \
             [set {SKIP_LIVE_ENV}=1 to skip live tests on a machine without it]"
        ),
    }
}
