//! An in-memory server for the lock's four operations, behind the same synchronisation
//! primitives as the lock (loom's under `cfg(loom)`). It has no clock: a test expires or steals
//! the lock explicitly ([`MemServer::steal`]). Every operation is logged.

use crate::{Arc, ConnError, LockConn, Mutex};
use std::collections::HashMap;

/// One logged operation: who (token), what, and whether it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Set { token: String, ok: bool },
    Extend { token: String, ok: bool },
    Release { token: String, ok: bool },
    Incr { value: u64 },
    Steal { token: String },
}

#[derive(Default)]
struct State {
    strings: HashMap<String, String>,
    counters: HashMap<String, u64>,
    log: Vec<Op>,
}

/// A shared in-memory server; [`MemServer::conn`] gives connections to it.
#[derive(Clone, Default)]
pub struct MemServer {
    state: Arc<Mutex<State>>,
}

impl MemServer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn conn(&self) -> MemConn {
        MemConn {
            server: self.clone(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The lock expires and `token` takes it (or nobody, for `None`).
    pub fn steal(&self, key: &str, token: Option<&str>) {
        self.with(|s| {
            match token {
                Some(t) => s.strings.insert(key.to_string(), t.to_string()),
                None => s.strings.remove(key),
            };
            s.log.push(Op::Steal {
                token: token.unwrap_or("").to_string(),
            });
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.with(|s| s.strings.get(key).cloned())
    }

    pub fn log(&self) -> Vec<Op> {
        self.with(|s| s.log.clone())
    }
}

/// A connection to a [`MemServer`].
pub struct MemConn {
    server: MemServer,
}

impl LockConn for MemConn {
    fn set_nx_px(&mut self, key: &str, token: &str, _ttl_ms: u64) -> Result<bool, ConnError> {
        Ok(self.server.with(|s| {
            let ok = !s.strings.contains_key(key);
            if ok {
                s.strings.insert(key.to_string(), token.to_string());
            }
            s.log.push(Op::Set {
                token: token.to_string(),
                ok,
            });
            ok
        }))
    }

    fn release(&mut self, key: &str, token: &str) -> Result<bool, ConnError> {
        Ok(self.server.with(|s| {
            let ok = s.strings.get(key).map(String::as_str) == Some(token);
            if ok {
                s.strings.remove(key);
            }
            s.log.push(Op::Release {
                token: token.to_string(),
                ok,
            });
            ok
        }))
    }

    fn extend(&mut self, key: &str, token: &str, _ttl_ms: u64) -> Result<bool, ConnError> {
        Ok(self.server.with(|s| {
            let ok = s.strings.get(key).map(String::as_str) == Some(token);
            s.log.push(Op::Extend {
                token: token.to_string(),
                ok,
            });
            ok
        }))
    }

    fn incr(&mut self, key: &str) -> Result<u64, ConnError> {
        Ok(self.server.with(|s| {
            let v = s.counters.entry(key.to_string()).or_insert(0);
            *v += 1;
            let value = *v;
            s.log.push(Op::Incr { value });
            value
        }))
    }
}
