//! How often generated programs meet the cluster rules (model only, no server): commands and
//! EXECs refused with CROSSSLOT, script calls refused across slots, and multi-key commands
//! that pass because their keys share a slot. The figure for the cluster conformance run, and
//! a floor so that a generator change cannot silently stop exercising the rules. The same for
//! the programs of the three-master run (`properties::gen_cluster3`), which must also reach
//! every master.

use live::route::{node_of_key, route, Route};
use model::server::cluster::{CROSSSLOT, SCRIPT_CROSSSLOT};
use model::{Profile, Reply, Server};
use properties::gen_cluster::cluster_program;
use properties::gen_cluster3::{cluster3_candidates, routable};
use properties::matrix::{MATRIX_SEED, MAX_STEPS};
use properties::program::{Op, Program};
use properties::run::run_model_on;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// `cases` cluster programs, the same on every run.
fn cluster_programs(cases: usize) -> Vec<Program> {
    sample(cluster_program(MAX_STEPS), cases)
}

fn sample(strategy: impl Strategy<Value = Program>, cases: usize) -> Vec<Program> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &MATRIX_SEED);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..cases)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

fn is_error(r: &Reply, text: &str) -> bool {
    match r {
        Reply::Error(e) => e.starts_with(text),
        Reply::Array(items) => items.iter().any(|i| is_error(i, text)),
        _ => false,
    }
}

#[test]
fn cluster_rules_are_exercised() {
    let progs = cluster_programs(100);
    let [steps, command, exec, script, multi_key_ok] = rule_counts(&progs);
    eprintln!(
        "cluster mode, 100 programs, {steps} sends: CROSSSLOT {command} commands, {exec} EXECs; \
         {script} script calls across slots; {multi_key_ok} multi-key commands in one slot"
    );
    assert!(command >= 20, "only {command} commands met CROSSSLOT");
    assert!(exec >= 5, "only {exec} EXECs met CROSSSLOT");
    assert!(
        script >= 5,
        "only {script} script calls met the cross-slot refusal"
    );
    assert!(
        multi_key_ok >= 5,
        "only {multi_key_ok} multi-key commands passed"
    );
}

/// The three-master programs: the rules still met, and every master sent keyed commands.
#[test]
fn cluster3_programs_meet_the_rules_on_every_master() {
    let all = sample(cluster3_candidates(MAX_STEPS), 100);
    let sent: usize = all.iter().map(|p| p.ops.len()).sum();
    let progs: Vec<Program> = all.into_iter().map(routable).collect();
    let kept: usize = progs.iter().map(|p| p.ops.len()).sum();
    let [steps, command, exec, script, multi_key_ok] = rule_counts(&progs);
    let mut per_master = [0usize; 3];
    for p in &progs {
        for op in &p.ops {
            if let Op::Send { command, .. } = op {
                let keyed = !model::Command(command.clone()).key_positions().is_empty();
                if let (true, Route::Node(n)) = (keyed, route(command, 3)) {
                    per_master[n] += 1;
                }
            }
        }
    }
    eprintln!(
        "cluster3, 100 programs: {kept} of {sent} steps kept, {steps} sends: CROSSSLOT \
         {command} commands, {exec} EXECs; {script} script calls across slots; {multi_key_ok} \
         multi-key commands in one slot; keyed sends by master {per_master:?}"
    );
    assert!(
        kept * 10 >= sent * 8,
        "routable() dropped more than a fifth"
    );
    assert!(command >= 20, "only {command} commands met CROSSSLOT");
    assert!(exec >= 20, "only {exec} EXECs met CROSSSLOT");
    assert!(script >= 5, "only {script} script calls met the refusal");
    assert!(
        multi_key_ok >= 5,
        "only {multi_key_ok} multi-key commands passed"
    );
    assert!(per_master.iter().all(|&n| n >= 100), "{per_master:?}");
    assert_eq!(node_of_key("k1", 3), 2);
}

/// Sends, then commands refused with CROSSSLOT, EXECs refused with it, script calls refused
/// across slots, multi-key commands that ran.
fn rule_counts(progs: &[Program]) -> [usize; 5] {
    let (mut steps, mut command, mut exec, mut script, mut multi_key_ok) = (0, 0, 0, 0, 0);
    for p in progs {
        let run = run_model_on(p, Server::new(Profile::Redis70).on_cluster());
        for (cmd, step) in p.ops.iter().zip(&run.steps).filter_map(|(op, s)| match op {
            Op::Send { command, .. } => Some((command, s)),
            Op::Tick => None,
        }) {
            steps += 1;
            let Some(reply) = &step.reply else { continue };
            let name = cmd[0].to_ascii_uppercase();
            let keys = model::Command(cmd.clone()).key_positions().len();
            match reply {
                Reply::Error(e) if e == CROSSSLOT && name == "EXEC" => exec += 1,
                Reply::Error(e) if e == CROSSSLOT => command += 1,
                r if is_error(r, SCRIPT_CROSSSLOT) => script += 1,
                Reply::Error(_) => {}
                _ if keys > 1 => multi_key_ok += 1,
                _ => {}
            }
        }
    }
    [steps, command, exec, script, multi_key_ok]
}
