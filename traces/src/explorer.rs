//! stateright's Explorer in Redis terms.
//!
//! The Explorer shows an action by its `format_action`, which sees the action alone, and a
//! state by its `Debug`. [`System`]'s own actions say only "A steps", and `World`'s derived
//! `Debug` is a wall of nested structs, so the Explorer runs [`Explore`]: the same system, with
//! each action labelled by the command it sends (`A: SET lock:res A NX EX 1`) and each state
//! carrying a readable view (the property's verdict here, the keyspace, every client's program
//! and beliefs, the server's per-connection state). Labels and views are derived from the
//! world alone, so equality and hashing (and therefore the Explorer's paths) are the world's.

use model::recipe::Op;
use model::scenario::PropertyKind;
use model::system::{Action, System};
use model::trace::StepKind;
use model::world::{Status, World};
use model::Command;
use stateright::Model;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::ToSocketAddrs;
use std::sync::Arc;

/// A world with its readable view (computed once, when the state is made).
#[derive(Clone)]
pub struct Shown {
    pub world: World,
    view: Arc<str>,
}

impl PartialEq for Shown {
    fn eq(&self, other: &Self) -> bool {
        self.world == other.world
    }
}

impl Eq for Shown {}

impl Hash for Shown {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.world.hash(state);
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.view)
    }
}

/// An action with what it does in Redis terms.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Choice {
    pub action: Action,
    pub label: String,
}

impl fmt::Debug for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The system as the Explorer runs it.
pub struct Explore {
    pub system: System,
}

impl Explore {
    fn shown(&self, world: World) -> Shown {
        let view = describe(&self.system, &world).into();
        Shown { world, view }
    }
}

/// What `action` does from `w`, as the Explorer lists it.
pub fn label(system: &System, w: &World, action: Action) -> String {
    let (_, step) = system.step(w, action);
    let who = step.client.clone().unwrap_or_default();
    let many = match action {
        Action::Step(i) | Action::Crash(i) | Action::Choose(i, _) | Action::Thread(i, _) => {
            system.recipe(i).connections().len() > 1
        }
        Action::Tick | Action::Replicate(_) | Action::Promote(_) | Action::Restart(_) => false,
    };
    let conn = match (&step.connection, many) {
        (Some(c), true) => format!("[{c}] "),
        _ => String::new(),
    };
    match step.kind {
        StepKind::Command => format!(
            "{who}: {conn}{}",
            Command(step.command.clone().unwrap_or_default())
        ),
        StepKind::Receive if step.reply.is_none() => format!("{who}: {conn}waits for a message"),
        StepKind::Receive => format!("{who}: {conn}reads its reply"),
        StepKind::Local => match action {
            Action::Choose(_, k) => format!("{who}: chooses {k}"),
            _ => format!("{who}: local step"),
        },
        StepKind::Tick => format!("clock +1s (t={}s)", step.time),
        StepKind::Crash => format!("{who} crashes"),
        StepKind::Replicate | StepKind::Promote | StepKind::Restart => {
            model::render::server_fault(&step)
        }
    }
}

