//! The concurrency core of `live::lock`: a Redis lock client (SET NX PX with a random token,
//! compare-and-delete release, compare-and-PEXPIRE extend, an auto-renewal thread, a fencing
//! token) written once, generic over a small [`LockConn`] trait.
//!
//! `live::lock` plugs in a real Redis connection; [`mem::MemServer`] is an in-memory server
//! behind the same synchronisation primitives, so `tests/loom_lock.rs` can check the renewer,
//! release, Drop and the lost-lock signal with loom (`RUSTFLAGS="--cfg loom"`). Under
//! `cfg(loom)` the threads, Mutex, Condvar, atomics and Arc are loom's, and the renewer's
//! timed wait becomes a yield (loom has no time): it then renews as soon as loom schedules it,
//! at most [`Lock::max_renewals`] times.
//!
//! What the lock guarantees is a model-checked fact of the catalogue row `lock/client` (same
//! commands, same script texts): mutual exclusion under the fault models `none` and `crash`;
//! under `pause` (a holder stopped past its lease) only the fencing token, checked by the
//! resource, protects the data.

pub mod mem;

#[cfg(loom)]
pub(crate) use loom::{
    sync::{atomic::AtomicBool, Arc, Condvar, Mutex, MutexGuard},
    thread,
};
#[cfg(not(loom))]
pub(crate) use std::{
    sync::{atomic::AtomicBool, Arc, Condvar, Mutex, MutexGuard},
    thread,
};

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// An error from a connection, as text.
pub type ConnError = Box<dyn std::error::Error + Send + Sync>;

/// The four operations the lock needs from a server. Each is one command or script:
/// `live::lock` sends exactly the catalogue row `lock/client`'s.
pub trait LockConn: Send + 'static {
    /// `SET key token NX PX ttl_ms`: true when the lock was taken.
    fn set_nx_px(&mut self, key: &str, token: &str, ttl_ms: u64) -> Result<bool, ConnError>;
    /// Compare-and-delete: true when `key` held `token` and was deleted.
    fn release(&mut self, key: &str, token: &str) -> Result<bool, ConnError>;
    /// Compare-and-PEXPIRE: true when `key` held `token` and now expires in `ttl_ms`.
    fn extend(&mut self, key: &str, token: &str, ttl_ms: u64) -> Result<bool, ConnError>;
    /// `INCR key`: the fencing token.
    fn incr(&mut self, key: &str) -> Result<u64, ConnError>;
}

/// What can go wrong with the lock.
#[derive(Debug)]
pub enum LockError {
    /// The server or the connection failed.
    Conn(String),
    /// `acquire` waited its whole bound without getting the lock.
    Timeout { name: String, waited: Duration },
    /// The lock is no longer ours (an extend or release found another value or none): a
    /// write guarded by it must not happen.
    Lost { name: String },
    /// The guard was already released.
    Released,
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Conn(e) => write!(f, "lock connection: {e}"),
            LockError::Timeout { name, waited } => {
                write!(f, "lock {name:?} not acquired within {waited:?}")
            }
            LockError::Lost { name } => write!(f, "lock {name:?} was lost (expired or taken)"),
            LockError::Released => write!(f, "lock guard already released"),
        }
    }
}

impl std::error::Error for LockError {}

fn conn_err(e: ConnError) -> LockError {
    LockError::Conn(e.to_string())
}

/// Makes a connection for one guard (the guard and its renewer share it).
pub type Connector<C> = std::sync::Arc<dyn Fn() -> Result<C, ConnError> + Send + Sync>;

/// A named lock. Cheap to share by reference; each acquisition opens its own connection.
pub struct Lock<C: LockConn> {
    connect: Connector<C>,
    name: String,
    fence_key: String,
    renew: bool,
    max_renewals: Option<usize>,
    retry_sleep: Duration,
}

impl<C: LockConn> Lock<C> {
    /// A lock on key `name`; the fencing counter is `<name>:fence`.
    pub fn new(connect: Connector<C>, name: impl Into<String>) -> Self {
        let name = name.into();
        Lock {
            connect,
            fence_key: format!("{name}:fence"),
            name,
            renew: false,
            max_renewals: None,
            retry_sleep: Duration::from_millis(10),
        }
    }

    /// Starts an auto-renewal thread with every guard: it extends the lock at 2/3 of its TTL,
    /// and when an extend fails it marks the guard lost ([`Guard::is_lost`]) and stops.
    pub fn auto_renew(mut self, on: bool) -> Self {
        self.renew = on;
        self
    }

