//! The `redis-server` the process backend runs, on a machine that may have none: the host's
//! when it has one, else a copy taken out of the locally built image, so the process-backend
//! tests and the tests that play "someone else's server" need only a Docker engine, like the
//! container tests.
//!
//! Which binary ([`redis_server_binary`]), decided in this order:
//! 1. `REDIS_RACES_REDIS_SERVER` = a path or a name on PATH: that binary, nothing else;
//!    `REDIS_RACES_REDIS_SERVER=image`: the image's copy even if the host has one (how a
//!    machine with Docker only is reproduced on one that has both).
//! 2. unset: `redis-server` on PATH;
//! 3. else the image's copy of [`SERVER_IMAGE`]'s binary ([`unpack_server`]).
//!
//! Unpacking, once per image id, into `$XDG_CACHE_HOME/redis-races/servers/` (else
//! `~/.cache/…`, the cache root `images/build.sh` uses):
//! 1. make sure the image exists (built by [`super::ensure_image`] if missing);
//! 2. if `<image>-<id>/redis-server` exists, use it (no lock, no Docker call but the inspect);
//! 3. else take an exclusive `flock` on `servers/.lock`, look again (another process may have
//!    finished meanwhile), say on stderr what is unpacked and why;
//! 4. `docker create` a container (never started) and `docker export` its file system into a
//!    temporary directory with `tar -x`, then remove the container;
//! 5. write the launcher `redis-server`, a shell script that runs the image's binary through
//!    the image's own dynamic loader with the image's libraries (`ld-linux … --library-path
//!    …`): nothing of the host's libraries is used, so its libc need not match;
//! 6. rename the directory into place (readers never see a half-written one) and check that
//!    the launcher answers `--version`.
//!
//! The launcher `exec`s, so the server's PID is the child's (the process backend's
//! `process_id` check and `PR_SET_PDEATHSIG` hold through it).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{ensure_image, lock_exclusive, progress, Provisioned};
use crate::LiveError;

/// Chooses the process backend's binary (see the module doc).
pub const BINARY_ENV: &str = "REDIS_RACES_REDIS_SERVER";
/// The image whose `redis-server` is unpacked when the host has none: Redis 7.0, the
/// catalogue's profile.
pub const SERVER_IMAGE: &str = crate::server::DEFAULT_IMAGE;

/// The `redis-server` the process backend runs when asked for plain `redis-server`.
pub fn redis_server_binary() -> Result<PathBuf, LiveError> {
    match std::env::var(BINARY_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(v) if v.trim() == "image" => Ok(unpack_server(SERVER_IMAGE, &cache_root())?.0),
        Some(v) => crate::server::find_binary(Path::new(v.trim())),
        None => {
            if let Some(host) = crate::server::search_path("redis-server") {
                return Ok(host);
            }
            unpack_server(SERVER_IMAGE, &cache_root())
                .map(|(launcher, _)| launcher)
                .map_err(|e| LiveError::NoServerBinary {
                    image: SERVER_IMAGE.to_string(),
                    reason: e.to_string(),
                })
        }
    }
}

/// `$XDG_CACHE_HOME/redis-races/servers`, else `$HOME/.cache/redis-races/servers`, else
/// under the temp dir.
pub fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("redis-races").join("servers")
}

/// Unpacks `image`'s server binary under `root` (once per image id) and returns its
/// launcher, with whether this call did the work.
pub fn unpack_server(image: &str, root: &Path) -> Result<(PathBuf, Provisioned), LiveError> {
    let fail = |reason: String| LiveError::NoServerBinary {
        image: image.to_string(),
        reason,
    };
    ensure_image(image)?;
    let id = crate::docker::image_id(image)?
        .ok_or_else(|| fail("the image vanished after it was found".to_string()))?;
    let short: String = id.trim_start_matches("sha256:").chars().take(12).collect();
    let name = image.replace(['/', ':'], "_");
    let dir = root.join(format!("{name}-{short}"));
    let launcher = dir.join("redis-server");
    if launcher.is_file() {
        return Ok((launcher, Provisioned::Present));
    }
    fs::create_dir_all(root)
        .map_err(|e| LiveError::io(format!("creating {}", root.display()), e))?;
    let _held = lock_exclusive(
        &root.join(".lock"),
        &format!("waiting for another process unpacking {image}'s redis-server"),
        fail,
    )?;
    if launcher.is_file() {
        progress(&format!(
            "{image}'s redis-server was unpacked meanwhile by another test; using {}",
            launcher.display()
        ));
        return Ok((launcher, Provisioned::BuiltByOther));
    }
    progress(&format!(
        "unpacking image {image}'s redis-server into {} for the process backend (no \
         redis-server on PATH, or {BINARY_ENV}=image; this happens once per image)",
        dir.display()
    ));
    let started = Instant::now();
    let tmp = root.join(format!(".unpack-{}-{}", std::process::id(), nanos()));
    let made = unpack_into(image, &tmp, &dir).and_then(|()| {
        fs::rename(&tmp, &dir).map_err(|e| format!("moving {} into place: {e}", tmp.display()))
    });
    if let Err(reason) = made {
        let _ = fs::remove_dir_all(&tmp);
        return Err(fail(reason));
    }
    match version_of(&launcher) {
        Ok(v) => {
            progress(&format!(
                "{v} from {image} ready in {:.0} s: {}",
                started.elapsed().as_secs_f64(),
                launcher.display()
            ));
            Ok((launcher, Provisioned::Built))
        }
        Err(reason) => {
            let _ = fs::remove_dir_all(&dir);
            Err(fail(reason))
        }
    }
}

