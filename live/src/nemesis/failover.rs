//! `failover`, live: on a fleet, a replica applying writes and a promotion, and holding
//! replicas back so that each has the model's prefix of the primary's stream at every step.
//!
//! The model's replication is explicit (`Replicate(r)`: replica `r` applies the next write);
//! live replication is asynchronous. The hold-back makes it deterministic:
//! 1. Every replica starts linked and in sync (the fleet's reset, then the starting keys).
//! 2. Before a client step that appends to the model's stream, every replica the model
//!    leaves lagging is held back at the primary's offset. If its next event is its own
//!    promotion it is detached (`REPLICAOF NO ONE`): it keeps exactly the model's prefix and
//!    no later write reaches it. Otherwise (it next applies what it missed, another replica
//!    is promoted, or the run ends) it is paused with SIGSTOP once the primary has its
//!    acknowledgement: it stays a replica, so WAIT counts it exactly when the model does
//!    (for writes it has), and the stream the kernel buffers for it is what it applies next.
//! 3. After the step, every still-linked replica is waited for until its offset is the
//!    primary's (so WAIT sees it and a later detach cuts at the right write).
//! 4. `Replicate(r)` relinks `r` (the primary resyncs it to its whole stream) and compares
//!    its keyspace with the model's replica. A `Replicate` that leaves the model's replica
//!    still lagging cannot be reproduced this way (a resync delivers everything), nor can a
//!    WAIT whose count includes a detached replica (it never acknowledges):
//!    [`check_hold_back`] refuses such schedules before anything runs.
//! 5. `Promote(r)`: the promoted replica's keyspace is compared with the model's, the primary
//!    is killed and `r` becomes master 0 (`ScheduleBackend::replace_server`: replies a
//!    parked connection of the primary was already served are kept, every client connection
//!    to server 0 is replaced by a new one, WATCH/MULTI state gone, and a command parked
//!    there gets the model's connection-lost error).

use super::{At, Faulting, ModelRun, Nemesis};
use crate::LiveError;
use model::fleet::Keys;
use model::{client_name, Action, ConnId, Note, Step, StepKind, System, World};

fn config(reason: String) -> LiveError {
    LiveError::Config { reason }
}

pub(super) struct Failovers;

impl Nemesis for Failovers {
    fn check(&self, system: &System, model: &ModelRun<'_>) -> Result<(), LiveError> {
        check_hold_back(system, model.actions, model.steps, model.worlds)
    }

