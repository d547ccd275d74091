//! How often generated programs exercise the script templates of the Lua sandbox and library
//! (`SANDBOX_SCRIPTS`): the figure issue 16 asks for, and a floor so that a generator change
//! cannot silently stop producing them. Runs on the model only (no server).

use model::scripting::sha1_hex;
use properties::matrix::{programs, MATRIX_SEED};
use properties::program::{Op, SANDBOX_SCRIPTS};

/// Whether `command` runs or loads one of the sandbox templates.
fn is_sandbox_script(command: &[String]) -> bool {
    let name = command[0].to_ascii_uppercase();
    let body_or_sha = match name.as_str() {
        "EVAL" | "EVALSHA" => &command[1],
        "SCRIPT" if command.len() > 2 => &command[2],
        _ => return false,
    };
    SANDBOX_SCRIPTS
        .iter()
        .any(|s| s == body_or_sha || sha1_hex(s) == *body_or_sha)
}

#[test]
fn sandbox_scripts_are_exercised_in_most_programs() {
    let progs = programs(100, MATRIX_SEED);
    let mut programs_with = 0;
    let mut steps = 0;
    let mut sandbox_steps = 0;
    for p in &progs {
        let mut hit = false;
        for op in &p.ops {
            if let Op::Send { command, .. } = op {
                steps += 1;
                if is_sandbox_script(command) {
                    sandbox_steps += 1;
                    hit = true;
                }
            }
        }
        programs_with += hit as usize;
    }
    eprintln!(
        "sandbox scripts: in {programs_with} of 100 programs, {sandbox_steps} of {steps} steps"
    );
    assert!(
        programs_with >= 30,
        "only {programs_with} of 100 programs run a sandbox script"
    );
}
