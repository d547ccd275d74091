//! What the live backend asks the server around a tick and after a step: CLIENT LIST (which
//! connections are blocked; polled until a timed-out one is not) and PTTL.

use crate::route::Masters;
use crate::LiveError;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Whether each connection (master, CLIENT ID) is blocked, by CLIENT LIST on every master.
pub(super) fn blocked_ids(
    masters: &mut Masters,
) -> Result<BTreeMap<(usize, i64), bool>, LiveError> {
    let mut out = BTreeMap::new();
    for node in 0..masters.len() {
        for (id, blocked) in blocked_on(masters, node)? {
            out.insert((node, id), blocked);
        }
    }
    Ok(out)
}

fn blocked_on(masters: &mut Masters, node: usize) -> Result<BTreeMap<i64, bool>, LiveError> {
    Ok(masters
        .clients(node)?
        .into_iter()
        .map(|c| (c.id, c.blocked))
        .collect())
}

/// Waits until the connection is no longer blocked or `wait` passes; true if unblocked.
pub(super) fn await_unblocked(
    masters: &mut Masters,
    (node, id): (usize, i64),
    wait: Duration,
) -> Result<bool, LiveError> {
    let since = Instant::now();
    loop {
        if !blocked_on(masters, node)?
            .get(&id)
            .copied()
            .unwrap_or(false)
        {
            return Ok(true);
        }
        if since.elapsed() > wait {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// PTTL of `key`, on the master that owns it.
pub(super) fn pttl(masters: &mut Masters, key: &str) -> Result<i64, LiveError> {
    redis::cmd("PTTL")
        .arg(key)
        .query(masters.for_key(key))
        .map_err(|e| LiveError::redis("PTTL", e))
}
