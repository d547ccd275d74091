//! The subject key (the lock, the counter, the stock) step by step, derived from a trace's
//! commands alone: they are replayed against a fresh model server, so a trace recorded on a
//! live server gets the same notes as one the model produced.

use model::command::{quote_arg, Command};
use model::server::{ConnId, Server, Value};
use model::system::bound_server;
use model::trace::{StepKind, Trace};
use std::collections::BTreeMap;

/// Per step, the subject key's change (`lock:res: A → (none)`), if it changed. When the replay
/// answers a command differently from the trace (a live server disagreeing with the model),
/// the notes stop there and that step says so, since later values would be guesses.
pub fn subject_changes(trace: &Trace) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); trace.steps.len()];
    let scenario_name = trace.row.split('/').next().unwrap_or_default();
    let Some(scenario) = model::catalogue::all()
        .into_iter()
        .find(|s| s.name == scenario_name)
    else {
        return out;
    };
    let subject = scenario.subject;
    let mut server = Server::default();
    for (k, v) in &scenario.setup {
        v.apply_to(&mut server, k);
    }
    // Connection slots by (client, connection name), in order of first use.
    let mut slots: BTreeMap<(u8, String), u8> = BTreeMap::new();
    // A string as redis-cli would type it; a list, hash or sorted set as the model describes it.
    let value = |s: &Server| match s.keys.get(subject).map(|e| &e.value) {
        Some(Value::Str(v)) => Some(quote_arg(v)),
        Some(other) => Some(other.describe()),
        None => None,
    };
    for (i, step) in trace.steps.iter().enumerate() {
        let before = value(&server);
        let now = step.time * 1000;
        let client = step.client.as_deref().unwrap_or("?");
        let conn_name = step.connection.as_deref().unwrap_or("?");
        let agrees = match step.kind {
            StepKind::Tick => {
                server.advance(now);
                true
            }
            StepKind::Crash => {
                let c = client_index(client);
                for (_, &slot) in slots
                    .range((c, String::new())..)
                    .take_while(|((k, _), _)| *k == c)
                {
                    server.close(ConnId { client: c, slot });
                }
                true
            }
            // The subject lives on server 0: commands to other servers leave it alone.
            StepKind::Command | StepKind::Receive if bound_server(conn_name) != 0 => true,
            StepKind::Replicate => true,
            StepKind::Restart => {
                if step.server == Some(0) {
                    server = Server::default();
                }
                true
            }
            StepKind::Promote => {
                out[i].push(
                    "(after the promotion the keys are the replica's; key notes stop here)"
                        .to_string(),
                );
                return out;
            }
            StepKind::Command => {
                let conn = conn_of(client, conn_name, &mut slots);
                let cmd = Command(step.command.clone().unwrap_or_default());
                let got = server.apply(conn, &cmd, now).reply();
                got == step.reply
            }
            StepKind::Receive => {
                let conn = conn_of(client, conn_name, &mut slots);
                // A parked reply, else a `receive`: a message waiting in the inbox, the
                // connection parking (no reply), or the client giving up (nil).
                let got = server
                    .take_served(conn)
                    .or_else(|| match server.receive(conn, None) {
                        model::server::Outcome::Reply(r) => Some(r),
                        _ if step.reply.is_some() => {
                            server.give_up_receiving(conn);
                            Some(model::Reply::Nil)
                        }
                        _ => None,
                    });
                got == step.reply
            }
            StepKind::Local => true,
        };
        if !agrees {
            out[i].push(
                "(the model server answers this command differently; key notes stop here)"
                    .to_string(),
            );
            return out;
        }
        let after = value(&server);
        if before != after {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
            out[i].push(format!("{subject}: {} → {}", show(&before), show(&after)));
        }
    }
    out
}

/// The server-side id of `client`'s connection `conn`, numbering each client's connections in
/// order of first use.
fn conn_of(client: &str, conn: &str, slots: &mut BTreeMap<(u8, String), u8>) -> ConnId {
    let c = client_index(client);
    let next = slots.keys().filter(|(k, _)| *k == c).count() as u8;
    let slot = *slots.entry((c, conn.to_string())).or_insert(next);
    ConnId { client: c, slot }
}

/// A = 0, B = 1, … (the inverse of `model::client_name` for the first 26 clients).
fn client_index(name: &str) -> u8 {
    (0..=255u8)
        .find(|&i| model::client_name(i as usize) == name)
        .unwrap_or(255)
}
