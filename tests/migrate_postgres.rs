//! `cutover migrate` into a real PostgreSQL: every corpus database and the demo fixture,
//! values checked against the documented conversion rules computed here from the
//! source; existing mode; hostile names and edge values; kill and resume; reject mode;
//! dry run; refusal of a non-empty target.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use sqlx::{Connection, Row};

async fn scalar(url: &str, sql: &str) -> i64 {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sql).fetch_one(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}")).get::<i64, _>(0)
}

/// Corpus files with values that do not convert, and the one reject each must produce.
const KNOWN_BAD: &[(&str, &str, &str)] = &[
    ("pgloader-bad-utf8", "files", "filename"),
    ("pgloader-type-mismatch", "products", "qty"),
    ("pgloader-sqlite", "autoinc", "id"),
];

async fn migrate_and_compare(path: PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let db = ScratchDb::new(Dialect::Postgres, &format!("mig_pg_{stem}")).await;
    let state = dir.path().join("state.json");
    let bad = KNOWN_BAD.iter().find(|(f, _, _)| *f == stem);
    let rejects = dir.path().join("rejects.jsonl");
    let extra: Vec<&str> =
        if bad.is_some() { vec!["--on-error", "reject", "--reject-file", rejects.to_str().unwrap()] } else { vec![] };
    let (code, out, err) = migrate(&path, &db, &state, &extra);
    assert_eq!(code, 0, "{stem}: {err}\n{out}");
    let plan = plan_for(&path, Dialect::Postgres);
    let mut rejected_tables: Vec<String> = vec![];
    if let Some((_, table, column)) = bad {
        let lines = std::fs::read_to_string(&rejects).unwrap();
        let found: Vec<(String, String)> = lines
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| (v["table"].as_str().unwrap().to_string(), v["column"].as_str().unwrap().to_string()))
            .collect();
        assert!(found.contains(&(table.to_string(), column.to_string())), "{stem}: {lines}");
        rejected_tables = found.into_iter().map(|(t, _)| t).collect();
    }
    let src = sqlite_file_for(&path, dir.path());
    let skip: Vec<&str> = rejected_tables.iter().map(String::as_str).collect();
    let problems = compare_postgres(&db.url, &src, &plan, &skip).await;
    assert!(problems.is_empty(), "{stem}: values differ:\n{}", problems.join("\n"));
    // Keys and constraints: one PK per table that has one, every planned FK.
    let pks = scalar(&db.url, "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE contype = 'p' AND nspname = 'public'").await;
    assert_eq!(pks as usize, plan.tables.iter().filter(|t| !t.primary_key.is_empty()).count(), "{stem}: primary keys");
    let fks = scalar(&db.url, "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE contype = 'f' AND nspname = 'public'").await;
    assert_eq!(fks as usize, plan.tables.iter().map(|t| t.foreign_keys.len()).sum::<usize>(), "{stem}: foreign keys");
    let uniques = scalar(&db.url, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indisunique AND NOT i.indisprimary AND n.nspname = 'public'").await;
    assert_eq!(
        uniques as usize,
        plan.tables.iter().flat_map(|t| &t.indexes).filter(|i| i.unique).count(),
        "{stem}: unique indexes"
    );
    // The next identity value is above every key (and above sqlite_sequence).
    for tp in plan.tables.iter().filter(|t| t.identity.is_some()) {
        let id = tp.identity.as_ref().unwrap();
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let next = scalar(
            &db.url,
            &format!(
                "SELECT nextval(pg_get_serial_sequence('{}', '{}'))",
                q(&tp.target_name).replace('\'', "''"),
                id.column.replace('\'', "''")
            ),
        )
        .await;
        assert_eq!(next, id.next_value, "{stem}: next value of {}.{}", tp.target_name, id.column);
        let max =
            scalar(&db.url, &format!("SELECT coalesce(max({}), 0)::bigint FROM {}", q(&id.column), q(&tp.target_name)))
                .await;
        assert!(next > max, "{stem}: identity {next} not above max {max}");
    }
    // No false alarm: verify finds every table equal, and accounts for the rejected rows.
    let report = verify_matches(&path, &db.url, &state, &stem);
    let rejected: u64 = report["tables"].as_array().unwrap().iter().map(|t| t["rows_rejected"].as_u64().unwrap()).sum();
    assert_eq!(rejected > 0, bad.is_some(), "{stem}: rows verify counts as not converting");
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_fixture_migrates_exactly() {
    migrate_and_compare(demo_fixture()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_database_migrates_exactly() {
    for path in corpus() {
        migrate_and_compare(path).await;
    }
}

const EDGES: &str = r#"
CREATE TABLE "we""ird `t` [x]" ("order" INTEGER PRIMARY KEY, "sel ect" TEXT, big BLOB, n NUMERIC(12,4), flag BOOLEAN, at DATETIME);
CREATE TABLE parent (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE child (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, g INTEGER GENERATED ALWAYS AS (a * 2) STORED,
  FOREIGN KEY (a, b) REFERENCES parent (a, b));
CREATE TABLE chicken (id INTEGER PRIMARY KEY, egg_id INTEGER REFERENCES egg(id));
CREATE TABLE egg (id INTEGER PRIMARY KEY, chicken_id INTEGER REFERENCES chicken(id));
INSERT INTO "we""ird `t` [x]" VALUES (1, '\N', NULL, 1.5, 1, '2024-01-02 03:04:05.123456');
INSERT INTO "we""ird `t` [x]" VALUES (2, '', X'', 0.1, 0, '2024-01-02T03:04:05Z');
INSERT INTO "we""ird `t` [x]" VALUES (3, NULL, X'00', -99999999.9999, 'true', '2024-01-02');
INSERT INTO "we""ird `t` [x]" VALUES (4, 'tab	here \\ back\slash "quote" ''single'' '|| char(10) || 'newline 😀', NULL, 12.3456, 'f', NULL);
INSERT INTO "we""ird `t` [x]" VALUES (5, replace(hex(zeroblob(524288)), '0', 'x'), zeroblob(1048576), NULL, NULL, NULL);
INSERT INTO parent VALUES (1, 'x'), (2, 'y');
INSERT INTO child (id, a, b) VALUES (1, 1, 'x'), (2, 2, 'y'), (3, NULL, NULL);
INSERT INTO chicken VALUES (1, 2), (2, NULL);
INSERT INTO egg VALUES (2, 1), (1, NULL);
"#;

fn edges_source(dir: &Path) -> PathBuf {
    let p = dir.join("edges.sql");
    std::fs::write(&p, EDGES).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_and_edge_values_migrate_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = edges_source(dir.path());
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_edges").await;
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let plan = plan_for(&src, Dialect::Postgres);
    let problems = compare_postgres(&db.url, &sqlite_file_for(&src, dir.path()), &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    verify_matches(&src, &db.url, &dir.path().join("s.json"), "edges");
    // 1 MB text and blob arrive whole; '' and NULL stay distinct; COPY-escape text is literal.
    let len = scalar(&db.url, "SELECT octet_length(big)::bigint FROM \"we\"\"ird `t` [x]\" WHERE \"order\" = 5").await;
    assert_eq!(len, 1_048_576);
    let empty = scalar(&db.url, "SELECT count(*) FROM \"we\"\"ird `t` [x]\" WHERE \"sel ect\" = ''").await;
    let nulls = scalar(&db.url, "SELECT count(*) FROM \"we\"\"ird `t` [x]\" WHERE \"sel ect\" IS NULL").await;
    let escaped = scalar(&db.url, "SELECT count(*) FROM \"we\"\"ird `t` [x]\" WHERE \"sel ect\" = '\\N'").await;
    assert_eq!((empty, nulls, escaped), (1, 1, 1));
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_mode_names_table_row_and_column_and_commits_nothing_of_that_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_strict").await;
    let src = repo().join("../shared/corpus/pgloader-type-mismatch.db");
    let (code, _out, err) = migrate(&src, &db, &dir.path().join("s.json"), &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("table products")
            && err.contains("column qty")
            && err.contains("lots-of-it")
            && err.contains("row id="),
        "{err}"
    );
    assert_eq!(scalar(&db.url, "SELECT count(*) FROM products").await, 0);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing_and_lists_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_dry").await;
    let state = dir.path().join("s.json");
    let (code, out, err) =
        migrate(&repo().join("../shared/corpus/pgloader-type-mismatch.db"), &db, &state, &["--dry-run"]);
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(out.contains("lots-of-it") && out.contains("DRY RUN"), "{out}");
    let tables = scalar(&db.url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").await;
    assert_eq!(tables, 0, "a dry run creates nothing");
    assert!(!state.exists(), "a dry run writes no state file");
    let (code, out, _) = migrate(&demo_fixture(), &db, &state, &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn non_empty_target_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_refuse").await;
    let state = dir.path().join("s.json");
    assert_eq!(migrate(&demo_fixture(), &db, &state, &[]).0, 0);
    std::fs::remove_file(&state).unwrap();
    let (code, _, err) = migrate(&demo_fixture(), &db, &state, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already has table(s)") && err.contains("never drops"), "{err}");
    // Existing mode refuses non-empty tables unless --truncate, then loads exactly once.
    let (code, _, err) = migrate(&demo_fixture(), &db, &state, &["--schema", "existing"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--truncate"), "{err}");
    let (code, _, err) =
        migrate(&demo_fixture(), &db, &dir.path().join("s2.json"), &["--schema", "existing", "--truncate"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(scalar(&db.url, "SELECT count(*) FROM users").await, 24);
    db.drop_db().await;
}

fn varchar_to_text(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("varchar(") {
        out.push_str(&rest[..i]);
        out.push_str("text");
        rest = &rest[i + rest[i..].find(')').unwrap() + 1..];
    }
    out + rest
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_mode_converts_to_the_targets_own_types() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_existing").await;
    // The application's own DDL: integer ids, timestamptz, text for varchar, FKs deferrable.
    let plan = plan_for(&demo_fixture(), Dialect::Postgres);
    let mut ddl: Vec<String> = Vec::new();
    for st in plan
        .statements
        .iter()
        .filter(|s| matches!(s.phase, cutover::plan::Phase::Tables | cutover::plan::Phase::ForeignKeys))
    {
        let mut s = st
            .sql
            .replace("bigint GENERATED BY DEFAULT AS IDENTITY", "integer GENERATED BY DEFAULT AS IDENTITY")
            .replace(" bigint", " integer");
        s = s.replace(" timestamp", " timestamptz");
        s = varchar_to_text(&s);
        if st.phase == cutover::plan::Phase::ForeignKeys {
            s.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
        ddl.push(s);
    }
    let errors = db.exec_all(&ddl).await;
    assert!(errors.is_empty(), "{errors:?}");
    let (code, out, err) = migrate(&demo_fixture(), &db, &dir.path().join("s.json"), &["--schema", "existing"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let total = scalar(&db.url, "SELECT count(*) FROM production_entries").await;
    assert_eq!(total, 1165);
    let problems = compare_postgres(&db.url, &sqlite_file_for(&demo_fixture(), dir.path()), &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Identity positions were moved above the loaded keys.
    let next = scalar(&db.url, "SELECT nextval(pg_get_serial_sequence('users', 'id'))").await;
    assert_eq!(next, 25);
    db.drop_db().await;
}

/// A source big enough to be killed in the middle: a chain of tables, 120k rows each.
fn big_source(dir: &Path) -> PathBuf {
    let p = dir.join("big.sqlite");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE t0 (id INTEGER PRIMARY KEY, v TEXT, x REAL);
         CREATE TABLE t1 (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t0(id), v TEXT);
         CREATE TABLE t2 (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t1(id), v TEXT);
         CREATE TABLE t3 (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t2(id), v TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
         INSERT INTO t0 SELECT i, printf('row %d with some text', i), i / 7.0 FROM n;
         INSERT INTO t1 SELECT id, id, v FROM t0; INSERT INTO t2 SELECT id, id, v FROM t0; INSERT INTO t3 SELECT id, id, v FROM t0;",
    )
    .unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_runs_resume_to_exactly_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = big_source(dir.path());
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_resume").await;
    let state = dir.path().join("state.json");
    let args = |resume: bool| {
        let mut a = vec![
            "migrate".to_string(),
            src.display().to_string(),
            "--to".into(),
            db.url.clone(),
            "--state".into(),
            state.display().to_string(),
            "--progress".into(),
            "none".into(),
            "--jobs".into(),
            "1".into(),
        ];
        if resume {
            a.push("--resume".into());
        }
        a
    };
    // Kill at several moments: during table creation, during a copy, between tables.
    let mut resume = false;
    for delay_ms in [150u64, 600, 1200] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover")).args(args(resume)).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        resume = state.exists();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover")).args(args(resume)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for t in ["t0", "t1", "t2", "t3"] {
        assert_eq!(scalar(&db.url, &format!("SELECT count(*) FROM {t}")).await, 120_000, "{t}");
    }
    let plan = plan_for(&src, Dialect::Postgres);
    let problems = compare_postgres(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let fks = scalar(&db.url, "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE contype = 'f' AND nspname = 'public'").await;
    assert_eq!(fks, 3);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn selection_leaves_out_tables_and_the_keys_that_point_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "mig_pg_select").await;
    let (code, out, err) =
        migrate(&demo_fixture(), &db, &dir.path().join("s.json"), &["--exclude", "clients", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report["tables"].as_array().unwrap().iter().all(|t| t["table"] != "clients"));
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "fk_left_out" && f["message"].as_str().unwrap().contains("clients")));
    let (code, _, err) = migrate(&demo_fixture(), &db, &dir.path().join("s2.json"), &["--tables", "nope*"]);
    assert_eq!(code, 2, "{err}");
    db.drop_db().await;
}
