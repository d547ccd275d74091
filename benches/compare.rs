//! The suite's checker beside a minimal hand-written model on the same state graph, in one
//! run (a bench binary that prints figures, not a timed test).
//!
//! Each measurement runs in a child process of this binary, so its peak memory (VmHWM) is its
//! own. Rows: `counter/watch-retry` for 2–5 clients (the minimal model checked with
//! stateright's single-threaded BFS, the suite's checker with 1 thread and without symmetry,
//! sleep sets on as `check` runs it (`model/src/checker/sleep.rs`: the same states, fewer
//! successors);
//! the unique-state counts must be equal), the same with 2 threads, and `lock/set-nx-ex-del`
//! under `pause` with 3 clients. Then "cost as work grows": states/s and bytes/state (what
//! the search added to resident memory: peak RSS minus RSS before it, per state) of both models side by side, and their ratio, on graphs of about 10^4
//! (c=4 r=0), 10^5 (c=5 r=0), 10^6 (c=5 r=2) and, with `--large`, 10^7 (c=6 r=1) states.
//!
//! Run: `cargo bench --bench compare` (`-- --quick`: skip the 770 k-state and larger graphs;
//! `-- --large`: add the 10^7-state graph; `-- --repeat N`: every comparison N times). Both
//! models run on the CLI's allocator (mimalloc). `cargo test` never runs this binary.

#[path = "support/minimal.rs"]
mod minimal;

use model::catalogue;
use model::checker::{self, Limits};
use model::faults::FaultModel;
use std::process::Command;
use std::time::Instant;

/// The CLI's allocator (src/main.rs), so that the figures are the CLI's; the minimal models
/// get it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A line of this process's `/proc/self/status` in KiB (`VmHWM:` peak, `VmRSS:` now).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Peak resident memory of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// One measurement's figures.
#[derive(Clone, Copy, Debug)]
struct Run {
    states: usize,
    secs: f64,
    kib: u64,
    /// CPU seconds: on a machine shared with other work, `cpu / secs` is the cores it got.
    cpu: f64,
    /// Resident memory before the search (the catalogue, the allocator's arenas), in KiB.
    base_kib: u64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.states as f64 / self.secs
    }
    /// States per CPU second: the rate with other work on the machine factored out.
    fn cpu_rate(&self) -> f64 {
        self.states as f64 / self.cpu
    }
    fn mib(&self) -> f64 {
        self.kib as f64 / 1024.0
    }
    /// What the search added to resident memory, per state (peak RSS minus RSS before it).
    fn bytes_per_state(&self) -> f64 {
        self.kib.saturating_sub(self.base_kib) as f64 * 1024.0 / self.states as f64
    }
}

/// Runs in the child: `kind clients retries threads`; prints `states secs kib`.
fn child(args: &[String]) {
    let kind = args[0].as_str();
    let clients: usize = args[1].parse().expect("clients");
    let retries: u16 = args[2].parse().expect("retries");
    let threads: usize = args[3].parse().expect("threads");
    let scenarios = catalogue::all();
    let base_kib = status_kib("VmRSS:");
    let started = Instant::now();
    let states = match kind {
        "min-counter" => {
            use stateright::{Checker, Model};
            let m = minimal::WatchRetry {
                clients,
                retries: retries as u8,
            };
            let c = m.checker().threads(1).spawn_bfs().join();
            assert!(c.discovery("no-lost-update").is_none());
            c.unique_state_count()
        }
        "min-lock" => {
            use stateright::{Checker, Model};
            let m = minimal::SetNxExDel {
                clients,
                retries: retries as u8,
                ticks: 2,
            };
            let c = m.checker().threads(1).spawn_bfs().join();
            c.unique_state_count()
        }
        "full-counter" | "full-lock" | "full-counter-all-steps" | "full-lock-all-steps" => {
            let (row, property, faults) = if kind.starts_with("full-counter") {
                ("counter/watch-retry", "no-lost-update", FaultModel::None)
            } else {
                ("lock/set-nx-ex-del", "no-lost-wakeup", FaultModel::Pause)
            };
            let jobs = catalogue::select(&scenarios, Some(row), Some(property), &[faults])
                .expect("row exists");
            let system = jobs[0].system(Some(clients)).with_retries(retries);
            let limits = Limits {
                symmetry: false,
                threads,
                // `…-all-steps`: the search without sleep sets, every enabled step taken.
                sleep_sets: !kind.ends_with("-all-steps"),
                ..Limits::default()
            };
            let r = checker::check(&system, limits, &mut |_| {});
            assert_eq!(r.verdict, checker::Verdict::Holds, "{row} holds");
            r.states
        }
        other => panic!("unknown measurement {other}"),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{states} {secs} {} {} {base_kib}",
        peak_rss_kib(),
        cpu_secs()
    );
}

