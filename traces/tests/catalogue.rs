//! The whole default catalogue, rendered: the verdict table and every counterexample (steps,
//! swimlane, Mermaid) as insta snapshots under `traces/snapshots/`, plus structural checks
//! of every rendering and of the minimizer on every counterexample.
//!
//! Review a change with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p
//! redis-races-traces` and `git diff traces/snapshots`). Under `CI=true` a changed or new
//! snapshot fails the test.

mod common;

use model::catalogue::{self, Job};
use model::checker::{Limits, Verdict};
use model::faults::FaultModel;
use model::minimize;
use model::trace::Trace;
use model::verdict::{self, VerdictRecord};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

/// Every (row, property, fault model) of the default catalogue, checked once per test binary.
fn checked() -> &'static [(Job, VerdictRecord)] {
    static CHECKED: OnceLock<Vec<(Job, VerdictRecord)>> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let jobs = catalogue::select(&catalogue::all(), None, None, &FaultModel::ALL)
            .expect("the default selection");
        jobs.into_iter()
            .map(|job| {
                let record = verdict::run(&job, None, Limits::default(), &mut |_| {});
                (job, record)
            })
            .collect()
    })
}

/// The violated checks with their minimized counterexamples.
fn counterexamples() -> Vec<(&'static Job, &'static VerdictRecord, Trace)> {
    checked()
        .iter()
        .filter(|(_, r)| r.verdict == Verdict::Violated)
        .map(|(job, record)| {
            let system = job.system(None);
            let found = record.trace().expect("a violation has a counterexample");
            let actions = found
                .actions_for(&system)
                .expect("a counterexample names known clients");
            let trace = minimize::minimal_trace(&system, &actions)
                .unwrap_or_else(|| panic!("{}: counterexample does not violate", name(record)));
            (job, record, trace)
        })
        .collect()
}

/// The snapshot name of a check: `lock__set-nx-ex-del__mutual-exclusion__pause`.
fn name(r: &VerdictRecord) -> String {
    format!("{}__{}__{}", r.row(), r.property, r.faults).replace('/', "__")
}

#[test]
fn verdict_table_snapshot() {
    let records: Vec<VerdictRecord> = checked().iter().map(|(_, r)| r.clone()).collect();
    assert!(
        records.iter().all(|r| r.verdict != Verdict::Unknown),
        "a default check stopped early"
    );
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => "redis-races check (the default catalogue, without counterexamples)",
        omit_expression => true,
    }, {
        insta::assert_snapshot!("verdict_table", traces::table::render(&records, false));
    });
}

#[test]
fn counterexample_snapshots() {
    let mut failed = Vec::new();
    let all = counterexamples();
    assert!(!all.is_empty());
    for (_, record, trace) in &all {
        let body = format!(
            "{} | {} | faults={} | {}\n{}",
            record.row(),
            record.property,
            record.faults,
            record.bounds,
            traces::report(trace)
        );
        let snapshot = name(record);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                description => "redis-races trace ROW --property P --faults F (steps, swimlane, mermaid)",
                omit_expression => true,
            }, {
                insta::assert_snapshot!(snapshot.clone(), body);
            });
        }));
        if outcome.is_err() {
            failed.push(snapshot);
        }
    }
    assert!(failed.is_empty(), "snapshots differ: {failed:?}");
}

#[test]
fn minimize_keeps_every_counterexample_violating_and_drops_nothing_from_bfs() {
    for (job, record, trace) in counterexamples() {
        let system = job.system(None);
        let original = record.trace().unwrap().actions_for(&system).unwrap();
        let minimal = trace.actions_for(&system).unwrap();
        assert!(
            minimize::violation_at_end(&system, &minimal).is_some(),
            "{}: minimized schedule no longer violates",
            name(record)
        );
        assert!(
            minimize::is_one_minimal(&system, &minimal),
            "{}: not 1-minimal",
            name(record)
        );
        // BFS returns a shortest counterexample; a drop would be a shorter one.
        assert_eq!(
            minimal,
            original,
            "{}: minimize shortened a BFS counterexample",
            name(record)
        );
        assert_eq!(trace.violation, record.violation, "{}", name(record));
    }
}

