//! Waiting for the real clock and asking the servers where things are: a tick (sleep to the
//! tick's boundary, then poll PTTL until every key the model expires in it is gone, on
//! whichever server holds it, and CLIENT LIST until every BLPOP it times out is unblocked),
//! CLIENT LIST for one connection (blocked?), and the lateness warning. Whether a command
//! the model parks did park is told where it is sent (`crate::backend::ParkingConn`).

use super::runner::Runner;
use super::{client_name, timed_out, BLOCK_WAIT, EXPIRY_WAIT};
use crate::route::ListedClient;
use crate::LiveError;
use model::{Note, Step, StepKind, World};
use std::time::{Duration, Instant};

impl Runner<'_> {
    pub(super) fn tick(&mut self, before: &World) -> Result<Step, LiveError> {
        self.now += 1000;
        let t = self.now / 1000;
        let mut notes = Vec::new();
        let boundary = Duration::from_millis(t * self.tick_ms);
        let elapsed = self.started.elapsed();
        if elapsed < boundary {
            let wait = boundary - elapsed;
            self.report(&format!(
                "waiting {:.2}s for the clock to reach t={t}s",
                wait.as_secs_f64()
            ));
            std::thread::sleep(wait);
        }
        for (server, state) in before.servers().enumerate() {
            let due: Vec<String> = state
                .keys
                .iter()
                .filter(|(_, e)| e.expires_at.is_some_and(|d| d <= self.now))
                .map(|(k, _)| k.clone())
                .collect();
            for k in &due {
                self.await_expiry(server, k, t, &mut notes)?;
            }
            let timed_out: Vec<model::ConnId> = state
                .waiters
                .iter()
                .copied()
                .filter(|c| {
                    state.conns[c]
                        .blocked
                        .as_ref()
                        .and_then(|b| b.deadline)
                        .is_some_and(|d| d <= self.now)
                })
                .collect();
            for c in timed_out {
                self.await_unblocked(c.client as usize, c.slot as usize)?;
                notes.push(Note::TimedOut {
                    client: client_name(c.client as usize),
                });
            }
        }
        for (i, c) in self.clients.iter().enumerate() {
            if let (true, Some(Some(until))) = (c.is_live(), c.lease_until) {
                if until == self.now {
                    notes.push(Note::LeaseRanOut {
                        client: client_name(i),
                    });
                }
            }
        }
        self.subject = None;
        Ok(Step {
            notes,
            ..self.blank(StepKind::Tick, None)
        })
    }

    /// Polls PTTL until model server `server` reports `key` gone.
    fn await_expiry(
        &mut self,
        server: usize,
        key: &str,
        t: u64,
        notes: &mut Vec<Note>,
    ) -> Result<(), LiveError> {
        let wire_key = format!("{}{key}", self.prefix);
        let since = Instant::now();
        let mut reported = false;
        loop {
            let pttl: i64 = redis::cmd("PTTL")
                .arg(&wire_key)
                .query(self.control[server].for_key(&wire_key))
                .map_err(|e| LiveError::redis(format!("reading PTTL {key}"), e))?;
            match pttl {
                -2 => {
                    notes.push(Note::Expired {
                        key: key.to_string(),
                        server: (self.control.len() > 1).then_some(server),
                    });
                    return Ok(());
                }
                -1 => {
                    let note = Note::LiveNoExpiry {
                        key: key.to_string(),
                        t,
                    };
                    self.warnings.push(note.to_string());
                    notes.push(note);
                    return Ok(());
                }
                ms => {
                    if since.elapsed() > EXPIRY_WAIT {
                        return Err(timed_out(
                            format!("waiting for {key} to expire on the server at t={t}s"),
                            format!(
                                "still there {:.1}s after the tick (PTTL {ms} ms); is the server's clock or the machine overloaded?",
                                since.elapsed().as_secs_f64()
                            ),
                        ));
                    }
                    if !reported && ms > 20 {
                        reported = true;
                        self.report(&format!(
                            "waiting {ms} ms for {key} to expire on the server (t={t}s)"
                        ));
                    }
                    std::thread::sleep(Duration::from_millis((ms as u64).clamp(1, 10)));
                }
            }
        }
    }

    /// Polls CLIENT LIST until client `i`'s connection `slot` is no longer blocked.
    fn await_unblocked(&mut self, i: usize, slot: usize) -> Result<(), LiveError> {
        let since = Instant::now();
        let Some(lc) = self.conns[i][slot].as_ref() else {
            return Ok(());
        };
        if !lc.con.is_blocked(&mut self.control[lc.server])? {
            return Ok(());
        }
        let what = format!(
            "waiting for {}'s BLPOP to time out on the server",
            client_name(i)
        );
        self.report(&what);
        if !lc
            .con
            .await_unblocked(&mut self.control[lc.server], BLOCK_WAIT)?
        {
            return Err(timed_out(
                what,
                format!(
                    "still blocked {:.1}s after the tick",
                    since.elapsed().as_secs_f64()
                ),
            ));
        }
        Ok(())
    }

    /// Connection `id` on master `node` of model server `server`, as that master's CLIENT
    /// LIST shows it.
    pub(super) fn client_info(
        &mut self,
        server: usize,
        (node, id): (usize, i64),
    ) -> Result<Option<ListedClient>, LiveError> {
        self.control[server].client(node, id)
    }

    /// Whether client `i`'s connection `slot` is parked on the server.
    pub(super) fn is_blocked(&mut self, i: usize, slot: usize) -> Result<bool, LiveError> {
        let Some(lc) = self.conns[i][slot].as_ref() else {
            return Ok(false);
        };
        lc.con.is_blocked(&mut self.control[lc.server])
    }

    /// Warns once per tick when steps run past the next tick's boundary while keys have TTLs:
    /// the server may then expire them before the model does.
    pub(super) fn check_lateness(&mut self, model_world: &World) {
        let t = self.now / 1000;
        if self.late_warned == Some(t)
            || model_world
                .server
                .keys
                .values()
                .all(|e| e.expires_at.is_none())
        {
            return;
        }
        let next = Duration::from_millis((t + 1) * self.tick_ms);
        let elapsed = self.started.elapsed();
        if elapsed > next {
            self.late_warned = Some(t);
            self.warnings.push(format!(
                "the steps at t={t}s ran {} ms past the next tick's boundary: keys with a TTL may have expired on the server before the model expires them",
                (elapsed - next).as_millis()
            ));
        }
    }
}
