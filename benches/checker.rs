//! Checker figures (a bench binary, not a timed test): states/s of counter/watch-retry with 5
//! clients and 2 retries, and wall time and peak memory of the default catalogue.
//!
//! Run: `cargo bench --bench checker` (add `-- --quick` to skip the 5-client search, or
//! `-- --full` to also run the 5-client search without symmetry reduction: ~30 s, ~210 MB;
//! `benches/compare.rs` sets it beside a minimal hand model).

use model::catalogue;
use model::checker::{self, Limits};
use model::faults::FaultModel;
use std::time::Instant;

/// The CLI's allocator (src/main.rs), so that the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

    let full = std::env::args().any(|a| a == "--full");
    let jobs = catalogue::select(&scenarios, None, None, &FaultModel::ALL).expect("catalogue");
    for symmetry in [true, false] {
        let limits = Limits {
            symmetry,
            ..Limits::default()
        };
        let started = Instant::now();
        let mut states = 0;
        for job in &jobs {
            states += checker::check(&job.system(None), limits, &mut |_| {}).states;
        }
        let wall = started.elapsed().as_secs_f64();
        println!(
            "catalogue (symmetry {}): {} checks, {states} states, {wall:.2} s wall, {:.0} states/s, peak RSS {:.0} MiB",
            if symmetry { "on" } else { "off" },
            jobs.len(),
            states as f64 / wall,
            peak_rss_mib()
        );
    }

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
    let modes: &[bool] = if full { &[true, false] } else { &[true] };
    for &symmetry in modes {
        let limits = Limits {
            symmetry,
            ..Limits::default()
        };
        let started = Instant::now();
        let r = checker::check(&system, limits, &mut |_| {});
        let wall = started.elapsed().as_secs_f64();
        println!(
            "counter/watch-retry clients=5 retries=2 (symmetry {}): {:?}, {} states, depth {}, {wall:.1} s, {:.0} states/s, peak RSS {:.0} MiB",
            if symmetry { "on" } else { "off" },
            r.verdict,
            r.states,
            r.depth,
            r.states as f64 / wall,
            peak_rss_mib()
        );
    }
}
