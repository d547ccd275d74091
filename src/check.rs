//! `redis-races check`: the verdict table, and for CI the comparison with an expectation
//! file (`--expect`) and the Markdown job summary (`--summary`).

use crate::Format;
use clap::Args;
use model::catalogue;
use model::checker::{Limits, Verdict};
use model::faults::FaultModel;
use model::verdict::{self, VerdictRecord};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// The exit codes of `check`, as `--help` prints them (README: "The suite in your CI").
pub const EXIT_CODES: &str = "Exit codes:\n  \
    0  every verdict as expected (without --expect: the search finished, whatever the verdicts)\n  \
    1  a verdict differs from the --expect file (changed, or not listed there)\n  \
    2  bad input: unknown row, property, fault model or flag; unreadable --expect file\n  \
    3  a search stopped at --max-states: some verdict is UNKNOWN";

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Rows to check, each a scenario (`lock`), a row id (`lock/set-nx-ex-del`), a glob
    /// (`*/lua`) or a recipe file (`my_lock.lua`, or `my_lock.lua:VARIANT`). All catalogue
    /// rows when omitted.
    pub patterns: Vec<String>,
    /// Only this variant of each selected scenario or recipe file (`--variant watch-retry`).
    #[arg(long)]
    pub variant: Option<String>,
    /// Number of clients (default: the scenario's, printed in BOUNDS).
    #[arg(long)]
    pub clients: Option<usize>,
    /// Re-attempts after a client's first try (default: the scenario's, printed in BOUNDS).
    #[arg(long)]
    pub retries: Option<u16>,
    /// Clock ticks (seconds) a run may span (default: the scenario's, printed in BOUNDS).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Lock lease in seconds, as the recipes read it (default: the scenario's).
    #[arg(long)]
    pub lease: Option<u64>,
    /// Fault model: none, crash, pause, failover, restart, or all (none, crash and pause;
    /// failover and restart are opt-in).
    #[arg(long, default_value = "all")]
    pub faults: String,
    /// Replicas of the primary under `--faults failover` (default 1, printed in BOUNDS).
    #[arg(long)]
    pub replicas: Option<u8>,
    /// Only this property (e.g. mutual-exclusion).
    #[arg(long)]
    pub property: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Check as on a Redis cluster: the server owns every hash slot, and a multi-key
    /// command, transaction or script call whose keys span slots gets CROSSSLOT (use hash
    /// tags: `{sku123}`). BOUNDS then ends in `cluster`.
    #[arg(long)]
    pub cluster: bool,
    /// Explore every renaming of the clients separately (slower; the verdicts are the same).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Step every enabled client even where two steps commute (slower; the states,
    /// verdicts and counterexamples are the same). Sleep sets are used only with
    /// --no-symmetry.
    #[arg(long)]
    pub no_sleep_sets: bool,
    /// Stop a search after this many states (its verdict is then UNKNOWN, never holds).
    #[arg(long, default_value_t = 50_000_000)]
    pub max_states: usize,
    /// Threads that expand the search (default: every core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Compare each verdict with this file (written by `--format json`); exit 1 and name
    /// each check whose verdict differs or that the file does not list.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Append the verdicts as GitHub Markdown (a table, each counterexample as a Mermaid
    /// diagram) to FILE, e.g. "$GITHUB_STEP_SUMMARY".
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

/// Parses `--faults`: one fault model or `all`.
pub fn parse_faults(s: &str) -> Result<Vec<FaultModel>, String> {
    if s == "all" {
        Ok(FaultModel::ALL.to_vec())
    } else {
        s.parse::<FaultModel>().map(|f| vec![f])
    }
}

