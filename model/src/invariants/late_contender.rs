//! The late contender of `crashed-lock-frees`: "does the lock become acquirable again?" asked
//! of a finite model by a client that arrives after everything else happened.
//!
//! It reads only the run's observation (server 0's keyspace, the clock, how many clients ran),
//! so it asks the same question of a model world and of a live run's final keyspace.
//!
//! 1. A fresh client (the next token) runs the row's recipe on a copy of the server.
//! 2. It retries patiently: one tick between attempts, for up to [`LATE_CONTENDER_TICKS`]
//!    ticks, its connections closed between attempts.
//! 3. The answer is yes as soon as it states `acquired`.

use crate::client_name;
use crate::observation::Observation;
use crate::recipe::{ClientCtx, Event, Op};
use crate::server::{ConnId, Outcome};
use crate::system::System;

/// How long (ticks) the late contender of `crashed-lock-frees` keeps trying.
pub const LATE_CONTENDER_TICKS: u64 = 10;

/// Whether a client that arrives after everything in `w` happened, running the recipe of
/// `sys`'s first client and retrying patiently (one tick between attempts, for up to
/// [`LATE_CONTENDER_TICKS`] ticks), acquires the lock. This is how `crashed-lock-frees`
/// asks "does the lock become acquirable again?" in a finite model.
pub fn late_contender_acquires(sys: &System, w: &dyn Observation) -> bool {
    let me = ClientCtx {
        index: w.clients(),
        token: client_name(w.clients()),
        params: sys.scenario.params.clone(),
    };
    let conn = |slot: usize| ConnId {
        client: me.index as u8,
        slot: slot as u8,
    };
    let recipe = sys.recipe(0);
    let mut server = w.keyspace(0).clone();
    let mut now = w.now();
    for _ in 0..=LATE_CONTENDER_TICKS {
        let mut local = crate::recipe::Local::default();
        for _ in 0..64 {
            let next = recipe.next_at(&me, &mut local, now);
            if next
                .events
                .iter()
                .any(|e| matches!(e, Event::Acquired { .. }))
            {
                return true;
            }
            let Op::Send {
                conn: slot,
                command,
            } = next.op
            else {
                break;
            };
            let Outcome::Reply(reply) = server.apply(conn(slot), &command, now) else {
                break;
            };
            let events = recipe.on_reply_at(&me, &mut local, &reply, now);
            if events.iter().any(|e| matches!(e, Event::Acquired { .. })) {
                return true;
            }
        }
        for slot in 0..recipe.connections().len() {
            server.close(conn(slot));
        }
        now += 1000;
        server.advance(now);
    }
    false
}
