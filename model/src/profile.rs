//! Server versions whose observable rules differ. The model takes one; the conformance suite
//! shows which profile each real server matches.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A server version profile: every rule of the model that differs between Redis versions is a
/// method here, so a difference is one `match`, not a scattered `if`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Profile {
    #[serde(rename = "redis-6.0")]
    Redis60,
    #[default]
    #[serde(rename = "redis-7.0")]
    Redis70,
    #[serde(rename = "redis-8.0")]
    Redis80,
    #[serde(rename = "valkey-8.1")]
    Valkey81,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::Redis60,
        Profile::Redis70,
        Profile::Redis80,
        Profile::Valkey81,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Redis60 => "redis-6.0",
            Profile::Redis70 => "redis-7.0",
            Profile::Redis80 => "redis-8.0",
            Profile::Valkey81 => "valkey-8.1",
        }
    }

    /// Redis 7.0 added script flags and forbids blocking commands inside scripts with an
    /// error; 6.0 ran them as their non-blocking form.
    pub fn blocking_in_script_is_error(self) -> bool {
        !matches!(self, Profile::Redis60)
    }

    /// Since 7.0 an error raised by `redis.call` or by the Lua runtime carries the script's
    /// location (`script: <sha>, on @user_script:<line>.`).
    pub fn script_errors_carry_location(self) -> bool {
        !matches!(self, Profile::Redis60)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!("unknown profile {s:?} (expected one of: redis-6.0, redis-7.0, redis-8.0, valkey-8.1)")
            })
    }
}
