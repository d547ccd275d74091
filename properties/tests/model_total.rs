//! The model is total: on any program the conformance generator can produce, under every
//! profile, `run_model` returns (a reply, an error reply or an "unmodelled" stop) and never
//! panics — no arithmetic overflow, no index out of range, no unwrap on bad input. Model only,
//! no server: it runs many more cases than conformance can afford, so edge values the live
//! comparison reaches once in a hundred runs are reached here on every run. (CI found a 6.0
//! PEXPIRE overflow through conformance; this is the check that would have found it first.)

use model::Profile;
use properties::matrix::MAX_STEPS;
use properties::program::program;
use properties::run::run_model;
use proptest::test_runner::{Config, TestRunner};

/// Cases per profile unless `PROPTEST_CASES` says otherwise (×8: each case is cheap).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(250)
        * 8
}

#[test]
fn the_model_never_panics_on_generated_programs() {
    for profile in [
        Profile::Redis60,
        Profile::Redis70,
        Profile::Redis80,
        Profile::Valkey81,
    ] {
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&program(MAX_STEPS), |prog| {
            run_model(&prog, profile);
            Ok(())
        });
        if let Err(e) = result {
            panic!("the model panicked under profile {profile}: {e}");
        }
    }
}
