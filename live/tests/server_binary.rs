//! Without a host `redis-server`, the process backend unpacks the image's: once per image
//! id, under a lock when several callers race, and the launcher it writes runs a real
//! server through the image's own loader and libraries.
//!
//! These tests unpack into a scratch cache directory, so they exercise the unpacking even
//! on a machine whose host has `redis-server` (and never touch the shared cache).

use std::path::PathBuf;

use redis_races_live::provision::{unpack_server, Provisioned, SERVER_IMAGE};
use redis_races_live::{live_tests_skipped, require_server_for_tests, ServerSpec};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("redis-races-unpack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn unpacks_once_and_the_launcher_runs_a_real_server() {
    let root = scratch("once");
    // Four callers at once (as test threads and binaries start under `cargo test`): one
    // unpacks, the others wait on the lock and reuse its result.
    let results: Vec<_> = (0..4)
        .map(|_| {
            let root = root.clone();
            std::thread::spawn(move || unpack_server(SERVER_IMAGE, &root))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let results: Vec<(PathBuf, Provisioned)> = match results.into_iter().collect() {
        Ok(r) => r,
        Err(e) if live_tests_skipped() => {
            eprintln!("SKIPPED (REDIS_RACES_SKIP_LIVE=1): {e}");
            return;
        }
        Err(e) => panic!("could not unpack {SERVER_IMAGE}'s redis-server: {e}"),
    };
    let built = results
        .iter()
        .filter(|(_, p)| *p == Provisioned::Built)
        .count();
    assert_eq!(built, 1, "{results:?}");
    let launcher = results[0].0.clone();
    assert!(results.iter().all(|(l, _)| *l == launcher), "{results:?}");
    assert!(launcher.starts_with(&root), "{}", launcher.display());
    // Idempotent: found again without unpacking.
    let (again, how) = unpack_server(SERVER_IMAGE, &root).unwrap();
    assert_eq!((again, how), (launcher.clone(), Provisioned::Present));
    // The launcher must not lean on the host's libraries.
    let script = std::fs::read_to_string(&launcher).unwrap();
    assert!(script.contains("--library-path"), "{script}");
    assert!(!script.contains("\"/lib"), "{script}");

    let server = require_server_for_tests(&ServerSpec::Process {
        binary: launcher.clone(),
    })
    .expect("started");
    assert_eq!(server.backend(), "process");
    assert_eq!(server.version(), "7.0.15", "{}", server.describe());
    let mut con = server.connect().unwrap();
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let pid = server.pid().unwrap();
    let info: String = redis::cmd("INFO").arg("server").query(&mut con).unwrap();
    assert!(
        info.contains(&format!("process_id:{pid}\r")),
        "the launcher execs, so the server is our child {pid}: {info}"
    );
    drop(con);
    drop(server);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z ")),
        "server {pid} survived drop"
    );
    let _ = std::fs::remove_dir_all(&root);
}
