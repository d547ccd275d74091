//! `redis-races conformance`: random programs on real servers and on the model under every
//! version profile, side by side: the matrix server × profile with cases and mismatches.

use crate::Format;
use clap::Args;
use live::{LiveServer, SafetyOptions, ServerSpec};
use model::Profile;
use properties::matrix::{
    cluster_programs, programs, run_cluster_cell, run_matrix, table, Cell, CLUSTER_PROFILE,
    MATRIX_SEED,
};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ConformanceArgs {
    /// Servers to run (repeatable): redis-6.0, redis-7.0, redis-8.0, valkey-8.1, process,
    /// cluster, cluster3, or a redis:// URL of a server of its own. All four images when
    /// omitted. A cluster runs the cluster programs against the model's cluster mode.
    #[arg(long = "server")]
    pub servers: Vec<String>,
    /// Programs per server (the same fixed list on every server).
    #[arg(long, default_value_t = 64)]
    pub cases: usize,
    /// Output format: the table, or a JSON list of {server, profile, cases, mismatches,
    /// commands} (commands: how many times each command was sent).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print the shortest diverging program of each cell with mismatches (to stderr).
    #[arg(long)]
    pub verbose: bool,
}

/// The profile a server is expected to match: by its name, else by its reported version.
fn own_profile(name: &str, server: &LiveServer) -> Option<Profile> {
    if let Ok(p) = name.parse::<Profile>() {
        return Some(p);
    }
    let v = server.version();
    if server.describe().contains("alkey") {
        return v.starts_with("8.").then_some(Profile::Valkey81);
    }
    match v.split('.').next() {
        Some("6") => Some(Profile::Redis60),
        Some("7") => Some(Profile::Redis70),
        Some("8") => Some(Profile::Redis80),
        _ => None,
    }
}

pub fn run(args: ConformanceArgs) -> Result<ExitCode, String> {
    if args.cases == 0 {
        return Err("--cases must be at least 1".into());
    }
    let names: Vec<String> = if args.servers.is_empty() {
        Profile::ALL.iter().map(|p| p.name().to_string()).collect()
    } else {
        args.servers.clone()
    };
    let progs = programs(args.cases, MATRIX_SEED);
    let mut cells: Vec<Cell> = Vec::new();
    let mut diagonal_ok = true;
    for name in &names {
        let spec = ServerSpec::parse(name).map_err(|e| e.to_string())?;
        let server = LiveServer::start(&spec, &SafetyOptions::default())
            .map_err(|e| format!("{name}: {e}"))?;
        let own = own_profile(name, &server);
        let cluster_progs;
        let (progs, (row, took)) = if server.is_cluster() {
            cluster_progs = cluster_programs(args.cases, MATRIX_SEED, server.masters());
            let (cell, took) = run_cluster_cell(name, &server, &cluster_progs)
                .map_err(|e| format!("{name}: {e}"))?;
            (&cluster_progs, (vec![cell], took))
        } else {
            let run = run_matrix(name, &server, &progs, own.unwrap_or_default())
                .map_err(|e| format!("{name}: {e}"))?;
            (&progs, run)
        };
        eprintln!(
            "{name}: {} cases in {:.1}s ({:.2} cases/s) on {}",
            progs.len(),
            took.as_secs_f64(),
            progs.len() as f64 / took.as_secs_f64(),
            server.describe()
        );
        if let Some(c) = row.first() {
            let (new, all) = properties::matrix::new_command_share(&c.commands);
            eprintln!(
                "{name}: {new} of {all} sends ({:.0}%) are hash, sorted-set, multi-key, keyspace-walking, list or pub/sub commands",
                100.0 * new as f64 / all.max(1) as f64
            );
        }
        for c in &row {
            let diagonal =
                own.is_some_and(|p| p.name() == c.profile) || c.profile == CLUSTER_PROFILE;
            if diagonal && c.mismatches > 0 {
                diagonal_ok = false;
            }
            if let (true, Some((p, d))) = (args.verbose || diagonal, &c.example) {
                eprintln!(
                    "{} vs profile {}: {} mismatching case(s); shortest ({} steps):\n{d}",
                    c.server,
                    c.profile,
                    c.mismatches,
                    p.ops.len()
                );
            }
        }
        cells.extend(row);
    }
    match args.format {
        Format::Table => print!("{}", table(&cells)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&cells).map_err(|e| e.to_string())?
        ),
    }
    Ok(if diagonal_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
