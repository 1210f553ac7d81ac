//! `cutover golive` end to end: the README's quick start (the demo into the embedded
//! SQLite target) says GO, writes the Markdown report and 0600 secret files, leaks no
//! secret, and a second run changes nothing; on PostgreSQL it stops at the gate when the
//! server's own settings fail and goes on with those checks lowered; it stops at verify,
//! hardening nothing, when the target differs from the source.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use serde_json::Value as Json;
use sqlx::{Connection, Executor};

/// A working directory with the demo's go-live files where the demo profile expects them.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("fixtures/demo");
    std::fs::create_dir_all(&demo).unwrap();
    for f in ["demo.sql", "cutover.toml", "harden.toml", "production.env", "app.env.example"] {
        std::fs::copy(repo().join("fixtures/demo").join(f), demo.join(f)).unwrap();
    }
    dir
}

fn golive(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(dir)
        .args(["golive", "--config", "fixtures/demo/cutover.toml", "--progress", "none"])
        .args(extra)
        .output()
        .expect("run cutover");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn stage<'a>(report: &'a Json, name: &str) -> &'a Json {
    report["stages"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no stage {name}"))
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// Every value of the env file's secret keys, and the admin password.
fn secrets(dir: &Path) -> Vec<String> {
    let mut out = vec![std::fs::read_to_string(dir.join("demo-admin-password.txt")).unwrap().trim().to_string()];
    for line in std::fs::read_to_string(dir.join("demo.env")).unwrap().lines() {
        if let Some(v) = line.strip_prefix("SECRET_KEY=").or_else(|| line.strip_prefix("JWT_SECRET=")) {
            out.push(v.to_string());
        }
    }
    assert_eq!(out.len(), 3, "password, SECRET_KEY and JWT_SECRET");
    assert!(out.iter().all(|s| s.len() >= 24), "generated values are long");
    out
}

#[test]
fn the_quick_start_says_go_and_a_second_run_changes_nothing() {
    let dir = workdir();
    let (code, out, err) = golive(dir.path(), &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("GO: migrated, verified, hardened"), "{out}");
    let files = target_folder(dir.path(), "sqlite://demo.sqlite");
    let report_md = std::fs::read_to_string(files.join("golive-latest.md")).unwrap();
    assert!(report_md.contains("- Result: **GO**"), "{report_md}");
    for t in ["production\\_entries", "rework\\_signoffs", "alembic\\_version"] {
        assert!(report_md.contains(t), "the report lists table {t}");
    }
    assert_eq!(report_md.matches("| match |").count(), 45, "every table verified in the report");
    for id in ["migration\\_verified", "deactivated\\_users", "admin\\_present", "secrets\\_strong", "fk\\_indexes"] {
        assert!(report_md.contains(&format!("| {id} | error | PASS |")), "gate check {id} in the report");
    }
    // Secret files are the owner's only; the password file holds the password alone.
    for f in ["demo.env", "demo-admin-password.txt", ".cutover"] {
        assert_eq!(mode(&dir.path().join(f)) & 0o077, 0, "{f}");
    }
    for f in ["journal.json", "state.json", "verify.json"] {
        assert_eq!(mode(&files.join(f)), 0o600, "{f}");
    }
    let secrets = secrets(dir.path());
    let verify = std::fs::read_to_string(files.join("verify.json")).unwrap();
    let journal = std::fs::read_to_string(files.join("journal.json")).unwrap();
    // The second run: the migration is skipped, nothing is left to harden, GO.
    let (code2, out2, err2) = golive(dir.path(), &["--json"]);
    assert_eq!(code2, 0, "{err2}\n{out2}");
    let second: Json = serde_json::from_str(&out2).unwrap();
    assert_eq!(stage(&second, "migrate")["status"], "skipped");
    assert_eq!(second["hardening"]["run_id"], Json::Null, "no new hardening run");
    assert_eq!(second["hardening"]["changed"], false);
    assert_eq!(second["ending"], "go");
    for (what, text) in [
        ("stdout", &out),
        ("stderr", &err),
        ("second stdout", &out2),
        ("second stderr", &err2),
        ("golive-report.md", &report_md),
        ("cutover-verify.json", &verify),
        ("cutover-journal.json", &journal),
    ] {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a secret appears in {what}");
        }
    }
    // The application's admin can log in with the password from the file.
    let db = rusqlite::Connection::open(dir.path().join("demo.sqlite")).unwrap();
    let hash: String =
        db.query_row("SELECT password_hash FROM users WHERE username = 'floor.admin'", [], |r| r.get(0)).unwrap();
    assert!(cutover::harden::password::verify(&secrets[0], &hash), "the admin's hash verifies");
}

