//! A deliberately tiny Docker Engine API client: just enough to answer
//! "does an engine answer?" and "is this image present locally?" quickly and
//! without hanging, before testcontainers is asked to do anything (it would
//! otherwise wait on a dead socket or try to pull a missing image).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::LiveError;

/// Upper bound for connecting to the engine.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Upper bound for one request/response exchange.
const IO_TIMEOUT: Duration = Duration::from_secs(3);
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
    let (status, body) = get(&host, "/_ping").map_err(unavailable)?;
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
    let valid = !image.is_empty()
        && image
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b));
    if !valid {
        return Err(LiveError::Config {
            reason: format!(
                "'{image}' is not a valid image reference (expected e.g. redis-races/redis:7.0)"
            ),
        });
    }
    let host = docker_host();
    let (status, body) = get(&host, &format!("/images/{image}/json")).map_err(|reason| {
        LiveError::DockerUnavailable {
            host: host.clone(),
            reason,
        }
    })?;
    match status {
        200 => Ok(true),
        404 => Ok(false),
        _ => Err(LiveError::Container {
            image: image.to_string(),
            reason: format!(
                "image inspect answered {status} {}",
                crate::error::one_line(&body)
            ),
        }),
    }
}

/// Performs one HTTP/1.0 GET (the engine then closes the connection, so the
/// response is simply read to EOF: no chunked decoding needed).
fn get(host: &str, path: &str) -> Result<(u16, String), String> {
    let request = format!("GET {path} HTTP/1.0\r\nHost: docker\r\nUser-Agent: redis-races\r\n\r\n");
    let raw = if let Some(socket) = host.strip_prefix("unix://") {
        let mut s = UnixStream::connect(socket).map_err(|e| format!("{socket}: {e}"))?;
        s.set_read_timeout(Some(IO_TIMEOUT))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(IO_TIMEOUT))
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
        s.set_read_timeout(Some(IO_TIMEOUT))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(IO_TIMEOUT))
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

fn parse_response(raw: &[u8]) -> Result<(u16, String), String> {
    let text = String::from_utf8_lossy(raw);
    let status_line = text.lines().next().unwrap_or_default();
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
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_body() {
        let (s, b) = parse_response(b"HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\n\r\nOK").unwrap();
        assert_eq!((s, b.as_str()), (200, "OK"));
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
        let err = get("ssh://somewhere", "/_ping").unwrap_err();
        assert!(err.contains("unsupported DOCKER_HOST"), "{err}");
    }
}
