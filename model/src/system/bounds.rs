//! The bounds a search runs within, printed with every verdict (`BOUNDS` in the table), and
//! which server a connection is bound to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The server a connection named `NAME@i` is bound to: `i` (0 for a plain name).
pub fn bound_server(connection: &str) -> u8 {
    connection
        .rsplit_once('@')
        .and_then(|(_, i)| i.parse().ok())
        .unwrap_or(0)
}

/// The bounds of a search; printed with every verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bounds {
    pub clients: usize,
    /// Re-attempts after a client's first try.
    pub retries: u16,
    /// Clock ticks (seconds) a run may span.
    pub ticks: u64,
    /// Crashes per run (0 unless the fault model is `crash`).
    pub crashes: u8,
    /// Lock lease in ticks.
    pub lease: u64,
    /// Checked as on a cluster: the server in cluster mode (`model::server::cluster`), so
    /// multi-key work whose keys span hash slots gets CROSSSLOT. Absent from JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cluster: bool,
    /// Servers the recipe talks to (1 unless its connections are bound to others).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub servers: u8,
    /// Replicas of server 0 (`failover` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replicas: u8,
    /// Promotions per run (`failover` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failovers: u8,
    /// Server restarts per run (`restart` only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts: u8,
}

fn one() -> u8 {
    1
}

fn is_one(n: &u8) -> bool {
    *n == 1
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "clients={} retries={} ticks<={} crashes<={}",
            self.clients, self.retries, self.ticks, self.crashes
        )?;
        if self.servers > 1 {
            write!(f, " servers={}", self.servers)?;
        }
        if self.replicas > 0 || self.failovers > 0 {
            write!(
                f,
                " replicas={} failovers<={}",
                self.replicas, self.failovers
            )?;
        }
        if self.restarts > 0 {
            write!(f, " restarts<={}", self.restarts)?;
        }
        if self.cluster {
            f.write_str(" cluster")?;
        }
        Ok(())
    }
}
