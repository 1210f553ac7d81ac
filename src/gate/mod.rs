//! The go-live gate: every check that must hold before the client's staff log in to the
//! migrated database, each with a stable id, a level, a status, a message, a hint and
//! the evidence it saw, and one verdict: GO or NO-GO.
//!
//! The checks come from four places: the migration's own records (`migration`: state
//! file and verify report), the hardening profile's steps (`steps`: each step's
//! "is it done?" re-read from the target), the application's env file (`settings`:
//! DEBUG, CORS, DATABASE_URL, required keys), and the server's security settings
//! (`server`). `render` prints a report as a table, JUnit XML or Markdown.
//!
//! Rules every check follows: a check that cannot be read (permission denied, a server
//! error) is `warn`, never a silent pass, and it blocks go-live unless its level is
//! below the fail level; a secret never reaches a message or the evidence (only its
//! length and why it is weak); a password hash is never printed.

mod migration;
pub mod render;
mod server;
pub mod settings;
mod steps;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Serialize;

use crate::harden::profile::{Profile, Step};
use crate::harden::EnvFile;
use crate::plan::Level;
use crate::target::conn::{TargetConn, TargetError};
use crate::target::url::TargetUrl;

/// What to check, and where.
#[derive(Debug, Clone)]
pub struct GateOptions {
    pub target: TargetUrl,
    /// PostgreSQL schema of the application's tables (default `public`).
    pub target_schema: Option<String>,
    pub profile: Profile,
    /// The application's production env file (already resolved: `--env-file`, else the
    /// profile's `env_file`).
    pub env_file: Option<PathBuf>,
    /// The migration's state file.
    pub state_file: PathBuf,
    /// The migration's verify report (`cutover verify --report FILE`).
    pub verify_report: PathBuf,
    /// The hardening journal: which secret the sessions of this target were revoked under.
    pub journal: PathBuf,
    /// Problems at this level or above make the gate NO-GO.
    pub fail_level: Level,
}

pub use crate::check::{capped, Check, Status};

impl Check {
    /// A check whose query the server refused: the server's own message (permission
    /// denied, …); the check's message already says what was read.
    pub(crate) fn refused(id: impl Into<String>, what: &str, error: &TargetError) -> Check {
        Check::unreadable(id, what, error.reason())
    }
}

/// The gate's verdict and every check behind it (schema/gate.schema.json).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GateReport {
    /// Target URL with its password replaced by ***.
    pub target: String,
    pub server_version: String,
    /// Problems at this level or above block go-live.
    pub fail_level: Level,
    pub checks: Vec<Check>,
    /// Checks that block go-live.
    pub failing: usize,
    /// True when no check blocks: GO.
    pub go: bool,
    pub started_at: String,
    pub seconds: f64,
}

impl GateReport {
    /// `GO` or `NO-GO (n failing)`.
    pub fn verdict(&self) -> String {
        if self.go {
            "GO".to_string()
        } else {
            format!("NO-GO ({} failing)", self.failing)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The target cannot be reached: nothing can be checked.
    #[error(transparent)]
    Connect(TargetError),
    #[error(
        "gate.levels in the hardening profile names {}, which {} no check of cutover gate; the ids are: {}",
        .unknown.join(", "),
        if .unknown.len() == 1 { "is" } else { "are" },
        .known.join(", ")
    )]
    UnknownLevelIds { unknown: Vec<String>, known: Vec<String> },
    #[error("the target SQLite file {path} does not exist; pass the file the migration wrote (--to sqlite://PATH)")]
    NoSqliteFile { path: PathBuf },
}

impl GateError {
    /// True for mistakes in the request (exit 2) rather than failures to run (exit 3).
    pub fn is_usage(&self) -> bool {
        matches!(self, GateError::UnknownLevelIds { .. } | GateError::NoSqliteFile { .. })
    }
}

/// Ids of the checks that do not come from a step, in report order.
pub const MIGRATION_IDS: &[&str] = &["migration_verified"];
pub const CONNECTION_IDS: &[&str] = &["connection_encrypted"];
pub const CONFIG_IDS: &[&str] = &["config_debug_off", "config_cors", "config_database_url", "config_required_keys"];
pub use crate::target::mariadb::server_checks::IDS as MARIADB_IDS;
pub use crate::target::postgres::server_checks::IDS as POSTGRES_IDS;

/// Every check id a run with this profile can report, whatever the engine.
pub fn known_ids(profile: &Profile) -> Vec<String> {
    let mut ids: Vec<String> = MIGRATION_IDS.iter().map(|s| s.to_string()).collect();
    ids.extend(step_ids(&profile.steps));
    if profile.steps.iter().any(|s| matches!(s, Step::RotateSecret { invalidate, .. } if !invalidate.is_empty())) {
        ids.push(steps::SESSIONS_REVOKED.to_string());
    }
    ids.extend(CONFIG_IDS.iter().chain(CONNECTION_IDS).chain(POSTGRES_IDS).chain(MARIADB_IDS).map(|s| s.to_string()));
    ids
}