fn measure(kind: &str, clients: usize, retries: u16, threads: usize) -> Run {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .args(["--child", kind])
        .args([clients, retries as usize, threads].map(|n| n.to_string()))
        .output()
        .expect("child runs");
    assert!(
        out.status.success(),
        "{kind} {clients} {retries} {threads}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    Run {
        states: f[0].parse().expect("states"),
        secs: f[1].parse().expect("secs"),
        kib: f[2].parse().expect("kib"),
        cpu: f[3].parse().expect("cpu"),
        base_kib: f[4].parse().expect("base kib"),
    }
}

fn compare(label: &str, min: &str, full: &str, clients: usize, retries: u16) {
    let m = measure(min, clients, retries, 1);
    let one = measure(full, clients, retries, 1);
    let two = measure(full, clients, retries, 2);
    let all = measure(&format!("{full}-all-steps"), clients, retries, 1);
    assert_eq!(m.states, one.states, "{label}: same graph");
    assert_eq!(one.states, two.states, "{label}: same graph on 2 threads");
    assert_eq!(
        one.states, all.states,
        "{label}: same graph without sleep sets"
    );
    println!(
        "{label:<34} {:>9} | min {:>6.2}s {:>9.0}/s {:>6.0} MiB | full 1t {:>6.2}s {:>9.0}/s {:>6.0} MiB | speed {:>4.2}x (per CPU s {:>4.2}x; without sleep sets {:>4.2}x) mem {:>4.2}x | 2t {:>6.2}s {:>9.0}/s scale {:>4.2}x (cores used min {:.2} 1t {:.2} 2t {:.2})",
        m.states,
        m.secs,
        m.rate(),
        m.mib(),
        one.secs,
        one.rate(),
        one.mib(),
        one.rate() / m.rate(),
        one.cpu_rate() / m.cpu_rate(),
        all.rate() / m.rate(),
        one.mib() / m.mib(),
        two.secs,
        two.rate(),
        one.secs / two.secs,
        m.cpu / m.secs,
        one.cpu / one.secs,
        two.cpu / two.secs,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        child(&args[at + 1..]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let large = args.iter().any(|a| a == "--large");
    let repeat: usize = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|at| args.get(at + 1)?.parse().ok())
        .unwrap_or(1);
    println!("same graph, no symmetry; min = hand model on stateright BFS (1 thread); full = redis-races checker");
    println!(
        "speed = full/min states/s (1 thread each; and the full search without sleep sets), mem = full/min peak RSS, scale = 1t/2t wall;"
    );
    println!("cores used = CPU s / wall s (below 1 or 2: the machine was busy with other work)");
    for _ in 0..repeat {
        compare(
            "counter/watch-retry c=2 r=1",
            "min-counter",
            "full-counter",
            2,
            1,
        );
        compare(
            "counter/watch-retry c=3 r=1",
            "min-counter",
            "full-counter",
            3,
            1,
        );
        compare(
            "counter/watch-retry c=4 r=2",
            "min-counter",
            "full-counter",
            4,
            2,
        );
        if !quick {
            compare(
                "counter/watch-retry c=5 r=2",
                "min-counter",
                "full-counter",
                5,
                2,
            );
        }
        compare(
            "lock/set-nx-ex-del pause c=3 r=1",
            "min-lock",
            "full-lock",
            3,
            1,
        );
        compare(
            "lock/set-nx-ex-del pause c=3 r=4",
            "min-lock",
            "full-lock",
            3,
            4,
        );
    }

    println!(
        "\ncost as work grows (counter/watch-retry, no symmetry, 1 thread each): min beside full"
    );
    // About 10^4, 10^5 and 10^6 states; 10^7 with --large.
    let mut sizes = vec![(4, 0), (5, 0)];
    if !quick {
        sizes.push((5, 2));
    }
    if large {
        sizes.push((6, 1));
    }
    for (clients, retries) in sizes {
        let m = measure("min-counter", clients, retries, 1);
        let f = measure("full-counter", clients, retries, 1);
        assert_eq!(m.states, f.states, "c={clients} r={retries}: same graph");
        println!(
            "c={clients} r={retries}: {:>10} states | min {:>9.0}/s ({:>9.0}/CPU s) {:>6.1} B/state | full {:>9.0}/s ({:>9.0}/CPU s) {:>6.1} B/state | full/min per CPU s {:>4.2}x, B/state {:>4.2}x",
            f.states,
            m.rate(),
            m.cpu_rate(),
            m.bytes_per_state(),
            f.rate(),
            f.cpu_rate(),
            f.bytes_per_state(),
            f.cpu_rate() / m.cpu_rate(),
            f.bytes_per_state() / m.bytes_per_state(),
        );
    }
}