/// `pattern` narrowed to one variant (`--variant`): `scenario/VARIANT`, or every scenario's.
fn with_variant(pattern: Option<String>, variant: Option<&str>) -> Result<Option<String>, String> {
    let Some(v) = variant else {
        return Ok(pattern);
    };
    Ok(Some(match pattern {
        Some(p) if !p.contains('/') && !p.contains('*') => format!("{p}/{v}"),
        Some(p) => {
            return Err(format!(
                "--variant {v} needs a scenario or a recipe file, not the pattern {p:?}"
            ))
        }
        None => format!("*/{v}"),
    }))
}

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let faults = parse_faults(&args.faults)?;
    if args.replicas == Some(0) {
        return Err("--replicas must be at least 1".into());
    }
    if args.threads == Some(0) {
        return Err("--threads must be at least 1".into());
    }
    if args.clients == Some(0) || args.clients.is_some_and(|c| c > 26) {
        return Err("--clients must be between 1 and 26".into());
    }
    let expected = match &args.expect {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--expect {}: {e}", path.display()))
                .and_then(|text| {
                    traces::expect::parse(&text)
                        .map_err(|e| format!("--expect {}: {e}", path.display()))
                })?,
        ),
        None => None,
    };
    let all = catalogue::all();
    let mut jobs = Vec::new();
    let patterns: Vec<Option<&str>> = if args.patterns.is_empty() {
        vec![None]
    } else {
        args.patterns.iter().map(|p| Some(p.as_str())).collect()
    };
    for pattern in patterns {
        // A recipe file brings its own scenario; anything else names catalogue rows.
        let (scenarios, pattern) = match pattern {
            Some(p) if catalogue::is_recipe_file(p) => catalogue::resolve(Some(p))?,
            other => (all.clone(), other.map(str::to_string)),
        };
        let pattern = with_variant(pattern, args.variant.as_deref())?;
        let selected = catalogue::select(
            &scenarios,
            pattern.as_deref(),
            args.property.as_deref(),
            &faults,
        )?;
        for job in selected {
            let same = |j: &catalogue::Job| {
                Arc::ptr_eq(&j.scenario, &job.scenario)
                    && (j.variant, j.property, j.faults) == (job.variant, job.property, job.faults)
            };
            if !jobs.iter().any(same) {
                jobs.push(job);
            }
        }
    }
    let started = Instant::now();
    let limits = Limits {
        max_states: args.max_states,
        symmetry: !args.no_symmetry,
        threads: args.threads.unwrap_or_else(model::checker::default_threads),
        sleep_sets: !args.no_sleep_sets,
    };
    let mut records: Vec<VerdictRecord> = Vec::with_capacity(jobs.len());
    let total = jobs.len();
    let mut printed_progress = false;
    for (k, job) in jobs.iter().enumerate() {
        let label = format!(
            "{}/{} {} {}",
            job.scenario.name,
            job.scenario.variants[job.variant].name,
            job.scenario.properties[job.property].name,
            job.faults
        );
        let mut progress = |p: model::checker::Progress| {
            if started.elapsed().as_secs_f64() > 1.0 {
                printed_progress = true;
                eprint!(
                    "\r[{}/{total}] {label}: {} states, depth {}, {:.1}s   ",
                    k + 1,
                    p.states,
                    p.depth,
                    p.elapsed.as_secs_f64()
                );
                let _ = std::io::stderr().flush();
            }
        };
        let mut system = job.system(args.clients);
        if let Some(r) = args.retries {
            system = system.with_retries(r);
        }
        if let Some(t) = args.ticks {
            system = system.with_ticks(t);
        }
        if let Some(l) = args.lease {
            system = system.with_lease(l);
        }
        if args.cluster {
            system = system.on_cluster();
        }
        if let Some(n) = args.replicas {
            system = system.with_replicas(n);
        }
        let record = verdict::run_system(&system, limits, &mut progress);
        if let Some(command) = &record.unmodelled {
            if printed_progress {
                eprintln!();
            }
            return Err(model::checker::unmodelled_error(
                &system.row().to_string(),
                command,
            ));
        }
        if started.elapsed().as_secs_f64() > 1.0 {
            printed_progress = true;
            eprint!(
                "\r[{}/{total}] {label}: {:<60}",
                k + 1,
                traces::table::verdict_word(record.verdict)
            );
            let _ = std::io::stderr().flush();
        }
        records.push(record);
    }
    if printed_progress {
        eprintln!(
            "\r{total} checks in {:.1}s{:<70}",
            started.elapsed().as_secs_f64(),
            ""
        );
    }
    match args.format {
        Format::Table => print!("{}", traces::table::render(&records, true)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| e.to_string())?
        ),
    }
    let comparison = expected
        .as_ref()
        .map(|e| traces::expect::compare(&records, e));
    if let Some(cmp) = &comparison {
        let file = args.expect.as_ref().expect("compared").display();
        for d in &cmp.differences {
            eprintln!("verdict differs from {file}: {d}");
        }
        if !cmp.not_run.is_empty() {
            eprintln!(
                "note: {} check(s) in {file} not made in this run (not compared)",
                cmp.not_run.len()
            );
        }
    }
    if let Some(path) = &args.summary {
        let name = args.expect.as_ref().map(|p| p.display().to_string());
        let markdown = traces::summary::render(&records, name.as_deref().zip(comparison.as_ref()));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(markdown.as_bytes()))
            .map_err(|e| format!("--summary {}: {e}", path.display()))?;
    }
    let unknown = records.iter().any(|r| r.verdict == Verdict::Unknown);
    Ok(if comparison.is_some_and(|c| !c.differences.is_empty()) {
        ExitCode::from(1)
    } else if unknown {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
