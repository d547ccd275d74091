//! The search's visited set, collapse-compressed: every state reached, exactly, in a few
//! bytes, with how it was first reached.
//!
//! A world is split into *parts*: one global part (the keyspace, the BLPOP queue, the script
//! cache, the clock, the crash count, the foreign release) and one slice per client (its
//! program state and beliefs, and its connections' server-side state, without its index).
//! Each distinct part is stored once, in an [`Interner`], under its canonical byte encoding
//! (what its `Hash` implementation feeds a hasher: collections write their length, strings a
//! terminator byte that UTF-8 never contains, enums their discriminant, so the encoding is
//! prefix-free and equal encodings mean equal values). A state is then the tuple of its
//! parts' ids — `clients + 1` integers, 24 bytes for 5 clients — and the visited set stores
//! only that tuple, its parent and its action.
//!
//! **No collision can merge two states.** Hashes only choose where to look: a part is found
//! only if its full encoding compares equal, a state only if its whole id tuple does. The
//! split loses nothing: [`Parts::decode`] rebuilds the exact world from its tuple (every field
//! of `World` and `Server` is named in an exhaustive destructuring below, so a field added
//! later fails to compile here instead of being silently left out). The frontier is therefore
//! just a range of state indices: a world is rebuilt from its tuple when it is expanded.

use crate::server::{ConnId, ConnState, Server};
use crate::shared::Shared;
use crate::system::Action;
use crate::world::{ClientState, World};
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// Appends a value's canonical encoding to a buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl Hasher for Bytes<'_> {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    // The fixed-width writes as fixed-size copies (the defaults call `write`, a memmove).
    fn write_u8(&mut self, i: u8) {
        self.0.push(i);
    }
    fn write_u16(&mut self, i: u16) {
        self.0.extend_from_slice(&i.to_ne_bytes());
    }
    fn write_u32(&mut self, i: u32) {
        self.0.extend_from_slice(&i.to_ne_bytes());
    }
    fn write_u64(&mut self, i: u64) {
        self.0.extend_from_slice(&i.to_ne_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.0.extend_from_slice(&i.to_ne_bytes());
    }
    fn write_i64(&mut self, i: i64) {
        self.0.extend_from_slice(&i.to_ne_bytes());
    }
    fn write_isize(&mut self, i: isize) {
        self.0.extend_from_slice(&i.to_ne_bytes());
    }
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}

fn hash_ids(ids: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    for &i in ids {
        h.write_u32(i);
    }
    h.finish()
}

/// Distinct values, each stored once with its encoding; ids are dense and never change.
struct Interner<T> {
    values: Vec<T>,
    bytes: Vec<u8>,
    /// `ends[i]`: where value `i`'s encoding ends in `bytes`.
    ends: Vec<usize>,
    table: HashTable<u32>,
}

impl<T> Interner<T> {
    fn new() -> Self {
        Interner {
            values: Vec::new(),
            bytes: Vec::new(),
            ends: Vec::new(),
            table: HashTable::new(),
        }
    }

    fn enc(&self, i: u32) -> &[u8] {
        enc_of(&self.bytes, &self.ends, i)
    }

    fn find(&self, encoded: &[u8]) -> Option<u32> {
        let h = hash_bytes(encoded);
        self.table.find(h, |&i| self.enc(i) == encoded).copied()
    }

    /// Adds `value` (whose encoding is `encoded`, not yet present) and returns its id.
    fn insert(&mut self, encoded: &[u8], value: T) -> u32 {
        let id = self.values.len() as u32;
        self.bytes.extend_from_slice(encoded);
        self.ends.push(self.bytes.len());
        self.values.push(value);
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table.insert_unique(hash_bytes(encoded), id, |&i| {
            hash_bytes(enc_of(bytes, ends, i))
        });
        id
    }
}

fn enc_of<'a>(bytes: &'a [u8], ends: &[usize], i: u32) -> &'a [u8] {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

/// One client's slice of a world, without the client's index.
struct Slice {
    state: ClientState,
    conns: Vec<(u8, Shared<ConnState>)>,
}

