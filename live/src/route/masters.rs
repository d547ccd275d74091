//! One control connection per master of a server (one for every backend but `cluster3`):
//! what the executor and the conformance runner use to read keys where they live, to list and
//! kill clients on each master, and to read the whole keyspace.

use super::{node_of_key, redis_err};
use crate::{LiveError, LiveServer};

/// One control connection per master (reading keys, CLIENT LIST, clean-up).
pub struct Masters {
    cons: Vec<redis::Connection>,
}

impl Masters {
    /// Connects to every master of `server`.
    pub fn open(server: &LiveServer) -> Result<Self, LiveError> {
        let mut cons = Vec::new();
        for i in 0..server.masters() {
            let con = server.connect_node(i)?;
            con.set_read_timeout(Some(crate::executor::REPLY_TIMEOUT))
                .map_err(|e| redis_err("setting a read timeout", e))?;
            cons.push(con);
        }
        Ok(Masters { cons })
    }

    /// How many masters.
    pub fn len(&self) -> usize {
        self.cons.len()
    }

    /// Never: a server has at least one master.
    pub fn is_empty(&self) -> bool {
        self.cons.is_empty()
    }

    /// Master `n`'s control connection.
    pub fn node(&mut self, n: usize) -> &mut redis::Connection {
        &mut self.cons[n]
    }

    /// The control connection of the master that owns `key`.
    pub fn for_key(&mut self, key: &str) -> &mut redis::Connection {
        let n = node_of_key(key, self.cons.len());
        &mut self.cons[n]
    }

    /// Every master's control connection.
    pub fn all(&mut self) -> &mut [redis::Connection] {
        &mut self.cons
    }

    /// `KEYS pattern` over every master.
    pub fn keys(&mut self, pattern: &str) -> Result<Vec<String>, LiveError> {
        let mut out = Vec::new();
        for con in &mut self.cons {
            let ks: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query(con)
                .map_err(|e| redis_err("KEYS", e))?;
            out.extend(ks);
        }
        Ok(out)
    }
}
