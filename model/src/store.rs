//! The search's visited set, collapse-compressed: every state reached, exactly, in a few
//! bytes, with how it was first reached.
//!
//! A world is split into *parts*: one global part (the keyspace, the BLPOP queue, the script
//! cache, the clock, the crash count, the foreign release) and one slice per client (its
//! program state and beliefs, and its connections' server-side state, without its index).
//! Each distinct part is stored once, in an [`Interner`], as a value with its 64-bit hash. A
//! state is then the tuple of its parts' ids — `clients + 1` integers, 24 bytes for 5
//! clients — and the visited set stores only that tuple, its parent and its action.
//!
//! **No collision can merge two states.** Hashes only choose where to look: a part is found
//! only if it compares equal, field by field, to the stored value (`global_is`, `slice_is`;
//! two values with the same hash and different contents are two parts), and a state only if
//! its whole id tuple does. The split loses nothing: [`Parts::decode`] rebuilds the exact
//! world from its tuple (every field of `World` and `Server` is named in an exhaustive
//! destructuring below, so a field added later fails to compile here instead of being
//! silently left out). The frontier is therefore just a range of state indices: a world is
//! rebuilt from its tuple when it is expanded. Parts hold their [`crate::shared::Shared`]
//! pieces by reference, so a rebuilt world shares them with the store, and comparing an
//! unchanged piece is a pointer comparison.

use crate::server::{ConnId, ConnState, Server};
use crate::shared::Shared;
use crate::system::Action;
use crate::world::{ClientState, World};
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

fn hash_ids(ids: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    for &i in ids {
        h.write_u32(i);
    }
    h.finish()
}

/// Distinct values, each stored once with its hash; ids are dense and never change.
struct Interner<T> {
    values: Vec<T>,
    /// `hashes[i]`: value `i`'s hash (the table grows without hashing a value again).
    hashes: Vec<u64>,
    table: HashTable<u32>,
}

impl<T> Interner<T> {
    fn new() -> Self {
        Interner {
            values: Vec::new(),
            hashes: Vec::new(),
            table: HashTable::new(),
        }
    }

    /// The id of the value whose hash is `h` and for which `is` holds (`is` compares the
    /// whole value: the hash only chooses where to look).
    fn find(&self, h: u64, is: impl Fn(&T) -> bool) -> Option<u32> {
        self.table
            .find(h, |&i| {
                self.hashes[i as usize] == h && is(&self.values[i as usize])
            })
            .copied()
    }

    /// Adds `value` (whose hash is `h`, not yet present) and returns its id.
    fn insert(&mut self, h: u64, value: T) -> u32 {
        let id = self.values.len() as u32;
        assert!(id < u32::MAX, "more parts than a u32 indexes");
        self.values.push(value);
        self.hashes.push(h);
        let hashes = &self.hashes;
        self.table.insert_unique(h, id, |&i| hashes[i as usize]);
        id
    }
}

/// One client's slice of a world, without the client's index.
struct Slice {
    state: ClientState,
    conns: Vec<(u8, Shared<ConnState>)>,
}

/// Each client's connections in turn, in one pass over the server's (ordered by client).
struct ByClient<'a> {
    rest: std::collections::btree_map::Iter<'a, ConnId, Shared<ConnState>>,
}

type Conns<'a> = std::iter::Take<std::collections::btree_map::Iter<'a, ConnId, Shared<ConnState>>>;

impl<'a> ByClient<'a> {
    fn new(server: &'a Server) -> Self {
        ByClient {
            rest: server.conns.iter(),
        }
    }

    /// Client `i`'s connections; clients are asked for in order, from 0.
    fn of(&mut self, i: usize) -> Conns<'a> {
        let start = self.rest.clone();
        let mut count = 0;
        loop {
            let mut probe = self.rest.clone();
            match probe.next() {
                Some((c, _)) if c.client as usize == i => {
                    self.rest = probe;
                    count += 1;
                }
                _ => return start.take(count),
            }
        }
    }
}

/// Whether `server` has connections of no client of the system (a look at its last one).
fn has_strays(server: &Server, n: usize) -> bool {
    server
        .conns
        .last_key_value()
        .is_some_and(|(c, _)| c.client as usize >= n)
}

