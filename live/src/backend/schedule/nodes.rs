//! The live servers a schedule replay drives ([`Nodes`]: one, or a fleet whose master `i` is
//! model server `i`): their control and client connections, waiting for linked replicas,
//! writing the scenario's starting keys, and removing the run's keys afterwards.

use super::wire;
use crate::route::{Masters, RoutedConn};
use crate::{LiveError, LiveFleet, LiveServer};
use model::scenario::Preset;

/// The live servers a run drives: one, or a fleet (model server `i` is master `i`).
pub(crate) enum Nodes<'a> {
    One(&'a LiveServer),
    Fleet(&'a mut LiveFleet),
}

impl Nodes<'_> {
    /// Model server `i`.
    pub(crate) fn server(&self, i: usize) -> &LiveServer {
        match self {
            Nodes::One(s) => s,
            Nodes::Fleet(f) => f.master(i),
        }
    }

    /// The control connections of model server `i` (one per master of it: three on
    /// `cluster3`), with [`crate::executor::REPLY_TIMEOUT`] as their read timeout.
    pub(crate) fn control(&self, i: usize) -> Result<Masters, LiveError> {
        Masters::open(self.server(i))
    }

    /// A client connection to model server `i` named `name` (on `cluster3`, one to each
    /// master, routed by key: [`crate::route`]).
    pub(crate) fn connect(&self, i: usize, name: &str) -> Result<RoutedConn, LiveError> {
        RoutedConn::open(self.server(i), Some(name))
    }

    /// Removes the run's keys from every master (a fleet's replicas follow, or are reset
    /// before the next run).
    pub(crate) fn cleanup(&self) -> Result<(), LiveError> {
        match self {
            Nodes::One(s) => s.cleanup(),
            Nodes::Fleet(f) => (0..f.masters()).try_for_each(|i| f.master(i).cleanup()),
        }
    }

    /// The fleet, for a fault action (`run_schedule` refuses those on one server).
    pub(crate) fn fleet(&mut self) -> &mut LiveFleet {
        match self {
            Nodes::Fleet(f) => f,
            Nodes::One(_) => unreachable!("run_schedule refuses multi-server schedules"),
        }
    }

    /// Waits until every linked replica has the primary's writes (a fleet only).
    pub(crate) fn sync_linked(&self) -> Result<(), LiveError> {
        if let Nodes::Fleet(f) = self {
            for r in 0..f.replicas() {
                if f.is_linked(r) {
                    f.sync(r)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes the scenario's starting keys through `masters` (server 0's control connections):
/// one pipeline per master, each key written where it lives, namespaced and scaled as a
/// client's command would be.
pub(super) fn write_setup(
    masters: &mut Masters,
    setup: &[(String, Preset)],
    prefix: &str,
    tick_ms: u64,
    timed: bool,
) -> Result<(), LiveError> {
    let count = masters.len();
    let mut pipes = vec![(redis::pipe(), false); count];
    for (k, v) in setup {
        let node = crate::route::node_of_key(&format!("{prefix}{k}"), count);
        for command in v.commands(k) {
            let out = wire::outgoing(&command, prefix, tick_ms, timed)
                .map_err(|reason| LiveError::Config { reason })?;
            pipes[node].0.cmd(&out.args[0]).arg(&out.args[1..]).ignore();
            pipes[node].1 = true;
        }
    }
    for (node, (pipe, _)) in pipes.iter().enumerate().filter(|(_, (_, used))| *used) {
        pipe.exec(masters.node(node))
            .map_err(|e| LiveError::redis("writing the scenario's starting keys", e))?;
    }
    Ok(())
}
