//! A command is exactly what a real server receives: its argument vector.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One Redis command as an argument vector (`["SET", "lock", "A", "NX", "EX", "2"]`).
///
/// The model and the live executor send the same vector, so a trace from either side names
/// the same bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Command(pub Vec<String>);

impl Command {
    /// Builds a command from anything that prints as its arguments.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        Command(args.into_iter().map(|a| a.to_string()).collect())
    }

    /// The command name, upper-cased (`"SET"`), or `""` for an empty vector.
    pub fn name(&self) -> String {
        self.upper().into_owned()
    }

    /// [`Command::name`], borrowed when the name is upper-case already (what recipes send),
    /// so that the server's hot path does not allocate for it.
    pub fn upper(&self) -> std::borrow::Cow<'_, str> {
        match self.0.first() {
            Some(s) if !s.bytes().any(|b| b.is_ascii_lowercase()) => s.as_str().into(),
            Some(s) => s.to_ascii_uppercase().into(),
            None => "".into(),
        }
    }

    /// The arguments after the name.
    pub fn args(&self) -> &[String] {
        self.0.get(1..).unwrap_or(&[])
    }

    /// Positions (in the full vector) of the arguments that are key names, for the commands the
    /// model knows, as Redis's key specs find them: a `numkeys` that is not an integer, is
    /// negative or counts past the last argument gives no keys at all (the command then fails
    /// on its own). The live executor uses this to namespace keys on a shared server, cluster
    /// mode to find the hash slots a command touches.
    pub fn key_positions(&self) -> Vec<usize> {
        let n = self.0.len();
        match &*self.upper() {
            "GET" | "SET" | "SETNX" | "SETEX" | "PSETEX" | "GETSET" | "GETDEL" | "INCR"
            | "INCRBY" | "DECR" | "DECRBY" | "EXPIRE" | "PEXPIRE" | "PERSIST" | "TTL" | "PTTL"
            | "LPUSH" | "RPUSH" | "LPOP" | "RPOP" | "LLEN" | "LRANGE" | "LREM" | "TYPE"
            | "GETEX" | "APPEND"
                if n >= 2 =>
            {
                vec![1]
            }
            "HSET" | "HGET" | "HMGET" | "HDEL" | "HEXISTS" | "HLEN" | "HINCRBY" | "HSETNX"
            | "HGETALL" | "ZADD" | "ZREM" | "ZSCORE" | "ZRANK" | "ZREVRANK" | "ZCARD"
            | "ZCOUNT" | "ZINCRBY" | "ZRANGE" | "ZRANGEBYSCORE" | "ZRANGEBYLEX"
            | "ZREMRANGEBYSCORE" | "ZREMRANGEBYRANK" | "ZPOPMIN" | "EXPIREAT" | "PEXPIREAT"
            | "LINDEX" | "LSET" | "LINSERT"
                if n >= 2 =>
            {
                vec![1]
            }
            "DEL" | "EXISTS" | "WATCH" | "UNLINK" | "MGET" => (1..n).collect(),
            "MSET" | "MSETNX" => (1..n).step_by(2).collect(),
            "RENAME" | "RENAMENX" | "COPY" | "RPOPLPUSH" if n >= 3 => vec![1, 2],
            // ZUNIONSTORE destination numkeys key [key ...] …
            "ZUNIONSTORE" | "ZINTERSTORE" if n >= 3 => match numkeys(&self.0[2], n - 3) {
                Some(k) => std::iter::once(1).chain(3..3 + k).collect(),
                None => vec![],
            },
            "LMOVE" | "BLMOVE" | "BRPOPLPUSH" if n >= 3 => vec![1, 2],
            // BLPOP key [key ...] timeout
            "BLPOP" | "BRPOP" if n >= 3 => (1..n - 1).collect(),
            // EVAL script numkeys key [key ...] arg [arg ...]
            "EVAL" | "EVALSHA" if n >= 3 => match numkeys(&self.0[2], n - 3) {
                Some(k) => (3..3 + k).collect(),
                None => vec![],
            },
            _ => vec![],
        }
    }
}

/// A key count as Redis reads it for its key specs (string2ll, at least 0, at most `room`).
fn numkeys(arg: &str, room: usize) -> Option<usize> {
    let k = crate::server::parse_int(arg).ok()?;
    usize::try_from(k).ok().filter(|&k| k <= room)
}

impl fmt::Display for Command {
    /// Prints as redis-cli would accept it: arguments quoted only where needed; a Lua script
    /// body is abbreviated to its first line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let script_pos = matches!(&*self.upper(), "EVAL").then_some(1);
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if Some(i) == script_pos {
                write!(f, "{}", abbreviate_script(a))?;
            } else {
                write!(f, "{}", quote_arg(a))?;
            }
        }
        Ok(())
    }
}

/// Quotes an argument the way redis-cli prints one: bare when it is a plain word.
pub fn quote_arg(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:.{}+*/".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("{a:?}")
    }
}

fn abbreviate_script(body: &str) -> String {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => "\"\"".to_string(),
        [one] => format!("{one:?}"),
        [first, ..] => format!("\"{} …\"", first.replace('"', "\\\"")),
    }
}
