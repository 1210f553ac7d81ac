//! The hardening profile: which steps `cutover harden` takes and what `cutover gate`
//! checks. A TOML file of its own (`--profile FILE`) or the `[harden]` table of
//! cutover.toml; both have the same keys (schema/profile.schema.json). Unknown keys are
//! errors, so a misspelt step never passes silently.
//!
//! Relative paths in a profile (env file, sample env, password file) are read from the
//! current directory, as the `sqlite://` target path is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::password::PasswordFormat;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The application's production env file (`KEY=value` lines): secrets are rotated in
    /// it and the gate checks its settings. `--env-file` on the command line wins.
    pub env_file: Option<PathBuf>,
    /// The application's sample env file (`.env.example`): its values count as known
    /// insecure.
    pub sample_env: Option<PathBuf>,
    /// When the env file does not exist yet, it starts as a copy of this file (the
    /// production settings prepared for the client), then its secrets are rotated.
    pub env_template: Option<PathBuf>,
    /// The steps, applied in order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// What `cutover gate` checks besides the steps.
    #[serde(default)]
    pub gate: GateSettings,
}

/// One hardening step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Set a flag (e.g. `is_active = false`) on the rows whose `match_column` matches one
    /// of `values` (exact, or a glob with `*`, or `prefix[0-9]*`; ASCII case-insensitive).
    /// Rows are kept.
    Deactivate {
        /// A name for messages and the journal (default: `deactivate <table>`).
        name: Option<String>,
        table: String,
        match_column: String,
        /// The boolean column to set (default `is_active`).
        #[serde(default = "default_flag")]
        flag: String,
        /// The flag's value meaning "inactive" (default false).
        #[serde(default)]
        inactive_value: bool,
        values: Vec<String>,
    },
    /// Create the production admin with a generated password, hashed in the application's
    /// format, written once to `password_file` (mode 0600) and nowhere else.
    CreateAdmin {
        name: Option<String>,
        table: String,
        /// Column holding the login name (default `username`).
        #[serde(default = "default_username_column")]
        username_column: String,
        /// The admin's login name: client-specific, not a demo name.
        username: String,
        /// Column holding the password hash (default `password_hash`).
        #[serde(default = "default_password_column")]
        password_column: String,
        /// `bcrypt` (default), `argon2id` or `django_pbkdf2_sha256`.
        #[serde(default)]
        format: HashFormat,
        /// bcrypt cost (default 12).
        cost: Option<u32>,
        /// Django pbkdf2_sha256 iterations (default 870000).
        iterations: Option<u32>,
        /// Password length (default 24, at least 16).
        password_length: Option<usize>,
        /// Where the password is written once, mode 0600.
        password_file: PathBuf,
        /// The flag column that must be true (default `is_active`; empty: none).
        #[serde(default = "default_flag")]
        flag: String,
        /// Other columns of the new row: role, client id, e-mail, … (`"now"` is the current time).
        #[serde(default)]
        #[schemars(with = "BTreeMap<String, serde_json::Value>")]
        columns: BTreeMap<String, toml::Value>,
    },
    /// Give each of `keys` a new random value (URL-safe, `length` characters) in the env
    /// file, atomically with a backup, when a value is missing, short, low in entropy or
    /// known insecure; then invalidate what the old secret signed.
    RotateSecret {
        name: Option<String>,
        keys: Vec<String>,
        /// Length of the new values (default 64).
        length: Option<usize>,
        /// More values that count as insecure (the sample env's values always do).
        #[serde(default)]
        insecure: Vec<String>,
        /// Rows that the old secret signed, to expire when a secret is rotated.
        #[serde(default)]
        invalidate: Vec<Invalidate>,
    },
    /// Add an optimistic-locking column where it is missing, and index it when asked.
    VersionColumns {
        name: Option<String>,
        /// Tables (default: every table of the target).
        #[serde(default)]
        tables: Vec<String>,
        /// Column name (default `version`).
        #[serde(default = "default_version_column")]
        column: String,
        /// Column type as the target spells it (default BIGINT NOT NULL DEFAULT 1).
        #[serde(default = "default_version_type")]
        definition: String,
        /// Also create `idx_<table>_<column>` (default false; see the docs for the trade-off).
        #[serde(default)]
        index: bool,
    },
    /// An index on every foreign-key column set that no index starts with.
    FkIndexes { name: Option<String> },
    /// An index on columns the application filters by (`client_id, entry_date`).
    Index {
        name: Option<String>,
        table: String,
        columns: Vec<String>,
        /// Index name (default `idx_<table>_<columns>`).
        index_name: Option<String>,
    },
    /// PostgreSQL extensions the application needs (`pg_trgm`, `uuid-ossp`, …).
    Extensions { name: Option<String>, extensions: Vec<String> },
    /// Plain SQL: `check` returns a number, and the step is needed when it is above 0.
    Sql {
        name: String,
        check: String,
        apply: String,
        /// SQL that takes the change back, for `--undo` (without it the step cannot be undone).
        undo: Option<String>,
    },
}

/// Rows signed with the old secret: `set` these columns on the rows `where` selects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invalidate {
    pub table: String,
    /// Column values to set, e.g. `{ revoked = true }`.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub set: BTreeMap<String, toml::Value>,
    /// A SQL condition on the rows (default: every row not already set).
    #[serde(rename = "where")]
    pub where_: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HashFormat {
    #[default]
    Bcrypt,
    Argon2id,
    DjangoPbkdf2Sha256,
}

