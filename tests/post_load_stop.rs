//! Create mode runs the work after the data while other tables still load: when one of
//! those statements fails (here a unique key that two values share once rounded to the
//! column's scale), the run fails whatever the load does, so the load stops at once
//! instead of at its end. The table still loading rolls back, the error is the
//! statement's, and once the data is fixed `--restart` finishes an exact copy.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use sqlx::Connection;

/// Rows in `big` on the target, as the server counts them.
async fn big_rows(db: &ScratchDb) -> u64 {
    let n: i64 = match db.dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT count(*) FROM big").fetch_one(&mut c).await.unwrap()
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT count(*) FROM big").fetch_one(&mut c).await.unwrap()
        }
    };
    u64::try_from(n).unwrap()
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

    let (code, _, err) = migrate(&src, &db, &state, &["--jobs", "2"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("small_code_key") || err.contains("code"), "the failed statement is the error: {err}");
    assert!(!err.contains("stopped while reading"), "the statement's error, not the stop's: {err}");
    let recorded: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(recorded["tables"]["small"]["status"], "done", "{recorded}");
    assert_ne!(recorded["tables"]["big"]["status"], "done", "big stopped before its end: {recorded}");
    assert_eq!(big_rows(&db).await, 0, "big rolled back");

    // The data fixed in the source, the run started over finishes an exact copy.
    rusqlite::Connection::open(&src).unwrap().execute("UPDATE small SET code = 2 WHERE id = 2", []).unwrap();
    let (code, out, err) = migrate(&src, &db, &state, &["--jobs", "2", "--restart"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(big_rows(&db).await, BIG_ROWS);
    let (code, out, err) = verify(&src, &db, &state, &["--level", "checksum"]);
    assert_eq!(code, 0, "{out}{err}");
    db.drop_db().await;
}

on_both_engines!(a_failed_statement_stops_the_load, a_failed_statement_stops_the_load);
