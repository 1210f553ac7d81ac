//! The state file knows its target (issue 17, item 4): one target however its URL is
//! written, a finished migration whose target was dropped and created again is detected
//! at start, and `--restart` starts over (create mode: drops exactly the tables cutover
//! created, refusing when another table references them; existing mode: empties the
//! selected tables again). Every case ends with the target compared to the source.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;

/// A small source with a parent, a child and a grandchild.
fn source(dir: &Path) -> PathBuf {
    let path = dir.join("shop.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE client (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES client (id), total NUMERIC(10,2));
         CREATE TABLE line (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders (id), sku VARCHAR(20));
         CREATE INDEX line_sku ON line (sku);",
    )
    .unwrap();
    for i in 1..=5 {
        c.execute("INSERT INTO client VALUES (?1, ?2)", rusqlite::params![i, format!("client {i}")]).unwrap();
    }
    for i in 1..=12 {
        c.execute("INSERT INTO orders VALUES (?1, ?2, '9.50')", [i, 1 + i % 5]).unwrap();
        c.execute("INSERT INTO line VALUES (?1, ?2, ?3)", rusqlite::params![i, i, format!("S{i}")]).unwrap();
    }
    path
}

/// The scratch database's URL written another way that names the same target: mysql://
/// for mariadb:// (and back), localhost for 127.0.0.1, the default port left out.
fn respelled(url: &str) -> String {
    let url = url.replace("127.0.0.1", "localhost");
    let url = url.replace(":5432/", "/").replace(":3306/", "/");
    if let Some(rest) = url.strip_prefix("mysql://") {
        format!("mariadb://{rest}")
    } else if let Some(rest) = url.strip_prefix("mariadb://") {
        format!("mysql://{rest}")
    } else if let Some(rest) = url.strip_prefix("postgres://") {
        format!("postgresql://{rest}")
    } else {
        url
    }
}

