//! Large tables split into rowid ranges that load over several connections at once
//! (create mode): every row arrives exactly once whatever the rowids look like (gaps,
//! negative ones, a table without an alias for its rowid, one WITHOUT ROWID), the parts
//! take turns to commit, and a kill after any commit resumes to an exact copy.
//! `CUTOVER_SPLIT_ROWS` splits every table of that many rows or more (by default only a
//! table of 100,000 rows or more that dominates the load, on 4 cores or more), so that
//! small fixtures are split on any machine. And a table the server holds up does not
//! hold up the tables loading beside it.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;

/// A source whose larger tables have uneven rowids: `big` (an INTEGER PRIMARY KEY with
/// gaps and negative ids, a foreign key to `parent`, numerics and text), `plain` (no
/// primary key: its hidden rowid is the range) and `keyed` (WITHOUT ROWID: never split).
fn source(dir: &Path) -> PathBuf {
    let path = dir.join("split.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE big (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), v TEXT, n NUMERIC(10,2));
         CREATE TABLE plain (a TEXT, b INTEGER);
         CREATE TABLE keyed (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50)
           INSERT INTO parent SELECT i, 'p' || i FROM s;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 4000)
           INSERT INTO big SELECT i * 3 - 600, i % 50 + 1, 'row ' || i || ' ''quoted''', (i % 997) / 4.0 FROM s;
         DELETE FROM big WHERE id BETWEEN 2000 AND 5000;
         INSERT INTO big VALUES (9000000000, 1, 'far away', 1.5);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2500)
           INSERT INTO plain SELECT 'a' || i, i FROM s;
         DELETE FROM plain WHERE b % 7 = 0;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1500)
           INSERT INTO keyed SELECT printf('k%05d', i), i FROM s;",
    )
    .unwrap();
    path
}

/// Run cutover with `CUTOVER_SPLIT_ROWS` (and `FAILPOINTS` when given).
fn run(args: &[&str], failpoints: Option<&str>) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(args).env("CUTOVER_SPLIT_ROWS", "1000").env_remove("FAILPOINTS");
    if let Some(f) = failpoints {
        cmd.env("FAILPOINTS", f);
    }
    outcome(cmd.output().expect("run cutover"))
}

fn migrate_args<'a>(src: &'a str, url: &'a str, state: &'a str, report: &'a str) -> Vec<&'a str> {
    vec!["migrate", src, "--to", url, "--state", state, "--report", report, "--progress", "none", "--jobs", "3"]
}

