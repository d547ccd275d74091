//! `c:receive` (recipe verb): a subscribed connection's next message as redis-py's
//! `{"message", channel, data}`, parking until a PUBLISH serves it; a timeout rounds down to
//! whole ticks as a sleep does, after which the client may give up with nil — or still get a
//! message first, since a real client may be slower than its timeout.

use model::checker::{self, Limits, Verdict};
use model::{FaultModel, System};
use std::io::Write;
use std::sync::Arc;

/// A listener that subscribes and receives once (waiting at most `timeout`), and a
/// publisher that sleeps `sleep` ms and publishes "hello"; the events say what arrived.
fn scenario(timeout: &str, sleep: u64) -> Arc<model::scenario::Scenario> {
    static LOADED: std::sync::Mutex<Vec<(String, Arc<model::scenario::Scenario>)>> =
        std::sync::Mutex::new(Vec::new());
    let id = format!("{timeout}-{sleep}");
    let mut loaded = LOADED.lock().unwrap();
    if let Some((_, s)) = loaded.iter().find(|(k, _)| *k == id) {
        return Arc::clone(s);
    }
    let text = format!(
        r#"
scenario {{ name = "receive-{timeout}-{sleep}", roles = {{ listener = 1, publisher = 1 }}, ticks = 2,
           faults = {{ "none" }}, connections = {{ "conn", "sub" }},
           properties = {{ "never-receives", "no-early-give-up", "nothing-late" }} }}
variant("v", {{
  listener = function(c)
    c:call_on("sub", "SUBSCRIBE", "ch")
    local m = c:receive_on("sub", {timeout})
    if m == nil then
      c:event("gave-up")
    elseif m[1] == "message" and m[2] == "ch" then
      c:event("got", m[3])
    end
  end,
  publisher = function(c)
    c:sleep({sleep})
    c:call("PUBLISH", "ch", "hello")
  end,
}})
local function events(w, name)
  local out = {{}}
  for _, cl in ipairs(w.clients) do
    for _, e in ipairs(cl.events) do
      if e.name == name then table.insert(out, e) end
    end
  end
  return out
end
property("never-receives", "always", function(w)
  local got = events(w, "got")
  return #got == 0, got[1] and ("received " .. tostring(got[1].value))
end)
property("no-early-give-up", "always", function(w)
  for _, e in ipairs(events(w, "gave-up")) do
    if e.at < 1000 then return false, "gave up at " .. e.at end
  end
  return true
end)
property("nothing-late", "always", function(w)
  for _, e in ipairs(events(w, "got")) do
    if e.at >= 1000 then return false, "received at " .. e.at end
  end
  return true
end)
"#
    );
    let dir = std::env::temp_dir().join(format!("redis-races-receive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("receive-{}-{sleep}.lua", timeout.replace(' ', "")));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let s = model::program::lua::load(&path.to_string_lossy()).unwrap();
    loaded.push((id, Arc::clone(&s)));
    s
}

fn verdict(s: &Arc<model::scenario::Scenario>, property: &str) -> checker::CheckResult {
    let p = s.property(property).expect("property");
    let system = System::new(Arc::clone(s), 0, p, FaultModel::None, None);
    checker::check(&system, Limits::default(), &mut |_| {})
}

#[test]
fn a_published_message_arrives_as_a_redis_py_message() {
    let s = scenario("nil", 0);
    let r = verdict(&s, "never-receives");
    assert_eq!(r.verdict, Verdict::Violated);
    assert_eq!(
        r.counterexample
            .as_ref()
            .and_then(|t| t.violation.as_deref()),
        Some("received hello")
    );
}

#[test]
fn a_timeout_rounds_down_to_whole_ticks() {
    // 1500 ms: the client may give up from t=1s on, never before.
    let s = scenario("1500", 5000);
    assert_eq!(verdict(&s, "no-early-give-up").verdict, Verdict::Holds);
    // 500 ms waits for no tick: it may give up at once.
    let s = scenario("500", 5000);
    let r = verdict(&s, "no-early-give-up");
    assert_eq!(r.verdict, Verdict::Violated);
    assert_eq!(
        r.counterexample
            .as_ref()
            .and_then(|t| t.violation.as_deref()),
        Some("gave up at 0")
    );
}

#[test]
fn a_client_past_its_timeout_may_still_get_the_message() {
    // The publisher publishes at t=1s, when the listener may already give up; it may also
    // still be waiting, and then it receives.
    let s = scenario("1000", 1000);
    let r = verdict(&s, "nothing-late");
    assert_eq!(r.verdict, Verdict::Violated);
    assert_eq!(
        r.counterexample
            .as_ref()
            .and_then(|t| t.violation.as_deref()),
        Some("received at 1000")
    );
}

#[test]
fn a_message_published_before_the_subscription_is_gone() {
    // Listener A, publisher B (roles in alphabetical order). B publishes first: nobody
    // listens, the message is gone; A subscribes and, waiting without a timeout, can only
    // wait for good (its step is never enabled again).
    let s = scenario("nil", 0);
    let system = System::new(Arc::clone(&s), 0, 0, FaultModel::None, None);
    let mut w = system.initial();
    let mut replies = Vec::new();
    for a in [1, 1, 0, 0].map(model::Action::Step) {
        assert!(system.enabled(&w).contains(&a), "{a:?}");
        let (next, step) = system.step(&w, a);
        replies.push(step.reply.clone());
        w = next;
    }
    assert_eq!(
        replies[1],
        Some(model::Reply::Int(0)),
        "PUBLISH reaches nobody"
    );
    assert_eq!(replies[3], None, "the receive parks");
    assert!(!system.enabled(&w).contains(&model::Action::Step(0)));
    assert!(system.enabled(&w).contains(&model::Action::Tick));
}
