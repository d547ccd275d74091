//! A Redis lock you can use: `SET name token NX PX ttl` with a random token, release by
//! compare-and-delete, extend by compare-and-PEXPIRE, an optional auto-renewal thread that
//! tells the holder when the lock is lost, and a fencing token (`INCR name:fence`).
//!
//! The commands and script texts are exactly the catalogue row `lock/client`'s (the scripts
//! are [`model::recipes::lock::CLIENT_RELEASE`] and [`CLIENT_EXTEND`], shared, so they cannot
//! drift): the model checker proves mutual exclusion under the fault models `none` and
//! `crash`. A holder paused past its lease is not excluded by any expiring lock: send
//! [`Guard::fence`] with every write and let the resource reject a token lower than one it has
//! accepted. The concurrency core (renewer, release, Drop) is `redis-races-lockcore`, checked
//! with loom.
//!
//! ```no_run
//! use std::time::Duration;
//! let client = redis::Client::open("redis://127.0.0.1/").unwrap();
//! let lock = redis_races_live::lock::Lock::new(client, "lock:report").auto_renew(true);
//! let guard = lock.acquire(Duration::from_secs(10), Duration::from_secs(30)).unwrap();
//! let fence = guard.check_fence_before_write().unwrap(); // send it with the write
//! # let _ = fence;
//! guard.release().unwrap();
//! ```

use lockcore::ConnError;
pub use lockcore::LockError;
use model::recipes::lock::{CLIENT_EXTEND, CLIENT_RELEASE};
use std::time::Duration;

/// A held lock on a real server: see [`lockcore::Guard`].
pub type Guard = lockcore::Guard<RedisConn>;

/// One Redis connection speaking the lock's four commands.
pub struct RedisConn(pub redis::Connection);

impl lockcore::LockConn for RedisConn {
    fn set_nx_px(&mut self, key: &str, token: &str, ttl_ms: u64) -> Result<bool, ConnError> {
        let r: Option<String> = redis::cmd("SET")
            .arg(key)
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query(&mut self.0)?;
        Ok(r.is_some())
    }

    fn release(&mut self, key: &str, token: &str) -> Result<bool, ConnError> {
        let n: i64 = redis::cmd("EVAL")
            .arg(CLIENT_RELEASE)
            .arg(1)
            .arg(key)
            .arg(token)
            .query(&mut self.0)?;
        Ok(n == 1)
    }

    fn extend(&mut self, key: &str, token: &str, ttl_ms: u64) -> Result<bool, ConnError> {
        let n: i64 = redis::cmd("EVAL")
            .arg(CLIENT_EXTEND)
            .arg(1)
            .arg(key)
            .arg(token)
            .arg(ttl_ms)
            .query(&mut self.0)?;
        Ok(n == 1)
    }

    fn incr(&mut self, key: &str) -> Result<u64, ConnError> {
        Ok(redis::cmd("INCR").arg(key).query(&mut self.0)?)
    }
}

/// A named lock on a Redis server. Each acquisition opens its own connection (shared by the
/// guard and its renewer).
pub struct Lock(lockcore::Lock<RedisConn>);

impl Lock {
    /// A lock on key `name` of `client`'s server; the fencing counter is `<name>:fence`.
    pub fn new(client: redis::Client, name: impl Into<String>) -> Self {
        let connect = std::sync::Arc::new(move || -> Result<RedisConn, ConnError> {
            Ok(RedisConn(
                client.get_connection_with_timeout(Duration::from_secs(5))?,
            ))
        });
        Lock(lockcore::Lock::new(connect, name))
    }

    /// A lock on a [`crate::LiveServer`] (its database; prefix `name` with its key prefix).
    pub fn on_server(
        server: &crate::LiveServer,
        name: impl Into<String>,
    ) -> Result<Self, LockError> {
        let client = redis::Client::open(server.connection_info())
            .map_err(|e| LockError::Conn(e.to_string()))?;
        Ok(Self::new(client, name))
    }

    /// Renew every guard at 2/3 of its TTL until release; a failed renewal marks it lost.
    pub fn auto_renew(self, on: bool) -> Self {
        Lock(self.0.auto_renew(on))
    }

    /// The pause between two tries of [`Lock::acquire`] (default 10 ms).
    pub fn retry_sleep(self, pause: Duration) -> Self {
        Lock(self.0.retry_sleep(pause))
    }

    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// One try: the guard, or `None` when another client holds the lock.
    pub fn try_acquire(&self, ttl: Duration) -> Result<Option<Guard>, LockError> {
        self.0.try_acquire(ttl)
    }

    /// Retries until acquired or `wait_bound` has passed ([`LockError::Timeout`]).
    pub fn acquire(&self, ttl: Duration, wait_bound: Duration) -> Result<Guard, LockError> {
        self.0.acquire(ttl, wait_bound)
    }
}