/// Steps 4 and 5: the image's file system into `tmp/rootfs`, the launcher into
/// `tmp/redis-server`, written for its final place `dir`.
fn unpack_into(image: &str, tmp: &Path, dir: &Path) -> Result<(), String> {
    let rootfs = tmp.join("rootfs");
    fs::create_dir_all(&rootfs).map_err(|e| format!("creating {}: {e}", rootfs.display()))?;
    let created = docker(&[
        "create",
        "--label",
        &format!("{}={}", crate::OWNER_LABEL, std::process::id()),
        image,
    ])?;
    let container = created.trim().to_string();
    let exported = export(&container, &rootfs);
    let _ = docker(&["rm", "-f", &container]);
    exported?;
    let binary = ["usr/bin/redis-server", "usr/bin/valkey-server"]
        .into_iter()
        .find(|b| rootfs.join(b).exists())
        .ok_or_else(|| format!("{image} has no usr/bin/redis-server"))?;
    let (loader, libs) = loader_and_libs(&rootfs)?;
    let root = dir.join("rootfs");
    let root = root
        .to_str()
        .filter(|r| !r.contains('\''))
        .ok_or_else(|| format!("cannot quote the path {} in a shell script", root.display()))?;
    let libs: Vec<String> = libs.iter().map(|l| format!("$R/{l}")).collect();
    let script = format!(
        "#!/bin/sh\n\
         # {binary} of the image {image}, unpacked by redis-races (live/src/provision/binary.rs):\n\
         # run with the image's own loader and libraries, so the host's are never used.\n\
         R='{root}'\n\
         exec \"$R/{loader}\" --library-path \"{}\" \"$R/{binary}\" \"$@\"\n",
        libs.join(":")
    );
    let launcher = tmp.join("redis-server");
    fs::write(&launcher, script).map_err(|e| format!("writing {}: {e}", launcher.display()))?;
    fs::set_permissions(&launcher, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", launcher.display()))
}

/// `docker export CONTAINER | tar -x -C rootfs`.
fn export(container: &str, rootfs: &Path) -> Result<(), String> {
    let mut docker = Command::new("docker")
        .args(["export", container])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the docker CLI: {e}"))?;
    let stdout = docker.stdout.take().expect("piped");
    let tar = Command::new("tar")
        .args(["-x", "--no-same-owner", "-C"])
        .arg(rootfs)
        .stdin(stdout)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let docker = docker
        .wait_with_output()
        .map_err(|e| format!("waiting for docker export: {e}"))?;
    if !docker.status.success() {
        return Err(format!(
            "docker export failed: {}",
            crate::error::one_line(&String::from_utf8_lossy(&docker.stderr))
        ));
    }
    if !tar.status.success() {
        return Err(format!(
            "tar -x failed: {}",
            crate::error::one_line(&String::from_utf8_lossy(&tar.stderr))
        ));
    }
    Ok(())
}

/// The image's dynamic loader (a regular file: `lib64/ld-linux…` is an absolute symlink that
/// would lead to the host's) and its library directories, relative to the rootfs.
fn loader_and_libs(rootfs: &Path) -> Result<(String, Vec<String>), String> {
    let mut libs = Vec::new();
    let mut loader = None;
    for base in ["lib", "usr/lib"] {
        let Ok(entries) = fs::read_dir(rootfs.join(base)) else {
            continue;
        };
        let mut triplets: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n.ends_with("-linux-gnu"))
            .collect();
        triplets.sort();
        for t in triplets {
            let rel = format!("{base}/{t}");
            if loader.is_none() {
                loader = fs::read_dir(rootfs.join(&rel))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .find(|n| n.starts_with("ld-linux"))
                    .map(|n| format!("{rel}/{n}"));
            }
            libs.push(rel);
        }
        libs.push(base.to_string());
    }
    let loader = loader.ok_or("no dynamic loader (ld-linux*) in the image's lib directories")?;
    Ok((loader, libs))
}

/// `launcher --version`'s first words, e.g. `Redis server v=7.0.15`.
fn version_of(launcher: &Path) -> Result<String, String> {
    let out = Command::new(launcher)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", launcher.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    if out.status.success() && words.get(1) == Some(&"server") {
        Ok(words.join(" "))
    } else {
        Err(format!(
            "{} --version did not answer as a server: {}{}",
            launcher.display(),
            crate::error::one_line(&text),
            crate::error::one_line(&String::from_utf8_lossy(&out.stderr))
        ))
    }
}

/// Runs the docker CLI, returning its stdout.
fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run the docker CLI: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "docker {} failed: {}",
            args.first().copied().unwrap_or_default(),
            crate::error::one_line(&String::from_utf8_lossy(&out.stderr))
        ))
    }
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
