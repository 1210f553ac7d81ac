//! `cutover harden` on the demo fixture, on real PostgreSQL, MariaDB and the embedded
//! SQLite target, running the real binary in a directory of its own: `--check` reports
//! every step and changes nothing; a run deactivates the 17 demo users and 8 demo clients
//! (the client's staff keep their flags), creates the production admin whose bcrypt hash
//! verifies against the password written once to a 0600 file, rotates SECRET_KEY and
//! JWT_SECRET without touching another byte of the env file, revokes every session,
//! adds version columns and indexes; a second run changes nothing; no secret reaches any
//! output or the journal; `--undo` puts every row, column, index and byte back, once.
//! And a profile that names a table or column the target does not have is refused
//! before anything changes.
//!
//! Everything is read back from the database itself (sqlx / rusqlite), never from
//! cutover's own catalog code.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use cutover::target::Dialect;
use serde_json::Value as Json;
use sqlx::{Connection, Row};

/// Runs an async test body once per target engine, each in its own database named after
/// the test and the engine: `NAME::postgres`, `NAME::mariadb` and `NAME::sqlite`.
macro_rules! on_every_engine {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                $body(Dialect::Postgres, concat!(stringify!($name), "_postgres")).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn mariadb() {
                $body(Dialect::MariaDb, concat!(stringify!($name), "_mariadb")).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                $body(Dialect::Sqlite, concat!(stringify!($name), "_sqlite")).await;
            }
        }
    };
}

on_every_engine!(harden_cycle, harden_cycle_on);
on_every_engine!(missing_table_or_column_is_refused, missing_table_or_column_is_refused_on);

/// The client's own staff and whether each is active: hardening must not touch them.
const STAFF: [(&str, bool); 7] = [
    ("jose.garcia", true),
    ("juergen.mueller", true),
    ("nguyen.lan", true),
    ("wang.fang", true),
    ("olga.petrova", true),
    ("rahim.uddin", true),
    ("legacy.import", false),
];

const VERSIONED: [&str; 5] =
    ["work_orders", "bundles", "production_entries", "quality_inspections", "capacity_scenarios"];

/// The tables whose rows harden changes (or inserts into), dumped whole before and after.
const DUMPED: [&str; 3] = ["users", "clients", "user_sessions"];

const ADMIN: &str = "floor.admin";
const ROTATED: [&str; 2] = ["SECRET_KEY", "JWT_SECRET"];

/// The profile's steps as the report names them: (kind, title).
const STEPS: [(&str, &str); 8] = [
    ("deactivate", "deactivate users"),
    ("deactivate", "deactivate clients"),
    ("create_admin", "create admin floor.admin"),
    ("rotate_secret", "rotate SECRET_KEY, JWT_SECRET"),
    ("version_columns", "version columns (version)"),
    ("fk_indexes", "foreign-key indexes"),
    ("index", "index production_entries(line_id, entry_date)"),
    ("extensions", "extensions pg_trgm"),
];

/// fixtures/demo/harden.toml with absolute paths into the test's directory: the env file
/// and password file there, the sample env from the repository.
fn profile_text(env: &Path, password_file: &Path) -> String {
    let sample = repo().join("fixtures/demo/app.env.example");
    format!(
        r#"
env_file = '{env}'
sample_env = '{sample}'

[[steps]]
kind = "deactivate"
table = "users"
match_column = "username"
flag = "is_active"
values = ["admin", "supervisor[0-9]*", "operator[0-9]*", "leader[0-9]*", "poweruser", "e2e_*"]

[[steps]]
kind = "deactivate"
table = "clients"
match_column = "code"
flag = "is_active"
values = ["ACME-MFG", "TEXTILE-PRO", "FASHION-WORKS", "QUALITY-STITCH", "GLOBAL-APPAREL", "DEMO-001", "TEST-001", "SAMPLE-001"]

[[steps]]
kind = "create_admin"
table = "users"
username = "{ADMIN}"
password_column = "password_hash"
format = "bcrypt"
cost = 12
password_file = '{password_file}'
columns = {{ email = "it@client.example", full_name = "Production administrator", role = "admin", locale = "en", created_at = "now" }}

[[steps]]
kind = "rotate_secret"
keys = ["SECRET_KEY", "JWT_SECRET"]
length = 64

[[steps.invalidate]]
table = "user_sessions"
set = {{ revoked = true }}

[[steps]]
kind = "version_columns"
tables = ["work_orders", "bundles", "production_entries", "quality_inspections", "capacity_scenarios"]
column = "version"
definition = "BIGINT NOT NULL DEFAULT 1"
index = true

[[steps]]
kind = "fk_indexes"

[[steps]]
kind = "index"
table = "production_entries"
columns = ["line_id", "entry_date"]

[[steps]]
kind = "extensions"
extensions = ["pg_trgm"]
"#,
        env = env.display(),
        sample = sample.display(),
        password_file = password_file.display(),
    )
}

/// A migrated demo database and a directory for everything harden reads and writes.
struct Setup {
    dialect: Dialect,
    url: String,
    scratch: Option<ScratchDb>,
    dir: tempfile::TempDir,
    state: PathBuf,
    profile: PathBuf,
    env: PathBuf,
    journal: PathBuf,
    password_file: PathBuf,
    /// Every command's stdout and stderr, labelled, for the secret-leak check.
    transcript: Vec<(String, String)>,
}

impl Setup {
    async fn new(dialect: Dialect, test: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("migrate-state.json");
        let (url, scratch) = match dialect {
            Dialect::Sqlite => (format!("sqlite://{}", dir.path().join("x.sqlite").display()), None),
            _ => {
                let db = ScratchDb::new(dialect, test).await;
                (db.url.clone(), Some(db))
            }
        };
        let env = dir.path().join("production.env");
        let password_file = dir.path().join("admin-password.txt");
        let profile = dir.path().join("harden.toml");
        std::fs::copy(repo().join("fixtures/demo/production.env"), &env).unwrap();
        std::fs::write(&profile, profile_text(&env, &password_file)).unwrap();
        let mut setup = Setup {
            dialect,
            url,
            scratch,
            state,
            profile,
            env,
            journal: dir.path().join("journal.json"),
            password_file,
            dir,
            transcript: Vec::new(),
        };
        let (demo, url, state) = (demo_fixture(), setup.url.clone(), setup.state.clone());
        let (code, out, err) = setup.cutover(
            "migrate",
            &[
                "migrate",
                demo.to_str().unwrap(),
                "--to",
                &url,
                "--state",
                state.to_str().unwrap(),
                "--progress",
                "none",
            ],
        );
        assert_eq!(code, 0, "{dialect}: migrate the demo fixture: {err}\n{out}");
        setup
    }

