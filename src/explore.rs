//! `redis-races explore`: stateright's Explorer for one (row, property, fault model), on
//! 127.0.0.1, with actions and states in Redis terms (see `traces::explorer`).

use crate::trace_cmd;
use clap::Args;
use model::checker::{self, Limits, Verdict};
use std::net::TcpListener;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub target: trace_cmd::RowArgs,
    /// Port on 127.0.0.1 (0: any free port; the URL is printed on stderr).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
}

pub fn run(args: ExploreArgs) -> Result<ExitCode, String> {
    let jobs = args.target.jobs()?;
    // The first violated (property, fault model), with its minimized counterexample.
    let mut chosen = None;
    for job in &jobs {
        let system = args.target.system(job);
        let result = checker::check(&system, Limits::default(), &mut |_| {});
        if result.verdict == Verdict::Violated {
            let cx = result
                .counterexample
                .expect("a violation has a counterexample");
            let actions = model::minimize::minimize(&system, &cx.actions_for(&system)?);
            chosen = Some((system, Some(actions)));
            break;
        }
    }
    let (system, counterexample) = chosen.unwrap_or_else(|| (args.target.system(&jobs[0]), None));

    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    drop(listener);

    let base = format!("http://127.0.0.1:{port}/");
    eprintln!(
        "Explorer for {}: {} under faults={} ({})",
        system.row(),
        system.property_def().name,
        system.faults,
        system.bounds
    );
    eprintln!("  {base}");
    match &counterexample {
        Some(actions) => {
            let fragment = traces::explorer::fragment(&system, actions)
                .ok_or("internal error: the counterexample does not replay")?;
            eprintln!(
                "  counterexample ({} steps, minimized): {base}{fragment}",
                actions.len()
            );
        }
        None => eprintln!(
            "  {} holds under faults={}: no counterexample",
            system.property_def().name,
            system.faults
        ),
    }
    eprintln!("  (Ctrl-C to stop)");
    traces::explorer::serve(system, ("127.0.0.1", port));
    Ok(ExitCode::SUCCESS)
}
