//! `redis-races replay --faults failover|restart` on the process backend starts a fleet and
//! reproduces the violation (exit 0); a one-server backend refuses in one line (exit 2).

use std::process::Command;

fn replay(args: &[&str], redis_url: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-races"));
    cmd.arg("replay").args(args).env_remove("REDIS_URL");
    if let Some(url) = redis_url {
        cmd.env("REDIS_URL", url);
    }
    let out = cmd.output().expect("running redis-races");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn failover_and_restart_replay_on_a_process_fleet() {
    for (row, faults) in [
        ("lock/set-nx-ex-del", "failover"),
        ("redlock/redis-io", "restart"),
    ] {
        let (code, out, err) = replay(&[row, "--faults", faults, "--server", "process"], None);
        assert_eq!(code, 0, "{row} {faults}: {out}\n{err}");
        assert!(out.contains("violation reproduced on fleet of"), "{out}");
        assert!(!out.contains('✗'), "{out}");
    }
}

#[test]
fn a_one_server_backend_refuses_a_fleet_in_one_line() {
    let (code, out, err) = replay(
        &["lock/lua", "--faults", "failover"],
        Some("redis://127.0.0.1:1/"),
    );
    assert_eq!(code, 2, "{out}\n{err}");
    let error: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{err}");
    assert!(error[0].contains("--server process"), "{err}");
}
