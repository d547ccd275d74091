//! redis-races model: one Redis server as a pure value, client recipes as deterministic
//! programs, fault models, and a stateright model of every interleaving.
//!
//! Data flows one way: this crate knows nothing of live servers, rendering or the CLI.

pub mod command;
pub mod profile;
pub mod reply;
pub mod scripting;
pub mod server;

pub use command::Command;
pub use profile::Profile;
pub use reply::Reply;
pub use server::{ConnId, Outcome, Server};

/// The display name of client `i`: A, B, C, … (one name per client across every output).
pub fn client_name(i: usize) -> String {
    let letter = (b'A' + (i % 26) as u8) as char;
    if i < 26 {
        letter.to_string()
    } else {
        format!("{letter}{}", i / 26)
    }
}
