//! A throw-away container from a local image (built by `images/build.sh`,
//! through [`crate::provision`] when missing), driven through the engine API
//! in [`crate::docker`].
//!
//! The container is removed (forced, with its anonymous volumes) when the
//! handle drops, which also runs while a panic unwinds; a failure to remove is
//! reported with the command that finishes the job. Every container carries
//! the [`OWNER_LABEL`](super::OWNER_LABEL) with our PID so leaks can be found.

use std::time::Duration;

use serde_json::{json, Value};

use super::OWNER_LABEL;
use crate::docker::{call, check_reference, SLOW_TIMEOUT};
use crate::LiveError;

/// The port the images' entrypoint listens on.
const REDIS_PORT: u16 = 6379;
/// Upper bound for inspect and logs calls.
const QUICK_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct ContainerServer {
    pub(super) image: String,
    id: String,
    port: u16,
}

impl ContainerServer {
    /// Runs `image` with its port published on 127.0.0.1 only (the images run
    /// with protected mode off, so they must not be reachable from outside).
    /// A missing `redis-races/...` image is built first (see
    /// [`crate::provision::ensure_image`]); any other missing image is an error.
    pub(super) fn start(image: &str) -> Result<Self, LiveError> {
        crate::docker::docker_available()?;
        check_reference(image)?;
        crate::provision::ensure_image(image)?;
        let fail = |reason: String| LiveError::Container {
            image: image.to_string(),
            reason: crate::error::one_line(&reason),
        };
        let port_key = format!("{REDIS_PORT}/tcp");
        let body = json!({
            "Image": image,
            "Labels": {
                OWNER_LABEL: std::process::id().to_string(),
                "redis-races.backend": "container",
            },
            "ExposedPorts": { &port_key: {} },
            "HostConfig": {
                "PublishAllPorts": false,
                "PortBindings": { &port_key: [{ "HostIp": "127.0.0.1", "HostPort": "" }] },
            },
        });
        let (status, reply) = call(
            "POST",
            "/containers/create",
            Some(&body.to_string()),
            SLOW_TIMEOUT,
        )?;
        if status == 404 {
            return Err(LiveError::ImageMissing {
                image: image.to_string(),
            });
        }
        let created = expect_json(status, 201, &reply).map_err(|e| fail(format!("create: {e}")))?;
        let id = created["Id"]
            .as_str()
            .ok_or_else(|| fail("create: no Id in the engine's answer".to_string()))?
            .to_string();
        // From here on the container is owned by `server`, whose Drop removes
        // it if anything below fails.
        let mut server = ContainerServer {
            image: image.to_string(),
            id,
            port: 0,
        };
        let (status, reply) = call(
            "POST",
            &format!("/containers/{}/start", server.id),
            None,
            SLOW_TIMEOUT,
        )?;
        if status != 204 && status != 304 {
            return Err(fail(format!("start: {}", engine_message(status, &reply))));
        }
        let state = server.inspect()?;
        server.port = published_port(&state, &port_key)
            .ok_or_else(|| fail(format!("port {REDIS_PORT} was not published on 127.0.0.1")))?;
        Ok(server)
    }

    fn inspect(&self) -> Result<Value, LiveError> {
        let (status, reply) = call(
            "GET",
            &format!("/containers/{}/json", self.id),
            None,
            QUICK_TIMEOUT,
        )?;
        expect_json(status, 200, &reply).map_err(|e| LiveError::Container {
            image: self.image.clone(),
            reason: format!("inspect {}: {e}", self.id),
        })
    }

    pub(super) fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn addr(&self) -> redis::ConnectionAddr {
        redis::ConnectionAddr::Tcp("127.0.0.1".to_string(), self.port)
    }

    /// Fails fast (with the server's output) if the container already exited.
    pub(super) fn check_alive(&self) -> Result<(), LiveError> {
        let Ok(state) = self.inspect() else {
            // Docker hiccuped: let the PING loop decide.
            return Ok(());
        };
        if state["State"]["Running"].as_bool() != Some(false) {
            return Ok(());
        }
        Err(LiveError::Container {
            image: self.image.clone(),
            reason: format!(
                "the server exited (code {}): {}",
                state["State"]["ExitCode"],
                tail(&self.logs(), 5)
            ),
        })
    }

