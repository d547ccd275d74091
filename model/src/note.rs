//! The typed history's notes: what happened in a step besides the client's command, reply and
//! stated events. The model, the nemesis and the live executor write them; the renderers
//! (text, swimlane, Mermaid, the Explorer) print them with [`fmt::Display`] and find the
//! violation by its variant, never by matching text. In JSON (trace format version 2) a note
//! is an object tagged by `note` (`{"note": "expired", "key": "lock:res"}`); a version-1 note
//! was its display text, and [`Note::from_v1`] reads it back.

use crate::command::Command;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// One thing that happened in a step. Clients are named as in [`crate::trace::Step::client`]
/// (A, B, …); servers and replicas by index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum Note {
    /// `key` passed its deadline at this tick (on server `server` when the row has several).
    Expired {
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server: Option<usize>,
    },
    /// `client`'s blocking pop (BLPOP, BLMOVE) reached its timeout.
    TimedOut { client: String },
    /// `client`'s parked blocking pop was served by this step's command.
    Served { client: String },
    /// `client`'s command parked its connection.
    Blocks { client: String },
    /// `client`, waiting on a subscribed connection, was sent a pub/sub message.
    ServedMessage { client: String },
    /// `client` parked its subscribed connection to wait for a message.
    WaitsForMessage { client: String },
    /// `client`'s wait for a message reached its timeout: it stops waiting.
    StopsWaiting { client: String },
    /// `client` still believes it holds the lock, and its lease ended at this tick.
    LeaseRanOut { client: String },
    /// `client` crashed: its connections closed.
    Crashed { client: String },
    /// `by`'s command removed the lock holding `owner`'s token.
    ForeignRelease { by: String, owner: String },
    /// The command is one the model does not implement: the check stops.
    Unmodelled { command: String },
    /// Replica `replica` (index) applied the primary's write number `write`.
    Replicated { replica: usize, write: u64 },
    /// The primary failed; replica `replica` (index), at write `had` of `head`, was promoted.
    Promoted { replica: usize, had: u64, head: u64 },
    /// Server `server` restarted empty.
    Restarted { server: usize },
    /// The row's property fails here, for the reason `message`.
    Violated { property: String, message: String },
    /// Live: the command went out with its time arguments scaled, as `command`.
    LiveSentAs { command: Vec<String> },
    /// Live: `command`, which the model parks, was answered at once.
    LiveAnsweredAtOnce { command: String },
    /// Live: `client`'s command is still blocked on the server; there was nothing to read.
    LiveStillBlocked { client: String },
    /// Live: `client` had crashed (or finished) and the schedule stepped it.
    LiveNothingToDo { client: String, crashed: bool },
    /// Live: `key` had no expiry on the server though the model expires it at `t` (s).
    LiveNoExpiry { key: String, t: u64 },
    /// Live: replica `replica` (index) was released to the primary's stream and is in sync.
    LiveReplicated { replica: usize, write: u64 },
    /// Live: the primary was killed and replica `replica` (index) promoted.
    LivePromoted { replica: usize, had: u64, head: u64 },
    /// Live: server `server` was killed and started again, empty, on its port.
    LiveRestarted { server: usize },
    /// Live: `client`'s parked command lost its connection to a replaced server.
    LiveConnectionLost { client: String },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Expired { key, server: None } => write!(f, "{key} expires"),
            Note::Expired {
                key,
                server: Some(s),
            } => write!(f, "{key} expires on server {s}"),
            Note::TimedOut { client } => write!(f, "{client}'s BLPOP times out"),
            Note::Served { client } => write!(f, "{client}'s BLPOP is served"),
            Note::Blocks { client } => write!(f, "{client} blocks"),
            Note::ServedMessage { client } => write!(f, "{client} is served a message"),
            Note::WaitsForMessage { client } => write!(f, "{client} waits for a message"),
            Note::StopsWaiting { client } => write!(f, "{client} stops waiting for a message"),
            Note::LeaseRanOut { client } => write!(f, "{client}'s lease runs out"),
            Note::Crashed { client } => write!(f, "{client} crashes; its connections close"),
            Note::ForeignRelease { by, owner } => write!(f, "{by} removes {owner}'s lock"),
            Note::Unmodelled { command } => write!(f, "the model does not implement {command}"),
            Note::Replicated { replica, write } => {
                write!(f, "replica {} applies write {write}", replica + 1)
            }
            Note::Promoted { replica, had, head } => write!(
                f,
                "the primary fails; replica {} (at write {had} of {head}) is promoted, every \
                 connection moves to it, the other replicas resync from it (renumbered from 1)",
                replica + 1
            ),
            Note::Restarted { server } => write!(
                f,
                "server {server} restarts empty (no persistence); its connections close"
            ),
            Note::Violated { property, message } => write!(f, "{property} violated: {message}"),
            Note::LiveSentAs { command } => {
                write!(f, "live: sent as {}", Command(command.clone()))
            }
            Note::LiveAnsweredAtOnce { command } => {
                write!(f, "live: {command} answered at once (the model blocks)")
            }
            Note::LiveStillBlocked { client } => write!(
                f,
                "live: {client}'s command is still blocked on the server; nothing to read"
            ),
            Note::LiveNothingToDo { client, crashed } => write!(
                f,
                "live: {client} has {}; nothing to do",
                if *crashed { "crashed" } else { "finished" }
            ),
            Note::LiveNoExpiry { key, t } => write!(
                f,
                "live: {key} has no expiry on the server, but the model expires it at t={t}s"
            ),
            Note::LiveReplicated { replica, write } => write!(
                f,
                "replica {} applies write {write}: REPLICAOF the primary, in sync",
                replica + 1
            ),
            Note::LivePromoted { replica, had, head } => write!(
                f,
                "the primary is killed; replica {} (at write {had} of {head}) gets REPLICAOF NO \
                 ONE, every connection moves to it, the other replicas follow it",
                replica + 1
            ),
            Note::LiveRestarted { server } => write!(
                f,
                "server {server} is killed and starts again empty on its port; its connections close"
            ),
            Note::LiveConnectionLost { client } => {
                write!(f, "live: {client}'s parked command loses its connection")
            }
        }
    }
}

