//! Default files per target (issue 17, item 6): the state file, the verify report, the
//! journal and the go-live reports live in `.cutover/<short target id>/`, so a staging
//! rehearsal and the production run from one folder never overwrite each other; verify,
//! gate, harden and golive find the files of the target they are given; a golive run that
//! stops never replaces an earlier GO report.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;

/// `cutover ARGS` run in `dir`: (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run cutover");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The folder of a target's files, from the folder's `target` file.
fn folder_of(dir: &Path, identity_part: &str) -> PathBuf {
    let root = dir.join(".cutover");
    let found: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| std::fs::read_to_string(p.join("target")).is_ok_and(|t| t.contains(identity_part)))
        .collect();
    assert_eq!(found.len(), 1, "{identity_part} in {found:?}");
    found[0].clone()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn gate_check(dir: &Path, to: &str, id: &str) -> (i32, String) {
    let (code, out, err) = run_in(dir, &["gate", "--config", "fixtures/demo/cutover.toml", "--to", to, "--json"]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("gate {to}: {e}: {err}"));
    let check = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
    (code, check["status"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_targets_from_one_folder() {
    let staging = ScratchDb::new(Dialect::Postgres, "two_targets_from_one_folder_staging").await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ok = std::process::Command::new("cp").arg("-r").arg(repo().join("fixtures")).arg(dir).status().unwrap();
    assert!(ok.success());
    // Production: the README's quick start, into the embedded SQLite target.
    let (code, out, err) = run_in(dir, &["golive", "--config", "fixtures/demo/cutover.toml", "--progress", "none"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let prod = folder_of(dir, "demo.sqlite");
    assert!(
        out.contains(&format!("go-live report: .cutover/{}/golive-", prod.file_name().unwrap().to_string_lossy())),
        "{out}"
    );
    let go_reports: Vec<PathBuf> = md_reports(&prod);
    assert_eq!(go_reports.len(), 1);
    let go_text = std::fs::read_to_string(&go_reports[0]).unwrap();
    // The staging rehearsal from the same folder, with default file locations.
    let demo = "fixtures/demo/demo.sql";
    let (code, _, err) = run_in(dir, &["migrate", demo, "--to", &staging.url, "--progress", "none"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_in(dir, &["verify", demo, "--to", &staging.url, "--progress", "none"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let stage = folder_of(dir, &staging.name);
    assert_ne!(stage, prod);
    for (folder, target) in [(&stage, staging.name.as_str()), (&prod, "demo.sqlite")] {
        for file in ["state.json", "verify.json"] {
            let f = json(&folder.join(file));
            assert!(f["target"].as_str().unwrap().contains(target), "{}: {f}", folder.join(file).display());
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(folder.join("state.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "state file mode {mode:o}");
    }
    // Nothing in the current folder itself.
    for old in ["cutover-state.json", "cutover-verify.json", "cutover-journal.json", "golive-report.md"] {
        assert!(!dir.join(old).exists(), "{old}");
    }
    // A difference in staging fails staging's verification only; each gate reads its own.
    assert!(staging
        .exec_all(&["UPDATE production_entries SET pieces = pieces + 1 WHERE id = 5".into()])
        .await
        .is_empty());
    let (code, _, _) = run_in(dir, &["verify", demo, "--to", &staging.url, "--progress", "none"]);
    assert_eq!(code, 1);
    assert_eq!(json(&stage.join("verify.json"))["ok"], false);
    assert_eq!(json(&prod.join("verify.json"))["ok"], true);
    assert_eq!(gate_check(dir, &staging.url, "migration_verified").1, "fail");
    let (code, status) = gate_check(dir, "sqlite://demo.sqlite", "migration_verified");
    assert_eq!((code, status.as_str()), (0, "pass"));
    // A golive run into production that stops (a table changed after verification) keeps
    // the earlier GO report and writes its own; golive-latest.md is the last run's.
    let target = rusqlite::Connection::open(dir.join("demo.sqlite")).unwrap();
    target.execute("DELETE FROM holidays WHERE id = 1", []).unwrap();
    let (code, out, _) = run_in(dir, &["golive", "--config", "fixtures/demo/cutover.toml", "--progress", "none"]);
    assert_eq!(code, 1, "{out}");
    let reports = md_reports(&prod);
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(std::fs::read_to_string(&go_reports[0]).unwrap(), go_text, "the GO report was replaced");
    let latest = std::fs::read_to_string(prod.join("golive-latest.md")).unwrap();
    assert_ne!(latest, go_text);
    assert!(latest.contains("row counts changed"), "{latest}");
    // The staging target, set right again, equals the source (checksum level).
    assert!(staging
        .exec_all(&["UPDATE production_entries SET pieces = pieces - 1 WHERE id = 5".into()])
        .await
        .is_empty());
    let (code, out, err) = run_in(dir, &["verify", demo, "--to", &staging.url, "--progress", "none"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("VERIFIED"), "{out}");
    staging.drop_db().await;
}

/// The golive reports of a target's folder, oldest first (golive-latest.md left out).
fn md_reports(folder: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("golive-") && n.ends_with(".md") && n != "golive-latest.md"
        })
        .collect();
    v.sort();
    v
}

/// A rehearsal in another PostgreSQL schema of the same database (`--target-schema`) is a
/// target of its own: its files do not mix with those of the `public` schema.
#[tokio::test(flavor = "multi_thread")]
async fn two_schemas_of_one_database_keep_their_files_apart() {
    let db = ScratchDb::new(Dialect::Postgres, "two_schemas_of_one_database").await;
    assert!(db.exec_all(&["CREATE SCHEMA staging".into()]).await.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let demo = demo_fixture();
    let demo = demo.to_str().unwrap();
    for extra in [&[][..], &["--target-schema", "staging"][..]] {
        let mut args = vec!["migrate", demo, "--to", &db.url, "--progress", "none"];
        args.extend_from_slice(extra);
        let (code, _, err) = run_in(dir, &args);
        assert_eq!(code, 0, "{extra:?}: {err}");
    }
    let folders: Vec<PathBuf> = std::fs::read_dir(dir.join(".cutover")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    assert!(folders.iter().any(|f| f.to_string_lossy().contains("_staging-")), "{folders:?}");
    for extra in [&[][..], &["--target-schema", "staging"][..]] {
        let mut args = vec!["verify", demo, "--to", &db.url, "--progress", "none"];
        args.extend_from_slice(extra);
        let (code, out, err) = run_in(dir, &args);
        assert_eq!(code, 0, "{extra:?}: {err}\n{out}");
        assert!(out.contains("VERIFIED"), "{out}");
    }
    for f in &folders {
        assert!(f.join("state.json").exists() && f.join("verify.json").exists(), "{}", f.display());
    }
    db.drop_db().await;
}