    /// Run the real binary in the test's directory; every output goes to the transcript.
    fn cutover(&mut self, label: &str, args: &[&str]) -> (i32, String, String) {
        let dir = self.dir.path().to_path_buf();
        self.cutover_in(&dir, label, args)
    }

    /// Run the real binary in another working directory.
    fn cutover_in(&mut self, cwd: &Path, label: &str, args: &[&str]) -> (i32, String, String) {
        let out =
            Command::new(env!("CARGO_BIN_EXE_cutover")).current_dir(cwd).args(args).output().expect("run cutover");
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
        self.transcript.push((format!("{label}: stdout"), stdout.clone()));
        self.transcript.push((format!("{label}: stderr"), stderr.clone()));
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    /// `cutover harden --to URL --profile P --env-file E --journal J EXTRA…`.
    fn harden(&mut self, label: &str, extra: &[&str]) -> (i32, String, String) {
        let profile = self.profile.clone();
        self.harden_with(&profile, label, extra)
    }

    fn harden_with(&mut self, profile: &Path, label: &str, extra: &[&str]) -> (i32, String, String) {
        let (url, env, journal) = (self.url.clone(), self.env.clone(), self.journal.clone());
        let mut args = vec![
            "harden",
            "--to",
            &url,
            "--profile",
            profile.to_str().unwrap(),
            "--env-file",
            env.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.cutover(label, &args)
    }

    /// The files of the test's directory, by name.
    fn files(&self) -> BTreeSet<String> {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn env_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.env).unwrap()
    }

    async fn finish(self) {
        if let Some(db) = self.scratch {
            db.drop_db().await;
        }
    }
}

/// A query's rows, every value as text (None for NULL), read with the engine's own client.
async fn query(s: &Setup, sql: &str) -> Vec<Vec<Option<String>>> {
    let what = format!("{}: {sql}", s.dialect);
    match s.dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&s.url).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            let rows = sqlx::raw_sql(sql).fetch_all(&mut c).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            rows.iter()
                .map(|r| (0..r.len()).map(|i| r.try_get_unchecked::<Option<String>, _>(i).unwrap()).collect())
                .collect()
        }
        Dialect::MariaDb => {
            let mut c = sqlx::MySqlConnection::connect(&s.url).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            let rows = sqlx::raw_sql(sql).fetch_all(&mut c).await.unwrap_or_else(|e| panic!("{what}: {e}"));
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| {
                            r.try_get_unchecked::<Option<Vec<u8>>, _>(i)
                                .unwrap()
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                        })
                        .collect()
                })
                .collect()
        }
        Dialect::Sqlite => {
            let path = s.url.strip_prefix("sqlite://").unwrap();
            let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{what}: {e}"));
            let n = st.column_count();
            st.query_map([], |r| {
                (0..n)
                    .map(|i| {
                        use rusqlite::types::ValueRef as V;
                        Ok(match r.get_ref(i)? {
                            V::Null => None,
                            V::Integer(v) => Some(v.to_string()),
                            V::Real(v) => Some(v.to_string()),
                            V::Text(t) | V::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
                        })
                    })
                    .collect()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        }
    }
}

fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MariaDb => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// A column as text; on SQLite with its storage class, so that `1` and `'1'` differ.
fn as_text(dialect: Dialect, column: &str) -> String {
    let q = quote(dialect, column);
    match dialect {
        Dialect::Postgres => format!("CAST({q} AS TEXT)"),
        Dialect::MariaDb => format!("CAST({q} AS CHAR)"),
        Dialect::Sqlite => format!("typeof({q}) || ':' || CAST({q} AS TEXT)"),
    }
}

/// A boolean as the engine prints it (`true`/`t`/`1`, or on SQLite `integer:1`).
fn flag(text: Option<&str>) -> bool {
    let t = text.unwrap_or_else(|| panic!("a flag is NULL"));
    let t = t.strip_prefix("integer:").unwrap_or(t);
    match t {
        "1" | "t" | "true" => true,
        "0" | "f" | "false" => false,
        other => panic!("not a boolean: {other:?}"),
    }
}

/// The columns of a table in their order.
async fn table_columns(s: &Setup, table: &str) -> Vec<String> {
    let sql = match s.dialect {
        Dialect::Postgres => format!(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        ),
        Dialect::MariaDb => format!(
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION"
        ),
        Dialect::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
    };
    query(s, &sql).await.into_iter().map(|r| r[0].clone().unwrap()).collect()
}

