//! A world's parts, each distinct one stored once: a state is the tuple of its parts' ids
//! (see the module doc of [`crate::store`]).

use crate::recipe::Input;
use crate::server::{ConnId, ConnState, KeyMap, Server};
use crate::shared::Shared;
use crate::world::{ClientState, Noted, World};
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

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
    /// Shared with the worlds decoded from it: an unchanged client compares by address.
    state: Shared<ClientState>,
    conns: Vec<(u8, Shared<ConnState>)>,
}

/// Each client's connections in turn, in one pass over the server's (ordered by client).
struct ByClient<'a> {
    rest: &'a [(ConnId, Shared<ConnState>)],
}

type Conns<'a> = std::slice::Iter<'a, (ConnId, Shared<ConnState>)>;

impl<'a> ByClient<'a> {
    fn new(server: &'a Server) -> Self {
        ByClient {
            rest: server.conns.as_slice(),
        }
    }

    /// Client `i`'s connections; clients are asked for in order, from 0.
    fn of(&mut self, i: usize) -> Conns<'a> {
        let count = self
            .rest
            .iter()
            .take_while(|(c, _)| c.client as usize == i)
            .count();
        let (mine, rest) = self.rest.split_at(count);
        self.rest = rest;
        mine.iter()
    }
}

/// Whether `server` has connections of no client of the system (a look at its last one).
fn has_strays(server: &Server, n: usize) -> bool {
    server
        .conns
        .last()
        .is_some_and(|(c, _)| c.client as usize >= n)
}

/// Connections of no client of the system (none in practice; kept so nothing is lost).
fn stray_conns(server: &Server, n: usize) -> Conns<'_> {
    let lo = ConnId {
        client: n as u8,
        slot: 0,
    };
    server.conns.from(&lo).iter()
}

/// The counted references that keep the parts' pieces alive while the store hands out
/// borrowed copies of them (see [`Shared::borrowed`]): one per piece the store took from a
/// world, kept unwritten until the store is dropped.
#[derive(Default)]
struct Owners {
    states: Vec<Shared<ClientState>>,
    conns: Vec<Shared<ConnState>>,
    keys: Vec<Shared<KeyMap>>,
    scripts: Vec<Shared<BTreeSet<String>>>,
    /// The pieces inside a client's and a connection's state, lent too: copying a lent
    /// state (a step writing it) then counts no reference either.
    trails: Vec<Shared<Vec<Input>>>,
    histories: Vec<Shared<Vec<Noted>>>,
    watched: Vec<Shared<BTreeSet<String>>>,
}

impl Owners {
    /// A client state to store: lent, and its trail and history lent inside it (a state
    /// that is lent already was stored so).
    fn lend_state(&mut self, state: &Shared<ClientState>) -> Shared<ClientState> {
        if state.is_lent() {
            return state.clone();
        }
        let mut lent = ClientState::clone(state);
        lent.local.trail = keep(&mut self.trails, &state.local.trail);
        lent.history = keep(&mut self.histories, &state.history);
        keep(&mut self.states, &Shared::new(lent))
    }

    /// A connection state to store: lent, its WATCHed keys lent inside it.
    fn lend_conn(&mut self, conn: &Shared<ConnState>) -> Shared<ConnState> {
        if conn.is_lent() {
            return conn.clone();
        }
        let mut lent = ConnState::clone(conn);
        lent.watched = keep(&mut self.watched, &conn.watched);
        keep(&mut self.conns, &Shared::new(lent))
    }
}

/// A borrowed copy of `piece` to store in a part, its allocation kept alive by `owners`
/// (a piece that is already a borrowed copy is kept alive by whoever lent it: the store).
fn keep<T>(owners: &mut Vec<Shared<T>>, piece: &Shared<T>) -> Shared<T> {
    owners.push(piece.clone());
    // SAFETY: `owners` keeps a counted reference (or, for a borrowed piece, the store's own
    // owner does) until the store is dropped, and nothing writes through it; every world
    // holding a borrowed copy is dropped before the store (`Parts::decode`'s contract).
    unsafe { piece.borrowed() }
}

