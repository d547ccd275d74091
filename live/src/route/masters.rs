//! One control connection per master of a server (one for every backend but `cluster3`):
//! what the executor and the conformance runner use to read keys where they live, to list and
//! kill clients on each master, and to read the whole keyspace. CLIENT LIST is read here, and
//! only here ([`Masters::clients`]): the executor and the conformance runner ask it whether a
//! connection is parked, what it last ran, whether it is subscribed.

use super::{node_of_key, redis_err};
use crate::{LiveError, LiveServer};

/// One connection as a master's CLIENT LIST shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListedClient {
    /// Its CLIENT ID.
    pub id: i64,
    /// `flags` holds `b`: parked on a blocking command.
    pub blocked: bool,
    /// `cmd`: the last command it ran, lower case (`blpop`, `client|id`, …).
    pub cmd: String,
    /// `sub`: how many channels it is subscribed to.
    pub subscriptions: u64,
}

/// Parses CLIENT LIST's reply: one [`ListedClient`] per line that has an `id=`.
pub fn parse_client_list(list: &str) -> Vec<ListedClient> {
    list.lines()
        .filter_map(|line| {
            let mut c = ListedClient::default();
            let mut id = None;
            for f in line.split_whitespace() {
                if let Some(v) = f.strip_prefix("id=") {
                    id = v.parse().ok();
                } else if let Some(flags) = f.strip_prefix("flags=") {
                    c.blocked = flags.contains('b');
                } else if let Some(cmd) = f.strip_prefix("cmd=") {
                    c.cmd = cmd.to_string();
                } else if let Some(n) = f.strip_prefix("sub=") {
                    c.subscriptions = n.parse().unwrap_or(0);
                }
            }
            c.id = id?;
            Some(c)
        })
        .collect()
}

/// One control connection per master (reading keys, CLIENT LIST, clean-up).
pub struct Masters {
    cons: Vec<redis::Connection>,
}

impl Masters {
    /// Connects to every master of `server`.
    pub fn open(server: &LiveServer) -> Result<Self, LiveError> {
        let mut cons = Vec::new();
        for i in 0..server.masters() {
            let con = server.connect_node(i)?;
            con.set_read_timeout(Some(crate::executor::REPLY_TIMEOUT))
                .map_err(|e| redis_err("setting a read timeout", e))?;
            cons.push(con);
        }
        Ok(Masters { cons })
    }

    /// How many masters.
    pub fn len(&self) -> usize {
        self.cons.len()
    }

    /// Never: a server has at least one master.
    pub fn is_empty(&self) -> bool {
        self.cons.is_empty()
    }

    /// Master `n`'s control connection.
    pub fn node(&mut self, n: usize) -> &mut redis::Connection {
        &mut self.cons[n]
    }

    /// The control connection of the master that owns `key`.
    pub fn for_key(&mut self, key: &str) -> &mut redis::Connection {
        let n = node_of_key(key, self.cons.len());
        &mut self.cons[n]
    }

    /// Every master's control connection.
    pub fn all(&mut self) -> &mut [redis::Connection] {
        &mut self.cons
    }

    /// Master `n`'s CLIENT LIST.
    pub fn clients(&mut self, n: usize) -> Result<Vec<ListedClient>, LiveError> {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(&mut self.cons[n])
            .map_err(|e| redis_err("reading CLIENT LIST", e))?;
        Ok(parse_client_list(&list))
    }

    /// Connection `id` on master `n`, as its CLIENT LIST shows it (`None`: not listed).
    pub fn client(&mut self, n: usize, id: i64) -> Result<Option<ListedClient>, LiveError> {
        Ok(self.clients(n)?.into_iter().find(|c| c.id == id))
    }

    /// `KEYS pattern` over every master.
    pub fn keys(&mut self, pattern: &str) -> Result<Vec<String>, LiveError> {
        let mut out = Vec::new();
        for con in &mut self.cons {
            let ks: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query(con)
                .map_err(|e| redis_err("KEYS", e))?;
            out.extend(ks);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_list_lines_as_7_0_15_prints_them() {
        // Read off redis-server 7.0.15: a parked BLPOP, a subscriber, the CLIENT LIST itself.
        let list = "id=3 addr=127.0.0.1:42200 laddr=127.0.0.1:6398 fd=8 name= age=0 idle=0 flags=b db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=20474 argv-mem=7 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22303 events=r cmd=blpop user=default redir=-1 resp=2\n\
id=4 addr=127.0.0.1:42212 laddr=127.0.0.1:6398 fd=9 name= age=0 idle=0 flags=P db=0 sub=1 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22328 events=r cmd=subscribe user=default redir=-1 resp=2\n\
id=5 addr=127.0.0.1:42224 laddr=127.0.0.1:6398 fd=11 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|list user=default redir=-1 resp=2\n";
        let got = parse_client_list(list);
        let want = |id, blocked, cmd: &str, subscriptions| ListedClient {
            id,
            blocked,
            cmd: cmd.into(),
            subscriptions,
        };
        assert_eq!(
            got,
            vec![
                want(3, true, "blpop", 0),
                want(4, false, "subscribe", 1),
                want(5, false, "client|list", 0),
            ]
        );
        assert!(parse_client_list("").is_empty());
    }
}