    /// stdout and stderr of the container, best effort.
    fn logs(&self) -> String {
        match call(
            "GET",
            &format!("/containers/{}/logs?stdout=1&stderr=1", self.id),
            None,
            QUICK_TIMEOUT,
        ) {
            Ok((200, raw)) => String::from_utf8_lossy(&demux(&raw)).into_owned(),
            _ => String::new(),
        }
    }
}

impl Drop for ContainerServer {
    fn drop(&mut self) {
        let removed = call(
            "DELETE",
            &format!("/containers/{}?force=true&v=true", self.id),
            None,
            SLOW_TIMEOUT,
        );
        let problem = match removed {
            Ok((204 | 404, _)) => return,
            Ok((status, reply)) => engine_message(status, &reply),
            Err(e) => e.to_string(),
        };
        eprintln!(
            "redis-races: could not remove container {} ({problem}); remove it with `docker rm -f {}`",
            self.id, self.id
        );
    }
}

/// Parses the engine's JSON answer when the status is the expected one.
fn expect_json(status: u16, expected: u16, body: &[u8]) -> Result<Value, String> {
    if status != expected {
        return Err(engine_message(status, body));
    }
    serde_json::from_slice(body).map_err(|e| format!("unreadable answer from the engine: {e}"))
}

/// `"409: <the engine's message>"`, on one line.
fn engine_message(status: u16, body: &[u8]) -> String {
    let text = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    format!("{status}: {}", crate::error::one_line(&text))
}

/// The host port bound to `port_key` on 127.0.0.1, from a container inspect.
fn published_port(state: &Value, port_key: &str) -> Option<u16> {
    state["NetworkSettings"]["Ports"][port_key]
        .as_array()?
        .iter()
        .filter(|b| b["HostIp"].as_str().is_some_and(|ip| ip == "127.0.0.1"))
        .find_map(|b| b["HostPort"].as_str()?.parse().ok())
}

/// Joins the payloads of the engine's multiplexed log stream (8-byte frame
/// headers: stream, 3 zero bytes, big-endian length); a body that is not
/// framed (a TTY container) is returned as it is.
fn demux(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    while rest.len() >= 8 && matches!(rest[0], 0..=2) && rest[1..4] == [0, 0, 0] {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = (8 + len).min(rest.len());
        out.extend_from_slice(&rest[8..end]);
        rest = &rest[end..];
    }
    if out.is_empty() {
        raw.to_vec()
    } else {
        out
    }
}

/// The last `n` non-empty lines of `s`, joined with " | " to stay on one line.
pub(crate) fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    if lines.is_empty() {
        "no output".to_string()
    } else {
        lines[start..].join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_published_loopback_port() {
        let state = json!({"NetworkSettings": {"Ports": {"6379/tcp": [
            {"HostIp": "0.0.0.0", "HostPort": "1"},
            {"HostIp": "127.0.0.1", "HostPort": "32771"}
        ]}}});
        assert_eq!(published_port(&state, "6379/tcp"), Some(32771));
        assert_eq!(published_port(&json!({}), "6379/tcp"), None);
    }

    #[test]
    fn demultiplexes_log_frames() {
        let mut raw = vec![1, 0, 0, 0, 0, 0, 0, 3];
        raw.extend_from_slice(b"ab\n");
        raw.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 2]);
        raw.extend_from_slice(b"c\n");
        assert_eq!(demux(&raw), b"ab\nc\n");
        assert_eq!(demux(b"plain text"), b"plain text");
    }

    #[test]
    fn engine_errors_stay_on_one_line() {
        let msg = engine_message(409, br#"{"message":"conflict:\n in use"}"#);
        assert_eq!(msg, "409: conflict: in use");
        assert_eq!(engine_message(500, b"oops"), "500: oops");
    }

    #[test]
    fn tail_keeps_last_lines_on_one_line() {
        assert_eq!(tail("a\n\nb\nc\n", 2), "b | c");
        assert_eq!(tail("", 2), "no output");
    }
}
