//! Model ≡ live: random programs run on the model (each server's own profile) and on the real
//! server, step by step. A mismatch is shrunk by proptest, persisted under
//! `proptest-regressions/` (replayed on every later run) and its minimal trace written as an
//! insta snapshot under `traces/snapshots/conformance/`.

use live::ServerSpec;
use model::Profile;
use model::Server;
use properties::compare::{compare, describe};
use properties::gen_cluster::cluster_program;
use properties::gen_cluster3::cluster3_program;
use properties::gen_lex::lex_program;
use properties::matrix::MAX_STEPS;
use properties::program::program;
use properties::run::{run_model_on, LiveSession};
use properties::Program;
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestError, TestRunner};
use std::cell::{Cell, RefCell};
use std::time::Instant;

/// Cases per server unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 64;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn conforms(server: &str, profile: Profile, regressions: &'static str) {
    conforms_as(server, Server::new(profile), regressions);
}

/// Runs the programs on the live server `server` and on the model server `model` (fresh: its
/// profile and mode are what the live server must match).
fn conforms_as(server: &str, model: Server, regressions: &'static str) {
    let programs = if model.cluster {
        cluster_program(MAX_STEPS).boxed()
    } else {
        program(MAX_STEPS).boxed()
    };
    conforms_on(server, model, programs, cases(), regressions);
}

/// [`conforms_as`] with the programs and the number of cases given.
fn conforms_on(
    server: &str,
    model: Server,
    programs: BoxedStrategy<Program>,
    cases: u32,
    regressions: &'static str,
) {
    let profile = model.profile;
    let Some(live) = live::require_server_for_tests(&ServerSpec::parse(server).unwrap()) else {
        return;
    };
    let session = RefCell::new(LiveSession::new(&live).expect("a server of our own"));
    let mut config = Config::with_cases(cases);
    config.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(regressions)));
    config.max_shrink_iters = 300;
    let mut runner = TestRunner::new(config);
    let started = Instant::now();
    let runs = Cell::new(0u32);
    // The case that first failed (before shrinking): how long the generator took to find it.
    let first_failure = Cell::new(None::<u32>);
    let result = runner.run(&programs, |prog| {
        runs.set(runs.get() + 1);
        let live_run = session
            .borrow_mut()
            .run_guided(&prog, model.clone())
            .map_err(|e| TestCaseError::fail(format!("live run failed: {e}")))?;
        let model_run = run_model_on(&prog, model.clone());
        match compare(&prog, &model_run, &live_run) {
            None => Ok(()),
            Some(d) => Err(TestCaseError::fail({
                if first_failure.get().is_none() {
                    first_failure.set(Some(runs.get()));
                    eprintln!("conformance {server}: first failure at case {}", runs.get());
                }
                describe(&prog, &model_run, &live_run, &d)
            })),
        }
    });
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "conformance {server}: {} runs in {secs:.1}s ({:.1} cases/s)",
        runs.get(),
        runs.get() as f64 / secs
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, minimal)) => {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path("../../traces/snapshots/conformance");
            settings.set_prepend_module_to_snapshot(false);
            settings.bind(|| {
                insta::assert_snapshot!(format!("divergence-{server}"), why.to_string());
            });
            panic!("{server} departs from profile {profile}: minimal program {minimal:?}\n{why}");
        }
        Err(e) => panic!("{server}: {e}"),
    }
}

#[test]
fn redis_6_0_conforms_to_its_profile() {
    conforms(
        "redis-6.0",
        Profile::Redis60,
        "proptest-regressions/conformance-redis-6.0.txt",
    );
}

#[test]
fn redis_7_0_conforms_to_its_profile() {
    conforms(
        "redis-7.0",
        Profile::Redis70,
        "proptest-regressions/conformance-redis-7.0.txt",
    );
}

#[test]
fn redis_8_0_conforms_to_its_profile() {
    conforms(
        "redis-8.0",
        Profile::Redis80,
        "proptest-regressions/conformance-redis-8.0.txt",
    );
}

#[test]
fn valkey_8_1_conforms_to_its_profile() {
    conforms(
        "valkey-8.1",
        Profile::Valkey81,
        "proptest-regressions/conformance-valkey-8.1.txt",
    );
}

/// A one-node Redis 7.0 cluster (every slot its own) against the model's cluster mode, with
/// the cluster programs (`properties::gen_cluster`): keys in five slots (`k1`, `k2`, `k3`,
/// `q1`, `q2`), `{k1}k2` sharing `k1`'s, transactions and scripts across them.
#[test]
fn redis_7_0_cluster_conforms_to_cluster_mode() {
    conforms_as(
        "cluster",
        Server::new(Profile::Redis70).on_cluster(),
        "proptest-regressions/conformance-cluster.txt",
    );
}

/// A real three-master Redis 7.0 cluster (`cluster3`: slots 0-5460, 5461-10922, 10923-16383)
/// against the same cluster mode, each command routed to the master of its keys
/// (`live::route`), with the cluster programs a cluster client can route
/// (`properties::gen_cluster3`): the keys live on all three masters (`k2`, `k3` on 0, `q1` on
/// 1, `k1`, `{k1}k2`, `q2` on 2), so CROSSSLOT meets commands and EXECs on every master.
#[test]
fn redis_7_0_cluster3_conforms_to_cluster_mode() {
    conforms_on(
        "cluster3",
        Server::new(Profile::Redis70).on_cluster(),
        cluster3_program(MAX_STEPS).boxed(),
        cases(),
        "proptest-regressions/conformance-cluster3.txt",
    );
}

/// Lex ranges (`properties::gen_lex`) on every server against its own profile: fewer cases,
/// since the usual programs already cover everything else.
#[test]
fn lex_ranges_conform_on_every_server() {
    let servers = [
        (
            "redis-6.0",
            Profile::Redis60,
            "proptest-regressions/lex-redis-6.0.txt",
        ),
        (
            "redis-7.0",
            Profile::Redis70,
            "proptest-regressions/lex-redis-7.0.txt",
        ),
        (
            "redis-8.0",
            Profile::Redis80,
            "proptest-regressions/lex-redis-8.0.txt",
        ),
        (
            "valkey-8.1",
            Profile::Valkey81,
            "proptest-regressions/lex-valkey-8.1.txt",
        ),
    ];
    for (server, profile, regressions) in servers {
        let cases = cases() * 2;
        conforms_on(
            server,
            Server::new(profile),
            lex_program().boxed(),
            cases,
            regressions,
        );
    }
}