/// Every row of a table, every column as text, ordered by its key `id`: `col=value|…`.
async fn dump(s: &Setup, table: &str) -> Vec<String> {
    let columns = table_columns(s, table).await;
    assert!(!columns.is_empty(), "{}: no table {table}", s.dialect);
    let select: Vec<String> = columns.iter().map(|c| as_text(s.dialect, c)).collect();
    let sql =
        format!("SELECT {} FROM {} ORDER BY {}", select.join(", "), quote(s.dialect, table), quote(s.dialect, "id"));
    query(s, &sql)
        .await
        .into_iter()
        .map(|r| {
            columns
                .iter()
                .zip(r)
                .map(|(c, v)| format!("{c}={}", v.unwrap_or_else(|| "NULL".into())))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// What harden may change in the schema, read from the engine's catalog.
#[derive(Debug, Clone, PartialEq)]
struct Catalog {
    /// (table, column).
    columns: BTreeSet<(String, String)>,
    /// (table, index, columns in key order).
    indexes: BTreeSet<(String, String, Vec<String>)>,
    /// (table, columns in key order).
    foreign_keys: BTreeSet<(String, Vec<String>)>,
    /// PostgreSQL extensions (empty elsewhere).
    extensions: BTreeSet<String>,
}

fn split(text: Option<String>) -> Vec<String> {
    text.unwrap_or_default().split(',').map(str::to_string).collect()
}

async fn catalog(s: &Setup) -> Catalog {
    let (columns, indexes, foreign_keys, extensions) = match s.dialect {
        Dialect::Postgres => (
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public'",
            "SELECT c.relname::text, ic.relname::text, \
             array_to_string(ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(n, o) \
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n ORDER BY k.o), ',') \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
            "SELECT c.relname::text, \
             array_to_string(ARRAY(SELECT a.attname::text FROM unnest(f.conkey) WITH ORDINALITY AS k(n, o) \
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n ORDER BY k.o), ',') \
             FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE f.contype = 'f' AND n.nspname = 'public'",
            Some("SELECT extname::text FROM pg_extension"),
        ),
        Dialect::MariaDb => (
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), \
             CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',') AS CHAR) \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME",
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ',') AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
             GROUP BY TABLE_NAME, CONSTRAINT_NAME",
            None,
        ),
        Dialect::Sqlite => (
            "SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table'",
            "SELECT m.name, il.name, (SELECT group_concat(name, ',') FROM \
               (SELECT ii.name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno)) \
             FROM sqlite_schema m, pragma_index_list(m.name) il WHERE m.type = 'table'",
            "SELECT m.name, group_concat(f.\"from\", ',') FROM sqlite_schema m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' GROUP BY m.name, f.id",
            None,
        ),
    };
    let pair = |r: Vec<Option<String>>| (r[0].clone().unwrap(), r[1].clone().unwrap());
    Catalog {
        columns: query(s, columns).await.into_iter().map(pair).collect(),
        indexes: query(s, indexes)
            .await
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap(), split(r[2].clone())))
            .collect(),
        foreign_keys: query(s, foreign_keys)
            .await
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), split(r[1].clone())))
            .collect(),
        extensions: match extensions {
            Some(sql) => query(s, sql).await.into_iter().map(|r| r[0].clone().unwrap()).collect(),
            None => BTreeSet::new(),
        },
    }
}

impl Catalog {
    /// Foreign-key column sets that no index starts with.
    fn uncovered_foreign_keys(&self) -> BTreeSet<(String, Vec<String>)> {
        self.foreign_keys
            .iter()
            .filter(|(t, cols)| {
                !self
                    .indexes
                    .iter()
                    .any(|(it, _, ic)| it == t && ic.len() >= cols.len() && ic[..cols.len()] == cols[..])
            })
            .cloned()
            .collect()
    }

    fn has_index_starting_with(&self, table: &str, columns: &[&str]) -> bool {
        self.indexes.iter().any(|(t, _, cols)| {
            t == table && cols.len() >= columns.len() && cols.iter().zip(columns).all(|(a, b)| a == b)
        })
    }
}

/// The rows harden touches and the catalog: what must be equal when nothing changed.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    rows: BTreeMap<&'static str, Vec<String>>,
    catalog: Catalog,
}

async fn snapshot(s: &Setup) -> Snapshot {
    let mut rows = BTreeMap::new();
    for t in DUMPED {
        rows.insert(t, dump(s, t).await);
    }
    Snapshot { rows, catalog: catalog(s).await }
}

/// Fail with the differences, not two huge values.
fn assert_same(before: &Snapshot, after: &Snapshot, what: &str) {
    if before == after {
        return;
    }
    let mut problems = Vec::new();
    for (t, rows) in &before.rows {
        let other = &after.rows[t];
        let gone: Vec<&String> = rows.iter().filter(|r| !other.contains(r)).take(5).collect();
        let new: Vec<&String> = other.iter().filter(|r| !rows.contains(r)).take(5).collect();
        if !gone.is_empty() || !new.is_empty() {
            problems.push(format!("{t}: {} rows before, {} after", rows.len(), other.len()));
            problems.extend(gone.iter().map(|r| format!("  before only: {r}")));
            problems.extend(new.iter().map(|r| format!("  after only:  {r}")));
        }
    }
    fn diff<T: Ord + std::fmt::Debug>(what: &str, a: &BTreeSet<T>, b: &BTreeSet<T>, out: &mut Vec<String>) {
        out.extend(a.difference(b).map(|x| format!("{what} before only: {x:?}")));
        out.extend(b.difference(a).map(|x| format!("{what} after only: {x:?}")));
    }
    diff("column", &before.catalog.columns, &after.catalog.columns, &mut problems);
    diff("index", &before.catalog.indexes, &after.catalog.indexes, &mut problems);
    diff("foreign key", &before.catalog.foreign_keys, &after.catalog.foreign_keys, &mut problems);
    diff("extension", &before.catalog.extensions, &after.catalog.extensions, &mut problems);
    panic!("{what}: the database changed:\n{}", problems.join("\n"));
}

/// `KEY=value` lines of an env file's bytes, each with its line ending.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|b| *b == b'\n').collect()
}

fn env_value(bytes: &[u8], key: &str) -> String {
    let prefix = format!("{key}=");
    let line = lines(bytes)
        .into_iter()
        .find(|l| l.starts_with(prefix.as_bytes()))
        .unwrap_or_else(|| panic!("no {key} in the env file:\n{}", String::from_utf8_lossy(bytes)));
    String::from_utf8(line[prefix.len()..].to_vec()).unwrap().trim_end_matches(['\r', '\n']).to_string()
}

