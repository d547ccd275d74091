//! The conformance matrix: a fixed list of programs run on one live server, each live run
//! compared with the model under every profile.

use crate::compare::{compare, Divergence};
use crate::program::{program, Program};
use crate::run::{run_model, run_model_on, LiveSession};
use live::{LiveError, LiveServer};
use model::{Profile, Server};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The seed of the matrix's program list (fixed, so the table is reproducible).
pub const MATRIX_SEED: [u8; 32] = *b"redis-races conformance matrix!!";
/// The longest generated program.
pub const MAX_STEPS: usize = 40;

/// One cell: `server` run against the model with `profile`.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    pub server: String,
    pub profile: String,
    pub cases: usize,
    pub mismatches: usize,
    /// How many times each command was sent in the server's programs (upper-case names;
    /// `script:NAME` for a `redis.call`/`redis.pcall` of NAME in an EVAL/EVALSHA body).
    pub commands: BTreeMap<String, usize>,
    /// The first mismatching case (shortest program among them), if any.
    #[serde(skip)]
    pub example: Option<(Program, Divergence)>,
}

/// `cases` programs generated from `seed`, in order.
pub fn programs(cases: usize, seed: [u8; 32]) -> Vec<Program> {
    sample(program(MAX_STEPS), cases, seed)
}

/// `cases` cluster programs from `seed`: those of `properties::gen_cluster3` for a cluster of
/// several masters, else `properties::gen_cluster`'s.
pub fn cluster_programs(cases: usize, seed: [u8; 32], masters: usize) -> Vec<Program> {
    if masters > 1 {
        sample(
            crate::gen_cluster3::cluster3_program(MAX_STEPS),
            cases,
            seed,
        )
    } else {
        sample(crate::gen_cluster::cluster_program(MAX_STEPS), cases, seed)
    }
}

fn sample(strategy: impl Strategy<Value = Program>, cases: usize, seed: [u8; 32]) -> Vec<Program> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..cases)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("program strategy never rejects")
                .current()
        })
        .collect()
}

/// Runs `programs` on `live` once each and compares every run with every profile's model.
/// Returns one cell per profile (in [`Profile::ALL`] order) and the live time spent.
pub fn run_matrix(
    server_name: &str,
    live: &LiveServer,
    programs: &[Program],
    guide: Profile,
) -> Result<(Vec<Cell>, Duration), LiveError> {
    let mut session = LiveSession::new(live)?;
    let mut cells: Vec<Cell> = Profile::ALL
        .iter()
        .map(|p| Cell {
            server: server_name.to_string(),
            profile: p.name().to_string(),
            cases: 0,
            mismatches: 0,
            commands: command_counts(programs),
            example: None,
        })
        .collect();
    let started = Instant::now();
    for prog in programs {
        let live_run = session.run(prog, guide)?;
        for (cell, profile) in cells.iter_mut().zip(Profile::ALL) {
            cell.cases += 1;
            let model_run = run_model(prog, profile);
            if let Some(d) = compare(prog, &model_run, &live_run) {
                cell.mismatches += 1;
                let shorter = cell
                    .example
                    .as_ref()
                    .is_none_or(|(p, _)| prog.ops.len() < p.ops.len());
                if shorter {
                    cell.example = Some((prog.clone(), d));
                }
            }
        }
    }
    Ok((cells, started.elapsed()))
}

/// The name of the cluster-mode profile's cell (Redis 7.0's slot rules, `--cluster`).
pub const CLUSTER_PROFILE: &str = "redis-7.0 cluster";

/// Runs `programs` on a live cluster (`cluster`, `cluster3`) and compares each run with the
/// model's cluster mode on Redis 7.0: one cell, [`CLUSTER_PROFILE`], and the live time spent.
pub fn run_cluster_cell(
    server_name: &str,
    live: &LiveServer,
    programs: &[Program],
) -> Result<(Cell, Duration), LiveError> {
    let mut session = LiveSession::new(live)?;
    let model = Server::new(Profile::Redis70).on_cluster();
    let mut cell = Cell {
        server: server_name.to_string(),
        profile: CLUSTER_PROFILE.to_string(),
        cases: 0,
        mismatches: 0,
        commands: command_counts(programs),
        example: None,
    };
    let started = Instant::now();
    for prog in programs {
        let live_run = session.run_guided(prog, model.clone())?;
        cell.cases += 1;
        if let Some(d) = compare(prog, &run_model_on(prog, model.clone()), &live_run) {
            cell.mismatches += 1;
            if cell
                .example
                .as_ref()
                .is_none_or(|(p, _)| prog.ops.len() < p.ops.len())
            {
                cell.example = Some((prog.clone(), d));
            }
        }
    }
    Ok((cell, started.elapsed()))
}

/// How many times each command is sent in `programs` (see [`Cell::commands`]).
pub fn command_counts(programs: &[Program]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in programs {
        for op in &p.ops {
            let crate::program::Op::Send { command, .. } = op else {
                continue;
            };
            let name = command[0].to_ascii_uppercase();
            let body = match name.as_str() {
                "EVAL" => command.get(1).cloned(),
                "EVALSHA" => command
                    .get(1)
                    .and_then(|sha| crate::program::script_body(sha)),
                _ => None,
            };
            for called in body.iter().flat_map(|b| script_calls(b)) {
                *counts.entry(format!("script:{called}")).or_insert(0) += 1;
            }
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    counts
}

/// The commands a script body calls (`redis.call('GET', …)` → GET).
fn script_calls(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in body.split("redis.").skip(1) {
        let rest = part
            .strip_prefix("call(")
            .or_else(|| part.strip_prefix("pcall("));
        if let Some(name) = rest
            .and_then(|r| r.strip_prefix('\''))
            .and_then(|r| r.split('\'').next())
        {
            out.push(name.to_ascii_uppercase());
        }
    }
    out
}

/// The share of sends in `counts` that are one of `gen_types`'s commands, at top level or
/// from a script.
pub fn new_command_share(counts: &BTreeMap<String, usize>) -> (usize, usize) {
    let top: usize = counts
        .iter()
        .filter(|(k, _)| !k.starts_with("script:"))
        .map(|(_, n)| n)
        .sum();
    let new: usize = counts
        .iter()
        .filter(|(k, _)| !k.starts_with("script:") && crate::gen_types::is_type_command(k))
        .map(|(_, n)| n)
        .sum();
    (new, top)
}

/// The matrix as a table: one row per (server, profile).
pub fn table(cells: &[Cell]) -> String {
    // 12 wide, or as wide as the longest profile (the cluster cell's).
    let w = cells
        .iter()
        .map(|c| c.profile.len())
        .max()
        .unwrap_or(0)
        .max(12);
    let mut out = format!(
        "{:<12} {:<w$} {:>6} {:>10}\n",
        "SERVER", "PROFILE", "CASES", "MISMATCHES"
    );
    for c in cells {
        out.push_str(&format!(
            "{:<12} {:<w$} {:>6} {:>10}\n",
            c.server, c.profile, c.cases, c.mismatches
        ));
    }
    out
}
