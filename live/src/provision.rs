//! Builds a missing server image on demand (and, in `provision/binary.rs`, unpacks a `redis-server`
//! out of one for the process backend when the host has none), so `cargo test` on a fresh machine
//! needs no manual step (the way testcontainers pulls a missing image, except
//! that nothing is pulled: the image is built from Debian's packages).
//!
//! The build is `images/build.sh KEY` itself: the script's text is compiled in
//! ([`BUILD_SCRIPT`], `include_str!`, so Cargo rebuilds when it changes) and run
//! with `bash`, so a harness-built image is byte-for-byte the recipe of a
//! hand-built one: same package closure, same rootfs, same verification.
//!
//! Several test binaries start at once under `cargo test`, each with many test
//! threads. They serialise on an exclusive `flock` of [`lock_path`]: the first
//! to take it builds, the others wait, then find the image and reuse it. Every
//! decision is one line on the process's stderr, written directly (not through
//! `eprintln!`, which the test harness would capture), naming the image, the
//! script and why.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::IMAGES;
use crate::LiveError;

mod binary;
pub use binary::{cache_root, redis_server_binary, unpack_server, BINARY_ENV, SERVER_IMAGE};

/// `images/build.sh`, as compiled into this crate.
pub const BUILD_SCRIPT: &str = include_str!("../../images/build.sh");

/// How long a process waits for another one's build before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(30 * 60);

/// What [`ensure_image`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioned {
    /// The image was already there; nothing was locked or built.
    Present,
    /// This call built it.
    Built,
    /// Another process or thread built it while this one waited for the lock.
    BuiltByOther,
}

/// Something that can produce one image (the real one runs `images/build.sh`).
pub trait ImageBuilder {
    /// For the progress line, e.g. `bash images/build.sh redis-7.0`.
    fn describe(&self) -> String;
    /// Builds the image; `Err` carries the builder's own last words, one line.
    fn build(&self) -> Result<(), String>;
}

/// Makes sure `image` exists locally. A missing image that `images/build.sh`
/// knows (one of [`IMAGES`]) is built under the lock; any other missing image
/// is [`LiveError::ImageMissing`]: nothing is ever pulled.
pub fn ensure_image(image: &str) -> Result<Provisioned, LiveError> {
    if crate::docker::image_exists(image)? {
        return Ok(Provisioned::Present);
    }
    let Some((key, _)) = IMAGES.iter().find(|(_, tag)| *tag == image) else {
        return Err(LiveError::ImageMissing {
            image: image.to_string(),
        });
    };
    build_image_as(key, image)
}

/// Builds `images/build.sh`'s image `key` (e.g. `redis-7.0`) under the name
/// `tag` if no image `tag` exists yet, through the same lock as
/// [`ensure_image`]. With `tag` = the key's usual name this is exactly what a
/// live test does on a fresh machine; another tag gives a scratch image
/// (tests of this module use `redis-races-test/...`).
pub fn build_image_as(key: &str, tag: &str) -> Result<Provisioned, LiveError> {
    if !IMAGES.iter().any(|(k, _)| *k == key) {
        return Err(LiveError::Config {
            reason: format!("no image '{key}' in images/build.sh (known: redis-6.0, redis-7.0, redis-8.0, valkey-8.1)"),
        });
    }
    let builder = ScriptBuilder {
        key: key.to_string(),
        tag: tag.to_string(),
    };
    ensure_with(
        tag,
        &|| crate::docker::image_exists(tag),
        &builder,
        &lock_path(),
    )
}

/// The lock every provisioning process takes: one file for all images, since
/// `images/build.sh` shares one package cache between them anyway.
pub fn lock_path() -> PathBuf {
    std::env::temp_dir().join("redis-races-image-build.lock")
}

