//! The verdict table: one line per (row, property, fault model), each VIOLATED line followed
//! by its counterexample as numbered steps.

use crate::steps;
use model::checker::Verdict;
use model::verdict::VerdictRecord;

/// The verdict as the table prints it.
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Violated => "VIOLATED",
        Verdict::Unknown => "UNKNOWN",
    }
}

/// The header and the line of one record, without the counterexample.
pub fn header() -> String {
    header_for(FAULTS_WIDTH)
}

pub fn line(r: &VerdictRecord) -> String {
    line_for(r, FAULTS_WIDTH)
}

/// The FAULTS column fits `none`, `crash` and `pause`; it widens for a table with
/// `failover` or `restart` lines.
const FAULTS_WIDTH: usize = 6;

fn faults_width(records: &[VerdictRecord]) -> usize {
    records
        .iter()
        .map(|r| r.faults.len())
        .fold(FAULTS_WIDTH, usize::max)
}

fn header_for(width: usize) -> String {
    format!(
        "{:<36} {:<20} {:<width$} {:<9} {:>8} {:>6}  {}",
        "ROW", "PROPERTY", "FAULTS", "VERDICT", "STATES", "DEPTH", "BOUNDS"
    )
}

fn line_for(r: &VerdictRecord, width: usize) -> String {
    format!(
        "{:<36} {:<20} {:<width$} {:<9} {:>8} {:>6}  {}",
        r.row(),
        r.property,
        r.faults,
        verdict_word(r.verdict),
        r.states,
        r.depth,
        r.bounds
    )
}

/// The whole table; with `counterexamples`, each VIOLATED line is followed by its steps.
pub fn render(records: &[VerdictRecord], counterexamples: bool) -> String {
    let width = faults_width(records);
    let mut out = header_for(width);
    out.push('\n');
    for r in records {
        out.push_str(&line_for(r, width));
        out.push('\n');
        if counterexamples {
            if let Some(trace) = r.trace() {
                for l in steps::render(&trace).lines() {
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
    }
    let violated = records
        .iter()
        .filter(|r| r.verdict == Verdict::Violated)
        .count();
    let unknown = records
        .iter()
        .filter(|r| r.verdict == Verdict::Unknown)
        .count();
    out.push_str(&format!(
        "{} checks: {} hold, {} violated{}\n",
        records.len(),
        records.len() - violated - unknown,
        violated,
        if unknown > 0 {
            format!(", {unknown} UNKNOWN (search stopped early)")
        } else {
            String::new()
        }
    ));
    out
}
