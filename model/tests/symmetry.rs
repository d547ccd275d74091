//! Symmetry reduction never changes a verdict: with and without it, every check of the
//! catalogue gives the same verdict and a counterexample of the same length, and the reduced
//! search's counterexample is a real run of the real (unrenamed) system.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel;
use model::symmetry::canonicalize;

#[test]
fn verdicts_and_counterexample_lengths_agree_with_and_without_symmetry() {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, None, None, &FaultModel::ALL).unwrap();
    let (mut reduced_states, mut full_states) = (0, 0);
    for job in &jobs {
        let system = job.system(None);
        let on = checker::check(&system, Limits::default(), &mut |_| {});
        let off = checker::check(
            &system,
            Limits {
                symmetry: false,
                ..Limits::default()
            },
            &mut |_| {},
        );
        let label = format!(
            "{} {} {}",
            system.row(),
            system.property_def().name,
            system.faults
        );
        assert_eq!(on.verdict, off.verdict, "{label}");
        assert_ne!(on.verdict, Verdict::Unknown, "{label}");
        assert!(on.states <= off.states, "{label}");
        reduced_states += on.states;
        full_states += off.states;
        if let (Some(a), Some(b)) = (&on.counterexample, &off.counterexample) {
            assert_eq!(a.steps.len(), b.steps.len(), "{label}: both are shortest");
            // The reduced search's schedule replays on the real system and ends in violation.
            let actions = a.actions_for(&system).unwrap();
            let mut w = system.initial();
            for act in actions {
                assert!(
                    system.enabled(&w).contains(&act),
                    "{label}: {act:?} enabled"
                );
                w = system.step(&w, act).0;
            }
            let is_final = system.enabled(&w).is_empty();
            assert!(
                system.check(&w, is_final).is_err(),
                "{label}: ends in violation"
            );
        }
    }
    assert!(
        reduced_states * 2 < full_states,
        "symmetry pays on the catalogue"
    );
}

#[test]
fn canonical_form_is_the_same_for_every_renaming() {
    // Walk a few levels of a 3-client lock system; each world and its renamings (obtained by
    // swapping who steps first) must share one canonical form when they are renamings.
    let scenarios = catalogue::all();
    let job = &catalogue::select(
        &scenarios,
        Some("lock/set-nx-ex-del"),
        Some("mutual-exclusion"),
        &[FaultModel::Pause],
    )
    .unwrap()[0];
    let system = job.system(None);
    let init = system.initial();
    let a_first = system.step(&init, model::Action::Step(0)).0;
    let b_first = system.step(&init, model::Action::Step(1)).0;
    let c_first = system.step(&init, model::Action::Step(2)).0;
    assert_ne!(a_first, b_first);
    let ca = canonicalize(&a_first).0;
    assert_eq!(ca, canonicalize(&b_first).0);
    assert_eq!(ca, canonicalize(&c_first).0);
    // Canonicalizing is idempotent.
    assert_eq!(canonicalize(&ca).0, ca);
}
