//! The target engine families cutover writes to, as one small enum: what a user names
//! with `--dialect` or a URL scheme, what a plan and a report say they are for.
//!
//! It sits below everything that varies by engine, so that the conversion rules
//! (`convert`), the planner and the engines themselves (`target`) can all name an engine
//! without depending on each other. What an engine does differently is not here: that is
//! `target::SqlDialect`, reached with `Dialect::engine()`.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The target engine family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// PostgreSQL 12 or later.
    Postgres,
    /// MariaDB 10.6 or later (MySQL 8 speaks the same protocol).
    #[value(name = "mariadb", alias = "mysql")]
    #[serde(rename = "mariadb", alias = "mysql")]
    MariaDb,
    /// A new SQLite file: the embedded target, no server needed.
    Sqlite,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::MariaDb => "mariadb",
            Dialect::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "mariadb" | "mysql" => Ok(Dialect::MariaDb),
            "sqlite" => Ok(Dialect::Sqlite),
            other => Err(format!("unknown dialect `{other}`; use postgres, mariadb or sqlite")),
        }
    }
}
