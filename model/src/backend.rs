//! The seam between whatever steps clients and whatever serves them: a [`Backend`] is a few
//! verbs on a set of connections, each with a contract, implemented by the model server
//! ([`ModelBackend`], here) and by connections to real servers (`live::backend`: one
//! server's for conformance, a schedule replay's on one server or a fleet). A runner written
//! once over `B: Backend` (the conformance runner, `properties::run`) runs the same program
//! on both, and what it records is comparable step by step; the schedule executor
//! (`live::executor`) sends every command of a replay through these verbs too.
//!
//! As in Jepsen, where a client is `open!`/`invoke!`/`close!` and "open! should not affect
//! the logical state of the test", each verb says what it may change and what it may not:
//!
//! - [`Backend::send`]: sends one command on one connection. It changes the server's state as
//!   that command does, and nothing else; it answers at once ([`Sent::Reply`]) or parks the
//!   connection ([`Sent::Parked`], a blocking command with nothing to pop). On a connection
//!   still parked it sends nothing and changes nothing ([`Sent::Busy`]). A command the model
//!   does not implement is not sent at all ([`Sent::Refused`]): the state is the one before
//!   it, and whoever drives the backend stops there.
//! - [`Backend::take_messages`]: takes what subscribed connections received since the last
//!   call (pub/sub messages, further (UN)SUBSCRIBE confirmations), in connection order, each
//!   connection's in wire order. Reading them changes no key and no connection's state.
//! - [`Backend::take_served`]: takes the replies that parked connections got since the last
//!   call (a push served them, or their timeout came), in connection order; each such
//!   connection is no longer parked. It changes no key.
//! - [`Backend::take_messages_on`], [`Backend::take_served_on`]: the same for one connection
//!   (a stepper that reads a connection only when its client steps, as the schedule executor
//!   does); what they take is no longer there for the all-connection verbs, and the other
//!   connections' messages and replies stay where they are.
//! - [`Backend::is_parked`]: whether a connection's parked command is still unanswered (false
//!   for one that never parked, was served, or is closed). It changes nothing.
//! - [`Backend::close`]: closes a connection, as a client that crashed or hung up: the server
//!   forgets its WATCH, MULTI, subscriptions and parked command. It changes no key.
//! - [`Backend::tick`]: advances the clock by one tick. Keys whose deadline it reaches are
//!   gone afterwards, and parked commands whose timeout it reaches are served (their reply
//!   waits for [`Backend::take_served`]); nothing else changes.
//! - [`Backend::observe`]: the keyspace as a [`Dump`]. Observing does not change the logical
//!   state: no key, no deadline, no connection.
//!
//! The model checker's search does not go through this trait: it applies commands to the
//! [`Server`](crate::Server) values of its worlds directly (a world is cloned and hashed by the million).

mod model_backend;

pub use model_backend::{dump_value, ModelBackend};

use crate::{Command, ConnId, Reply};

/// What [`Backend::send`] did with a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The server answered at once.
    Reply(Reply),
    /// The command parked the connection: its reply comes through [`Backend::take_served`].
    Parked,
    /// The connection is still parked on an earlier command: nothing was sent.
    Busy,
    /// The model does not implement this command (directly, queued in MULTI or called by a
    /// script; the name is the command's): nothing was sent and nothing changed.
    Refused(String),
}

/// One key of a [`Dump`]: its name, its type (`string`, `list`, `hash`, `zset`), its value
/// as text (see [`dump_value`]) and its time to live in ms (`-1`: none).
pub type DumpedKey = (String, String, String, i64);

/// A keyspace, every key in name order.
pub type Dump = Vec<DumpedKey>;

/// A set of connections to one server (the model's, or a real one), stepped by a caller that
/// does not know which. The module doc gives each verb's contract.
pub trait Backend {
    /// Why a verb failed (the model never fails: [`std::convert::Infallible`]).
    type Error;

    /// Sends `command` on `conn`.
    fn send(&mut self, conn: ConnId, command: &Command) -> Result<Sent, Self::Error>;

    /// What subscribed connections received since the last call, by connection.
    fn take_messages(&mut self) -> Result<Vec<(ConnId, Reply)>, Self::Error>;

    /// The replies served to parked connections since the last call, by connection.
    fn take_served(&mut self) -> Result<Vec<(ConnId, Reply)>, Self::Error>;

    /// What `conn` received since the last call, if it is subscribed, in wire order.
    fn take_messages_on(&mut self, conn: ConnId) -> Result<Vec<Reply>, Self::Error>;

    /// The reply served to `conn`'s parked command, if it has been served.
    fn take_served_on(&mut self, conn: ConnId) -> Result<Option<Reply>, Self::Error>;

    /// Whether `conn` is parked on a command the server has not answered yet.
    fn is_parked(&mut self, conn: ConnId) -> Result<bool, Self::Error>;

    /// Closes `conn`.
    fn close(&mut self, conn: ConnId) -> Result<(), Self::Error>;

    /// Advances the clock by one tick.
    fn tick(&mut self) -> Result<(), Self::Error>;

    /// The keyspace, now.
    fn observe(&mut self) -> Result<Dump, Self::Error>;
}
