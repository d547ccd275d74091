//! How often 100 generated programs (a fixed seed) exercise each of issue 16's classes, on the
//! model alone (no server needed). Every class must show up; the figures are printed.

use model::Profile;
use properties::gen_faith::classes;
use properties::matrix::MAX_STEPS;
use properties::program::program;
use properties::run::run_model;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

#[test]
fn every_class_is_exercised_by_100_programs() {
    let mut runner = TestRunner::deterministic();
    let strategy = program(MAX_STEPS);
    let names = [
        "waiter served by an EXEC/EVAL push",
        "range argument",
        "absurd or past TTL",
        "strtod timeout",
        "unmodelled command",
    ];
    let mut counts = [0usize; 5];
    for _ in 0..100 {
        let prog = strategy.new_tree(&mut runner).unwrap().current();
        let run = run_model(&prog, Profile::Redis70);
        for (n, hit) in counts.iter_mut().zip(classes(&prog, &run)) {
            *n += hit as usize;
        }
    }
    for (name, n) in names.iter().zip(counts) {
        eprintln!("{n:>3}/100 programs exercise: {name}");
    }
    for (name, n) in names.iter().zip(counts) {
        assert!(n > 0, "no program exercises {name}");
    }
}
