//! Recovery proven at every step boundary (issue 17): the real binary, built with the
//! `failpoints` feature, is stopped by each fail point of `cutover::faults::POINTS` in
//! turn, on PostgreSQL, MariaDB and the embedded SQLite target; then the run is
//! continued without fail points (`migrate --resume`; harden run again and every run
//! taken back with `--undo`; the same `--undo` again) and the target is compared with
//! the source: `verify` at checksum level passes (counts, every value, foreign keys,
//! identity counters, and every planned index, key and counter present), and the
//! catalog (columns, indexes, foreign keys, views) is the one a run that was never
//! stopped leaves. Harden's cases also compare the env file byte for byte and the
//! admin's password file.
//!
//! A point that fires many times (once per table, per statement, per state write) is
//! stopped at its first, middle and last hit, counted by a traced run
//! (`CUTOVER_FAULT_TRACE=1`); a stopped harden run is also undone at once (middle hit).
//! On the servers, existing mode (`--schema existing --truncate` into the target a
//! create-mode run filled) is stopped at the middle hit of each point it reaches. A second test stops the binary with SIGKILL at moments
//! spread over every phase of a migration, read from its `--progress json` events.
//!
//! Run with `cargo test --features failpoints --test faults` (scripts/test.sh does);
//! without the feature the matrix fails and says so.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use cutover::faults::{Stage, POINTS};
use cutover::target::Dialect;
use sqlx::{Connection, Row};

