//! `redis-races replay`: a counterexample run on a real server, printed side by side with the
//! model's run, reply by reply (the table itself: `traces::side_by_side`).

use clap::Args;
use live::executor::{self, ExecOptions, LiveRun};
use live::{LiveFleet, LiveServer, SafetyOptions, ServerSpec};
use model::catalogue::{self, Job};
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel;
use model::trace::{Trace, READABLE_TRACE_VERSIONS, TRACE_FORMAT_VERSION};
use model::verdict::VerdictRecord;
use model::{Action, System};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use traces::side_by_side::{self, SideBySide, StepPair};

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The row to replay (`lock/set-nx-ex-del`). With --trace, picks the record of that row
    /// from a `check --format json` array.
    pub row: Option<String>,
    /// Fault model (none, crash, pause, failover, restart or all). Default: the first under which the property is
    /// violated.
    #[arg(long)]
    pub faults: Option<String>,
    /// Property to violate. Default: the row's first violated property.
    #[arg(long)]
    pub property: Option<String>,
    /// Server: default, redis-6.0, redis-7.0, redis-8.0, valkey-8.1, process, cluster (one
    /// redis-server node owning every slot), cluster3 (three masters, each command routed to
    /// the master of its keys), or a redis:// URL. A check with several servers
    /// (`--faults failover|restart`, redlock) runs on a fleet of redis-server children:
    /// `process`, or `default` without REDIS_URL.
    #[arg(long, default_value = "default")]
    pub server: String,
    /// As on a Redis cluster (see `check --cluster`); the default server is then `cluster`.
    /// `--server cluster` and `--server cluster3` imply it.
    #[arg(long)]
    pub cluster: bool,
    /// Number of clients (default: the scenario's).
    #[arg(long)]
    pub clients: Option<usize>,
    /// Replicas of the primary under `--faults failover` (default 1), each a redis-server
    /// child linked with REPLICAOF.
    #[arg(long)]
    pub replicas: Option<u8>,
    /// Real milliseconds per model tick (1000 = the model's second; other values scale EX,
    /// EXPIRE, TTL and BLPOP timeouts, and refuse scripts in runs with a clock).
    #[arg(long, default_value_t = executor::DEFAULT_TICK_MS)]
    pub tick_ms: u64,
    /// Replay a saved trace instead: a JSON trace, or a record (or array of records) from
    /// `check --format json`.
    #[arg(long, value_name = "FILE.json")]
    pub trace: Option<PathBuf>,
    /// Stop the model search after this many states.
    #[arg(long, default_value_t = 50_000_000)]
    pub max_states: usize,
}

/// `system` with `--replicas`, and as on a cluster when `--cluster` or `--server
/// cluster|cluster3` asks for it.
fn on_cluster_if(system: System, args: &ReplayArgs) -> System {
    let system = match args.replicas {
        Some(n) => system.with_replicas(n),
        None => system,
    };
    if args.cluster || args.server == "cluster" || args.server == "cluster3" {
        system.on_cluster()
    } else {
        system
    }
}

/// What to replay.
struct Target {
    system: System,
    actions: Vec<Action>,
    /// The saved trace, when replaying a file (to say if the model now does otherwise).
    saved: Option<Trace>,
}

