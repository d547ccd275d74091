//! Breadth-first search over a [`System`] with exact shortest counterexamples, on every core.
//!
//! Why not stateright's own BFS checker (it runs this model too; a test compares the two)?
//! Measured on stateright 0.31 (DESIGN.md §9): its BFS keeps the *last* discovery rather than
//! the first, so a counterexample is not always the shortest and differs between runs; its
//! time-outs and state targets stop silently, so "no discovery" may mean "stopped early"; and
//! it keeps 64-bit fingerprints only. This search is deterministic, checks each state as it is
//! first reached (BFS reaches states in order of depth, so the first violation is at minimal
//! depth), stores states exactly (`crate::store`: no fingerprint collision can hide a
//! state), and says `Unknown` — never `Holds` — when it stops at its state limit.
//!
//! **Parallel, and still the same search.** States are numbered in the order they are first
//! reached, so the FIFO frontier is just the range of numbers not yet expanded. The frontier
//! is expanded in batches of consecutive states; within a batch, chunks are expanded on every
//! thread (successors computed, their parts looked up, ones the chunk made already dropped
//! (`checker/seen.rs`), the property checked on the rest), which only reads the visited set.
//! The batch is then merged in frontier order, exactly as the one-threaded search visits it:
//! the same states get the same numbers and parents, the first violation in that order wins,
//! and the state limit stops at the same state. The merge's table work runs on every thread
//! too — the visited table is split in shards by hash, each thread owns some, and a thread
//! finds which of the batch's successors are the first of their state in its shards — while
//! the states are numbered on one thread, in order (`checker/merge.rs`). One thread (or a
//! batch too small to share) expands and merges in one pass, each successor looked up once,
//! as it is made.
//! Verdict, state count, depth and counterexample do not depend on the thread count (tests
//! run the catalogue with 1 and 2 threads, and wide graphs with violations deep in them on 1,
//! 2 and 3).
//!
//! Without symmetry reduction, a state skips the client steps that commute with one taken
//! before them on its way (sleep sets, `checker/sleep.rs`): every state is still reached, at
//! its depth and first from the same parent, so nothing above changes but the work.
//!
//! Nothing of a trace is built while exploring ([`System::step_in_place`]); the trace is
//! built only for the counterexample's path, by replaying it.

mod expand;
mod merge;
mod seen;
mod sleep;

use crate::store::{Visited, ROOT};
use crate::symmetry;
use crate::system::{Action, System};
use crate::trace::{Trace, TRACE_FORMAT_VERSION};
use crate::workers::Workers;
use expand::{expand_parallel, reduce, BATCH, CHUNK, PARALLEL_MIN};
use merge::{Merge, Scratch};
use serde::{Deserialize, Serialize};
use sleep::Sleeper;
use std::time::{Duration, Instant};

/// The answer of one search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every reachable state within the bounds was checked.
    Holds,
    /// A reachable state breaks the property; the counterexample leads there.
    Violated,
    /// The search stopped at its state limit before finishing: nothing is claimed.
    Unknown,
}

/// Where a search is, for progress reports.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub states: usize,
    pub depth: usize,
    pub elapsed: Duration,
}

/// Limits of a search.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Stop (verdict `Unknown`) after this many unique states.
    pub max_states: usize,
    /// Treat clients as interchangeable ([`crate::symmetry`]): one state per orbit.
    pub symmetry: bool,
    /// Threads expanding the frontier (at least 1). The result does not depend on it.
    pub threads: usize,
    /// Skip client steps that commute with one taken before them (`checker/sleep.rs`): the
    /// same states, depths and counterexamples, fewer successors computed. Only without
    /// symmetry reduction (with it, sleep sets are not used).
    pub sleep_sets: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_states: 50_000_000,
            symmetry: true,
            threads: default_threads(),
            sleep_sets: true,
        }
    }
}

/// Every core the process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The result of checking one (row, property, fault model).
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub verdict: Verdict,
    /// Unique states reached.
    pub states: usize,
    /// Longest shortest path from the start (the BFS depth reached).
    pub depth: usize,
    /// Successors computed (steps taken from a state, whatever they reached): what sleep
    /// sets save.
    pub successors: u64,
    pub counterexample: Option<Trace>,
    pub elapsed: Duration,
    /// A real Redis command the model does not implement, reached by some schedule: the
    /// search stopped there (verdict `Unknown`, nothing claimed). See [`unmodelled_error`].
    pub unmodelled: Option<String>,
}

/// The one line a front end prints when a check reached a command the model does not
/// implement (`redis-races check` prints it and exits 2, before any verdict).
pub fn unmodelled_error(row: &str, command: &str) -> String {
    match command.strip_prefix(crate::scripting::LUA_FEATURE) {
        Some(feature) => format!(
            "{row}: the model does not implement {feature} in a script; \
             it stops rather than guess its reply"
        ),
        None => format!(
            "{row}: the model does not implement the Redis command {command}; \
             it stops rather than guess its reply"
        ),
    }
}

