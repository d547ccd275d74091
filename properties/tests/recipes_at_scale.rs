//! The catalogue's rows (fault model `none`) with 5–10 clients on random schedules: a row the
//! checker proves safe never breaks its property, on the model or on a live Redis 7.0; a row
//! it finds violated is caught by the random schedules on both sides. Scenarios with roles
//! (their client counts are fixed) are left out.

use live::{run_schedule, ExecOptions, ServerSpec};
use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel;
use model::Action;
use properties::scale::{choices, model_violation, schedule};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Schedules per row unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: usize = 64;
/// Of those, how many also run live (per row).
const LIVE_CASES: usize = 3;

fn cases() -> usize {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

#[test]
fn safe_rows_hold_and_naive_rows_are_caught_at_scale() {
    let Some(server) = live::require_server_for_tests(&ServerSpec::parse("redis-7.0").unwrap())
    else {
        return;
    };
    let jobs = catalogue::select(&catalogue::all(), None, None, &[FaultModel::None]).unwrap();
    let mut failures = Vec::new();
    let mut live_runs = 0;
    for job in &jobs {
        // A scenario with roles fixes how many clients run each role: it has no larger size
        // to scale to, and its checks are exhaustive at its own (live: replay_catalogue).
        if job.scenario.roles.len() > 1 {
            continue;
        }
        let small = job.system(None);
        let expected = checker::check(&small, Limits::default(), &mut |_| {}).verdict;
        if expected == Verdict::Unknown {
            continue;
        }
        let row = format!("{} {}", small.row(), small.property_def().name);
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        let mut caught = 0;
        let mut live_caught = 0;
        let mut live_done = 0;
        for _ in 0..cases() {
            let (clients, picks) = choices().new_tree(&mut runner).unwrap().current();
            let system = job.system(Some(clients));
            let actions = schedule(&system, &picks);
            let violation = model_violation(&system, &actions);
            if expected == Verdict::Holds {
                if let Some(why) = &violation {
                    failures.push(format!(
                        "{row}: safe row broken with {clients} clients: {why}"
                    ));
                }
            } else if violation.is_some() {
                caught += 1;
            }
            // Live: the first schedules of a safe row, the first violating ones of a naive row.
            // A tick is a real second live: a safe row runs only tickless schedules live, a
            // naive row at most one violating schedule with ticks.
            let ticks = actions.iter().filter(|a| **a == Action::Tick).count();
            let run_live = match (expected == Verdict::Holds, ticks > 0) {
                (true, true) => false,
                (true, false) => live_done < LIVE_CASES,
                (false, true) => violation.is_some() && live_done < 1,
                (false, false) => violation.is_some() && live_done < LIVE_CASES,
            };
            if run_live {
                live_done += 1;
                live_runs += 1;
                let run = run_schedule(&server, &system, &actions, &ExecOptions::default())
                    .unwrap_or_else(|e| panic!("{row}: live run failed: {e}"));
                if !run.replies_match() {
                    failures.push(format!(
                        "{row}: live replies differ from the model's at step {}",
                        run.mismatches.first().map_or(0, |m| m.step + 1)
                    ));
                }
                if expected == Verdict::Holds && run.live_violation.is_some() {
                    failures.push(format!(
                        "{row}: safe row broken live: {:?}",
                        run.live_violation
                    ));
                }
                if run.reproduced() {
                    live_caught += 1;
                }
            }
        }
        if expected == Verdict::Violated {
            eprintln!(
                "{row}: caught in {caught}/{} model runs, {live_caught}/{live_done} live",
                cases()
            );
            // The random schedules tick only when no client can step, so a violation that
            // needs the clock to move between two of a client's commands (a key expiring
            // between GET and EXPIREAT) is out of their reach: its shortest counterexample
            // says so, and replay_catalogue replays it live instead.
            let needs_mid_run_tick = || {
                let r = checker::check(&small, Limits::default(), &mut |_| {});
                r.counterexample.is_some_and(|t| {
                    t.steps
                        .iter()
                        .skip_while(|s| s.kind != model::StepKind::Tick)
                        .any(|s| s.kind == model::StepKind::Command)
                })
            };
            if caught == 0 && needs_mid_run_tick() {
                eprintln!("{row}: NOT CAUGHT AT SCALE: its violation needs a tick mid-run");
            } else if caught == 0 {
                failures.push(format!(
                    "{row}: naive row not caught in {} random schedules",
                    cases()
                ));
            } else if live_caught == 0 {
                failures.push(format!("{row}: violation not reproduced live"));
            }
        }
    }
    eprintln!("{} rows, {live_runs} live runs", jobs.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
