//! Symmetry reduction: clients that run the same recipe are interchangeable, so a world and
//! the same world with clients renamed are one state for the search.
//!
//! stateright applies its `symmetry()` only in DFS (DESIGN.md §9); our BFS applies it too, so
//! counterexamples stay the shortest. A world is reduced to a canonical representative by
//! sorting clients on a *signature* that contains everything the world says about a client
//! without naming it: its program state and beliefs, its connections' server-side state, its
//! places in the BLPOP queue, the keys (and list slots) holding its token, and its part in a
//! foreign release. Two clients with equal signatures can be swapped without changing the
//! world, so the sorted order is the same for every member of an orbit.
//!
//! Tokens inside hashes and lists are renamed in place; a world in which a token is a
//! sorted-set member is not reduced (see `token_orders_a_zset`).
//!
//! Clients are renamed only among clients of the same role (a producer never becomes a
//! worker): the role is the signature's first key, and clients are numbered role by role, so
//! sorting keeps every role's clients in its own block of indices. Tokens inside named events'
//! string values in the history are renamed like replies.
//!
//! Contract (why this is sound): every recipe of a system sees a client only through its token
//! and the shared parameters (`ClientCtx::index` unused by its decisions), clients of one role
//! run the same recipe, and every property is invariant under renaming clients within a role. The catalogue's recipes and properties are; a test
//! checks that verdicts, state counts and counterexample lengths agree with and without it.

use crate::client_name;
use crate::recipe::{EventValue, Input};
use crate::reply::Reply;
use crate::server::{ConnId, ConnState, Server, Value};
use crate::world::{ClientState, World};

/// Everything a world says about one client, with the client's own name left out.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Signature<'a> {
    /// First: clients are renamed only within their role, and the roles' blocks of clients
    /// stay where they are (clients are numbered role by role).
    role: u8,
    state: &'a ClientState,
    conns: Vec<(u8, &'a ConnState)>,
    waiting_at: Vec<usize>,
    /// Keys whose string value is the token, and (key, index) of list elements that are.
    holds: Vec<(&'a str, Option<usize>)>,
    /// 1 if this client removed another's lock, 2 if its lock was removed.
    release_role: u8,
    /// The same on servers 1.. (independent masters), server by server.
    elsewhere: Vec<Elsewhere<'a>>,
}

/// A client's connections, queue places and tokens on one server: on server 0 they are the
/// signature's own fields, on servers 1.. its `elsewhere`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Elsewhere<'a> {
    conns: Vec<(u8, &'a ConnState)>,
    waiting_at: Vec<usize>,
    holds: Vec<(&'a str, Option<usize>)>,
}

/// What `server` says about client `i` (whose token is `token`).
fn on_server<'a>(server: &'a Server, i: usize, token: &str) -> Elsewhere<'a> {
    let conns = server
        .conns
        .iter()
        .filter(|(c, _)| c.client as usize == i)
        .map(|(c, s)| (c.slot, &**s))
        .collect();
    let waiting_at = server
        .waiters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.client as usize == i)
        .map(|(pos, _)| pos)
        .collect();
    Elsewhere {
        conns,
        waiting_at,
        holds: holds(&server.keys, token),
    }
}

/// Keys whose string value is `token`, and (key, index) of collection elements that are.
fn holds<'a>(keys: &'a crate::server::KeyMap, token: &str) -> Vec<(&'a str, Option<usize>)> {
    let mut holds = Vec::new();
    for (k, e) in keys {
        match &e.value {
            Value::Str(s) if s == token => holds.push((k.as_str(), None)),
            Value::Str(_) => {}
            v => holds.extend(
                v.positions_of(token)
                    .into_iter()
                    .map(|p| (k.as_str(), Some(p))),
            ),
        }
    }
    holds
}

fn signature<'a>(w: &'a World, i: usize, token: &str) -> Signature<'a> {
    let Elsewhere {
        conns,
        waiting_at,
        holds,
    } = on_server(&w.server, i, token);
    let elsewhere = match &w.fleet {
        Some(f) => f.masters.iter().map(|s| on_server(s, i, token)).collect(),
        None => Vec::new(),
    };
    let release_role = match w.foreign_release {
        Some((by, _)) if by as usize == i => 1,
        Some((_, owner)) if owner as usize == i => 2,
        _ => 0,
    };
    Signature {
        role: w.clients[i].role,
        state: &w.clients[i],
        conns,
        waiting_at,
        holds,
        release_role,
        elsewhere,
    }
}

