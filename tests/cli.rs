//! The binary as a user runs it: the demo fixture and every corpus database, bad input
//! of every kind (each must say what, where and what to do, with the documented exit
//! code, and change nothing), config files and flags, and `init`.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::*;

fn cutover() -> Command {
    Command::cargo_bin("cutover").unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = cutover().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Run and expect a failure with this exit code; returns stderr.
fn fails(args: &[&str], code: i32) -> String {
    let out = cutover().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "{args:?}: stderr: {err}");
    err
}

fn demo() -> String {
    demo_fixture().display().to_string()
}

#[test]
fn inspect_demo_fixture_shows_45_tables_in_11_tiers() {
    let text = stdout_of(&["inspect", &demo()]);
    assert!(text.contains("45 tables, 6,798 rows, 11 tiers"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&["inspect", &demo(), "--json"])).unwrap();
    assert_eq!(json["tiers"].as_array().unwrap().len(), 11);
    assert_eq!(json["schema"]["tables"].as_array().unwrap().len(), 45);
    assert_eq!(json["tiers"][10][0], "rework_signoffs");
    let users = json["schema"]["tables"].as_array().unwrap().iter().find(|t| t["name"] == "users").unwrap();
    assert_eq!(users["row_count"], 24);
}

#[test]
fn inspect_and_plan_every_corpus_database_for_both_servers() {
    for path in corpus() {
        let p = path.display().to_string();
        stdout_of(&["inspect", &p]);
        for dialect in ["postgres", "mariadb", "sqlite"] {
            let plan: serde_json::Value =
                serde_json::from_str(&stdout_of(&["plan", &p, "--dialect", dialect, "--json"])).unwrap();
            assert!(
                plan["findings"].as_array().unwrap().iter().all(|f| f["level"] != "error"),
                "{p} {dialect}: {}",
                plan["findings"]
            );
        }
    }
}

#[test]
fn sakila_cycle_is_reported_and_broken() {
    let sakila = repo().join("../shared/corpus/sakila.sqlite").display().to_string();
    let text = stdout_of(&["inspect", &sakila]);
    assert!(text.contains("staff <-> store"), "{text}");
    assert!(text.contains("store(manager_staff_id) -> staff(staff_id)"), "{text}");
    let plan: serde_json::Value =
        serde_json::from_str(&stdout_of(&["plan", &sakila, "--dialect", "postgres", "--json"])).unwrap();
    assert_eq!(plan["cycles"][0]["tables"], serde_json::json!(["staff", "store"]));
    let store = plan["tables"].as_array().unwrap().iter().find(|t| t["source_name"] == "store").unwrap();
    let staff = plan["tables"].as_array().unwrap().iter().find(|t| t["source_name"] == "staff").unwrap();
    assert!(staff["tier"].as_u64() > store["tier"].as_u64(), "staff loads after store once store->staff is deferred");
    assert!(store["foreign_keys"].as_array().unwrap().iter().any(|f| f["breaks_cycle"] == true));
    // The three triggers on film are reported as left out.
    let left: Vec<&str> = plan["left_out"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(left.iter().filter(|k| **k == "trigger").count(), 3);
}

#[test]
fn plan_is_deterministic() {
    let a = stdout_of(&["plan", &demo(), "--dialect", "mariadb", "--json"]);
    let b = stdout_of(&["plan", &demo(), "--dialect", "mariadb", "--json"]);
    assert_eq!(a, b);
}

#[test]
fn gpkg_virtual_tables_and_shadows_are_left_out() {
    let gpkg = repo().join("../shared/corpus/ogc-gpkg-gdal-sample-spatial-index.sqlite").display().to_string();
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&["inspect", &gpkg, "--json"])).unwrap();
    let vts = json["schema"]["virtual_tables"].as_array().unwrap();
    assert_eq!(vts.len(), 16);
    assert!(vts.iter().all(|v| v["module"] == "rtree" && v["shadow_tables"].as_array().unwrap().len() == 3));
    assert_eq!(json["schema"]["tables"].as_array().unwrap().len(), 25, "only the 25 ordinary tables remain");
}

#[test]
fn long_column_names_are_shortened_without_collision() {
    let p = repo().join("../shared/corpus/pgloader-collision.db").display().to_string();
    let plan: serde_json::Value =
        serde_json::from_str(&stdout_of(&["plan", &p, "--dialect", "postgres", "--json"])).unwrap();
    let cols = plan["tables"][0]["columns"].as_array().unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c["target_name"].as_str().unwrap()).collect();
    assert!(names.iter().all(|n| n.len() <= 63), "{names:?}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(plan["findings"].as_array().unwrap().iter().any(|f| f["code"] == "name_shortened"));
}

fn hash_file(p: &Path) -> u64 {
    cutover::hash::fnv1a64(&std::fs::read(p).unwrap())
}

