//! `redis-races explore` in a real browser: starts the Explorer for
//! `lock/set-nx-ex-del --faults pause --property owner-only-release` on a free port, drives
//! Debian's headless Chromium (`--dump-dom`) through the Explorer's single-page app, and
//! checks what a person would see:
//!
//! 1. the initial state lists the row's next actions in Redis terms (`A: SET lock:res A NX EX
//!    1`, …, `clock +1s`) and says the property holds there, with an empty keyspace;
//! 2. the URL the CLI prints for the counterexample is the one the test derives on its own
//!    (stateright's `#/steps/0/i/j/…`: the index of each action among those enabled);
//! 3. following it, the page lists the counterexample's actions in order, shows the last step
//!    in Redis terms (`A [conn] DEL lock:res -> (integer) 1`) and the state as violating the
//!    property, with the reason; the state one step earlier still holds;
//! 4. stateright's own search, run from the page's API (`/.runtocompletion`), also finds a
//!    violation, and the page at its discovery path shows VIOLATED.
//!
//! When it runs, and why it is honest about not running: it needs a headless Chromium that a
//! fresh machine does not have (a browser is ~100 MB of Debian packages that a test has no
//! business installing on the host). So this file has its own tiny test harness
//! (`harness = false`, whose output `cargo test` always shows, unlike a passing libtest
//! test's):
//! * Chromium found (PATH, or `REDIS_RACES_CHROMIUM`): the test runs, switch or no switch;
//! * not found and `REDIS_RACES_BROWSER_TEST=1` (`.ci/run` sets it after installing
//!   Chromium): the test FAILS, so CI can never skip it;
//! * not found and the switch unset: the harness prints `... NOT RUN` and a result line
//!   `0 passed; 1 not run`, never `ok`: the one check a bare `cargo test` leaves out (README).
//!
//! The Explorer and every Chromium run are killed (with their process groups) when the test
//! ends, passes or not.

use model::catalogue;
use model::checker::{self, Limits, Verdict};
use model::command::Command;
use model::faults::FaultModel;
use model::system::{Action, System};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROW: &str = "lock/set-nx-ex-del";
const PROPERTY: &str = "owner-only-release";

/// A child process in its own process group, killed with the group on drop.
struct Guard {
    child: Child,
    /// Removed on drop (Chromium's profile directory).
    dir: Option<PathBuf>,
}

impl Guard {
    fn spawn(cmd: &mut Process, dir: Option<PathBuf>) -> Guard {
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Guard { child, dir }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        // SAFETY: signals our own child's process group (created with process_group(0)).
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REDIS_RACES_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The page's DOM after its scripts ran, from a fresh headless Chromium.
fn dump_dom(chromium: &PathBuf, url: &str) -> String {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let profile =
        std::env::temp_dir().join(format!("redis-races-chromium-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut guard = Guard::spawn(
        Process::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--virtual-time-budget=8000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
        Some(profile),
    );
    let mut stdout = guard.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let dom = rx
        .recv_timeout(Duration::from_secs(90))
        .unwrap_or_else(|_| panic!("chromium did not finish loading {url} within 90 s"));
    let _ = guard.child.wait();
    dom
}

/// The DOM's text: scripts dropped, tags turned into line breaks, entities decoded, blank
/// lines removed, each line trimmed.
fn visible_text(dom: &str) -> String {
    let mut s = dom.to_string();
    while let Some(start) = s.find("<script") {
        let end = s[start..]
            .find("</script>")
            .map_or(s.len(), |e| start + e + "</script>".len());
        s.replace_range(start..end, "\n");
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match (c, in_tag) {
            ('<', _) => {
                in_tag = true;
                text.push('\n');
            }
            ('>', true) => in_tag = false,
            (c, false) => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of `text` between the line `from` and the line `to`.
fn section<'a>(text: &'a str, from: &str, to: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != from)
        .skip(1)
        .take_while(|l| *l != to)
        .collect()
}

/// Loads `url` until the Explorer's app has rendered the selected state (it fetches one
/// `/.states/…` per step, so a slow machine may need a second go).
fn load(chromium: &PathBuf, url: &str) -> String {
    let mut last = String::new();
    for _ in 0..3 {
        last = visible_text(&dump_dom(chromium, url));
        if last.contains(&format!("{ROW}: {PROPERTY} under faults=pause")) {
            return last;
        }
    }
    panic!("the Explorer page at {url} never showed the state:\n{last}");
}

/// A minimal HTTP/1.1 request; returns the body of a 200 response.
fn http(method: &str, addr: &str, path: &str) -> Result<String, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    s.read_to_string(&mut response).map_err(|e| e.to_string())?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP header")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "{method} {path}: {}",
            head.lines().next().unwrap_or("")
        ));
    }
    Ok(body.to_string())
}