/// A source with every step a migration has: four tiers, foreign keys (one
/// self-referencing), unique and plain indexes, AUTOINCREMENT keys whose
/// `sqlite_sequence` is above the largest key (rows deleted), and a view. Its users,
/// clients and sessions also give every hardening step something to do.
fn source(dir: &Path) -> PathBuf {
    let path = dir.join("shop.sqlite");
    let _ = std::fs::remove_file(&path);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE clients (id INTEGER PRIMARY KEY AUTOINCREMENT, code VARCHAR(20) NOT NULL UNIQUE,
             name TEXT, is_active BOOLEAN NOT NULL DEFAULT 1);
         CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, client_id INTEGER REFERENCES clients (id),
             username VARCHAR(40) NOT NULL UNIQUE, password_hash VARCHAR(100), email VARCHAR(80),
             is_active BOOLEAN NOT NULL DEFAULT 1, manager_id INTEGER REFERENCES users (id));
         CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),
             token VARCHAR(64) NOT NULL, revoked BOOLEAN NOT NULL DEFAULT 0);
         CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id),
             placed DATETIME NOT NULL, amount NUMERIC(10,2), note TEXT);
         CREATE INDEX orders_placed ON orders (placed);
         CREATE TABLE order_lines (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES orders (id),
             sku VARCHAR(20) NOT NULL, qty INTEGER NOT NULL, price REAL);
         CREATE UNIQUE INDEX order_lines_sku ON order_lines (order_id, sku);
         CREATE VIEW active_users AS SELECT id, username FROM users WHERE is_active = 1;",
    )
    .unwrap();
    let tx = c.unchecked_transaction().unwrap();
    for i in 1..=13 {
        let code = if i <= 4 { format!("DEMO-{i:03}") } else { format!("C{i:03}") };
        tx.execute("INSERT INTO clients (code, name) VALUES (?1, ?2)", rusqlite::params![code, format!("client {i}")])
            .unwrap();
    }
    for i in 1..=40 {
        let name = if i <= 8 { format!("demo{i}") } else { format!("staff.{i}") };
        let manager = if i > 3 { Some((i % 3) + 1) } else { None };
        tx.execute(
            "INSERT INTO users (client_id, username, password_hash, email, manager_id) VALUES (?1, ?2, 'x', ?3, ?4)",
            rusqlite::params![1 + i % 12, name, format!("{name}@example.org"), manager],
        )
        .unwrap();
    }
    for i in 1..=80 {
        tx.execute(
            "INSERT INTO sessions (user_id, token) VALUES (?1, ?2)",
            rusqlite::params![1 + i % 40, format!("t{i:05}")],
        )
        .unwrap();
    }
    for i in 1..=300 {
        tx.execute(
            "INSERT INTO orders (user_id, placed, amount, note) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                1 + i % 40,
                format!("2026-{:02}-{:02} 10:{:02}:00", 1 + i % 12, 1 + i % 28, i % 60),
                format!("{}.{:02}", i * 3, i % 100),
                if i % 7 == 0 { None } else { Some(format!("note {i} é ✓")) }
            ],
        )
        .unwrap();
    }
    for i in 1..=900 {
        tx.execute(
            "INSERT INTO order_lines (order_id, sku, qty, price) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![1 + i % 300, format!("SKU-{i}"), i % 9 + 1, f64::from(i) / 8.0],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    // Rows deleted before the move: SQLite never hands out these ids again.
    c.execute_batch("DELETE FROM order_lines WHERE id > 880; DELETE FROM clients WHERE id = 13;").unwrap();
    path
}

/// A hardening profile for `source`: every step kind, bcrypt at its lowest cost.
fn profile(dir: &Path) -> PathBuf {
    let path = dir.join("harden.toml");
    std::fs::write(
        &path,
        format!(
            r#"
env_file = '{env}'

[[steps]]
kind = "deactivate"
table = "users"
match_column = "username"
values = ["demo[0-9]*"]

[[steps]]
kind = "deactivate"
table = "clients"
match_column = "code"
values = ["DEMO-*"]

[[steps]]
kind = "create_admin"
table = "users"
username = "ops.admin"
format = "bcrypt"
cost = 4
password_file = '{password}'
columns = {{ email = "ops@client.example" }}

[[steps]]
kind = "rotate_secret"
keys = ["SECRET_KEY", "JWT_SECRET"]
insecure = ["changeme"]

[[steps.invalidate]]
table = "sessions"
set = {{ revoked = true }}

[[steps]]
kind = "version_columns"
tables = ["orders", "order_lines"]
index = true

[[steps]]
kind = "index"
table = "order_lines"
columns = ["order_id", "qty"]

[[steps]]
kind = "fk_indexes"

[[steps]]
kind = "extensions"
extensions = ["pg_trgm"]
"#,
            env = dir.join("app.env").display(),
            password = dir.join("admin-password.txt").display(),
        ),
    )
    .unwrap();
    path
}

const ENV: &str = "# the application's production settings\nSECRET_KEY=changeme\nJWT_SECRET=short\nDEBUG=false\n";

/// One target of one case: a scratch database, or an SQLite file in the case's folder.
struct Target {
    url: String,
    db: Option<ScratchDb>,
}

impl Target {
    async fn new(dialect: Dialect, name: &str, dir: &Path) -> Target {
        match dialect {
            Dialect::Sqlite => Target { url: format!("sqlite://{}", dir.join("target.sqlite").display()), db: None },
            _ => {
                let db = ScratchDb::new(dialect, name).await;
                Target { url: db.url.clone(), db: Some(db) }
            }
        }
    }

    async fn drop(self) {
        if let Some(db) = self.db {
            db.drop_db().await;
        }
    }
}

/// One case's folder: source, state, journal, env file, password file.
struct Case {
    dir: tempfile::TempDir,
    source: PathBuf,
    profile: PathBuf,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let source = source(dir.path());
        let profile = profile(dir.path());
        std::fs::write(dir.path().join("app.env"), ENV).unwrap();
        Case { dir, source, profile }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Run cutover in the case's folder; `env` adds environment variables.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
        cmd.current_dir(self.dir.path()).args(args).env_remove("FAILPOINTS").env_remove("CUTOVER_FAULT_TRACE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run cutover")
    }

    fn migrate_args<'a>(&'a self, url: &'a str, state: &'a str) -> Vec<&'a str> {
        vec!["migrate", self.source.to_str().unwrap(), "--to", url, "--state", state, "--progress", "none"]
    }

    fn migrate(&self, url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let state = self.path("state.json");
        let mut args = self.migrate_args(url, state.to_str().unwrap());
        args.extend_from_slice(extra);
        self.run(&args, env)
    }

    /// Existing mode into the target a create-mode run filled: `--truncate` empties it
    /// and fills it again, with a state file of its own.
    fn migrate_existing(&self, url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let state = self.path("existing-state.json");
        let mut args = self.migrate_args(url, state.to_str().unwrap());
        args.extend_from_slice(&["--schema", "existing", "--truncate"]);
        args.extend_from_slice(extra);
        self.run(&args, env)
    }

    fn harden(&self, url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let (profile, journal) = (self.profile.to_str().unwrap(), self.path("journal.json"));
        let mut args = vec!["harden", "--to", url, "--profile", profile, "--journal", journal.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args, env)
    }

    /// The journal's runs not yet undone, newest first.
    fn runs_to_undo(&self) -> Vec<String> {
        let Ok(text) = std::fs::read_to_string(self.path("journal.json")) else { return vec![] };
        let j: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut ids: Vec<String> = j["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["undone_at"].is_null())
            .map(|r| r["run_id"].as_str().unwrap().to_string())
            .collect();
        ids.reverse();
        ids
    }

    fn undo(&self, url: &str, run: &str, env: &[(&str, &str)]) -> Output {
        self.harden(url, &["--undo", run], env)
    }

    /// `verify --level checksum --json` after a create-mode run: the report, or why it is
    /// not a clean match.
    fn verify(&self, url: &str) -> Result<serde_json::Value, String> {
        self.verify_after(url, "state.json")
    }

    /// The same, after the run recorded in `state` (its schema mode is verify's).
    fn verify_after(&self, url: &str, state: &str) -> Result<serde_json::Value, String> {
        let create = state == "state.json";
        let state = self.path(state);
        let out = self.run(
            &[
                "verify",
                self.source.to_str().unwrap(),
                "--to",
                url,
                "--state",
                state.to_str().unwrap(),
                "--level",
                "checksum",
                "--progress",
                "none",
                "--json",
                "--report",
                self.path("verify.json").to_str().unwrap(),
            ],
            &[],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let report: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("verify printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))?;
        let mut bad: Vec<String> = report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["status"] != "match")
            .map(|t| format!("table {}: {} (diffs {})", t["table"], t["status"], t["diffs"]))
            .collect();
        bad.extend(
            report["post_load"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["present"] != true)
                .map(|p| format!("post-load {} {} on {} missing", p["kind"], p["name"], p["table"])),
        );
        bad.extend(report["identities"].as_array().unwrap().iter().filter(|i| i["ok"] != true).map(|i| i.to_string()));
        bad.extend(
            report["foreign_keys"].as_array().unwrap().iter().filter(|f| f["orphans"] != 0).map(|f| f.to_string()),
        );
        if create && report["post_load"].as_array().unwrap().is_empty() {
            bad.push("verify checked no post-load object".into());
        }
        if !bad.is_empty() || out.status.code() != Some(0) || report["ok"] != true {
            return Err(format!("verify (exit {:?}): {}", out.status.code(), bad.join("; ")));
        }
        Ok(report)
    }
}

/// Exit 0, or the output that says why not.
fn ok(out: &Output, what: &str) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what}: exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    ))
}

