//! Expanding the frontier: each state's successors, computed, reduced, looked up and checked,
//! on one thread or in chunks on several; the visited set is only read here. A chunk sends
//! each state it makes to the merge once ([`Seen`]), however many of its states reach it.

use super::seen::Seen;
use super::sleep::{Sleeper, Turns};
use crate::store::{hash_ids, Visited};
use crate::symmetry;
use crate::system::{Action, System};
use crate::workers::Workers;
use crate::world::World;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A successor its chunk had not made before (it may have been visited before the batch:
/// the merge tells).
pub(super) struct Candidate {
    pub(super) action: Action,
    /// The world itself when one of its parts was never seen (its key is then made by the
    /// merge, which may add parts); `None` when its key is in [`Expansion::keys`].
    pub(super) world: Option<Box<World>>,
    /// The property's verdict on it (as a non-final state).
    pub(super) violation: Option<String>,
    /// The sleep set it is given if it is new (`checker/sleep.rs`).
    pub(super) sleep: u64,
    /// The Redis command the model does not implement that this step reached: the search
    /// stops here without a verdict.
    pub(super) unmodelled: Option<String>,
}

/// One expanded state of a chunk.
pub(super) struct Expanded {
    /// The property's verdict if the state has no successor (a final state).
    pub(super) final_violation: Option<String>,
    /// How many of the chunk's candidates are this state's.
    pub(super) candidates: usize,
}

/// What expanding one chunk of the frontier found, in frontier and action order.
#[derive(Default)]
pub(super) struct Expansion {
    pub(super) states: Vec<Expanded>,
    pub(super) candidates: Vec<Candidate>,
    /// One key per candidate (unused for candidates that carry their world).
    pub(super) keys: Vec<u32>,
    /// Each key's hash ([`crate::store::hash_ids`]; unused where the key is).
    pub(super) hashes: Vec<u64>,
    /// The chunk's successors so far, visited or not ([`Seen`]).
    seen: Seen,
    /// How many successors the chunk computed.
    pub(super) successors: u64,
}

/// Frontier states expanded per batch and per chunk of a batch; a batch smaller than
/// `PARALLEL_MIN` is expanded on the calling thread.
pub(super) const BATCH: usize = 1 << 15;
pub(super) const CHUNK: usize = 1 << 10;
pub(super) const PARALLEL_MIN: usize = 2 * CHUNK;

pub(super) fn reduce(w: World, symmetric: bool) -> World {
    if symmetric {
        symmetry::canonical(w)
    } else {
        w
    }
}

impl Expansion {
    /// Empties it, keeping its buffers' room (see [`expand_parallel`]'s pool).
    pub(super) fn clear(&mut self) {
        self.states.clear();
        self.candidates.clear();
        self.keys.clear();
        self.hashes.clear();
        self.successors = 0;
    }
}

/// The world that action `k` of `n` steps from: a copy of `world` for each action but the
/// last, which takes `world` itself (one copy fewer per state).
#[inline(always)]
pub(super) fn copy_for(world: &mut Option<World>, k: usize, n: usize) -> World {
    if k + 1 == n {
        world.take().expect("the last action takes the world")
    } else {
        world.as_ref().expect("kept until the last action").clone()
    }
}

/// Expands the states `range` of `visited` into `out` (empty): reads `visited` only.
fn expand(
    system: &System,
    visited: &Visited,
    range: Range<usize>,
    symmetric: bool,
    sleeper: &mut Sleeper<'_>,
    out: &mut Expansion,
) {
    let width = visited.key_len();
    // Room for about as many candidates as a state has successors in the catalogue's graphs,
    // so that the chunk's buffers do not grow (and copy) while it is expanded.
    let room = 3 * range.len();
    out.states.reserve(range.len());
    out.candidates.reserve(room);
    out.keys.reserve(room * width);
    out.hashes.reserve(room);
    out.seen.clear(width, 2 * room);
    let mut key = vec![0u32; width];
    let mut actions = Vec::new();
    for idx in range {
        let parent = visited.key(idx as u32);
        let world = visited.parts.decode(parent);
        system.enabled_into(&world, &mut actions);
        let final_violation = if actions.is_empty() {
            system.check(&world, true).err()
        } else {
            None
        };
        let before = out.candidates.len();
        sleeper.begin(&world, &actions);
        let mut turns = Turns::new(visited.sleep(idx as u32), &actions);
        let mut world = Some(world);
        for &action in &actions {
            let Some((passed, k, n)) = turns.take(sleeper, action) else {
                continue;
            };
            let mut next = copy_for(&mut world, k, n);
            out.successors += 1;
            system.step_in_place(&mut next, action);
            if let Some(name) = next.server.unmodelled.clone() {
                out.keys.extend(std::iter::repeat_n(0, key.len()));
                out.hashes.push(0);
                out.candidates.push(Candidate {
                    action,
                    world: None,
                    violation: None,
                    sleep: 0,
                    unmodelled: Some(name),
                });
                break;
            }
            if symmetric {
                // Only then moved: a world is a few hundred bytes.
                next = symmetry::canonical(next);
            }
            let known = visited.parts.find_key(&next, parent, &mut key);
            let hash = if known { hash_ids(&key) } else { 0 };
            // Made already by this chunk: not a candidate. One visited before the batch is
            // left to the merge, which looks every candidate up once, a few ahead (one
            // lookup here too would be two cache misses per new state on a large graph).
            if known && out.seen.note(&key, hash) {
                continue;
            }
            let violation = system.check(&next, false).err();
            out.keys.extend_from_slice(&key);
            out.hashes.push(hash);
            out.candidates.push(Candidate {
                action,
                world: (!known).then(|| Box::new(next)),
                violation,
                sleep: passed,
                unmodelled: None,
            });
        }
        out.states.push(Expanded {
            final_violation,
            candidates: out.candidates.len() - before,
        });
    }
}

/// Expands `batch` in chunks on every thread of `workers` (the calling one included) into buffers
/// taken from `pool` (emptied expansions a merge gave back; new ones when it runs out): the
/// expansions come back in chunk order. Reusing them keeps a batch's few megabytes of
/// candidates from being freed and faulted in again (zeroed by the kernel) batch after batch.
pub(super) fn expand_parallel(
    system: &System,
    visited: &Visited,
    batch: Range<usize>,
    workers: &Workers,
    symmetric: bool,
    sleep_sets: bool,
    pool: &mut Vec<Expansion>,
) -> Vec<Expansion> {
    let chunks: Vec<Range<usize>> = batch
        .clone()
        .step_by(CHUNK)
        .map(|lo| lo..(lo + CHUNK).min(batch.end))
        .collect();
    let spare: Vec<Mutex<Expansion>> = (0..chunks.len())
        .map(|_| Mutex::new(pool.pop().unwrap_or_default()))
        .collect();
    let next = AtomicUsize::new(0);
    let run = || {
        let mut sleeper = Sleeper::new(system, sleep_sets);
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = chunks.get(k) else {
                return;
            };
            let mut out = spare[k].lock().expect("a chunk's buffer is taken once");
            expand(
                system,
                visited,
                range.clone(),
                symmetric,
                &mut sleeper,
                &mut out,
            );
        }
    };
    workers.each((0..workers.threads()).collect(), |_| run());
    spare
        .into_iter()
        .map(|m| m.into_inner().expect("every chunk expanded"))
        .collect()
}
