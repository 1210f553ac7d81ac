//! Test harness: real PostgreSQL, MariaDB and SQLite on loopback.
//!
//! Each test gets its own database, named after the test, created fresh and dropped
//! when the test passes; a failing test keeps it for inspection. Server URLs come from
//! CUTOVER_TEST_POSTGRES / CUTOVER_TEST_MARIADB with loopback defaults. A server that
//! does not answer fails the test with the command that starts it: never a silent skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Runs an async test body once per server engine, each in its own scratch database
/// named after the test and the engine: `NAME::postgres` and `NAME::mariadb`.
#[allow(unused_macros)]
macro_rules! on_both_engines {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                $body(cutover::target::Dialect::Postgres, concat!(stringify!($name), "_postgres")).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn mariadb() {
                $body(cutover::target::Dialect::MariaDb, concat!(stringify!($name), "_mariadb")).await;
            }
        }
    };
}

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

/// The 17 demo accounts of fixtures/demo/README.md ("Demo clients and accounts").
pub const DEMO_USERS: [&str; 17] = [
    "admin",
    "supervisor1",
    "supervisor2",
    "supervisor3",
    "supervisor4",
    "supervisor5",
    "operator1",
    "operator2",
    "operator3",
    "operator4",
    "operator5",
    "operator6",
    "leader1",
    "poweruser",
    "e2e_admin",
    "e2e_supervisor",
    "e2e_operator",
];

/// The demo's eight clients, all demo clients.
pub const DEMO_CLIENTS: [&str; 8] = [
    "ACME-MFG",
    "TEXTILE-PRO",
    "FASHION-WORKS",
    "QUALITY-STITCH",
    "GLOBAL-APPAREL",
    "DEMO-001",
    "TEST-001",
    "SAMPLE-001",
];

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
    /// The committed rows of `table` (a plain name), as the server counts them, on a
    /// connection of its own.
    pub async fn count(&self, table: &str) -> u64 {
        let sql = format!("SELECT count(*) FROM {table}");
        let n: i64 = match self.dialect {
            Dialect::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap()
            }
            _ => {
                let mut c = sqlx::MySqlConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap()
            }
        };
        u64::try_from(n).unwrap()
    }

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
    run_cutover_env(args, &[])
}

/// `run_cutover` with environment variables set for the run.
pub fn run_cutover_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(args).envs(env.iter().copied());
    outcome(cmd.output().expect("run cutover"))
}

/// A finished run as (exit code, stdout, stderr).
pub fn outcome(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `cutover migrate SOURCE --to <scratch db> --state STATE --progress none EXTRA…`.
pub fn migrate(source: &Path, db: &ScratchDb, state: &Path, extra: &[&str]) -> (i32, String, String) {
    on_scratch("migrate", source, db, state, extra)
}

/// `cutover verify SOURCE --to <scratch db> --state STATE --progress none EXTRA…`.
pub fn verify(source: &Path, db: &ScratchDb, state: &Path, extra: &[&str]) -> (i32, String, String) {
    on_scratch("verify", source, db, state, extra)
}

/// `cutover migrate SOURCE --to URL --state STATE --progress none EXTRA…` (any target,
/// the embedded SQLite one included).
pub fn migrate_to(source: &Path, url: &str, state: &Path, extra: &[&str]) -> (i32, String, String) {
    run_on("migrate", source, url, state, extra)
}

fn on_scratch(command: &str, source: &Path, db: &ScratchDb, state: &Path, extra: &[&str]) -> (i32, String, String) {
    run_on(command, source, &db.url, state, extra)
}

fn run_on(command: &str, source: &Path, url: &str, state: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args =
        vec![command, source.to_str().unwrap(), "--to", url, "--state", state.to_str().unwrap(), "--progress", "none"];
    args.extend_from_slice(extra);
    // verify (and migrate --verify) write the report the gate reads; beside the state file,
    // not in the working directory that every test shares.
    let report = verify_report_beside(state);
    if command == "verify" && !extra.contains(&"--report") {
        args.extend_from_slice(&["--report", report.to_str().unwrap()]);
    }
    if command == "migrate" && extra.contains(&"--verify") && !extra.contains(&"--verify-report") {
        args.extend_from_slice(&["--verify-report", report.to_str().unwrap()]);
    }
    run_cutover(&args)
}

/// `<state file>.verify.json`: where the test helpers put verify's report.
pub fn verify_report_beside(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".verify.json");
    state.with_file_name(name)
}

