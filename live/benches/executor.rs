//! Executor throughput: schedule steps per second replayed on a live server, against
//! `redis-benchmark -t ping -P 1 -c 1 -n 20000 -q` on the same server (one client, one
//! request in flight: the round-trip bound any step-by-step replay is held to).
//!
//! `cargo bench -p redis-races-live --bench executor`. Uses the default server
//! (`ServerSpec::Auto`); set `REDIS_RACES_BENCH_SERVER` to a `--server` name to pick another.

use model::catalogue;
use model::faults::FaultModel;
use model::{Action, System};
use redis_races_live::executor::{run_schedule, ExecOptions};
use redis_races_live::{LiveServer, SafetyOptions, ServerSpec};
use std::process::Command;
use std::time::{Duration, Instant};

const ROW: &str = "counter/watch-retry";
const CLIENTS: usize = 8;
/// Replays of the schedule; at least this many and at least `MIN_TIME` of them.
const MIN_RUNS: usize = 50;
const MIN_TIME: Duration = Duration::from_secs(3);

/// A complete run of `system` (to a final state), interleaving clients pseudo-randomly
/// (xorshift, fixed seed) so WATCH conflicts and retries happen.
fn long_schedule(system: &System) -> Vec<Action> {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut w = system.initial();
    let mut actions = Vec::new();
    loop {
        let enabled = system.enabled(&w);
        if enabled.is_empty() {
            return actions;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let a = enabled[(seed % enabled.len() as u64) as usize];
        w = system.step(&w, a).0;
        actions.push(a);
    }
}

/// requests/s of PING_MBULK (and PING_INLINE) from redis-benchmark.
fn redis_benchmark(host: &str, port: u16) -> Result<(f64, f64), String> {
    let out = Command::new("redis-benchmark")
        .args(["-h", host, "-p", &port.to_string()])
        .args(["-t", "ping", "-P", "1", "-c", "1", "-n", "20000", "-q"])
        .output()
        .map_err(|e| format!("cannot run redis-benchmark: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "\n");
    let rps = |name: &str| -> Result<f64, String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(name))
            .filter_map(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .next_back()
            .ok_or_else(|| format!("no {name} line in redis-benchmark's output: {text:?}"))
    };
    Ok((rps("PING_MBULK:")?, rps("PING_INLINE:")?))
}

fn main() {
    let spec = match std::env::var("REDIS_RACES_BENCH_SERVER") {
        Ok(name) => ServerSpec::parse(&name).expect("REDIS_RACES_BENCH_SERVER"),
        Err(_) => ServerSpec::Auto,
    };
    let server = match LiveServer::start(&spec, &SafetyOptions::default()) {
        Ok(s) => s,
        Err(e) => return println!("executor bench skipped: {e}"),
    };
    let (host, port) = match server.connection_info().addr() {
        redis::ConnectionAddr::Tcp(h, p) => (h.clone(), *p),
        other => return println!("executor bench skipped: not a TCP server ({other:?})"),
    };
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(ROW), None, &[FaultModel::None]).unwrap();
    let system = jobs[0].system(Some(CLIENTS));
    let actions = long_schedule(&system);
    println!(
        "executor bench on {}: {ROW}, {CLIENTS} clients, a {}-step schedule",
        server.describe(),
        actions.len()
    );

    let opts = ExecOptions::default();
    // Warm-up (connections, the server's allocator, page cache).
    for _ in 0..5 {
        run_schedule(&server, &system, &actions, &opts).expect("replay");
    }
    let ping_before = redis_benchmark(&host, port);
    let started = Instant::now();
    let (mut runs, mut steps, mut in_steps) = (0usize, 0usize, Duration::ZERO);
    while runs < MIN_RUNS || started.elapsed() < MIN_TIME {
        let run = run_schedule(&server, &system, &actions, &opts).expect("replay");
        assert!(
            run.replies_match(),
            "live replies differ: {:?}",
            run.mismatches
        );
        runs += 1;
        steps += run.live.steps.len();
        in_steps += run.steps_elapsed;
    }
    let total = started.elapsed();
    let ping_after = redis_benchmark(&host, port);

    let whole = steps as f64 / total.as_secs_f64();
    let loop_only = steps as f64 / in_steps.as_secs_f64();
    println!(
        "  {runs} replays, {steps} steps in {:.2}s",
        total.as_secs_f64()
    );
    println!(
        "  executor: {whole:>9.0} steps/s end to end (connections, set-up, snapshot, FLUSHDB included)"
    );
    println!("  executor: {loop_only:>9.0} steps/s in the schedule loop");
    match (ping_before, ping_after) {
        (Ok((mb1, in1)), Ok((mb2, in2))) => {
            let ping = (mb1 + mb2) / 2.0;
            println!(
                "  redis-benchmark -t ping -P 1 -c 1 -n 20000: PING_MBULK {mb1:.0} / {mb2:.0} req/s (before / after), PING_INLINE {in1:.0} / {in2:.0}"
            );
            println!(
                "  ratio steps/s : ping req/s = {:.2} end to end, {:.2} in the schedule loop (aim >= 0.5)",
                whole / ping,
                loop_only / ping
            );
        }
        (Err(e), _) | (_, Err(e)) => println!("  redis-benchmark: {e}"),
    }
}
