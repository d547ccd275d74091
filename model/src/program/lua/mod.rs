//! Recipe files in Lua: a scenario, its variants as sequential programs, and properties, in
//! one file that people who do not write Rust can bring (`redis-races check my_lock.lua`).
//!
//! ```lua
//! scenario { name = "my-counter", keys = { counter = "0" }, clients = 2,
//!            params = { retries = 1 }, faults = { "none", "crash" },
//!            properties = { "no-lost-update", "never-negative" } }
//!
//! variant("watch-retry", function(c)
//!   for attempt = 0, c.params.retries do
//!     c:call("WATCH", "counter")
//!     local v = tonumber(c:call("GET", "counter")) or 0
//!     c:call("MULTI")
//!     c:call("SET", "counter", v + 1)
//!     if c:call("EXEC") ~= nil then c:committed(1) return end
//!   end
//!   c:gave_up()
//! end)
//!
//! property("never-negative", "always", function(w)
//!   return (tonumber(w.keys.counter) or 0) >= 0
//! end)
//! ```
//!
//! The contract (stable; later versions add to it):
//! - `scenario{…}` fields: `name` (required), `summary`, `keys` (set before any client runs:
//!   a string or integer, or `{ list = {…} }`, `{ hash = { f = v } }`, `{ zset = { m = score } }`,
//!   `{ string = v }`, each with an optional `px` (ms) or `ex` (s)), `clients` (default 2), or
//!   `roles = { producer = 1, worker = 2 }` (clients named role by role, roles in alphabetical
//!   order), `params = { retries = 1, lease = 1 }`, `faults` (default all: none, crash, pause),
//!   `properties` (names: built-in or declared in the file), `connections` (default
//!   `{ "conn" }`), `subject` (the key built-in properties are about; default: the only key),
//!   `ticks` (clock ticks of one second a run may span, default 0), `history` (the built-in
//!   events each client's history keeps, or `"all"`; named events are always kept). An
//!   unknown field is an error.
//! - `variant(name, function(c) … end [, { summary = …, connections = {…} }])`, or with roles
//!   `variant(name, { producer = function(c) … end, worker = function(c) … end } [, options])`.
//! - The client `c`: `c:call(cmd, args…)` (first connection), `c:call_on(conn, cmd, args…)`,
//!   `c:now()` (ms), `c:sleep(ms)` (a step; wakes once the clock has moved on by `ms` rounded
//!   down to whole ticks), `c:choose(n)` (a step; 0 to n − 1, each explored),
//!   `c:attempts(n, function(attempt) … end)` (a retry loop whose attempts share nothing but
//!   their number: return a value to stop, nil to retry), the events `c:acquired(lease_s)`,
//!   `c:acquired_until(ms)`, `c:enter()`, `c:exit()`, `c:released()`, `c:committed(delta)`,
//!   `c:gave_up()`, `c:event(name, value)` (kept in the history), `c:spawn(name, fn)` (a
//!   second thread on the connection `name`, sharing the variant's variables: `run.rs`), and
//!   `c.token`, `c.role`, `c.params`, `c.is_error(reply)`.
//!   What a step is, when events take effect and what determinism means: [`crate::program`].
//! - `property(name, "always" | "at-end", function(w) … end)` returns `true`, or `false` and a
//!   message; `w` is described in `engine`'s `observation`.
//! - The sandbox has Lua 5.1's base, `string`, `table` and `math` without `random`; no `io`,
//!   `os`, `debug`, `print`, `require`, `load*` or coroutines. A variant must keep its state in
//!   its own locals: nothing may survive from one run to the next (file-level variables that
//!   a variant changes break determinism). `pcall` around `c:call` is not supported.

mod declared;
mod engine;
mod presets;
mod run;
mod scenario;

pub use scenario::{load, load_source};

use crate::program::{Client, Flow, Program};
use std::sync::Arc;

/// A recipe file's text, as loaded (each thread builds its own Lua state from it).
#[derive(Debug)]
pub struct LuaFile {
    pub path: String,
    pub source: String,
    /// Identifies the text among loaded files (per-thread engines are keyed by it).
    id: u64,
}

impl LuaFile {
    pub fn new(path: &str, source: String) -> LuaFile {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut h);
        source.hash(&mut h);
        LuaFile {
            path: path.to_string(),
            source,
            id: h.finish(),
        }
    }
}

/// One variant of a recipe file, as a program.
#[derive(Debug)]
pub struct LuaProgram {
    file: Arc<LuaFile>,
    variant: String,
    /// The role whose function this is, in a scenario with roles.
    role: Option<&'static str>,
    connections: &'static [&'static str],
}

impl Program for LuaProgram {
    fn connections(&self) -> &'static [&'static str] {
        self.connections
    }

    fn run(&self, c: &mut Client) -> Flow {
        match engine::with_engine(&self.file, |e| {
            run::run_variant(e, &self.variant, self.role, c)
        }) {
            Ok(flow) => flow,
            Err(why) => {
                c.broken(why);
                Err(crate::program::client::stop())
            }
        }
    }
}