#[test]
fn every_mermaid_diagram_is_well_formed() {
    for (_, record, trace) in counterexamples() {
        let diagram = traces::mermaid::render(&trace);
        let problems = common::mermaid_problems(&diagram);
        assert!(
            problems.is_empty(),
            "{}:\n{diagram}\n{problems:#?}",
            name(record)
        );
        // One message per command, one per reply.
        let sends = trace.steps.iter().filter(|s| s.command.is_some()).count();
        let replies = trace.steps.iter().filter(|s| s.reply.is_some()).count();
        assert_eq!(
            diagram.matches("->>Redis: ").count(),
            sends,
            "{}",
            name(record)
        );
        assert_eq!(
            diagram.matches("Redis-->>").count(),
            replies,
            "{}",
            name(record)
        );
        let last = diagram.lines().last().unwrap();
        assert!(
            last.contains(&format!("{} violated", record.property)),
            "{}: the violation is not the last note: {last}",
            name(record)
        );
    }
}

#[test]
fn every_swimlane_is_aligned_and_ends_with_the_violation() {
    for (_, record, trace) in counterexamples() {
        let lane = traces::swimlane::render(&trace);
        let lines: Vec<&str> = lane.lines().collect();
        // Title, header, rule, rows, then the footer from "=>" on.
        let header = lines[1];
        let bars = |l: &str| -> Vec<usize> {
            l.chars()
                .enumerate()
                .filter(|&(_, c)| c == '|')
                .map(|(i, _)| i)
                .collect()
        };
        let expected = bars(header);
        // One lane per client and per spawned thread (`A/renewer`) that steps.
        let mut threads: Vec<&str> = trace
            .steps
            .iter()
            .filter_map(|s| s.client.as_deref())
            .filter(|c| c.contains('/'))
            .collect();
        threads.sort();
        threads.dedup();
        assert_eq!(
            expected.len(),
            trace.clients + threads.len() + 1,
            "{}:\n{lane}",
            name(record)
        );
        let end = lines.iter().position(|l| l.starts_with("=> ")).unwrap();
        for l in &lines[3..end] {
            // Notes may contain '|' only after the last column.
            let got: Vec<usize> = bars(l).into_iter().take(expected.len()).collect();
            assert_eq!(
                got,
                expected,
                "{}: misaligned line {l:?}\n{lane}",
                name(record)
            );
        }
        assert_eq!(
            lines[end],
            format!(
                "=> {} violated: {}",
                record.property,
                record.violation.as_deref().unwrap()
            )
        );
        assert!(
            !lane.contains("answers this command differently"),
            "{}: the keyspace replay disagrees with the trace:\n{lane}",
            name(record)
        );
    }
}

#[test]
fn every_trace_round_trips_through_json_and_replays() {
    for (job, record, trace) in counterexamples() {
        let text = traces::json::to_string(&trace);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["version"],
            serde_json::json!(model::trace::TRACE_FORMAT_VERSION)
        );
        let back = traces::json::from_str(&text).unwrap();
        assert_eq!(back, trace, "{}", name(record));
        // The schedule read back replays to the same trace.
        let system = job.system(None);
        let again = model::checker::trace_of(
            &system,
            &back.actions_for(&system).unwrap(),
            back.violation.clone(),
        );
        assert_eq!(again, trace, "{}", name(record));
    }
}

#[test]
fn no_stale_snapshots() {
    let mut expected: Vec<String> = counterexamples()
        .iter()
        .map(|(_, r, _)| format!("{}.snap", name(r)))
        .collect();
    expected.push("verdict_table.snap".to_string());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .expect("traces/snapshots exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".snap") && !expected.contains(f))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots of checks that are no longer violated (delete them): {stale:?}"
    );
}
