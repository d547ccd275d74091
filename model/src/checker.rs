//! Breadth-first search over a [`System`] with exact shortest counterexamples.
//!
//! Why not stateright's own BFS checker (it runs this model too; a test compares the two)?
//! Measured on stateright 0.31 (DESIGN.md §9): its BFS keeps the *last* discovery rather than
//! the first, so a counterexample is not always the shortest and differs between runs; its
//! time-outs and state targets stop silently, so "no discovery" may mean "stopped early"; and
//! it keeps 64-bit fingerprints only. This search is single-threaded and deterministic, checks
//! each state as it is first reached (BFS reaches states in order of depth, so the first
//! violation is at minimal depth), keeps every state whole (no fingerprint collisions can hide
//! a state), and says `Unknown` — never `Holds` — when it stops at its state limit.

use crate::system::{Action, System};
use crate::trace::{Trace, TRACE_FORMAT_VERSION};
use crate::world::World;
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_states: 50_000_000,
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
}

fn fingerprint(w: &World) -> u64 {
    let mut h = FxHasher::default();
    w.hash(&mut h);
    h.finish()
}

/// One visited state: how it was first reached.
struct Node {
    parent: u32,
    action: Action,
    depth: u32,
}

/// Explores every world `system` can reach, checking its property in each.
pub fn check(system: &System, limits: Limits, progress: &mut dyn FnMut(Progress)) -> CheckResult {
    let started = Instant::now();
    let init = system.initial();
    let mut states: Vec<World> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut table: HashTable<u32> = HashTable::new();
    let mut insert =
        |w: World, node: Node, states: &mut Vec<World>, nodes: &mut Vec<Node>| -> Option<u32> {
            let fp = fingerprint(&w);
            if table.find(fp, |&i| states[i as usize] == w).is_some() {
                return None;
            }
            let idx = states.len() as u32;
            table.insert_unique(fp, idx, |&i| fingerprint(&states[i as usize]));
            states.push(w);
            nodes.push(node);
            Some(idx)
        };
    let root = Node {
        parent: u32::MAX,
        action: Action::Tick,
        depth: 0,
    };
    insert(init, root, &mut states, &mut nodes);
    let mut found: Option<(u32, String)> = None;
    let mut cursor = 0usize;
    let mut max_depth = 0usize;
    let mut last_report = Instant::now();
    let mut truncated = false;
    // A state is checked for `Always` when reached and for `AtEnd` when found final; both
    // happen in BFS order, so the first violation has the fewest steps.
    if let Err(why) = system.check(&states[0], false) {
        found = Some((0, why));
    }
    while found.is_none() && cursor < states.len() {
        let actions = system.enabled(&states[cursor]);
        let depth = nodes[cursor].depth;
        max_depth = max_depth.max(depth as usize);
        if actions.is_empty() {
            if let Err(why) = system.check(&states[cursor], true) {
                found = Some((cursor as u32, why));
                break;
            }
        }
        for action in actions {
            let (next, _) = system.step(&states[cursor], action);
            let verdict = system.check(&next, false);
            let node = Node {
                parent: cursor as u32,
                action,
                depth: depth + 1,
            };
            if let Some(idx) = insert(next, node, &mut states, &mut nodes) {
                if let Err(why) = verdict {
                    found = Some((idx, why));
                    max_depth = max_depth.max(depth as usize + 1);
                    break;
                }
            }
        }
        cursor += 1;
        if states.len() >= limits.max_states && cursor < states.len() {
            truncated = true;
            break;
        }
        if cursor % 4096 == 0 && last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            progress(Progress {
                states: states.len(),
                depth: max_depth,
                elapsed: started.elapsed(),
            });
        }
    }
    let verdict = match (&found, truncated) {
        (Some(_), _) => Verdict::Violated,
        (None, true) => Verdict::Unknown,
        (None, false) => Verdict::Holds,
    };
    let counterexample = found.map(|(idx, why)| {
        let mut path = Vec::new();
        let mut at = idx;
        while nodes[at as usize].parent != u32::MAX {
            path.push(nodes[at as usize].action);
            at = nodes[at as usize].parent;
        }
        path.reverse();
        trace_of(system, &path, Some(why))
    });
    CheckResult {
        verdict,
        states: states.len(),
        depth: max_depth,
        counterexample,
        elapsed: started.elapsed(),
    }
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
        final_keys: system.describe_keys(&w),
    }
}
