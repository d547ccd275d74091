//! What a reduction built on commuting steps gives the catalogue, measured (a bench binary
//! that prints figures, not a timed test): the ceiling of any such reduction, and what the
//! checker's sleep sets (`model/src/checker/sleep.rs`) reach of it.
//!
//! The search's cost is its successors: each is a world cloned, stepped, encoded and looked
//! up, and most of them (four in five on `counter/watch-retry`) are states already reached.
//! Two steps that commute — in either order they reach the same world — reach one state by
//! two paths of the same length, and a sleep-set search (Godefroid) skips the second path's
//! last step. It still reaches every state at its breadth-first depth, first from the same
//! parent, so verdicts and counterexamples do not change; only successors are saved.
//!
//! Each graph of the catalogue is searched three times, breadth-first, level by level:
//! 1. **In full**: every enabled action of every state stepped.
//! 2. **The ceiling**: sleep sets where two actions commute at the state at hand — both
//!    orders computed, each action still enabled after the other, the two worlds equal — and
//!    a state first reached from several states of the level before sleeping on what all of
//!    them agree on. Computing both orders costs more than it saves: this measures what any
//!    reduction on commuting steps could skip, not a search to ship.
//! 3. **The checker's**: sleep sets where the steps' footprints say they commute
//!    (`System::footprint`, `model::system::independent`, known before stepping), each state
//!    keeping the set its first path gave it, as `model/src/checker/sleep.rs` does. Every
//!    pair the footprints call independent is also checked by computing both orders: a pair
//!    that does not commute breaks the footprints' contract, is counted, and makes the binary
//!    exit 1.
//!
//! For each graph (row, variant and fault model at the catalogue's bounds, without symmetry
//! reduction; a graph's properties share it) it prints the states and the successors each
//! search computed, and whether the reduced searches reached exactly the same states at the
//! same depths (else `MISMATCH`, and exit 1) from the same first parents (else `other
//! parents`).
//!
//! Run: `cargo bench --bench reductions` (`-- --cap N`: skip graphs of more than N states,
//! default 200,000; `-- ROW-GLOB`: only matching rows; `-- --clients N --retries N`: other
//! bounds than the catalogue's; `-- --symmetry`: every search on orbits' canonical worlds,
//! sleep sets renamed with them — what shows that the checker must not combine the two).
//! `cargo test` never runs this binary.

use model::catalogue;
use model::faults::FaultModel;
use model::system::{independent, Action, Footprint, System};
use model::world::World;
use std::collections::HashMap;
use std::time::Instant;

/// What one search of one graph found.
struct Search {
    /// Each state reached, with its breadth-first depth and how it was first reached (the
    /// parent's number in order of first discovery, and the action): what a counterexample
    /// is read from.
    depth: HashMap<World, (u32, Option<(usize, Action)>)>,
    /// Successors computed (one step from a state, whatever it reached).
    successors: u64,
}

/// Why a graph was not measured.
enum Skip {
    /// More states than the cap.
    Large,
    /// A step reached a command the model does not implement.
    Unmodelled,
}

/// `w` as the searches store it: its orbit's canonical world when run with `--symmetry`, and
/// the renaming (`perm[old] = new`) when it is not the identity.
fn orbit(w: World) -> (World, Option<Vec<usize>>) {
    if SYMMETRY.load(std::sync::atomic::Ordering::Relaxed) {
        model::symmetry::canonical_renamed(w)
    } else {
        (w, None)
    }
}

/// Whether the searches reduce by symmetry (`--symmetry`).
static SYMMETRY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `w` after `a`, or `None` if the step reached an unimplemented command.
fn after(system: &System, w: &World, a: Action) -> Option<World> {
    let mut next = w.clone();
    system.step_in_place(&mut next, a);
    next.server.unmodelled.is_none().then_some(next)
}

/// Search 1: breadth-first, every enabled action stepped.
fn full(system: &System, cap: usize) -> Result<Search, Skip> {
    let start = system.initial();
    let mut depth = HashMap::from([(start.clone(), (0u32, None))]);
    let mut level = vec![(start, 0usize)];
    let mut successors = 0u64;
    let mut d = 0u32;
    while !level.is_empty() {
        let mut next = Vec::new();
        for (s, n) in &level {
            for a in system.enabled(s) {
                let t = orbit(after(system, s, a).ok_or(Skip::Unmodelled)?).0;
                successors += 1;
                if !depth.contains_key(&t) {
                    depth.insert(t.clone(), (d + 1, Some((*n, a))));
                    next.push((t, depth.len() - 1));
                }
            }
        }
        if depth.len() > cap {
            return Err(Skip::Large);
        }
        level = next;
        d += 1;
    }
    Ok(Search { depth, successors })
}