/// Connections of no client of the system (none in practice; kept so nothing is lost).
fn stray_conns(
    server: &Server,
    n: usize,
) -> impl Iterator<Item = (&ConnId, &Shared<ConnState>)> + Clone {
    let lo = ConnId {
        client: n as u8,
        slot: 0,
    };
    server.conns.range(lo..)
}

/// The interned parts of every world the search has seen.
pub(crate) struct Parts {
    clients: usize,
    globals: Interner<World>,
    slices: Interner<Slice>,
}

impl Parts {
    pub(crate) fn new(clients: usize) -> Self {
        assert!(clients < u8::MAX as usize, "client index fits a ConnId");
        Parts {
            clients,
            globals: Interner::new(),
            slices: Interner::new(),
        }
    }

    /// The hash of `w`'s global part (what `global_is` compares).
    fn hash_global(&self, w: &World) -> u64 {
        let World {
            server,
            clients,
            now,
            crashes,
            foreign_release,
            fleet,
        } = w;
        let Server {
            profile,
            cluster,
            keys,
            conns: _,
            waiters,
            scripts,
            unmodelled,
            ready,
        } = server;
        debug_assert!(ready.is_empty(), "ready keys are empty between commands");
        let mut h = FxHasher::default();
        clients.len().hash(&mut h);
        profile.hash(&mut h);
        cluster.hash(&mut h);
        keys.hash(&mut h);
        let stray = stray_conns(server, self.clients);
        stray.clone().count().hash(&mut h);
        for (c, s) in stray {
            c.hash(&mut h);
            s.hash(&mut h);
        }
        waiters.hash(&mut h);
        scripts.hash(&mut h);
        unmodelled.hash(&mut h);
        now.hash(&mut h);
        crashes.hash(&mut h);
        foreign_release.hash(&mut h);
        fleet.hash(&mut h);
        h.finish()
    }

    /// The global part as a value: `w` without clients and without their connections.
    fn global_value(&self, w: &World) -> World {
        let World {
            server,
            clients: _,
            now,
            crashes,
            foreign_release,
            fleet,
        } = w;
        let Server {
            profile,
            cluster,
            keys,
            conns: _,
            waiters,
            scripts,
            unmodelled,
            ready: _,
        } = server;
        World {
            server: Server {
                profile: *profile,
                cluster: *cluster,
                keys: keys.clone(),
                conns: stray_conns(server, self.clients)
                    .map(|(c, s)| (*c, s.clone()))
                    .collect(),
                waiters: waiters.clone(),
                scripts: scripts.clone(),
                unmodelled: unmodelled.clone(),
                ready: Vec::new(),
            },
            clients: Vec::new(),
            now: *now,
            crashes: *crashes,
            foreign_release: *foreign_release,
            fleet: fleet.clone(),
        }
    }

    /// The hash of client `i`'s slice of `w` (what `slice_is` compares).
    fn hash_slice(state: &ClientState, conns: Conns<'_>) -> u64 {
        let mut h = FxHasher::default();
        state.hash(&mut h);
        conns.len().hash(&mut h);
        for (c, s) in conns {
            c.slot.hash(&mut h);
            s.hash(&mut h);
        }
        h.finish()
    }

    fn slice_value(state: &ClientState, conns: Conns<'_>) -> Slice {
        Slice {
            state: state.clone(),
            conns: conns.map(|(c, s)| (c.slot, s.clone())).collect(),
        }
    }

    /// Fills `key` with the ids of `w`'s parts; `false` if a part has never been seen (the
    /// key is then incomplete and the world new). `near` is the key of a world `w` is likely
    /// to share parts with (its parent): a part equal to that world's is taken by comparing
    /// values, without encoding it.
    pub(crate) fn find_key(&self, w: &World, near: &[u32], key: &mut [u32]) -> bool {
        if self.global_is(w, &self.globals.values[near[0] as usize]) {
            key[0] = near[0];
        } else {
            let h = self.hash_global(w);
            let Some(g) = self.globals.find(h, |g| self.global_is(w, g)) else {
                return false;
            };
            key[0] = g;
        }
        let mut by_client = ByClient::new(&w.server);
        for i in 0..self.clients {
            let (state, conns) = (&w.clients[i], by_client.of(i));
            if Self::slice_is(
                state,
                conns.clone(),
                &self.slices.values[near[i + 1] as usize],
            ) {
                key[i + 1] = near[i + 1];
                continue;
            }
            let h = Self::hash_slice(state, conns.clone());
            let Some(s) = self
                .slices
                .find(h, |s| Self::slice_is(state, conns.clone(), s))
            else {
                return false;
            };
            key[i + 1] = s;
        }
        true
    }