    /// Step 2: before client step `before` → `after` (the model's `step`; `rest` the
    /// schedule after it), holds back the replicas the model leaves behind a write; before a
    /// WAIT, waits until the primary has every linked replica's acknowledgement (replicas
    /// acknowledge once a second unless asked), so WAIT counts them all, not only the first
    /// to answer.
    fn before_step(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<(), LiveError> {
        let (Some(b), Some(a)) = (at.before.replication(), at.after.replication()) else {
            return Ok(());
        };
        let fleet = run.backend.fleet();
        if a.head() != b.head() {
            for r in 0..a.offsets.len() {
                if a.lags(r) && fleet.is_linked(r) {
                    if detach_first(at.rest, r) {
                        fleet.detach(r)?;
                    } else {
                        fleet.stop(r)?;
                    }
                }
            }
        }
        if at
            .step
            .command
            .as_ref()
            .is_some_and(|c| c[0].eq_ignore_ascii_case("wait"))
        {
            fleet.await_acks()?;
        }
        Ok(())
    }

    /// Step 3: after a client step that wrote on the primary, the linked replicas catch up.
    fn after_step(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<(), LiveError> {
        let (Some(b), Some(a)) = (at.before.replication(), at.after.replication()) else {
            return Ok(());
        };
        if a.head() != b.head() {
            run.backend.sync_linked()?;
        }
        Ok(())
    }

    fn apply(&self, run: &mut Faulting<'_, '_>, at: &At<'_>) -> Result<Step, LiveError> {
        match at.action {
            Action::Replicate(r) => replicate(run, r as usize, at.after),
            Action::Promote(r) => promote(run, r as usize, at.before),
            other => unreachable!("failover does not apply {other:?}"),
        }
    }
}

/// Step 4: replica `r` applies the model's next write: it is released to the stream.
fn replicate(run: &mut Faulting<'_, '_>, r: usize, after: &World) -> Result<Step, LiveError> {
    run.backend.fleet().relink(r)?;
    let rep = after.replication().expect("failover has replicas");
    compare_replica(run, r, rep.replica_keys(r), "after it applies the write")?;
    let mut step = run.step(StepKind::Replicate);
    step.server = Some(r);
    step.notes.push(Note::LiveReplicated {
        replica: r,
        write: rep.offsets[r].into(),
    });
    Ok(step)
}

/// Step 5: the primary fails and replica `r` takes over.
fn promote(run: &mut Faulting<'_, '_>, r: usize, before: &World) -> Result<Step, LiveError> {
    let rep = before.replication().expect("failover has replicas");
    let (had, head) = (rep.offsets[r], rep.head());
    if run.backend.fleet().is_linked(r) {
        run.backend.fleet().sync(r)?;
    }
    compare_replica(run, r, rep.replica_keys(r), "when it is promoted")?;
    let lost = run.backend.replace_server(0, |fleet| fleet.promote(r))?;
    run.done.failovers += 1;
    let mut step = run.step(StepKind::Promote);
    step.server = Some(r);
    step.notes = vec![Note::LivePromoted {
        replica: r,
        had: had.into(),
        head: head.into(),
    }];
    step.notes.extend(lost_notes(&lost));
    Ok(step)
}

/// The notes for connections whose parked command a replaced server lost.
pub(super) fn lost_notes(lost: &[ConnId]) -> impl Iterator<Item = Note> + '_ {
    lost.iter().map(|c| Note::LiveConnectionLost {
        client: client_name(c.client as usize),
    })
}

/// Warns when live replica `r`'s keyspace is not the model's `keys`.
fn compare_replica(
    run: &mut Faulting<'_, '_>,
    r: usize,
    keys: &Keys,
    when: &str,
) -> Result<(), LiveError> {
    let live = run.backend.replica_keyspace(r)?;
    let (model, live) = (describe(keys), describe(&live.keys));
    if model != live {
        run.backend.warn(format!(
            "replica {} {when}: model {model:?}, live {live:?}",
            r + 1
        ));
    }
    Ok(())
}

/// Whether replica `r`, held back now, must be detached rather than paused: its next event
/// in `rest` (the schedule after this step) is its own promotion.
fn detach_first(rest: &[Action], r: usize) -> bool {
    rest.iter()
        .find_map(|a| match *a {
            Action::Replicate(q) if q as usize == r => Some(false),
            Action::Promote(q) => Some(q as usize == r),
            _ => None,
        })
        .unwrap_or(false)
}

/// Refuses, before anything runs, a schedule the hold-back cannot reproduce (step 4).
fn check_hold_back(
    system: &System,
    actions: &[Action],
    model_steps: &[Step],
    worlds: &[World],
) -> Result<(), LiveError> {
    for (n, &a) in actions.iter().enumerate() {
        let Some(after) = worlds[n + 1].replication() else {
            continue;
        };
        if let Action::Replicate(r) = a {
            if after.lags(r as usize) {
                return Err(config(format!(
                    "step {}: replica {} applies write {} of {} in the model and stays behind; \
                     a live replica can be held back or released to the primary's whole \
                     stream, not stopped mid-stream, so {} cannot be replayed exactly",
                    n + 1,
                    r + 1,
                    after.offsets[r as usize],
                    after.head(),
                    system.row()
                )));
            }
        }
        let step = &model_steps[n];
        let wait = step
            .command
            .as_ref()
            .is_some_and(|c| c[0].eq_ignore_ascii_case("wait"));
        if let (true, Action::Step(i) | Action::Thread(i, _), Some(before)) =
            (wait, a, worlds[n].replication())
        {
            let slot = (0..system.recipe(i).connections().len())
                .find(|&s| step.connection.as_deref() == Some(system.connection_name(i, s)))
                .unwrap_or(0);
            let conn = ConnId {
                client: i as u8,
                slot: slot as u8,
            };
            let want = before.woff.get(&conn).copied().unwrap_or(0);
            let unseen = (0..before.offsets.len())
                .filter(|&r| before.lags(r) && before.offsets[r] >= want)
                .filter(|&r| detach_first(&actions[n..], r))
                .count();
            if unseen > 0 {
                return Err(config(format!(
                    "step {}: the model's WAIT counts {unseen} replica(s) that are behind the \
                     primary and promoted next; such a replica is held back detached and does \
                     not acknowledge, so live WAIT would count fewer",
                    n + 1
                )));
            }
        }
    }
    Ok(())
}

/// `key = value (ttl)` lines, as `System::describe_keys` prints a server's.
fn describe(keys: &Keys) -> Vec<String> {
    keys.iter()
        .map(|(k, e)| match e.expires_at {
            Some(t) => format!("{k} = {} (expires at t={}s)", e.value.describe(), t / 1000),
            None => format!("{k} = {}", e.value.describe()),
        })
        .collect()
}