/// The readable view of one world.
pub fn describe(system: &System, w: &World) -> String {
    let p = system.property_def();
    let is_final = system.enabled(w).is_empty();
    let mut out = format!(
        "{}: {} under faults={}\n",
        system.row(),
        p.name,
        system.faults
    );
    let verdict = match system.check(w, is_final) {
        Err(why) => format!("VIOLATED: {why}"),
        Ok(()) if p.kind == PropertyKind::AtEnd && !is_final => {
            "judged when the run ends (not yet)".to_string()
        }
        Ok(()) => "holds here".to_string(),
    };
    out.push_str(&format!("{}: {verdict}\n", p.name));
    out.push_str(&format!(
        "time t={}s (of {}s); crashes {}/{}{}\n",
        w.now / 1000,
        system.bounds.ticks,
        w.crashes,
        system.bounds.crashes,
        if is_final { "; run ended" } else { "" }
    ));
    out.push_str("\nkeys:\n");
    let keys = system.describe_keys(w);
    if keys.is_empty() {
        out.push_str("  (none)\n");
    }
    for k in keys {
        out.push_str(&format!("  {k}\n"));
    }
    out.push_str("\nclients:\n");
    for (i, c) in w.clients.iter().enumerate() {
        let name = model::client_name(i);
        let status = match c.status {
            Status::Running => {
                let mut local = c.local.clone();
                let next = system.recipe(i).next_at(system.ctx(i), &mut local, w.now);
                match next.op {
                    Op::Send { conn, command } => {
                        let conn = if system.recipe(i).connections().len() > 1 {
                            format!("[{}] ", system.connection_name(i, conn))
                        } else {
                            String::new()
                        };
                        format!("next: {conn}{command}")
                    }
                    Op::Receive { conn, .. } => format!(
                        "next: waits for a message on {}",
                        system.connection_name(i, conn)
                    ),
                    Op::Finish => "finishing".to_string(),
                    Op::Sleep { ms } => format!("next: sleeps {ms} ms"),
                    Op::Choose { n } => format!("next: chooses among {n}"),
                }
            }
            Status::Waiting { conn } => format!(
                "waiting for its reply on {}",
                system.connection_name(i, conn as usize)
            ),
            Status::Sleeping { until } => format!("asleep until t={}s", until / 1000),
            Status::Choosing { n } => format!("at a choice among {n}"),
            Status::Done => "done".to_string(),
            Status::Crashed { at } => format!("crashed at t={}s", at / 1000),
        };
        let mut beliefs = Vec::new();
        match c.lease_until {
            Some(Some(until)) if until > w.now => {
                beliefs.push(format!("holds the lock until t={}s", until / 1000))
            }
            Some(Some(until)) => beliefs.push(format!(
                "believes it holds the lock (lease ran out at t={}s)",
                until / 1000
            )),
            Some(None) => beliefs.push("holds the lock (no expiry)".to_string()),
            None => {}
        }
        if c.in_cs {
            beliefs.push("in the critical section".to_string());
        }
        if c.committed != 0 {
            beliefs.push(format!("committed {:+}", c.committed));
        }
        out.push_str(&format!(
            "  {name}: {status}\n     program: pc={} attempt={} value={}{}\n",
            c.local.pc,
            c.local.attempt,
            c.local.value,
            if beliefs.is_empty() {
                String::new()
            } else {
                format!("; {}", beliefs.join(", "))
            }
        ));
        for &(slot, status) in &c.threads {
            let status = match status {
                Status::Running => "running".to_string(),
                Status::Waiting { conn } => format!(
                    "waiting for its reply on {}",
                    system.connection_name(i, conn as usize)
                ),
                Status::Sleeping { until } => format!("asleep until t={}s", until / 1000),
                Status::Choosing { n } => format!("at a choice among {n}"),
                Status::Done => "done".to_string(),
                Status::Crashed { at } => format!("crashed at t={}s", at / 1000),
            };
            out.push_str(&format!("  {}: {status}\n", system.thread_name(i, slot)));
        }
    }
    if !w.server.conns.is_empty() {
        out.push_str("\nserver connections:\n");
        for (id, s) in &w.server.conns {
            let mut parts = Vec::new();
            if !s.watched.is_empty() {
                let keys: Vec<&str> = s.watched.iter().map(String::as_str).collect();
                parts.push(format!(
                    "WATCH {}{}",
                    keys.join(" "),
                    if s.dirty {
                        " (touched: EXEC will fail)"
                    } else {
                        ""
                    }
                ));
            }
            if let Some(m) = &s.multi {
                let queued: Vec<String> = m.queue.iter().map(|c| c.to_string()).collect();
                parts.push(format!(
                    "MULTI [{}]{}",
                    queued.join("; "),
                    if m.aborted { " (aborted)" } else { "" }
                ));
            }
            if let Some(b) = &s.blocked {
                parts.push(format!(
                    "blocked on {}{}",
                    b.keys.join(" "),
                    b.deadline
                        .map(|d| format!(" until t={}s", d / 1000))
                        .unwrap_or_default()
                ));
            }
            if let Some(r) = &s.served {
                parts.push(format!("reply ready: {r}"));
            }
            out.push_str(&format!(
                "  {}/{}: {}\n",
                model::client_name(id.client as usize),
                system.connection_name(id.client as usize, id.slot as usize),
                parts.join("; ")
            ));
        }
    }
    out
}

impl stateright::Model for Explore {
    type State = Shown;
    type Action = Choice;

    fn init_states(&self) -> Vec<Shown> {
        vec![self.shown(self.system.initial())]
    }

    fn actions(&self, state: &Shown, actions: &mut Vec<Choice>) {
        for action in self.system.enabled(&state.world) {
            actions.push(Choice {
                action,
                label: label(&self.system, &state.world, action),
            });
        }
    }

    fn next_state(&self, last: &Shown, choice: Choice) -> Option<Shown> {
        Some(self.shown(self.system.step(&last.world, choice.action).0))
    }

    fn format_action(&self, choice: &Choice) -> String {
        choice.label.clone()
    }

    /// The step as one line, then the view of the state it leads to (the Explorer shows this
    /// unless "Complete State?" is ticked, which shows the view alone).
    fn format_step(&self, last: &Shown, choice: Choice) -> Option<String> {
        let (next, step) = self.system.step(&last.world, choice.action);
        Some(format!(
            "{}\n\n{}",
            model::render::step_line(&step),
            describe(&self.system, &next)
        ))
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        vec![stateright::Property::always(
            self.system.property_def().name,
            |m: &Explore, s: &Shown| {
                let is_final = m.system.enabled(&s.world).is_empty();
                m.system.check(&s.world, is_final).is_ok()
            },
        )]
    }
}

/// The Explorer's URL fragment for `actions` (`#/steps/0/2/1`: the initial state, then each
/// action's index among those enabled where it is taken); `None` if one is not enabled.
pub fn fragment(system: &System, actions: &[Action]) -> Option<String> {
    let mut w = system.initial();
    let mut out = String::from("#/steps/0");
    for &a in actions {
        let index = system.enabled(&w).iter().position(|&e| e == a)?;
        out.push_str(&format!("/{index}"));
        w = system.step(&w, a).0;
    }
    Some(out)
}

/// Serves the Explorer for `system` at `address`; blocks for as long as the server runs.
pub fn serve(system: System, address: impl ToSocketAddrs) {
    Explore { system }.checker().serve(address);
}
