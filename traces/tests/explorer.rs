//! The Explorer's model without a browser: labels, state views, URL fragments, and
//! stateright's own checker running it.

use model::catalogue;
use model::faults::FaultModel;
use model::system::{Action, System};
use stateright::{Checker, Model};
use std::sync::Arc;
use traces::explorer::{describe, fragment, label, Explore};

fn system(variant: &str, property: &str, faults: FaultModel) -> System {
    let s = Arc::new(catalogue::lock());
    let v = s.variant(variant).unwrap();
    let p = s.property(property).unwrap();
    System::new(s, v, p, faults, None)
}

#[test]
fn labels_and_views_speak_redis() {
    let sys = system("set-nx-ex-del", "owner-only-release", FaultModel::Pause);
    let w = sys.initial();
    let labels: Vec<String> = sys
        .enabled(&w)
        .into_iter()
        .map(|a| label(&sys, &w, a))
        .collect();
    assert_eq!(
        labels,
        [
            "A: SET lock:res A NX EX 1",
            "B: SET lock:res B NX EX 1",
            "C: SET lock:res C NX EX 1",
            "clock +1s (t=1s)"
        ]
    );
    let view = describe(&sys, &w);
    assert!(view.contains("owner-only-release: holds here"), "{view}");
    assert!(view.contains("keys:\n  (none)"), "{view}");
    assert!(
        view.contains("  A: next: SET lock:res A NX EX 1\n"),
        "{view}"
    );

    let cx = [
        Action::Step(0),
        Action::Tick,
        Action::Step(1),
        Action::Step(0),
    ];
    assert_eq!(fragment(&sys, &cx).as_deref(), Some("#/steps/0/0/3/1/0"));
    assert_eq!(fragment(&sys, &[Action::Step(7)]), None);
    let end = model::minimize::replay(&sys, &cx).unwrap();
    let view = describe(&sys, &end);
    assert!(
        view.contains("owner-only-release: VIOLATED: A removed B's lock (lock:res)"),
        "{view}"
    );
    assert!(
        view.contains("holds the lock until t=2s, in the critical section"),
        "{view}"
    );
}

#[test]
fn views_show_transactions_and_at_end_properties() {
    let sys = system("watch-release", "crashed-lock-frees", FaultModel::Crash);
    // A acquires, then WATCHes for its release.
    let w = model::minimize::replay(&sys, &[Action::Step(0), Action::Step(0)]).unwrap();
    let view = describe(&sys, &w);
    assert!(
        view.contains("server connections:\n  A/conn: WATCH lock:res\n"),
        "{view}"
    );
    assert!(
        view.contains("judged when the run ends (not yet)"),
        "{view}"
    );
    assert!(view.contains("crashes 0/1"), "{view}");
}

#[test]
fn stateright_finds_what_our_checker_finds_on_the_explorer_model() {
    let broken = Explore {
        system: system("set-nx-ex-del", "owner-only-release", FaultModel::Pause),
    };
    let checker = broken.checker().spawn_bfs().join();
    assert!(checker.discovery("owner-only-release").is_some());

    let safe = Explore {
        system: system("lua", "owner-only-release", FaultModel::Pause),
    };
    let checker = safe.checker().spawn_bfs().join();
    assert!(checker.is_done());
    assert!(checker.discovery("owner-only-release").is_none());
}
