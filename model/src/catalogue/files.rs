//! The catalogue's recipe files: `model/recipes/*.lua`, compiled into the binary and loaded
//! into [`super::all`] after the Rust scenarios, so `check`, `trace`, `replay`, `explore` and
//! the verdict table treat their rows (`scenario/variant`) like any other.
//!
//! Contract:
//! - A file joins the catalogue by one line in [`FILES`] (the order is the table's order).
//! - The files are loaded once per process; an error in one is a bug of the suite, never
//!   the user's: `model/tests/recipe_files.rs` loads every file, requires every file in
//!   `model/recipes/` to be listed here and every row id to be unique, so a broken file
//!   fails a test before it ships.
//! - A file's name in errors and traces is its path from the repository root
//!   (`model/recipes/capped_counter.lua`), so `check model/recipes/capped_counter.lua` from
//!   the root loads the very same scenario.

use crate::scenario::Scenario;
use std::sync::{Arc, OnceLock};

/// `(path from the repository root, text)` of a file in `model/recipes/`.
macro_rules! recipe_file {
    ($name:literal) => {
        (
            concat!("model/recipes/", $name),
            include_str!(concat!("../../recipes/", $name)),
        )
    };
}

/// The shipped recipe files, one per line, in table order.
#[rustfmt::skip]
pub const FILES: &[(&str, &str)] = &[
    recipe_file!("capped_counter.lua"),
    recipe_file!("order_confirm.lua"),
    recipe_file!("account_cas.lua"),
    recipe_file!("audit_log.lua"),
    recipe_file!("atomic_reads.lua"),
    recipe_file!("atomic_expiry.lua"),
    recipe_file!("shadow_key.lua"),
    recipe_file!("reliable_queue.lua"),
    recipe_file!("idempotency.lua"),
    recipe_file!("reset_all.lua"),
    recipe_file!("auto_renewal.lua"),
    recipe_file!("pubsub_lock.lua"),
];

/// Every shipped file's scenario, loaded on first use; the first broken file's error.
pub fn scenarios() -> Result<Vec<Arc<Scenario>>, String> {
    static LOADED: OnceLock<Result<Vec<Arc<Scenario>>, String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            FILES
                .iter()
                .map(|(path, text)| crate::program::lua::load_source(path, text.to_string()))
                .collect()
        })
        .clone()
}