/// The canonical representative of `w`'s orbit and the renaming used: `perm[old] = new`.
pub fn canonicalize(w: &World) -> (World, Vec<usize>) {
    let (perm, tokens) = canonical_renaming(w);
    if is_identity(&perm) {
        return (w.clone(), perm);
    }
    let out = rename(w, &perm, tokens);
    (out, perm)
}

/// The canonical representative of `w`'s orbit, reusing `w` when it already is one (the
/// search's hot path: most worlds are).
pub fn canonical(w: World) -> World {
    let (perm, tokens) = canonical_renaming(&w);
    if is_identity(&perm) {
        return w;
    }
    rename(&w, &perm, tokens)
}

/// [`canonical`], with the renaming it applied (`perm[old] = new`) when it is not the
/// identity (`benches/reductions.rs` renames sleep sets by it, to measure why the checker
/// does not combine them with symmetry reduction).
pub fn canonical_renamed(w: World) -> (World, Option<Vec<usize>>) {
    let (perm, tokens) = canonical_renaming(&w);
    if is_identity(&perm) {
        return (w, None);
    }
    let out = rename(&w, &perm, tokens);
    (out, Some(perm))
}

fn is_identity(perm: &[usize]) -> bool {
    perm.iter().enumerate().all(|(i, &p)| i == p)
}

/// The first `n` clients' tokens (`A`, `B`, …), made once: the search asks for them for every
/// world it reduces.
fn tokens(n: usize) -> &'static [String] {
    static TOKENS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = TOKENS.get_or_init(|| (0..u8::MAX as usize).map(client_name).collect());
    &all[..n]
}

/// The renaming that sorts `w`'s clients by signature, and the clients' tokens.
fn canonical_renaming(w: &World) -> (Vec<usize>, &'static [String]) {
    let n = w.clients.len();
    let tokens = tokens(n);
    let mut order: Vec<usize> = (0..n).collect();
    if token_orders_a_zset(w, tokens) {
        return (order, tokens);
    }
    {
        let sigs: Vec<Signature> = (0..n).map(|i| signature(w, i, &tokens[i])).collect();
        order.sort_by(|&a, &b| sigs[a].cmp(&sigs[b]));
    }
    let mut perm = vec![0; n];
    for (new, &old) in order.iter().enumerate() {
        perm[old] = new;
    }
    (perm, tokens)
}

/// Whether a client token is a sorted-set member. Redis orders equal scores by member name,
/// so renaming such a member can change the order a command observes: the world is then left
/// unreduced (sound, merely less reduction). Hash fields keep their insertion order and lists
/// their positions, so tokens there rename soundly.
fn token_orders_a_zset(w: &World, tokens: &[String]) -> bool {
    let in_keys = |keys: &crate::server::KeyMap| {
        keys.values().any(|e| match &e.value {
            Value::ZSet(z) => tokens.iter().any(|t| z.score(t).is_some()),
            _ => false,
        })
    };
    w.servers().any(|s| in_keys(&s.keys))
        || w.replication().is_some_and(|r| r.log.iter().any(in_keys))
}