/// The locking protocol, independent of Docker (tests drive it with a fake
/// builder): check, lock, check again, build, check that it worked.
pub fn ensure_with(
    image: &str,
    exists: &dyn Fn() -> Result<bool, LiveError>,
    builder: &dyn ImageBuilder,
    lock: &Path,
) -> Result<Provisioned, LiveError> {
    if exists()? {
        return Ok(Provisioned::Present);
    }
    let _held = lock_exclusive(
        lock,
        &format!("image {image} missing; waiting for another process's build"),
        |reason| LiveError::ImageBuild {
            image: image.to_string(),
            how: builder.describe(),
            reason,
        },
    )?;
    if exists()? {
        progress(&format!(
            "image {image} was built meanwhile by another test (thread or process); using it"
        ));
        return Ok(Provisioned::BuiltByOther);
    }
    progress(&format!(
        "image {image} not found locally; building it from Debian's packages with `{}` \
         (the live tests need a real server; nothing is pulled; this happens once)",
        builder.describe()
    ));
    let started = Instant::now();
    let fail = |reason: String| LiveError::ImageBuild {
        image: image.to_string(),
        how: builder.describe(),
        reason,
    };
    builder.build().map_err(fail)?;
    if !exists()? {
        return Err(fail(
            "it finished but the image is still missing".to_string(),
        ));
    }
    progress(&format!(
        "image {image} built in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(Provisioned::Built)
}

/// An open lock file holding an exclusive `flock`; dropping it unlocks.
pub(crate) struct Held(#[allow(dead_code)] File);

/// Takes an exclusive `flock` on `path` (created if missing), waiting up to
/// [`LOCK_WAIT`] for whoever holds it. `waiting` is said once, on stderr, when
/// the lock is busy; `timed_out` turns "held too long" into the caller's error.
pub(crate) fn lock_exclusive(
    path: &Path,
    waiting: &str,
    timed_out: impl Fn(String) -> LiveError,
) -> Result<Held, LiveError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| LiveError::io(format!("opening the lock {}", path.display()), e))?;
    let started = Instant::now();
    let mut said = false;
    loop {
        // SAFETY: flock(2) on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(Held(file));
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(LiveError::io(format!("locking {}", path.display()), err));
        }
        if !said {
            progress(&format!("{waiting} ({})", path.display()));
            said = true;
        }
        if started.elapsed() > LOCK_WAIT {
            return Err(timed_out(format!(
                "another process held {} for over {} min",
                path.display(),
                LOCK_WAIT.as_secs() / 60
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One line on stderr that the test harness's output capture cannot swallow.
pub(crate) fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "redis-races: {line}");
}

/// Runs the compiled-in `images/build.sh --tag TAG KEY` with bash, relaying
/// its log lines to stderr as they come and keeping the last ones for the
/// error.
struct ScriptBuilder {
    key: String,
    tag: String,
}

impl ImageBuilder for ScriptBuilder {
    fn describe(&self) -> String {
        format!("bash images/build.sh --tag {} {}", self.tag, self.key)
    }

    fn build(&self) -> Result<(), String> {
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(BUILD_SCRIPT)
            .arg("images/build.sh")
            .args(["--tag", &self.tag, &self.key])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let last = Arc::new(Mutex::new(Vec::<String>::new()));
        let relay = |stream: Box<dyn Read + Send>| {
            let last = Arc::clone(&last);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = writeln!(std::io::stderr(), "  | {line}");
                    let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
                    l.push(line);
                    if l.len() > 20 {
                        l.remove(0);
                    }
                }
            })
        };
        let out = relay(Box::new(child.stdout.take().expect("piped")));
        let err = relay(Box::new(child.stderr.take().expect("piped")));
        let status = child.wait().map_err(|e| format!("waiting for bash: {e}"))?;
        let _ = (out.join(), err.join());
        if status.success() {
            return Ok(());
        }
        let lines = last.lock().unwrap_or_else(|p| p.into_inner());
        let why = lines
            .iter()
            .rev()
            .find(|l| l.contains("error:"))
            .or_else(|| lines.last())
            .cloned()
            .unwrap_or_else(|| "no output".to_string());
        Err(format!("{why} ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Pretends to build for a while; "the image" is a marker file.
    struct Fake {
        marker: PathBuf,
        builds: AtomicUsize,
        fail: bool,
    }

    impl ImageBuilder for Fake {
        fn describe(&self) -> String {
            "fake builder".to_string()
        }
        fn build(&self) -> Result<(), String> {
            self.builds.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
            if self.fail {
                return Err("build.sh: error: no rights to fetch packages".to_string());
            }
            std::fs::write(&self.marker, b"built").map_err(|e| e.to_string())
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "redis-races-provision-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn concurrent_callers_build_once_and_the_rest_reuse() {
        let dir = scratch("once");
        let fake = Arc::new(Fake {
            marker: dir.join("image"),
            builds: AtomicUsize::new(0),
            fail: false,
        });
        let lock = dir.join("lock");
        let results: Vec<Provisioned> = (0..6)
            .map(|_| {
                let (fake, lock) = (Arc::clone(&fake), lock.clone());
                std::thread::spawn(move || {
                    let exists = || Ok(fake.marker.exists());
                    ensure_with("scratch/img:1", &exists, &*fake, &lock).unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(fake.builds.load(Ordering::SeqCst), 1, "{results:?}");
        assert_eq!(
            results.iter().filter(|r| **r == Provisioned::Built).count(),
            1
        );
        // Idempotent: once built, nobody locks or builds again.
        let exists = || Ok(fake.marker.exists());
        assert_eq!(
            ensure_with("scratch/img:1", &exists, &*fake, &lock).unwrap(),
            Provisioned::Present
        );
        assert_eq!(fake.builds.load(Ordering::SeqCst), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_build_is_one_line_naming_image_and_cause() {
        let dir = scratch("fail");
        let fake = Fake {
            marker: dir.join("image"),
            builds: AtomicUsize::new(0),
            fail: true,
        };
        let exists = || Ok(fake.marker.exists());
        let err = ensure_with("scratch/img:2", &exists, &fake, &dir.join("lock")).unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains("scratch/img:2"), "{msg}");
        assert!(msg.contains("no rights to fetch packages"), "{msg}");
        assert!(msg.contains("REDIS_RACES_SKIP_LIVE=1"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_lock_is_released_when_a_build_fails() {
        let dir = scratch("release");
        let lock = dir.join("lock");
        let failing = Fake {
            marker: dir.join("image"),
            builds: AtomicUsize::new(0),
            fail: true,
        };
        let exists = || Ok(failing.marker.exists());
        assert!(ensure_with("scratch/img:3", &exists, &failing, &lock).is_err());
        let working = Fake {
            fail: false,
            ..failing
        };
        let exists = || Ok(working.marker.exists());
        assert_eq!(
            ensure_with("scratch/img:3", &exists, &working, &lock).unwrap(),
            Provisioned::Built
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_build_sh_images_are_built() {
        let msg = build_image_as("redis-5.0", "x/y:1")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("redis-7.0"), "{msg}");
        assert!(
            BUILD_SCRIPT.contains("--tag TAG"),
            "the compiled-in script takes --tag"
        );
    }
}
