//! Cluster mode: one node of a Redis 7.0 cluster that owns all 16384 hash slots, so no key is
//! ever redirected (MOVED) and what remains is the slot rule for multi-key work. Measured on
//! Redis 7.0.15 started with `--cluster-enabled yes` and `CLUSTER ADDSLOTSRANGE 0 16383`.
//!
//! 1. A key's slot is CRC16 (XMODEM) of the key mod 16384, or of its hash tag: the bytes
//!    between its first `{` and the first `}` after it, when there are any
//!    (`inventory:{sku123}` and `order:{sku123}:456` share slot 5949; `{}` tags nothing).
//! 2. A command whose keys (as [`Command::key_positions`] finds them: Redis's key specs) lie
//!    in two slots is refused before it runs, after the unknown-command and arity checks:
//!    `CROSSSLOT Keys in request don't hash to the same slot`. Inside MULTI this happens at
//!    queue time and dooms the transaction (EXECABORT); WATCH of two slots inside MULTI too.
//!    The same key twice is one slot.
//! 3. EXEC checks the queued commands together: keys of two slots anywhere in the queue give
//!    CROSSSLOT, the transaction is discarded and its WATCHes dropped. Redis stores no
//!    command queued once the transaction is doomed (a queue-time error) or a WATCHed key
//!    changed, so those do not count: such an EXEC answers EXECABORT or nil as usual.
//! 4. WATCHes made by separate commands are not checked against each other or against the
//!    transaction (only the queue is).
//! 5. A script's declared keys are checked with its EVAL/EVALSHA (rule 2, even for an unknown
//!    SHA). Inside the script each `redis.call`/`redis.pcall` is checked on its own, after
//!    the refusals of commands scripts may not run: keys of two slots in one call give
//!    `ERR Script attempted to access a non local key in a cluster node` (with the script's
//!    location for `redis.call`). 7.0 does not hold an undeclared key to the declared keys'
//!    slot.
//! 6. `CLUSTER KEYSLOT key` answers the slot; without cluster mode, `ERR This instance has
//!    cluster support disabled`. No other CLUSTER subcommand is modelled.

use super::{ConnId, Multi, Outcome, Server};
use crate::command::Command;
use crate::reply::Reply;

/// Redis's reply to a command (or EXEC) whose keys span hash slots.
pub const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";
/// Redis 7.0's error for a script call whose keys span hash slots.
pub const SCRIPT_CROSSSLOT: &str =
    "ERR Script attempted to access a non local key in a cluster node";
/// Number of hash slots in a Redis cluster.
pub const SLOTS: u16 = 16384;

/// The hash slot of `key` (rule 1).
pub fn key_slot(key: &str) -> u16 {
    let b = key.as_bytes();
    let hashed = match b.iter().position(|&c| c == b'{') {
        Some(open) => match b[open + 1..].iter().position(|&c| c == b'}') {
            Some(len) if len > 0 => &b[open + 1..open + 1 + len],
            _ => b,
        },
        None => b,
    };
    crc16(hashed) % SLOTS
}

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis's `crc16.c`.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Whether the keys of `cmds` (taken together) lie in more than one slot.
pub fn spans_slots<'a>(cmds: impl IntoIterator<Item = &'a Command>) -> bool {
    let mut first = None;
    for cmd in cmds {
        for i in cmd.key_positions() {
            let slot = key_slot(&cmd.0[i]);
            match first {
                None => first = Some(slot),
                Some(s) if s != slot => return true,
                Some(_) => {}
            }
        }
    }
    false
}

impl Server {
    /// Rule 2: the CROSSSLOT refusal of `cmd`, in cluster mode.
    pub(super) fn cross_slot(&self, cmd: &Command) -> Option<Reply> {
        (self.cluster && spans_slots([cmd])).then(|| Reply::err(CROSSSLOT))
    }

    /// Rule 3: EXEC of a queue whose keys span slots discards it (and the WATCHes) with
    /// CROSSSLOT. `None` when EXEC may run.
    pub(super) fn exec_cross_slot(&mut self, conn: ConnId) -> Option<Reply> {
        let multi: &Multi = self.conn(conn)?.multi.as_ref()?;
        if !(self.cluster && spans_slots(multi.queue.iter().map(|c| &**c))) {
            return None;
        }
        let c = self.conn_mut(conn);
        c.multi = None;
        if !c.watched.is_empty() {
            c.watched = Default::default();
        }
        c.dirty = false;
        Some(Reply::err(CROSSSLOT))
    }

    /// Rule 3's other half: once a transaction is doomed or a WATCHed key changed, Redis
    /// stops storing what is queued (only observable in cluster mode, so only done there).
    pub(super) fn stores_queued(&self, conn: ConnId) -> bool {
        let Some(c) = self.conn(conn) else {
            return true;
        };
        !self.cluster || !(c.dirty || c.multi.as_ref().is_some_and(|m| m.aborted))
    }

    /// Rule 5: a script's call whose keys span slots.
    pub(crate) fn script_cross_slot(&self, cmd: &Command) -> Option<Reply> {
        (self.cluster && spans_slots([cmd])).then(|| Reply::err(SCRIPT_CROSSSLOT))
    }

    /// Rule 6: `CLUSTER KEYSLOT key` sent directly (outside MULTI); anything else about
    /// CLUSTER is not modelled.
    pub(super) fn cluster_command(&mut self, cmd: &Command) -> Outcome {
        match cmd.args() {
            [sub, key] if sub.eq_ignore_ascii_case("KEYSLOT") => Outcome::Reply(if self.cluster {
                Reply::Int(i64::from(key_slot(key)))
            } else {
                Reply::err("ERR This instance has cluster support disabled")
            }),
            _ => self.not_implemented(cmd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_as_cluster_keyslot_answers_them() {
        // `CLUSTER KEYSLOT` on Redis 7.0.15 (cluster mode).
        for (key, slot) in [
            ("foo", 12182),
            ("{sku123}x", 5949),
            ("inventory:{sku123}", 5949),
            ("order:{sku123}:456", 5949),
            ("a{}b", 13694),
            ("{}", 15257),
            ("{a", 10276),
            ("", 0),
            ("k1", 12706),
            ("k2", 449),
            ("k3", 4576),
            ("q1", 7450),
            ("q2", 11641),
            ("counter", 6680),
            ("lock:res", 2342),
        ] {
            assert_eq!(key_slot(key), slot, "{key:?}");
        }
    }
}
