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

/// Run `cutover` with arguments; returns (exit code, stdout, stderr).
pub fn run_cutover(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover")).args(args).output().expect("run cutover");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A canonical text of one value, computed independently on each side: from the SQLite
/// source by the documented conversion rules, and from the target's text output.
pub mod canon {
    use rusqlite::types::ValueRef;
    use std::str::FromStr;

    fn ts(s: &str) -> Option<String> {
        let s = s.trim().replace('T', " ");
        let s = s.trim_end_matches('Z').trim_end_matches("+00:00").trim_end_matches("+00");
        for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d"] {
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
                return Some(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string());
            }
            if let Ok(d) = chrono::NaiveDate::parse_from_str(s, f) {
                return Some(d.format("%Y-%m-%d 00:00:00.000000").to_string());
            }
        }
        None
    }

    /// The expected canonical text for a source value going into a target column of `pg_type`
    /// (PostgreSQL's format_type spelling).
    pub fn expected(v: ValueRef<'_>, pg_type: &str) -> String {
        let base = pg_type.split('(').next().unwrap_or(pg_type).trim();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match (v, base) {
            (ValueRef::Null, _) => "NULL".into(),
            (ValueRef::Integer(i), "boolean") => (i != 0).to_string(),
            (ValueRef::Text(t), "boolean") => {
                matches!(text(t).to_ascii_lowercase().as_str(), "1" | "true" | "t" | "yes").to_string()
            }
            (ValueRef::Integer(i), "bigint" | "integer" | "smallint") => i.to_string(),
            (ValueRef::Real(f), "bigint" | "integer" | "smallint") => format!("{}", f as i64),
            (ValueRef::Integer(i), "double precision") => format!("{:?}", i as f64),
            (ValueRef::Real(f), "double precision") => format!("{f:?}"),
            (ValueRef::Text(t), "double precision") => {
                text(t).parse::<f64>().map_or_else(|_| format!("unparseable {:?}", text(t)), |f| format!("{f:?}"))
            }
            (v, "numeric") => {
                let s = match v {
                    ValueRef::Integer(i) => i.to_string(),
                    ValueRef::Real(f) => format!("{f}"),
                    ValueRef::Text(t) => text(t),
                    _ => panic!("numeric from blob"),
                };
                let scale = crate::common::type_scale(pg_type);
                let d = rust_decimal::Decimal::from_str(&s)
                    .or_else(|_| rust_decimal::Decimal::from_scientific(&s))
                    .unwrap();
                let d = match scale {
                    Some(sc) => d.round_dp_with_strategy(sc, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
                    None => d,
                };
                d.normalize().to_string()
            }
            (ValueRef::Text(t), "timestamp without time zone" | "timestamp with time zone") => {
                ts(&text(t)).unwrap_or_else(|| text(t))
            }
            (ValueRef::Integer(i), "timestamp without time zone" | "timestamp with time zone") => {
                chrono::DateTime::from_timestamp(i, 0).unwrap().naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
            }
            (ValueRef::Text(t), "date") => text(t)[..10].to_string(),
            (ValueRef::Text(t), "time without time zone") => {
                let s = text(t);
                let s = if s.len() == 5 { format!("{s}:00") } else { s };
                chrono::NaiveTime::parse_from_str(&s, "%H:%M:%S%.f").unwrap().format("%H:%M:%S%.6f").to_string()
            }
            (ValueRef::Text(t), "json" | "jsonb") => {
                serde_json::from_slice::<serde_json::Value>(t).unwrap().to_string()
            }
            (ValueRef::Integer(i), "json" | "jsonb") => i.to_string(),
            (ValueRef::Text(t) | ValueRef::Blob(t), "bytea") => format!("\\x{}", cutover::target::hex(t)),
            (ValueRef::Text(t), "uuid") => text(t).to_ascii_lowercase().trim_matches(['{', '}']).to_string(),
            (ValueRef::Text(t) | ValueRef::Blob(t), _) => text(t),
            (ValueRef::Integer(i), _) => i.to_string(),
            (ValueRef::Real(f), _) => {
                let s = format!("{f}");
                if s.contains('.') || s.contains('e') {
                    s
                } else {
                    format!("{s}.0")
                }
            }
        }
    }

    /// The canonical text of a value PostgreSQL printed as text.
    pub fn actual(v: Option<String>, pg_type: &str) -> String {
        let Some(s) = v else { return "NULL".into() };
        let base = pg_type.split('(').next().unwrap_or(pg_type).trim();
        match base {
            "boolean" => (s == "t" || s == "true").to_string(),
            "double precision" => format!("{:?}", s.parse::<f64>().unwrap()),
            "numeric" => rust_decimal::Decimal::from_str(&s).unwrap().normalize().to_string(),
            "timestamp without time zone" | "timestamp with time zone" => ts(&s).unwrap_or(s),
            "time without time zone" => {
                chrono::NaiveTime::parse_from_str(&s, "%H:%M:%S%.f").unwrap().format("%H:%M:%S%.6f").to_string()
            }
            "json" | "jsonb" => serde_json::from_str::<serde_json::Value>(&s).unwrap().to_string(),
            _ => s,
        }
    }
}

