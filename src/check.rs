//! A check's vocabulary, shared by the gate and the engines' own server checks: how
//! serious a problem is (`Level`, also the level of the plan's findings), what a check
//! found (`Status`), and the `Check` itself with its builders. Plain data: it depends on
//! nothing else in the crate, so `target` and `gate` can both use it.

use schemars::JsonSchema;
use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check read what it needed and found it in order.
    Pass,
    /// The check read what it needed and found a problem.
    Fail,
    /// The check could not read what it needed (permission denied, a server error): it
    /// counts as failing unless its level is below the fail level.
    Warn,
    /// Not applicable here (server checks on an sqlite:// target, extensions on MariaDB).
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

/// One go-live check.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Check {
    /// Stable identifier (`migration_verified`, `deactivated_users`, `pg_ssl`, …); the
    /// profile's `gate.levels` sets a level per id.
    pub id: String,
    /// How serious a problem here is (default `error`).
    pub level: Level,
    /// True when the level comes from the profile's `gate.levels` rather than the default.
    pub level_from_profile: bool,
    pub status: Status,
    /// True when this check makes the gate NO-GO: status fail or warn at or above the fail level.
    pub blocking: bool,
    pub message: String,
    /// What to do when the check does not pass.
    pub hint: String,
    /// What the check saw. Secrets appear only as `***`, a length or the reason they are weak.
    pub evidence: Vec<String>,
}

impl Check {
    pub fn new(id: impl Into<String>, status: Status, message: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            level: Level::Error,
            level_from_profile: false,
            status,
            blocking: false,
            message: message.into(),
            hint: String::new(),
            evidence: Vec::new(),
        }
    }

    pub fn pass(id: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(id, Status::Pass, message)
    }

    pub fn fail(id: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(id, Status::Fail, message)
    }

    pub fn skip(id: impl Into<String>, message: impl Into<String>) -> Check {
        Check::new(id, Status::Skip, message)
    }

    /// A check that could not be read: `what` failed with `reason` (the server's message).
    pub fn unreadable(id: impl Into<String>, what: &str, reason: impl std::fmt::Display) -> Check {
        Check::new(id, Status::Warn, format!("could not read {what}: {reason}"))
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = hint.into();
        self
    }

    pub fn evidence(mut self, evidence: Vec<String>) -> Check {
        self.evidence = evidence;
        self
    }
}

/// At most `max` items, then `… and N more`.
/// At most `max` lines of `items`, then `… and N more`.
pub fn capped(items: impl IntoIterator<Item = String>, max: usize) -> Vec<String> {
    let all: Vec<String> = items.into_iter().collect();
    if all.len() <= max {
        return all;
    }
    let rest = all.len() - max;
    let mut out: Vec<String> = all.into_iter().take(max).collect();
    out.push(format!("… and {rest} more"));
    out
}
