//! The fault actions, live: a client crash, and on a fleet a replica applying writes, a
//! promotion and a restart; and holding replicas back so that each has the model's prefix
//! of the primary's stream at every step.
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
//! 5. `Promote(r)`: the promoted replica's keyspace is compared with the model's, replies a
//!    parked connection of the primary was already served are kept, the primary is killed,
//!    `r` becomes master 0, and every client connection to server 0 is replaced by a new one
//!    (WATCH/MULTI state gone); a command parked there gets the model's connection-lost
//!    error. `Restart(s)` does the same for master `s`, which comes back empty.

use super::runner::{Nodes, Runner};
use super::{config, snapshot, Action, Step, System, World};
use crate::LiveError;
use model::fleet::{Keys, CONNECTION_LOST};
use model::world::Status;
use model::ConnId;
use model::Note;
use model::{client_name, Reply, StepKind};

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
pub(super) fn check_hold_back(
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

impl Runner<'_> {
    /// Step 2: before client step `before` → `after` (the model's `step`; `rest` the
    /// schedule after it), holds back the replicas the model leaves behind a write; before a
    /// WAIT, waits until the primary has every linked replica's acknowledgement (replicas
    /// acknowledge once a second unless asked), so WAIT counts them all, not only the first
    /// to answer.
    pub(super) fn hold_back(
        &mut self,
        step: &Step,
        before: &World,
        after: &World,
        rest: &[Action],
    ) -> Result<(), LiveError> {
        let (Some(b), Some(a)) = (before.replication(), after.replication()) else {
            return Ok(());
        };
        let fleet = self.nodes.fleet();
        if a.head() != b.head() {
            for r in 0..a.offsets.len() {
                if a.lags(r) && fleet.is_linked(r) {
                    if detach_first(rest, r) {
                        fleet.detach(r)?;
                    } else {
                        fleet.stop(r)?;
                    }
                }
            }
        }
        if step
            .command
            .as_ref()
            .is_some_and(|c| c[0].eq_ignore_ascii_case("wait"))
        {
            fleet.await_acks()?;
        }
        Ok(())
    }

    /// Step 3: after a client step that wrote on the primary, the linked replicas catch up.
    pub(super) fn after_write(&mut self, before: &World, after: &World) -> Result<(), LiveError> {
        let (Some(b), Some(a)) = (before.replication(), after.replication()) else {
            return Ok(());
        };
        if a.head() != b.head() {
            self.sync_linked()?;
        }
        Ok(())
    }

    /// Step 4: replica `r` applies the model's next write: it is released to the stream.
    pub(super) fn replicate(&mut self, r: usize, after: &World) -> Result<Step, LiveError> {
        self.nodes.fleet().relink(r)?;
        let rep = after.replication().expect("failover has replicas");
        self.compare_replica(r, rep.replica_keys(r), "after it applies the write")?;
        let mut step = self.blank(StepKind::Replicate, None);
        step.server = Some(r);
        step.notes.push(Note::LiveReplicated {
            replica: r,
            write: rep.offsets[r].into(),
        });
        Ok(step)
    }

    /// Warns when live replica `r`'s keyspace is not the model's `keys`.
    fn compare_replica(&mut self, r: usize, keys: &Keys, when: &str) -> Result<(), LiveError> {
        let Nodes::Fleet(f) = &self.nodes else {
            unreachable!("replicas are a fleet's")
        };
        let mut con = crate::route::Masters::open(f.replica(r))?;
        let live = snapshot::read_keyspace(
            &mut con,
            &self.prefix,
            self.started,
            self.tick_ms,
            self.now,
            &mut self.warnings,
        )?;
        let (model, live) = (describe(keys), describe(&live.keys));
        if model != live {
            self.warnings.push(format!(
                "replica {} {when}: model {model:?}, live {live:?}",
                r + 1
            ));
        }
        Ok(())
    }

    /// Step 5: the primary fails and replica `r` takes over.
    pub(super) fn promote(&mut self, r: usize, before: &World) -> Result<Step, LiveError> {
        let rep = before.replication().expect("failover has replicas");
        let (had, head) = (rep.offsets[r], rep.head());
        if self.nodes.fleet().is_linked(r) {
            self.nodes.fleet().sync(r)?;
        }
        self.compare_replica(r, rep.replica_keys(r), "when it is promoted")?;
        self.keep_served(0)?;
        self.nodes.fleet().promote(r)?;
        self.failovers += 1;
        let mut notes = self.reconnect(0)?;
        notes.insert(
            0,
            Note::LivePromoted {
                replica: r,
                had: had.into(),
                head: head.into(),
            },
        );
        let mut step = self.blank(StepKind::Promote, None);
        step.server = Some(r);
        step.notes = notes;
        Ok(step)
    }

    /// Master `s` is killed and started again, empty, on its port.
    pub(super) fn restart(&mut self, s: usize) -> Result<Step, LiveError> {
        self.keep_served(s)?;
        self.nodes.fleet().restart(s)?;
        self.restarts += 1;
        let mut notes = self.reconnect(s)?;
        notes.insert(0, Note::LiveRestarted { server: s });
        let mut step = self.blank(StepKind::Restart, None);
        step.server = Some(s);
        step.notes = notes;
        Ok(step)
    }

    /// Before server `s` goes away: a parked command it has already answered keeps its reply
    /// (the model's `served`), read now from the old connection.
    fn keep_served(&mut self, s: usize) -> Result<(), LiveError> {
        for i in 0..self.clients.len() {
            let Status::Waiting { conn } = self.clients[i].status else {
                continue;
            };
            let slot = conn as usize;
            if self.system.server_of(i, slot) != s || self.is_blocked(i, slot)? {
                continue;
            }
            if let Some(reply) = self.receive(i, slot)? {
                if let Some(lc) = self.conns[i][slot].as_mut() {
                    lc.kept = Some(reply);
                }
            }
        }
        Ok(())
    }

    /// After server `s` was replaced: new control and client connections to it. A command
    /// still parked there is answered with the model's connection-lost error.
    fn reconnect(&mut self, s: usize) -> Result<Vec<Note>, LiveError> {
        let mut notes = Vec::new();
        self.control[s] = self.nodes.control(s)?;
        for i in 0..self.conns.len() {
            for slot in 0..self.conns[i].len() {
                if self.system.server_of(i, slot) != s {
                    continue;
                }
                let Some(old) = self.conns[i][slot].take() else {
                    continue;
                };
                let mut new = self.open_conn(i, slot)?;
                let parked = self.clients[i].status == Status::Waiting { conn: slot as u8 };
                new.kept = match old.kept {
                    Some(r) => Some(r),
                    None if parked => {
                        notes.push(Note::LiveConnectionLost {
                            client: client_name(i),
                        });
                        Some(Reply::err(CONNECTION_LOST))
                    }
                    None => None,
                };
                self.conns[i][slot] = Some(new);
            }
        }
        self.subject = None;
        Ok(notes)
    }

    pub(super) fn crash(&mut self, i: usize) -> Result<Step, LiveError> {
        let mut killed = 0;
        let mut expected = 0;
        let mut ids = Vec::new();
        for slot in 0..self.conns[i].len() {
            if let Some(lc) = self.conns[i][slot].take() {
                // Its connection to every master of its server.
                for (node, nc) in lc.con.nodes().iter().enumerate() {
                    let n: i64 = redis::cmd("CLIENT")
                        .arg("KILL")
                        .arg("ID")
                        .arg(nc.id)
                        .query(self.control[lc.server].node(node))
                        .map_err(|e| {
                            LiveError::redis(
                                format!("killing {}'s connection {}", client_name(i), nc.id),
                                e,
                            )
                        })?;
                    killed += n;
                    expected += 1;
                    ids.push((lc.server, (node, nc.id)));
                }
            }
        }
        // The server frees a killed client (its WATCH, MULTI and parked BLPOP) at once;
        // check it is gone before anything else runs.
        for (server, id) in ids {
            if self.client_info(server, id)?.is_some() {
                return Err(config(format!(
                    "{}'s connection {} is still listed by CLIENT LIST after CLIENT KILL",
                    client_name(i),
                    id.1
                )));
            }
        }
        if killed != expected {
            self.warnings.push(format!(
                "CLIENT KILL closed {killed} of {}'s {expected} connections",
                client_name(i),
            ));
        }
        self.crashes += 1;
        self.pubsub.forget(i);
        let c = &mut self.clients[i];
        c.status = model::world::Status::Crashed { at: self.now };
        c.threads.clear();
        c.in_cs = false;
        let mut step = self.blank(StepKind::Crash, Some(i));
        step.notes = vec![Note::Crashed {
            client: client_name(i),
        }];
        Ok(step)
    }
}