    /// Whether `w`'s global part is `g` (compared field by field, exactly).
    fn global_is(&self, w: &World, g: &World) -> bool {
        let World {
            server,
            clients,
            now,
            crashes,
            foreign_release,
            fleet,
        } = w;
        let Server {
            profile,
            cluster,
            keys,
            conns: _,
            waiters,
            scripts,
            unmodelled,
            ready: _,
        } = server;
        clients.len() == self.clients
            && *fleet == g.fleet
            && *now == g.now
            && *crashes == g.crashes
            && *foreign_release == g.foreign_release
            && *profile == g.server.profile
            && *cluster == g.server.cluster
            && *keys == g.server.keys
            && *waiters == g.server.waiters
            && *scripts == g.server.scripts
            && *unmodelled == g.server.unmodelled
            && if has_strays(server, self.clients) {
                stray_conns(server, self.clients).eq(g.server.conns.iter())
            } else {
                g.server.conns.is_empty()
            }
    }

    /// Whether client `i`'s slice of `w` is `s` (compared exactly).
    fn slice_is(state: &ClientState, conns: Conns<'_>, s: &Slice) -> bool {
        *state == s.state
            && conns.len() == s.conns.len()
            && conns
                .zip(&s.conns)
                .all(|((c, st), (slot, sst))| c.slot == *slot && st == sst)
    }

    /// Fills `key` with the ids of `w`'s parts, adding the parts not seen yet.
    pub(crate) fn intern_key(&mut self, w: &World, key: &mut [u32]) {
        let h = self.hash_global(w);
        key[0] = match self.globals.find(h, |g| self.global_is(w, g)) {
            Some(g) => g,
            None => {
                let v = self.global_value(w);
                self.globals.insert(h, v)
            }
        };
        let mut by_client = ByClient::new(&w.server);
        for i in 0..self.clients {
            let (state, conns) = (&w.clients[i], by_client.of(i));
            let h = Self::hash_slice(state, conns.clone());
            key[i + 1] = match self
                .slices
                .find(h, |s| Self::slice_is(state, conns.clone(), s))
            {
                Some(s) => s,
                None => self.slices.insert(h, Self::slice_value(state, conns)),
            };
        }
    }

    /// The world whose parts are `key`: exactly the world the key was made from.
    pub(crate) fn decode(&self, key: &[u32]) -> World {
        let mut w = self.globals.values[key[0] as usize].clone();
        w.clients.reserve_exact(self.clients);
        for (i, &s) in key[1..].iter().enumerate() {
            let slice = &self.slices.values[s as usize];
            w.clients.push(slice.state.clone());
            for (slot, state) in &slice.conns {
                let id = ConnId {
                    client: i as u8,
                    slot: *slot,
                };
                w.server.conns.insert(id, state.clone());
            }
        }
        w
    }
}

/// Fixed-width records in blocks of 65,536, so growing never copies what is stored.
struct Column<T> {
    width: usize,
    blocks: Vec<Vec<T>>,
}

const BLOCK: usize = 1 << 16;

impl<T: Copy> Column<T> {
    fn new(width: usize) -> Self {
        Column {
            width,
            blocks: Vec::new(),
        }
    }

    fn push(&mut self, record: &[T]) {
        debug_assert_eq!(record.len(), self.width);
        match self.blocks.last_mut() {
            Some(b) if b.len() < BLOCK * self.width => b.extend_from_slice(record),
            _ => {
                let mut b = Vec::with_capacity(BLOCK * self.width);
                b.extend_from_slice(record);
                self.blocks.push(b);
            }
        }
    }

    fn get(&self, i: u32) -> &[T] {
        let i = i as usize;
        let at = (i % BLOCK) * self.width;
        &self.blocks[i / BLOCK][at..at + self.width]
    }
}