/// The process was ended by `point` (SIGABRT), not a clean exit.
fn aborted_at(out: &Output, point: &str) -> Result<(), String> {
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.signal() == Some(6) && err.contains(&format!("fault point fired: {point};")) {
        return Ok(());
    }
    Err(format!("the run was not stopped by {point}: status {:?}\n{err}", out.status))
}

/// Hits of every fail point in a traced run's stderr.
fn hits(out: &Output) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        if let Some(name) = line.strip_prefix("fault point reached: ") {
            *n.entry(name.to_string()).or_insert(0) += 1;
        }
    }
    n
}

/// The first, middle and last hit of a point reached `n` times.
fn chosen_hits(n: usize) -> Vec<usize> {
    let mut v = vec![1, n.div_ceil(2), n];
    v.dedup();
    v.retain(|h| *h >= 1);
    v
}

/// `FAILPOINTS` that fires `point` at its `hit`-th time (1-based).
fn arm(point: &str, hit: usize) -> String {
    if hit <= 1 {
        format!("{point}=return")
    } else {
        format!("{point}={}*off->return", hit - 1)
    }
}

/// What a run leaves in the target's catalog: columns, indexes, foreign keys, views.
async fn catalog(dialect: Dialect, url: &str) -> BTreeSet<String> {
    let queries: &[&str] = match dialect {
        Dialect::Postgres => &[
            "SELECT 'column ' || table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'",
            "SELECT 'index ' || tablename || '.' || indexname FROM pg_indexes WHERE schemaname = 'public'",
            "SELECT 'fk ' || conrelid::regclass::text || '.' || conname FROM pg_constraint WHERE contype = 'f'",
            "SELECT 'view ' || viewname FROM pg_views WHERE schemaname = 'public'",
            "SELECT 'extension ' || extname FROM pg_extension",
        ],
        Dialect::MariaDb => &[
            "SELECT CAST(CONCAT('column ', TABLE_NAME, '.', COLUMN_NAME) AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
            "SELECT DISTINCT CAST(CONCAT('index ', TABLE_NAME, '.', INDEX_NAME) AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()",
            "SELECT CAST(CONCAT('fk ', TABLE_NAME, '.', CONSTRAINT_NAME) AS CHAR) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
            "SELECT CAST(CONCAT('view ', TABLE_NAME) AS CHAR) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
        ],
        Dialect::Sqlite => &[
            "SELECT 'column ' || m.name || '.' || p.name FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table'",
            "SELECT 'index ' || tbl_name || '.' || name FROM sqlite_schema WHERE type = 'index'",
            "SELECT 'fk ' || m.name || '.' || f.\"table\" || '.' || f.\"from\" FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
            "SELECT 'view ' || name FROM sqlite_schema WHERE type = 'view'",
        ],
    };
    let mut out = BTreeSet::new();
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for q in queries {
                for r in sqlx::query(q).fetch_all(&mut c).await.unwrap() {
                    out.insert(r.get::<String, _>(0));
                }
            }
        }
        Dialect::MariaDb => {
            let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
            for q in queries {
                for r in sqlx::query(q).fetch_all(&mut c).await.unwrap() {
                    out.insert(r.get::<String, _>(0));
                }
            }
        }
        Dialect::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            let c = rusqlite::Connection::open(path).unwrap();
            for q in queries {
                let mut st = c.prepare(q).unwrap();
                for r in st.query_map([], |r| r.get::<_, String>(0)).unwrap() {
                    out.insert(r.unwrap());
                }
            }
        }
    }
    out
}

fn catalog_diff(expected: &BTreeSet<String>, actual: &BTreeSet<String>) -> Result<(), String> {
    if expected == actual {
        return Ok(());
    }
    let missing: Vec<&String> = expected.difference(actual).collect();
    let extra: Vec<&String> = actual.difference(expected).collect();
    Err(format!("catalog differs from an uninterrupted run: missing {missing:?}, extra {extra:?}"))
}

