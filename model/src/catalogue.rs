//! The catalogue: every seed recipe as a row, with its scenario's properties and bounds.
//! Row ids (`scenario/variant`) and property names are part of the CLI contract.

use crate::invariants::*;
use crate::program::Runner;
use crate::recipe::Params;
use crate::recipes::lock::{Acquire, Lock, Release, Repair};
use crate::recipes::python_redis_lock::PythonRedisLock;
use crate::recipes::{counter, inventory, lock};
use crate::scenario::{Scenario, Variant};
use std::sync::Arc;

pub mod files;

/// Counter: increments must not be lost (seed 000, seed 004).
pub fn counter() -> Scenario {
    counter::scenario()
}

/// Inventory: never sell more than the stock (seed 002, seed 004).
pub fn inventory() -> Scenario {
    let [check_then_decr, multi_no_watch, watch, lua] = inventory::programs();
    Scenario {
        name: "inventory",
        summary: "N buyers each try to take one unit of a stock smaller than N",
        setup: vec![(inventory::KEY.into(), "1".into())],
        subject: inventory::KEY,
        properties: vec![NO_OVERSELL],
        variants: vec![
            Variant::new(
                "check-then-decr",
                "GET, then DECR if positive",
                check_then_decr,
            ),
            Variant::new(
                "multi-no-watch",
                "seed 002 first listing: GET on the client, MULTI/SET/EXEC on the pipeline",
                multi_no_watch,
            ),
            Variant::new(
                "watch",
                "seed 002 second listing: WATCH/GET/MULTI/SET/EXEC on the pipe, retried",
                watch,
            ),
            Variant::new("lua", "seed 004's decrement-not-below-zero script", lua),
        ],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    }
}

