//! The public recipe API works from outside the catalogue: the `capped_counter` example
//! (built by `cargo test` like every example) defines its own recipe, scenario and property
//! and the checker finds the naive variant's lost update and proves the Lua variant.

use std::path::PathBuf;
use std::process::Command;

/// The example binary `cargo test` built next to this test (target/<profile>/examples/).
fn example_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join("examples").join("capped_counter");
    bin.exists().then_some(bin)
}

#[test]
fn the_capped_counter_example_checks_its_own_recipes() {
    let out = match example_binary() {
        Some(bin) => Command::new(bin).output(),
        // Not pre-built (e.g. `cargo test --test public_api_example`): build and run it.
        None => Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--example", "capped_counter"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output(),
    }
    .expect("the example runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "example failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("capped-counter/get-min-set capped-no-lost-incr Violated"),
        "{stdout}"
    );
    assert!(
        stdout.contains("capped-counter/lua capped-no-lost-incr Holds"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SET hits 2"),
        "the counterexample shows the racing writes: {stdout}"
    );
}
