//! Shared helpers for the server conformance tests. Every expected reply in these tests was
//! copied from a real Redis 7.0.15 server (redis-cli --no-raw / a raw RESP2 client).
#![allow(dead_code)]

use model::server::Advanced;
use model::{Command, ConnId, Outcome, Profile, Reply, Server};

pub const A: ConnId = ConnId { client: 0, slot: 0 };
pub const B: ConnId = ConnId { client: 1, slot: 0 };
pub const C: ConnId = ConnId { client: 2, slot: 0 };
pub const D: ConnId = ConnId { client: 3, slot: 0 };

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INT: &str = "ERR value is not an integer or out of range";
pub const SYNTAX: &str = "ERR syntax error";
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// A Redis 7.0 server and the logical clock the test drives it with.
pub struct Redis {
    pub server: Server,
    pub now: u64,
}

impl Redis {
    pub fn new() -> Self {
        Self::with_profile(Profile::Redis70)
    }

    /// A server of another version profile.
    pub fn with_profile(profile: Profile) -> Self {
        Redis {
            server: Server::new(profile),
            now: 0,
        }
    }

    /// Sends a command at the current time; returns what it did.
    pub fn send(&mut self, conn: ConnId, args: &[&str]) -> Outcome {
        self.server.apply(conn, &Command::new(args), self.now)
    }

    /// Runs `EVAL script 0`: its reply, or, when the model refuses a Lua feature (the check
    /// would stop there), the refusal as the error text `ERR model: unmodelled: <what>`; the
    /// refusal is then cleared so that the test can go on with the same server.
    pub fn eval_or_refusal(&mut self, conn: ConnId, script: &str) -> Reply {
        match self.send(conn, &["EVAL", script, "0"]) {
            Outcome::Reply(r) => r,
            Outcome::Blocked => panic!("{conn} EVAL {script:?} blocked"),
            Outcome::Unmodelled(what) => {
                self.server.unmodelled = None;
                let what = what
                    .strip_prefix(model::scripting::LUA_FEATURE)
                    .unwrap_or(&what);
                Reply::err(format!("ERR model: unmodelled: {what}"))
            }
        }
    }

    /// Sends a command that must reply at once.
    pub fn call(&mut self, conn: ConnId, args: &[&str]) -> Reply {
        match self.send(conn, args) {
            Outcome::Reply(r) => r,
            Outcome::Blocked => panic!("{conn} {args:?} blocked; a reply was expected"),
            Outcome::Unmodelled(n) => panic!("{conn} {args:?}: {n} is not modelled"),
        }
    }

    /// Sends a command and asserts its reply.
    #[track_caller]
    pub fn expect(&mut self, conn: ConnId, args: &[&str], want: Reply) {
        let got = self.call(conn, args);
        assert_eq!(got, want, "{conn} {args:?} at t={}ms", self.now);
    }

    /// Moves the clock without running the server's clock events (the next command sees the
    /// new time; Redis deletes expired keys lazily on access).
    pub fn at(&mut self, now: u64) -> &mut Self {
        self.now = now;
        self
    }

    /// Moves the clock and runs the clock events (expiries, BLPOP timeouts).
    pub fn advance(&mut self, now: u64) -> Advanced {
        self.now = now;
        self.server.advance(now)
    }
}

pub fn ok() -> Reply {
    Reply::Status("OK".into())
}

pub fn status(s: &str) -> Reply {
    Reply::Status(s.into())
}

pub fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.into())
}

pub fn int(i: i64) -> Reply {
    Reply::Int(i)
}

pub fn err(s: &str) -> Reply {
    Reply::Error(s.into())
}

pub fn nil() -> Reply {
    Reply::Nil
}

pub fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

/// `EVAL script 0` on connection A (a refused Lua feature as its refusal text).
pub fn eval(r: &mut Redis, script: &str) -> Reply {
    r.eval_or_refusal(A, script)
}

/// Runs `EVAL script 0` and asserts its reply.
#[track_caller]
pub fn expect_eval(r: &mut Redis, script: &str, want: Reply) {
    assert_eq!(eval(r, script), want, "EVAL {script:?} 0");
}

/// An error raised by a script at `line`, with Redis 7's location suffix.
pub fn located(script: &str, msg: &str, line: u32) -> Reply {
    err(&format!(
        "{msg} script: {}, on @user_script:{line}.",
        model::scripting::sha1_hex(script)
    ))
}

/// A server with `profile` at logical time 0.
pub fn on(profile: Profile) -> Redis {
    Redis::with_profile(profile)
}