/// Locks: one holder at a time, releases by the owner only, crashed locks free (seeds 001,
/// 003, 004).
pub fn lock() -> Scenario {
    let setnx = |repair| Acquire::SetnxExpire { repair };
    Scenario {
        name: "lock",
        summary: "N clients each take a lock, work in the critical section, and release it",
        setup: vec![],
        subject: lock::KEY,
        properties: vec![
            MUTUAL_EXCLUSION,
            OWNER_ONLY_RELEASE,
            PAUSE_CONTAINED,
            CRASHED_LOCK_FREES,
            crate::recipes::python_redis_lock::NO_LOST_WAKEUP,
        ],
        variants: vec![
            Variant::new(
                "setnx-expire",
                "SETNX then EXPIRE; WATCH release",
                Runner::new(Lock {
                    acquire: setnx(Repair::None),
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "setnx-ttl-repair",
                "seed 001 listing 11.4 as printed: repair when `not ttl`; WATCH release",
                Runner::new(Lock {
                    acquire: setnx(Repair::AsPrinted),
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "setnx-ttl-repair-fixed",
                "listing 11.4 with the repair when ttl < 0; WATCH release",
                Runner::new(Lock {
                    acquire: setnx(Repair::Fixed),
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "set-nx-ex-del",
                "SET NX EX; plain DEL",
                Runner::new(Lock {
                    acquire: Acquire::SetNxEx,
                    release: Release::Del,
                }),
            ),
            Variant::new(
                "set-nx-ex-get-del",
                "SET NX EX; GET, then DEL if ours",
                Runner::new(Lock {
                    acquire: Acquire::SetNxEx,
                    release: Release::GetThenDel,
                }),
            ),
            Variant::new(
                "watch-release",
                "SET NX EX; WATCH, GET, MULTI, DEL, EXEC",
                Runner::new(Lock {
                    acquire: Acquire::SetNxEx,
                    release: Release::Watch,
                }),
            ),
            Variant::new(
                "lua",
                "seed 001 listings 11.5/11.6: Lua acquire and compare-and-delete",
                Runner::new(Lock {
                    acquire: Acquire::Lua,
                    release: Release::Lua,
                }),
            ),
            Variant::new(
                "client",
                "live::lock's commands: SET NX PX; compare-and-delete script",
                Runner::new(Lock {
                    acquire: Acquire::SetNxPx,
                    release: Release::Client,
                }),
            ),
            Variant::new(
                "python-redis-lock",
                "seed 003: SET NX EX, BLPOP on a signal list, the unlock script",
                Runner::new(PythonRedisLock { expire: true }),
            ),
            Variant::new(
                "python-redis-lock-no-expire",
                "seed 003 with the library's default expire=None: SET NX, BLPOP forever",
                Runner::new(PythonRedisLock { expire: false }),
            ),
        ],
        default_clients: 3,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 2,
        roles: vec![],
        history: vec![],
    }
}

/// Transfer: a move between two balances is applied exactly once (seed 004).
pub fn transfer() -> Scenario {
    use crate::recipes::transfer;
    let [get_get_set_set, watch, lua] = transfer::programs();
    Scenario {
        name: "transfer",
        summary: "N clients each move 1 from account:a (balance 1) to account:b",
        setup: vec![
            (transfer::FROM.into(), "1".into()),
            (transfer::TO.into(), "0".into()),
        ],
        subject: transfer::FROM,
        properties: vec![transfer::NO_LOST_TRANSFER],
        variants: vec![
            Variant::new(
                "get-get-set-set",
                "GET both balances, SET both",
                get_get_set_set,
            ),
            Variant::new(
                "watch",
                "WATCH both keys, MULTI/DECRBY/INCRBY/EXEC, retried",
                watch,
            ),
            Variant::new("lua", "seed 004's transfer script", lua),
        ],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    }
}

/// Job result: taken exactly once (seed 004's GETDEL).
pub fn job_result() -> Scenario {
    use crate::recipes::job_result;
    let [get_then_del, getdel] = job_result::programs();
    Scenario {
        name: "job-result",
        summary: "two consumers each try to take a job's result once",
        setup: vec![(job_result::KEY.into(), "done".into())],
        subject: job_result::KEY,
        properties: vec![job_result::TAKEN_ONCE],
        variants: vec![
            Variant::new("get-then-del", "GET, then DEL", get_then_del),
            Variant::new("getdel", "GETDEL", getdel),
        ],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 0,
        roles: vec![],
        history: vec![],
    }
}

/// Fencing (DESIGN.md §4): `lock/client`'s lock plus an INCR token checked by the resource.
pub fn fencing() -> Scenario {
    use crate::recipes::fencing::{self, Fencing};
    Scenario {
        name: "fencing",
        summary:
            "N clients each take lock/client's lock, get an INCR token, write with it, release",
        setup: vec![],
        subject: lock::KEY,
        properties: vec![fencing::FENCED_WRITES],
        variants: vec![
            Variant::new(
                "checked",
                "the resource's script rejects a token lower than the highest accepted",
                Runner::new(Fencing { checked: true }),
            ),
            Variant::new(
                "unchecked",
                "the resource trusts the lock: RPUSH the write",
                Runner::new(Fencing { checked: false }),
            ),
            Variant::new(
                "checked-at-resource",
                "as checked, with the counter and the resource on their own server (res@1)",
                Runner::new(fencing::FencingApart),
            ),
        ],
        default_clients: 2,
        params: Params {
            retries: 1,
            lease: 1,
        },
        max_ticks: 2,
        roles: vec![],
        history: vec![],
    }
}

/// Every scenario, in the order the verdict table lists them: the Rust scenarios, then the
/// recipe files of [`files::FILES`].
pub fn all() -> Vec<Arc<Scenario>> {
    let mut all = vec![
        Arc::new(counter()),
        Arc::new(inventory()),
        Arc::new(transfer()),
        Arc::new(job_result()),
        Arc::new(lock()),
        Arc::new(fencing()),
        Arc::new(crate::recipes::redlock::scenario()),
        Arc::new(crate::recipes::wait_lock::scenario()),
    ];
    // Never fails in a released binary: model/tests/recipe_files.rs loads every file.
    all.extend(
        files::scenarios().unwrap_or_else(|e| panic!("a shipped recipe file is broken: {e}")),
    );
    all
}

/// Whether a row argument names a recipe file (`FILE.lua` or `FILE.lua:VARIANT`).
pub fn is_recipe_file(pattern: &str) -> bool {
    pattern.ends_with(".lua") || pattern.contains(".lua:")
}

/// The scenarios a row argument names, and the row pattern within them: a catalogue pattern
/// stays as it is; a recipe file `FILE.lua` stands for all its rows, `FILE.lua:VARIANT` for
/// one. `None` is the whole catalogue.
pub fn resolve(pattern: Option<&str>) -> Result<(Vec<Arc<Scenario>>, Option<String>), String> {
    let Some(p) = pattern else {
        return Ok((all(), None));
    };
    if !is_recipe_file(p) {
        return Ok((all(), Some(p.to_string())));
    }
    let (path, variant) = match p.rsplit_once(".lua:") {
        Some((stem, v)) => (format!("{stem}.lua"), Some(v)),
        None => (p.to_string(), None),
    };
    let scenario = crate::program::lua::load(&path)?;
    let row = match variant {
        Some(v) => format!("{}/{v}", scenario.name),
        None => scenario.name.to_string(),
    };
    Ok((vec![scenario], Some(row)))
}

/// One (row, property, fault model) to check.
#[derive(Clone, Debug)]
pub struct Job {
    pub scenario: Arc<Scenario>,
    pub variant: usize,
    pub property: usize,
    pub faults: crate::faults::FaultModel,
}

impl Job {
    /// The system to explore, with `clients` clients (the scenario's default when `None`).
    pub fn system(&self, clients: Option<usize>) -> crate::system::System {
        crate::system::System::new(
            Arc::clone(&self.scenario),
            self.variant,
            self.property,
            self.faults,
            clients,
        )
    }
}

/// Whether `row` (`scenario/variant`) matches a user pattern: a scenario name, a full row id,
/// or a glob with `*` (`lock/*`, `*/lua`).
pub fn row_matches(pattern: &str, row: &str) -> bool {
    if !pattern.contains('/') && !pattern.contains('*') {
        return row.split('/').next() == Some(pattern);
    }
    glob(pattern.as_bytes(), row.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The jobs selected by a row pattern, an optional property name and fault models, in table
/// order. Errors name what did not match and what exists.
pub fn select(
    scenarios: &[Arc<Scenario>],
    pattern: Option<&str>,
    property: Option<&str>,
    faults: &[crate::faults::FaultModel],
) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    let mut rows = 0;
    let mut property_known = property.is_none();
    for s in scenarios {
        for (vi, v) in s.variants.iter().enumerate() {
            let row = format!("{}/{}", s.name, v.name);
            if pattern.is_some_and(|p| !row_matches(p, &row)) {
                continue;
            }
            rows += 1;
            for (pi, p) in s.properties.iter().enumerate() {
                if property.is_some_and(|want| want != p.name) {
                    continue;
                }
                property_known = true;
                for &f in faults {
                    if p.faults.contains(&f) {
                        jobs.push(Job {
                            scenario: Arc::clone(s),
                            variant: vi,
                            property: pi,
                            faults: f,
                        });
                    }
                }
            }
        }
    }
    if rows == 0 {
        let known: Vec<String> = scenarios
            .iter()
            .flat_map(|s| {
                s.variants
                    .iter()
                    .map(move |v| format!("{}/{}", s.name, v.name))
            })
            .collect();
        return Err(format!(
            "unknown row {:?} (known rows: {})",
            pattern.unwrap_or(""),
            known.join(", ")
        ));
    }
    if !property_known {
        let mut known: Vec<&str> = scenarios
            .iter()
            .flat_map(|s| s.properties.iter().map(|p| p.name))
            .collect();
        known.dedup();
        return Err(format!(
            "unknown property {:?} for the selected rows (known: {})",
            property.unwrap_or(""),
            known.join(", ")
        ));
    }
    Ok(jobs)
}
