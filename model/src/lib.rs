//! redis-races model: one Redis server as a pure value, client recipes as deterministic
//! programs, fault models, and a stateright model of every interleaving.
//!
//! Data flows one way: this crate knows nothing of live servers, rendering or the CLI.

pub mod backend;
pub mod catalogue;
pub mod checker;
pub mod command;
pub mod faults;
pub mod fleet;
pub mod invariants;
pub mod minimize;
pub mod note;
pub mod observation;
pub mod profile;
pub mod program;
pub mod recipe;
pub mod recipes;
pub mod render;
pub mod reply;
pub mod scenario;
pub mod scripting;
pub mod server;
pub mod shared;
mod store;
pub mod symmetry;
pub mod system;
pub mod trace;
pub mod verdict;
mod workers;
pub mod world;

pub use command::Command;
pub use faults::FaultModel;
pub use note::Note;
pub use observation::{ModelView, Observation};
pub use profile::Profile;
pub use recipe::{ClientCtx, Event, Local, Next, Op, Params, Recipe};
pub use reply::Reply;
pub use scenario::{PropertyDef, PropertyKind, RowId, Scenario, Variant};
pub use server::{ConnId, Outcome, Server};
pub use system::{Action, Bounds, System};
pub use trace::{Step, StepKind, Trace};
pub use world::World;

/// The display name of client `i`: A, B, C, … (one name per client across every output).
pub fn client_name(i: usize) -> String {
    let letter = (b'A' + (i % 26) as u8) as char;
    if i < 26 {
        letter.to_string()
    } else {
        format!("{letter}{}", i / 26)
    }
}
