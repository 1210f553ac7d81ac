//! Create mode runs the work after the data while other tables still load: when one of
//! those statements fails (here a unique key that two values share once rounded to the
//! column's scale, which lint finds, but reject mode goes ahead), the run fails whatever
//! the load does, so the load stops at once
//! instead of at its end. The table still loading rolls back, the error is the
//! statement's, and once the data is fixed `--restart` finishes an exact copy.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;

/// `cutover migrate` with `big` loaded whole (`CUTOVER_SPLIT_ROWS=0`): split over every
/// connection, as create mode does on a machine of 4 cores or more, its parts would take
/// both connections first and `small` would load, and fail, only once they were done.
fn migrate_whole(src: &Path, db: &ScratchDb, state: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["migrate", src.to_str().unwrap(), "--to", &db.url, "--state", state.to_str().unwrap()];
    args.extend_from_slice(&["--progress", "none"]);
    args.extend_from_slice(extra);
    run_cutover_env(&args, &[("CUTOVER_SPLIT_ROWS", "0")])
}

/// Rows of `big`: enough that reading them takes far longer than loading `small` and
/// failing its unique key.
const BIG_ROWS: u64 = 600_000;

/// `small`: two codes that differ in SQLite (1.001, 1.002) and are both 1.00 in the
/// target's NUMERIC(10,2), under a UNIQUE key; `big`: many rows.
fn source(dir: &Path) -> PathBuf {
    let path = dir.join("stop.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(&format!(
        "CREATE TABLE small (id INTEGER PRIMARY KEY, code NUMERIC(10,2) UNIQUE);
         INSERT INTO small VALUES (1, 1.001), (2, 1.002);
         CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {BIG_ROWS})
           INSERT INTO big SELECT i, 'row ' || i FROM s;"
    ))
    .unwrap();
    path
}

async fn a_failed_statement_stops_the_load(dialect: Dialect, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let db = ScratchDb::new(dialect, name).await;
    let state = dir.path().join("state.json");

    // Lint sees the collision and refuses a strict run before anything is written;
    // reject mode goes ahead, and the target refuses the key after the data.
    let rejects = dir.path().join("rejects.jsonl");
    let reject_args = ["--jobs", "2", "--on-error", "reject", "--reject-file", rejects.to_str().unwrap()];
    let (code, _, err) = migrate(&src, &db, &state, &["--jobs", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("small.code") && err.contains("nothing was written"), "{err}");
    let (code, _, err) = migrate_whole(&src, &db, &state, &reject_args);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("small_code_key"), "the failed statement is the error: {err}");
    // The server's own detail names the value that two rows share (PostgreSQL's DETAIL,
    // MariaDB's "Duplicate entry").
    assert!(err.contains("1.00"), "the error names the duplicated value: {err}");
    assert!(!err.contains("stopped while reading"), "the statement's error, not the stop's: {err}");
    let recorded: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(recorded["tables"]["small"]["status"], "done", "{recorded}");
    assert_ne!(recorded["tables"]["big"]["status"], "done", "big stopped before its end: {recorded}");
    assert_eq!(db.count("big").await, 0, "big rolled back");

    // The data fixed in the source, the run started over finishes an exact copy.
    rusqlite::Connection::open(&src).unwrap().execute("UPDATE small SET code = 2 WHERE id = 2", []).unwrap();
    let (code, out, err) = migrate(&src, &db, &state, &[&reject_args[..], &["--restart"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(db.count("big").await, BIG_ROWS);
    let (code, out, err) = verify(&src, &db, &state, &["--level", "checksum"]);
    assert_eq!(code, 0, "{out}{err}");
    db.drop_db().await;
}

on_both_engines!(a_failed_statement_stops_the_load, a_failed_statement_stops_the_load);

/// Lint (and so a strict migrate) sees keys that are distinct in SQLite but equal once
/// the values are converted: a decimal rounded to its scale, a timestamp written two
/// ways, a boolean as `1` and `'true'`; keys that stay apart are not reported.
#[test]
fn lint_finds_keys_equal_once_converted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.sqlite");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE price (id INTEGER PRIMARY KEY, amount NUMERIC(10,2) UNIQUE);
             INSERT INTO price VALUES (1, 1.001), (2, 1.002), (3, 1.5), (4, 1.504), (5, 2.25);
             CREATE TABLE visit (id INTEGER PRIMARY KEY, at DATETIME UNIQUE);
             INSERT INTO visit VALUES (1, '2024-05-01 10:00:00'), (2, '2024-05-01T10:00:00'), (3, '2024-05-01 10:00:01');
             CREATE TABLE flag (id INTEGER PRIMARY KEY, code TEXT, on_off BOOLEAN, UNIQUE (code, on_off));
             INSERT INTO flag VALUES (1, 'a', 1), (2, 'a', 'true'), (3, 'b', 0), (4, 'b', 1);
             CREATE TABLE apart (id INTEGER PRIMARY KEY, amount NUMERIC(10,4) UNIQUE);
             INSERT INTO apart VALUES (1, 1.001), (2, 1.002);",
        )
        .unwrap();
    for dialect in ["postgres", "mariadb"] {
        let (code, out, err) = run_cutover(&["lint", path.to_str().unwrap(), "--dialect", dialect, "--json"]);
        assert_eq!(code, 1, "{out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut found: Vec<(String, u64, Vec<String>)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "unique_collision")
            .map(|f| {
                let keys = f["samples"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap().to_string());
                (f["table"].as_str().unwrap().to_string(), f["count"].as_u64().unwrap(), keys.collect())
            })
            .collect();
        found.sort();
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            found,
            vec![
                ("flag".to_string(), 2, keys(&["id=1", "id=2"])),
                ("price".to_string(), 4, keys(&["id=1", "id=2", "id=3", "id=4"])),
                ("visit".to_string(), 2, keys(&["id=1", "id=2"])),
            ],
            "{dialect}"
        );
    }
}