/// What one engine's clean runs leave and how often each point is reached.
struct Baseline {
    migrated: BTreeSet<String>,
    hits: BTreeMap<String, usize>,
    /// Hits of the migrate points in existing mode (servers only).
    existing_hits: BTreeMap<String, usize>,
}

/// A clean migration, harden and undo, traced: the catalog after the migration and the
/// hits of every point.
async fn baseline(dialect: Dialect) -> Baseline {
    let case = Case::new();
    let target = Target::new(dialect, &format!("faults_baseline_{dialect}"), case.dir.path()).await;
    let trace = [("CUTOVER_FAULT_TRACE", "1")];
    let m = case.migrate(&target.url, &[], &trace);
    ok(&m, "baseline migrate").unwrap();
    let migrated = catalog(dialect, &target.url).await;
    case.verify(&target.url).unwrap_or_else(|e| panic!("{dialect}: baseline: {e}"));
    let h = case.harden(&target.url, &[], &trace);
    ok(&h, "baseline harden").unwrap();
    let run = case.runs_to_undo();
    assert_eq!(run.len(), 1, "{dialect}: one harden run");
    let u = case.undo(&target.url, &run[0], &trace);
    ok(&u, "baseline undo").unwrap();
    catalog_diff(&migrated, &catalog(dialect, &target.url).await).unwrap();
    let existing_hits = if dialect == Dialect::Sqlite {
        BTreeMap::new()
    } else {
        let e = case.migrate_existing(&target.url, &[], &trace);
        ok(&e, "baseline migrate --schema existing --truncate").unwrap();
        case.verify_after(&target.url, "existing-state.json").unwrap_or_else(|e| panic!("{dialect}: existing: {e}"));
        hits(&e)
    };
    let mut all = hits(&m);
    for (stage_out, stage) in [(&h, Stage::Harden), (&u, Stage::Undo)] {
        for (name, n) in hits(stage_out) {
            if cutover::faults::find(&name).is_some_and(|p| p.stage == stage) {
                all.insert(name, n);
            }
        }
    }
    target.drop().await;
    Baseline { migrated, hits: all, existing_hits }
}

/// Existing mode: a target filled by a create-mode run, filled again with `--schema
/// existing --truncate` stopped at `point`'s `hit`-th time, then `--resume`d.
async fn existing_case(dialect: Dialect, base: &Baseline, point: &str, hit: usize, n: usize) -> Result<(), String> {
    let case = Case::new();
    let target = Target::new(dialect, &format!("faults_{dialect}_{n}"), case.dir.path()).await;
    ok(&case.migrate(&target.url, &[], &[]), "migrate")?;
    let failpoints = arm(point, hit);
    aborted_at(&case.migrate_existing(&target.url, &[], &[("FAILPOINTS", &failpoints)]), point)?;
    ok(&case.migrate_existing(&target.url, &["--resume"], &[]), "migrate --schema existing --truncate --resume")?;
    case.verify_after(&target.url, "existing-state.json")?;
    catalog_diff(&base.migrated, &catalog(dialect, &target.url).await)?;
    target.drop().await;
    Ok(())
}

/// Stop a migration at `point`'s `hit`-th time, resume, compare.
async fn migrate_case(dialect: Dialect, base: &Baseline, point: &str, hit: usize, n: usize) -> Result<(), String> {
    let case = Case::new();
    let target = Target::new(dialect, &format!("faults_{dialect}_{n}"), case.dir.path()).await;
    let failpoints = arm(point, hit);
    aborted_at(&case.migrate(&target.url, &[], &[("FAILPOINTS", &failpoints)]), point)?;
    ok(&case.migrate(&target.url, &["--resume"], &[]), "migrate --resume")?;
    case.verify(&target.url)?;
    catalog_diff(&base.migrated, &catalog(dialect, &target.url).await)?;
    target.drop().await;
    Ok(())
}

/// The env file and the password file are as before hardening.
fn files_restored(case: &Case) -> Result<(), String> {
    let env = std::fs::read_to_string(case.path("app.env")).map_err(|e| format!("app.env: {e}"))?;
    if env != ENV {
        return Err(format!("app.env is not restored byte for byte: {env:?}"));
    }
    if case.path("admin-password.txt").exists() {
        return Err("the admin's password file is still there".into());
    }
    Ok(())
}

/// Every recorded run taken back, newest first.
fn undo_all(case: &Case, url: &str) -> Result<(), String> {
    for run in case.runs_to_undo() {
        ok(&case.undo(url, &run, &[]), &format!("harden --undo {run}"))?;
    }
    Ok(())
}