    /// Caps the renewals per guard (`None`: until release). Loom's models need a bound.
    pub fn max_renewals(mut self, max: Option<usize>) -> Self {
        self.max_renewals = max;
        self
    }

    /// The pause between two tries of [`Lock::acquire`] (default 10 ms).
    pub fn retry_sleep(mut self, pause: Duration) -> Self {
        self.retry_sleep = pause;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One try: `SET name token NX PX ttl`; on success `INCR name:fence` gives the fencing token.
    pub fn try_acquire(&self, ttl: Duration) -> Result<Option<Guard<C>>, LockError> {
        let mut conn = (self.connect)().map_err(conn_err)?;
        self.try_on(&mut conn, ttl)
            .map(|got| got.map(|(token, fence)| self.guard(conn, token, fence, ttl)))
    }

    /// Tries until the lock is taken or `wait_bound` has passed (then [`LockError::Timeout`]).
    pub fn acquire(&self, ttl: Duration, wait_bound: Duration) -> Result<Guard<C>, LockError> {
        let mut conn = (self.connect)().map_err(conn_err)?;
        let start = std::time::Instant::now();
        loop {
            if let Some((token, fence)) = self.try_on(&mut conn, ttl)? {
                return Ok(self.guard(conn, token, fence, ttl));
            }
            let waited = start.elapsed();
            if waited >= wait_bound {
                return Err(LockError::Timeout {
                    name: self.name.clone(),
                    waited,
                });
            }
            std::thread::sleep(self.retry_sleep.min(wait_bound - waited));
        }
    }

    fn try_on(&self, conn: &mut C, ttl: Duration) -> Result<Option<(String, u64)>, LockError> {
        let token = random_token();
        if !conn
            .set_nx_px(&self.name, &token, ttl_ms(ttl))
            .map_err(conn_err)?
        {
            return Ok(None);
        }
        match conn.incr(&self.fence_key) {
            Ok(fence) => Ok(Some((token, fence))),
            Err(e) => {
                // Without a fencing token the lock is no use: give it back.
                let _ = conn.release(&self.name, &token);
                Err(conn_err(e))
            }
        }
    }

    /// A guard for a lock already taken with `token` on `conn` (loom tests and wrappers).
    pub fn guard(&self, conn: C, token: String, fence: u64, ttl: Duration) -> Guard<C> {
        Guard::new(
            conn,
            self.name.clone(),
            token,
            fence,
            ttl_ms(ttl),
            self.renew,
            self.max_renewals,
        )
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

/// 128 random bits from /dev/urandom as hex (time, pid and a counter if it cannot be read).
pub fn random_token() -> String {
    use std::io::Read;
    let mut b = [0u8; 16];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !ok {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        b[..8].copy_from_slice(&t.to_le_bytes());
        b[8..12].copy_from_slice(&std::process::id().to_le_bytes());
        b[12..].copy_from_slice(&(n as u32).to_le_bytes());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Inner<C> {
    conn: C,
    /// Set by release/Drop: the renewer must stop and never extend again.
    stop: bool,
    /// The release script has been sent (at most once).
    released: bool,
}

struct Shared<C> {
    inner: Mutex<Inner<C>>,
    wake: Condvar,
    lost: AtomicBool,
}

/// A held lock. Dropping it releases it (once); [`Guard::release`] does so and reports.
pub struct Guard<C: LockConn> {
    shared: Arc<Shared<C>>,
    renewer: Option<thread::JoinHandle<()>>,
    name: String,
    token: String,
    fence: u64,
    ttl_ms: u64,
    done: bool,
}

impl<C: LockConn> Guard<C> {
    fn new(
        conn: C,
        name: String,
        token: String,
        fence: u64,
        ttl_ms: u64,
        renew: bool,
        max_renewals: Option<usize>,
    ) -> Self {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                conn,
                stop: false,
                released: false,
            }),
            wake: Condvar::new(),
            lost: AtomicBool::new(false),
        });
        let renewer = renew.then(|| {
            let (shared, name, token) = (Arc::clone(&shared), name.clone(), token.clone());
            thread::spawn(move || renew_loop(&shared, &name, &token, ttl_ms, max_renewals))
        });
        Guard {
            shared,
            renewer,
            name,
            token,
            fence,
            ttl_ms,
            done: false,
        }
    }

    /// The fencing token (`INCR <name>:fence` right after acquiring): strictly larger for every
    /// later holder. Send it with every write; the resource rejects one lower than it has seen.
    pub fn fence(&self) -> u64 {
        self.fence
    }

    /// This holder's random token (the lock key's value while we hold it).
    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The lease each extend/renewal sets, in ms.
    pub fn ttl_ms(&self) -> u64 {
        self.ttl_ms
    }

    /// True once an extend (the renewer's or ours) or the release found the lock no longer
    /// ours: it expired or another client holds it.
    pub fn is_lost(&self) -> bool {
        self.shared.lost.load(Ordering::SeqCst)
    }

    /// Call right before a guarded write: the fencing token to send with it, or
    /// [`LockError::Lost`] when the lock is known lost. Knowing nothing is not proof of holding
    /// (a pause may come between this check and the write): the resource must check the token.
    pub fn check_fence_before_write(&self) -> Result<u64, LockError> {
        if self.is_lost() {
            Err(LockError::Lost {
                name: self.name.clone(),
            })
        } else {
            Ok(self.fence)
        }
    }

    /// Compare-and-PEXPIRE to `ttl`: `Ok(true)` if still ours; `Ok(false)` marks the guard lost.
    pub fn extend(&self, ttl: Duration) -> Result<bool, LockError> {
        let mut inner = lock(&self.shared.inner);
        if inner.released {
            return Err(LockError::Released);
        }
        let ok = inner
            .conn
            .extend(&self.name, &self.token, ttl_ms(ttl))
            .map_err(conn_err)?;
        if !ok {
            self.shared.lost.store(true, Ordering::SeqCst);
        }
        Ok(ok)
    }

    /// Stops and joins the renewer, then sends the compare-and-delete script once: `Ok(true)`
    /// if our lock was deleted, `Ok(false)` if it was no longer ours (the guard is then lost).
    pub fn release(mut self) -> Result<bool, LockError> {
        self.release_once()
    }

    fn release_once(&mut self) -> Result<bool, LockError> {
        if self.done {
            return Err(LockError::Released);
        }
        self.done = true;
        lock(&self.shared.inner).stop = true;
        self.shared.wake.notify_all();
        if let Some(h) = self.renewer.take() {
            // A panicking connection must not turn a release into a double panic.
            let _ = h.join();
        }
        let mut inner = lock(&self.shared.inner);
        if inner.released {
            return Err(LockError::Released);
        }
        inner.released = true;
        let ok = inner
            .conn
            .release(&self.name, &self.token)
            .map_err(conn_err)?;
        if !ok {
            self.shared.lost.store(true, Ordering::SeqCst);
        }
        Ok(ok)
    }
}

impl<C: LockConn> Drop for Guard<C> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.release_once();
        }
    }
}

