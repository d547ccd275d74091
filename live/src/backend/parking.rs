//! One client connection that may park, the piece the live backend and the schedule backend
//! (`schedule/conn.rs`) both send through: a command the guide expects to park is sent
//! without reading, and CLIENT LIST on the master it went to tells whether the server holds
//! it blocked or has answered it at once; a parked command's reply is taken once the server
//! no longer lists the connection blocked (or waited for, after a tick that times it out).
//!
//! CLIENT LIST's `cmd=` is the last command a connection *ran*: a blocking command that
//! follows one of the same name on the same master cannot be told answered from not yet
//! read by it, so then only the blocked flag (or [`BLOCK_WAIT`]) decides. The name is kept
//! per master, since on `cluster3` each master sees only its own share of the commands.

use crate::executor::BLOCK_WAIT;
use crate::route::{Masters, NodeConn, RoutedConn};
use crate::LiveError;
use redis::Value;
use std::time::{Duration, Instant};

/// What became of a command sent on a [`ParkingConn`].
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Its reply.
    Reply(Value),
    /// It parked the connection: CLIENT LIST shows it blocked.
    Parked,
    /// Expected to park, it was answered at once: its reply.
    AtOnce(Value),
}

/// A [`RoutedConn`] and what it last sent to each master (see the module doc).
pub struct ParkingConn {
    con: RoutedConn,
    /// Lower-case name of the last command sent to each master (`client`: the CLIENT ID
    /// every connection sends when it opens).
    sent: Vec<String>,
    parked: bool,
}

impl ParkingConn {
    /// `con`, fresh (as [`RoutedConn::open`] leaves it).
    pub fn new(con: RoutedConn) -> Self {
        let sent = vec!["client".to_string(); con.nodes().len()];
        ParkingConn {
            con,
            sent,
            parked: false,
        }
    }

    /// The routed connection, to read further replies (pub/sub messages) on it.
    pub fn routed(&mut self) -> &mut RoutedConn {
        &mut self.con
    }

    /// Every master's connection, in master order.
    pub fn nodes(&self) -> &[NodeConn] {
        self.con.nodes()
    }

    /// The master the last command went to, and the connection's CLIENT ID there.
    pub fn last(&self) -> (usize, i64) {
        self.con.last()
    }

    /// Whether a command sent here parked and its reply has not been read.
    pub fn is_parked(&self) -> bool {
        self.parked
    }

    /// Sends `args`. With `expect_park` (the guide parks it), waits until CLIENT LIST on
    /// `masters` (this connection's server's control connections) shows the connection
    /// blocked, or shows the command ran; otherwise reads the reply. Errors start with
    /// `context` (who sends what).
    pub fn send(
        &mut self,
        masters: &mut Masters,
        args: &[String],
        expect_park: bool,
        context: &str,
    ) -> Result<Answer, LiveError> {
        let in_context = |e: LiveError| config(format!("{context}: {e}"));
        let name = args[0].to_ascii_lowercase();
        if !expect_park {
            let v = self.con.request(args).map_err(in_context)?;
            self.sent[self.con.last().0] = name;
            return Ok(Answer::Reply(v));
        }
        self.con.send(args).map_err(in_context)?;
        let at = self.con.last();
        let previous = std::mem::replace(&mut self.sent[at.0], name.clone());
        if await_blocked(masters, at, &name, &previous, context)? {
            self.parked = true;
            return Ok(Answer::Parked);
        }
        Ok(Answer::AtOnce(self.con.recv().map_err(in_context)?))
    }

    /// Whether the server holds this connection blocked (CLIENT LIST on the master its last
    /// command went to).
    pub fn is_blocked(&self, masters: &mut Masters) -> Result<bool, LiveError> {
        let (node, id) = self.con.last();
        Ok(masters.client(node, id)?.is_some_and(|c| c.blocked))
    }

    /// The parked command's reply once the server has served it: `None` while CLIENT LIST
    /// still shows the connection blocked.
    pub fn take_served(&mut self, masters: &mut Masters) -> Result<Option<Value>, LiveError> {
        if self.is_blocked(masters)? {
            return Ok(None);
        }
        let v = self.con.recv()?;
        self.parked = false;
        Ok(Some(v))
    }

    /// Polls CLIENT LIST until the connection is no longer blocked (`true`) or `wait` has
    /// passed (`false`).
    pub fn await_unblocked(
        &self,
        masters: &mut Masters,
        wait: Duration,
    ) -> Result<bool, LiveError> {
        let since = Instant::now();
        loop {
            if !self.is_blocked(masters)? {
                return Ok(true);
            }
            if since.elapsed() > wait {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// After sending `name`: waits until CLIENT LIST shows connection `id` blocked (`true`) or
/// shows the command ran without blocking (`false`).
fn await_blocked(
    masters: &mut Masters,
    (node, id): (usize, i64),
    name: &str,
    previous: &str,
    context: &str,
) -> Result<bool, LiveError> {
    let since = Instant::now();
    loop {
        let info = masters.client(node, id)?.ok_or_else(|| {
            config(format!(
                "{context}: connection {id} on master {node} is gone from CLIENT LIST"
            ))
        })?;
        if info.blocked {
            return Ok(true);
        }
        let ran = info.cmd == name;
        if ran && previous != name {
            return Ok(false);
        }
        if since.elapsed() > BLOCK_WAIT {
            if ran {
                return Ok(false);
            }
            return Err(LiveError::io(
                format!("{context}: waiting for {name} to block on the server"),
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("not seen after {:.1}s", since.elapsed().as_secs_f64()),
                ),
            ));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn config(reason: String) -> LiveError {
    LiveError::Config { reason }
}