/// The system the CLI explores, built here independently of the CLI.
fn system() -> System {
    let scenario = Arc::new(catalogue::lock());
    let v = scenario.variant("set-nx-ex-del").unwrap();
    let p = scenario.property(PROPERTY).unwrap();
    System::new(scenario, v, p, FaultModel::Pause, None)
}

/// How the Explorer labels `action` in `w`: the client and the command it sends.
fn label(sys: &System, w: &model::World, action: Action) -> String {
    let (_, step) = sys.step(w, action);
    match (action, step.command.clone()) {
        (Action::Tick, _) => format!("clock +1s (t={}s)", step.time),
        (Action::Crash(i), _) => format!("{} crashes", model::client_name(i)),
        (Action::Step(i), Some(cmd)) => format!("{}: {}", model::client_name(i), Command(cmd)),
        (Action::Step(i), None) => format!("{}: reads its reply", model::client_name(i)),
        (Action::Choose(i, k), _) => format!("{}: chooses {k}", model::client_name(i)),
        (Action::Thread(i, t), Some(cmd)) => format!("{}: {}", sys.thread_name(i, t), Command(cmd)),
        (Action::Thread(i, t), None) => format!("{}: local step", sys.thread_name(i, t)),
        (Action::Replicate(_) | Action::Promote(_) | Action::Restart(_), _) => {
            model::render::server_fault(&step)
        }
    }
}

const TEST: &str = "explorer_shows_the_counterexample_in_redis_terms";
/// Set to 1 where the browser test must run (CI): a missing Chromium then fails it.
const SWITCH: &str = "REDIS_RACES_BROWSER_TEST";

/// The harness: libtest's command line as far as `cargo test` and `cargo nextest` use it
/// (name filters, `--exact`, `--skip NAME`, `--list`, `--ignored`), libtest's output lines.
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut filters = Vec::new();
    let mut skips = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--skip" => skips.extend(it.next().cloned()),
            "--test-threads" | "--format" | "--color" | "-Z" | "--logfile" => {
                it.next();
            }
            a if a.starts_with('-') => {}
            a => filters.push(a.to_string()),
        }
    }
    let exact = args.iter().any(|a| a == "--exact");
    let matches = |f: &String| {
        if exact {
            f == TEST
        } else {
            TEST.contains(f.as_str())
        }
    };
    let selected = !args.iter().any(|a| a == "--ignored")
        && (filters.is_empty() || filters.iter().any(matches))
        && !skips.iter().any(|s| {
            if exact {
                s == TEST
            } else {
                TEST.contains(s.as_str())
            }
        });
    if args.iter().any(|a| a == "--list") {
        if selected {
            println!("{TEST}: test");
        }
        return ExitCode::SUCCESS;
    }
    if !selected {
        println!("\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out\n");
        return ExitCode::SUCCESS;
    }
    println!("\nrunning 1 test");
    let switch = std::env::var(SWITCH).unwrap_or_default();
    let required = match switch.trim() {
        "" | "0" => false,
        "1" => true,
        other => {
            println!("test {TEST} ... FAILED\n{SWITCH}='{other}': use 1 (the browser test must run) or leave it unset");
            return ExitCode::from(101);
        }
    };
    let Some(chromium) = find_chromium() else {
        if required {
            println!(
                "test {TEST} ... FAILED\n{SWITCH}=1 requires the Explorer browser test, but no \
                 chromium, chromium-browser or google-chrome is on PATH and REDIS_RACES_CHROMIUM \
                 is unset: install it (Debian: apt-get install chromium)\n\n\
                 test result: FAILED. 0 passed; 1 failed\n"
            );
            return ExitCode::from(101);
        }
        println!(
            "test {TEST} ... NOT RUN\n\
             NOT RUN: the Explorer browser test needs Chromium, and none is on PATH \
             (REDIS_RACES_CHROMIUM unset). It is the one check `cargo test` alone does not run: \
             install chromium (Debian: apt-get install chromium) and it runs; .ci/run installs \
             it and sets {SWITCH}=1, which turns a missing browser into a failure.\n\n\
             test result: ok. 0 passed; 0 failed; 1 not run (no chromium)\n"
        );
        return ExitCode::SUCCESS;
    };
    let outcome =
        std::panic::catch_unwind(|| explorer_shows_the_counterexample_in_redis_terms(chromium));
    match outcome {
        Ok(()) => {
            println!("test {TEST} ... ok\n\ntest result: ok. 1 passed; 0 failed\n");
            ExitCode::SUCCESS
        }
        Err(_) => {
            // The panic hook has already printed the message.
            println!("test {TEST} ... FAILED\n\ntest result: FAILED. 0 passed; 1 failed\n");
            ExitCode::from(101)
        }
    }
}

