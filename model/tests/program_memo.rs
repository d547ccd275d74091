//! The program runtime remembers runs (`model/src/program/memo.rs`): a program is run once per
//! distinct (client, clock reading, trail), and a search answered from memory is the same
//! search as one that runs the program.

use model::checker::{self, Limits};
use model::program::{sequential, Client, Flow};
use model::recipe::reply_int;
use model::reply::Reply;
use model::scenario::Scenario;
use model::{cmd, FaultModel, Params, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// WATCH/GET/MULTI/SET/EXEC, retried; counts its runs (its replies alone decide what it does).
fn counted(c: &mut Client) -> Flow {
    RUNS.fetch_add(1, Ordering::SeqCst);
    let tries = 1 + c.params().retries as usize;
    let done = c.attempts(tries, |c, _| {
        c.call(cmd!["WATCH", "counter"])?;
        let v = reply_int(&c.call(cmd!["GET", "counter"])?).unwrap_or(0);
        c.call(cmd!["MULTI"])?;
        c.call(cmd!["SET", "counter", v + 1])?;
        Ok(matches!(c.call(cmd!["EXEC"])?, Reply::Array(_)).then_some(()))
    })?;
    match done {
        Some(()) => c.committed(1),
        None => c.gave_up(),
    }
    Ok(())
}

fn system(clients: usize) -> System {
    let scenario = Arc::new(Scenario {
        name: "t",
        summary: "test",
        setup: vec![("counter".into(), "0".into())],
        subject: "counter",
        properties: vec![model::invariants::NO_LOST_UPDATE],
        variants: vec![model::Variant::new("v", "test", sequential(counted))],
        default_clients: clients,
        params: Params {
            retries: 2,
            ..Params::default()
        },
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    });
    System::new(scenario, 0, 0, FaultModel::None, None)
}

#[test]
fn a_program_runs_once_per_distinct_trail_and_a_search_from_memory_is_the_same_search() {
    let system = system(3);
    let limits = Limits {
        symmetry: false,
        threads: 1,
        ..Limits::default()
    };
    let before = RUNS.load(Ordering::SeqCst);
    let first = checker::check(&system, limits, &mut |_| {});
    let runs = RUNS.load(Ordering::SeqCst) - before;
    // Every state steps some client: re-running the program at each step would run it more
    // often than there are states; remembered, it runs once per distinct client state.
    assert!(runs > 0);
    assert!(
        runs < first.states / 4,
        "{runs} runs for {} states",
        first.states
    );
    // The same system again: every run is remembered, and the search is the same.
    let again = checker::check(&system, limits, &mut |_| {});
    assert_eq!(RUNS.load(Ordering::SeqCst) - before, runs, "no new run");
    assert_eq!(
        (first.verdict, first.states, first.depth),
        (again.verdict, again.states, again.depth)
    );
    // With symmetry and on two threads: the same verdict (the memo is shared by threads and
    // keyed by the client's identity, which symmetry renames).
    let sym = checker::check(
        &system,
        Limits {
            symmetry: true,
            threads: 2,
            ..Limits::default()
        },
        &mut |_| {},
    );
    assert_eq!(sym.verdict, first.verdict);
}
