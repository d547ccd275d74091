//! WATCH UNWATCH MULTI EXEC DISCARD: optimistic transactions.

use super::{arity_in, ConnId, Context, Outcome, Sent, Server};
use crate::command::Command;
use crate::reply::Reply;

/// An open MULTI: the queued commands and whether a queue-time error doomed it (EXECABORT).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Multi {
    /// Shared with the connection's earlier states: queueing a command copies pointers.
    pub queue: Vec<std::sync::Arc<Command>>,
    pub aborted: bool,
}

impl Server {
    pub(super) fn multi(&mut self, conn: ConnId) -> Reply {
        let c = self.conn_mut(conn);
        if c.multi.is_some() {
            return Reply::err("ERR MULTI calls can not be nested");
        }
        c.multi = Some(Multi::default());
        Reply::ok()
    }

    /// Queues a command inside MULTI. Unknown commands and wrong arity are refused now and
    /// doom the transaction; every other error shows up only when EXEC runs it.
    /// Queues the command `sent` in the open MULTI.
    pub(super) fn queue(&mut self, conn: ConnId, sent: Sent<'_>) -> Reply {
        let cmd = sent.command();
        let name = cmd.upper();
        let refusal = match arity_in(self.profile, &name) {
            None => match self.not_implemented(cmd) {
                Outcome::Reply(r) => Some(r),
                // Redis would queue it or refuse it by an arity the model does not know.
                _ => return Reply::Nil,
            },
            Some(_) => super::arity_error(self.profile, &name, cmd.args().len())
                .or_else(|| self.cross_slot(cmd)),
        };
        let stored = self.stores_queued(conn);
        let m = self
            .conn_mut(conn)
            .multi
            .as_mut()
            .expect("queue() is only called inside MULTI");
        match refusal {
            Some(err) => {
                m.aborted = true;
                err
            }
            None => {
                if stored {
                    m.queue.push(sent.to_shared());
                }
                Reply::Status("QUEUED".into())
            }
        }
    }

    /// A command refused before it ran (rejectCommand): flags an open MULTI; a refused EXEC
    /// discards the transaction and its WATCHes (execCommandAbort).
    pub(super) fn reject(&mut self, conn: ConnId, name: &str, err: Reply) -> Reply {
        if name == "EXEC" {
            self.conn_mut(conn).multi = None;
            self.unwatch_all(conn);
            let msg = match &err {
                Reply::Error(e) => e.strip_prefix("ERR ").unwrap_or(e).to_string(),
                _ => String::new(),
            };
            return Reply::err(format!("EXECABORT Transaction discarded because of: {msg}"));
        }
        if let Some(m) = self.conn_mut(conn).multi.as_mut() {
            m.aborted = true;
        }
        err
    }

    pub(super) fn exec(&mut self, conn: ConnId, now: u64) -> Reply {
        let Some(multi) = self.conn_mut(conn).multi.take() else {
            return Reply::err("ERR EXEC without MULTI");
        };
        let dirty = self.conn(conn).is_some_and(|c| c.dirty);
        self.unwatch_all(conn);
        if multi.aborted {
            return Reply::err("EXECABORT Transaction discarded because of previous errors.");
        }
        if dirty {
            return Reply::Nil;
        }
        let mut replies = Vec::with_capacity(multi.queue.len());
        for cmd in &multi.queue {
            match self.execute(conn, cmd, now, Context::Exec) {
                Outcome::Reply(r) => replies.push(r),
                Outcome::Blocked => unreachable!("nothing blocks inside EXEC"),
                // The caller sees Outcome::Unmodelled; this reply is never read.
                Outcome::Unmodelled(_) => return Reply::Nil,
            }
        }
        Reply::Array(replies)
    }

    pub(super) fn discard(&mut self, conn: ConnId) -> Reply {
        if self.conn_mut(conn).multi.take().is_none() {
            return Reply::err("ERR DISCARD without MULTI");
        }
        self.unwatch_all(conn);
        Reply::ok()
    }

    pub(super) fn watch(&mut self, conn: ConnId, keys: &[String]) -> Reply {
        let c = self.conn_mut(conn);
        if c.multi.is_some() {
            return Reply::err("ERR WATCH inside MULTI is not allowed");
        }
        c.watched.extend(keys.iter().cloned());
        Reply::ok()
    }

    pub(super) fn unwatch(&mut self, conn: ConnId) -> Reply {
        self.unwatch_all(conn);
        Reply::ok()
    }

    fn unwatch_all(&mut self, conn: ConnId) {
        // Read first: a connection with nothing to forget is not copied (nor created).
        if self
            .conn(conn)
            .is_none_or(|c| c.watched.is_empty() && !c.dirty)
        {
            return;
        }
        let c = self.conn_mut(conn);
        if !c.watched.is_empty() {
            c.watched = Default::default();
        }
        c.dirty = false;
    }
}
