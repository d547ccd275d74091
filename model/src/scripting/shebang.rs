//! Script shebangs (`#!lua flags=no-writes`, Redis 7.0+) and which commands a read-only
//! script may not call.

/// What a script's first line declares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Flags {
    /// `flags=no-writes`: write commands are refused.
    pub no_writes: bool,
}

/// Flags Redis 7.0 accepts in `flags=` (only `no-writes` changes anything on one server).
const KNOWN_FLAGS: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// Reads a shebang line. Returns the flags and the body Lua compiles: the shebang line is
/// blanked (its newline kept, so line numbers stay), or Redis's error for a bad shebang.
pub(super) fn parse(body: &str) -> Result<(Flags, String), String> {
    if !body.starts_with("#!") {
        return Ok((Flags::default(), body.to_string()));
    }
    let Some((line, rest)) = body.split_once('\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let engine = words.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = Flags::default();
    for word in words {
        let Some(list) = word.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {word}"));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            if !KNOWN_FLAGS.contains(&flag) {
                return Err(format!("ERR Unexpected flag in script shebang: {flag}"));
            }
            flags.no_writes |= flag == "no-writes";
        }
    }
    Ok((flags, format!("\n{rest}")))
}

/// Whether `name` (upper case) has Redis's `write` flag: `Some(true)` write, `Some(false)`
/// read-only, `None` not classified here (a command added to the model must be added here too;
/// until then a `no-writes` script calling it is refused as unmodelled).
pub(super) fn is_write(name: &str) -> Option<bool> {
    match name {
        "SET" | "SETNX" | "SETEX" | "PSETEX" | "GETSET" | "GETDEL" | "INCR" | "DECR" | "INCRBY"
        | "DECRBY" | "DEL" | "UNLINK" | "EXPIRE" | "PEXPIRE" | "PERSIST" | "LPUSH" | "RPUSH"
        | "LPOP" | "RPOP" | "LMOVE" | "LREM" | "BLPOP" => Some(true),
        "GET" | "EXISTS" | "TYPE" | "TTL" | "PTTL" | "LLEN" | "LRANGE" | "PING" | "MULTI"
        | "EXEC" | "DISCARD" | "WATCH" | "UNWATCH" | "EVAL" | "EVALSHA" | "SCRIPT" => Some(false),
        _ => None,
    }
}
