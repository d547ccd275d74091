//! The harness builds a missing image itself: two threads ask for the same
//! scratch image at once (`redis-races-test/redis:7.0-p<pid>`, never one of the
//! suite's own tags), exactly one runs `images/build.sh` (compiled into the
//! harness) and the other waits on the lock and reuses the result; the image
//! then serves a real Redis 7.0.15. The scratch image is removed at the end.
//! Needs a Docker engine (and root, Debian's archives) like every container
//! test; `REDIS_RACES_SKIP_LIVE=1` skips it when there is none.

use std::process::Command;

use redis_races_live::provision::{build_image_as, Provisioned};
use redis_races_live::{docker_available, image_exists, LiveServer, SafetyOptions, ServerSpec};

/// Removes the scratch image on drop, pass or fail.
struct Scratch(String);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

#[test]
fn two_threads_one_build_then_a_working_server() {
    if let Err(e) = docker_available() {
        if redis_races_live::live_tests_skipped() {
            eprintln!("SKIPPED (REDIS_RACES_SKIP_LIVE=1): {e}");
            return;
        }
        panic!("a Docker engine is needed to build images: {e}");
    }
    let tag = format!("redis-races-test/redis:7.0-p{}", std::process::id());
    let scratch = Scratch(tag.clone());
    drop(Scratch(tag.clone())); // a leftover from a killed run would make this test vacuous
    assert!(!image_exists(&tag).unwrap());

    let results: Vec<Provisioned> = (0..2)
        .map(|_| {
            let tag = tag.clone();
            std::thread::spawn(move || build_image_as("redis-7.0", &tag))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let mut sorted = results.clone();
    sorted.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        sorted,
        [Provisioned::Built, Provisioned::BuiltByOther],
        "one build, one reuse"
    );
    assert!(image_exists(&tag).unwrap());
    // Idempotent: asking again neither locks nor builds.
    assert_eq!(
        build_image_as("redis-7.0", &tag).unwrap(),
        Provisioned::Present
    );

    let server = LiveServer::start(
        &ServerSpec::Container { image: tag.clone() },
        &SafetyOptions {
            allow_flush: false,
            db: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.version(), "7.0.15", "{}", server.describe());
    drop(server);
    drop(scratch);
    assert!(!image_exists(&tag).unwrap(), "scratch image {tag} removed");
}