/// The gate's blocking check ids of a golive --json report.
fn blocking(report: &Json) -> Vec<String> {
    report["gate"]["checks"]
        .as_array()
        .map(|c| c.iter().filter(|c| c["blocking"] == true).map(|c| c["id"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_it_stops_at_the_gate_on_server_settings_then_goes_with_them_lowered() {
    stops_at_the_gate_then_goes(Dialect::Postgres, "golive_pg").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_mariadb_it_stops_at_the_gate_on_server_settings_then_goes_with_them_lowered() {
    stops_at_the_gate_then_goes(Dialect::MariaDb, "golive_mariadb").await;
}

/// The demo on a real server: migrated, verified and hardened; the gate may stop it only
/// on the server's own settings (the loopback test servers trust 127.0.0.1, have a `test`
/// database, ...); with exactly those lowered to warning, the same command says GO.
async fn stops_at_the_gate_then_goes(dialect: Dialect, name: &str) {
    let dir = workdir();
    let db = ScratchDb::new(dialect, name).await;
    // The production env of this target: its DATABASE_URL names the PostgreSQL database.
    let env = std::fs::read_to_string(dir.path().join("fixtures/demo/production.env")).unwrap();
    let env = env.replace("DATABASE_URL=sqlite://demo.sqlite", &format!("DATABASE_URL={}", db.url));
    std::fs::write(dir.path().join("demo.env"), env).unwrap();
    let (code, out, err) = golive(dir.path(), &["--to", &db.url, "--json"]);
    let first: Json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}\n{out}"));
    for s in ["migrate", "verify", "harden"] {
        assert_eq!(stage(&first, s)["status"], "done", "{s}: {out}");
    }
    let ids = blocking(&first);
    let server = if dialect == Dialect::Postgres { "pg_" } else { "mariadb_" };
    assert!(ids.iter().all(|id| id.starts_with(server)), "only server checks block: {ids:?}");
    if ids.is_empty() {
        assert_eq!(code, 0, "GO on a server without such settings: {out}");
    } else {
        assert_eq!(code, 1, "NO-GO: {err}");
        assert_eq!(first["ending"], "checks_failed");
        let md = std::fs::read_to_string(target_folder(dir.path(), &db.url).join("golive-latest.md")).unwrap();
        assert!(md.contains("**NO-GO**"), "{md}");
        for id in &ids {
            assert!(md.contains(&id.replace('_', "\\_")), "the report names {id}");
        }
    }
    // Lower exactly those checks for this test server; the same command goes on to GO.
    let profile = dir.path().join("fixtures/demo/harden.toml");
    let mut text = std::fs::read_to_string(&profile).unwrap();
    text.push_str("\n[gate.levels]\n");
    for id in &ids {
        text.push_str(&format!("{id} = \"warning\"\n"));
    }
    std::fs::write(&profile, text).unwrap();
    let (code2, out2, err2) = golive(dir.path(), &["--to", &db.url, "--json"]);
    assert_eq!(code2, 0, "{err2}\n{out2}");
    let second: Json = serde_json::from_str(&out2).unwrap();
    assert_eq!(stage(&second, "migrate")["status"], "skipped");
    assert_eq!(second["ending"], "go");
    assert!(blocking(&second).is_empty());
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn it_stops_at_verify_and_hardens_nothing_when_the_target_differs() {
    let dir = workdir();
    let db = ScratchDb::new(Dialect::MariaDb, "golive_verify_stop").await;
    let files = target_folder(dir.path(), &db.url);
    let state: PathBuf = files.join("state.json");
    let (code, out, err) = migrate(&dir.path().join("fixtures/demo/demo.sql"), &db, &state, &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
    c.execute("UPDATE production_entries SET pieces = pieces + 1 WHERE id = 5").await.unwrap();
    let (code, out, err) = golive(dir.path(), &["--to", &db.url, "--json"]);
    assert_eq!(code, 1, "{err}\n{out}");
    let report: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(stage(&report, "migrate")["status"], "skipped");
    assert_eq!(stage(&report, "verify")["status"], "failed");
    assert_eq!(stage(&report, "harden")["status"], "not run");
    assert_eq!(stage(&report, "gate")["status"], "not run");
    let diffs = &report["verification"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "production_entries")
        .unwrap()["diffs"];
    assert_eq!(diffs[0]["key"], "id=5", "{diffs}");
    assert!(!files.join("journal.json").exists(), "nothing was hardened");
    assert!(!dir.path().join("demo.env").exists(), "no secret was rotated");
    let md = std::fs::read_to_string(files.join("golive-latest.md")).unwrap();
    assert!(md.contains("**NO-GO**") && md.contains("| verify | failed |"), "{md}");
    let active: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE is_active = 1").fetch_one(&mut c).await.unwrap();
    assert_eq!(active, 23, "no user was deactivated");
    db.drop_db().await;
}

#[test]
fn a_misspelt_gate_level_stops_golive_before_anything_changes() {
    let dir = workdir();
    let profile = dir.path().join("fixtures/demo/harden.toml");
    let text = std::fs::read_to_string(&profile).unwrap() + "\n[gate.levels]\npg_sll = \"warning\"\n";
    std::fs::write(&profile, text).unwrap();
    let (code, out, err) = golive(dir.path(), &[]);
    assert_eq!(code, 2, "{err}\n{out}");
    assert!(err.contains("pg_sll"), "the error names the unknown id: {err}");
    let files = target_folder(dir.path(), "sqlite://demo.sqlite");
    for f in [
        dir.path().join("demo.sqlite"),
        files.join("state.json"),
        files.join("journal.json"),
        dir.path().join("demo.env"),
    ] {
        assert!(!f.exists(), "{} was written, but nothing may change", f.display());
    }
}

#[test]
fn a_config_with_both_a_profile_file_and_a_harden_table_is_refused() {
    let dir = workdir();
    let config = dir.path().join("fixtures/demo/cutover.toml");
    let text = std::fs::read_to_string(&config).unwrap() + "\n[harden]\nsteps = []\n";
    std::fs::write(&config, text).unwrap();
    let (code, _, err) = golive(dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("both") && err.contains("[harden]"), "{err}");
    assert!(!dir.path().join("demo.sqlite").exists());
}

#[test]
fn a_rerun_sees_rows_deleted_after_the_verification() {
    let dir = workdir();
    let (code, out, err) = golive(dir.path(), &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let db = rusqlite::Connection::open(dir.path().join("demo.sqlite")).unwrap();
    db.execute("DELETE FROM rework_signoffs WHERE id <= 40", []).unwrap();
    drop(db);
    let (code, out, err) = golive(dir.path(), &["--json"]);
    assert_eq!(code, 1, "{err}\n{out}");
    let report: Json = serde_json::from_str(&out).unwrap();
    let verify = stage(&report, "verify");
    assert_eq!(verify["status"], "failed");
    assert!(verify["summary"].as_str().unwrap().contains("rework_signoffs: 81 then, 41 now"), "{verify}");
    assert_eq!(stage(&report, "gate")["status"], "not run");
}
