//! stateright's view of a [`System`]: its `Model`, so stateright's checkers and its Explorer
//! run the system as it is.

use super::{Action, System};
use crate::client_name;
use crate::world::World;

/// stateright's view: the same system, with the property as a stateright `Property`.
impl stateright::Model for System {
    type State = World;
    type Action = Action;

    fn init_states(&self) -> Vec<World> {
        vec![self.initial()]
    }

    fn actions(&self, state: &World, actions: &mut Vec<Action>) {
        actions.extend(self.enabled(state));
    }

    fn next_state(&self, last: &World, action: Action) -> Option<World> {
        Some(self.step(last, action).0)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        vec![stateright::Property::always(
            self.property_def().name,
            |m: &System, w: &World| {
                let is_final = m.enabled(w).is_empty();
                m.check(w, is_final).is_ok()
            },
        )]
    }

    fn format_action(&self, action: &Action) -> String {
        match action {
            Action::Step(i) => format!("{} steps", client_name(*i)),
            Action::Thread(i, t) => format!("{} steps", self.thread_name(*i, *t)),
            Action::Tick => "clock +1s".to_string(),
            Action::Crash(i) => format!("{} crashes", client_name(*i)),
            Action::Choose(i, k) => format!("{} chooses {k}", client_name(*i)),
            Action::Replicate(r) => format!("replica {} applies a write", r + 1),
            Action::Promote(r) => format!("replica {} is promoted", r + 1),
            Action::Restart(s) => format!("server {s} restarts empty"),
        }
    }

    fn format_step(&self, last: &World, action: Action) -> Option<String> {
        let (_, step) = self.step(last, action);
        Some(crate::render::step_line(&step))
    }
}
