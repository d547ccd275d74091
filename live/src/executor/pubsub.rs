//! A recipe's `receive` on a live connection: reading the next pub/sub message without
//! guessing from timing.
//!
//! 1. To learn what a subscribed connection has already been sent, the executor takes its
//!    messages from the backend (`Backend::take_messages_on`, which drains the connection
//!    up to a PING's pong: exactly what the model's inbox holds) into its inbox here.
//! 2. `receive` takes the oldest message read so far; with none, the client parks, and CLIENT
//!    LIST must show the connection subscribed (`sub=` above 0).
//! 3. A parked client that steps again reads what has arrived by then (step 1): a message, or,
//!    with none, nil when its timeout has come (the model's "gives up"), else nothing: it is
//!    still waiting.
//!
//! Channel names are namespaced like keys; a message's channel, and a subscription
//! confirmation's, comes back without the prefix (the backend's `namespace.rs`).

use crate::LiveError;
use model::backend::Backend;
use model::Reply;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Per live connection `(client, slot)`: messages read but not yet received, the channels it
/// is subscribed to, and, while its client waits for a message, when it may give up.
#[derive(Default)]
pub(super) struct Inboxes {
    inbox: BTreeMap<(usize, usize), VecDeque<Reply>>,
    channels: BTreeMap<(usize, usize), BTreeSet<String>>,
    receiving: BTreeMap<(usize, usize), Option<u64>>,
}

impl Inboxes {
    /// Follows a command's reply on `(i, slot)`: a (un)subscription confirmation changes the
    /// connection's channels.
    pub fn observe(&mut self, i: usize, slot: usize, reply: &Reply) {
        if let Reply::Array(a) = reply {
            if let (3, Some(Reply::Bulk(kind)), Some(Reply::Bulk(ch))) =
                (a.len(), a.first(), a.get(1))
            {
                let set = self.channels.entry((i, slot)).or_default();
                match kind.as_str() {
                    "subscribe" => {
                        set.insert(ch.clone());
                    }
                    "unsubscribe" => {
                        set.remove(ch);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Whether client `i` waits for a message on `slot`.
    pub fn is_receiving(&self, i: usize, slot: usize) -> bool {
        self.receiving.contains_key(&(i, slot))
    }

    /// Client `i` starts waiting for a message on `slot`, giving up from `deadline` on.
    pub fn park(&mut self, i: usize, slot: usize, deadline: Option<u64>) {
        self.receiving.insert((i, slot), deadline);
    }

    /// The oldest message read on `(i, slot)` and not yet received.
    pub fn take(&mut self, i: usize, slot: usize) -> Option<Reply> {
        self.inbox.get_mut(&(i, slot)).and_then(VecDeque::pop_front)
    }

    /// A parked client steps at `now`: the message that has arrived, nil if it gives up (its
    /// timeout has come), or `None`: still waiting.
    pub fn step_parked(&mut self, i: usize, slot: usize, now: u64) -> Option<Reply> {
        let deadline = *self.receiving.get(&(i, slot))?;
        let reply = match self.take(i, slot) {
            Some(m) => m,
            None if deadline.is_some_and(|d| now >= d) => Reply::Nil,
            None => return None,
        };
        self.receiving.remove(&(i, slot));
        Some(reply)
    }

    /// Client `i`'s connections are gone (it crashed).
    pub fn forget(&mut self, i: usize) {
        self.receiving.retain(|(c, _), _| *c != i);
        self.inbox.retain(|(c, _), _| *c != i);
        self.channels.retain(|(c, _), _| *c != i);
    }

    /// While client `i` waits for a message on `slot`: from when it may give up, the
    /// channels it is subscribed to, and whether a message has arrived.
    pub fn waiting_on(&self, i: usize, slot: usize) -> Option<(Option<u64>, Vec<String>, bool)> {
        let deadline = *self.receiving.get(&(i, slot))?;
        let channels = self
            .channels
            .get(&(i, slot))
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default();
        let message = self.inbox.get(&(i, slot)).is_some_and(|q| !q.is_empty());
        Some((deadline, channels, message))
    }

    /// Step 1 of the module doc: `messages`, just read on `(i, slot)`, join its inbox.
    pub fn deliver(&mut self, i: usize, slot: usize, messages: Vec<Reply>) {
        self.inbox.entry((i, slot)).or_default().extend(messages);
    }
}

impl super::runner::Runner<'_, '_> {
    /// Drains client `i`'s connection `slot` (step 1 of the module doc).
    fn drain_conn(&mut self, i: usize, slot: usize) -> Result<(), LiveError> {
        let messages = self
            .backend
            .take_messages_on(self.system.conn_id(i, slot))?;
        self.pubsub.deliver(i, slot, messages);
        Ok(())
    }

    /// Client `i` receives on `slot` at the current time: the oldest message it has been
    /// sent, or `None` when it parks (then CLIENT LIST must show the connection subscribed;
    /// a warning says so if not).
    pub(super) fn receive_message(
        &mut self,
        i: usize,
        slot: usize,
        timeout_ms: Option<u64>,
    ) -> Result<Option<Reply>, LiveError> {
        self.drain_conn(i, slot)?;
        if let Some(m) = self.pubsub.take(i, slot) {
            return Ok(Some(m));
        }
        let now = self.backend.now();
        let deadline = timeout_ms.map(|ms| model::system::wait_over(now, ms));
        self.pubsub.park(i, slot, deadline);
        if !self.backend.is_subscribed(self.system.conn_id(i, slot))? {
            self.backend.warn(format!(
                "{} waits for a message on a connection CLIENT LIST does not show subscribed",
                model::client_name(i)
            ));
        }
        Ok(None)
    }

    /// Client `i`, waiting for a message on `slot`, steps: what has arrived, nil once its
    /// timeout has come, or `None` (still waiting). `None` too when it is not waiting for a
    /// message (a parked blocking command instead).
    pub(super) fn receive_parked(
        &mut self,
        i: usize,
        slot: usize,
    ) -> Result<Option<Option<Reply>>, LiveError> {
        if !self.pubsub.is_receiving(i, slot) {
            return Ok(None);
        }
        self.drain_conn(i, slot)?;
        let now = self.backend.now();
        Ok(Some(self.pubsub.step_parked(i, slot, now)))
    }
}