#[test]
fn bad_sources_get_clear_errors_and_are_not_changed() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);
    let missing = d("nope.sqlite");
    let err = fails(&["inspect", missing.to_str().unwrap()], 3);
    assert!(err.contains("nope.sqlite") && err.contains("no such file"), "{err}");

    std::fs::write(d("notes.txt"), "hello, this is a text file and not a database\n".repeat(20)).unwrap();
    let err = fails(&["inspect", d("notes.txt").to_str().unwrap()], 3);
    assert!(err.contains("not a SQLite database") && err.contains("notes.txt"), "{err}");

    let random: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(d("enc.db"), &random).unwrap();
    let err = fails(&["inspect", d("enc.db").to_str().unwrap()], 3);
    assert!(err.contains("encrypted"), "{err}");

    std::fs::write(d("empty.sqlite"), b"").unwrap();
    let err = fails(&["inspect", d("empty.sqlite").to_str().unwrap()], 3);
    assert!(err.contains("empty"), "{err}");

    // Corrupt: a real database with pages overwritten in the middle.
    let corrupt = d("corrupt.sqlite");
    std::fs::copy(repo().join("../shared/corpus/chinook.sqlite"), &corrupt).unwrap();
    let mut bytes = std::fs::read(&corrupt).unwrap();
    for b in bytes.iter_mut().skip(8192).take(200_000) {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, &bytes).unwrap();
    let before = hash_file(&corrupt);
    let err = fails(&["inspect", corrupt.to_str().unwrap()], 3);
    assert!(err.contains("corrupt") && err.contains(".recover"), "{err}");
    assert_eq!(hash_file(&corrupt), before, "the source must not be written");

    // A dump cut short.
    let demo_sql = std::fs::read_to_string(demo_fixture()).unwrap();
    std::fs::write(d("cut.sql"), &demo_sql[..demo_sql.len() / 2]).unwrap();
    let err = fails(&["inspect", d("cut.sql").to_str().unwrap()], 3);
    assert!(err.contains("cut.sql") && err.contains("SQL dump"), "{err}");
}

#[test]
fn locked_source_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("busy.sqlite");
    std::fs::copy(repo().join("../shared/corpus/pgloader-sqlite.db"), &db).unwrap();
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer.execute_batch("BEGIN EXCLUSIVE; CREATE TABLE held (x);").unwrap();
    let err = fails(&["inspect", db.to_str().unwrap()], 3);
    assert!(err.contains("locked") && err.contains("busy.sqlite"), "{err}");
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn usage_errors_exit_2_and_never_show_passwords() {
    let err = fails(&["plan", &demo(), "--to", "oracle://scott:tiger123@db/prod"], 2);
    assert!(err.contains("oracle") && !err.contains("tiger123"), "{err}");
    let err = fails(&["plan", &demo()], 2);
    assert!(err.contains("--dialect"), "{err}");
    let err = fails(&["plan"], 2);
    assert!(err.contains("SOURCE"), "{err}");
    // The URL is shown redacted when the plan prints it.
    let text = stdout_of(&["plan", &demo(), "--to", "postgres://app:hunter2@db.example/prod"]);
    assert!(text.contains("postgres://app:***@db.example/prod") && !text.contains("hunter2"));
}

#[test]
fn config_file_values_and_flags_that_override_them() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("cutover.toml");
    std::fs::write(
        &cfg,
        format!(
            "source = {:?}\ndialect = \"mariadb\"\n[tables.\"kpi_snapshots\".columns.\"efficiency_pct\"]\ntype = \"decimal(9,4)\"\n[tables.\"alembic_version\"]\nskip = true\n",
            demo()
        ),
    )
    .unwrap();
    let plan: serde_json::Value =
        serde_json::from_str(&stdout_of(&["plan", "--config", cfg.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(plan["dialect"], "mariadb");
    let kpi = plan["tables"].as_array().unwrap().iter().find(|t| t["source_name"] == "kpi_snapshots").unwrap();
    let col = kpi["columns"].as_array().unwrap().iter().find(|c| c["source_name"] == "efficiency_pct").unwrap();
    assert_eq!(col["rule"], "override");
    assert_eq!(col["target_type"], "DECIMAL(9,4)");
    assert!(plan["tables"].as_array().unwrap().iter().all(|t| t["source_name"] != "alembic_version"));
    // A flag wins over the file.
    let plan: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--dialect",
        "postgres",
        "--json",
    ]))
    .unwrap();
    assert_eq!(plan["dialect"], "postgres");
    // A misspelt key or an unknown table is an error, not silently ignored.
    std::fs::write(&cfg, format!("source = {:?}\ndialekt = \"mariadb\"\n", demo())).unwrap();
    let err = fails(&["plan", "--config", cfg.to_str().unwrap(), "--dialect", "postgres"], 2);
    assert!(err.contains("dialekt"), "{err}");
    std::fs::write(&cfg, format!("source = {:?}\n[tables.\"userz\"]\nskip = true\n", demo())).unwrap();
    let err = fails(&["plan", "--config", cfg.to_str().unwrap(), "--dialect", "postgres"], 2);
    assert!(err.contains("userz"), "{err}");
}

#[test]
fn init_writes_a_private_config_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cutover.toml");
    cutover()
        .args(["init", &demo(), "--to", "mariadb://app:S3cret!@db.example:3306/prod", "-o", out.to_str().unwrap()])
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("S3cret"), "{text}");
    assert!(text.contains("${CUTOVER_TARGET_PASSWORD}"), "{text}");
    for expected in
        ["\"e2e_admin\"", "\"supervisor3\"", "\"poweruser\"", "\"DEMO-001\"", "\"ACME-MFG\"", "kind = \"deactivate\""]
    {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    assert!(text.contains("# \"jose.garcia\""), "real staff accounts are listed for review, not deactivated");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // The file it wrote is a valid config for plan.
    std::env::set_var("CUTOVER_TARGET_PASSWORD", "x");
    let plan = cutover()
        .env("CUTOVER_TARGET_PASSWORD", "x")
        .args(["plan", "--config", out.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", String::from_utf8_lossy(&plan.stderr));
    // It does not overwrite without --force.
    let err = fails(&["init", &demo(), "--dialect", "postgres", "-o", out.to_str().unwrap()], 2);
    assert!(err.contains("--force"), "{err}");
}

#[test]
fn types_prints_the_rule_table() {
    let text = stdout_of(&["types"]);
    assert!(
        text.contains("`rowid_alias`") && text.contains("bigint identity") && text.contains("BIGINT AUTO_INCREMENT")
    );
}
