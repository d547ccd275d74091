//! A throw-away container from a locally built image (`images/build.sh`).
//!
//! testcontainers' `Container` removes the container in its `Drop`, which also
//! runs while a panic unwinds; we call `rm()` explicitly so a failure to remove
//! is reported instead of only logged. Every container carries the
//! [`OWNER_LABEL`](super::OWNER_LABEL) with our PID so leaks can be found.

use testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

use super::{OWNER_LABEL, READY_TIMEOUT};
use crate::LiveError;

/// The port the images' entrypoint listens on.
const REDIS_PORT: u16 = 6379;

pub(super) struct ContainerServer {
    pub(super) image: String,
    container: Option<Container<GenericImage>>,
    id: String,
    port: u16,
}

impl ContainerServer {
    /// Runs `image` with its port published on 127.0.0.1 only (the images run
    /// with protected mode off, so they must not be reachable from outside).
    pub(super) fn start(image: &str) -> Result<Self, LiveError> {
        crate::docker::docker_available()?;
        if !crate::docker::image_exists(image)? {
            return Err(LiveError::ImageMissing {
                image: image.to_string(),
            });
        }
        let (name, tag) = split_reference(image);
        let fail = |reason: String| LiveError::Container {
            image: image.to_string(),
            reason: crate::error::one_line(&reason),
        };
        let container = GenericImage::new(name, tag)
            .with_exposed_port(REDIS_PORT.tcp())
            // Readiness is our own PING loop (see `owned`), which works for
            // every image and version whatever its log lines say.
            .with_wait_for(WaitFor::Nothing)
            .with_label(OWNER_LABEL, std::process::id().to_string())
            .with_label("redis-races.backend", "container")
            .with_startup_timeout(READY_TIMEOUT)
            .with_host_config_modifier(|hc: &mut HostConfig| {
                hc.publish_all_ports = Some(false);
                hc.port_bindings = Some(
                    [(
                        format!("{REDIS_PORT}/tcp"),
                        Some(vec![PortBinding {
                            host_ip: Some("127.0.0.1".to_string()),
                            host_port: Some(String::new()),
                        }]),
                    )]
                    .into_iter()
                    .collect(),
                );
            })
            .start()
            .map_err(|e| fail(e.to_string()))?;
        let id = container.id().to_string();
        // From here on `container` is owned by `server`, whose Drop removes it
        // if anything below fails.
        let mut server = ContainerServer {
            image: image.to_string(),
            container: Some(container),
            id,
            port: 0,
        };
        server.port = server
            .container()
            .get_host_port_ipv4(REDIS_PORT.tcp())
            .map_err(|e| fail(format!("port {REDIS_PORT} was not published: {e}")))?;
        Ok(server)
    }

    fn container(&self) -> &Container<GenericImage> {
        self.container
            .as_ref()
            .expect("container present until drop")
    }

    pub(super) fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn addr(&self) -> redis::ConnectionAddr {
        redis::ConnectionAddr::Tcp("127.0.0.1".to_string(), self.port)
    }

    /// Fails fast (with the server's output) if the container already exited.
    pub(super) fn check_alive(&self) -> Result<(), LiveError> {
        let c = self.container();
        match c.is_running() {
            Ok(false) => {
                let mut out = c.stdout_to_vec().unwrap_or_default();
                out.extend(c.stderr_to_vec().unwrap_or_default());
                Err(LiveError::Container {
                    image: self.image.clone(),
                    reason: format!(
                        "the server exited (code {:?}): {}",
                        c.exit_code().ok().flatten(),
                        tail(&String::from_utf8_lossy(&out), 5)
                    ),
                })
            }
            // `true`, or Docker hiccuped: let the PING loop decide.
            _ => Ok(()),
        }
    }
}

impl Drop for ContainerServer {
    fn drop(&mut self) {
        if let Some(container) = self.container.take() {
            if let Err(e) = container.rm() {
                eprintln!(
                    "redis-races: could not remove container {} ({e}); remove it with `docker rm -f {}`",
                    self.id, self.id
                );
            }
        }
    }
}

/// `redis-races/redis:7.0` -> (`redis-races/redis`, `7.0`); no tag -> `latest`.
fn split_reference(image: &str) -> (String, String) {
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_string(),
            image[last_slash + i + 1..].to_string(),
        ),
        None => (image.to_string(), "latest".to_string()),
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
    fn splits_image_references() {
        assert_eq!(
            split_reference("redis-races/redis:7.0"),
            ("redis-races/redis".into(), "7.0".into())
        );
        assert_eq!(
            split_reference("localhost:5000/redis"),
            ("localhost:5000/redis".into(), "latest".into())
        );
        assert_eq!(split_reference("redis"), ("redis".into(), "latest".into()));
    }

    #[test]
    fn tail_keeps_last_lines_on_one_line() {
        assert_eq!(tail("a\n\nb\nc\n", 2), "b | c");
        assert_eq!(tail("", 2), "no output");
    }
}
