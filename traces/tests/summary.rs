//! The CI job summary (`check --summary`) and the expectation comparison (`check --expect`),
//! on real checks of the catalogue: the Markdown is an insta snapshot under
//! `traces/snapshots/summary/`; the comparison is checked against hand-made expectations.

use model::catalogue;
use model::checker::{Limits, Verdict};
use model::faults::FaultModel;
use model::verdict::{self, VerdictRecord};
use traces::expect::{self, Comparison, Expected};

/// Two violated checks and one that holds: `counter/get-set` and `counter/incr` without
/// faults, `lock/set-nx-ex-del` owner-only-release under pause.
fn records() -> Vec<VerdictRecord> {
    let scenarios = catalogue::all();
    let mut out = Vec::new();
    for (row, property, faults) in [
        ("counter/get-set", None, FaultModel::None),
        ("counter/incr", None, FaultModel::None),
        (
            "lock/set-nx-ex-del",
            Some("owner-only-release"),
            FaultModel::Pause,
        ),
    ] {
        for job in catalogue::select(&scenarios, Some(row), property, &[faults]).unwrap() {
            out.push(verdict::run(&job, None, Limits::default(), &mut |_| {}));
        }
    }
    out
}

fn expected_of(r: &VerdictRecord, verdict: Verdict) -> Expected {
    Expected {
        scenario: r.scenario.clone(),
        variant: r.variant.clone(),
        property: r.property.clone(),
        faults: r.faults.clone(),
        verdict,
    }
}

#[test]
fn json_output_is_an_expectation_file_and_matches_itself() {
    let records = records();
    let json = serde_json::to_string_pretty(&records).unwrap();
    let parsed = expect::parse(&json).unwrap();
    assert_eq!(parsed.len(), records.len());
    assert_eq!(expect::compare(&records, &parsed), Comparison::default());
    assert!(expect::parse("{\"not\": \"an array\"}").is_err());
}

#[test]
fn a_changed_a_new_and_an_unrun_expectation_are_told_apart() {
    let records = records();
    assert_eq!(records[0].verdict, Verdict::Violated, "counter/get-set");
    let mut expected = vec![expected_of(&records[0], Verdict::Holds)];
    expected.push(expected_of(&records[1], records[1].verdict));
    // records[2] has no expectation; this one was not run:
    expected.push(Expected {
        scenario: "counter".into(),
        variant: "lua".into(),
        property: "no-lost-update".into(),
        faults: "crash".into(),
        verdict: Verdict::Holds,
    });
    let cmp = expect::compare(&records, &expected);
    let lines: Vec<String> = cmp.differences.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        lines,
        [
            "counter/get-set no-lost-update none: expected holds, got VIOLATED",
            "lock/set-nx-ex-del owner-only-release pause: no expectation, got VIOLATED",
        ]
    );
    assert_eq!(cmp.not_run, ["counter/lua no-lost-update crash"]);
}

#[test]
fn summary_markdown_snapshot() {
    let records = records();
    let mut expected: Vec<Expected> = records.iter().map(|r| expected_of(r, r.verdict)).collect();
    expected[0].verdict = Verdict::Holds;
    let cmp = expect::compare(&records, &expected);
    let with = traces::summary::render(&records, Some(("redis-races-expected.json", &cmp)));
    let without = traces::summary::render(&records, None);
    // Structure GitHub needs: a table and one mermaid block per violated check.
    let violated = records
        .iter()
        .filter(|r| r.verdict == Verdict::Violated)
        .count();
    assert_eq!(violated, 2);
    assert_eq!(
        with.matches("```mermaid\nsequenceDiagram\n").count(),
        violated
    );
    assert_eq!(
        with.matches("\n```\n").count(),
        violated,
        "every block closed"
    );
    assert!(with.contains("**changed** (was holds)"), "{with}");
    assert!(!without.contains("expected"), "{without}");
    insta::with_settings!({
        snapshot_path => "../snapshots/summary",
        prepend_module_to_snapshot => false,
        description => "redis-races check ... --expect redis-races-expected.json --summary FILE",
        omit_expression => true,
    }, {
        insta::assert_snapshot!("summary_with_expectation", with);
        insta::assert_snapshot!("summary_without_expectation", without);
    });
}