/// Stop a harden run at `point`'s `hit`-th time; `rerun`: run harden again (it must end
/// hardened), then undo every run; else undo the stopped run
/// directly. Then compare with the source.
async fn harden_case(
    dialect: Dialect,
    base: &Baseline,
    point: &str,
    hit: usize,
    rerun: bool,
    n: usize,
) -> Result<(), String> {
    let case = Case::new();
    let target = Target::new(dialect, &format!("faults_{dialect}_{n}"), case.dir.path()).await;
    ok(&case.migrate(&target.url, &[], &[]), "migrate")?;
    let failpoints = arm(point, hit);
    aborted_at(&case.harden(&target.url, &[], &[("FAILPOINTS", &failpoints)]), point)?;
    if rerun {
        // Each step is checked again after it is applied: exit 0 means every step is done.
        ok(&case.harden(&target.url, &[], &[]), "harden again")?;
    }
    undo_all(&case, &target.url)?;
    files_restored(&case)?;
    case.verify(&target.url)?;
    catalog_diff(&base.migrated, &catalog(dialect, &target.url).await)?;
    target.drop().await;
    Ok(())
}

/// Stop `harden --undo` at `point`'s `hit`-th time, run the same undo again, compare.
async fn undo_case(dialect: Dialect, base: &Baseline, point: &str, hit: usize, n: usize) -> Result<(), String> {
    let case = Case::new();
    let target = Target::new(dialect, &format!("faults_{dialect}_{n}"), case.dir.path()).await;
    ok(&case.migrate(&target.url, &[], &[]), "migrate")?;
    ok(&case.harden(&target.url, &[], &[]), "harden")?;
    let run = case.runs_to_undo().pop().ok_or("no harden run recorded")?;
    let failpoints = arm(point, hit);
    aborted_at(&case.undo(&target.url, &run, &[("FAILPOINTS", &failpoints)]), point)?;
    ok(&case.undo(&target.url, &run, &[]), "the same --undo again")?;
    files_restored(&case)?;
    case.verify(&target.url)?;
    catalog_diff(&base.migrated, &catalog(dialect, &target.url).await)?;
    target.drop().await;
    Ok(())
}

