//! Checker figures (a bench binary, not a timed test): states/s of counter/watch-retry with 5
//! clients and 2 retries, and wall time and peak memory of the default catalogue.
//!
//! Run: `cargo bench --bench checker` (add `-- --quick` to skip the 5-client search).

use model::catalogue;
use model::checker::{self, Limits};
use model::faults::FaultModel;
use std::time::Instant;

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scenarios = catalogue::all();

    let jobs = catalogue::select(&scenarios, None, None, &FaultModel::ALL).expect("catalogue");
    let started = Instant::now();
    let mut states = 0;
    for job in &jobs {
        states += checker::check(&job.system(None), Limits::default(), &mut |_| {}).states;
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "catalogue: {} checks, {states} states, {wall:.2} s wall, {:.0} states/s, peak RSS {:.0} MiB",
        jobs.len(),
        states as f64 / wall,
        peak_rss_mib()
    );

    if quick {
        return;
    }
    let job = &catalogue::select(
        &scenarios,
        Some("counter/watch-retry"),
        None,
        &[FaultModel::None],
    )
    .expect("row exists")[0];
    let system = job.system(Some(5)).with_retries(2);
    let started = Instant::now();
    let r = checker::check(&system, Limits::default(), &mut |_| {});
    let wall = started.elapsed().as_secs_f64();
    println!(
        "counter/watch-retry clients=5 retries=2: {:?}, {} states, depth {}, {wall:.1} s, {:.0} states/s, peak RSS {:.0} MiB",
        r.verdict,
        r.states,
        r.depth,
        r.states as f64 / wall,
        peak_rss_mib()
    );
}