/// `w` with client `i` renamed to `perm[i]` everywhere it appears.
fn rename(w: &World, perm: &[usize], tokens: &[String]) -> World {
    let rename_token = |s: &String| -> String {
        match tokens.iter().position(|t| t == s) {
            Some(i) => tokens[perm[i]].clone(),
            None => s.clone(),
        }
    };
    let conn = |c: &ConnId| ConnId {
        client: perm[c.client as usize] as u8,
        slot: c.slot,
    };
    let mut out = w.clone();
    for (i, c) in w.clients.iter().enumerate() {
        let mut c = c.clone();
        // Written only where a token appears: an unchanged trail stays the allocation the
        // program memo knows it by, and an unchanged client is not copied.
        let named = |s: &String| tokens.contains(s);
        if c.local.trail.iter().any(|input| match input {
            Input::Reply(r) => mentions(r, &named),
            _ => false,
        }) {
            for input in &mut c.local.trail {
                if let Input::Reply(r) = input {
                    rename_in_reply(r, &rename_token);
                }
            }
        }
        if c.history
            .iter()
            .any(|noted| matches!(&noted.value, Some(EventValue::Str(s)) if named(s)))
        {
            for noted in &mut c.history {
                if let Some(EventValue::Str(s)) = &mut noted.value {
                    *s = rename_token(s);
                }
            }
        }
        out.clients[perm[i]] = c;
    }
    let rename_server = |from: &Server, to: &mut Server| {
        to.conns = from
            .conns
            .iter()
            .map(|(c, s)| (conn(c), renamed_conn(s, &rename_token).into()))
            .collect::<crate::server::ConnMap>();
        to.waiters = from.waiters.iter().map(conn).collect();
        rename_keys(&mut to.keys, &rename_token);
    };
    rename_server(&w.server, &mut out.server);
    if let (Some(from), Some(to)) = (&w.fleet, &mut out.fleet) {
        for (f, t) in from.masters.iter().zip(to.masters.iter_mut()) {
            rename_server(f, t);
        }
        if let Some(rep) = &mut to.replication {
            for keys in &mut rep.log {
                rename_keys(keys, &rename_token);
            }
            rep.woff = rep.woff.iter().map(|(c, o)| (conn(c), *o)).collect();
        }
    }
    out.foreign_release = w
        .foreign_release
        .map(|(by, owner)| (perm[by as usize] as u8, perm[owner as usize] as u8));
    out
}

/// A connection's server-side state with tokens renamed where they are whole values: the
/// arguments of commands queued in MULTI (`HSET tmp field1 B` must run as the renamed client's
/// command at EXEC), a served reply not yet read, and pub/sub messages and channels.
fn renamed_conn(s: &ConnState, rename_token: &dyn Fn(&String) -> String) -> ConnState {
    let mut s = s.clone();
    if let Some(multi) = &mut s.multi {
        for command in &mut multi.queue {
            std::sync::Arc::make_mut(command)
                .0
                .iter_mut()
                .for_each(|a| *a = rename_token(a));
        }
    }
    if let Some(r) = &mut s.served {
        rename_in_reply(r, rename_token);
    }
    // Pub/sub: messages not yet received (a release may publish its token) and channels.
    for r in &mut s.pubsub.inbox {
        rename_in_reply(r, rename_token);
    }
    s.pubsub.channels = s.pubsub.channels.iter().map(rename_token).collect();
    s
}

fn rename_keys(keys: &mut crate::server::KeyMap, rename_token: &dyn Fn(&String) -> String) {
    for e in keys.values_mut() {
        e.value = e.value.renamed(rename_token);
    }
}

/// Renames tokens that a program received as whole string values (bulk or status replies,
/// array elements), as the server's keys are renamed.
/// Whether [`rename_in_reply`] may change `r`: some string in it is a token.
fn mentions(r: &Reply, named: &dyn Fn(&String) -> bool) -> bool {
    match r {
        Reply::Bulk(s) | Reply::Status(s) => named(s),
        Reply::Array(items) => items.iter().any(|i| mentions(i, named)),
        Reply::Nil | Reply::Int(_) | Reply::Error(_) => false,
    }
}

fn rename_in_reply(r: &mut Reply, rename_token: &dyn Fn(&String) -> String) {
    match r {
        Reply::Bulk(s) | Reply::Status(s) => *s = rename_token(s),
        Reply::Array(items) => items
            .iter_mut()
            .for_each(|i| rename_in_reply(i, rename_token)),
        Reply::Nil | Reply::Int(_) | Reply::Error(_) => {}
    }
}

/// Maps an action on the canonical world back to the world it came from (`perm[old] = new`).
pub fn unrename(action: crate::system::Action, perm: &[usize]) -> crate::system::Action {
    use crate::system::Action;
    let old = |new: usize| perm.iter().position(|&p| p == new).expect("a permutation");
    match action {
        Action::Step(i) => Action::Step(old(i)),
        Action::Crash(i) => Action::Crash(old(i)),
        Action::Choose(i, k) => Action::Choose(old(i), k),
        Action::Thread(i, t) => Action::Thread(old(i), t),
        a @ (Action::Tick | Action::Replicate(_) | Action::Promote(_) | Action::Restart(_)) => a,
    }
}
