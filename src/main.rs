//! `redis-races`: model-check Redis concurrency recipes and replay counterexamples on real
//! servers.

mod check;
mod cli_error;
mod conformance;
mod explore;
mod replay;
mod trace_cmd;

use clap::{Parser, Subcommand, ValueEnum};

/// The search clones and drops small values (worlds, replies, commands) at a high rate; mimalloc
/// serves them in a fraction of the system allocator's instructions (README, "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "redis-races",
    version,
    about = "Proves which Redis concurrency recipes are safe, and shows how the others break",
    long_about = "Model-checks every recipe of the catalogue (GET/SET counters, WATCH/MULTI/EXEC, \
                  Lua scripts, SET NX locks, ...) against a faithful model of one Redis server, under a \
                  fault model (none, crash, pause), and prints a verdict per (row, property, fault model) \
                  with the shortest counterexample."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Model-check rows of the catalogue and print the verdict table.
    #[command(after_help = check::EXIT_CODES)]
    Check(check::CheckArgs),
    /// Print one counterexample of a row (minimized): steps, swimlane, Mermaid or JSON.
    Trace(trace_cmd::TraceArgs),
    /// Serve stateright's Explorer for a row on 127.0.0.1, in Redis terms.
    Explore(explore::ExploreArgs),
    /// Replay a counterexample on a real server and compare it with the model, step by step.
    Replay(replay::ReplayArgs),
    /// Run random programs on real servers and on the model under every version profile.
    Conformance(conformance::ConformanceArgs),
}

/// Output format of `check`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// A recipe that breaks its contract (not deterministic, a Lua error at run time) stops the
/// check wherever it is found: one line, exit 2, before any verdict is printed.
fn install_recipe_error_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(e) = info.payload().downcast_ref::<model::program::RecipeError>() {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    install_recipe_error_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli_error::exit_for(e),
    };
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Trace(args) => trace_cmd::run(args),
        Command::Explore(args) => explore::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Conformance(args) => conformance::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