/// The rotated keys have new 64-character URL-safe values; every other byte is as before.
fn assert_rotated(before: &[u8], after: &[u8]) {
    let (b, a) = (lines(before), lines(after));
    let shown = || format!("before:\n{}\nafter:\n{}", String::from_utf8_lossy(before), String::from_utf8_lossy(after));
    assert_eq!(b.len(), a.len(), "the env file has another number of lines\n{}", shown());
    for (old, new) in b.iter().zip(&a) {
        match ROTATED.iter().find(|k| old.starts_with(format!("{k}=").as_bytes())) {
            Some(key) => {
                let (old_value, new_value) = (env_value(old, key), env_value(new, key));
                assert_ne!(old_value, new_value, "{key} was not rotated\n{}", shown());
                assert_eq!(new_value.len(), 64, "{key}: {} characters\n{}", new_value.len(), shown());
                assert!(
                    new_value.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'),
                    "{key}: a character outside [A-Za-z0-9_-]\n{}",
                    shown()
                );
                assert!(new.starts_with(format!("{key}=").as_bytes()), "{key} moved\n{}", shown());
                assert_eq!(old.ends_with(b"\n"), new.ends_with(b"\n"), "{key}: line ending changed\n{}", shown());
            }
            None => assert_eq!(
                String::from_utf8_lossy(old),
                String::from_utf8_lossy(new),
                "a line that is not a rotated secret changed\n{}",
                shown()
            ),
        }
    }
    assert_ne!(env_value(after, "SECRET_KEY"), env_value(after, "JWT_SECRET"), "both keys got one value");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn parse(out: &str, what: &str) -> Json {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{out}"))
}

/// What each step should report on this engine, given the status of a step with work.
/// On MariaDB InnoDB indexed every foreign key itself; extensions are for PostgreSQL only.
fn expected_status(dialect: Dialect, kind: &str, with_work: &'static str) -> &'static str {
    match (kind, dialect) {
        ("extensions", Dialect::Postgres) => with_work,
        ("extensions", _) => "skipped",
        ("fk_indexes", Dialect::MariaDb) => "nothing to do",
        _ => with_work,
    }
}

/// The report lists the profile's steps in order with these statuses, in JSON and for people.
fn assert_statuses(json: &Json, human: &str, expected: &[(&str, &str, &str)], what: &str) {
    let got: Vec<(String, String, String)> = json["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no steps in {json:#}"))
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().into(),
                s["title"].as_str().unwrap().into(),
                s["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> =
        expected.iter().map(|(k, t, s)| (k.to_string(), t.to_string(), s.to_string())).collect();
    assert_eq!(got, want, "{what}: step statuses (JSON)\n{json:#}");
    for (kind, title, status) in expected {
        let line = format!("\n  [{kind}] {title}: {status}\n");
        assert!(human.contains(&line), "{what}: no line {line:?} in the human report:\n{human}");
    }
}

fn statuses(dialect: Dialect, with_work: &'static str) -> Vec<(&'static str, &'static str, &'static str)> {
    STEPS.iter().map(|(k, t)| (*k, *t, expected_status(dialect, k, with_work))).collect()
}

/// The users' `is_active` by username.
async fn user_flags(s: &Setup) -> BTreeMap<String, bool> {
    let sql = format!("SELECT username, {} FROM users", as_text(s.dialect, "is_active"));
    query(s, &sql).await.into_iter().map(|r| (r[0].clone().unwrap(), flag(r[1].as_deref()))).collect()
}

async fn client_flags(s: &Setup) -> BTreeMap<String, bool> {
    let sql = format!("SELECT code, {} FROM clients", as_text(s.dialect, "is_active"));
    query(s, &sql).await.into_iter().map(|r| (r[0].clone().unwrap(), flag(r[1].as_deref()))).collect()
}

async fn session_flags(s: &Setup) -> Vec<bool> {
    let sql = format!("SELECT {} FROM user_sessions", as_text(s.dialect, "revoked"));
    query(s, &sql).await.into_iter().map(|r| flag(r[0].as_deref())).collect()
}

/// The demo fixture as migrated: every account and client active but legacy.import,
/// 98 of 120 sessions not revoked, no admin, no version column, no pg_trgm.
async fn assert_demo_as_migrated(s: &Setup, before: &Catalog) {
    let d = s.dialect;
    let users = user_flags(s).await;
    assert_eq!(users.len(), 24, "{d}: {users:?}");
    for u in DEMO_USERS {
        assert_eq!(users.get(u), Some(&true), "{d}: demo user {u} before harden");
    }
    for (u, active) in STAFF {
        assert_eq!(users.get(u), Some(&active), "{d}: staff {u} before harden");
    }
    assert!(client_flags(s).await.values().all(|a| *a), "{d}: every client is active before harden");
    let sessions = session_flags(s).await;
    assert_eq!((sessions.len(), sessions.iter().filter(|r| !**r).count()), (120, 98), "{d}: sessions");
    for t in VERSIONED {
        assert!(!before.columns.contains(&(t.to_string(), "version".to_string())), "{d}: {t}.version before harden");
    }
    assert!(!before.extensions.contains("pg_trgm"), "{d}: pg_trgm is installed before harden");
}

/// The snapshot read what it should: every row of the dumped tables, the whole catalog.
fn assert_snapshot_is_whole(s: &Snapshot, d: Dialect) {
    let counts: Vec<usize> = DUMPED.iter().map(|t| s.rows[t].len()).collect();
    assert_eq!(counts, [24, 8, 120], "{d}: rows of {DUMPED:?}");
    assert!(
        s.rows["users"].iter().all(|r| r.contains("|password_hash=") && r.contains("$2b$12$")),
        "{d}: {:?}",
        s.rows["users"][0]
    );
    let tables: BTreeSet<&String> =
        s.catalog.columns.iter().map(|(t, _)| t).filter(|t| !t.starts_with("sqlite_")).collect();
    assert_eq!(tables.len(), 45, "{d}: tables in the catalog");
    assert!(s.catalog.indexes.len() >= 14, "{d}: indexes: {:?}", s.catalog.indexes);
    assert!(s.catalog.foreign_keys.len() >= 50, "{d}: foreign keys: {:?}", s.catalog.foreign_keys);
}

/// Everything the profile asks for, read back from the database.
async fn assert_hardened(s: &Setup, password: &str, before: &Catalog) -> String {
    let d = s.dialect;
    let users = user_flags(s).await;
    assert_eq!(users.len(), 25, "{d}: 24 users and the admin: {users:?}");
    for u in DEMO_USERS {
        assert_eq!(users.get(u), Some(&false), "{d}: demo user {u} is still active");
    }
    for (u, active) in STAFF {
        assert_eq!(users.get(u), Some(&active), "{d}: staff account {u} changed");
    }
    let clients = client_flags(s).await;
    assert_eq!(clients.len(), 8, "{d}: {clients:?}");
    for c in DEMO_CLIENTS {
        assert_eq!(clients.get(c), Some(&false), "{d}: demo client {c} is still active");
    }
    let hash = assert_admin(s, password).await;
    let sessions = session_flags(s).await;
    assert_eq!(sessions.len(), 120, "{d}: sessions are kept");
    assert!(sessions.iter().all(|r| *r), "{d}: {} sessions not revoked", sessions.iter().filter(|r| !**r).count());

    let after = catalog(s).await;
    for t in VERSIONED {
        assert!(after.columns.contains(&(t.to_string(), "version".to_string())), "{d}: no {t}.version");
        assert!(after.has_index_starting_with(t, &["version"]), "{d}: no index on {t}.version");
        let sql = format!("SELECT count(*) FROM {t} WHERE {} <> 1", quote(d, "version"));
        assert_eq!(query(s, &sql).await[0][0].as_deref(), Some("0"), "{d}: {t}.version is 1 on every row");
    }
    let extra: Vec<_> = after.columns.difference(&before.columns).filter(|(_, c)| c != "version").cloned().collect();
    assert!(extra.is_empty(), "{d}: columns added besides version: {extra:?}");
    assert!(!before.foreign_keys.is_empty(), "{d}: the demo has foreign keys");
    let uncovered = after.uncovered_foreign_keys();
    assert!(uncovered.is_empty(), "{d}: foreign keys no index starts with after harden: {uncovered:?}");
    assert!(
        after.has_index_starting_with("production_entries", &["line_id", "entry_date"]),
        "{d}: no index on production_entries(line_id, entry_date): {:?}",
        after.indexes.iter().filter(|i| i.0 == "production_entries").collect::<Vec<_>>()
    );
    if d == Dialect::Postgres {
        assert!(after.extensions.contains("pg_trgm"), "{d}: pg_trgm not installed: {:?}", after.extensions);
    }
    hash
}

/// The admin row: active, the profile's columns, a bcrypt cost-12 hash of the password in
/// the password file. Returns the hash.
async fn assert_admin(s: &Setup, password: &str) -> String {
    let d = s.dialect;
    let sql = format!(
        "SELECT password_hash, email, role, full_name, {} FROM users WHERE username = '{ADMIN}'",
        as_text(d, "is_active")
    );
    let rows = query(s, &sql).await;
    assert_eq!(rows.len(), 1, "{d}: the admin row: {rows:?}");
    let r = &rows[0];
    let hash = r[0].clone().unwrap();
    assert!(hash.starts_with("$2b$12$"), "{d}: the admin's hash is not bcrypt cost 12: {}", &hash[..7.min(hash.len())]);
    assert!(cutover::harden::password::verify(password, &hash), "{d}: the password file's password does not verify");
    assert!(!cutover::harden::password::verify("admin123", &hash), "{d}: verify accepts anything");
    assert_eq!(
        (r[1].as_deref(), r[2].as_deref(), r[3].as_deref()),
        (Some("it@client.example"), Some("admin"), Some("Production administrator")),
        "{d}: the admin's columns"
    );
    assert!(flag(r[4].as_deref()), "{d}: the admin is not active");
    hash
}

/// The password file holds the password and nothing else (one line).
fn read_password(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let password = text.strip_suffix('\n').unwrap_or(&text);
    assert_eq!(
        password.chars().count(),
        24,
        "the password file holds {} characters besides one newline",
        password.len()
    );
    assert!(
        password.chars().all(|c| cutover::harden::password::PASSWORD_ALPHABET.contains(c)),
        "the password file holds something besides a generated password"
    );
    password.to_string()
}

/// The run id the human report prints in `take it back with: cutover harden --undo ID`.
fn printed_run_id(human: &str) -> String {
    let at = human.find("--undo ").unwrap_or_else(|| panic!("no run id in the report:\n{human}"));
    human[at + "--undo ".len()..].split_whitespace().next().unwrap().to_string()
}

/// `--check`, human and JSON: exit 1, the statuses of a target with work to do.
fn check_before(s: &mut Setup) {
    let d = s.dialect;
    let (code, human, err) = s.harden("check", &["--check"]);
    assert_eq!(code, 1, "{d}: --check on the migrated demo: {err}\n{human}");
    let (code, out, err) = s.harden("check --json", &["--check", "--json"]);
    assert_eq!(code, 1, "{d}: --check --json: {err}\n{out}");
    let json = parse(&out, "check --json");
    assert_eq!(
        (&json["check_only"], &json["changed"], &json["run_id"]),
        (&Json::Bool(true), &Json::Bool(true), &Json::Null)
    );
    assert_statuses(&json, &human, &statuses(d, "would change"), &format!("{d}: --check"));
    assert!(human.contains("changes are needed; run without --check to apply them"), "{human}");
    // The check names what it would do, by count.
    for line in [
        "where username matches the demo list: 17 row(s)",
        "where code matches the demo list: 8 row(s)",
        "in user_sessions: 98 row(s)",
    ] {
        assert!(human.contains(line), "{d}: no {line:?} in\n{human}");
    }
}

/// What one applied run left behind: its id and the secrets it made.
struct Applied {
    run_id: String,
    password: String,
    hash: String,
    env: Vec<u8>,
}

/// The whole cycle on one engine: check, apply, run again, undo, undo again; then apply
/// again (JSON) and undo that run (human), and look for secrets in everything printed.
async fn harden_cycle_on(dialect: Dialect, test: &str) {
    let mut s = Setup::new(dialect, test).await;
    let d = dialect;
    verify_matches(&demo_fixture(), &s.url, &s.state, &format!("{d}: right after the migration"));
    let original_env = s.env_bytes();
    let before = snapshot(&s).await;
    assert_snapshot_is_whole(&before, d);
    assert_demo_as_migrated(&s, &before.catalog).await;
    let files_before = s.files();

    // --check: exit 1, every step listed, nothing changed, nothing written.
    check_before(&mut s);
    assert_same(&before, &snapshot(&s).await, &format!("{d}: after --check"));
    assert_eq!(s.env_bytes(), original_env, "{d}: --check changed the env file");
    assert_eq!(s.files(), files_before, "{d}: --check wrote files");

    // Harden: what it changed, read back; the files it wrote, 0600.
    let first = apply_first(&mut s, &before, &original_env, &files_before).await;
    // Idempotence.
    second_run_changes_nothing(&mut s, &first).await;
    // Undo, once.
    let (code, out, err) = s.harden("undo --json", &["--undo", &first.run_id, "--json"]);
    assert_eq!(code, 0, "{d}: --undo {}: {err}\n{out}", first.run_id);
    let undo = parse(&out, "undo --json");
    assert_eq!(undo["run_id"], first.run_id.as_str(), "{d}: {undo:#}");
    assert_eq!(undo["not_undone"], serde_json::json!([]), "{d}: {undo:#}");
    assert_undone(&mut s, &before, &original_env, 0).await;
    let (code, out, err) = s.harden("second undo", &["--undo", &first.run_id]);
    assert_eq!(code, 2, "{d}: a second --undo of {} is refused: {err}\n{out}", first.run_id);
    assert!(err.contains("already undone"), "{d}: {err}");
    assert_same(&before, &snapshot(&s).await, &format!("{d}: after the refused second --undo"));
    assert_eq!(s.env_bytes(), original_env, "{d}: the refused undo changed the env file");

    // The same again with the other output: apply --json, undo for people.
    let second = apply_again_json(&mut s, &before, &original_env, &first).await;
    let (code, human, err) = s.harden("undo again", &["--undo", &second.run_id]);
    assert_eq!(code, 0, "{d}: --undo {}: {err}\n{human}", second.run_id);
    assert!(human.starts_with(&format!("harden --undo {} on ", second.run_id)), "{d}: {human}");
    assert!(!human.contains("NOT undone"), "{d}: {human}");
    assert_undone(&mut s, &before, &original_env, 1).await;

    // No secret anywhere but where it belongs.
    assert_no_leaks(&s, &original_env, &[&first, &second]);
    s.finish().await;
}

/// The first real run: exit 0, the report, the journal, the database, the env file, the
/// files it wrote and their modes.
async fn apply_first(
    s: &mut Setup,
    before: &Snapshot,
    original_env: &[u8],
    files_before: &BTreeSet<String>,
) -> Applied {
    let d = s.dialect;
    let uncovered_before = before.catalog.uncovered_foreign_keys();
    match d {
        Dialect::MariaDb => assert!(uncovered_before.is_empty(), "{d}: InnoDB indexes every FK: {uncovered_before:?}"),
        _ => assert!(!uncovered_before.is_empty(), "{d}: the demo's FKs are mostly unindexed"),
    }
    let (code, human, err) = s.harden("apply", &[]);
    assert_eq!(code, 0, "{d}: harden: {err}\n{human}");
    assert!(human.starts_with("harden: "), "{d}: {human}");
    assert_statuses(&parse_steps_from_human(&human), &human, &statuses(d, "changed"), &format!("{d}: harden"));
    for (t, cols) in &uncovered_before {
        let line = format!("create index idx_{t}_{} on {t} ({})", cols.join("_"), cols.join(", "));
        assert!(human.contains(&line), "{d}: the unindexed FK {t}{cols:?} is not indexed: no {line:?}\n{human}");
    }
    // The run id it prints is the journal's.
    let run_id = printed_run_id(&human);
    let journal = parse(&std::fs::read_to_string(&s.journal).unwrap(), "journal");
    let runs = journal["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{d}: {journal:#}");
    assert_eq!(runs[0]["run_id"], run_id.as_str(), "{d}: the printed run id is not the journal's");
    assert_eq!(runs[0]["finished"], true, "{d}: {journal:#}");

    let password = read_password(&s.password_file);
    let env = s.env_bytes();
    assert_rotated(original_env, &env);
    let hash = assert_hardened(s, &password, &before.catalog).await;

    // The files holding secrets are for their owner only; nothing else was written.
    for p in [&s.password_file, &s.env, &s.journal] {
        assert_eq!(mode(p), 0o600, "{d}: {} has mode {:o}", p.display(), mode(p));
    }
    let new_files: Vec<String> = s.files().difference(files_before).cloned().collect();
    let backups: Vec<&String> = new_files.iter().filter(|f| f.starts_with("production.env")).collect();
    assert_eq!(
        new_files.len(),
        3,
        "{d}: harden wrote the password file, the journal and one env backup: {new_files:?}"
    );
    assert_eq!(backups.len(), 1, "{d}: {new_files:?}");
    let backup = s.dir.path().join(backups[0]);
    assert_eq!(std::fs::read(&backup).unwrap(), original_env, "{d}: the env backup is not the old file");
    assert_eq!(mode(&backup), 0o600, "{d}: the env backup (old secrets) has mode {:o}", mode(&backup));
    Applied { run_id, password, hash, env }
}

/// A second run changes nothing and records nothing; --check is now clean.
async fn second_run_changes_nothing(s: &mut Setup, first: &Applied) {
    let d = s.dialect;
    let hardened = snapshot(s).await;
    let files = s.files();
    let journal = std::fs::read_to_string(&s.journal).unwrap();
    let (code, out, err) = s.harden("second run --json", &["--json"]);
    assert_eq!(code, 0, "{d}: second harden: {err}\n{out}");
    let json = parse(&out, "second run --json");
    assert_eq!((&json["changed"], &json["run_id"]), (&Json::Bool(false), &Json::Null), "{d}: {json:#}");
    let (code, human, err) = s.harden("second run", &[]);
    assert_eq!(code, 0, "{d}: third harden: {err}\n{human}");
    assert_statuses(&json, &human, &statuses(d, "nothing to do"), &format!("{d}: second run"));
    assert!(human.contains("nothing to change: the target is hardened"), "{d}: {human}");
    let (code, human, err) = s.harden("check after", &["--check"]);
    assert_eq!(code, 0, "{d}: --check after harden: {err}\n{human}");
    assert_statuses(&parse_steps_from_human(&human), &human, &statuses(d, "nothing to do"), &format!("{d}: check"));
    assert_same(&hardened, &snapshot(s).await, &format!("{d}: after the second run"));
    assert_eq!(s.env_bytes(), first.env, "{d}: the second run changed the env file");
    assert_eq!(std::fs::read_to_string(&s.journal).unwrap(), journal, "{d}: the second run changed the journal");
    assert_eq!(s.files(), files, "{d}: the second run wrote files");
    assert_eq!(read_password(&s.password_file), first.password, "{d}: the second run rewrote the password");
}

/// After an undo: every dumped row, column and index as before harden, the admin gone,
/// the env file byte for byte, the password file gone, the run marked undone, verify
/// clean, and `--check` finds the work again.
async fn assert_undone(s: &mut Setup, before: &Snapshot, original_env: &[u8], run: usize) {
    let d = s.dialect;
    let after = snapshot(s).await;
    assert!(
        !after.rows["users"].iter().any(|r| r.contains(&format!("username={ADMIN}"))),
        "{d}: the admin is still there"
    );
    assert_same(before, &after, &format!("{d}: after --undo"));
    assert_eq!(
        String::from_utf8_lossy(&s.env_bytes()),
        String::from_utf8_lossy(original_env),
        "{d}: the env file is not restored byte for byte"
    );
    assert_eq!(s.env_bytes(), original_env, "{d}: the env file is not restored byte for byte");
    assert!(!s.password_file.exists(), "{d}: undo left the password file");
    let journal = parse(&std::fs::read_to_string(&s.journal).unwrap(), "journal after undo");
    assert!(journal["runs"][run]["undone_at"].is_string(), "{d}: undo not recorded: {journal:#}");
    assert_eq!(mode(&s.journal), 0o600, "{d}: the journal after undo");
    verify_matches(&demo_fixture(), &s.url, &s.state, &format!("{d}: after --undo"));
    let (code, human, err) = s.harden("check after undo", &["--check"]);
    assert_eq!(code, 1, "{d}: --check after undo finds the work again: {err}\n{human}");
}

/// Harden again after an undo, with --json: a second run in the journal, new secrets.
async fn apply_again_json(s: &mut Setup, before: &Snapshot, original_env: &[u8], first: &Applied) -> Applied {
    let d = s.dialect;
    let (code, out, err) = s.harden("apply again --json", &["--json"]);
    assert_eq!(code, 0, "{d}: harden after undo: {err}\n{out}");
    let json = parse(&out, "apply again --json");
    assert_eq!(json["changed"], true, "{d}: {json:#}");
    assert_statuses(&json, &statuses_human(&json), &statuses(d, "changed"), &format!("{d}: apply --json"));
    let run_id = json["run_id"].as_str().unwrap_or_else(|| panic!("{d}: no run id: {json:#}")).to_string();
    assert_ne!(run_id, first.run_id, "{d}: the second run has the first run's id");
    let journal = parse(&std::fs::read_to_string(&s.journal).unwrap(), "journal");
    let ids: Vec<&str> = journal["runs"].as_array().unwrap().iter().map(|r| r["run_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.run_id.as_str(), run_id.as_str()], "{d}: runs in the journal");
    let password = read_password(&s.password_file);
    assert_ne!(password, first.password, "{d}: the same password twice");
    let env = s.env_bytes();
    assert_rotated(original_env, &env);
    for k in ROTATED {
        assert_ne!(env_value(&env, k), env_value(&first.env, k), "{d}: {k} got the same value twice");
    }
    let hash = assert_hardened(s, &password, &before.catalog).await;
    Applied { run_id, password, hash, env }
}

/// The human report's step lines, rebuilt from a JSON report, so that one assertion
/// reads both.
fn statuses_human(json: &Json) -> String {
    let mut out = String::from("\n");
    for step in json["steps"].as_array().unwrap() {
        out.push_str(&format!(
            "  [{}] {}: {}\n",
            step["kind"].as_str().unwrap(),
            step["title"].as_str().unwrap(),
            step["status"].as_str().unwrap()
        ));
    }
    out
}

/// The passwords, hashes and secrets, new and old, appear in no output and not in the journal.
fn assert_no_leaks(s: &Setup, original_env: &[u8], runs: &[&Applied]) {
    let mut secrets = vec![
        ("the old SECRET_KEY".to_string(), env_value(original_env, "SECRET_KEY")),
        ("the old JWT_SECRET".to_string(), env_value(original_env, "JWT_SECRET")),
    ];
    for (i, r) in runs.iter().enumerate() {
        secrets.push((format!("run {}'s admin password", i + 1), r.password.clone()));
        secrets.push((format!("run {}'s admin password hash", i + 1), r.hash.clone()));
        for k in ROTATED {
            secrets.push((format!("run {}'s new {k}", i + 1), env_value(&r.env, k)));
        }
    }
    let journal = ("the journal".to_string(), std::fs::read_to_string(&s.journal).unwrap());
    let mut leaks = Vec::new();
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} is too short to search for");
        for (label, text) in s.transcript.iter().chain([&journal]) {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{what} is in {label}"));
            }
        }
    }
    assert!(s.transcript.len() >= 24, "{}: fewer outputs than commands run: {}", s.dialect, s.transcript.len());
    assert!(leaks.is_empty(), "{}: secrets leaked:\n{}", s.dialect, leaks.join("\n"));
}

/// The human report's step lines as the JSON report would have them.
fn parse_steps_from_human(human: &str) -> Json {
    let steps: Vec<Json> = human
        .lines()
        .filter_map(|l| l.strip_prefix("  ["))
        .filter_map(|l| {
            let (kind, rest) = l.split_once("] ")?;
            let (title, status) = rest.rsplit_once(": ")?;
            Some(serde_json::json!({ "kind": kind, "title": title, "status": status }))
        })
        .collect();
    serde_json::json!({ "steps": steps })
}

/// A profile naming a column or a table the target lacks: exit 2 with the step, table and
/// column named, and nothing changed — neither the database, nor the env file, nor a journal.
async fn missing_table_or_column_is_refused_on(dialect: Dialect, test: &str) {
    let mut s = Setup::new(dialect, test).await;
    let d = dialect;
    let good = std::fs::read_to_string(&s.profile).unwrap();
    let variants = [
        (
            "usernme",
            good.replace("match_column = \"username\"", "match_column = \"usernme\""),
            ["step 1 (deactivate users)", "table users has no column usernme"],
        ),
        (
            "userz",
            good.replace("\"capacity_scenarios\"]", "\"capacity_scenarios\", \"userz\"]"),
            ["step 5 (version columns (version))", "the target has no table userz"],
        ),
    ];
    let mut profiles = Vec::new();
    for (name, text, _) in &variants {
        assert_ne!(text, &good, "the {name} variant changed nothing in the profile");
        let p = s.dir.path().join(format!("bad-{name}.toml"));
        std::fs::write(&p, text).unwrap();
        profiles.push(p);
    }
    let original_env = s.env_bytes();
    let before = snapshot(&s).await;
    assert_snapshot_is_whole(&before, d);
    let files_before = s.files();
    for ((name, _, fragments), profile) in variants.iter().zip(&profiles) {
        for extra in [&[][..], &["--check"][..], &["--json"][..]] {
            let (code, out, err) = s.harden_with(profile, name, extra);
            assert_eq!(code, 2, "{d}: {name} {extra:?}: {err}\n{out}");
            for f in fragments {
                assert!(err.contains(f), "{d}: {name} {extra:?}: the message does not say {f:?}:\n{err}");
            }
            assert!(err.contains("nothing was changed"), "{d}: {name}: {err}");
        }
        assert_same(&before, &snapshot(&s).await, &format!("{d}: after the refused {name} profile"));
        assert_eq!(s.env_bytes(), original_env, "{d}: {name}: the env file changed");
        assert!(!s.journal.exists(), "{d}: {name}: a journal was written");
        assert_eq!(s.files(), files_before, "{d}: {name}: files were written");
    }
    s.finish().await;
}

/// An env file reached through a symbolic link (`.env -> shared/production.env`, as
/// deployments link a shared config into each release): harden rotates the real file
/// behind the link, and undo must put that file back, leaving the link a link. The file
/// handling is the same on every engine, so this runs on the SQLite target only.
#[tokio::test(flavor = "multi_thread")]
async fn undo_restores_an_env_file_reached_through_a_symlink() {
    let mut s = Setup::new(Dialect::Sqlite, "undo_restores_an_env_file_reached_through_a_symlink").await;
    let shared = s.dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let real = shared.join("production.env");
    std::fs::rename(&s.env, &real).unwrap();
    std::os::unix::fs::symlink(&real, &s.env).unwrap();
    let original_env = std::fs::read(&real).unwrap();
    let before = snapshot(&s).await;

    let (code, human, err) = s.harden("apply", &[]);
    assert_eq!(code, 0, "harden: {err}\n{human}");
    assert!(std::fs::symlink_metadata(&s.env).unwrap().file_type().is_symlink(), "harden replaced the link");
    assert_rotated(&original_env, &std::fs::read(&real).unwrap());

    let run_id = printed_run_id(&human);
    let (code, out, err) = s.harden("undo", &["--undo", &run_id]);
    assert_eq!(code, 0, "--undo {run_id}: {err}\n{out}");
    assert_same(&before, &snapshot(&s).await, "after --undo");
    let mut problems = Vec::new();
    if std::fs::read(&real).unwrap() != original_env {
        problems.push(format!(
            "{} (the file behind the link, which the application reads) still holds the rotated secrets",
            real.display()
        ));
    }
    if !std::fs::symlink_metadata(&s.env).unwrap().file_type().is_symlink() {
        problems.push(format!("the link {} was replaced by a regular file", s.env.display()));
    } else if std::fs::read_link(&s.env).unwrap() != real {
        problems.push(format!("the link {} points elsewhere", s.env.display()));
    }
    assert!(problems.is_empty(), "undo reported success:\n{out}\nbut:\n{}", problems.join("\n"));
}

/// A profile with relative paths (the env file and the password file next to where
/// harden ran), undone later from another directory with the journal's absolute path:
/// undo restores the files harden changed — or refuses and changes nothing — but never
/// writes into the directory it happens to run in.
#[tokio::test(flavor = "multi_thread")]
async fn undo_from_another_directory_restores_the_files_harden_changed() {
    let mut s = Setup::new(Dialect::Sqlite, "undo_from_another_directory").await;
    std::fs::write(&s.profile, profile_text(Path::new("production.env"), Path::new("admin-password.txt"))).unwrap();
    let original_env = s.env_bytes();
    let before = snapshot(&s).await;
    let url = s.url.clone();
    let args = [
        "harden",
        "--to",
        &url,
        "--profile",
        "harden.toml",
        "--env-file",
        "production.env",
        "--journal",
        "journal.json",
    ];
    let (code, human, err) = s.cutover("apply with relative paths", &args);
    assert_eq!(code, 0, "harden: {err}\n{human}");
    assert!(s.password_file.exists(), "the relative password file did not land where harden ran");
    assert_rotated(&original_env, &s.env_bytes());
    let hardened = snapshot(&s).await;
    let hardened_env = s.env_bytes();

    let run_id = printed_run_id(&human);
    let elsewhere = s.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let (profile, journal) = (s.profile.clone(), s.journal.clone());
    let args = [
        "harden",
        "--to",
        &url,
        "--profile",
        profile.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--undo",
        &run_id,
    ];
    let (code, out, err) = s.cutover_in(&elsewhere, "undo from elsewhere", &args);
    let written: Vec<String> =
        std::fs::read_dir(&elsewhere).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    match code {
        0 => {
            assert_same(&before, &snapshot(&s).await, "after --undo");
            let mut problems = Vec::new();
            if !written.is_empty() {
                problems.push(format!("it wrote {written:?} into {}, the directory it ran in", elsewhere.display()));
            }
            if s.env_bytes() != original_env {
                problems.push(format!("{}, which harden rotated, still holds the new secrets", s.env.display()));
            }
            if s.password_file.exists() {
                problems.push(format!("{} is still there", s.password_file.display()));
            }
            assert!(problems.is_empty(), "undo reported success:\n{out}\nbut:\n{}", problems.join("\n"));
        }
        2 => {
            assert!(written.is_empty(), "a refused undo wrote {written:?}");
            assert_same(&hardened, &snapshot(&s).await, "after a refused --undo");
            assert_eq!(s.env_bytes(), hardened_env, "a refused undo changed the env file");
        }
        other => panic!("--undo from another directory exits {other}: {err}\n{out}"),
    }
}

/// Run from the wrong directory, the demo profile's relative sample and template paths do
/// not resolve: harden refuses before any change, and says where it looked.
#[test]
fn unreadable_profile_files_are_refused_before_any_change() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.sqlite");
    let url = format!("sqlite://{}", target.display());
    let demo = demo_fixture();
    let state = dir.path().join("state.json");
    let (code, out, err) = migrate_to(&demo, &url, &state, &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let profile = repo().join("fixtures/demo/harden.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(dir.path())
        .args(["harden", "--to", &url, "--profile", profile.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("sample_env") && err.contains("current directory"), "{err}");
    let db = rusqlite::Connection::open(&target).unwrap();
    let active: i64 = db.query_row("SELECT count(*) FROM users WHERE is_active = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(active, 23, "no user was deactivated");
    assert!(!dir.path().join("demo-admin-password.txt").exists());
    assert!(!dir.path().join("cutover-journal.json").exists() && !dir.path().join(".cutover").exists());
}

/// A mistyped sqlite:// path is refused; harden does not create an empty database there.
#[test]
fn a_missing_sqlite_target_is_refused_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("typo.sqlite");
    let profile = repo().join("fixtures/demo/harden.toml");
    let (code, _, err) = run_cutover(&[
        "harden",
        "--to",
        &format!("sqlite://{}", target.display()),
        "--profile",
        profile.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!target.exists(), "an empty database was created");
}
