//! A deliberately tiny, blocking Docker Engine API client: "does an engine
//! answer?", "is this image present locally?", and the few container calls the
//! container backend needs (create, start, inspect, logs, remove). One HTTP/1.0
//! request per connection, with timeouts, so nothing hangs on a dead socket and
//! nothing is ever pulled. (It replaced testcontainers, whose bollard brings
//! tokio, hyper, rustls and BuildKit's gRPC stack: ~100 crates the suite never
//! used.)

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::LiveError;

/// Upper bound for connecting to the engine.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Upper bound for one quick request/response exchange (ping, inspect).
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// Upper bound for calls that make the engine do work (create, start, remove):
/// on a loaded 2-core machine they can take several seconds.
pub(crate) const SLOW_TIMEOUT: Duration = Duration::from_secs(60);
/// Responses we read are tiny (ping, image inspect); cap them anyway.
const MAX_RESPONSE: u64 = 4 << 20;

/// The engine address: `DOCKER_HOST` if set, else the default Unix socket.
pub fn docker_host() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.trim().is_empty() => h.trim().to_string(),
        _ => "unix:///var/run/docker.sock".to_string(),
    }
}

/// Checks that a Docker engine answers `GET /_ping` within a few seconds.
pub fn docker_available() -> Result<(), LiveError> {
    let host = docker_host();
    let unavailable = |reason: String| LiveError::DockerUnavailable {
        host: host.clone(),
        reason,
    };
    let (status, body) = request(&host, "GET", "/_ping", None, IO_TIMEOUT).map_err(unavailable)?;
    let body = String::from_utf8_lossy(&body);
    if status == 200 && body.trim() == "OK" {
        Ok(())
    } else {
        Err(unavailable(format!(
            "GET /_ping answered {status} {}",
            crate::error::one_line(&body)
        )))
    }
}

/// Whether `image` (e.g. `redis-races/redis:7.0`) exists in the local engine.
pub fn image_exists(image: &str) -> Result<bool, LiveError> {
    Ok(image_id(image)?.is_some())
}

/// The local image's id (`sha256:…`), or `None` when the engine has no such image.
pub fn image_id(image: &str) -> Result<Option<String>, LiveError> {
    check_reference(image)?;
    let host = docker_host();
    let (status, body) = request(
        &host,
        "GET",
        &format!("/images/{image}/json"),
        None,
        IO_TIMEOUT,
    )
    .map_err(|reason| LiveError::DockerUnavailable {
        host: host.clone(),
        reason,
    })?;
    let odd = |what: String| LiveError::Container {
        image: image.to_string(),
        reason: format!(
            "image inspect answered {what} {}",
            crate::error::one_line(&String::from_utf8_lossy(&body))
        ),
    };
    match status {
        200 => serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("Id")?.as_str().map(str::to_string))
            .map(Some)
            .ok_or_else(|| odd("200 without an Id:".to_string())),
        404 => Ok(None),
        _ => Err(odd(status.to_string())),
    }
}

/// One call to the engine at [`docker_host`]: `(status, body)`, or why the
/// engine could not be reached. `timeout` bounds each read and write.
pub(crate) fn call(
    method: &str,
    path: &str,
    json: Option<&str>,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), LiveError> {
    let host = docker_host();
    request(&host, method, path, json, timeout)
        .map_err(|reason| LiveError::DockerUnavailable { host, reason })
}

/// Rejects image references that could smuggle anything into a request path.
pub(crate) fn check_reference(image: &str) -> Result<(), LiveError> {
    let valid = !image.is_empty()
        && image
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b))
        && !image.contains("..");
    if valid {
        Ok(())
    } else {
        Err(LiveError::Config {
            reason: format!(
                "'{image}' is not a valid image reference (expected e.g. redis-races/redis:7.0)"
            ),
        })
    }
}

/// Performs one HTTP/1.0 request (the engine then closes the connection, so
/// the response is simply read to EOF: no chunked decoding needed).
fn request(
    host: &str,
    method: &str,
    path: &str,
    json: Option<&str>,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let mut request =
        format!("{method} {path} HTTP/1.0\r\nHost: docker\r\nUser-Agent: redis-races\r\n");
    if let Some(body) = json {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    let raw = if let Some(socket) = host.strip_prefix("unix://") {
        let mut s = UnixStream::connect(socket).map_err(|e| format!("{socket}: {e}"))?;
        s.set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        exchange(&mut s, &request)?
    } else if let Some(addr) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let addr = addr.trim_end_matches('/');
        let sock = addr
            .to_socket_addrs()
            .map_err(|e| format!("{addr}: {e}"))?
            .next()
            .ok_or_else(|| format!("{addr}: no address"))?;
        let mut s = TcpStream::connect_timeout(&sock, CONNECT_TIMEOUT)
            .map_err(|e| format!("{addr}: {e}"))?;
        s.set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        exchange(&mut s, &request)?
    } else {
        return Err(format!(
            "unsupported DOCKER_HOST scheme in '{host}' (use unix:// or tcp:// without TLS)"
        ));
    };
    parse_response(&raw)
}

fn exchange<S: Read + Write>(s: &mut S, request: &str) -> Result<Vec<u8>, String> {
    s.write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    s.take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    Ok(raw)
}

fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let head = String::from_utf8_lossy(&raw[..head_end.unwrap_or(raw.len())]);
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| {
            format!(
                "not an HTTP response: '{}'",
                crate::error::one_line(status_line)
            )
        })?;
    let body = head_end.map_or_else(Vec::new, |i| raw[i + 4..].to_vec());
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_body() {
        let (s, b) = parse_response(b"HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\n\r\nOK").unwrap();
        assert_eq!((s, b.as_slice()), (200, &b"OK"[..]));
        let (_, b) = parse_response(b"HTTP/1.0 200 OK\r\n\r\n\x01\0\0\0\0\0\0\xff").unwrap();
        assert_eq!(b, b"\x01\0\0\0\0\0\0\xff", "binary bodies stay intact");
        let (s, _) = parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n{}").unwrap();
        assert_eq!(s, 404);
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn rejects_odd_image_names_before_any_request() {
        assert!(matches!(
            image_exists("redis races"),
            Err(LiveError::Config { .. })
        ));
        assert!(matches!(
            image_exists("a/../b?x"),
            Err(LiveError::Config { .. })
        ));
    }

    #[test]
    fn unsupported_scheme_is_reported_not_hung() {
        let err = request("ssh://somewhere", "GET", "/_ping", None, IO_TIMEOUT).unwrap_err();
        assert!(err.contains("unsupported DOCKER_HOST"), "{err}");
    }
}
