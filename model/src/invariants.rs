//! The catalogue's invariants: the checks behind the properties a verdict names (`--property`,
//! the user-facing word, is kept; "invariants" tells them apart from the `properties/` crate
//! of property-based tests). Each check reads an [`Observation`] of a run (keyspace, clients'
//! beliefs and history, the clock), never the model's internals, so it means the same on a
//! model world and on a live run, and returns why it fails, in words a reviewer can check
//! against the trace. `crashed-lock-frees` asks its late contender (`late_contender.rs`);
//! `owner-only-release` reads the first foreign release, which the stepper records with
//! [`removed_by_other`].

use crate::client_name;
use crate::faults::FaultModel;
use crate::observation::Observation;
use crate::scenario::{PropertyDef, PropertyKind};
use crate::system::System;

mod late_contender;

pub use late_contender::{late_contender_acquires, LATE_CONTENDER_TICKS};

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

fn int_at(w: &dyn Observation, key: &str) -> Result<i64, String> {
    match w.get_str(key) {
        None => Ok(0),
        Some(s) => s
            .parse()
            .map_err(|_| format!("{key} holds {s:?}, not an integer")),
    }
}

fn no_lost_update(sys: &System, w: &dyn Observation) -> Result<(), String> {
    let s = &sys.scenario;
    let value = int_at(w, s.subject)?;
    let committed = committed(w);
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

fn no_oversell(sys: &System, w: &dyn Observation) -> Result<(), String> {
    let s = &sys.scenario;
    let remaining = int_at(w, s.subject)?;
    let sold = committed(w);
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

/// The sum of the deltas every client committed.
pub fn committed(w: &dyn Observation) -> i64 {
    (0..w.clients()).map(|i| w.client(i).committed).sum()
}

fn in_cs(w: &dyn Observation) -> Vec<usize> {
    (0..w.clients()).filter(|&i| w.client(i).in_cs).collect()
}

fn names(ids: &[usize]) -> String {
    ids.iter()
        .map(|&i| client_name(i))
        .collect::<Vec<_>>()
        .join(" and ")
}

fn mutual_exclusion(_: &System, w: &dyn Observation) -> Result<(), String> {
    let inside = in_cs(w);
    if inside.len() > 1 {
        return Err(format!(
            "{} are both in the critical section",
            names(&inside)
        ));
    }
    Ok(())
}

fn owner_only_release(sys: &System, w: &dyn Observation) -> Result<(), String> {
    match w.foreign_release() {
        Some((by, owner)) => Err(format!(
            "{} removed {}'s lock ({})",
            client_name(by),
            client_name(owner),
            sys.scenario.subject
        )),
        None => Ok(()),
    }
}

/// The client whose token `value` (the subject key's value) is, if any.
pub fn token_owner(sys: &System, value: Option<&str>) -> Option<usize> {
    let value = value?;
    (0..sys.bounds.clients).find(|&j| sys.ctx(j).token == value)
}

/// Whose lock client `actor`'s command removed, if it removed another client's: before the
/// command the subject key held `owner`'s token ([`token_owner`]), and it holds `after` now.
/// The model's stepper and the live executor both record the first such release with this,
/// for `owner-only-release`.
pub fn removed_by_other(
    sys: &System,
    actor: usize,
    owner: Option<usize>,
    after: Option<&str>,
) -> Option<usize> {
    let owner = owner?;
    (owner != actor && after != Some(sys.ctx(owner).token.as_str())).then_some(owner)
}

fn pause_contained(_: &System, w: &dyn Observation) -> Result<(), String> {
    let valid: Vec<usize> = in_cs(w)
        .into_iter()
        .filter(|&i| match w.client(i).lease_until {
            Some(Some(until)) => w.now() < until,
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

fn crashed_lock_frees(sys: &System, w: &dyn Observation) -> Result<(), String> {
    let owner = w.get_str(sys.scenario.subject).unwrap_or_default();
    let crashed_owner =
        (0..w.clients()).find(|&i| w.client(i).is_crashed() && client_name(i) == owner);
    let Some(i) = crashed_owner else {
        return Ok(());
    };
    if late_contender_acquires(sys, w) {
        return Ok(());
    }
    Err(format!(
        "{} crashed holding {}, and a client that arrives later and keeps trying for {}s never gets it",
        client_name(i),
        sys.scenario.subject,
        LATE_CONTENDER_TICKS
    ))
}