fn parts_of(report: &Path) -> Vec<(String, u64, u64)> {
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["parts"].as_u64().unwrap(),
                t["rows_written"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn splits_and_copies_every_row(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let db = ScratchDb::new(dialect, test).await;
    let state = dir.path().join("state.json");
    let report = dir.path().join("report.json");
    let (s, st, rp) = (src.to_str().unwrap(), state.to_str().unwrap(), report.to_str().unwrap());
    let (code, out, err) = run(&migrate_args(s, &db.url, st, rp), None);
    assert_eq!(code, 0, "{err}\n{out}");
    let mut tables = parts_of(&report);
    tables.sort();
    // big: 4000 ids 3i - 600, minus the 1,000 between 2000 and 5000 (i = 867..=1866), plus
    // one far away; plain: 2500 minus the 357 multiples of 7.
    assert_eq!(
        tables,
        vec![("big".into(), 3, 3001), ("keyed".into(), 1, 1500), ("parent".into(), 1, 50), ("plain".into(), 3, 2143),]
    );
    verify_matches(&src, &db.url, &state, test);
    db.drop_db().await;
}

on_both_engines!(large_tables_load_in_parts_and_every_row_arrives_once, splits_and_copies_every_row);

/// A kill right after each commit in turn (the parts of a split table included), then
/// `--resume`: an exact copy every time, the split table loaded again whole when only
/// some of its parts had committed.
async fn kills_between_parts_resume(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let s = src.to_str().unwrap();
    // 4 tables, 2 of them in 3 parts: 8 commits.
    for hit in 1..=8 {
        let name = format!("{test}_{hit}");
        let db = ScratchDb::new(dialect, &name).await;
        let state = dir.path().join(format!("state{hit}.json"));
        let report = dir.path().join(format!("report{hit}.json"));
        let (st, rp) = (state.to_str().unwrap(), report.to_str().unwrap());
        let armed = if hit == 1 {
            "copy::after_commit=return".to_string()
        } else {
            format!("copy::after_commit={}*off->return", hit - 1)
        };
        let (code, out, err) = run(&migrate_args(s, &db.url, st, rp), Some(&armed));
        assert_ne!(code, 0, "commit {hit}: the fail point must stop the run: {out}");
        let mut resume = migrate_args(s, &db.url, st, rp);
        resume.push("--resume");
        let (code, out, err2) = run(&resume, None);
        assert_eq!(code, 0, "commit {hit}: resume: {err}\n{err2}\n{out}");
        verify_matches(&src, &db.url, &state, &name);
        db.drop_db().await;
    }
}

on_both_engines!(a_kill_after_any_part_commits_resumes_exactly, kills_between_parts_resume);

/// The reader passes over a table whose writer has no room for another batch (its server
/// process is slow, or here waits for a lock) and goes on feeding the other connections:
/// with `slow` locked against writes, `quick` loads and commits all the same, and once the
/// lock is gone both finish, exactly.
async fn held_up_table(dialect: Dialect, test: &str) {
    use sqlx::{Connection, Executor};
    const ROWS: u64 = 40_000;
    let db = ScratchDb::new(dialect, test).await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("two.sqlite");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(&format!(
            "CREATE TABLE slow (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
             CREATE TABLE quick (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS})
               INSERT INTO slow SELECT i, 'slow ' || i FROM s;
             INSERT INTO quick SELECT id, 'quick ' || id FROM slow;"
        ))
        .unwrap();
    // Existing mode, so that the tables exist, and are locked, before the load starts.
    let created = db
        .exec_all(&[
            "CREATE TABLE slow (id bigint PRIMARY KEY, v text NOT NULL)".into(),
            "CREATE TABLE quick (id bigint PRIMARY KEY, v text NOT NULL)".into(),
        ])
        .await;
    assert!(created.is_empty(), "{created:?}");
    // Reads go on (the catalog, the emptiness check), writes to `slow` wait.
    let mut pg_lock = None;
    let mut my_lock = None;
    if dialect == Dialect::Postgres {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        c.execute("BEGIN").await.unwrap();
        c.execute("LOCK TABLE slow IN SHARE MODE").await.unwrap();
        pg_lock = Some(c);
    } else {
        let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
        c.execute("LOCK TABLES slow READ").await.unwrap();
        my_lock = Some(c);
    }
    let state = dir.path().join("state.json");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["migrate", src.to_str().unwrap(), "--to", &db.url, "--schema", "existing"])
        .args(["--state", state.to_str().unwrap(), "--jobs", "2", "--progress", "none"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut quick = 0;
    while quick < ROWS && std::time::Instant::now() < deadline {
        quick = db.count("quick").await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let slow = db.count("slow").await;
    // Let go of the lock whatever happened, so that the run can end.
    if let Some(mut c) = pg_lock {
        c.execute("ROLLBACK").await.unwrap();
    }
    if let Some(mut c) = my_lock {
        c.execute("UNLOCK TABLES").await.unwrap();
    }
    let (code, out, err) = outcome(child.wait_with_output().unwrap());
    assert_eq!(quick, ROWS, "quick was committed while slow waited for its lock: {out}{err}");
    assert_eq!(slow, 0, "slow waited for the lock");
    assert_eq!(code, 0, "{out}{err}");
    verify_matches(&src, &db.url, &state, "after the lock was let go");
    db.drop_db().await;
}

on_both_engines!(a_table_held_up_by_the_server_does_not_hold_up_the_others, held_up_table);
