//! A trace as JSON: the serde form of [`model::trace::Trace`], with its `version` field set to
//! [`TRACE_FORMAT_VERSION`]. `redis-races trace --format json` writes it and `replay --trace`
//! reads it. Version 2 writes each note as a tagged object ([`model::Note`]); a version-1
//! file (notes as text) still reads, its notes converted, or fails naming the note it cannot
//! read.

use model::trace::{Trace, READABLE_TRACE_VERSIONS, TRACE_FORMAT_VERSION};
use std::fmt;

/// Why a JSON text is not a trace this build can read.
#[derive(Debug)]
pub enum Error {
    /// Not JSON, or not the shape of a trace.
    Parse(serde_json::Error),
    /// No `version` number at the top level.
    MissingVersion,
    /// A trace written in a format version this build does not read.
    Version { found: u64, expected: u32 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "not a trace: {e}"),
            Error::MissingVersion => f.write_str("not a trace: no \"version\" number"),
            Error::Version { found, expected } => write!(
                f,
                "trace format version {found} is not supported (this build reads versions 1 to {expected})"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The trace as pretty-printed JSON, with the current format version (whatever
/// `trace.version` says).
pub fn to_string(trace: &Trace) -> String {
    let mut t = trace.clone();
    t.version = TRACE_FORMAT_VERSION;
    serde_json::to_string_pretty(&t).expect("a trace always serializes")
}

/// Reads a trace, checking its format version first (so a trace from a newer build gets a
/// version error rather than a confusing field error). A version-1 trace comes back as the
/// current version, its notes converted.
pub fn from_str(text: &str) -> Result<Trace, Error> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(Error::Parse)?;
    let found = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or(Error::MissingVersion)?;
    if !READABLE_TRACE_VERSIONS
        .iter()
        .any(|&v| u64::from(v) == found)
    {
        return Err(Error::Version {
            found,
            expected: TRACE_FORMAT_VERSION,
        });
    }
    let mut trace: Trace = serde_json::from_value(value).map_err(Error::Parse)?;
    trace.version = TRACE_FORMAT_VERSION;
    Ok(trace)
}
