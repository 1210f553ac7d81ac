//! Reject mode accounts for foreign-key orphans (issue 17, item 5): a child row whose
//! parent is missing in the source, or whose parent row was itself rejected (a value that
//! does not convert, or an orphan in turn), goes to the reject file with the foreign key
//! named, instead of failing when the key is added after the data; the report counts
//! them, and verify expects them absent. On PostgreSQL, MariaDB and the SQLite target.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;

/// Planted: user 2 points to client 7 (no such client), user 3 to client 3 (whose date
/// does not convert, so it is rejected), session 1 to user 3 (rejected as an orphan in
/// turn), employee 2 to boss 99 (missing) and employee 3 to employee 2 (self-reference).
fn source(dir: &Path) -> PathBuf {
    let path = dir.join("orphans.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, since DATE);
         CREATE TABLE users (id INTEGER PRIMARY KEY, client_id INTEGER REFERENCES clients (id), name TEXT);
         CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), token TEXT);
         CREATE TABLE employees (id INTEGER PRIMARY KEY, boss_id INTEGER REFERENCES employees (id), name TEXT);
         INSERT INTO clients VALUES (1, 'ACME', '2024-01-02'), (2, 'Globex', NULL), (3, 'Initech', 'not a date');
         INSERT INTO users VALUES (1, 1, 'ana'), (2, 7, 'bruno'), (3, 3, 'carla'), (4, NULL, 'dino'), (5, 2, 'eve');
         INSERT INTO sessions VALUES (1, 3, 't1'), (2, 1, 't2'), (3, 5, 't3');
         INSERT INTO employees VALUES (1, NULL, 'boss'), (2, 99, 'lost'), (3, 2, 'below lost'), (4, 1, 'fine');",
    )
    .unwrap();
    path
}

fn check_run(src: &Path, url: &str, dir: &Path) {
    let state = dir.join("state.json");
    let rejects = dir.join("rejects.jsonl");
    let report = dir.join("report.json");
    // A strict run refuses the source before writing anything.
    let (code, _, err) = migrate_to(src, url, &state, &[]);
    assert!(code == 2 || url.starts_with("sqlite") || code == 3, "{err}");
    let _ = std::fs::remove_file(&state);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
    let (code, out, err) = migrate_to(
        src,
        url,
        &state,
        &["--on-error", "reject", "--reject-file", rejects.to_str().unwrap(), "--report", report.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("5 of the rejected rows point to a parent row"), "{out}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["rejects_total"], 6, "{r}");
    assert_eq!(r["rejects_fk_orphans"], 5, "{r}");
    let rejected =
        |t: &str| r["tables"].as_array().unwrap().iter().find(|x| x["table"] == t).unwrap()["rows_rejected"].clone();
    assert_eq!(rejected("clients"), 1);
    assert_eq!(rejected("users"), 2);
    assert_eq!(rejected("sessions"), 1);
    assert_eq!(rejected("employees"), 2);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&rejects).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    let find = |table: &str, key: &str| {
        lines
            .iter()
            .find(|l| l["table"] == table && l["key"] == key)
            .unwrap_or_else(|| panic!("{table} {key}: {lines:?}"))
    };
    let bruno = find("users", "id=2");
    assert_eq!(bruno["kind"], "fk_orphan");
    assert_eq!(bruno["column"], "client_id");
    assert_eq!(bruno["value"], "7");
    assert!(bruno["foreign_key"].as_str().is_some_and(|n| !n.is_empty()), "{bruno}");
    let reason = bruno["reason"].as_str().unwrap();
    assert!(
        reason.contains("users (client_id) -> clients (id)") && reason.contains("no clients row has id = 7"),
        "{reason}"
    );
    let carla = find("users", "id=3");
    assert!(carla["reason"].as_str().unwrap().contains("its clients row is set aside too"), "{carla}");
    let session = find("sessions", "id=1");
    assert!(session["reason"].as_str().unwrap().contains("sessions (user_id) -> users (id)"), "{session}");
    assert!(find("employees", "id=2")["reason"].as_str().unwrap().contains("no employees row has id = 99"));
    assert!(find("employees", "id=3")["reason"].as_str().unwrap().contains("its employees row is set aside too"));
    assert_eq!(find("clients", "id=3")["kind"], "bad_datetime");
    // verify expects exactly those rows absent: every table matches at checksum level.
    let v = verify_matches(src, url, &state, "after a reject-mode migration with orphans");
    let counted: u64 = v["tables"].as_array().unwrap().iter().map(|t| t["rows_rejected"].as_u64().unwrap()).sum();
    assert_eq!(counted, 6, "{v}");
}

on_both_engines!(reject_mode_sets_orphans_aside_with_the_key_named, orphans_on_a_server);
async fn orphans_on_a_server(dialect: Dialect, test: &str) {
    let db = ScratchDb::new(dialect, test).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    check_run(&src, &db.url, dir.path());
    db.drop_db().await;
}

#[test]
fn reject_mode_sets_orphans_aside_in_the_sqlite_target() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    check_run(&src, &url, dir.path());
}

/// A reject-mode run killed after some tables committed (before the copy's end) keeps
/// each committed table's rejected count in the state file: `--resume` skips those
/// tables, and verify at level count (which reads the counts there) still matches.
#[cfg(feature = "failpoints")]
#[test]
fn a_kill_after_commits_keeps_the_rejected_counts() {
    // The state file is saved once per table before it is created, once after the
    // tables, then once per commit (4 tables): hits 6 to 9 stop after 1 to 4 commits.
    for hit in 6..=9 {
        let dir = tempfile::tempdir().unwrap();
        let src = source(dir.path());
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let state = dir.path().join("state.json");
        let rejects = dir.path().join("rejects.jsonl");
        let mut args = vec!["migrate", src.to_str().unwrap(), "--to", &url, "--state", state.to_str().unwrap()];
        args.extend(["--progress", "none", "--on-error", "reject", "--reject-file", rejects.to_str().unwrap()]);
        let failpoints = format!("state::after_rename={}*off->return", hit - 1);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(&args)
            .env("FAILPOINTS", &failpoints)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "hit {hit}: the fail point did not fire");
        let st: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let expected = [("clients", 1), ("users", 2), ("sessions", 1), ("employees", 2)];
        let done: Vec<&str> =
            expected.iter().filter(|(t, _)| st["tables"][t]["status"] == "done").map(|(t, _)| *t).collect();
        assert_eq!(done.len(), hit - 5, "hit {hit}: {st}");
        for (t, n) in expected.iter().filter(|(t, _)| done.contains(t)) {
            assert_eq!(st["tables"][t]["rows_rejected"], *n, "hit {hit}: {t} in {st}");
        }
        let (code, out, err) = migrate_to(
            &src,
            &url,
            &state,
            &["--resume", "--on-error", "reject", "--reject-file", rejects.to_str().unwrap()],
        );
        assert_eq!(code, 0, "hit {hit}: {err}\n{out}");
        let (code, out, err) = run_cutover(&[
            "verify",
            src.to_str().unwrap(),
            "--to",
            &url,
            "--state",
            state.to_str().unwrap(),
            "--level",
            "count",
            "--report",
            dir.path().join("v.json").to_str().unwrap(),
            "--progress",
            "none",
        ]);
        assert_eq!(code, 0, "hit {hit}: verify --level count: {err}\n{out}");
        verify_matches(&src, &url, &state, &format!("hit {hit}, resumed"));
    }
}
