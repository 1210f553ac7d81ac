//! `cutover.toml`: the consultant's record of one migration — source, target, and the
//! per-table and per-column decisions that override cutover's defaults.
//!
//! Every value may also come from the command line; flags given there win over the
//! file. Unknown keys are errors (a misspelt override must not be silently ignored),
//! and `${VAR}` in the target URL is read from the environment so that passwords need
//! not be written into the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::target::{CollationSettings, Dialect};
use crate::types::{ColumnType, EpochUnit};

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The SQLite file or `.sql` dump to migrate (relative to this file's folder).
    pub source: Option<PathBuf>,
    /// Target URL: postgres://…, mariadb://… / mysql://…, or sqlite://path. `${VAR}` is read from the environment.
    pub target: Option<String>,
    /// Target dialect when planning without a URL.
    pub dialect: Option<Dialect>,
    /// PostgreSQL schema to create the tables in (default `public`).
    pub target_schema: Option<String>,
    /// The application framework whose conventions create mode applies: django,
    /// sqlalchemy, rails, laravel or none (default: detected from its bookkeeping tables).
    pub app: Option<String>,
    /// Views: `skip` (leave them out), `best-effort` (default: a view that cannot be
    /// translated or that the target rejects is a warning) or `strict` (it fails the run).
    pub views: Option<LogicPolicy>,
    /// CHECK constraints, with the same choices as `views`.
    pub checks: Option<LogicPolicy>,
    /// MariaDB collations chosen for SQLite's collations.
    #[serde(default)]
    pub mariadb: MariaDbConfig,
    /// Per-table decisions, keyed by the table's SQLite name.
    #[serde(default)]
    pub tables: BTreeMap<String, TableConfig>,
    /// The hardening profile (schema/profile.schema.json) inline; `init` writes a starter.
    /// Read by `harden`, `gate` and `golive`.
    #[schemars(with = "Option<serde_json::Value>")]
    pub harden: Option<toml::Value>,
    /// The hardening profile as a file of its own (relative to this file's folder), instead of `[harden]`.
    pub profile: Option<PathBuf>,
    /// The file this was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// What to do with the logic SQLite keeps in SQL text (views, CHECK constraints), which
/// cutover translates into the target's SQL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LogicPolicy {
    /// Leave them out of the target.
    Skip,
    /// Translate each; one that cannot be translated, or that the target rejects, is a
    /// warning naming it, and the migration goes on.
    #[default]
    BestEffort,
    /// Translate each; one that cannot be translated fails the run before anything is
    /// written (exit 3), one that the target rejects stops it.
    Strict,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MariaDbConfig {
    #[serde(default)]
    pub collations: CollationSettings,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// Leave this table out of the migration.
    #[serde(default)]
    pub skip: bool,
    /// Name of the table in the target (default: the SQLite name).
    pub name: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnConfig>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// Target type in cutover's neutral spelling: boolean, bigint, integer, smallint, double,
    /// decimal(p,s), varchar(n), text, timestamp, timestamptz, date, time, json, bytes, uuid.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// Name of the column in the target (default: the SQLite name).
    pub name: Option<String>,
    /// Unit of integers in a date/time column: s, ms or us (default: decided from the data).
    pub epoch_unit: Option<EpochUnit>,
    /// With `type = "enum"`: the labels, in order (a value must be one of them, exactly).
    pub labels: Option<Vec<String>>,
    /// With `type = "enum"` on PostgreSQL: the name of the enum type cutover creates
    /// (default: `<table>_<column>`).
    pub enum_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: [tables.{table:?}.columns.{column:?}] type: {source}")]
    BadType {
        path: PathBuf,
        table: String,
        column: String,
        #[source]
        source: crate::types::UnknownType,
    },
    #[error("{path}: target: environment variable {var} is not set (the URL uses ${{{var}}})")]
    MissingEnv { path: PathBuf, var: String },
}

impl Config {
    /// Read a config file; a relative `source` is resolved against the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
        if let Some(src) = &config.source {
            if src.is_relative() {
                let base = path.parent().unwrap_or(Path::new(""));
                config.source = Some(base.join(src));
            }
        }
        if let Some(p) = &config.profile {
            if p.is_relative() {
                let base = path.parent().unwrap_or(Path::new(""));
                config.profile = Some(base.join(p));
            }
        }
        config.path = Some(path.to_path_buf());
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        for (table, t) in &self.tables {
            for (column, c) in &t.columns {
                let mut ty = None;
                if let Some(spelled) = &c.type_ {
                    ty = Some(spelled.parse::<ColumnType>().map_err(|source| ConfigError::BadType {
                        path: path.to_path_buf(),
                        table: table.clone(),
                        column: column.clone(),
                        source,
                    })?);
                }
                let at = format!("[tables.{table:?}.columns.{column:?}]");
                let bad = |message: String| ConfigError::Parse { path: path.to_path_buf(), message };
                match (ty == Some(ColumnType::Enum), c.labels.as_deref()) {
                    (true, None | Some([])) => {
                        return Err(bad(format!(
                            "{at} type = \"enum\" needs its labels, in order: labels = [\"A\", \"B\"]"
                        )))
                    }
                    (false, Some(_)) => {
                        return Err(bad(format!("{at} labels are for type = \"enum\"; set that type or remove them")))
                    }
                    (false, None) if c.enum_name.is_some() => {
                        return Err(bad(format!("{at} enum_name is for type = \"enum\"; set that type or remove it")))
                    }
                    _ => {}
                }
                if let Some(labels) = &c.labels {
                    let mut seen = std::collections::HashSet::new();
                    if let Some(dup) = labels.iter().find(|l| !seen.insert(l.as_str())) {
                        return Err(bad(format!("{at} labels name {dup:?} twice")));
                    }
                }
            }
        }
        Ok(())
    }

    /// The target URL with `${VAR}` read from the environment (only when it is used, so
    /// that planning with `--dialect` needs no password in the environment).
    pub fn target_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(raw) = &self.target else { return Ok(None) };
        let path = self.path.clone().unwrap_or_else(|| PathBuf::from("cutover.toml"));
        expand_env(raw).map(Some).map_err(|var| ConfigError::MissingEnv { path, var })
    }

    pub fn column(&self, table: &str, column: &str) -> Option<&ColumnConfig> {
        self.tables.get(table)?.columns.get(column)
    }

    pub fn table(&self, table: &str) -> Option<&TableConfig> {
        self.tables.get(table)
    }
}

/// Replace `${VAR}` with the environment's value; returns the name of a missing variable.
fn expand_env(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let var = &after[..end];
        out.push_str(&std::env::var(var).map_err(|_| var.to_string())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_types_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cutover.toml");
        std::fs::write(&p, "source = 'x.sqlite'\n[tables.users]\nskipp = true\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("skipp"), "{e}");
        std::fs::write(&p, "[tables.users.columns.age]\ntype = 'int4'\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("users") && e.contains("age") && e.contains("int4"), "{e}");
    }

    #[test]
    fn source_is_relative_to_the_file_and_env_is_expanded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cutover.toml");
        std::env::set_var("CUTOVER_TEST_PW", "pw");
        std::fs::write(&p, "source = 'client.sqlite'\ntarget = 'postgres://app:${CUTOVER_TEST_PW}@h/db'\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.source.clone().unwrap(), dir.path().join("client.sqlite"));
        assert_eq!(c.target_url().unwrap().unwrap(), "postgres://app:pw@h/db");
        std::fs::write(&p, "target = 'postgres://app:${CUTOVER_NOT_SET_X}@h/db'\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert!(matches!(c.target_url(), Err(ConfigError::MissingEnv { .. })));
    }
}
