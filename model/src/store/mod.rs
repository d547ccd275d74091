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

mod parts;
mod table;
mod visited;

pub(crate) use parts::Parts;
pub(crate) use table::Table;
pub(crate) use visited::{hash_ids, same_ids, Batch, Visited, ROOT};
