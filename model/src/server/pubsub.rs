//! Pub/sub: SUBSCRIBE UNSUBSCRIBE PUBLISH, non-durable as Redis's is.
//!
//! A message reaches the connections subscribed to its channel when it is published and no
//! one else: published while nobody listens, it is gone. What a subscribed connection
//! receives (messages, and the confirmations of a SUBSCRIBE or UNSUBSCRIBE after the first
//! channel, which Redis sends as separate replies) waits in that connection's inbox, in wire
//! order, until the client reads it with [`Server::take_messages`]. The command's own reply is
//! the first confirmation. A subscribed connection (RESP2) may only send (P|S)SUBSCRIBE,
//! (P|S)UNSUBSCRIBE, PING, QUIT and RESET; PING then answers `["pong", msg]`.
//!
//! A client *receives* the next message with [`Server::receive`] (the recipe verb
//! `c:receive`): the oldest item of the inbox at once, or, with the inbox empty, the
//! connection parks until a message is published to it (served as a BLPOP is served) or its
//! client gives up waiting at the deadline ([`Server::give_up_receiving`]). A message published
//! while the client is not receiving waits in the inbox; one published while the connection is
//! not subscribed is gone.
//!
//! UNSUBSCRIBE without channels walks the connection's channels in name order; Redis walks
//! its dict, in an order the model does not reproduce (generated programs name channels).

use super::{ConnId, Outcome, Server};
use crate::command::Command;
use crate::reply::Reply;
use std::collections::BTreeSet;

/// A connection's subscriptions and its undelivered messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subscriptions {
    pub channels: BTreeSet<String>,
    pub inbox: Vec<Reply>,
    /// Set while the client waits for the next message: the logical time from which it may
    /// give up (`Some(None)`: it waits forever).
    pub receiving: Option<Option<u64>>,
}

impl Subscriptions {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.inbox.is_empty() && self.receiving.is_none()
    }
}

fn confirmation(kind: &str, channel: Option<&str>, count: usize) -> Reply {
    Reply::Array(vec![
        Reply::bulk(kind),
        channel.map_or(Reply::Nil, Reply::bulk),
        Reply::Int(count as i64),
    ])
}

impl Server {
    /// Whether `conn` is in subscribed mode.
    pub fn is_subscribed(&self, conn: ConnId) -> bool {
        self.conn(conn)
            .is_some_and(|c| !c.pubsub.channels.is_empty())
    }

    /// Everything delivered to `conn` since the last call, oldest first.
    pub fn take_messages(&mut self, conn: ConnId) -> Vec<Reply> {
        let out = self
            .conns
            .get_mut(&conn)
            .map(|c| std::mem::take(&mut c.pubsub.inbox))
            .unwrap_or_default();
        self.tidy(conn);
        out
    }

    /// The client reads the next message on `conn`: the oldest undelivered one at once, or,
    /// with none, the connection parks ([`Outcome::Blocked`]) until a PUBLISH serves it or
    /// the client gives up waiting, which it may do from `deadline` on (`None`: never).
    pub fn receive(&mut self, conn: ConnId, deadline: Option<u64>) -> Outcome {
        let subs = &mut self.conn_mut(conn).pubsub;
        if subs.inbox.is_empty() {
            subs.receiving = Some(deadline);
            return Outcome::Blocked;
        }
        let first = subs.inbox.remove(0);
        self.tidy(conn);
        Outcome::Reply(first)
    }

    /// When the client waiting for a message on `conn` may give up (`Some(None)`: never;
    /// `None`: it is not waiting for one).
    pub fn receive_deadline(&self, conn: ConnId) -> Option<Option<u64>> {
        self.conn(conn).and_then(|c| c.pubsub.receiving)
    }

    /// The client waiting on `conn` stops waiting (its timeout came): nothing was received.
    pub fn give_up_receiving(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.pubsub.receiving = None;
        }
        self.tidy(conn);
    }

    /// The refusal of `name` on a subscribed connection, if it is refused.
    /// Redis names the command by its full name (`script|load`) since 7.0.
    pub(super) fn subscribed_refusal(&self, conn: ConnId, cmd: &Command) -> Option<Reply> {
        if !self.is_subscribed(conn) {
            return None;
        }
        let name = cmd.upper();
        let name = &*name;
        let allowed = matches!(
            name,
            "SUBSCRIBE"
                | "UNSUBSCRIBE"
                | "PSUBSCRIBE"
                | "PUNSUBSCRIBE"
                | "SSUBSCRIBE"
                | "SUNSUBSCRIBE"
                | "PING"
                | "QUIT"
                | "RESET"
        );
        (!allowed).then(|| {
            let mut full = name.to_ascii_lowercase();
            if let (true, "SCRIPT", Some(sub)) =
                (self.profile.names_subcommands(), name, cmd.args().first())
            {
                full = format!("{full}|{}", sub.to_ascii_lowercase());
            }
            Reply::err(self.profile.subscribed_context_error(&full))
        })
    }

    pub(super) fn subscribe(&mut self, conn: ConnId, channels: &[String]) -> Reply {
        let subs = &mut self.conn_mut(conn).pubsub;
        let mut replies = Vec::with_capacity(channels.len());
        for ch in channels {
            subs.channels.insert(ch.clone());
            replies.push(confirmation("subscribe", Some(ch), subs.channels.len()));
        }
        let first = replies.remove(0);
        subs.inbox.extend(replies);
        first
    }

    pub(super) fn unsubscribe(&mut self, conn: ConnId, channels: &[String]) -> Reply {
        let subs = &mut self.conn_mut(conn).pubsub;
        let names: Vec<String> = if channels.is_empty() {
            subs.channels.iter().cloned().collect()
        } else {
            channels.to_vec()
        };
        if names.is_empty() {
            return confirmation("unsubscribe", None, 0);
        }
        let mut replies = Vec::with_capacity(names.len());
        for ch in &names {
            subs.channels.remove(ch);
            replies.push(confirmation("unsubscribe", Some(ch), subs.channels.len()));
        }
        let first = replies.remove(0);
        subs.inbox.extend(replies);
        first
    }

    /// PUBLISH channel message: delivered to every current subscriber; the count is the reply.
    pub(super) fn publish(&mut self, channel: &str, message: &str) -> Reply {
        let msg = Reply::Array(vec![
            Reply::bulk("message"),
            Reply::bulk(channel),
            Reply::bulk(message),
        ]);
        let mut n = 0;
        for c in self.conns.values_mut() {
            if c.pubsub.channels.contains(channel) {
                // A client waiting for a message is served it, as a BLPOP is served.
                if c.pubsub.receiving.is_some() && c.served.is_none() {
                    c.pubsub.receiving = None;
                    c.served = Some(msg.clone());
                } else {
                    c.pubsub.inbox.push(msg.clone());
                }
                n += 1;
            }
        }
        Reply::Int(n)
    }
}
