//! The parallel search is the same search: with 1 and 2 threads every check of the catalogue
//! (and a graph large enough to be expanded on both threads) gives the same verdict, state
//! count, depth and counterexample, step for step.

use model::catalogue;
use model::checker::{self, CheckResult, Limits};
use model::faults::FaultModel;
use model::system::System;

fn run(system: &System, threads: usize, symmetry: bool) -> CheckResult {
    let limits = Limits {
        threads,
        symmetry,
        ..Limits::default()
    };
    checker::check(system, limits, &mut |_| {})
}

fn same(system: &System, symmetry: bool) {
    let one = run(system, 1, symmetry);
    let two = run(system, 2, symmetry);
    let label = format!(
        "{} {} {} symmetry={symmetry}",
        system.row(),
        system.property_def().name,
        system.faults
    );
    assert_eq!(one.verdict, two.verdict, "{label}");
    assert_eq!(one.states, two.states, "{label}");
    assert_eq!(one.depth, two.depth, "{label}");
    assert_eq!(one.counterexample, two.counterexample, "{label}");
}

#[test]
fn one_and_two_threads_agree_on_every_check_of_the_catalogue() {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, None, None, &FaultModel::ALL).unwrap();
    for job in &jobs {
        same(&job.system(None), true);
    }
    // The largest rows without symmetry: graphs whose frontier is split between threads.
    for row in ["lock/setnx-ttl-repair-fixed", "lock/watch-release"] {
        let jobs = catalogue::select(&scenarios, Some(row), None, &FaultModel::ALL).unwrap();
        for job in &jobs {
            same(&job.system(None), false);
        }
    }
}

#[test]
fn a_state_limit_stops_at_the_same_state_on_any_thread_count() {
    let scenarios = catalogue::all();
    let job = &catalogue::select(
        &scenarios,
        Some("counter/watch-retry"),
        None,
        &[FaultModel::None],
    )
    .unwrap()[0];
    let system = job.system(Some(4)).with_retries(2);
    for max_states in [10_000, 20_000] {
        let r: Vec<CheckResult> = [1, 2]
            .map(|threads| {
                let limits = Limits {
                    threads,
                    max_states,
                    symmetry: false,
                    ..Limits::default()
                };
                checker::check(&system, limits, &mut |_| {})
            })
            .into();
        assert_eq!(r[0].verdict, checker::Verdict::Unknown);
        assert_eq!(r[1].verdict, checker::Verdict::Unknown);
        assert_eq!(r[0].states, r[1].states);
        assert_eq!(r[0].depth, r[1].depth);
    }
}

/// Violations found deep in graphs whose frontier is split between threads (thousands of
/// states per level), so that the parallel merge — not the one-threaded one — meets them:
/// an end-of-run property (lost update, found at a final state) and an always-property
/// (the crashed lock's late contender), each with 1, 2 and 3 threads.
#[test]
fn the_parallel_merge_finds_the_same_violation_on_a_wide_frontier() {
    let scenarios = catalogue::all();
    let wide = [
        (
            "counter/watch-pooled",
            "no-lost-update",
            FaultModel::None,
            5,
        ),
        (
            "counter/multi-no-watch",
            "no-lost-update",
            FaultModel::None,
            5,
        ),
        (
            "lock/setnx-ttl-repair",
            "crashed-lock-frees",
            FaultModel::Crash,
            4,
        ),
    ];
    for (row, property, faults, clients) in wide {
        let jobs = catalogue::select(&scenarios, Some(row), Some(property), &[faults]).unwrap();
        let job = &jobs[0];
        let system = job.system(Some(clients));
        let one = run(&system, 1, false);
        assert_eq!(one.verdict, checker::Verdict::Violated, "{row}");
        assert!(
            one.states > 10_000,
            "{row}: {} states, too few to split",
            one.states
        );
        for threads in [2, 3] {
            let other = run(&system, threads, false);
            let label = format!("{row} {faults} clients={clients} threads={threads}");
            assert_eq!(one.verdict, other.verdict, "{label}");
            assert_eq!(one.states, other.states, "{label}");
            assert_eq!(one.depth, other.depth, "{label}");
            assert_eq!(one.counterexample, other.counterexample, "{label}");
        }
    }
}