pub fn run(args: ReplayArgs) -> Result<ExitCode, String> {
    if args.clients == Some(0) || args.clients.is_some_and(|c| c > 26) {
        return Err("--clients must be between 1 and 26".into());
    }
    if args.replicas == Some(0) {
        return Err("--replicas must be at least 1".into());
    }
    if args.tick_ms == 0 {
        return Err("--tick-ms must be positive (1000 = the model's second)".into());
    }
    let server_name = if args.cluster && args.server == "default" {
        "cluster"
    } else {
        args.server.as_str()
    };
    let spec = ServerSpec::parse(server_name).map_err(|e| e.to_string())?;
    let safety = SafetyOptions::from_env().map_err(|e| e.to_string())?;
    let target = match &args.trace {
        Some(path) => from_file(path, &args)?,
        None => from_row(&args)?,
    };
    let system = &target.system;
    eprintln!(
        "replaying {} {} under {} ({} steps, {} clients): starting the server...",
        system.row(),
        system.property_def().name,
        system.faults,
        target.actions.len(),
        system.bounds.clients
    );
    let opts = ExecOptions {
        tick_ms: args.tick_ms,
        on_wait: Some(Arc::new(|line: &str| eprintln!("  {line}"))),
    };
    // Several masters, replicas or a restart: a fleet of redis-server children; the
    // one-server backends say so in one line (exit 2).
    let (run, described) = if executor::needs_fleet(system) {
        let mut fleet = LiveFleet::start(
            &spec,
            system.servers(),
            system.bounds.replicas as usize,
            &safety,
        )
        .map_err(|e| {
            format!(
                "{} under {} needs {} server(s){}: {e}",
                system.row(),
                system.faults,
                system.servers(),
                match system.bounds.replicas {
                    0 => String::new(),
                    r => format!(" and {r} replica(s)"),
                }
            )
        })?;
        // Described as started: a promotion uses up a replica.
        let described = fleet.describe();
        let run = executor::run_fleet_schedule(&mut fleet, system, &target.actions, &opts)
            .map_err(|e| format!("replay on {described} failed: {e}"))?;
        (run, described)
    } else {
        let server = LiveServer::start(&spec, &safety).map_err(|e| e.to_string())?;
        let run = executor::run_schedule(&server, system, &target.actions, &opts)
            .map_err(|e| format!("replay on {} failed: {e}", server.describe()))?;
        (run, server.describe())
    };
    if let Some(saved) = &target.saved {
        if let Some(n) = first_difference(saved, &run.model) {
            eprintln!(
                "warning: the model no longer does what the saved trace says from step {n} on; \
                 compared against the model's current run"
            );
        }
    }
    print!(
        "{}",
        side_by_side::render(&side_by_side(&run, &described, args.tick_ms))
    );
    Ok(if run.replies_match() && run.reproduced() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The row's first violated (property, fault model), checked in table order.
fn from_row(args: &ReplayArgs) -> Result<Target, String> {
    let row = args
        .row
        .as_deref()
        .ok_or("replay needs a ROW (e.g. lock/set-nx-ex-del) or --trace FILE.json")?;
    let faults = match &args.faults {
        Some(f) => crate::check::parse_faults(f)?,
        None => FaultModel::ALL.to_vec(),
    };
    let (scenarios, resolved) = catalogue::resolve(Some(row))?;
    let row = resolved.as_deref().unwrap_or(row);
    let jobs = catalogue::select(&scenarios, Some(row), args.property.as_deref(), &faults)?;
    let mut rows: Vec<String> = jobs.iter().map(job_row).collect();
    rows.dedup();
    if rows.len() > 1 {
        return Err(format!(
            "{row:?} matches {} rows ({}): replay takes one row",
            rows.len(),
            rows.join(", ")
        ));
    }
    if jobs.is_empty() {
        return Err(format!(
            "{row}: no property of this row applies under fault model {}",
            args.faults.as_deref().unwrap_or("all")
        ));
    }
    let limits = Limits {
        max_states: args.max_states,
        ..Limits::default()
    };
    let mut unknown = Vec::new();
    for job in &jobs {
        let system = on_cluster_if(job.system(args.clients), args);
        let result = checker::check(&system, limits, &mut |_| {});
        match (result.verdict, result.counterexample) {
            (Verdict::Violated, Some(trace)) => {
                let actions = trace.actions_for(&system)?;
                return Ok(Target {
                    system,
                    actions,
                    saved: None,
                });
            }
            (Verdict::Unknown, _) => unknown.push(format!(
                "{} under {}",
                system.property_def().name,
                system.faults
            )),
            _ => {}
        }
    }
    let what = match &args.property {
        Some(p) => format!("{p} holds"),
        None => "every property holds".into(),
    };
    let under = match &args.faults {
        Some(f) => format!("fault model {f}"),
        None => "every fault model".into(),
    };
    let unknown = if unknown.is_empty() {
        String::new()
    } else {
        format!(" (search stopped early for {})", unknown.join(", "))
    };
    Err(format!(
        "{}: {what} under {under}{unknown}: no counterexample to replay",
        rows[0]
    ))
}

fn job_row(job: &Job) -> String {
    format!(
        "{}/{}",
        job.scenario.name, job.scenario.variants[job.variant].name
    )
}

/// A saved trace: a JSON `Trace`, or a `check --format json` record or array of records.
fn from_file(path: &Path, args: &ReplayArgs) -> Result<Target, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown} is not JSON: {e}"))?;
    let trace = match json {
        serde_json::Value::Array(items) => {
            let mut candidates = Vec::new();
            for (n, item) in items.into_iter().enumerate() {
                let t = trace_of_json(item).map_err(|e| format!("{shown}: element {n}: {e}"))?;
                if let Some(t) = t {
                    candidates.push(t);
                }
            }
            candidates
                .into_iter()
                .find(|t| matches_filters(t, args))
                .ok_or_else(|| {
                    format!(
                        "{shown}: no element with a counterexample{}",
                        filters_text(args)
                    )
                })?
        }
        other => {
            let t = trace_of_json(other)
                .map_err(|e| format!("{shown}: {e}"))?
                .ok_or_else(|| {
                    format!(
                        "{shown}: the record has no counterexample (its verdict is not VIOLATED)"
                    )
                })?;
            if !matches_filters(&t, args) {
                return Err(format!(
                    "{shown} holds {} {} under {}, not{}",
                    t.row,
                    t.property,
                    t.faults,
                    filters_text(args)
                ));
            }
            t
        }
    };
    if !READABLE_TRACE_VERSIONS.contains(&trace.version) {
        return Err(format!(
            "{shown}: trace format version {} (this build reads versions 1 to {TRACE_FORMAT_VERSION})",
            trace.version
        ));
    }
    let faults: FaultModel = trace.faults.parse().map_err(|e| format!("{shown}: {e}"))?;
    let scenarios = catalogue::all();
    let jobs = catalogue::select(
        &scenarios,
        Some(&trace.row),
        Some(&trace.property),
        &[faults],
    )
    .map_err(|e| format!("{shown}: {e}"))?;
    let job = jobs
        .iter()
        .find(|j| job_row(j) == trace.row)
        .ok_or_else(|| {
            format!(
                "{shown}: {} has no property {} under fault model {}",
                trace.row, trace.property, trace.faults
            )
        })?;
    if trace.clients == 0 || trace.clients > 26 {
        return Err(format!(
            "{shown}: {} clients (expected 1 to 26)",
            trace.clients
        ));
    }
    let clients = args.clients.unwrap_or(trace.clients);
    let system = on_cluster_if(job.system(Some(clients)), args);
    let actions = trace
        .actions_for(&system)
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(Target {
        system,
        actions,
        saved: Some(trace),
    })
}