/// What the gate checks besides the steps.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateSettings {
    /// Env keys that must be present and non-empty (a key one or two letters away from
    /// one of these is reported as misspelt).
    #[serde(default)]
    pub required_keys: Vec<String>,
    /// Env key that turns debug mode on (default `DEBUG`).
    pub debug_key: Option<String>,
    /// Env keys holding allowed CORS origins (default `CORS_ALLOWED_ORIGINS`, `CORS_ORIGINS`).
    #[serde(default)]
    pub cors_keys: Vec<String>,
    /// SQL returning the allowed CORS origins the application keeps in its database (one
    /// text column; a value may be a JSON array or a comma-separated list), checked like
    /// the env file's: `SELECT value FROM app_settings WHERE key = 'allowed_origins'`.
    pub cors_query: Option<String>,
    /// Env key holding the application's database URL (default `DATABASE_URL`).
    pub database_url_key: Option<String>,
    /// The migration's verify report (default `.cutover/<target>/verify.json`).
    pub verify_report: Option<PathBuf>,
    /// Level per check id, to lower (or raise) a check: `{ pg_ssl = "warning" }`. The
    /// report shows the level used.
    #[serde(default)]
    pub levels: BTreeMap<String, crate::plan::Level>,
}

fn default_flag() -> String {
    "is_active".into()
}
fn default_username_column() -> String {
    "username".into()
}
fn default_password_column() -> String {
    "password_hash".into()
}
fn default_version_column() -> String {
    "version".into()
}
fn default_version_type() -> String {
    "BIGINT NOT NULL DEFAULT 1".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: cannot read the hardening profile: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    Parse { path: String, reason: String },
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProfileError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
        toml::from_str(&text)
            .map_err(|e| ProfileError::Parse { path: path.display().to_string(), reason: e.to_string() })
    }

    /// The `[harden]` table of a cutover.toml.
    pub fn from_config(value: &toml::Value, path: &str) -> Result<Profile, ProfileError> {
        value.clone().try_into().map_err(|e: toml::de::Error| ProfileError::Parse {
            path: format!("{path} [harden]"),
            reason: e.to_string(),
        })
    }
}

impl Step {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Deactivate { .. } => "deactivate",
            Step::CreateAdmin { .. } => "create_admin",
            Step::RotateSecret { .. } => "rotate_secret",
            Step::VersionColumns { .. } => "version_columns",
            Step::FkIndexes { .. } => "fk_indexes",
            Step::Index { .. } => "index",
            Step::Extensions { .. } => "extensions",
            Step::Sql { .. } => "sql",
        }
    }

    /// The step's name in messages, the report and the journal.
    pub fn title(&self) -> String {
        match self {
            Step::Deactivate { name: Some(n), .. }
            | Step::CreateAdmin { name: Some(n), .. }
            | Step::RotateSecret { name: Some(n), .. }
            | Step::VersionColumns { name: Some(n), .. }
            | Step::FkIndexes { name: Some(n) }
            | Step::Index { name: Some(n), .. }
            | Step::Extensions { name: Some(n), .. }
            | Step::Sql { name: n, .. } => n.clone(),
            Step::Deactivate { table, .. } => format!("deactivate {table}"),
            Step::CreateAdmin { username, .. } => format!("create admin {username}"),
            Step::RotateSecret { keys, .. } => format!("rotate {}", keys.join(", ")),
            Step::VersionColumns { column, .. } => format!("version columns ({column})"),
            Step::FkIndexes { .. } => "foreign-key indexes".into(),
            Step::Index { table, columns, .. } => format!("index {table}({})", columns.join(", ")),
            Step::Extensions { extensions, .. } => format!("extensions {}", extensions.join(", ")),
        }
    }
}

impl HashFormat {
    pub fn format(self, cost: Option<u32>, iterations: Option<u32>) -> PasswordFormat {
        match self {
            HashFormat::Bcrypt => PasswordFormat::Bcrypt { cost: cost.unwrap_or(PasswordFormat::DEFAULT_BCRYPT_COST) },
            HashFormat::Argon2id => PasswordFormat::Argon2id,
            HashFormat::DjangoPbkdf2Sha256 => PasswordFormat::DjangoPbkdf2Sha256 {
                iterations: iterations.unwrap_or(PasswordFormat::DEFAULT_DJANGO_ITERATIONS),
            },
        }
    }

    /// The prefix every hash of this format starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            HashFormat::Bcrypt => "$2",
            HashFormat::Argon2id => "$argon2id$",
            HashFormat::DjangoPbkdf2Sha256 => "pbkdf2_sha256$",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_profile_that_init_writes_parses() {
        let text = r#"
[[steps]]
kind = "deactivate"
table = "users"
match_column = "username"
flag = "is_active"
values = ["admin", "supervisor*"]
"#;
        let p: Profile = toml::from_str(text).unwrap();
        assert_eq!(p.steps.len(), 1);
        assert_eq!(p.steps[0].kind(), "deactivate");
    }

    #[test]
    fn a_misspelt_key_is_an_error() {
        let text = "[[steps]]\nkind = \"fk_indexes\"\nnmae = \"x\"\n";
        let e = toml::from_str::<Profile>(text).unwrap_err().to_string();
        assert!(e.contains("nmae"), "{e}");
    }
}