/// Explores every world `system` can reach, checking its property in each.
pub fn check(system: &System, limits: Limits, progress: &mut dyn FnMut(Progress)) -> CheckResult {
    let started = Instant::now();
    let threads = limits.threads.max(1);
    let mut v = Visited::new(system.bounds.clients);
    let mut key = vec![0u32; v.key_len()];
    let mut found: Option<(u32, String)> = None;
    let init = reduce(system.initial(), limits.symmetry);
    let mut unmodelled = init.server.unmodelled.clone();
    v.parts.intern_key(&init, &mut key);
    v.insert(&key, ROOT, Action::Tick, 0, 0);
    // A state is checked for `Always` when reached and for `AtEnd` when found final; both
    // happen in BFS order, so the first violation has the fewest steps.
    if let Err(why) = system.check(&init, false) {
        found = Some((0, why));
    }
    drop(init);
    // States `cursor..` are the frontier, in FIFO order.
    let mut cursor = 0usize;
    let mut max_depth = 0usize;
    let mut last_report = Instant::now();
    let mut truncated = false;
    let mut successors = 0u64;
    // The parallel expansion's buffers, reused from batch to batch.
    let mut pool = Vec::new();
    let workers = Workers::new(threads);
    let mut scratch = Scratch::default();
    let mut sleeper = Sleeper::new(system, limits.sleep_sets && !limits.symmetry);
    'search: while found.is_none() && unmodelled.is_none() && cursor < v.len() {
        // One thread expands a chunk at a time, merging each successor as it is made (the
        // same search: a batch's boundaries change nothing but when the merge happens).
        let batch = cursor
            ..v.len()
                .min(cursor + if threads > 1 { BATCH } else { CHUNK });
        let parallel = threads > 1 && batch.len() >= PARALLEL_MIN;
        let expansions = parallel.then(|| {
            expand_parallel(
                system,
                &v,
                batch.clone(),
                &workers,
                limits.symmetry,
                sleeper.on(),
                &mut pool,
            )
        });
        let mut merge = Merge {
            v: &mut v,
            cursor: &mut cursor,
            max_depth: &mut max_depth,
            found: &mut found,
            unmodelled: &mut unmodelled,
            truncated: &mut truncated,
            successors: &mut successors,
            max_states: limits.max_states,
            scratch: &mut scratch,
        };
        let stopped = match expansions {
            Some(mut expansions) => {
                let stopped = merge.parallel(&mut expansions, &workers);
                pool.extend(expansions.into_iter().map(|mut e| {
                    e.clear();
                    e
                }));
                stopped
            }
            None => merge.in_place(system, batch, limits.symmetry, &mut sleeper),
        };
        if stopped {
            break 'search;
        }
        if last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            progress(Progress {
                states: v.len(),
                depth: max_depth,
                elapsed: started.elapsed(),
            });
        }
    }
    let verdict = match (&found, truncated) {
        _ if unmodelled.is_some() => Verdict::Unknown,
        (Some(_), _) => Verdict::Violated,
        (None, true) => Verdict::Unknown,
        (None, false) => Verdict::Holds,
    };
    let counterexample = found.filter(|_| unmodelled.is_none()).map(|(idx, why)| {
        let path = v.path_to(idx);
        if limits.symmetry {
            counterexample_from_orbits(system, &path, why)
        } else {
            trace_of(system, &path, Some(why))
        }
    });
    CheckResult {
        verdict,
        states: v.len(),
        depth: max_depth,
        successors,
        counterexample,
        elapsed: started.elapsed(),
        unmodelled,
    }
}

/// Turns a path found between canonical worlds into the real schedule from the real start:
/// each action is renamed back through the permutation that canonicalized the world it
/// applied to; the violation is then stated in the real world's names.
fn counterexample_from_orbits(system: &System, path: &[Action], why: String) -> Trace {
    let mut real = system.initial();
    let mut actions = Vec::with_capacity(path.len());
    for &a in path {
        let (_, perm) = symmetry::canonicalize(&real);
        let action = symmetry::unrename(a, &perm);
        real = system.step(&real, action).0;
        actions.push(action);
    }
    let is_final = system.enabled(&real).is_empty();
    let why = system.check(&real, is_final).err().unwrap_or(why);
    trace_of(system, &actions, Some(why))
}

/// Replays `actions` from the start and records the trace; `violation` annotates the end.
pub fn trace_of(system: &System, actions: &[Action], violation: Option<String>) -> Trace {
    let mut w = system.initial();
    let mut steps = Vec::with_capacity(actions.len());
    for &a in actions {
        let (next, step) = system.step(&w, a);
        steps.push(step);
        w = next;
    }
    let final_keys = system.describe_keys(&w);
    assemble_trace(system, steps, violation, final_keys)
}

/// A trace of `system`'s row, property and fault model from its steps; the violation, if any,
/// is noted on the last step. Model and live traces are assembled the same way.
pub fn assemble_trace(
    system: &System,
    mut steps: Vec<crate::trace::Step>,
    violation: Option<String>,
    final_keys: Vec<String>,
) -> Trace {
    if let (Some(why), Some(last)) = (&violation, steps.last_mut()) {
        last.notes.push(crate::trace::Note::Violated {
            property: system.property_def().name.to_string(),
            message: why.clone(),
        });
    }
    Trace {
        version: TRACE_FORMAT_VERSION,
        row: system.row().to_string(),
        property: system.property_def().name.to_string(),
        faults: system.faults.name().to_string(),
        clients: system.bounds.clients,
        steps,
        violation,
        final_keys,
    }
}
