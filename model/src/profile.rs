//! Server versions whose observable rules differ. The model takes one; the conformance suite
//! shows which profile each real server matches.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A server version profile: every rule of the model that differs between Redis versions is a
/// method here, so a difference is one `match`, not a scattered `if`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Profile {
    #[serde(rename = "redis-6.0")]
    Redis60,
    #[default]
    #[serde(rename = "redis-7.0")]
    Redis70,
    #[serde(rename = "redis-8.0")]
    Redis80,
    #[serde(rename = "valkey-8.1")]
    Valkey81,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::Redis60,
        Profile::Redis70,
        Profile::Redis80,
        Profile::Valkey81,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Redis60 => "redis-6.0",
            Profile::Redis70 => "redis-7.0",
            Profile::Redis80 => "redis-8.0",
            Profile::Valkey81 => "valkey-8.1",
        }
    }

    /// Whether a script may not call BLPOP (measured: 6.0.16 and 7.0.15 refuse it by its
    /// `noscript` flag; Redis 8.0 and Valkey 8.1 run it as its non-blocking form).
    pub fn blocking_in_script_is_error(self) -> bool {
        matches!(self, Profile::Redis60 | Profile::Redis70)
    }

    /// `redis.call` of a command scripts may not run.
    pub fn script_not_allowed(self) -> &'static str {
        match self {
            Profile::Redis60 => "@user_script: 1: This Redis command is not allowed from scripts",
            _ => "ERR This Redis command is not allowed from script",
        }
    }

    /// Since 7.0 an error raised by `redis.call` or by the Lua runtime carries the script's
    /// location (`script: <sha>, on @user_script:<line>.`).
    pub fn script_errors_carry_location(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// Arity rules that differ from Redis 7.0's command table: `Some(None)` = the command does
    /// not exist, `Some(Some(n))` = another arity. 6.0 has no GETDEL, GETEX, LMOVE or BLMOVE (6.2), no LPOP/RPOP count
    /// (6.2) and no EXPIRE options NX/XX/GT/LT (7.0).
    pub fn arity_override(self, name: &str) -> Option<Option<i32>> {
        match (self, name) {
            (Profile::Redis60, "GETDEL" | "LMOVE" | "GETEX" | "BLMOVE" | "COPY") => Some(None),
            (Profile::Redis60, "LPOP" | "RPOP") => Some(Some(2)),
            (Profile::Redis60, "EXPIRE" | "PEXPIRE" | "EXPIREAT" | "PEXPIREAT") => Some(Some(3)),
            // ZRANK/ZREVRANK … WITHSCORE (7.2).
            (Profile::Redis80 | Profile::Valkey81, "ZRANK" | "ZREVRANK") => Some(Some(-3)),
            _ => None,
        }
    }

    /// Scores print as the shortest round-trip digits (8.0, Valkey 8.1), not `%.17g`
    /// (6.0, 7.0); see `server::double`.
    pub fn shortest_doubles(self) -> bool {
        matches!(self, Profile::Redis80 | Profile::Valkey81)
    }

    /// A score range bound with leading whitespace (`" 1"`) is refused (8.0); 6.0, 7.0 and
    /// Valkey 8.1 read it with strtod, which skips it.
    pub fn strict_score_bounds(self) -> bool {
        matches!(self, Profile::Redis80)
    }

    /// A small sorted set stores a `-0` score as `0` (7.0 and later), 6.0 keeps `-0`.
    pub fn listpack_scores_drop_negative_zero(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// ZADD's GT and LT options (6.2).
    pub fn zadd_has_gt_lt(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// ZRANGE's BYSCORE, REV and LIMIT options (6.2); 6.0 takes only WITHSCORES.
    pub fn zrange_has_options(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// ZRANGE and ZRANGEBYSCORE parse their options before their range (6.2); 6.0 the range
    /// first, so a bad range wins over a bad option.
    pub fn zrange_options_first(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// ZPOPMIN's count must be a non-negative integer ("value is out of range, must be
    /// positive"); 6.0 reads any integer and pops nothing for a negative one.
    pub fn zpop_count_must_be_positive(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// ZUNIONSTORE/ZINTERSTORE with numkeys below 1.
    pub fn zstore_needs_a_key(self, cmd: &str) -> String {
        match self {
            Profile::Redis60 => {
                "ERR at least 1 input key is needed for ZUNIONSTORE/ZINTERSTORE".into()
            }
            _ => format!("ERR at least 1 input key is needed for '{cmd}' command"),
        }
    }

    /// MSET/MSETNX with a key and no value.
    pub fn mset_odd_arguments(self, cmd: &str) -> String {
        match self {
            Profile::Redis60 => format!(
                "ERR wrong number of arguments for {}",
                cmd.to_ascii_uppercase()
            ),
            _ => format!("ERR wrong number of arguments for '{cmd}' command"),
        }
    }

    /// Errors name a subcommand with its container (`script|load`), since 7.0.
    pub fn names_subcommands(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// A command other than (UN)SUBSCRIBE/PING/QUIT/RESET on a subscribed RESP2 connection.
    pub fn subscribed_context_error(self, cmd: &str) -> String {
        match self {
            Profile::Redis60 => format!("ERR Can't execute '{cmd}': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are allowed in this context"),
            _ => format!("ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
        }
    }

    /// How an unknown command's name and arguments are quoted, and what follows each argument:
    /// 6.0 writes `` `GETDEL`, with args beginning with: `k`,  `` (backticks, comma).
    pub fn unknown_command_quoting(self) -> (char, &'static str) {
        match self {
            Profile::Redis60 => ('`', ", "),
            _ => ('\'', " "),
        }
    }

    /// MULTI or WATCH inside MULTI: Valkey 8.1 rejects them before they run (dooming the
    /// transaction, as any rejected command does); Redis answers them without aborting.
    pub fn rejected_inside_multi(self, name: &str) -> Option<&'static str> {
        match (self, name) {
            (Profile::Valkey81, "MULTI" | "WATCH") => {
                Some("ERR Command not allowed inside a transaction")
            }
            _ => None,
        }
    }

    /// When a list a parked BLPOP waits on gets an element, Redis 8.0 and Valkey 8.1 re-run
    /// the whole command: its keys in order, so an earlier key that now holds a string serves
    /// WRONGTYPE. Redis 6.0 and 7.0 pop from the ready list.
    pub fn served_blpop_reruns_command(self) -> bool {
        matches!(self, Profile::Redis80 | Profile::Valkey81)
    }

    /// A blocking command's timeout beyond i64 ms, or overflowing with the clock, is "timeout
    /// is out of range" (measured: Redis 8.0.2, Valkey 8.1.1; 7.0 says "timeout is negative").
    pub fn timeout_range_checked(self) -> bool {
        matches!(self, Profile::Redis80 | Profile::Valkey81)
    }

    /// Whether an expire time that overflows with the clock is refused (6.2+). Redis 6.0
    /// wraps it around, so the key is set already expired (measured: SET k v EX
    /// 9223372036854775807 is OK on 6.0.16).
    pub fn expire_overflow_checked(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// LREM's count i64::MIN is refused (measured: Redis 8.0.2, Valkey 8.1.1; 7.0 takes it).
    pub fn lrem_refuses_i64_min(self) -> bool {
        matches!(self, Profile::Redis80 | Profile::Valkey81)
    }

    /// SET's EXAT and PXAT options (6.2).
    pub fn set_has_exat(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// FLUSHALL/FLUSHDB's SYNC option (6.2; 6.0 has only ASYNC).
    pub fn flush_has_sync(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// SET's GET option (6.2).
    pub fn set_has_get_option(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// The error for a non-positive or overflowing expire time of SET/SETEX/PSETEX.
    pub fn invalid_expire_time(self, cmd: &str) -> String {
        match self {
            Profile::Redis60 => format!("ERR invalid expire time in {cmd}"),
            _ => format!("ERR invalid expire time in '{cmd}' command"),
        }
    }

    /// EVALSHA's reply for a script not in the cache.
    pub fn noscript(self) -> &'static str {
        match self {
            Profile::Valkey81 => "NOSCRIPT No matching script.",
            _ => "NOSCRIPT No matching script. Please use EVAL.",
        }
    }

    /// `redis.call` of a command the server does not know.
    pub fn script_unknown_command(self) -> &'static str {
        match self {
            Profile::Redis60 => "@user_script: 1: Unknown Redis command called from Lua script",
            Profile::Valkey81 => "ERR Unknown command called from script",
            _ => "ERR Unknown Redis command called from script",
        }
    }

    /// `redis.call` with the wrong number of arguments.
    pub fn script_wrong_arity(self) -> &'static str {
        match self {
            Profile::Redis60 => {
                "@user_script: 1: Wrong number of args calling Redis command From Lua script"
            }
            Profile::Valkey81 => "ERR Wrong number of args calling command from script",
            _ => "ERR Wrong number of args calling Redis command from script",
        }
    }

    /// The reply of a script that raised `msg` at `line` (when known). 7.0+ append the
    /// location; 6.0 wraps it: `ERR Error running script (call to f_<sha>): @user_script:1: …`.
    pub fn script_error(self, msg: &str, sha: &str, source: Option<(&str, i64)>) -> String {
        match (self, source) {
            (Profile::Redis60, Some((src, line))) => {
                // A Lua runtime error's text has no error code in 6.0.
                let msg = match msg.strip_prefix("ERR ") {
                    Some(m) if m.starts_with("user_script:") => m,
                    _ => msg,
                };
                format!("ERR Error running script (call to f_{sha}): {src}:{line}: {msg}")
            }
            (Profile::Redis60, None) => msg.to_string(),
            (_, Some((src, line))) => format!("{msg} script: {sha}, on {src}:{line}."),
            (_, None) => msg.to_string(),
        }
    }
}

/// The Lua library scripts see (issue 16), measured on the images of each profile: Redis
/// 6.0.16, 7.0.15, 8.0.2 and Valkey 8.1.1.
impl Profile {
    /// 7.0+ make `_G` and every library table read-only (`Attempt to modify a readonly
    /// table`); 6.0 only refuses to create globals and keeps every other write for later
    /// scripts.
    pub fn script_sandbox_is_read_only(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// Shebang lines (`#!lua flags=…`), 7.0+; 6.0 compiles the `#` as Lua and fails.
    pub fn script_shebang(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// `redis.REDIS_VERSION` and `redis.REDIS_VERSION_NUM` (absent in 6.0; Valkey reports the
    /// Redis version it forked from).
    pub fn script_redis_version(self) -> Option<(&'static str, i64)> {
        match self {
            Profile::Redis60 => None,
            Profile::Redis70 => Some(("7.0.15", 0x07000f)),
            Profile::Redis80 => Some(("8.0.2", 0x080002)),
            Profile::Valkey81 => Some(("7.2.4", 0x070204)),
        }
    }

    /// Valkey's `server.VALKEY_VERSION` and `VALKEY_VERSION_NUM` (and the `server` alias).
    pub fn script_valkey_version(self) -> Option<(&'static str, i64)> {
        match self {
            Profile::Valkey81 => Some(("8.1.1", 0x080101)),
            _ => None,
        }
    }

    /// The library name in the messages of `log`, `setresp` and `set_repl`.
    pub fn script_library_name(self) -> &'static str {
        match self {
            Profile::Valkey81 => "server",
            _ => "redis",
        }
    }

    /// `redis.log` with a level outside 0..=3.
    pub fn script_log_level_error(self) -> &'static str {
        match self {
            Profile::Redis60 | Profile::Redis70 => "Invalid debug level.",
            _ => "Invalid log level.",
        }
    }

    /// `redis.set_repl` with no argument or more than one.
    pub fn script_set_repl_arity_error(self) -> &'static str {
        match self {
            Profile::Redis60 | Profile::Redis70 => "redis.set_repl() requires two arguments.",
            Profile::Redis80 => "redis.set_repl() requires one argument.",
            Profile::Valkey81 => "server.set_repl() requires one argument.",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!("unknown profile {s:?} (expected one of: redis-6.0, redis-7.0, redis-8.0, valkey-8.1)")
            })
    }
}
