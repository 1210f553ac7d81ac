//! Test harness: real PostgreSQL, MariaDB and SQLite on loopback.
//!
//! Each test gets its own database, named after the test, created fresh and dropped
//! when the test passes; a failing test keeps it for inspection. Server URLs come from
//! CUTOVER_TEST_POSTGRES / CUTOVER_TEST_MARIADB with loopback defaults. A server that
//! does not answer fails the test with the command that starts it: never a silent skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cutover::target::Dialect;
use sqlx::{Connection, Executor};

pub const PG_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const MARIADB_DEFAULT: &str = "mysql://root@127.0.0.1:3306/mysql";

pub fn server_url(dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => std::env::var("CUTOVER_TEST_POSTGRES").unwrap_or_else(|_| PG_DEFAULT.into()),
        Dialect::MariaDb => std::env::var("CUTOVER_TEST_MARIADB").unwrap_or_else(|_| MARIADB_DEFAULT.into()),
        Dialect::Sqlite => panic!("sqlite needs no server"),
    }
}

fn how_to_start(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "start it with scripts/services.sh (or: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), or set CUTOVER_TEST_POSTGRES",
        _ => "start it with scripts/services.sh (or: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd), or set CUTOVER_TEST_MARIADB",
    }
}

/// The repository's root, and the shared corpus beside it.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn demo_fixture() -> PathBuf {
    repo().join("fixtures/demo/demo.sql")
}

/// Every SQLite database of ../shared/corpus. Fails loudly if the corpus is missing.
pub fn corpus() -> Vec<PathBuf> {
    let dir = repo().join("../shared/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!("the shared corpus {} is missing ({e}); it ships beside the repository", dir.display())
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sqlite" || x == "db"))
        .collect();
    files.sort();
    assert!(files.len() >= 19, "expected the 19 corpus databases in {}", dir.display());
    files
}

/// A scratch database on a real server, dropped on success and kept on failure.
pub struct ScratchDb {
    pub dialect: Dialect,
    pub name: String,
    pub url: String,
    admin_url: String,
}

fn sanitize(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    let s = format!("cutover_t_{s}");
    if s.len() > 60 {
        format!("{}_{:08x}", &s[..50], cutover::hash::fnv1a64(s.as_bytes()) & 0xffff_ffff)
    } else {
        s
    }
}

impl ScratchDb {
    pub async fn new(dialect: Dialect, test_name: &str) -> ScratchDb {
        let admin_url = server_url(dialect);
        let name = sanitize(test_name);
        let quoted = match dialect {
            Dialect::Postgres => format!("\"{name}\""),
            _ => format!("`{name}`"),
        };
        let drop = match dialect {
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"),
            _ => format!("DROP DATABASE IF EXISTS {quoted}"),
        };
        let create = match dialect {
            Dialect::Postgres => format!("CREATE DATABASE {quoted}"),
            _ => format!("CREATE DATABASE {quoted} CHARACTER SET utf8mb4"),
        };
        admin_exec(dialect, &admin_url, &[&drop, &create]).await;
        let url = cutover::target::url::TargetUrl::parse(&admin_url).unwrap().with_database(&name).expose().to_string();
        ScratchDb { dialect, name, url, admin_url }
    }

    /// Run statements in one session that has the engine's session setup applied.
    pub async fn exec_all(&self, statements: &[String]) -> Vec<(usize, String)> {
        let mut errors = Vec::new();
        match self.dialect {
            Dialect::Postgres => {
                let mut c =
                    sqlx::PgConnection::connect(&self.url).await.unwrap_or_else(|e| connect_failed(self.dialect, e));
                for s in self.dialect.engine().session_setup() {
                    c.execute(*s).await.unwrap();
                }
                for (i, s) in statements.iter().enumerate() {
                    if let Err(e) = c.execute(sqlx::raw_sql(s)).await {
                        errors.push((i, e.to_string()));
                    }
                }
            }
            _ => {
                let mut c =
                    sqlx::MySqlConnection::connect(&self.url).await.unwrap_or_else(|e| connect_failed(self.dialect, e));
                for s in self.dialect.engine().session_setup() {
                    c.execute(*s).await.unwrap();
                }
                for (i, s) in statements.iter().enumerate() {
                    if let Err(e) = c.execute(sqlx::raw_sql(s)).await {
                        errors.push((i, e.to_string()));
                    }
                }
            }
        }
        errors
    }

    /// Drop the database (call at the end of a passing test).
    pub async fn drop_db(self) {
        let quoted = match self.dialect {
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS `{}`", self.name),
        };
        admin_exec(self.dialect, &self.admin_url, &[&quoted]).await;
    }
}

fn connect_failed(dialect: Dialect, e: sqlx::Error) -> ! {
    panic!("cannot connect to {dialect} ({e}); {}", how_to_start(dialect))
}

async fn admin_exec(dialect: Dialect, url: &str, statements: &[&str]) {
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| connect_failed(dialect, e));
            for s in statements {
                c.execute(*s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(url).await.unwrap_or_else(|e| connect_failed(dialect, e));
            for s in statements {
                c.execute(*s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
    }
}

/// Read and plan one source for a dialect.
pub fn plan_for(path: &Path, dialect: Dialect) -> cutover::plan::Plan {
    let mut src = cutover::source::Source::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema = src.read_schema().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let config = cutover::config::Config::default();
    let opts =
        cutover::plan::PlanOptions { dialect, target_schema: None, config: &config, excluded: Default::default() };
    cutover::plan::build(&schema, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
