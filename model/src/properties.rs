//! The catalogue's properties. Each check reads the world (server and clients' stated beliefs)
//! and returns why it fails, in words a reviewer can check against the trace.

use crate::client_name;
use crate::faults::FaultModel;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;
use crate::world::World;

const ALL: &[FaultModel] = &FaultModel::EVERY;

/// Final counter value = number of increments the server acknowledged.
pub const NO_LOST_UPDATE: PropertyDef = PropertyDef {
    name: "no-lost-update",
    summary:
        "when every client has finished, the counter equals the number of committed increments",
    kind: PropertyKind::AtEnd,
    faults: ALL,
    check: no_lost_update,
};

/// Stock never negative; sold = initial − remaining.
pub const NO_OVERSELL: PropertyDef = PropertyDef {
    name: "no-oversell",
    summary: "the stock never goes negative and sold = initial - remaining",
    kind: PropertyKind::Always,
    faults: ALL,
    check: no_oversell,
};

/// Never two clients in the critical section.
pub const MUTUAL_EXCLUSION: PropertyDef = PropertyDef {
    name: "mutual-exclusion",
    summary: "never two clients in the critical section",
    kind: PropertyKind::Always,
    faults: ALL,
    check: mutual_exclusion,
};

/// A release never removes a lock another client holds.
pub const OWNER_ONLY_RELEASE: PropertyDef = PropertyDef {
    name: "owner-only-release",
    summary: "a release never removes a lock another client holds",
    kind: PropertyKind::Always,
    faults: ALL,
    check: owner_only_release,
};

/// Two clients within their leases are never both in the critical section.
pub const PAUSE_CONTAINED: PropertyDef = PropertyDef {
    name: "pause-contained",
    summary:
        "two clients that have not outlived their lease are never both in the critical section",
    kind: PropertyKind::Always,
    faults: ALL,
    check: pause_contained,
};

/// After a holder crashes, the lock becomes acquirable again.
pub const CRASHED_LOCK_FREES: PropertyDef = PropertyDef {
    name: "crashed-lock-frees",
    summary:
        "after a holder crashes, a client that arrives later and keeps trying acquires the lock",
    kind: PropertyKind::AtEnd,
    faults: &[FaultModel::Crash],
    check: crashed_lock_frees,
};

fn int_at(w: &World, key: &str) -> Result<i64, String> {
    match w.server.get_str(key) {
        None => Ok(0),
        Some(s) => s
            .parse()
            .map_err(|_| format!("{key} holds {s:?}, not an integer")),
    }
}

fn no_lost_update(sys: &System, w: &World) -> Result<(), String> {
    let s = &sys.scenario;
    let value = int_at(w, s.subject)?;
    let committed: i64 = w.clients.iter().map(|c| c.committed).sum();
    let expected = s.initial() + committed;
    if value == expected {
        Ok(())
    } else {
        Err(format!(
            "{} = {value} but {committed} increment(s) committed: {} lost",
            s.subject,
            expected - value
        ))
    }
}

fn no_oversell(sys: &System, w: &World) -> Result<(), String> {
    let s = &sys.scenario;
    let remaining = int_at(w, s.subject)?;
    let sold: i64 = w.clients.iter().map(|c| c.committed).sum();
    if remaining < 0 {
        return Err(format!("{} = {remaining}: stock went negative", s.subject));
    }
    if sold != s.initial() - remaining {
        return Err(format!(
            "sold {sold} but stock went from {} to {remaining}: oversold",
            s.initial()
        ));
    }
    Ok(())
}

fn in_cs(w: &World) -> Vec<usize> {
    (0..w.clients.len())
        .filter(|&i| w.clients[i].in_cs)
        .collect()
}

fn names(ids: &[usize]) -> String {
    ids.iter()
        .map(|&i| client_name(i))
        .collect::<Vec<_>>()
        .join(" and ")
}

fn mutual_exclusion(_: &System, w: &World) -> Result<(), String> {
    let inside = in_cs(w);
    if inside.len() > 1 {
        return Err(format!(
            "{} are both in the critical section",
            names(&inside)
        ));
    }
    Ok(())
}

fn owner_only_release(sys: &System, w: &World) -> Result<(), String> {
    match w.foreign_release {
        Some((by, owner)) => Err(format!(
            "{} removed {}'s lock ({})",
            client_name(by as usize),
            client_name(owner as usize),
            sys.scenario.subject
        )),
        None => Ok(()),
    }
}

fn pause_contained(_: &System, w: &World) -> Result<(), String> {
    let valid: Vec<usize> = in_cs(w)
        .into_iter()
        .filter(|&i| match w.clients[i].lease_until {
            Some(Some(until)) => w.now < until,
            _ => true,
        })
        .collect();
    if valid.len() > 1 {
        return Err(format!(
            "{} are both in the critical section, each within its lease",
            names(&valid)
        ));
    }
    Ok(())
}

fn crashed_lock_frees(sys: &System, w: &World) -> Result<(), String> {
    let owner = w.server.get_str(sys.scenario.subject).unwrap_or_default();
    let crashed_owner = w
        .clients
        .iter()
        .enumerate()
        .find(|(i, c)| c.is_crashed() && client_name(*i) == owner);
    let Some((i, _)) = crashed_owner else {
        return Ok(());
    };
    if sys.late_contender_acquires(w) {
        return Ok(());
    }
    Err(format!(
        "{} crashed holding {}, and a client that arrives later and keeps trying for {}s never gets it",
        client_name(i),
        sys.scenario.subject,
        crate::system::LATE_CONTENDER_TICKS
    ))
}
