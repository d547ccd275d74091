//! Renderers on hand-made traces: escaping, scripts, blocked commands, crashes, JSON versions.

mod common;

use model::recipe::Event;
use model::reply::Reply;
use model::trace::{Note, Step, StepKind, Trace, TRACE_FORMAT_VERSION};

fn step(time: u64, kind: StepKind, client: Option<&str>) -> Step {
    Step {
        client: client.map(str::to_string),
        connection: client.map(|_| "conn".to_string()),
        ..Step::new(time, kind)
    }
}

fn command(time: u64, client: &str, args: &[&str], reply: Option<Reply>) -> Step {
    Step {
        command: Some(args.iter().map(|a| a.to_string()).collect()),
        reply,
        ..step(time, StepKind::Command, Some(client))
    }
}

/// A trace with everything Mermaid finds awkward: a multi-line Lua script with `;` and `#`, a
/// reply with a newline, `<`/`>`, a blocked command and its later reply, a crash, a tick.
fn awkward() -> Trace {
    let script = "-- take the lock; #1\nif redis.call('exists', KEYS[1]) == 0 then\n  return redis.call('setex', KEYS[1], unpack(ARGV))\nend";
    let mut acquire = command(
        0,
        "A",
        &["EVAL", script, "1", "lock:res", "1", "A"],
        Some(Reply::ok()),
    );
    acquire.events = vec![Event::Acquired { lease: Some(1) }, Event::Enter];
    let mut blocked = command(0, "B", &["BLPOP", "q", "0"], None);
    blocked.notes = vec![Note::Blocks { client: "B".into() }];
    let mut push = command(0, "A", &["RPUSH", "q", "a;b#c"], Some(Reply::Int(1)));
    push.notes = vec![Note::Served { client: "B".into() }];
    let receive = Step {
        reply: Some(Reply::Array(vec![Reply::bulk("q"), Reply::bulk("a;b#c")])),
        ..step(0, StepKind::Receive, Some("B"))
    };
    let mut tick = step(1, StepKind::Tick, None);
    tick.notes = vec![
        Note::Expired {
            key: "lock:res".into(),
            server: None,
        },
        Note::LeaseRanOut { client: "A".into() },
    ];
    let mut crash = step(1, StepKind::Crash, Some("A"));
    crash.connection = None;
    crash.notes = vec![Note::Crashed { client: "A".into() }];
    let mut odd = command(
        1,
        "B",
        &["SET", "k", "line1\nline2 <b> 50%%"],
        Some(Reply::err("ERR odd; #reply\nsecond line")),
    );
    odd.notes = vec![Note::Violated {
        property: "mutual-exclusion".into(),
        message: "a reason; with #marks".into(),
    }];
    Trace {
        version: TRACE_FORMAT_VERSION,
        row: "demo/awkward".into(),
        property: "mutual-exclusion".into(),
        faults: "crash".into(),
        clients: 2,
        steps: vec![acquire, blocked, push, receive, tick, crash, odd],
        violation: Some("a reason; with #marks".into()),
        final_keys: vec![],
    }
}

#[test]
fn mermaid_escapes_what_it_cannot_take() {
    let d = traces::mermaid::render(&awkward());
    let problems = common::mermaid_problems(&d);
    assert!(problems.is_empty(), "{d}\n{problems:#?}");
    // The script shows as its first line only; its later lines do not leak.
    assert!(
        d.contains("A->>Redis: EVAL \"-- take the lock#59; #35;1 …\" 1 lock:res 1 A"),
        "{d}"
    );
    assert!(!d.contains("unpack"), "{d}");
    assert!(d.contains("    Note over A,Redis: B blocks\n"), "{d}");
    assert!(
        d.contains("    Redis-->>B: [\"q\", \"a#59;b#35;c\"]\n"),
        "{d}"
    );
    assert!(
        d.contains("    Note over A: A crashes#59; its connections close\n"),
        "{d}"
    );
    assert!(
        d.contains("Note over A,Redis: clock → t=1s: lock:res expires, A's lease runs out"),
        "{d}"
    );
    assert!(d.contains("#60;b#62; 50#37;#37;"), "{d}");
    assert_eq!(
        d.lines().last().unwrap(),
        "    Note over A,Redis: ⚠ mutual-exclusion violated: a reason#59; with #35;marks"
    );
    // The violation note is not repeated in the step's notes.
    assert_eq!(d.matches("violated").count(), 1, "{d}");
}

