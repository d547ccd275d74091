//! Start-up time of each backend, from `LiveServer::start` to its return
//! (i.e. until the server answers PING), and the time to drop it again.
//!
//! `cargo bench -p redis-races-live --bench startup`. Backends that are not
//! available here are reported as skipped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use redis_races_live::{image_exists, LiveError, LiveServer, SafetyOptions, ServerSpec, IMAGES};

const RUNS: usize = 5;

fn opts() -> SafetyOptions {
    SafetyOptions {
        allow_flush: false,
        db: None,
    }
}

/// Times `RUNS` start/drop cycles of `spec`.
fn measure(label: &str, spec: &ServerSpec) {
    let mut starts = Vec::with_capacity(RUNS);
    let mut drops = Vec::with_capacity(RUNS);
    let mut described = String::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let server = match LiveServer::start(spec, &opts()) {
            Ok(s) => s,
            Err(e) => return println!("{label:<28} skipped: {e}"),
        };
        starts.push(t.elapsed());
        described = server.describe();
        let t = Instant::now();
        drop(server);
        drops.push(t.elapsed());
    }
    println!(
        "{label:<28} start median {:>7.1} ms  max {:>7.1} ms | drop median {:>6.1} ms  max {:>6.1} ms | {described}",
        ms(median(&mut starts)),
        ms(*starts.iter().max().unwrap()),
        ms(median(&mut drops)),
        ms(*drops.iter().max().unwrap()),
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument, if any, selects backends.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |label: &str| filter.as_deref().is_none_or(|f| label.contains(f));
    println!("backend start-up, {RUNS} runs each (start = until PING answers)");

    let process = ServerSpec::Process {
        binary: PathBuf::from("redis-server"),
    };
    if wanted("process") {
        measure("process", &process);
    }

    for (name, image) in IMAGES {
        let label = format!("container {name}");
        if !wanted(&label) {
            continue;
        }
        match image_exists(image) {
            Ok(true) => measure(
                &label,
                &ServerSpec::Container {
                    image: image.to_string(),
                },
            ),
            Ok(false) => println!(
                "{label:<28} skipped: {}",
                LiveError::ImageMissing {
                    image: image.to_string()
                }
            ),
            Err(e) => println!("{label:<28} skipped: {e}"),
        }
    }

    if wanted("external") {
        match LiveServer::start(&process, &opts()) {
            Ok(host) => {
                let url = match host.connection_info().addr() {
                    redis::ConnectionAddr::Tcp(h, p) => format!("redis://{h}:{p}"),
                    other => unreachable!("process backend listens on TCP, got {other}"),
                };
                measure("external (against process)", &ServerSpec::External { url });
            }
            Err(e) => println!("{:<28} skipped: {e}", "external (against process)"),
        }
    }
}