/// Every fail point on one engine; prints the summary and fails with every case that did
/// not come back exactly.
async fn matrix(dialect: Dialect) {
    assert!(
        cutover_has_failpoints(),
        "the cutover binary was built without fail points: run `cargo test --features failpoints` (scripts/test.sh does)"
    );
    let base = baseline(dialect).await;
    let mut failures = Vec::new();
    let (mut cases, mut points) = (0, 0);
    for p in POINTS {
        let n = base.hits.get(p.name).copied().unwrap_or(0);
        if n == 0 {
            failures.push(format!("{}: never reached on {dialect}", p.name));
            continue;
        }
        points += 1;
        let middle = n.div_ceil(2);
        for hit in chosen_hits(n) {
            // Harden: run again then undo at every chosen hit; undo the stopped run at once
            // at the middle one (the undo's own points are stopped at every hit below).
            let paths: &[bool] = match p.stage {
                Stage::Harden if hit == middle => &[true, false],
                _ => &[true],
            };
            for &rerun in paths {
                cases += 1;
                let result = match p.stage {
                    Stage::Migrate => migrate_case(dialect, &base, p.name, hit, cases).await,
                    Stage::Harden => harden_case(dialect, &base, p.name, hit, rerun, cases).await,
                    Stage::Undo => undo_case(dialect, &base, p.name, hit, cases).await,
                };
                if let Err(e) = result {
                    let how = if p.stage != Stage::Harden {
                        ""
                    } else if rerun {
                        " (harden again, then undo)"
                    } else {
                        " (undo the stopped run)"
                    };
                    failures.push(format!("{} hit {hit} of {n}{how}: {e}", p.name));
                }
            }
        }
    }
    // Existing mode reaches the load's and the state file's points: each at its middle hit.
    for (name, &n) in &base.existing_hits {
        if cutover::faults::find(name).is_none_or(|p| p.stage != Stage::Migrate) {
            continue;
        }
        cases += 1;
        let hit = n.div_ceil(2);
        if let Err(e) = existing_case(dialect, &base, name, hit, cases).await {
            failures.push(format!("{name} hit {hit} of {n} (existing mode): {e}"));
        }
    }
    let reached: Vec<String> =
        POINTS.iter().map(|p| format!("{} {}", p.name, base.hits.get(p.name).unwrap_or(&0))).collect();
    eprintln!(
        "fail points on {dialect}: {points} of {} points reached, {cases} cases, {} passed, {} failed (hits per clean run: {})",
        POINTS.len(),
        cases - failures.len().min(cases),
        failures.len(),
        reached.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{dialect}: {} case(s) did not resume exactly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether this build (and so the binary under test) has fail points.
fn cutover_has_failpoints() -> bool {
    cfg!(feature = "failpoints")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fail_point_resumes_exactly_postgres() {
    matrix(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fail_point_resumes_exactly_mariadb() {
    matrix(Dialect::MariaDb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fail_point_resumes_exactly_sqlite() {
    matrix(Dialect::Sqlite).await;
}

/// Every `fault!("…")` in src/ is listed in `faults::POINTS`, and every listed point is
/// in the code: the matrix iterates the list, so a point added later is tested.
#[test]
fn every_fail_point_in_the_code_is_listed() {
    fn walk(dir: &Path, found: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, found);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for piece in text.split("fault!(\"").skip(1) {
                    found.insert(piece.split('"').next().unwrap().to_string());
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    walk(&repo().join("src"), &mut found);
    let listed: BTreeSet<String> = POINTS.iter().map(|p| p.name.to_string()).collect();
    assert_eq!(found, listed, "fault!(…) in src/ and faults::POINTS differ");
}

/// Tables of a chain, each with an index, a foreign key to the one before and an
/// AUTOINCREMENT key: a load that lasts long enough to be killed inside, and a post-load
/// phase of a few dozen statements.
fn chain_source(dir: &Path) -> PathBuf {
    let path = dir.join("chain.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    let mut sql = String::from("BEGIN;");
    for t in 0..6 {
        let parent = if t == 0 { String::new() } else { format!(", p INTEGER REFERENCES t{} (id)", t - 1) };
        sql.push_str(&format!(
            "CREATE TABLE t{t} (id INTEGER PRIMARY KEY AUTOINCREMENT, v VARCHAR(60) NOT NULL, at DATETIME, amount NUMERIC(12,2){parent});
             CREATE INDEX t{t}_v ON t{t} (v);
             CREATE UNIQUE INDEX t{t}_at ON t{t} (at, id);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
             INSERT INTO t{t} (id, v, at, amount{}) SELECT i, printf('row %d of t{t}', i), datetime(1700000000 + i * 37, 'unixepoch'), i * 1.25{} FROM n;",
            if t == 0 { "" } else { ", p" },
            if t == 0 { "" } else { ", i" }
        ));
    }
    sql.push_str("CREATE VIEW firsts AS SELECT id, v FROM t0 WHERE id < 10; COMMIT;");
    c.execute_batch(&sql).unwrap();
    path
}

/// The phases of a migration that a kill can land in, as its JSON progress says.
const PHASES: [&str; 4] = ["start", "create", "load", "post-load"];

/// The phase a `{"event":"phase",…}` line opens.
fn phase_of(line: &str) -> Option<&'static str> {
    if !line.contains("\"event\":\"phase\"") {
        return None;
    }
    Some(if line.contains("creating tables") {
        "create"
    } else if line.contains("copying data") {
        "load"
    } else if line.contains("after the data") {
        "post-load"
    } else {
        return None;
    })
}

/// A migration with `--progress json`, its stderr lines timed as they arrive; killed with
/// SIGKILL `delay` after the line that opens `phase` (after the start for `start`;
/// never, when None). Returns whether
/// it was killed, the phase its last progress line had opened, and the lines' times.
fn run_and_kill(
    args: &[&str],
    cwd: &Path,
    kill: Option<(&str, std::time::Duration)>,
) -> (bool, &'static str, Vec<(std::time::Duration, String)>) {
    use std::io::BufRead;
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(cwd)
        .args(args)
        .env_remove("FAILPOINTS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send((started.elapsed(), line)).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    if let Some(("start", delay)) = kill {
        // Reading the source, lint's checks, connecting: no progress line opens it.
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
    } else if let Some((phase, delay)) = kill {
        for (t, line) in rx.iter() {
            let opens = phase_of(&line) == Some(phase);
            lines.push((t, line));
            if opens {
                std::thread::sleep(delay);
                let _ = child.kill(); // SIGKILL
                break;
            }
        }
    }
    let status = child.wait().unwrap();
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let landed = lines.iter().filter_map(|(_, l)| phase_of(l)).next_back().unwrap_or("start");
    (status.signal() == Some(9), landed, lines)
}

/// SIGKILL at moments spread over every phase of a migration (issue 17, item 3): each
/// kill on a fresh target, then `--resume`, `verify` at checksum level and the catalog of
/// an uninterrupted run. The moment is a random point of the phase's length in a timed
/// run; where the kill landed is read from the progress the run printed, and a kill that
/// found a state file being written is counted too (its temporary file is left behind).
async fn random_kills(dialect: Dialect) {
    let kills: usize = std::env::var("CUTOVER_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let source = chain_source(dir.path());
    let src = source.to_str().unwrap().to_string();
    // A timed run: how long each phase lasts, and the catalog it leaves.
    let target = Target::new(dialect, &format!("faults_kills_{dialect}_base"), dir.path()).await;
    let state = dir.path().join("base-state.json");
    let args = |url: &str, state: &Path, resume: bool| -> Vec<String> {
        let mut a: Vec<String> =
            ["migrate", &src, "--to", url, "--state", state.to_str().unwrap(), "--progress", "json"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let a = args(&target.url, &state, false);
    let (_, _, lines) = run_and_kill(&a.iter().map(String::as_str).collect::<Vec<_>>(), dir.path(), None);
    let opened = |p: &str| lines.iter().find(|(_, l)| phase_of(l) == Some(p)).map(|(t, _)| *t);
    let end = lines.last().map(|(t, _)| *t).unwrap();
    let (create, load, post) = (opened("create").unwrap(), opened("load").unwrap(), opened("post-load").unwrap());
    let length: BTreeMap<&str, std::time::Duration> =
        [("start", create), ("create", load - create), ("load", post - load), ("post-load", end - post)].into();
    let baseline = catalog(dialect, &target.url).await;
    target.drop().await;

    let mut rng = 0x2545_f491_4f6c_dd1du64 ^ u64::from(std::process::id());
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut landed: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut in_state_write, mut finished_first, mut failures) = (0, 0, Vec::new());
    for k in 0..kills {
        let aim = ["create", "load", "post-load", "start"][k % 4];
        let delay = length[aim].mul_f64(next());
        let case_dir = tempfile::tempdir().unwrap();
        let target = Target::new(dialect, &format!("faults_kills_{dialect}_{k}"), case_dir.path()).await;
        let state = case_dir.path().join("state.json");
        let a = args(&target.url, &state, false);
        let (killed, phase, _) =
            run_and_kill(&a.iter().map(String::as_str).collect::<Vec<_>>(), case_dir.path(), Some((aim, delay)));
        if !killed {
            finished_first += 1;
        } else {
            *landed.entry(phase).or_insert(0) += 1;
        }
        let leftovers = std::fs::read_dir(case_dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".cutover-state"))
            .count();
        in_state_write += usize::from(leftovers > 0);
        let r = args(&target.url, &state, true);
        let (_, _, resumed) = run_and_kill(&r.iter().map(String::as_str).collect::<Vec<_>>(), case_dir.path(), None);
        let case = Case { dir: case_dir, source: source.clone(), profile: PathBuf::new() };
        let result = async {
            if !resumed.iter().any(|(_, l)| l.contains("\"event\":\"phase\"")) {
                return Err(format!("the resumed run printed no progress: {resumed:?}"));
            }
            case.verify(&target.url)?;
            catalog_diff(&baseline, &catalog(dialect, &target.url).await)
        }
        .await;
        match result {
            Ok(()) => target.drop().await,
            Err(e) => failures.push(format!("kill {k} aimed at {aim} +{delay:?}, landed in {phase}: {e}")),
        }
    }
    let spread: Vec<String> = PHASES.iter().map(|p| format!("{p} {}", landed.get(p).copied().unwrap_or(0))).collect();
    eprintln!(
        "random kills on {dialect}: {kills} runs, landed: {}; {in_state_write} during a state-file write; {finished_first} finished before the kill; {} resumed exactly",
        spread.join(", "),
        kills - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{dialect}: {} kill(s) did not resume exactly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn random_kills_resume_exactly_postgres() {
    random_kills(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn random_kills_resume_exactly_mariadb() {
    random_kills(Dialect::MariaDb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn random_kills_resume_exactly_sqlite() {
    random_kills(Dialect::Sqlite).await;
}

/// Item 2: an index, a unique index and a foreign key the plan adds after the data,
/// missing in the target, are differences: verify exits 1 and names each one, in the
/// text and in the JSON report, though every row matches.
async fn verify_names_missing_post_load_objects(dialect: Dialect) {
    let case = Case::new();
    let target = Target::new(dialect, &format!("faults_verify_post_load_{dialect}"), case.dir.path()).await;
    ok(&case.migrate(&target.url, &[], &[]), "migrate").unwrap();
    let report = case.verify(&target.url).unwrap();
    let kinds: BTreeSet<&str> =
        report["post_load"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    let expected: &[&str] = match dialect {
        // SQLite declares foreign keys inside CREATE TABLE: they are not added after the data.
        Dialect::Sqlite => &["index", "unique index", "identity counter"],
        _ => &["index", "unique index", "foreign key", "identity counter"],
    };
    assert_eq!(kinds, expected.iter().copied().collect(), "{dialect}: {report}");
    let drops: Vec<String> = match dialect {
        Dialect::Postgres => vec![
            "DROP INDEX orders_placed".into(),
            // A source UNIQUE constraint is a constraint on PostgreSQL.
            "ALTER TABLE users DROP CONSTRAINT users_username_key".into(),
            "ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey".into(),
        ],
        Dialect::MariaDb => vec![
            "ALTER TABLE sessions DROP FOREIGN KEY sessions_user_id_fkey".into(),
            "DROP INDEX orders_placed ON orders".into(),
            "DROP INDEX users_username_key ON users".into(),
        ],
        Dialect::Sqlite => vec!["DROP INDEX orders_placed".into(), "DROP INDEX users_username_key".into()],
    };
    match dialect {
        Dialect::Sqlite => {
            let c = rusqlite::Connection::open(target.url.strip_prefix("sqlite://").unwrap()).unwrap();
            for d in &drops {
                c.execute_batch(d).unwrap();
            }
        }
        _ => {
            let errors = target.db.as_ref().unwrap().exec_all(&drops).await;
            assert!(errors.is_empty(), "{errors:?}");
        }
    }
    let text = case.run(
        &["verify", case.source.to_str().unwrap(), "--to", &target.url, "--state", "state.json", "--progress", "none"],
        &[],
    );
    let out = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(1), "{dialect}: verify with objects missing: {out}");
    assert!(out.contains("missing index orders_placed on orders"), "{out}");
    assert!(out.contains("missing unique index users_username_key on users"), "{out}");
    if dialect != Dialect::Sqlite {
        assert!(out.contains("missing foreign key sessions_user_id_fkey on sessions"), "{out}");
    }
    assert!(out.contains("--resume"), "{out}");
    let err = case.verify(&target.url).unwrap_err();
    assert!(err.contains("exit Some(1)") && err.contains("orders_placed"), "{err}");
    target.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_missing_post_load_objects_postgres() {
    verify_names_missing_post_load_objects(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_missing_post_load_objects_mariadb() {
    verify_names_missing_post_load_objects(Dialect::MariaDb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_missing_post_load_objects_sqlite() {
    verify_names_missing_post_load_objects(Dialect::Sqlite).await;
}

/// The catalog a clean migration of `source` leaves (for the regression tests below).
async fn migrated_catalog(dialect: Dialect, name: &str) -> Baseline {
    let case = Case::new();
    let target = Target::new(dialect, name, case.dir.path()).await;
    ok(&case.migrate(&target.url, &[], &[]), "migrate").unwrap();
    let migrated = catalog(dialect, &target.url).await;
    target.drop().await;
    Baseline { migrated, hits: BTreeMap::new(), existing_hits: BTreeMap::new() }
}

/// Regressions found by the matrix, each the case that failed before the journal was
/// written ahead: `point` at its `hit`-th time, then harden again and undo every run
/// (`rerun`), or undo the stopped run at once.
async fn harden_regression(dialect: Dialect, test: &str, point: &str, hit: usize, rerun: bool) {
    let base = migrated_catalog(dialect, &format!("{test}_base")).await;
    let n = cutover::hash::fnv1a64(test.as_bytes()) as usize % 100_000;
    harden_case(dialect, &base, point, hit, rerun, 100_000 + n).await.unwrap_or_else(|e| panic!("{test}: {e}"));
}

/// A step that committed (the demo users deactivated) but was not journaled yet was
/// never taken back by --undo.
#[tokio::test(flavor = "multi_thread")]
async fn a_harden_step_committed_before_the_journal_knew_is_undone() {
    let test = "a_harden_step_committed_before_the_journal_knew_is_undone";
    harden_regression(Dialect::Sqlite, test, "harden::after_commit", 1, false).await;
    harden_regression(Dialect::Postgres, test, "harden::after_commit", 1, true).await;
}

/// The env file rotated, then a stop before the step's COMMIT: --undo did not know of
/// the rotation and left the new secrets in place.
#[tokio::test(flavor = "multi_thread")]
async fn an_env_file_rotated_before_a_stop_is_restored_by_undo() {
    let test = "an_env_file_rotated_before_a_stop_is_restored_by_undo";
    harden_regression(Dialect::Sqlite, test, "harden::after_file", 2, false).await;
    harden_regression(Dialect::Sqlite, test, "harden::after_file", 2, true).await;
}

/// The admin's password file written, then a stop before its row committed: the next
/// harden refused ("password_file already exists") and --undo left the file.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_file_left_by_a_stopped_run_does_not_block_the_next() {
    let test = "a_password_file_left_by_a_stopped_run_does_not_block_the_next";
    harden_regression(Dialect::Sqlite, test, "harden::after_file", 1, true).await;
    harden_regression(Dialect::Sqlite, test, "harden::after_file", 1, false).await;
}

/// MariaDB commits DDL as it runs: a version column added before a stop in the middle
/// of its step was not journaled, so --undo left it.
#[tokio::test(flavor = "multi_thread")]
async fn mariadb_ddl_committed_before_a_stop_mid_step_is_undone() {
    let test = "mariadb_ddl_committed_before_a_stop_mid_step_is_undone";
    // Actions: 1 + 1 + 1 (admin) + 3 (rotation) + 4 (version columns): the 8th is the
    // index of orders.version, after its column.
    harden_regression(Dialect::MariaDb, test, "harden::after_action", 8, false).await;
}

/// An undo stopped after a step's COMMIT, run again, failed on the index it had dropped.
#[tokio::test(flavor = "multi_thread")]
async fn an_undo_stopped_after_a_commit_runs_again() {
    let case = Case::new();
    let target = Target::new(Dialect::Sqlite, "unused", case.dir.path()).await;
    ok(&case.migrate(&target.url, &[], &[]), "migrate").unwrap();
    let migrated = catalog(Dialect::Sqlite, &target.url).await;
    let base = Baseline { migrated, hits: BTreeMap::new(), existing_hits: BTreeMap::new() };
    drop(case);
    undo_case(Dialect::Sqlite, &base, "undo::after_commit", 1, 0).await.unwrap();
}