#[test]
fn escape_leaves_one_nonempty_line() {
    use traces::mermaid::escape;
    assert_eq!(escape("a;b"), "a#59;b");
    assert_eq!(escape("#1"), "#35;1");
    assert_eq!(escape("100%% sure"), "100#37;#37; sure");
    assert_eq!(escape("x\ny\r\nz"), "x y  z");
    assert_eq!(escape(""), "(empty)");
    assert_eq!(escape("  \n "), "(empty)");
}

#[test]
fn swimlane_puts_each_step_in_its_clients_column() {
    let lane = traces::swimlane::render(&awkward());
    let lines: Vec<&str> = lane.lines().collect();
    assert_eq!(
        lines[0],
        "demo/awkward: mutual-exclusion under faults=crash (2 clients)"
    );
    assert!(lines[1].contains(" | A "), "{lane}");
    fn col(l: &str, c: usize) -> &str {
        l.split(" | ")
            .nth(c)
            .map(|x| x.trim().trim_end_matches('|').trim_end())
            .unwrap_or("")
    }
    let row = |n: &str| {
        *lines
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{n} ")))
            .unwrap()
    };
    assert!(
        col(row("1"), 1).starts_with("EVAL \"-- take the lock; #1 …\""),
        "{lane}"
    );
    assert_eq!(col(row("2"), 2), "BLPOP q 0 → (blocked)");
    assert_eq!(col(row("4"), 2), "← [\"q\", \"a;b#c\"]");
    assert_eq!(col(row("6"), 1), "✗ crashes");
    assert!(row("5").ends_with("| clock → t=1s"), "{lane}");
    assert!(lane.contains("· acquired (lease 1s)"), "{lane}");
    assert!(
        lane.ends_with("=> mutual-exclusion violated: a reason; with #marks\n"),
        "{lane}"
    );
}

#[test]
fn json_rejects_other_versions_and_non_traces() {
    let t = awkward();
    let text = traces::json::to_string(&t);
    assert_eq!(traces::json::from_str(&text).unwrap(), t);

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["version"] = serde_json::json!(TRACE_FORMAT_VERSION + 1);
    let err = traces::json::from_str(&v.to_string()).unwrap_err();
    assert!(matches!(err, traces::json::Error::Version { .. }), "{err}");
    assert!(err.to_string().contains("not supported"), "{err}");

    v.as_object_mut().unwrap().remove("version");
    assert!(matches!(
        traces::json::from_str(&v.to_string()).unwrap_err(),
        traces::json::Error::MissingVersion
    ));
    assert!(matches!(
        traces::json::from_str("[1, 2]").unwrap_err(),
        traces::json::Error::MissingVersion
    ));
    assert!(matches!(
        traces::json::from_str("{\"version\": 1}").unwrap_err(),
        traces::json::Error::Parse(_)
    ));
    // A version field stays the current one whatever the value in memory says.
    let mut old = t.clone();
    old.version = 0;
    let v: serde_json::Value = serde_json::from_str(&traces::json::to_string(&old)).unwrap();
    assert_eq!(v["version"], serde_json::json!(TRACE_FORMAT_VERSION));
}

#[test]
fn json_reads_version_1_notes_as_text() {
    let t = awkward();
    let mut v: serde_json::Value = serde_json::from_str(&traces::json::to_string(&t)).unwrap();
    assert_eq!(v["steps"][1]["notes"][0]["note"], "blocks");
    v["version"] = serde_json::json!(1);
    for (n, step) in t.steps.iter().enumerate() {
        let texts: Vec<String> = step.notes.iter().map(|n| n.to_string()).collect();
        v["steps"][n]["notes"] = serde_json::json!(texts);
    }
    let back = traces::json::from_str(&v.to_string()).unwrap();
    assert_eq!(back, t, "a version-1 trace reads as the same trace");
    assert_eq!(back.version, TRACE_FORMAT_VERSION);

    v["steps"][4]["notes"][1] = serde_json::json!("the moon rises");
    let err = traces::json::from_str(&v.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"the moon rises\"") && err.contains("version 1"),
        "{err}"
    );
}
