//! Expected verdicts of seed 004's patterns beyond counters and locks: a two-key transfer,
//! taking a job result once, and the compare-and-set script.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::faults::FaultModel::{self, Crash, None as NoFault};

fn verdict(row: &str, faults: FaultModel) -> Verdict {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(row), None, &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row}");
    checker::check(&jobs[0].system(None), Limits::default(), &mut |_| {}).verdict
}

#[test]
fn transfers_need_watch_or_a_script() {
    assert_eq!(
        verdict("transfer/get-get-set-set", NoFault),
        Verdict::Violated
    );
    for row in ["transfer/watch", "transfer/lua"] {
        for f in [NoFault, Crash] {
            assert_eq!(verdict(row, f), Verdict::Holds, "{row} {f}");
        }
    }
}

#[test]
fn a_job_result_is_taken_once_only_with_getdel() {
    assert_eq!(
        verdict("job-result/get-then-del", NoFault),
        Verdict::Violated
    );
    assert_eq!(verdict("job-result/get-then-del", Crash), Verdict::Violated);
    assert_eq!(verdict("job-result/getdel", NoFault), Verdict::Holds);
    assert_eq!(verdict("job-result/getdel", Crash), Verdict::Holds);
}

#[test]
fn the_compare_and_set_script_loses_no_update() {
    for f in [NoFault, Crash] {
        assert_eq!(verdict("counter/lua-cas", f), Verdict::Holds, "{f}");
    }
}

#[test]
fn a_capped_increment_needs_the_script() {
    for f in [NoFault, Crash, FaultModel::Pause] {
        assert_eq!(
            verdict("capped-counter/get-min-set", f),
            Verdict::Violated,
            "{f}"
        );
        assert_eq!(verdict("capped-counter/lua", f), Verdict::Holds, "{f}");
    }
}