impl<C: LockConn> fmt::Debug for Guard<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("name", &self.name)
            .field("fence", &self.fence)
            .field("lost", &self.is_lost())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits one renewal interval or until `stop`; returns the (re-taken) state.
#[cfg(not(loom))]
fn wait_interval<'a, C>(
    shared: &'a Shared<C>,
    mut inner: MutexGuard<'a, Inner<C>>,
    interval: Duration,
) -> MutexGuard<'a, Inner<C>> {
    let deadline = std::time::Instant::now() + interval;
    while !inner.stop {
        let now = std::time::Instant::now();
        if now >= deadline {
            break;
        }
        inner = shared
            .wake
            .wait_timeout(inner, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    inner
}

/// Loom has no time: the interval is a point where any other thread may run.
#[cfg(loom)]
fn wait_interval<'a, C>(
    shared: &'a Shared<C>,
    inner: MutexGuard<'a, Inner<C>>,
    _interval: Duration,
) -> MutexGuard<'a, Inner<C>> {
    drop(inner);
    thread::yield_now();
    lock(&shared.inner)
}

fn renew_loop<C: LockConn>(
    shared: &Shared<C>,
    name: &str,
    token: &str,
    ttl_ms: u64,
    max_renewals: Option<usize>,
) {
    let interval = Duration::from_millis((ttl_ms * 2 / 3).max(1));
    let mut renewals = 0;
    let mut inner = lock(&shared.inner);
    loop {
        if inner.stop || max_renewals.is_some_and(|m| renewals >= m) {
            return;
        }
        inner = wait_interval(shared, inner, interval);
        if inner.stop || inner.released {
            return;
        }
        renewals += 1;
        match inner.conn.extend(name, token, ttl_ms) {
            Ok(true) => {}
            // Not ours any more, or the server cannot say: either way the holder must know.
            Ok(false) | Err(_) => {
                shared.lost.store(true, Ordering::SeqCst);
                return;
            }
        }
    }
}
