//! Breadth-first search over a [`System`] with exact shortest counterexamples.
//!
//! Why not stateright's own BFS checker (it runs this model too; a test compares the two)?
//! Measured on stateright 0.31 (DESIGN.md §9): its BFS keeps the *last* discovery rather than
//! the first, so a counterexample is not always the shortest and differs between runs; its
//! time-outs and state targets stop silently, so "no discovery" may mean "stopped early"; and
//! it keeps 64-bit fingerprints only. This search is single-threaded and deterministic, checks
//! each state as it is first reached (BFS reaches states in order of depth, so the first
//! violation is at minimal depth), compares states by their full canonical encoding (no
//! fingerprint collision can hide a state), and says `Unknown` — never `Holds` — when it stops at its state limit.

use crate::symmetry;
use crate::system::{Action, System};
use crate::trace::{Trace, TRACE_FORMAT_VERSION};
use crate::world::World;
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_states: 50_000_000,
            symmetry: true,
        }
    }
}

/// The result of checking one (row, property, fault model).
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub verdict: Verdict,
    /// Unique states reached.
    pub states: usize,
    /// Longest shortest path from the start (the BFS depth reached).
    pub depth: usize,
    pub counterexample: Option<Trace>,
    pub elapsed: Duration,
    /// A real Redis command the model does not implement, reached by some schedule: the
    /// search stopped there (verdict `Unknown`, nothing claimed). See [`unmodelled_error`].
    pub unmodelled: Option<String>,
}

/// The one line a front end prints when a check reached a command the model does not
/// implement (`redis-races check` prints it and exits 2, before any verdict).
pub fn unmodelled_error(row: &str, command: &str) -> String {
    format!(
        "{row}: the model does not implement the Redis command {command}; \
         it stops rather than guess its reply"
    )
}

/// A world's canonical byte encoding: what its `Hash` implementation feeds a hasher. Every
/// field type here hashes prefix-free (collections write their length, strings a terminator
/// byte that UTF-8 never contains, enums their discriminant), so equal encodings mean equal
/// worlds. Visited states are kept in this form: a few hundred bytes instead of the
/// kilobytes a world's B-tree nodes take.
fn encode(w: &World) -> Box<[u8]> {
    struct Bytes(Vec<u8>);
    impl Hasher for Bytes {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }
    let mut b = Bytes(Vec::with_capacity(256));
    w.hash(&mut b);
    b.0.into_boxed_slice()
}

fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// One visited state: how it was first reached.
struct Node {
    parent: u32,
    action: Action,
    depth: u32,
}

/// The visited set: every state reached, encoded, with how it was first reached.
#[derive(Default)]
struct Visited {
    encoded: Vec<Box<[u8]>>,
    nodes: Vec<Node>,
    table: HashTable<u32>,
}

impl Visited {
    /// Adds `w` if it is new and returns its index.
    fn insert(&mut self, w: &World, node: Node) -> Option<u32> {
        let bytes = encode(w);
        let fp = fingerprint(&bytes);
        let encoded = &self.encoded;
        if self
            .table
            .find(fp, |&i| encoded[i as usize] == bytes)
            .is_some()
        {
            return None;
        }
        let idx = self.encoded.len() as u32;
        let encoded = &self.encoded;
        self.table
            .insert_unique(fp, idx, |&i| fingerprint(&encoded[i as usize]));
        self.encoded.push(bytes);
        self.nodes.push(node);
        Some(idx)
    }

    fn len(&self) -> usize {
        self.encoded.len()
    }
}

/// Explores every world `system` can reach, checking its property in each.
pub fn check(system: &System, limits: Limits, progress: &mut dyn FnMut(Progress)) -> CheckResult {
    let started = Instant::now();
    let mut visited = Visited::default();
    let reduce = |w: World| -> World {
        if limits.symmetry {
            symmetry::canonicalize(&w).0
        } else {
            w
        }
    };
    let init = reduce(system.initial());
    let root = Node {
        parent: u32::MAX,
        action: Action::Tick,
        depth: 0,
    };
    visited.insert(&init, root);
    let mut found: Option<(u32, String)> = None;
    let mut unmodelled = init.server.unmodelled.clone();
    // A state is checked for `Always` when reached and for `AtEnd` when found final; both
    // happen in BFS order, so the first violation has the fewest steps.
    if let Err(why) = system.check(&init, false) {
        found = Some((0, why));
    }
    // The frontier holds whole worlds; everything else is encoded.
    let mut frontier: VecDeque<(u32, World)> = VecDeque::from([(0, init)]);
    let mut max_depth = 0usize;
    let mut last_report = Instant::now();
    let mut truncated = false;
    let mut expanded = 0usize;
    while found.is_none() && unmodelled.is_none() {
        let Some((idx, world)) = frontier.pop_front() else {
            break;
        };
        let actions = system.enabled(&world);
        let depth = visited.nodes[idx as usize].depth;
        max_depth = max_depth.max(depth as usize);
        if actions.is_empty() {
            if let Err(why) = system.check(&world, true) {
                found = Some((idx, why));
                break;
            }
        }
        for action in actions {
            let next = reduce(system.step(&world, action).0);
            if next.server.unmodelled.is_some() {
                unmodelled = next.server.unmodelled.clone();
                break;
            }
            let node = Node {
                parent: idx,
                action,
                depth: depth + 1,
            };
            if let Some(new) = visited.insert(&next, node) {
                if let Err(why) = system.check(&next, false) {
                    found = Some((new, why));
                    max_depth = max_depth.max(depth as usize + 1);
                    break;
                }
                frontier.push_back((new, next));
            }
        }
        expanded += 1;
        if visited.len() >= limits.max_states && !frontier.is_empty() {
            truncated = true;
            break;
        }
        if expanded.is_multiple_of(4096) && last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            progress(Progress {
                states: visited.len(),
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
        let mut path = Vec::new();
        let mut at = idx;
        while visited.nodes[at as usize].parent != u32::MAX {
            path.push(visited.nodes[at as usize].action);
            at = visited.nodes[at as usize].parent;
        }
        path.reverse();
        if limits.symmetry {
            counterexample_from_orbits(system, &path, why)
        } else {
            trace_of(system, &path, Some(why))
        }
    });
    CheckResult {
        verdict,
        states: visited.len(),
        depth: max_depth,
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
        last.notes
            .push(format!("{} violated: {why}", system.property_def().name));
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