/// An action in two bytes (a choice: client in the low 5 bits, branch (< 256) above them).
fn pack(a: Action) -> u16 {
    match a {
        Action::Step(i) => i as u16,
        Action::Crash(i) => 0x4000 | i as u16,
        Action::Tick => 0x8000,
        Action::Choose(i, k) => 0xc000 | (k as u16) << 5 | i as u16,
        Action::Replicate(r) => 0x8100 | r as u16,
        Action::Promote(r) => 0x8200 | r as u16,
        Action::Restart(s) => 0x8300 | s as u16,
        // A spawned thread: client in the low 5 bits, connection slot (< 8) above them.
        Action::Thread(i, t) => 0x8400 | (t as u16) << 5 | i as u16,
    }
}

fn unpack(a: u16) -> Action {
    match a {
        0x8000 => Action::Tick,
        a if a & 0xc000 == 0xc000 => Action::Choose((a & 0x1f) as usize, ((a >> 5) & 0x1ff) as u32),
        a if a & 0xff00 == 0x8100 => Action::Replicate(a as u8),
        a if a & 0xff00 == 0x8200 => Action::Promote(a as u8),
        a if a & 0xff00 == 0x8300 => Action::Restart(a as u8),
        a if a & 0xff00 == 0x8400 => Action::Thread((a & 0x1f) as usize, ((a >> 5) & 0x7) as u8),
        a if a & 0x4000 != 0 => Action::Crash((a & 0x3fff) as usize),
        a => Action::Step(a as usize),
    }
}

/// The parent of the start state.
pub(crate) const ROOT: u32 = u32::MAX;

/// Every state reached, as its parts' ids, with how it was first reached.
pub(crate) struct Visited {
    pub(crate) parts: Parts,
    keys: Column<u32>,
    parents: Column<u32>,
    actions: Column<u16>,
    /// `level_starts[d]`: the index of the first state at depth `d` (BFS adds states in order
    /// of depth).
    level_starts: Vec<u32>,
    table: HashTable<u32>,
    len: u32,
}

impl Visited {
    pub(crate) fn new(clients: usize) -> Self {
        Visited {
            parts: Parts::new(clients),
            keys: Column::new(clients + 1),
            parents: Column::new(1),
            actions: Column::new(1),
            level_starts: Vec::new(),
            table: HashTable::new(),
            len: 0,
        }
    }

    /// Width of a key: one id per part.
    pub(crate) fn key_len(&self) -> usize {
        self.keys.width
    }

    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    pub(crate) fn contains(&self, key: &[u32]) -> bool {
        let keys = &self.keys;
        self.table
            .find(hash_ids(key), |&i| keys.get(i) == key)
            .is_some()
    }

    /// Adds the state `key`, reached from `parent` by `action` at `depth`, if it is new; its
    /// index then. Depths must not decrease from one insertion to the next.
    pub(crate) fn insert(
        &mut self,
        key: &[u32],
        parent: u32,
        action: Action,
        depth: usize,
    ) -> Option<u32> {
        let h = hash_ids(key);
        let keys = &self.keys;
        if self.table.find(h, |&i| keys.get(i) == key).is_some() {
            return None;
        }
        let idx = self.len;
        assert!(idx < ROOT, "more states than a u32 indexes");
        self.keys.push(key);
        self.parents.push(&[parent]);
        self.actions.push(&[pack(action)]);
        while self.level_starts.len() <= depth {
            self.level_starts.push(idx);
        }
        self.len += 1;
        let keys = &self.keys;
        self.table.insert_unique(h, idx, |&i| hash_ids(keys.get(i)));
        Some(idx)
    }

    pub(crate) fn key(&self, idx: u32) -> &[u32] {
        self.keys.get(idx)
    }

    pub(crate) fn depth(&self, idx: u32) -> usize {
        self.level_starts.partition_point(|&s| s <= idx) - 1
    }

    /// The actions from the start to state `idx`.
    pub(crate) fn path_to(&self, mut idx: u32) -> Vec<Action> {
        let mut path = Vec::new();
        while self.parents.get(idx)[0] != ROOT {
            path.push(unpack(self.actions.get(idx)[0]));
            idx = self.parents.get(idx)[0];
        }
        path.reverse();
        path
    }
}
