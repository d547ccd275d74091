//! The verdict record: one line of the verdict table, and one object of `check --format json`.

use crate::catalogue::Job;
use crate::checker::{self, CheckResult, Limits, Progress, Verdict};
use crate::system::Bounds;
use crate::trace::{Step, Trace};
use serde::{Deserialize, Serialize};

/// The outcome of checking one (row, property, fault model).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    pub scenario: String,
    pub variant: String,
    pub property: String,
    pub faults: String,
    pub verdict: Verdict,
    pub states: usize,
    pub depth: usize,
    pub clients: usize,
    pub bounds: Bounds,
    /// The shortest path to a violation, or null.
    pub counterexample: Option<Vec<Step>>,
    /// Why the last state violates the property, or null.
    pub violation: Option<String>,
    /// The keyspace at the end of the counterexample.
    #[serde(default)]
    pub final_keys: Vec<String>,
    /// Wall time of the search.
    pub elapsed_ms: u64,
    /// A Redis command the model does not implement, reached by the search: the verdict is
    /// then `unknown` and a front end must refuse the row ([`checker::unmodelled_error`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmodelled: Option<String>,
}

impl VerdictRecord {
    pub fn row(&self) -> String {
        format!("{}/{}", self.scenario, self.variant)
    }

    /// The counterexample as a whole trace (for rendering and replay).
    pub fn trace(&self) -> Option<Trace> {
        self.counterexample.as_ref().map(|steps| Trace {
            version: crate::trace::TRACE_FORMAT_VERSION,
            row: self.row(),
            property: self.property.clone(),
            faults: self.faults.clone(),
            clients: self.clients,
            steps: steps.clone(),
            violation: self.violation.clone(),
            final_keys: self.final_keys.clone(),
        })
    }
}

/// Checks one job and records the verdict.
pub fn run(
    job: &Job,
    clients: Option<usize>,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> VerdictRecord {
    run_system(&job.system(clients), limits, progress)
}

/// Checks one system (e.g. with bounds changed from the scenario's) and records the verdict.
pub fn run_system(
    system: &crate::system::System,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> VerdictRecord {
    let CheckResult {
        verdict,
        states,
        depth,
        counterexample,
        elapsed,
        unmodelled,
        successors: _,
    } = checker::check(system, limits, progress);
    let row = system.row();
    VerdictRecord {
        scenario: row.scenario,
        variant: row.variant,
        property: system.property_def().name.to_string(),
        faults: system.faults.name().to_string(),
        verdict,
        states,
        depth,
        clients: system.bounds.clients,
        bounds: system.bounds,
        violation: counterexample.as_ref().and_then(|t| t.violation.clone()),
        final_keys: counterexample
            .as_ref()
            .map(|t| t.final_keys.clone())
            .unwrap_or_default(),
        counterexample: counterexample.map(|t| t.steps),
        elapsed_ms: elapsed.as_millis() as u64,
        unmodelled,
    }
}