on_both_engines!(one_target_however_the_url_is_written, one_target);
async fn one_target(dialect: Dialect, test: &str) {
    let db = ScratchDb::new(dialect, test).await;
    let other = ScratchDb::new(dialect, &format!("{test}_other")).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let state = dir.path().join("state.json");
    let (code, _, err) = migrate(&src, &db, &state, &[]);
    assert_eq!(code, 0, "{err}");
    let same = respelled(&db.url);
    assert_ne!(same, db.url);
    // --resume with the other spelling continues the same run (everything done: skipped).
    let (code, out, err) = migrate_to(&src, &same, &state, &["--resume"]);
    assert_eq!(code, 0, "resume as {same}: {err}\n{out}");
    assert!(out.contains("skipped (done earlier)"), "{out}");
    // A new run with the other spelling is a run into the same target: the tables are cutover's.
    let (code, _, err) = migrate_to(&src, &same, &state, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("that finished at") && err.contains("--restart"), "{err}");
    assert!(err.contains("client, line, orders"), "{err}");
    assert!(!err.contains("never drops or fills tables it did not create"), "{err}");
    // Another database is another target.
    let (code, _, err) = migrate(&src, &other, &state, &["--resume"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("records a run into") && err.contains(&other.name), "{err}");
    verify_matches(&src, &same, &state, "after the runs under other spellings");
    db.drop_db().await;
    other.drop_db().await;
}

on_both_engines!(a_dropped_and_recreated_target_is_detected, dropped_target);
async fn dropped_target(dialect: Dialect, test: &str) {
    let db = ScratchDb::new(dialect, test).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let state = dir.path().join("state.json");
    let (code, _, err) = migrate(&src, &db, &state, &[]);
    assert_eq!(code, 0, "{err}");
    // The database is dropped and created again, empty.
    let db = ScratchDb::new(dialect, test).await;
    // verify says why every table differs, once, with the fix.
    let (code, out, _) = verify(&src, &db, &state, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("all 3 table(s) it loaded are missing or empty now: the database was dropped and created again"),
        "{out}"
    );
    let (code, out, err) = migrate(&src, &db, &state, &["--resume"]);
    assert_eq!(code, 2, "{err}\n{out}");
    assert!(err.contains("has lost its data since: missing: client, line, orders"), "{err}");
    assert!(err.contains("dropped and created again"), "{err}");
    assert!(err.contains("--restart instead of --resume"), "{err}");
    // golive does not skip the recorded migration as done: it stops at the migrate stage.
    let config = dir.path().join("cutover.toml");
    let profile = repo().join("fixtures/demo/harden.toml");
    std::fs::write(&config, format!("source = {:?}\nprofile = {:?}\n", src, profile)).unwrap();
    let (code, out, _) = run_cutover(&[
        "golive",
        "--config",
        config.to_str().unwrap(),
        "--to",
        &db.url,
        "--state",
        state.to_str().unwrap(),
        "--verify-report",
        dir.path().join("v.json").to_str().unwrap(),
        "--journal",
        dir.path().join("j.json").to_str().unwrap(),
        "--report-md",
        dir.path().join("golive.md").to_str().unwrap(),
        "--progress",
        "none",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("has lost its data since"), "{out}");
    // --restart starts over (nothing left to drop) and loads everything again.
    let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
    assert_eq!(code, 0, "{err}\n{out}");
    verify_matches(&src, &db.url, &state, "after --restart into the recreated database");
    db.drop_db().await;
}

on_both_engines!(restart_in_create_mode_drops_only_what_cutover_created, restart_create);
async fn restart_create(dialect: Dialect, test: &str) {
    let db = ScratchDb::new(dialect, test).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let state = dir.path().join("state.json");
    let (code, _, err) = migrate(&src, &db, &state, &[]);
    assert_eq!(code, 0, "{err}");
    // A table of the application's own that references one of cutover's.
    let bigint = if dialect == Dialect::Postgres { "bigint" } else { "BIGINT" };
    let statements = [
        format!("CREATE TABLE keepme (id INTEGER PRIMARY KEY, client_id {bigint} REFERENCES client (id))"),
        "INSERT INTO keepme VALUES (1, 2)".into(),
        "UPDATE orders SET total = 1 WHERE id = 3".into(),
    ];
    let errors = db.exec_all(&statements).await;
    assert!(errors.is_empty(), "{errors:?}");
    let (code, _, err) = migrate(&src, &db, &state, &["--restart"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("keepme references client") && err.contains("nothing was dropped"), "{err}");
    // Nothing dropped: the changed row is still there, so verify sees it.
    let (code, out, _) = verify(&src, &db, &state, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("orders: content mismatch"), "{out}");
    assert!(db.exec_all(&["DROP TABLE keepme".into()]).await.is_empty());
    // An unfinished run's refusal names the tables to drop.
    let mut st: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    st["finished"] = false.into();
    std::fs::write(&state, serde_json::to_string(&st).unwrap()).unwrap();
    let (code, _, err) = migrate(&src, &db, &state, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("start over with --restart (it drops the tables that run created: client, line, orders); or drop those tables yourself and delete"), "{err}");
    let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("dropped the 3 table(s)"), "{out}");
    verify_matches(&src, &db.url, &state, "after --restart");
    db.drop_db().await;
}

on_both_engines!(restart_in_existing_mode_empties_the_tables_again, restart_existing);
async fn restart_existing(dialect: Dialect, test: &str) {
    let db = ScratchDb::new(dialect, test).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    // The application's schema: built here by a create-mode run, then owned by the app.
    let built = dir.path().join("built.json");
    let (code, _, err) = migrate(&src, &db, &built, &[]);
    assert_eq!(code, 0, "{err}");
    let state = dir.path().join("state.json");
    let (code, _, err) = migrate(&src, &db, &state, &["--schema", "existing", "--truncate"]);
    assert_eq!(code, 0, "{err}");
    assert!(db.exec_all(&["UPDATE orders SET total = 1 WHERE id = 3".into()]).await.is_empty());
    // Without --truncate or --restart, a finished existing-mode run's tables hold rows: refused.
    let (code, _, err) = migrate(&src, &db, &state, &["--schema", "existing"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = migrate(&src, &db, &state, &["--schema", "existing", "--restart"]);
    assert_eq!(code, 0, "{err}\n{out}");
    // Not a table was dropped: the application's tables were emptied and loaded again.
    let (code, out, err) = verify(&src, &db, &state, &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("VERIFIED"), "{out}");
    db.drop_db().await;
}

/// The embedded SQLite target: a second run into the finished file says it is cutover's
/// (the file written relative or absolute is one target), and --restart starts over.
#[test]
fn sqlite_rerun_into_a_finished_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let target = dir.path().join("t.sqlite");
    let state = dir.path().join("state.json");
    let absolute = format!("sqlite://{}", target.display());
    let (code, _, err) = migrate_to(&src, &absolute, &state, &[]);
    assert_eq!(code, 0, "{err}");
    // The same file by a relative path, from its folder.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(dir.path())
        .args(["migrate", "shop.sqlite", "--to", "sqlite://t.sqlite", "--state", "state.json", "--progress", "none"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("that finished at") && err.contains("--restart"), "{err}");
    assert!(!err.contains("never drops or fills tables it did not create"), "{err}");
    let (code, _, err) = migrate_to(&src, &absolute, &state, &["--restart"]);
    assert_eq!(code, 0, "{err}");
    verify_matches(&src, &absolute, &state, "after --restart into the SQLite file");
}

/// A kill between writing the state file's temporary file and renaming it leaves the
/// temporary file behind; the next run removes it (and the journal's, at the next harden).
#[test]
fn stale_temporary_files_are_removed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let state = dir.path().join("state.json");
    let stale = dir.path().join(".cutover-stateAbC123");
    let fresh = dir.path().join(".cutover-stateXyZ789");
    let journal_tmp = dir.path().join(".cutover-journalQq1234");
    for f in [&stale, &fresh, &journal_tmp] {
        std::fs::write(f, "{").unwrap();
    }
    for f in [&stale, &journal_tmp] {
        let ok = std::process::Command::new("touch").args(["-d", "2 hours ago"]).arg(f).status().unwrap();
        assert!(ok.success());
    }
    let (code, _, err) = migrate_to(&src, &url, &state, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!stale.exists(), "the stale temporary state file is left");
    // One written a moment ago may be another run's, about to be renamed: kept.
    assert!(fresh.exists());
    let (code, _, err) = run_cutover(&[
        "harden",
        "--to",
        &url,
        "--profile",
        repo().join("fixtures/demo/harden.toml").to_str().unwrap(),
        "--journal",
        dir.path().join("journal.json").to_str().unwrap(),
        "--check",
    ]);
    assert!(code == 0 || code == 1 || code == 2, "{err}");
    assert!(!journal_tmp.exists(), "the stale temporary journal is left");
    verify_matches(&src, &url, &state, "after the run that removed the stale files");
}

/// The small source with two views: one of the clients, one of the larger orders.
fn source_with_views(dir: &Path) -> PathBuf {
    let src = source(dir);
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE VIEW v_clients AS SELECT id, name FROM client;
             CREATE VIEW v_big AS SELECT id, total FROM orders WHERE id > 10;",
        )
        .unwrap();
    src
}

/// The views the state file lists as cutover's, sorted.
fn created_views(state: &Path) -> Vec<String> {
    let st: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    let mut views: Vec<String> =
        st["created_views"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    views.sort();
    views
}

on_both_engines!(restart_drops_only_the_views_cutover_created, restart_views);
async fn restart_views(dialect: Dialect, test: &str) {
    let db = ScratchDb::new(dialect, test).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source_with_views(dir.path());
    let state = dir.path().join("state.json");
    // The application's own view, named as one of the source's: cutover's CREATE VIEW
    // fails (a warning), and the run records only the view it did create.
    assert!(db.exec_all(&["CREATE VIEW v_clients AS SELECT 7 AS mine".into()]).await.is_empty());
    let (code, out, err) = migrate(&src, &db, &state, &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let said = format!("{out}{err}");
    assert!(said.contains("view v_clients was not created"), "{said}");
    assert_eq!(created_views(&state), ["v_big"]);
    // --restart drops cutover's view and its tables, and keeps the application's view.
    let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let said = format!("{out}{err}");
    assert!(
        said.contains("dropped the 3 table(s)") && said.contains("and the view(s) it had created (v_big)"),
        "{said}"
    );
    assert_eq!(mine(&db).await, 7, "the application's view is still there");
    assert!(said.contains("view v_clients was not created"), "{said}");
    // verify sees that v_clients is not the source's view.
    let (code, out, _) = verify(&src, &db, &state, &["--json"]);
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let view = report["views"].as_array().unwrap().iter().find(|v| v["view"] == "v_clients").cloned();
    assert_eq!(view.as_ref().map(|v| v["status"].clone()), Some("rows differ".into()), "{out}");
    // The application's view dropped, a last --restart creates both, and records both.
    assert!(db.exec_all(&["DROP VIEW v_clients".into()]).await.is_empty());
    let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(created_views(&state), ["v_big", "v_clients"]);
    verify_matches(&src, &db.url, &state, "after the last --restart");
    if dialect == Dialect::Postgres {
        // A view of the application's that selects from one of cutover's tables: the
        // server refuses to drop the table, and --restart says whose view is in the way.
        assert!(db.exec_all(&["CREATE VIEW app_orders AS SELECT id FROM orders".into()]).await.is_empty());
        let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
        assert_eq!(code, 2, "{err}\n{out}");
        assert!(err.contains("app_orders") && err.contains("is not cutover's"), "{err}");
        assert!(err.contains("The view(s) that run had created were dropped first"), "{err}");
        assert!(db.exec_all(&["DROP VIEW app_orders".into()]).await.is_empty());
        let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
        assert_eq!(code, 0, "{err}\n{out}");
        verify_matches(&src, &db.url, &state, "after --restart without the application's view");
    }
    db.drop_db().await;
}

/// A run killed right after creating a view (before the state file recorded the
/// statement) still lists the view as cutover's: `--resume` finishes, and `--restart`
/// drops it (on PostgreSQL a view left behind would keep its table from being dropped).
#[cfg(feature = "failpoints")]
mod killed_after_a_view {
    use super::*;

    fn dialect_name(dialect: Dialect) -> &'static str {
        if dialect == Dialect::Postgres {
            "postgres"
        } else {
            "mariadb"
        }
    }

    on_both_engines!(a_view_created_just_before_a_kill_is_still_cutovers, killed_after_view);
    async fn killed_after_view(dialect: Dialect, test: &str) {
        let db = ScratchDb::new(dialect, test).await;
        let dir = tempfile::tempdir().unwrap();
        let src = source_with_views(dir.path());
        let state = dir.path().join("state.json");
        // The views run last: stop right after the first of them.
        let (code, out, _) =
            run_cutover(&["plan", src.to_str().unwrap(), "--dialect", dialect_name(dialect), "--json"]);
        assert_eq!(code, 0, "{out}");
        let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
        let after_data = plan["statements"].as_array().unwrap().iter().filter(|s| s["phase"] != "tables").count();
        let failpoint = format!("post_load::after_statement={}*off->return", after_data - 2);
        let args = ["migrate", src.to_str().unwrap(), "--to", &db.url, "--state", state.to_str().unwrap()];
        let (code, out, err) =
            run_cutover_env(&[&args[..], &["--progress", "none"]].concat(), &[("FAILPOINTS", failpoint.as_str())]);
        assert_ne!(code, 0, "the fail point stopped the run: {out}{err}");
        assert_eq!(created_views(&state).len(), 1, "the view created before the kill is listed");
        let (code, out, err) = migrate(&src, &db, &state, &["--resume"]);
        assert_eq!(code, 0, "{err}\n{out}");
        assert_eq!(created_views(&state), ["v_big", "v_clients"]);
        let (code, out, err) = migrate(&src, &db, &state, &["--restart"]);
        assert_eq!(code, 0, "{err}\n{out}");
        assert!(format!("{out}{err}").contains("and the view(s) it had created (v_"), "{out}{err}");
        verify_matches(&src, &db.url, &state, "after --restart");
        db.drop_db().await;
    }
}

/// `SELECT mine FROM v_clients` on the target: the application's own view.
async fn mine(db: &ScratchDb) -> i64 {
    use sqlx::Connection;
    match db.dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, i32>("SELECT mine FROM v_clients").fetch_one(&mut c).await.map(i64::from).unwrap()
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT mine FROM v_clients").fetch_one(&mut c).await.unwrap()
        }
    }
}