/// The interned parts of every world the search has seen.
///
/// The parts hold their [`Shared`] pieces (client states, connection states, the keyspace,
/// the script cache) as borrowed copies, and [`Parts::decode`] hands those out: decoding a
/// world, cloning it for each successor and dropping it count no references. **Contract**: a
/// world decoded from a `Parts` (and anything cloned from it) is dropped before the `Parts`
/// — the search's worlds live within one expansion or merge, the `Parts` for the whole search.
pub(crate) struct Parts {
    clients: usize,
    globals: Interner<World>,
    slices: Interner<Slice>,
    owners: Owners,
}

impl Parts {
    pub(crate) fn new(clients: usize) -> Self {
        assert!(clients < u8::MAX as usize, "client index fits a ConnId");
        Parts {
            clients,
            globals: Interner::new(),
            slices: Interner::new(),
            owners: Owners::default(),
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

    /// The global part as a value: `w` without clients and without their connections, its
    /// keyspace and script cache borrowed.
    fn global_value(&mut self, w: &World) -> World {
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
                keys: keep(&mut self.owners.keys, keys),
                conns: stray_conns(server, self.clients).cloned().collect(),
                waiters: waiters.clone(),
                scripts: keep(&mut self.owners.scripts, scripts),
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

    fn slice_value(owners: &mut Owners, state: &Shared<ClientState>, conns: Conns<'_>) -> Slice {
        Slice {
            state: owners.lend_state(state),
            conns: conns.map(|(c, s)| (c.slot, owners.lend_conn(s))).collect(),
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
            if Self::slice_held(
                state,
                conns.clone(),
                &self.slices.values[near[i + 1] as usize],
            ) {
                key[i + 1] = near[i + 1];
                continue;
            }
            // Changed (or equal in another allocation): the table compares hashes first, so a
            // changed slice is not compared field by field with the near one.
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
                stray_conns(server, self.clients).eq(g.server.conns.as_slice().iter())
            } else {
                g.server.conns.is_empty()
            }
    }

    /// Whether client `i`'s slice of `w` holds the very allocations of `s` (then it is `s`):
    /// what a step leaves alone, found without comparing values.
    fn slice_held(state: &Shared<ClientState>, conns: Conns<'_>, s: &Slice) -> bool {
        Shared::ptr_eq(state, &s.state)
            && conns.len() == s.conns.len()
            && conns
                .zip(&s.conns)
                .all(|((c, st), (slot, sst))| c.slot == *slot && Shared::ptr_eq(st, sst))
    }

    /// Whether client `i`'s slice of `w` is `s` (compared exactly).
    fn slice_is(state: &Shared<ClientState>, conns: Conns<'_>, s: &Slice) -> bool {
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
                None => {
                    let v = Self::slice_value(&mut self.owners, state, conns);
                    self.slices.insert(h, v)
                }
            };
        }
    }

    /// The world whose parts are `key`: exactly the world the key was made from. Its pieces
    /// are borrowed from the store: the world must be dropped before `self` is (see
    /// [`Parts`]).
    pub(crate) fn decode(&self, key: &[u32]) -> World {
        let mut w = self.globals.values[key[0] as usize].clone();
        w.clients.reserve_exact(self.clients);
        let strays = std::mem::take(&mut w.server.conns);
        let mut conns: usize = key[1..]
            .iter()
            .map(|&s| self.slices.values[s as usize].conns.len())
            .sum();
        conns += strays.len();
        w.server.conns.reserve(conns);
        for (i, &s) in key[1..].iter().enumerate() {
            let slice = &self.slices.values[s as usize];
            w.clients.push(slice.state.clone());
            for (slot, state) in &slice.conns {
                let id = ConnId {
                    client: i as u8,
                    slot: *slot,
                };
                w.server.conns.push_last(id, state.clone());
            }
        }
        for (id, state) in strays {
            w.server.conns.push_last(id, state);
        }
        w
    }
}