fn client_conns(
    server: &Server,
    i: usize,
) -> impl Iterator<Item = (&ConnId, &Shared<ConnState>)> + Clone {
    let lo = ConnId {
        client: i as u8,
        slot: 0,
    };
    let hi = ConnId {
        client: i as u8,
        slot: u8::MAX,
    };
    server.conns.range(lo..=hi)
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

    fn encode_global(&self, w: &World, buf: &mut Vec<u8>) {
        buf.clear();
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
        let mut h = Bytes(buf);
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

    fn encode_slice(w: &World, i: usize, buf: &mut Vec<u8>) {
        buf.clear();
        let mut h = Bytes(buf);
        w.clients[i].hash(&mut h);
        let conns = client_conns(&w.server, i);
        conns.clone().count().hash(&mut h);
        for (c, s) in conns {
            c.slot.hash(&mut h);
            s.hash(&mut h);
        }
    }

    fn slice_value(w: &World, i: usize) -> Slice {
        Slice {
            state: w.clients[i].clone(),
            conns: client_conns(&w.server, i)
                .map(|(c, s)| (c.slot, s.clone()))
                .collect(),
        }
    }

    /// Fills `key` with the ids of `w`'s parts; `false` if a part has never been seen (the
    /// key is then incomplete and the world new). `near` is the key of a world `w` is likely
    /// to share parts with (its parent): a part equal to that world's is taken by comparing
    /// values, without encoding it.
    pub(crate) fn find_key(
        &self,
        w: &World,
        near: &[u32],
        buf: &mut Vec<u8>,
        key: &mut [u32],
    ) -> bool {
        if self.global_is(w, near[0]) {
            key[0] = near[0];
        } else {
            self.encode_global(w, buf);
            let Some(g) = self.globals.find(buf) else {
                return false;
            };
            key[0] = g;
        }
        for i in 0..self.clients {
            if self.slice_is(w, i, near[i + 1]) {
                key[i + 1] = near[i + 1];
                continue;
            }
            Self::encode_slice(w, i, buf);
            let Some(s) = self.slices.find(buf) else {
                return false;
            };
            key[i + 1] = s;
        }
        true
    }

    /// Whether `w`'s global part is the interned part `id`.
    fn global_is(&self, w: &World, id: u32) -> bool {
        let g = &self.globals.values[id as usize];
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
            && stray_conns(server, self.clients).eq(g.server.conns.iter())
    }

    /// Whether client `i`'s slice of `w` is the interned slice `id`.
    fn slice_is(&self, w: &World, i: usize, id: u32) -> bool {
        let s = &self.slices.values[id as usize];
        w.clients[i] == s.state
            && client_conns(&w.server, i)
                .map(|(c, st)| (c.slot, st))
                .eq(s.conns.iter().map(|(slot, st)| (*slot, st)))
    }

    /// Fills `key` with the ids of `w`'s parts, adding the parts not seen yet.
    pub(crate) fn intern_key(&mut self, w: &World, buf: &mut Vec<u8>, key: &mut [u32]) {
        self.encode_global(w, buf);
        key[0] = match self.globals.find(buf) {
            Some(g) => g,
            None => {
                let v = self.global_value(w);
                self.globals.insert(buf, v)
            }
        };
        for i in 0..self.clients {
            Self::encode_slice(w, i, buf);
            key[i + 1] = match self.slices.find(buf) {
                Some(s) => s,
                None => self.slices.insert(buf, Self::slice_value(w, i)),
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
    }
}

fn unpack(a: u16) -> Action {
    match a {
        0x8000 => Action::Tick,
        a if a & 0xc000 == 0xc000 => Action::Choose((a & 0x1f) as usize, ((a >> 5) & 0x1ff) as u32),
        a if a & 0xff00 == 0x8100 => Action::Replicate(a as u8),
        a if a & 0xff00 == 0x8200 => Action::Promote(a as u8),
        a if a & 0xff00 == 0x8300 => Action::Restart(a as u8),
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
