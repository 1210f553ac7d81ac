//! The first hour of a new user (issue 14): each stumble found by trying cutover as a new
//! user would, with a regression test named after it.

mod common;

use common::*;
use cutover::target::Dialect;

fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover")).current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// It said `role "nosuchuser" does not exist; create the database first`.
#[test]
fn a_role_that_does_not_exist_is_not_called_a_missing_database() {
    let pg = server_url(Dialect::Postgres);
    let url = pg.replacen("postgres@", "nosuchuser@", 1).replace("/postgres", "/cutover_first_hour");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) =
        run_in(dir.path(), &["verify", demo_fixture().to_str().unwrap(), "--to", &url, "--progress", "none"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("nosuchuser") && err.contains("check the user name"), "{err}");
    assert!(!err.contains("create the database first"), "{err}");
}

/// A resume of a finished run printed every table as written, with a rate; after an
/// interrupted run the totals mixed this run's reads with the earlier run's writes.
#[test]
fn a_resumed_run_counts_only_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.sqlite");
    let url = format!("sqlite://{}", target.display());
    let state = dir.path().join("s.json");
    let (code, _, err) = migrate_to(&demo_fixture(), &url, &state, &[]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = migrate_to(&demo_fixture(), &url, &state, &["--resume"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("45 tables (45 done earlier), 0 rows read, 0 written"), "{out}");
    assert!(out.lines().filter(|l| l.contains("skipped (done earlier)")).count() == 45, "{out}");
}

/// `gate --json` was refused (it wanted `--format json`) with no hint.
#[test]
fn gate_takes_json_like_every_other_command() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.sqlite");
    let url = format!("sqlite://{}", target.display());
    let (code, _, err) = migrate_to(&demo_fixture(), &url, &dir.path().join("s.json"), &[]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.path().join("p.toml"), "[[steps]]\nkind = \"fk_indexes\"\n").unwrap();
    let (_, out, err) = run_in(dir.path(), &["gate", "--to", &url, "--profile", "p.toml", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}\n{out}"));
    assert!(report["checks"].as_array().is_some_and(|c| !c.is_empty()), "{out}");
}

/// `init -o /new/folder/cutover.toml` failed when the folder did not exist.
#[test]
fn init_creates_the_folder_it_writes_into() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new/folder/cutover.toml");
    let (code, _, err) = run_in(
        dir.path(),
        &["init", demo_fixture().to_str().unwrap(), "--dialect", "postgres", "-o", out.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.exists());
}

/// A folder given as SOURCE got advice about encryption and `.sql` extensions.
#[test]
fn a_folder_as_source_is_called_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_in(dir.path(), &["inspect", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("is a folder, not a database"), "{err}");
    assert!(!err.contains("encrypted") && !err.contains(".sql extension"), "{err}");
}

/// `postgres:/user:pw@host/db` (one slash) was reported as having no scheme, and the
/// user name was lost from the message.
#[test]
fn a_url_with_one_slash_after_the_scheme_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &["migrate", demo_fixture().to_str().unwrap(), "--to", "postgres:/app:S3cretZ@db.example/shop"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("one slash; write two: postgres://") && err.contains("app:"), "{err}");
    assert!(!err.contains("S3cretZ"), "{err}");
}