/// The check id of each step, in order: `deactivated_<table>`, `admin_present`,
/// `secrets_strong`, `version_columns`, `fk_indexes`, `index_<table>`, `extensions`,
/// `sql_<name>` (table and step names in lower case, other characters as `_`). A second
/// step with the same id gets `_2`, a third `_3`, and so on.
pub fn step_ids(steps: &[Step]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    steps
        .iter()
        .map(|step| {
            let base = match step {
                Step::Deactivate { table, .. } => format!("deactivated_{}", slug(table)),
                Step::CreateAdmin { .. } => "admin_present".to_string(),
                Step::RotateSecret { .. } => "secrets_strong".to_string(),
                Step::VersionColumns { .. } => "version_columns".to_string(),
                Step::FkIndexes { .. } => "fk_indexes".to_string(),
                Step::Index { table, .. } => format!("index_{}", slug(table)),
                Step::Extensions { .. } => "extensions".to_string(),
                Step::Sql { name, .. } => format!("sql_{}", slug(name)),
            };
            let mut id = base.clone();
            let mut n = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}_{n}");
                n += 1;
            }
            id
        })
        .collect()
}

/// Lower-case ASCII letters and digits, every run of other characters as one `_`.
fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        "step".to_string()
    } else {
        out
    }
}

/// The application's env file as the checks see it.
pub(crate) enum EnvState {
    /// No env file was given (neither `--env-file` nor the profile's `env_file`).
    NotGiven,
    /// The file does not exist.
    Missing {
        path: PathBuf,
    },
    /// The file exists and cannot be read or parsed.
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    Read(EnvFile),
}

impl EnvState {
    fn load(path: Option<&PathBuf>) -> EnvState {
        let Some(path) = path else { return EnvState::NotGiven };
        match EnvFile::read(path) {
            Ok(env) => EnvState::Read(env),
            Err(crate::harden::HardenError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                EnvState::Missing { path: path.clone() }
            }
            Err(e) => EnvState::Unreadable { path: path.clone(), reason: e.to_string() },
        }
    }

    /// The env file, or the check to report instead when there is none to read.
    pub(crate) fn file_or(&self, id: &str) -> Result<&EnvFile, Check> {
        match self {
            EnvState::Read(env) => Ok(env),
            EnvState::NotGiven => Err(Check::fail(id, "no env file to check: the application's settings are unknown")
                .hint(
                    "pass --env-file FILE (the application's production .env) or set env_file in the hardening profile",
                )),
            EnvState::Missing { path } => {
                Err(Check::fail(id, format!("the env file {} does not exist", path.display())).hint(
                    "pass the production env file with --env-file FILE, or fix env_file in the hardening profile",
                ))
            }
            EnvState::Unreadable { path, reason } => {
                Err(Check::unreadable(id, &format!("the env file {}", path.display()), reason)
                    .hint("make the env file readable by the user running cutover gate"))
            }
        }
    }
}

