//! `redis-races trace`: one counterexample, minimized, as numbered steps, a swimlane, a
//! Mermaid diagram or JSON.

use clap::{Args, ValueEnum};
use model::catalogue::{self, Job};
use model::checker::{self, Limits, Verdict};
use model::system::System;
use model::trace::Trace;
use std::process::ExitCode;

/// Output format of `trace`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum TraceFormat {
    /// Numbered steps, as `check` prints them.
    Text,
    /// One column per client, a time column and notes.
    Swimlane,
    /// A Mermaid sequenceDiagram.
    Mermaid,
    /// The trace as JSON (the format `replay --trace` reads).
    Json,
}

/// Which (row, property, fault model) to show: shared by `trace` and `explore`.
#[derive(Args, Debug)]
pub struct RowArgs {
    /// The row (`scenario/variant`, e.g. `lock/set-nx-ex-del`), or a recipe file with one
    /// variant (`my_lock.lua`) or `FILE.lua:VARIANT`.
    pub row: String,
    /// Fault model: none, crash, pause, failover, restart, or all (none, crash and pause;
    /// default: the first of those that breaks the property).
    #[arg(long, default_value = "all")]
    pub faults: String,
    /// The property (default: the row's first violated property).
    #[arg(long)]
    pub property: Option<String>,
    /// Number of clients (default: the scenario's).
    #[arg(long)]
    pub clients: Option<usize>,
    /// As on a Redis cluster (see `check --cluster`).
    #[arg(long)]
    pub cluster: bool,
    /// Replicas of the primary under `--faults failover` (default 1).
    #[arg(long)]
    pub replicas: Option<u8>,
}

impl RowArgs {
    /// The system of one of the selected jobs, with the bounds given on the command line
    /// (clients, replicas, cluster mode).
    pub fn system(&self, job: &Job) -> System {
        let mut system = job.system(self.clients);
        if let Some(n) = self.replicas {
            system = system.with_replicas(n);
        }
        if self.cluster {
            system = system.on_cluster();
        }
        system
    }

    /// The selected row's jobs, in table order.
    pub fn jobs(&self) -> Result<Vec<Job>, String> {
        jobs_for_row(
            &self.row,
            &self.faults,
            self.property.as_deref(),
            self.clients,
        )
    }
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    #[command(flatten)]
    pub target: RowArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
}

/// The jobs of exactly one row, in table order; errors name what is wrong in one line.
pub fn jobs_for_row(
    row: &str,
    faults: &str,
    property: Option<&str>,
    clients: Option<usize>,
) -> Result<Vec<Job>, String> {
    if clients == Some(0) || clients.is_some_and(|c| c > 26) {
        return Err("--clients must be between 1 and 26".into());
    }
    let faults = crate::check::parse_faults(faults)?;
    let (scenarios, resolved) = catalogue::resolve(Some(row))?;
    let from_file = resolved.as_deref() != Some(row);
    let row = resolved.as_deref().unwrap_or(row);
    let jobs = catalogue::select(&scenarios, Some(row), property, &faults)?;
    let mut rows: Vec<String> = jobs
        .iter()
        .map(|j| {
            format!(
                "{}/{}",
                j.scenario.name, j.scenario.variants[j.variant].name
            )
        })
        .collect();
    rows.dedup();
    if rows.len() > 1 || (!from_file && rows.first().is_some_and(|r| r != row)) {
        return Err(format!(
            "{row:?} is not one row; it matches {} (name one)",
            rows.join(", ")
        ));
    }
    if jobs.is_empty() {
        return Err(format!(
            "{row}: no property of this row applies under --faults {}",
            faults
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    Ok(jobs)
}

/// Checks `jobs` in order and returns the first violated one's system and its minimized
/// counterexample; the error says what was checked and that it holds.
pub fn first_counterexample(jobs: &[Job], target: &RowArgs) -> Result<(System, Trace), String> {
    let mut unknown = Vec::new();
    for job in jobs {
        let system = target.system(job);
        let result = checker::check(&system, Limits::default(), &mut |_| {});
        match result.verdict {
            Verdict::Violated => {
                let cx = result
                    .counterexample
                    .expect("a violation has a counterexample");
                let actions = cx.actions_for(&system)?;
                let trace = model::minimize::minimal_trace(&system, &actions).unwrap_or(cx);
                return Ok((system, trace));
            }
            Verdict::Unknown => unknown.push(label(&system)),
            Verdict::Holds => {}
        }
    }
    let first = &jobs[0];
    let row = format!(
        "{}/{}",
        first.scenario.name, first.scenario.variants[first.variant].name
    );
    let checked: Vec<String> = jobs
        .iter()
        .map(|j| {
            format!(
                "{} under {}",
                j.scenario.properties[j.property].name, j.faults
            )
        })
        .collect();
    if unknown.is_empty() {
        Err(format!(
            "{row} holds ({}): no counterexample to show",
            checked.join(", ")
        ))
    } else {
        Err(format!(
            "{row}: no counterexample found, and the search stopped early for {}",
            unknown.join(", ")
        ))
    }
}

fn label(system: &System) -> String {
    format!("{} under {}", system.property_def().name, system.faults)
}

pub fn run(args: TraceArgs) -> Result<ExitCode, String> {
    let jobs = args.target.jobs()?;
    let (system, trace) = first_counterexample(&jobs, &args.target)?;
    match args.format {
        TraceFormat::Text => {
            println!(
                "{}: {} VIOLATED under faults={} ({})",
                trace.row, trace.property, trace.faults, system.bounds
            );
            print!("{}", traces::steps::render(&trace));
        }
        TraceFormat::Swimlane => print!("{}", traces::swimlane::render(&trace)),
        TraceFormat::Mermaid => print!("{}", traces::mermaid::render(&trace)),
        TraceFormat::Json => println!("{}", traces::json::to_string(&trace)),
    }
    Ok(ExitCode::SUCCESS)
}