/// Whether `a` and `b` (enabled at `s`, with successors `sa` and `sb`) commute at `s`: each is
/// still enabled after the other and both orders reach the same world.
fn commute(system: &System, a: Action, sa: &World, b: Action, sb: &World) -> Result<bool, Skip> {
    if a == b || !system.enabled(sa).contains(&b) || !system.enabled(sb).contains(&a) {
        return Ok(false);
    }
    let ab = after(system, sa, b).ok_or(Skip::Unmodelled)?;
    let ba = after(system, sb, a).ok_or(Skip::Unmodelled)?;
    Ok(ab == ba)
}

/// How a sleep-set search decides that two steps commute.
#[derive(Clone, Copy, PartialEq)]
enum Rule {
    /// The ceiling: both orders computed ([`commute`]), and a state's own sleep set passed
    /// on to its successors (full sleep sets).
    Ceiling,
    /// The checker's: footprints ([`System::footprint`], [`independent`]), and a state's
    /// set the one its first path gave it. Each pair the footprints call independent is also
    /// checked by [`commute`]; a pair that does not commute breaks the footprints' contract.
    Checker,
}

/// Search 2: breadth-first with sleep sets; also the pairs that broke the footprints'
/// contract (for [`Rule::Checker`]).
fn with_sleep_sets(system: &System, cap: usize, rule: Rule) -> Result<(Search, u64), Skip> {
    let start = system.initial();
    let mut depth = HashMap::from([(start.clone(), (0u32, None))]);
    // A level's states, with their numbers (in order of first discovery) and sleep sets.
    let mut level: Vec<(World, usize, Vec<Action>)> = vec![(start, 0, Vec::new())];
    let mut successors = 0u64;
    let mut broken = 0u64;
    let mut d = 0u32;
    while !level.is_empty() {
        // The next level's states, with their sleep sets, and where each one is in it.
        let mut next: Vec<(World, usize, Vec<Action>)> = Vec::new();
        let mut place: HashMap<World, usize> = HashMap::new();
        for (s, n, sleep) in &level {
            let enabled = system.enabled(s);
            let prints: Vec<Footprint> = enabled.iter().map(|&a| system.footprint(s, a)).collect();
            // Every enabled action's successor: the stepped ones are the search's, the slept
            // ones only the independence check's (not counted).
            let mut succ = Vec::with_capacity(enabled.len());
            for &a in &enabled {
                succ.push(after(system, s, a).ok_or(Skip::Unmodelled)?);
            }
            let mut stepped: Vec<usize> = Vec::new();
            for (kb, &b) in enabled.iter().enumerate() {
                if sleep.contains(&b) {
                    continue;
                }
                successors += 1;
                let mut inherits = Vec::new();
                let earlier = sleep
                    .iter()
                    .filter_map(|a| enabled.iter().position(|e| e == a))
                    .chain(stepped.iter().copied());
                for ka in earlier {
                    let (a, sa, sb) = (enabled[ka], &succ[ka], &succ[kb]);
                    let yes = match rule {
                        Rule::Ceiling => commute(system, a, sa, b, sb)?,
                        Rule::Checker => {
                            let client = |x: Action| match x {
                                Action::Step(i) | Action::Crash(i) => Some(i),
                                _ => None,
                            };
                            let (Some(i), Some(j)) = (client(a), client(b)) else {
                                continue;
                            };
                            let yes = independent(i, &prints[ka], j, &prints[kb]);
                            if yes && !commute(system, a, sa, b, sb)? {
                                broken += 1;
                            }
                            yes
                        }
                    };
                    if yes {
                        inherits.push(a);
                    }
                }
                stepped.push(kb);
                let (t, perm) = orbit(succ[kb].clone());
                let inherits: Vec<Action> = match &perm {
                    None => inherits,
                    Some(p) => inherits
                        .iter()
                        .map(|a| match *a {
                            Action::Step(i) => Action::Step(p[i]),
                            other => other,
                        })
                        .collect(),
                };
                let t = &t;
                match depth.get(t) {
                    None => {
                        depth.insert(t.clone(), (d + 1, Some((*n, b))));
                        place.insert(t.clone(), next.len());
                        next.push((t.clone(), depth.len() - 1, inherits));
                    }
                    // The ceiling's sleep sets are what every shortest path to the state
                    // agrees on; the checker's are its first path's (what the proof in
                    // `model/src/checker/sleep.rs` needs).
                    Some(&(dt, _)) if dt == d + 1 && rule == Rule::Ceiling => {
                        let z = &mut next[place[t]].2;
                        z.retain(|a| inherits.contains(a));
                    }
                    Some(_) => {}
                }
            }
        }
        if depth.len() > cap {
            return Err(Skip::Large);
        }
        level = next;
        d += 1;
    }
    Ok((Search { depth, successors }, broken))
}

