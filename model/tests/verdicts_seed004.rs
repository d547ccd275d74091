//! Expected verdicts of seed 004's patterns beyond counters and locks: a two-key transfer,
//! taking a job result once, the compare-and-set script, and the rows written as recipe
//! files (`model/recipes/`): capped counter, order confirmation, account CAS loop, audit log,
//! SET … GET, shadow keys.

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

#[test]
fn a_retried_order_confirmation_needs_a_status_check_under_the_watch() {
    for f in [NoFault, Crash, FaultModel::Pause] {
        // As printed, nothing looks at the order: a second request after the first succeeds.
        for row in ["order-confirm/as-printed", "order-confirm/watch-stock-only"] {
            let v = verdict_of(row, "stock-once-per-order", f);
            assert_eq!(v, Verdict::Violated, "{row} {f}");
        }
        for row in [
            "order-confirm/status-check",
            "order-confirm/checked-stock-only",
        ] {
            let v = verdict_of(row, "stock-once-per-order", f);
            assert_eq!(v, Verdict::Holds, "{row} {f}");
        }
    }
}

/// The seed's cluster note: as on a cluster (`check --cluster`), inventory:sku123 and
/// order:456:status span slots, so no variant ever confirms the order (WATCH and EXEC get
/// CROSSSLOT) and stock-once-per-order holds only because nothing happens. On one server
/// every variant confirms it.
#[test]
fn order_confirmation_on_a_cluster_needs_hash_tags() {
    for f in [NoFault, Crash, FaultModel::Pause] {
        for variant in [
            "as-printed",
            "watch-stock-only",
            "status-check",
            "checked-stock-only",
        ] {
            let row = format!("order-confirm/{variant}");
            let on = |property: &str, cluster: bool| {
                let scenarios = catalogue::all();
                let jobs = catalogue::select(&scenarios, Some(&row), Some(property), &[f]).unwrap();
                let system = jobs[0].system(None);
                let system = if cluster { system.on_cluster() } else { system };
                checker::check(&system, Limits::default(), &mut |_| {}).verdict
            };
            assert_eq!(on("order-confirmed", false), Verdict::Holds, "{row} {f}");
            assert_eq!(on("order-confirmed", true), Verdict::Violated, "{row} {f}");
            assert_eq!(
                on("stock-once-per-order", true),
                Verdict::Holds,
                "{row} {f}"
            );
        }
    }
}

fn verdict_of(row: &str, property: &str, faults: FaultModel) -> Verdict {
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, Some(row), Some(property), &[faults]).unwrap();
    assert_eq!(jobs.len(), 1, "{row} {property}");
    checker::check(&jobs[0].system(None), Limits::default(), &mut |_| {}).verdict
}

#[test]
fn the_cas_loop_neither_overdraws_nor_loses_a_withdrawal() {
    for f in [NoFault, Crash, FaultModel::Pause] {
        let v = |row, p| verdict_of(row, p, f);
        assert_eq!(
            v("account-cas/watch-once", "no-overdraft"),
            Verdict::Violated
        );
        assert_eq!(
            v("account-cas/watch-once", "no-lost-withdrawal"),
            Verdict::Holds
        );
        assert_eq!(v("account-cas/cas-loop", "no-overdraft"), Verdict::Holds);
        assert_eq!(
            v("account-cas/cas-loop", "no-lost-withdrawal"),
            Verdict::Holds
        );
        assert_eq!(
            v("account-cas/cas-loop-no-watch", "no-overdraft"),
            Verdict::Holds
        );
        assert_eq!(
            v("account-cas/cas-loop-no-watch", "no-lost-withdrawal"),
            Verdict::Violated
        );
    }
}

#[test]
fn the_cas_loop_may_give_up_with_too_many_retries_and_still_holds() {
    // With one try (--retries 0) the client whose EXEC is aborted raises TooManyRetries;
    // nothing is taken then, so both properties hold.
    let scenarios = catalogue::all();
    let jobs =
        catalogue::select(&scenarios, Some("account-cas/cas-loop"), None, &[NoFault]).unwrap();
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        let mut one_try = (*job.scenario).clone();
        one_try.params.retries = 0;
        let system = model::System::new(
            std::sync::Arc::new(one_try),
            job.variant,
            job.property,
            NoFault,
            None,
        );
        let r = checker::check(&system, Limits::default(), &mut |_| {});
        let name = job.scenario.properties[job.property].name;
        assert_eq!(r.verdict, Verdict::Holds, "{name}");
    }
}

#[test]
fn an_audit_log_replays_only_when_the_script_writes_it() {
    for f in [NoFault, Crash, FaultModel::Pause] {
        assert_eq!(verdict("audit-log/script", f), Verdict::Holds, "{f}");
        assert_eq!(verdict("audit-log/separate", f), Verdict::Violated, "{f}");
    }
}

#[test]
fn set_get_hands_the_old_value_over_once() {
    for f in [NoFault, Crash, FaultModel::Pause] {
        assert_eq!(verdict("atomic-reads/set-get", f), Verdict::Holds, "{f}");
        assert_eq!(
            verdict("atomic-reads/get-then-set", f),
            Verdict::Violated,
            "{f}"
        );
    }
}

#[test]
fn a_shadow_key_shared_by_two_writers_shows_readers_a_partial_value() {
    use Verdict::{Holds, Violated};
    for f in [NoFault, Crash, FaultModel::Pause] {
        let v = |row: &str, p| verdict_of(&format!("shadow-key/{row}"), p, f);
        // A reader between two HSETs sees a mix; one HSET or one transaction does not.
        assert_eq!(v("in-place", "no-partial-read"), Violated, "{f}");
        assert_eq!(v("one-hset", "no-partial-read"), Holds, "{f}");
        assert_eq!(v("multi-rename", "no-partial-read"), Holds, "{f}");
        // The seed's fixed temporary name, shared by two writers, mixes their builds.
        for row in ["rename", "rename-expire", "copy-replace"] {
            assert_eq!(v(row, "no-partial-read"), Violated, "{row} {f}");
        }
        // RENAME gives the cache the temporary key's missing TTL; a crash between the swap
        // and the EXPIRE leaves it so.
        assert_eq!(v("rename", "cache-expires"), Violated, "{f}");
        let window = if f == Crash { Violated } else { Holds };
        assert_eq!(v("rename-expire", "cache-expires"), window, "{f}");
        assert_eq!(v("copy-replace", "cache-expires"), window, "{f}");
        for row in ["in-place", "one-hset", "multi-rename"] {
            assert_eq!(v(row, "cache-expires"), Holds, "{row} {f}");
        }
    }
}
