//! The frameworks judge (issue 15): a Django project and an SQLAlchemy/Alembic app of our
//! own (tests/apps/) are built on SQLite by their own migrations and ORM, moved by
//! `cutover migrate --schema existing --truncate` onto PostgreSQL and MariaDB databases
//! that the same migrations built, proven by `cutover verify`, and read back through the
//! ORM: every object field by field, logging in, a new row of every model, filters. On
//! MariaDB a source whose unique column holds values equal under `utf8mb4_general_ci`
//! must be refused before anything is emptied.
//!
//! The `*_create_*` tests judge create mode (issue 16): the same sources moved by
//! `cutover migrate` into an EMPTY database, cutover writing the DDL from the framework it
//! detects plus the overrides docs/apps/*.md tell a user to add for what the SQLite file
//! cannot say; then `cutover verify`, the framework's own check of the created schema
//! (Django `migrate --check` and `check`; `alembic check`, and the constraint names the
//! SQLite file holds), and the same ORM judgement.
//!
//! The judge is tests/apps/judge.py, run with the Python of the venv that
//! scripts/apps-venv.sh makes (scripts/test.sh runs it first). A missing venv fails the
//! test with that advice: never a silent skip.

mod common;

use std::path::PathBuf;
use std::process::Command;

use cutover::target::Dialect;
use sha2::{Digest, Sha256};

/// The venv's python, checked against the requirements it was made from.
fn apps_python() -> PathBuf {
    let venv = std::env::var_os("CUTOVER_APPS_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
        home.join(".cache/cutover-apps-venv")
    });
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "the frameworks' Python venv is missing ({} not found): run scripts/apps-venv.sh \
         (scripts/test.sh runs it), or set CUTOVER_APPS_VENV to where it is",
        python.display()
    );
    let requirements = common::repo().join("tests/apps/requirements.txt");
    let wanted = format!("{:x}", Sha256::digest(std::fs::read(&requirements).expect("tests/apps/requirements.txt")));
    let stamp = std::fs::read_to_string(venv.join(".cutover-requirements")).unwrap_or_default();
    assert_eq!(
        stamp.trim(),
        wanted,
        "the venv at {} was not made from the current tests/apps/requirements.txt: run scripts/apps-venv.sh",
        venv.display()
    );
    python
}

/// How the target is built: by the framework's migrations, or by cutover.
#[derive(Clone, Copy)]
enum Mode {
    Existing,
    Create,
}

/// Run the judge for one framework on one engine; assert it passed, showing its output.
fn judge(framework: &str, dialect: Dialect, mode: Mode) {
    let engine = match dialect {
        Dialect::Postgres => "postgres",
        _ => "mariadb",
    };
    let (mode, prefix) = match mode {
        Mode::Existing => ("existing", "cutover_t_apps"),
        Mode::Create => ("create", "cutover_t_apps_create"),
    };
    let python = apps_python();
    let database = format!("{prefix}_{framework}_{engine}");
    let workdir = tempfile::Builder::new().prefix(&format!("apps-{mode}-{framework}-{engine}-")).tempdir().unwrap();
    let out = Command::new(&python)
        .arg(common::repo().join("tests/apps/judge.py"))
        .args([framework, engine, "--mode", mode, "--cutover", env!("CARGO_BIN_EXE_cutover"), "--db", &database])
        .arg("--workdir")
        .arg(workdir.path())
        .args(["--server", &common::server_url(dialect)])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run scripts/apps-venv.sh", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        return;
    }
    let kept = workdir.keep();
    panic!(
        "{framework} judged cutover on {engine} ({mode} mode) and found it wanting (exit {:?}); database {database} and \
         {} kept for inspection\n--- judge output ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status.code(),
        kept.display()
    );
}

#[test]
fn django_postgres() {
    judge("django", Dialect::Postgres, Mode::Existing);
}

#[test]
fn django_mariadb() {
    judge("django", Dialect::MariaDb, Mode::Existing);
}

#[test]
fn sqlalchemy_postgres() {
    judge("sqlalchemy", Dialect::Postgres, Mode::Existing);
}

#[test]
fn sqlalchemy_mariadb() {
    judge("sqlalchemy", Dialect::MariaDb, Mode::Existing);
}

#[test]
fn django_create_postgres() {
    judge("django", Dialect::Postgres, Mode::Create);
}

#[test]
fn django_create_mariadb() {
    judge("django", Dialect::MariaDb, Mode::Create);
}

#[test]
fn sqlalchemy_create_postgres() {
    judge("sqlalchemy", Dialect::Postgres, Mode::Create);
}

#[test]
fn sqlalchemy_create_mariadb() {
    judge("sqlalchemy", Dialect::MariaDb, Mode::Create);
}
