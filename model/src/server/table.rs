//! The command table's answers that do not depend on a server's state: each command's arity
//! (as the profile's version has it) and the error a wrong one gets, which commands a script
//! or a transaction may run, the unknown-command reply, and Redis's integer parsing.

use super::Context;
use crate::command::Command;
use crate::profile::Profile;
use crate::reply::Reply;

/// Whether a script may call `name` (the refusals [`super::Server::execute`] makes in
/// `Context::Script`: transactions, scripting, and blocking commands where the profile
/// refuses them). Redis checks a call's hash slots only after these refusals.
pub(super) fn allowed_in_script(profile: Profile, name: &str) -> bool {
    match name {
        "MULTI" | "EXEC" | "DISCARD" | "WATCH" | "UNWATCH" | "EVAL" | "EVALSHA" | "SCRIPT" => false,
        "BLPOP" | "BRPOP" | "BLMOVE" | "BRPOPLPUSH" => !profile.blocking_in_script_is_error(),
        _ => true,
    }
}

/// Refusal of a transaction or scripting command where Redis refuses it.
pub(super) fn not_allowed(profile: Profile, ctx: Context, name: &str) -> Reply {
    match ctx {
        Context::Script => Reply::err(profile.script_not_allowed()),
        // Only reachable for commands queued inside MULTI that Redis itself never queues.
        _ => Reply::err(format!("ERR {} inside MULTI is not allowed", name)),
    }
}

/// Redis's reply to a command it does not know (7.0 wording).
pub(crate) fn unknown_command(profile: Profile, cmd: &Command) -> Reply {
    let (q, sep) = profile.unknown_command_quoting();
    let name = cmd.0.first().cloned().unwrap_or_default();
    // Redis lists the arguments while the text is under 128 bytes, each cut to what is left.
    let mut args = String::new();
    for a in cmd.args() {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let mut cut = a.len().min(room);
        while !a.is_char_boundary(cut) {
            cut -= 1;
        }
        args.push_str(&format!("{q}{}{q}{sep}", &a[..cut]));
    }
    Reply::err(format!(
        "ERR unknown command {q}{name}{q}, with args beginning with: {args}"
    ))
}

/// Arity as in Redis's command table: positive = exact count, negative = at least that many
/// (both counting the command name).
pub(crate) fn arity(name: &str) -> Option<i32> {
    Some(match name {
        "GET" | "GETDEL" | "INCR" | "DECR" | "PERSIST" | "TTL" | "PTTL" | "LLEN" | "TYPE" => 2,
        "SETNX" | "GETSET" | "INCRBY" | "DECRBY" | "APPEND" => 3,
        "ECHO" => 2,
        "GETEX" => -2,
        "TIME" => 1,
        "FLUSHALL" | "FLUSHDB" => -1,
        "BRPOP" => -3,
        "BLMOVE" => 6,
        "BRPOPLPUSH" => 4,
        "SETEX" | "PSETEX" => 4,
        "SET" => -3,
        "DEL" | "UNLINK" | "EXISTS" | "WATCH" => -2,
        "EXPIRE" | "PEXPIRE" => -3,
        "LPUSH" | "RPUSH" => -3,
        "LPOP" | "RPOP" => -2,
        "LRANGE" | "LREM" => 4,
        "LMOVE" => 5,
        "BLPOP" => -3,
        "PING" => -1,
        "MULTI" | "EXEC" | "DISCARD" | "UNWATCH" => 1,
        "EVAL" | "EVALSHA" => -3,
        "SCRIPT" => -2,
        _ => return super::families::arity(name),
    })
}

/// [`arity`] as the profile's version has it (`None`: the version has no such command).
pub(crate) fn arity_in(profile: Profile, name: &str) -> Option<i32> {
    profile.arity_override(name).unwrap_or_else(|| arity(name))
}

pub(crate) fn arity_error(profile: Profile, name: &str, nargs: usize) -> Option<Reply> {
    arity_mismatch(arity_in(profile, name)?, name, nargs)
}

/// The wrong-arity error for `name` with `nargs` arguments when its arity is `want`.
pub(super) fn arity_mismatch(want: i32, name: &str, nargs: usize) -> Option<Reply> {
    let have = nargs as i32 + 1;
    let ok = if want >= 0 {
        have == want
    } else {
        have >= -want
    };
    (!ok).then(|| {
        Reply::err(format!(
            "ERR wrong number of arguments for '{}' command",
            name.to_ascii_lowercase()
        ))
    })
}

pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(crate) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Redis's strict integer parsing (string2ll): no sign but '-', no leading zeros, no spaces.
pub fn parse_int(s: &str) -> Result<i64, Reply> {
    let b = s.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let well_formed = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || (digits.len() == 1 && digits.len() == b.len()));
    if !well_formed {
        return Err(Reply::err(NOT_INTEGER));
    }
    s.parse::<i64>().map_err(|_| Reply::err(NOT_INTEGER))
}

/// DECRBY's increment negated; Redis refuses i64::MIN with its own message.
pub(super) fn negate(n: i64) -> Result<i64, Reply> {
    n.checked_neg()
        .ok_or_else(|| Reply::err("ERR decrement would overflow"))
}
