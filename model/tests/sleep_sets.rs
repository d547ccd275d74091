//! Sleep sets change nothing but the work (`model/src/checker/sleep.rs`): with and without
//! them, every check of the catalogue (searched without symmetry reduction, where sleep sets
//! apply) and wide graphs on 1, 2 and 3 threads give the same verdict, state count, depth and
//! counterexample, step for step — while computing fewer successors.

use model::catalogue;
use model::checker::{self, CheckResult, Limits, Verdict};
use model::faults::FaultModel;
use model::system::System;

fn run(system: &System, sleep_sets: bool, threads: usize) -> CheckResult {
    let limits = Limits {
        symmetry: false,
        sleep_sets,
        threads,
        ..Limits::default()
    };
    checker::check(system, limits, &mut |_| {})
}

fn label(system: &System) -> String {
    format!(
        "{} {} {}",
        system.row(),
        system.property_def().name,
        system.faults
    )
}

/// Both results are the same search's; returns the successors each computed.
fn same(on: &CheckResult, off: &CheckResult, label: &str) {
    assert_eq!(on.verdict, off.verdict, "{label}");
    assert_eq!(on.states, off.states, "{label}");
    assert_eq!(on.depth, off.depth, "{label}");
    assert_eq!(on.counterexample, off.counterexample, "{label}");
    assert_eq!(on.unmodelled, off.unmodelled, "{label}");
}

#[test]
fn every_check_of_the_catalogue_is_the_same_search_with_fewer_successors() {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, None, None, &FaultModel::ALL).unwrap();
    let (mut with, mut without) = (0u64, 0u64);
    for job in &jobs {
        let system = job.system(None);
        let on = run(&system, true, 1);
        let off = run(&system, false, 1);
        same(&on, &off, &label(&system));
        assert!(on.successors <= off.successors, "{}", label(&system));
        with += on.successors;
        without += off.successors;
    }
    // Measured: 14 % fewer over the catalogue (`benches/reductions.rs`).
    assert!(
        with * 10 < without * 9,
        "sleep sets skip something: {with} successors against {without}"
    );
}

#[test]
fn wide_graphs_are_the_same_search_on_any_thread_count() {
    let scenarios = catalogue::all();
    let wide = [
        // Holds: 26,606 states; about half the successors are skipped.
        (
            "counter/watch-retry",
            "no-lost-update",
            FaultModel::None,
            4,
            2,
        ),
        // Violated deep in a wide frontier (the parallel merge meets it).
        (
            "counter/watch-pooled",
            "no-lost-update",
            FaultModel::None,
            5,
            0,
        ),
        (
            "lock/setnx-ttl-repair",
            "crashed-lock-frees",
            FaultModel::Crash,
            4,
            0,
        ),
    ];
    for (row, property, faults, clients, retries) in wide {
        let jobs = catalogue::select(&scenarios, Some(row), Some(property), &[faults]).unwrap();
        let mut system = jobs[0].system(Some(clients));
        if retries > 0 {
            system = system.with_retries(retries);
        }
        let off = run(&system, false, 1);
        assert!(off.states > 10_000, "{row}: {} states", off.states);
        for threads in [1, 2, 3] {
            let on = run(&system, true, threads);
            same(&on, &off, &format!("{} threads={threads}", label(&system)));
        }
        if off.verdict == Verdict::Holds {
            let on = run(&system, true, 1);
            assert!(
                on.successors * 10 < off.successors * 7,
                "{row}: {} successors with sleep sets, {} without",
                on.successors,
                off.successors
            );
        }
    }
}

#[test]
fn symmetry_reduction_does_not_use_sleep_sets() {
    let scenarios = catalogue::all();
    let job = &catalogue::select(
        &scenarios,
        Some("counter/watch-retry"),
        None,
        &[FaultModel::None],
    )
    .unwrap()[0];
    let system = job.system(Some(4)).with_retries(2);
    let limits = |sleep_sets| Limits {
        sleep_sets,
        threads: 1,
        ..Limits::default()
    };
    let on = checker::check(&system, limits(true), &mut |_| {});
    let off = checker::check(&system, limits(false), &mut |_| {});
    same(&on, &off, "symmetric");
    assert_eq!(
        on.successors, off.successors,
        "nothing skipped under symmetry"
    );
}
