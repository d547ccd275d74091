//! The conformance matrix on a fixed program list: every server against every profile. The
//! diagonal must be 0; the table's structure (which cells conform) is snapshotted.

use live::ServerSpec;
use model::Profile;
use properties::matrix::{programs, run_matrix, table, Cell, MATRIX_SEED};

/// Programs in the snapshotted matrix (fixed: the snapshot depends on it).
const MATRIX_CASES: usize = 24;

#[test]
fn matrix_diagonal_is_zero() {
    let progs = programs(MATRIX_CASES, MATRIX_SEED);
    let servers = [
        ("redis-6.0", Profile::Redis60),
        ("redis-7.0", Profile::Redis70),
        ("redis-8.0", Profile::Redis80),
        ("valkey-8.1", Profile::Valkey81),
    ];
    // The four servers run in parallel; their rows are joined in a fixed order.
    let rows: Vec<Option<Vec<Cell>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .map(|&(name, profile)| {
                let progs = &progs;
                scope.spawn(move || {
                    let server = live::require_server_for_tests(&ServerSpec::parse(name).unwrap())?;
                    let (cells, took) =
                        run_matrix(name, &server, progs, profile).expect("live run");
                    eprintln!(
                        "matrix {name}: {MATRIX_CASES} cases in {:.1}s ({:.1} cases/s)",
                        took.as_secs_f64(),
                        MATRIX_CASES as f64 / took.as_secs_f64()
                    );
                    Some(cells)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    if rows.iter().any(Option::is_none) {
        return; // skipped: REDIS_RACES_SKIP_LIVE=1 and a server is missing
    }
    let all: Vec<Cell> = rows.into_iter().flatten().flatten().collect();
    for c in &all {
        if let Some((p, d)) = &c.example {
            eprintln!(
                "--- {} vs {} ({} mismatches), e.g. {} steps:\n{d}",
                c.server,
                c.profile,
                c.mismatches,
                p.ops.len()
            );
        }
    }
    eprintln!("{}", table(&all));
    for c in &all {
        if c.server == c.profile {
            assert_eq!(
                c.mismatches, 0,
                "{} must conform to its own profile",
                c.server
            );
        }
    }
    let structure: String = all
        .iter()
        .map(|c| {
            format!(
                "{:<12} {:<12} {}\n",
                c.server,
                c.profile,
                if c.mismatches == 0 {
                    "conforms"
                } else {
                    "differs"
                }
            )
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../traces/snapshots/conformance");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("matrix", structure));
}