/// Whether two searches reached the same states at the same depths, and each from the same
/// first parent.
fn agree(a: &Search, b: &Search) -> (bool, bool) {
    let same_depths = a.depth.len() == b.depth.len()
        && a.depth
            .iter()
            .all(|(w, (d, _))| b.depth.get(w).is_some_and(|(e, _)| e == d));
    (same_depths, same_depths && a.depth == b.depth)
}

/// A flag's number, or exit 2 with one line.
fn number<T: std::str::FromStr>(value: Option<&String>, flag: &str) -> T {
    value.and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        eprintln!("reductions: {flag} needs a number");
        std::process::exit(2)
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut cap = 200_000usize;
    let mut pattern: Option<String> = None;
    let (mut clients, mut retries): (Option<usize>, Option<u16>) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cap" => cap = number(it.next(), "--cap"),
            "--symmetry" => SYMMETRY.store(true, std::sync::atomic::Ordering::Relaxed),
            "--clients" => clients = Some(number(it.next(), "--clients")),
            "--retries" => retries = Some(number(it.next(), "--retries")),
            p if !p.starts_with('-') => pattern = Some(p.to_string()),
            other => {
                eprintln!("reductions: unknown argument {other}");
                std::process::exit(2)
            }
        }
    }
    let scenarios = catalogue::all();
    let jobs = catalogue::select(&scenarios, pattern.as_deref(), None, &FaultModel::ALL)
        .unwrap_or_else(|e| {
            eprintln!("reductions: {e}");
            std::process::exit(2)
        });
    println!(
        "successors computed breadth-first: in full; with sleep sets where two steps commute \
         (both orders computed: the ceiling of any reduction on commuting steps); with the \
         checker's sleep sets (footprints); {}; each graph once (its properties share it); cap \
         {cap} states",
        if SYMMETRY.load(std::sync::atomic::Ordering::Relaxed) {
            "on orbits (--symmetry)"
        } else {
            "no symmetry"
        }
    );
    let started = Instant::now();
    let mut seen = std::collections::HashSet::new();
    let mut total = [0u64; 3];
    let (mut total_states, mut broken) = (0usize, 0u64);
    let (mut graphs, mut large, mut unmodelled, mut mismatches) = (0, 0, 0, 0);
    let mut other_parents = 0;
    for job in &jobs {
        let mut system = job.system(clients);
        if let Some(r) = retries {
            system = system.with_retries(r);
        }
        let name = format!("{} {}", system.row(), system.faults.name());
        if !seen.insert(name.clone()) {
            continue;
        }
        let searches = full(&system, cap).and_then(|a| {
            let (b, _) = with_sleep_sets(&system, cap, Rule::Ceiling)?;
            let (c, broke) = with_sleep_sets(&system, cap, Rule::Checker)?;
            Ok((a, b, c, broke))
        });
        let (a, b, c, broke) = match searches {
            Ok(found) => found,
            Err(Skip::Unmodelled) => {
                unmodelled += 1;
                continue;
            }
            Err(Skip::Large) => {
                large += 1;
                println!("{name:<44} more than {cap} states: skipped");
                continue;
            }
        };
        graphs += 1;
        let agreed = [agree(&a, &b), agree(&a, &c)];
        mismatches += agreed.iter().filter(|(d, _)| !d).count();
        other_parents += agreed.iter().filter(|(_, p)| !p).count();
        broken += broke;
        total_states += a.depth.len();
        total[0] += a.successors;
        total[1] += b.successors;
        total[2] += c.successors;
        let fewer = |x: u64| 100.0 * (1.0 - x as f64 / a.successors.max(1) as f64);
        let verdict = |(d, p): (bool, bool)| match (d, p) {
            (true, true) => "same",
            (true, false) => "other parents",
            _ => "MISMATCH",
        };
        println!(
            "{name:<44} {:>7} states | successors {:>8} full | ceiling {:>8} ({:>4.1} % fewer, {}) | footprints {:>8} ({:>4.1} % fewer, {}){}",
            a.depth.len(),
            a.successors,
            b.successors,
            fewer(b.successors),
            verdict(agreed[0]),
            c.successors,
            fewer(c.successors),
            verdict(agreed[1]),
            if broke > 0 {
                format!(" | {broke} pairs called independent that do not commute")
            } else {
                String::new()
            }
        );
    }
    let fewer = |x: u64| 100.0 * (1.0 - x as f64 / total[0].max(1) as f64);
    println!(
        "total: {graphs} graphs, {total_states} states; successors {} full, ceiling {} ({:.1} % \
         fewer), footprints {} ({:.1} % fewer); {large} graphs over the cap, {unmodelled} reaching \
         an unimplemented command; {mismatches} searches reaching other states or depths, \
         {other_parents} other first parents; {broken} pairs called independent that do not \
         commute; {:.1} s",
        total[0],
        total[1],
        fewer(total[1]),
        total[2],
        fewer(total[2]),
        started.elapsed().as_secs_f64()
    );
    if mismatches > 0 || broken > 0 {
        std::process::exit(1);
    }
}
