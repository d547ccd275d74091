//! `redis-races check`: the verdict table.

use crate::Format;
use clap::Args;
use model::catalogue;
use model::checker::{Limits, Verdict};
use model::faults::FaultModel;
use model::verdict::{self, VerdictRecord};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Rows to check: a scenario (`lock`), a row id (`lock/set-nx-ex-del`), a glob
    /// (`*/lua`), or a recipe file (`my_lock.lua`, or `my_lock.lua:VARIANT`). All catalogue
    /// rows when omitted.
    pub pattern: Option<String>,
    /// Only this variant of the selected scenario (`--variant watch-retry`).
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
    /// Fault model: none, crash, pause, or all.
    #[arg(long, default_value = "all")]
    pub faults: String,
    /// Only this property (e.g. mutual-exclusion).
    #[arg(long)]
    pub property: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Explore every renaming of the clients separately (slower; the verdicts are the same).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Stop a search after this many states (its verdict is then UNKNOWN, never holds).
    #[arg(long, default_value_t = 50_000_000)]
    pub max_states: usize,
    /// Threads that expand the search (default: every core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Parses `--faults`: one fault model or `all`.
pub fn parse_faults(s: &str) -> Result<Vec<FaultModel>, String> {
    if s == "all" {
        Ok(FaultModel::ALL.to_vec())
    } else {
        s.parse::<FaultModel>().map(|f| vec![f])
    }
}

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let faults = parse_faults(&args.faults)?;
    if args.threads == Some(0) {
        return Err("--threads must be at least 1".into());
    }
    if args.clients == Some(0) || args.clients.is_some_and(|c| c > 26) {
        return Err("--clients must be between 1 and 26".into());
    }
    let (scenarios, mut pattern) = catalogue::resolve(args.pattern.as_deref())?;
    if let Some(v) = &args.variant {
        pattern = Some(match pattern {
            Some(p) if !p.contains('/') && !p.contains('*') => format!("{p}/{v}"),
            Some(p) => {
                return Err(format!(
                    "--variant {v} needs a scenario or a recipe file, not the pattern {p:?}"
                ))
            }
            None => format!("*/{v}"),
        });
    }
    let jobs = catalogue::select(
        &scenarios,
        pattern.as_deref(),
        args.property.as_deref(),
        &faults,
    )?;
    let started = Instant::now();
    let limits = Limits {
        max_states: args.max_states,
        symmetry: !args.no_symmetry,
        threads: args.threads.unwrap_or_else(model::checker::default_threads),
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
    let unknown = records.iter().any(|r| r.verdict == Verdict::Unknown);
    Ok(if unknown {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