/// `cutover verify SOURCE --to <scratch db> --state STATE --progress none --json`, asserted to
/// find everything equal: exit 0, `ok`, every table "match", no orphans, no identity behind.
/// Returns the JSON report.
pub fn verify_matches(source: &Path, db_url: &str, state: &Path, what: &str) -> serde_json::Value {
    let (code, out, err) = run_cutover(&[
        "verify",
        source.to_str().unwrap(),
        "--to",
        db_url,
        "--state",
        state.to_str().unwrap(),
        "--progress",
        "none",
        "--json",
        "--report",
        verify_report_beside(state).to_str().unwrap(),
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{what}: verify printed no JSON ({e}): {err}\n{out}"));
    let bad: Vec<String> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "match")
        .map(|t| format!("{}: {} {}", t["table"], t["status"], t["diffs"]))
        .collect();
    assert!(bad.is_empty(), "{what}: verify found differences right after the migration:\n{}", bad.join("\n"));
    assert_eq!(code, 0, "{what}: verify exit code ({err})\n{out}");
    assert_eq!(report["ok"], true, "{what}: {out}");
    report
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
    let args = cutover::mapping::type_args(pg_type);
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

/// MariaDB's side of the comparison: the kind of each column as the catalog describes
/// it, the expected canonical text of a source value by the documented rules for that
/// kind, and the canonical text of what MariaDB returns. Computed here, not by src/convert.
pub mod mariadb_canon {
    use rusqlite::types::ValueRef;
    use std::str::FromStr;

    /// How a MariaDB column holds its values, read from information_schema.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// TINYINT(1): 0/1.
        Bool,
        Int,
        Double,
        Decimal {
            scale: u32,
        },
        Text,
        Bytes,
        /// DATETIME / TIMESTAMP, naive; values with offsets arrive converted to UTC.
        DateTime,
        Date,
        Time,
        /// LONGTEXT guarded by json_valid(): MariaDB keeps the text.
        Json,
        Uuid,
    }

    impl Kind {
        /// From COLUMNS.DATA_TYPE, COLUMNS.COLUMN_TYPE, NUMERIC_SCALE and whether a
        /// `json_valid(col)` check guards the column.
        pub fn from_catalog(data_type: &str, column_type: &str, scale: Option<i64>, json: bool) -> Kind {
            let column_type = column_type.to_ascii_lowercase();
            match data_type.to_ascii_lowercase().as_str() {
                "tinyint" if column_type.starts_with("tinyint(1)") => Kind::Bool,
                "tinyint" | "smallint" | "mediumint" | "int" | "bigint" => Kind::Int,
                "double" | "float" => Kind::Double,
                "decimal" => Kind::Decimal { scale: scale.and_then(|s| u32::try_from(s).ok()).unwrap_or(0) },
                "datetime" | "timestamp" => Kind::DateTime,
                "date" => Kind::Date,
                "time" => Kind::Time,
                "uuid" => Kind::Uuid,
                "json" => Kind::Json,
                "longtext" | "mediumtext" | "text" | "tinytext" if json => Kind::Json,
                "longtext" | "mediumtext" | "text" | "tinytext" | "varchar" | "char" => Kind::Text,
                "longblob" | "mediumblob" | "blob" | "tinyblob" | "varbinary" | "binary" => Kind::Bytes,
                other => panic!("no comparison rule for MariaDB type {other} ({column_type})"),
            }
        }

        /// The select-list expression that reads a column for `actual`; every kind reads
        /// as text except DOUBLE, which is read as f64 so that no digit is lost.
        pub fn select(self, quoted: &str) -> String {
            match self {
                Kind::Bytes => format!("LOWER(HEX({quoted}))"),
                Kind::Text | Kind::Double => quoted.to_string(),
                _ => format!("CAST({quoted} AS CHAR)"),
            }
        }
    }

    fn text(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    /// A date/time text by the documented forms, converted to UTC when it carries an
    /// offset: `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH:MM|±HHMM|±HH]`.
    pub fn datetime_utc(s: &str) -> Option<chrono::NaiveDateTime> {
        let s = s.trim();
        let date = chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
        let rest = &s[10..];
        if rest.is_empty() {
            return date.and_hms_opt(0, 0, 0);
        }
        let rest = rest.strip_prefix([' ', 'T'])?;
        let (time, offset) = match rest.find(['Z', '+', '-']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let time = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
            .or_else(|_| chrono::NaiveTime::parse_from_str(time, "%H:%M"))
            .ok()?;
        let seconds_east = match offset {
            "" | "Z" => 0,
            o => {
                let sign = if o.starts_with('-') { -1 } else { 1 };
                let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
                let (h, m) = match digits.len() {
                    2 => (digits.parse::<i64>().ok()?, 0),
                    4 => (digits[..2].parse::<i64>().ok()?, digits[2..].parse::<i64>().ok()?),
                    _ => return None,
                };
                sign * (h * 3600 + m * 60)
            }
        };
        Some(date.and_time(time) - chrono::Duration::seconds(seconds_east))
    }

    /// Units per second of the integers in a date/time column, from the largest one:
    /// < 1e11 seconds, < 1e14 milliseconds, else microseconds.
    pub fn epoch_units_per_second(largest_abs: i64) -> i64 {
        if largest_abs < 100_000_000_000 {
            1
        } else if largest_abs < 100_000_000_000_000 {
            1_000
        } else {
            1_000_000
        }
    }

    fn from_epoch(i: i64, per_second: i64, format: &str) -> String {
        i.checked_mul(1_000_000 / per_second)
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map_or_else(|| format!("not an epoch: {i}"), |t| t.naive_utc().format(format).to_string())
    }

    const DATETIME: &str = "%Y-%m-%d %H:%M:%S%.6f";

    fn real_text(f: f64) -> String {
        let s = format!("{f}");
        if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
            s
        } else {
            format!("{s}.0")
        }
    }

    fn uuid_text(hex32: &str) -> String {
        let h = hex32.to_ascii_lowercase();
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    fn decimal(s: &str, scale: u32) -> String {
        let d = rust_decimal::Decimal::from_str(s).or_else(|_| rust_decimal::Decimal::from_scientific(s));
        match d {
            Ok(d) => d
                .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .normalize()
                .to_string(),
            Err(_) => format!("not a decimal: {s:?}"),
        }
    }

    /// The canonical text the documented rules require for a source value in a column of
    /// `kind`. `epoch` is the units per second of the column's integers (date/time kinds).
    pub fn expected(v: ValueRef<'_>, kind: Kind, epoch: i64) -> String {
        match (v, kind) {
            (ValueRef::Null, _) => "NULL".into(),
            (ValueRef::Integer(i), Kind::Bool) => u8::from(i != 0).to_string(),
            (ValueRef::Real(f), Kind::Bool) => u8::from(f != 0.0).to_string(),
            (ValueRef::Text(t), Kind::Bool) => {
                u8::from(matches!(text(t).to_ascii_lowercase().as_str(), "1" | "true" | "t" | "yes")).to_string()
            }
            (ValueRef::Integer(i), Kind::Int) => i.to_string(),
            (ValueRef::Real(f), Kind::Int) => format!("{}", f as i64),
            (ValueRef::Text(t), Kind::Int) => {
                text(t).parse::<i64>().map_or_else(|_| format!("not an integer: {:?}", text(t)), |i| i.to_string())
            }
            (ValueRef::Integer(i), Kind::Double) => format!("{:?}", i as f64),
            (ValueRef::Real(f), Kind::Double) => format!("{f:?}"),
            (ValueRef::Text(t), Kind::Double) => {
                text(t).parse::<f64>().map_or_else(|_| format!("not a number: {:?}", text(t)), |f| format!("{f:?}"))
            }
            (ValueRef::Integer(i), Kind::Decimal { scale }) => decimal(&i.to_string(), scale),
            (ValueRef::Real(f), Kind::Decimal { scale }) => decimal(&format!("{f}"), scale),
            (ValueRef::Text(t), Kind::Decimal { scale }) => decimal(&text(t), scale),
            (ValueRef::Text(t), Kind::DateTime) => datetime_utc(&text(t))
                .map_or_else(|| format!("not a datetime: {:?}", text(t)), |d| d.format(DATETIME).to_string()),
            (ValueRef::Integer(i), Kind::DateTime) => from_epoch(i, epoch, DATETIME),
            (ValueRef::Text(t), Kind::Date) => datetime_utc(&text(t))
                .map_or_else(|| format!("not a date: {:?}", text(t)), |d| d.format("%Y-%m-%d").to_string()),
            (ValueRef::Integer(i), Kind::Date) => from_epoch(i, epoch, "%Y-%m-%d"),
            (ValueRef::Text(t), Kind::Time) => {
                let s = text(t);
                let s = if s.len() == 5 { format!("{s}:00") } else { s };
                chrono::NaiveTime::parse_from_str(&s, "%H:%M:%S%.f")
                    .map_or_else(|_| format!("not a time: {s:?}"), |t| t.format("%H:%M:%S%.6f").to_string())
            }
            (ValueRef::Text(t) | ValueRef::Blob(t), Kind::Json) => serde_json::from_slice::<serde_json::Value>(t)
                .map_or_else(|_| format!("not JSON: {:?}", text(t)), |j| j.to_string()),
            (ValueRef::Integer(i), Kind::Json) => serde_json::Value::from(i).to_string(),
            (ValueRef::Real(f), Kind::Json) => serde_json::Value::from(f).to_string(),
            (ValueRef::Text(t) | ValueRef::Blob(t), Kind::Bytes) => cutover::target::hex(t),
            (ValueRef::Blob(b), Kind::Uuid) if b.len() == 16 => uuid_text(&cutover::target::hex(b)),
            (ValueRef::Text(t), Kind::Uuid) => {
                let hex: String = text(t).chars().filter(char::is_ascii_hexdigit).collect();
                if hex.len() == 32 {
                    uuid_text(&hex)
                } else {
                    format!("not a uuid: {:?}", text(t))
                }
            }
            (ValueRef::Text(t) | ValueRef::Blob(t), _) => text(t),
            (ValueRef::Integer(i), _) => i.to_string(),
            (ValueRef::Real(f), _) => real_text(f),
        }
    }

    /// The canonical text of what MariaDB returned for a column of `kind`, read through
    /// `Kind::select` (DOUBLE values come formatted with `{:?}`).
    pub fn actual(v: Option<String>, kind: Kind) -> String {
        let Some(s) = v else { return "NULL".into() };
        match kind {
            Kind::Decimal { scale } => decimal(&s, scale),
            Kind::DateTime => chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f")
                .map_or(s, |d| d.format(DATETIME).to_string()),
            Kind::Time => {
                chrono::NaiveTime::parse_from_str(&s, "%H:%M:%S%.f").map_or(s, |t| t.format("%H:%M:%S%.6f").to_string())
            }
            Kind::Json => serde_json::from_str::<serde_json::Value>(&s).map_or(s, |j| j.to_string()),
            Kind::Uuid => s.to_ascii_lowercase(),
            _ => s,
        }
    }
}

/// A nullable text column of a MariaDB row. Text with a binary collation arrives typed
/// VARBINARY/BLOB, so it is read as bytes, which must be UTF-8.
pub fn my_text(r: &sqlx::mysql::MySqlRow, i: usize) -> Option<String> {
    use sqlx::Row;
    r.try_get::<Option<String>, _>(i).unwrap_or_else(|_| {
        r.get::<Option<Vec<u8>>, _>(i).map(|b| String::from_utf8(b).unwrap_or_else(|e| format!("invalid UTF-8: {e}")))
    })
}

/// Quote a MariaDB identifier.
pub fn my_quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Quote a SQLite identifier.
pub fn sqlite_quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The comparison kind of every column of a MariaDB table, by column name.
pub async fn mariadb_kinds(
    my: &mut sqlx::MySqlConnection,
    table: &str,
) -> std::collections::HashMap<String, mariadb_canon::Kind> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, CAST(c.NUMERIC_SCALE AS SIGNED), \
         CAST(EXISTS(SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA \
           AND k.TABLE_NAME = c.TABLE_NAME AND k.CONSTRAINT_NAME = c.COLUMN_NAME AND k.CHECK_CLAUSE LIKE 'json_valid(%') AS SIGNED) \
         FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ?",
    )
    .bind(table)
    .fetch_all(&mut *my)
    .await
    .unwrap_or_else(|e| panic!("reading the columns of {table}: {e}"));
    rows.iter()
        .map(|r| {
            let kind = mariadb_canon::Kind::from_catalog(
                &r.get::<String, _>(1),
                &r.get::<String, _>(2),
                r.get::<Option<i64>, _>(3),
                r.get::<i64, _>(4) != 0,
            );
            (r.get::<String, _>(0), kind)
        })
        .collect()
}

/// Compare every row of every planned table in MariaDB, like `compare_postgres`: source
/// values through the documented rules for the column's MariaDB type (from the catalog)
/// against the values read back, as multisets of canonical rows. Returns mismatches.
pub async fn compare_mariadb(
    db_url: &str,
    source: &Path,
    plan: &cutover::plan::Plan,
    skip_tables: &[&str],
) -> Vec<String> {
    use mariadb_canon::Kind;
    use sqlx::Row;
    let src = rusqlite::Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut my = sqlx::MySqlConnection::connect(db_url).await.unwrap_or_else(|e| connect_failed(Dialect::MariaDb, e));
    let mut problems = Vec::new();
    for tp in plan.tables.iter().filter(|t| !skip_tables.contains(&t.source_name.as_str())) {
        let catalog = mariadb_kinds(&mut my, &tp.target_name).await;
        if catalog.is_empty() {
            problems.push(format!("{}: table {} is missing in the target", tp.source_name, tp.target_name));
            continue;
        }
        let mut kinds = Vec::new();
        let mut epochs = Vec::new();
        for c in &tp.columns {
            let Some(kind) = catalog.get(&c.target_name).copied() else {
                problems.push(format!("{}: column {} is missing in the target", tp.source_name, c.target_name));
                continue;
            };
            let epoch = if matches!(kind, Kind::DateTime | Kind::Date) {
                let largest: Option<i64> = src
                    .query_row(
                        &format!(
                            "SELECT max(abs({c})) FROM {t} WHERE typeof({c}) = 'integer'",
                            c = sqlite_quote(&c.source_name),
                            t = sqlite_quote(&tp.source_name)
                        ),
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                mariadb_canon::epoch_units_per_second(largest.unwrap_or(0))
            } else {
                1
            };
            kinds.push(kind);
            epochs.push(epoch);
        }
        if kinds.len() != tp.columns.len() {
            continue;
        }
        let cols: Vec<String> = tp.columns.iter().map(|c| sqlite_quote(&c.source_name)).collect();
        let mut st =
            src.prepare(&format!("SELECT {} FROM {}", cols.join(", "), sqlite_quote(&tp.source_name))).unwrap();
        let mut expected: Vec<String> = st
            .query_map([], |r| {
                Ok((0..cols.len())
                    .map(|i| mariadb_canon::expected(r.get_ref(i).unwrap(), kinds[i], epochs[i]))
                    .collect::<Vec<_>>()
                    .join("\u{1}"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let sel: Vec<String> =
            tp.columns.iter().zip(&kinds).map(|(c, k)| k.select(&my_quote(&c.target_name))).collect();
        let rows = sqlx::query(&format!("SELECT {} FROM {}", sel.join(", "), my_quote(&tp.target_name)))
            .fetch_all(&mut my)
            .await
            .unwrap_or_else(|e| panic!("reading {}: {e}", tp.target_name));
        let mut actual: Vec<String> = rows
            .iter()
            .map(|r| {
                (0..sel.len())
                    .map(|i| {
                        let v = match kinds[i] {
                            Kind::Double => r.get::<Option<f64>, _>(i).map(|f| format!("{f:?}")),
                            _ => my_text(r, i),
                        };
                        mariadb_canon::actual(v, kinds[i])
                    })
                    .collect::<Vec<_>>()
                    .join("\u{1}")
            })
            .collect();
        expected.sort();
        actual.sort();
        if expected != actual {
            let first = expected.iter().zip(&actual).find(|(a, b)| a != b);
            let shorten = |s: &str| {
                let s = s.replace('\u{1}', " | ");
                if s.chars().count() > 400 {
                    format!("{}…", s.chars().take(400).collect::<String>())
                } else {
                    s
                }
            };
            problems.push(format!(
                "{}: {} source rows, {} target rows; first difference (expected, actual): {:?}",
                tp.source_name,
                expected.len(),
                actual.len(),
                first.map(|(a, b)| (shorten(a), shorten(b)))
            ));
        }
    }
    problems
}

/// The folder of a target's default files (`.cutover/<short id>/`) when cutover runs in
/// `dir`; a relative `sqlite://` path is relative to `dir`.
#[allow(dead_code)]
pub fn target_folder(dir: &Path, url: &str) -> PathBuf {
    let url = match url.strip_prefix("sqlite://") {
        Some(p) if !p.starts_with('/') => format!("sqlite://{}", dir.join(p).display()),
        _ => url.to_string(),
    };
    let target = cutover::target::url::TargetUrl::parse(&url).unwrap();
    dir.join(cutover::workspace::TargetFiles::of(&target).dir)
}
