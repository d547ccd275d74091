//! Absolute times between the model's clock and the real one.
//!
//! The model's server clock starts at [`EPOCH_MS`] (model time 0); the live run's starts when
//! the executor's run clock does (`Runner::started`, whose wall time is `start_wall_ms`). So:
//! 1. An absolute time the recipe sends (SET/GETEX `EXAT s` or `PXAT ms`, `EXPIREAT s`,
//!    `PEXPIREAT ms`) is model time `t - EPOCH_MS`; it goes out as the real time
//!    `start_wall_ms + (t - EPOCH_MS)`, in milliseconds (EXAT → PXAT, EXPIREAT → PEXPIREAT:
//!    the run's start is not a whole second), so the key expires on the server exactly at the
//!    tick boundary where the model expires it.
//! 2. A TIME reply is turned back: the server's clock minus `start_wall_ms` is the run's
//!    elapsed real time, which falls in tick `t`; the model answers `EPOCH_MS/1000 + t`
//!    seconds and 0 microseconds at tick `t`, and so does the converted reply. A server whose
//!    clock reads outside the step's tick gives another second: a reply mismatch.
//!
//! Only at the model's tick of 1000 ms; with another tick a command with an absolute time
//! is refused (one line).

use model::server::EPOCH_MS;
use model::{Command, Reply};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The wall-clock time (ms since 1970) at which the run's clock `started`.
pub(crate) fn start_wall_ms(started: Instant) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    now - started.elapsed().as_millis() as i64
}

/// The positions of `cmd`'s absolute time arguments and their unit (1000: seconds, 1: ms),
/// with the option word before each (None for EXPIREAT/PEXPIREAT's second argument).
fn absolute_times(cmd: &Command) -> Vec<(usize, i64, Option<usize>)> {
    let a = &cmd.0;
    match cmd.name().as_str() {
        "EXPIREAT" if a.len() >= 3 => vec![(2, 1000, None)],
        "PEXPIREAT" if a.len() >= 3 => vec![(2, 1, None)],
        "SET" | "GETEX" => {
            let from = if cmd.name() == "SET" { 3 } else { 2 };
            (from..a.len().saturating_sub(1))
                .filter_map(|i| match a[i].to_ascii_uppercase().as_str() {
                    "EXAT" => Some((i + 1, 1000, Some(i))),
                    "PXAT" => Some((i + 1, 1, Some(i))),
                    _ => None,
                })
                .collect()
        }
        _ => vec![],
    }
}

/// Whether `cmd` carries an absolute time (step 1).
pub(crate) fn has_absolute_time(cmd: &Command) -> bool {
    !absolute_times(cmd).is_empty()
}

/// Step 1 on the argument vector about to be sent (`args` is `cmd` already namespaced).
pub(crate) fn outgoing(
    cmd: &Command,
    args: &mut [String],
    start_wall_ms: i64,
    tick_ms: u64,
) -> Result<(), String> {
    for (pos, unit, word) in absolute_times(cmd) {
        let Ok(t) = model::server::parse_int(&args[pos]) else {
            continue; // the server answers the error the model answers
        };
        if tick_ms != 1000 {
            return Err(format!(
                "{} (an absolute time) cannot be replayed with a tick of {tick_ms} ms",
                cmd.name()
            ));
        }
        let model_ms = (t as i128) * unit as i128 - EPOCH_MS as i128;
        let real = start_wall_ms as i128 + model_ms;
        if real <= 0 || real > i64::MAX as i128 / 2 {
            continue; // far outside the run: sent as it is
        }
        args[pos] = real.to_string();
        match word {
            Some(w) => args[w] = "PXAT".into(),
            None => args[0] = "PEXPIREAT".into(),
        }
    }
    Ok(())
}

/// Step 2 on a TIME reply read at the run's elapsed real time (at `tick_ms` per tick).
pub(crate) fn time_reply(reply: Reply, start_wall_ms: i64, tick_ms: u64) -> Reply {
    let Reply::Array(parts) = &reply else {
        return reply;
    };
    let (Some(Reply::Bulk(s)), Some(Reply::Bulk(us))) = (parts.first(), parts.get(1)) else {
        return reply;
    };
    let (Ok(s), Ok(us)) = (s.parse::<i64>(), us.parse::<i64>()) else {
        return reply;
    };
    let elapsed = s * 1000 + us / 1000 - start_wall_ms;
    if elapsed < 0 {
        return reply;
    }
    let tick = elapsed / tick_ms as i64;
    Reply::Array(vec![
        Reply::bulk((EPOCH_MS as i64 / 1000 + tick).to_string()),
        Reply::bulk("0"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::cmd;

    #[test]
    fn absolute_times_move_to_the_real_clock_in_milliseconds() {
        let start = 1_765_000_000_123;
        let secs = (EPOCH_MS / 1000 + 2).to_string();
        let c = cmd!["GETEX", "s", "EXAT", secs.as_str()];
        let mut args = c.0.clone();
        outgoing(&c, &mut args, start, 1000).unwrap();
        assert_eq!(args, ["GETEX", "s", "PXAT", "1765000002123"]);
        let c = cmd!["EXPIREAT", "s", secs.as_str(), "GT"];
        let mut args = c.0.clone();
        outgoing(&c, &mut args, start, 1000).unwrap();
        assert_eq!(args, ["PEXPIREAT", "s", "1765000002123", "GT"]);
        let ms = (EPOCH_MS + 1500).to_string();
        let c = cmd!["SET", "k", "v", "PXAT", ms.as_str()];
        let mut args = c.0.clone();
        outgoing(&c, &mut args, start, 1000).unwrap();
        assert_eq!(args, ["SET", "k", "v", "PXAT", "1765000001623"]);
        assert!(outgoing(&c, &mut c.0.clone(), start, 250).is_err());
        // A relative expiry is not this module's.
        let c = cmd!["GETEX", "s", "EX", 5];
        assert!(!has_absolute_time(&c));
    }

    #[test]
    fn a_time_reply_reads_the_tick_it_falls_in() {
        let start = 1_765_000_000_123;
        let live = |s: i64, us: i64| {
            Reply::Array(vec![
                Reply::bulk(s.to_string()),
                Reply::bulk(us.to_string()),
            ])
        };
        let model_at = |t: i64| {
            Reply::Array(vec![
                Reply::bulk((EPOCH_MS as i64 / 1000 + t).to_string()),
                Reply::bulk("0"),
            ])
        };
        assert_eq!(
            time_reply(live(1_765_000_000, 200_000), start, 1000),
            model_at(0)
        );
        assert_eq!(
            time_reply(live(1_765_000_001, 122_999), start, 1000),
            model_at(0)
        );
        assert_eq!(
            time_reply(live(1_765_000_001, 123_000), start, 1000),
            model_at(1)
        );
    }
}
