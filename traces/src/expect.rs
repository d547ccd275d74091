//! Comparing verdicts with a committed expectation file (`check --expect FILE`).
//!
//! The file is what `check --format json` prints; only `scenario`, `variant`, `property`,
//! `faults` and `verdict` are read, so a trimmed or hand-written file works too. A check
//! whose verdict changed, or that has no expectation yet, is a [`Difference`] (the CLI then
//! exits 1); an expectation for a check this run did not make is listed, not counted, so a
//! run over a subset of rows can use the whole file.

use model::checker::Verdict;
use model::verdict::VerdictRecord;
use serde::Deserialize;

/// One expected verdict.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Expected {
    pub scenario: String,
    pub variant: String,
    pub property: String,
    pub faults: String,
    pub verdict: Verdict,
}

impl Expected {
    fn key(&self) -> (String, &str, &str) {
        (
            format!("{}/{}", self.scenario, self.variant),
            &self.property,
            &self.faults,
        )
    }
}

/// A check whose verdict is not the expected one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// `row property faults`, e.g. `lock/set-nx-ex-del owner-only-release pause`.
    pub check: String,
    /// `None`: the file has no expectation for this check.
    pub expected: Option<Verdict>,
    pub actual: Verdict,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let actual = crate::table::verdict_word(self.actual);
        match self.expected {
            Some(e) => write!(
                f,
                "{}: expected {}, got {actual}",
                self.check,
                crate::table::verdict_word(e)
            ),
            None => write!(f, "{}: no expectation, got {actual}", self.check),
        }
    }
}

/// The outcome of comparing a run with the expectation file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Changed or new verdicts: any of them fails the run.
    pub differences: Vec<Difference>,
    /// Expectations for checks this run did not make (`row property faults`).
    pub not_run: Vec<String>,
}

/// Parses an expectation file (a JSON array, as `check --format json` prints it).
pub fn parse(text: &str) -> Result<Vec<Expected>, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("not an expectation file (the output of `check --format json`): {e}"))
}

/// Compares `records` with `expected`, in the order of `records`.
pub fn compare(records: &[VerdictRecord], expected: &[Expected]) -> Comparison {
    let check = |row: &str, property: &str, faults: &str| format!("{row} {property} {faults}");
    let differences = records
        .iter()
        .filter_map(|r| {
            let row = r.row();
            let want = expected
                .iter()
                .find(|e| e.key() == (row.clone(), r.property.as_str(), r.faults.as_str()))
                .map(|e| e.verdict);
            (want != Some(r.verdict)).then(|| Difference {
                check: check(&row, &r.property, &r.faults),
                expected: want,
                actual: r.verdict,
            })
        })
        .collect();
    let not_run = expected
        .iter()
        .filter(|e| {
            !records
                .iter()
                .any(|r| e.key() == (r.row(), r.property.as_str(), r.faults.as_str()))
        })
        .map(|e| {
            let (row, property, faults) = e.key();
            check(&row, property, faults)
        })
        .collect();
    Comparison {
        differences,
        not_run,
    }
}
