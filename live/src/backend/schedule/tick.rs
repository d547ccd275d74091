//! A tick on the real clock, as numbered steps:
//!
//! 1. The model's time moves one tick (1000 model ms); tick `t` ends `t × tick_ms` real ms
//!    after the run's clock started. Sleep until then (reported when it is a wait).
//! 2. For each server, in order, as the guide ([`Due`]) says: poll PTTL until every key the
//!    model expires in this tick is gone from it ([`EXPIRY_WAIT`] at most; a key with no TTL
//!    live is a warning), then CLIENT LIST until every parked command the model times out
//!    is unblocked ([`BLOCK_WAIT`] at most). Each is noted (expired, timed out).

use super::ScheduleBackend;
use crate::executor::{BLOCK_WAIT, EXPIRY_WAIT};
use crate::LiveError;
use model::{client_name, ConnId, Note};
use std::time::{Duration, Instant};

/// What the model expires and times out on one server in a tick (the guide of
/// [`ScheduleBackend::expect_tick`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Due {
    /// The model server.
    pub server: usize,
    /// Its keys whose deadline the tick reaches, in key order.
    pub keys: Vec<String>,
    /// Its parked connections whose timeout the tick reaches, in the order they parked.
    pub timed_out: Vec<ConnId>,
}

fn timed_out(context: impl Into<String>, what: impl Into<String>) -> LiveError {
    LiveError::io(
        context,
        std::io::Error::new(std::io::ErrorKind::TimedOut, what.into()),
    )
}

/// Steps 1 and 2.
pub(super) fn tick(b: &mut ScheduleBackend<'_>) -> Result<(), LiveError> {
    b.now += 1000;
    let t = b.now / 1000;
    let boundary = Duration::from_millis(t * b.tick_ms);
    let elapsed = b.started.elapsed();
    if elapsed < boundary {
        let wait = boundary - elapsed;
        b.report(&format!(
            "waiting {:.2}s for the clock to reach t={t}s",
            wait.as_secs_f64()
        ));
        std::thread::sleep(wait);
    }
    for due in std::mem::take(&mut b.due) {
        for k in &due.keys {
            await_expiry(b, due.server, k, t)?;
        }
        for c in due.timed_out {
            await_unblocked(b, c)?;
            b.notes.push(Note::TimedOut {
                client: client_name(c.client as usize),
            });
        }
    }
    Ok(())
}

/// Polls PTTL until model server `server` reports `key` gone.
fn await_expiry(
    b: &mut ScheduleBackend<'_>,
    server: usize,
    key: &str,
    t: u64,
) -> Result<(), LiveError> {
    let wire_key = format!("{}{key}", b.prefix);
    let since = Instant::now();
    let mut reported = false;
    loop {
        let pttl: i64 = redis::cmd("PTTL")
            .arg(&wire_key)
            .query(b.control[server].for_key(&wire_key))
            .map_err(|e| LiveError::redis(format!("reading PTTL {key}"), e))?;
        match pttl {
            -2 => {
                b.notes.push(Note::Expired {
                    key: key.to_string(),
                    server: (b.control.len() > 1).then_some(server),
                });
                return Ok(());
            }
            -1 => {
                let note = Note::LiveNoExpiry {
                    key: key.to_string(),
                    t,
                };
                b.warnings.push(note.to_string());
                b.notes.push(note);
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
                    b.report(&format!(
                        "waiting {ms} ms for {key} to expire on the server (t={t}s)"
                    ));
                }
                std::thread::sleep(Duration::from_millis((ms as u64).clamp(1, 10)));
            }
        }
    }
}

/// Polls CLIENT LIST until connection `c` is no longer blocked.
fn await_unblocked(b: &mut ScheduleBackend<'_>, c: ConnId) -> Result<(), LiveError> {
    let since = Instant::now();
    let Some(lc) = b.conns.get(&c) else {
        return Ok(());
    };
    let control = &mut b.control[lc.server];
    if !lc.con.is_blocked(control)? {
        return Ok(());
    }
    let what = format!(
        "waiting for {}'s BLPOP to time out on the server",
        client_name(c.client as usize)
    );
    if let Some(f) = &b.on_wait {
        f(&what);
    }
    if !lc.con.await_unblocked(control, BLOCK_WAIT)? {
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
