//! Conformance of the model with real servers, by property-based testing.
//!
//! [`program`] generates multi-connection command programs (proptest strategies); [`run`]
//! runs one with a single loop over `model::backend::Backend`, on the model
//! ([`run::run_model`]) and on a live server ([`run::run_live`]); [`mod@compare`] compares the
//! two runs step by step and by final keyspace; [`matrix`] runs a fixed list of programs on a
//! server and compares the live runs with every version [`model::Profile`].

pub mod compare;
pub mod gen_cluster;
pub mod gen_cluster3;
pub mod gen_faith;
pub mod gen_lex;
pub mod gen_types;
pub mod matrix;
pub mod program;
pub mod run;
pub mod scale;

pub use compare::{compare, Divergence};
pub use matrix::{run_matrix, Cell};
pub use program::{Op, Program};
pub use run::{run_live, run_model, LiveSession, Run, StepResult, TICK_MS};