impl Note {
    /// Whether this is the violation note.
    pub fn is_violation(&self) -> bool {
        matches!(self, Note::Violated { .. })
    }

    /// Reads a version-1 note (its display text) back into a note; `None` for text no
    /// variant prints (and for `live: sent as …`, whose text does not keep the arguments).
    pub fn from_v1(text: &str) -> Option<Note> {
        let client = |s: &str| -> Option<String> {
            let ok = !s.is_empty()
                && s.starts_with(|c: char| c.is_ascii_uppercase())
                && s[1..].chars().all(|c| c.is_ascii_digit());
            ok.then(|| s.to_string())
        };
        if let Some(rest) = text.strip_prefix("live: ") {
            if let Some(c) = rest
                .strip_suffix("'s command is still blocked on the server; nothing to read")
                .and_then(client)
            {
                return Some(Note::LiveStillBlocked { client: c });
            }
            if let Some(command) = rest.strip_suffix(" answered at once (the model blocks)") {
                return Some(Note::LiveAnsweredAtOnce {
                    command: command.to_string(),
                });
            }
            for (tail, crashed) in [
                (" has crashed; nothing to do", true),
                (" has finished; nothing to do", false),
            ] {
                if let Some(c) = rest.strip_suffix(tail).and_then(client) {
                    return Some(Note::LiveNothingToDo { client: c, crashed });
                }
            }
            let (key, t) =
                rest.split_once(" has no expiry on the server, but the model expires it at t=")?;
            let t = t.strip_suffix('s')?.parse().ok()?;
            return Some(Note::LiveNoExpiry {
                key: key.to_string(),
                t,
            });
        }
        if let Some(rest) = text.strip_prefix("the primary fails; replica ") {
            let (replica, rest) = rest.split_once(" (at write ")?;
            let (had, rest) = rest.split_once(" of ")?;
            let (head, rest) = rest.split_once(") is promoted")?;
            let note = Note::Promoted {
                replica: replica.parse::<usize>().ok()?.checked_sub(1)?,
                had: had.parse().ok()?,
                head: head.parse().ok()?,
            };
            return (rest.is_empty() || note.to_string() == text).then_some(note);
        }
        if let Some(rest) = text.strip_prefix("replica ") {
            let (replica, write) = rest.split_once(" applies write ")?;
            return Some(Note::Replicated {
                replica: replica.parse::<usize>().ok()?.checked_sub(1)?,
                write: write.parse().ok()?,
            });
        }
        if let Some(rest) = text.strip_prefix("server ") {
            let s = rest.strip_suffix(" restarts empty (no persistence); its connections close")?;
            return Some(Note::Restarted {
                server: s.parse().ok()?,
            });
        }
        if let Some(command) = text.strip_prefix("the model does not implement ") {
            return Some(Note::Unmodelled {
                command: command.to_string(),
            });
        }
        type Make = fn(String) -> Note;
        let by_client: [(&str, Make); 5] = [
            ("'s BLPOP times out", |client| Note::TimedOut { client }),
            ("'s BLPOP is served", |client| Note::Served { client }),
            (" blocks", |client| Note::Blocks { client }),
            ("'s lease runs out", |client| Note::LeaseRanOut { client }),
            (" crashes; its connections close", |client| Note::Crashed {
                client,
            }),
        ];
        for (tail, make) in by_client {
            if let Some(c) = text.strip_suffix(tail).and_then(client) {
                return Some(make(c));
            }
        }
        if let Some((by, owner)) = text
            .strip_suffix("'s lock")
            .and_then(|t| t.split_once(" removes "))
        {
            if let (Some(by), Some(owner)) = (client(by), client(owner)) {
                return Some(Note::ForeignRelease { by, owner });
            }
        }
        if let Some((property, message)) = text.split_once(" violated: ") {
            let named = !property.is_empty() && !property.contains(' ');
            return named.then(|| Note::Violated {
                property: property.to_string(),
                message: message.to_string(),
            });
        }
        if let Some(rest) = text.strip_suffix(" expires") {
            return Some(Note::Expired {
                key: rest.to_string(),
                server: None,
            });
        }
        let (key, s) = text.rsplit_once(" expires on server ")?;
        Some(Note::Expired {
            key: key.to_string(),
            server: Some(s.parse().ok()?),
        })
    }
}

/// Reads a step's notes in either format: version 2's tagged objects, or version 1's text
/// (read back with [`Note::from_v1`]; text no note prints is an error that quotes it).
pub(crate) fn deserialize_notes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Note>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Typed(Note),
    }
    let raw: Vec<serde_json::Value> = Vec::deserialize(d)?;
    raw.into_iter()
        .map(|v| match serde_json::from_value::<Either>(v.clone()) {
            Ok(Either::Typed(n)) => Ok(n),
            Ok(Either::Text(t)) => Note::from_v1(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "the note {t:?} (trace format version 1) is not one this build can read"
                ))
            }),
            Err(_) => Err(serde::de::Error::custom(format!(
                "not a note: {v} (expected an object with a \"note\" field, or a version-1 note's text)"
            ))),
        })
        .collect()
}