/// The scale of `numeric(p,s)`.
pub fn type_scale(pg_type: &str) -> Option<u32> {
    let args = cutover::plan::mapping::type_args(pg_type);
    args.get(1).copied().or(if args.len() == 1 { Some(0) } else { None })
}

/// Compare every row of every planned table: source values through the documented rules
/// against the target's values, as multisets of canonical rows. Returns mismatches.
pub async fn compare_postgres(
    db_url: &str,
    source: &Path,
    plan: &cutover::plan::Plan,
    skip_tables: &[&str],
) -> Vec<String> {
    use sqlx::Row;
    let src = rusqlite::Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut pg = sqlx::PgConnection::connect(db_url).await.unwrap();
    pg.execute("SET TIME ZONE 'UTC'").await.unwrap();
    let mut problems = Vec::new();
    for tp in plan.tables.iter().filter(|t| !skip_tables.contains(&t.source_name.as_str())) {
        let types: Vec<String> = {
            let mut v = Vec::new();
            for c in &tp.columns {
                let r = sqlx::query("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = $2")
                    .bind(format!("\"{}\"", tp.target_name.replace('"', "\"\"")))
                    .bind(&c.target_name)
                    .fetch_one(&mut pg)
                    .await
                    .unwrap_or_else(|e| panic!("{}.{}: {e}", tp.target_name, c.target_name));
                v.push(r.get::<String, _>(0));
            }
            v
        };
        let cols: Vec<String> =
            tp.columns.iter().map(|c| format!("\"{}\"", c.source_name.replace('"', "\"\""))).collect();
        let mut st = src
            .prepare(&format!("SELECT {} FROM \"{}\"", cols.join(", "), tp.source_name.replace('"', "\"\"")))
            .unwrap();
        let mut expected: Vec<String> = st
            .query_map([], |r| {
                Ok((0..cols.len())
                    .map(|i| canon::expected(r.get_ref(i).unwrap(), &types[i]))
                    .collect::<Vec<_>>()
                    .join("\u{1}"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let sel: Vec<String> =
            tp.columns.iter().map(|c| format!("\"{}\"::text", c.target_name.replace('"', "\"\""))).collect();
        let rows = sqlx::query(&format!("SELECT {} FROM \"{}\"", sel.join(", "), tp.target_name.replace('"', "\"\"")))
            .fetch_all(&mut pg)
            .await
            .unwrap();
        let mut actual: Vec<String> = rows
            .iter()
            .map(|r| {
                (0..sel.len())
                    .map(|i| canon::actual(r.get::<Option<String>, _>(i), &types[i]))
                    .collect::<Vec<_>>()
                    .join("\u{1}")
            })
            .collect();
        expected.sort();
        actual.sort();
        if expected != actual {
            let first = expected.iter().zip(&actual).find(|(a, b)| a != b);
            problems.push(format!(
                "{}: {} source rows, {} target rows; first difference: {:?}",
                tp.source_name,
                expected.len(),
                actual.len(),
                first.map(|(a, b)| (a.replace('\u{1}', " | "), b.replace('\u{1}', " | ")))
            ));
        }
    }
    problems
}

/// A SQLite file for a source: the file itself, or a `.sql` dump loaded into `dir`.
pub fn sqlite_file_for(path: &Path, dir: &Path) -> PathBuf {
    if path.extension().is_some_and(|e| e == "sql") {
        let out = dir.join(format!("{}.sqlite", path.file_stem().unwrap().to_string_lossy()));
        let _ = std::fs::remove_file(&out);
        let c = rusqlite::Connection::open(&out).unwrap();
        c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        c.execute_batch(&std::fs::read_to_string(path).unwrap()).unwrap();
        out
    } else {
        path.to_path_buf()
    }
}