fn explorer_shows_the_counterexample_in_redis_terms(chromium: PathBuf) {
    // The counterexample, its Explorer path and its labels, derived here.
    let sys = system();
    let result = checker::check(&sys, Limits::default(), &mut |_| {});
    assert_eq!(result.verdict, Verdict::Violated);
    let found = result.counterexample.unwrap();
    let actions = model::minimize::minimize(&sys, &found.actions().unwrap());
    let why = found.violation.clone().unwrap();
    let mut w = sys.initial();
    let initial_labels: Vec<String> = sys
        .enabled(&w)
        .into_iter()
        .map(|a| label(&sys, &w, a))
        .collect();
    let mut fragment = String::from("#/steps/0");
    let mut path_labels = Vec::new();
    for &a in &actions {
        let i = sys.enabled(&w).iter().position(|&e| e == a).unwrap();
        fragment.push_str(&format!("/{i}"));
        path_labels.push(label(&sys, &w, a));
        w = sys.step(&w, a).0;
    }
    assert!(sys.check(&w, sys.enabled(&w).is_empty()).is_err());

    // Start the Explorer on a free port and read its URLs from stderr.
    let mut explore = Guard::spawn(
        Process::new(env!("CARGO_BIN_EXE_redis-races"))
            .args(["explore", ROW, "--faults", "pause", "--property", PROPERTY])
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        None,
    );
    let stderr = explore.child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let cx_url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("explore printed no counterexample URL: {printed:?}"));
        printed.push(line.clone());
        if let Some(rest) = line.trim().strip_prefix("counterexample (") {
            break rest.split_once(": ").unwrap().1.to_string();
        }
    };
    let (base, cli_fragment) = cx_url.split_once('#').unwrap();
    assert_eq!(
        format!("#{cli_fragment}"),
        fragment,
        "the CLI's counterexample URL"
    );
    let addr = base
        .strip_prefix("http://")
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let started = Instant::now();
    while http("GET", &addr, "/.status").is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the Explorer never answered at {base}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // 1. The initial state: the row's actions in Redis terms, the property holding.
    let page = load(&chromium, &format!("{base}#/steps/0"));
    let choices = section(&page, "Next Action Choices", "Current State");
    assert_eq!(
        choices, initial_labels,
        "next actions at the start:\n{page}"
    );
    assert!(
        initial_labels.contains(&"A: SET lock:res A NX EX 1".to_string()),
        "{initial_labels:?}"
    );
    assert!(page.contains(&format!("{PROPERTY}: holds here")), "{page}");
    assert!(page.contains("keys:\n(none)"), "{page}");
    assert!(page.contains("A: next: SET lock:res A NX EX 1"), "{page}");

    // 3. The counterexample: its actions in order, the last step, the violation.
    let page = load(&chromium, &cx_url);
    let path = section(&page, "Path of Actions", "Next Action Choices");
    assert_eq!(
        path,
        [
            vec!["Pre-init", "Init 0"],
            path_labels.iter().map(String::as_str).collect()
        ]
        .concat(),
        "the path of actions:\n{page}"
    );
    assert!(
        page.contains("A [conn] DEL lock:res -> (integer) 1"),
        "the last step in Redis terms:\n{page}"
    );
    assert!(page.contains("[A removes B's lock]"), "{page}");
    assert!(
        page.contains(&format!("{PROPERTY}: VIOLATED: {why}")),
        "the violation:\n{page}"
    );
    assert!(page.contains("B: next: DEL lock:res"), "{page}");

    let before = cx_url.rsplit_once('/').unwrap().0;
    let page = load(&chromium, before);
    assert!(
        page.contains(&format!("{PROPERTY}: holds here")),
        "one step before the end:\n{page}"
    );
    assert!(!page.contains("VIOLATED"), "{page}");

    // 4. stateright's own search agrees, and the page shows its discovery as violating.
    http("POST", &addr, "/.runtocompletion").expect("run to completion");
    let discovery = loop {
        let status: serde_json::Value =
            serde_json::from_str(&http("GET", &addr, "/.status").unwrap()).unwrap();
        if let Some(p) = status["properties"][0][2].as_str() {
            break p.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "stateright found no violation: {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let page = load(&chromium, &format!("{base}#/steps/{discovery}"));
    assert!(
        page.contains(&format!("Counterexample found:\nAlways {PROPERTY}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("{PROPERTY}: VIOLATED: ")),
        "at stateright's discovery {discovery}:\n{page}"
    );
    drop(explore);
}