/// One JSON value as a trace: a `Trace`, or a `VerdictRecord` (`None` if it has no
/// counterexample).
fn trace_of_json(v: serde_json::Value) -> Result<Option<Trace>, String> {
    let is_record = v.get("counterexample").is_some() || v.get("verdict").is_some();
    if is_record {
        let r: VerdictRecord = serde_json::from_value(v)
            .map_err(|e| format!("not a `check --format json` record: {e}"))?;
        Ok(r.trace())
    } else {
        let t: Trace = serde_json::from_value(v).map_err(|e| format!("not a trace: {e}"))?;
        Ok(Some(t))
    }
}

fn matches_filters(t: &Trace, args: &ReplayArgs) -> bool {
    args.row
        .as_deref()
        .is_none_or(|r| catalogue::row_matches(r, &t.row))
        && args.property.as_deref().is_none_or(|p| p == t.property)
        && args
            .faults
            .as_deref()
            .is_none_or(|f| f == "all" || f == t.faults)
}

fn filters_text(args: &ReplayArgs) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &args.row {
        parts.push(format!("row {r}"));
    }
    if let Some(p) = &args.property {
        parts.push(format!("property {p}"));
    }
    if let Some(f) = &args.faults {
        parts.push(format!("fault model {f}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" for {}", parts.join(", "))
    }
}

/// The first step (1-based) where the saved trace and the model's run differ.
fn first_difference(saved: &Trace, model: &Trace) -> Option<usize> {
    let n = saved.steps.len().max(model.steps.len());
    (0..n)
        .find(|&i| match (saved.steps.get(i), model.steps.get(i)) {
            (Some(a), Some(b)) => !executor::same_step(a, b),
            _ => true,
        })
        .map(|i| i + 1)
}

/// The side-by-side table's input, in plain model types, from the live run.
fn side_by_side<'a>(run: &'a LiveRun, server: &'a str, tick_ms: u64) -> SideBySide<'a> {
    SideBySide {
        model: &run.model,
        steps: run
            .model
            .steps
            .iter()
            .zip(&run.live.steps)
            .map(|(model, live)| StepPair {
                model,
                live,
                same: executor::same_step(model, live),
            })
            .collect(),
        replies_match: run.replies_match(),
        mismatches: run.mismatches.iter().map(|m| m.to_string()).collect(),
        warnings: &run.warnings,
        live_keys: &run.live_keys,
        model_violation: run.model_violation.as_deref(),
        live_violation: run.live_violation.as_deref(),
        server,
        tick_ms: (tick_ms != executor::DEFAULT_TICK_MS).then_some(tick_ms),
    }
}
