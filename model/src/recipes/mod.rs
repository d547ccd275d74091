//! The catalogue's recipes, one module per scenario. Each module opens with where the recipe
//! comes from, its steps, the property, and the counterexample or the reason it holds.

pub mod counter;
pub mod fencing;
pub mod inventory;
pub mod job_result;
pub mod lock;
pub mod python_redis_lock;
pub mod redlock;
pub mod transfer;
pub mod wait_lock;
