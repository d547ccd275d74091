//! The handle's verbs that state what the client believes (`acquired`, `enter`, `exit`,
//! `released`, `committed`, `gave_up`, named events): none makes a step; each takes effect
//! with the last reply, or, for `exit`, with the next command.

use super::Client;
use crate::recipe::Event;

impl Client<'_> {
    /// States an event that takes effect with the last reply.
    pub fn event(&mut self, event: Event) {
        if event == Event::Exit {
            if !self.exit_is_fresh() {
                return;
            }
            let me = self.thread;
            match self.harvest.threads.iter_mut().find(|t| t.slot == me) {
                Some(t) => t.deferred.push(event),
                None => self.harvest.deferred.push(event),
            }
        } else if self.is_fresh() {
            self.harvest.events.push(event);
        }
    }

    /// The client believes it holds the lock for `lease_s` seconds from now (`None`: no expiry).
    pub fn acquired(&mut self, lease_s: Option<u64>) {
        self.event(Event::Acquired { lease: lease_s });
    }

    /// The client believes it holds the lock until the absolute time `deadline_ms`.
    pub fn acquired_until(&mut self, deadline_ms: u64) {
        let lease = deadline_ms.saturating_sub(self.now).div_ceil(1000);
        self.event(Event::Acquired { lease: Some(lease) });
    }

    /// The client enters its critical section.
    pub fn enter(&mut self) {
        self.event(Event::Enter);
    }

    /// The client leaves its critical section (as its next command is sent, or as it ends).
    pub fn exit(&mut self) {
        self.event(Event::Exit);
    }

    /// The client no longer believes it holds the lock.
    pub fn released(&mut self) {
        self.event(Event::Released);
    }

    /// A change the client made was acknowledged by the server.
    pub fn committed(&mut self, delta: i64) {
        self.event(Event::Committed { delta });
    }

    /// The client stops trying.
    pub fn gave_up(&mut self) {
        self.event(Event::GaveUp);
    }

    /// A named event of the recipe's own (`processed "m1"`), taking effect with the last reply
    /// and kept in the client's history for properties to read.
    pub fn named(&mut self, name: &str, value: Option<crate::recipe::EventValue>) {
        self.event(Event::named(name, value));
    }
}