/// Run every check against the target and return the verdict. Connection failures are
/// errors; everything else is a check's status.
pub async fn gate(opts: &GateOptions) -> Result<GateReport, GateError> {
    let started_at = crate::copy::state::now();
    let clock = Instant::now();
    check_level_ids(&opts.profile)?;
    // Opening a file that is not there would create it: the gate only reads.
    if let Some(path) = opts.target.sqlite_path().filter(|p| !p.exists()) {
        return Err(GateError::NoSqliteFile { path });
    }
    let mut conn = TargetConn::connect(&opts.target).await.map_err(GateError::Connect)?;
    let target = opts.target.to_string();
    let env = EnvState::load(opts.env_file.as_ref().or(opts.profile.env_file.as_ref()));

    let mut checks = vec![migration::verified(opts, &target)];
    let ids = step_ids(&opts.profile.steps);
    let mut ctx =
        steps::Ctx { conn: &mut conn, schema: opts.target_schema.as_deref(), env: &env, profile: &opts.profile };
    for (step, id) in opts.profile.steps.iter().zip(ids) {
        checks.push(steps::check(&mut ctx, step, id).await);
        if let Step::RotateSecret { keys, invalidate, .. } = step {
            if !invalidate.is_empty() {
                checks.push(steps::sessions_revoked(&mut ctx, keys, invalidate, &opts.journal, &target).await);
            }
        }
    }
    checks.extend(settings::checks(&mut conn, &opts.target, &opts.profile.gate, &env).await);
    checks.push(server::connection_encrypted(&conn));
    checks.extend(server::checks(&mut conn).await);

    let checks = apply_levels(checks, &opts.profile, opts.fail_level);
    let failing = checks.iter().filter(|c| c.blocking).count();
    Ok(GateReport {
        target,
        server_version: conn.version().to_string(),
        fail_level: opts.fail_level,
        checks,
        failing,
        go: failing == 0,
        started_at,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// A `gate.levels` entry that names no check would silently do nothing: refuse it.
pub fn check_level_ids(profile: &Profile) -> Result<(), GateError> {
    let known = known_ids(profile);
    let unknown: Vec<String> = profile.gate.levels.keys().filter(|id| !known.contains(id)).cloned().collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(GateError::UnknownLevelIds { unknown, known })
    }
}

/// Set each check's level (the profile's, else error) and whether it blocks go-live; say
/// in the message of an unreadable check whether it counts as failing.
fn apply_levels(checks: Vec<Check>, profile: &Profile, fail_level: Level) -> Vec<Check> {
    checks
        .into_iter()
        .map(|mut c| {
            if let Some(level) = profile.gate.levels.get(&c.id) {
                c.level = *level;
                c.level_from_profile = true;
            }
            let at_or_above = c.level >= fail_level;
            c.blocking = matches!(c.status, Status::Fail | Status::Warn) && at_or_above;
            if c.status == Status::Warn {
                let lvl = level_name(c.level);
                if at_or_above {
                    c.message.push_str(&format!(
                        "; not checked, so it counts as failing (level {lvl}); give cutover the right to read it, or lower the check in gate.levels if that is accepted"
                    ));
                } else {
                    c.message.push_str(&format!(
                        "; not checked (level {lvl}, below the fail level {}, so it does not block)",
                        level_name(fail_level)
                    ));
                }
            }
            c
        })
        .collect()
}

pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(text: &str) -> Profile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn step_ids_are_stable_and_unique() {
        let p = profile(
            r#"
[[steps]]
kind = "deactivate"
table = "users"
match_column = "username"
values = ["admin"]
[[steps]]
kind = "deactivate"
table = "Clients"
match_column = "code"
values = ["DEMO*"]
[[steps]]
kind = "deactivate"
table = "users"
match_column = "email"
values = ["demo@example.com"]
[[steps]]
kind = "sql"
name = "Expire demo sessions!"
check = "SELECT 0"
apply = "SELECT 0"
[[steps]]
kind = "index"
table = "production-entries"
columns = ["client_id"]
[[steps]]
kind = "fk_indexes"
"#,
        );
        assert_eq!(
            step_ids(&p.steps),
            [
                "deactivated_users",
                "deactivated_clients",
                "deactivated_users_2",
                "sql_expire_demo_sessions",
                "index_production_entries",
                "fk_indexes"
            ]
        );
    }

    #[test]
    fn unknown_level_ids_are_refused_and_known_ones_accepted() {
        let p = profile("[gate.levels]\npg_ssl = \"warning\"\nmariadb_strict_mode = \"info\"\n");
        assert!(check_level_ids(&p).is_ok());
        let p = profile("[gate.levels]\npg_ssll = \"warning\"\n");
        let e = check_level_ids(&p).unwrap_err();
        assert!(e.is_usage());
        let msg = e.to_string();
        assert!(msg.contains("pg_ssll") && msg.contains("pg_ssl,"), "{msg}");
    }

    #[test]
    fn a_warn_blocks_at_the_fail_level_and_says_so() {
        let checks = vec![
            Check::unreadable("pg_no_trust_auth", "pg_hba_file_rules", "permission denied"),
            Check::unreadable("pg_ssl", "ssl", "permission denied"),
            Check::fail("pg_superusers", "2 superusers"),
            Check::pass("migration_verified", "ok"),
            Check::skip("extensions", "n/a"),
        ];
        let p = profile("[gate.levels]\npg_ssl = \"warning\"\npg_superusers = \"warning\"\n");
        let out = apply_levels(checks, &p, Level::Error);
        assert!(out[0].blocking);
        assert!(out[0].message.contains("counts as failing (level error)"), "{}", out[0].message);
        assert!(!out[1].blocking && out[1].level_from_profile && out[1].level == Level::Warning);
        assert!(out[1].message.contains("does not block"), "{}", out[1].message);
        assert!(!out[2].blocking);
        assert!(!out[3].blocking && !out[4].blocking);
        // At fail level warning, the lowered checks block again.
        let checks = vec![Check::fail("pg_superusers", "2 superusers")];
        assert!(apply_levels(checks, &p, Level::Warning)[0].blocking);
    }
}
