//! `cutover migrate` into the embedded SQLite target: the demo fixture lands with
//! canonical values (booleans 0/1, ISO datetimes, exact decimals) — for this clean
//! fixture that is exactly the source, value for value and storage class for class.

mod common;

use common::*;

fn rows(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
    let q = table.replace('"', "\"\"");
    let n: usize = conn.prepare(&format!("SELECT * FROM \"{q}\"")).unwrap().column_count();
    let mut st = conn.prepare(&format!("SELECT * FROM \"{q}\"")).unwrap();
    let mut out: Vec<String> = st
        .query_map([], |r| {
            Ok((0..n)
                .map(|i| {
                    let v = r.get_ref(i).unwrap();
                    format!("{:?}", v)
                })
                .collect::<Vec<_>>()
                .join(" | "))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    out.sort();
    out
}

/// The AUTOINCREMENT counters of a database, by table.
fn sequences(conn: &rusqlite::Connection) -> Vec<(String, i64)> {
    conn.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn demo_fixture_into_sqlite_target_is_value_for_value() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("demo.sqlite");
    let url = format!("sqlite://{}", target.display());
    let state = dir.path().join("s.json");
    let (code, out, err) = migrate_to(&demo_fixture(), &url, &state, &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("45 tables, 6,798 rows read, 6,798 written, 0 rejected"), "{out}");
    let src = rusqlite::Connection::open(sqlite_file_for(&demo_fixture(), dir.path())).unwrap();
    let dst = rusqlite::Connection::open(&target).unwrap();
    let tables: Vec<String> = src
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(tables.len(), 45);
    for t in &tables {
        assert_eq!(rows(&src, t), rows(&dst, t), "table {t}");
    }
    // Keys and counters survive: FKs hold, AUTOINCREMENT counters continue.
    let violations: i64 = dst.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(violations, 0);
    assert_eq!(sequences(&src), sequences(&dst));
    // Running again into the same file is refused: cutover never fills tables it did not create.
    std::fs::remove_file(&state).unwrap();
    let (code, _, err) =
        run_cutover(&["migrate", demo_fixture().to_str().unwrap(), "--to", &url, "--state", state.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn reject_mode_loads_the_rest_and_writes_each_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.sqlite");
    let rejects = dir.path().join("rejects.jsonl");
    let src = repo().join("../shared/corpus/pgloader-type-mismatch.db");
    let (code, out, err) = run_cutover(&[
        "migrate",
        src.to_str().unwrap(),
        "--to",
        &format!("sqlite://{}", target.display()),
        "--state",
        dir.path().join("s.json").to_str().unwrap(),
        "--on-error",
        "reject",
        "--reject-file",
        rejects.to_str().unwrap(),
        "--report",
        dir.path().join("report.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}\n{out}");
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&rejects).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["table"], "products");
    assert_eq!(lines[0]["column"], "qty");
    assert_eq!(lines[0]["value"], "'lots-of-it'");
    assert_eq!(lines[0]["key"], "id=2");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    let t = &report["tables"][0];
    let source_rows: i64 =
        rusqlite::Connection::open(&src).unwrap().query_row("SELECT count(*) FROM products", [], |r| r.get(0)).unwrap();
    assert_eq!(t["rows_read"], source_rows);
    assert_eq!(t["rows_rejected"], 1);
    assert_eq!(t["rows_written"], source_rows - 1);
    let loaded: i64 = rusqlite::Connection::open(&target)
        .unwrap()
        .query_row("SELECT count(*) FROM products", [], |r| r.get(0))
        .unwrap();
    assert_eq!(loaded, source_rows - 1, "every row is either in the target or in the reject file");
}

#[test]
fn dry_run_into_sqlite_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("never.sqlite");
    let (code, out, err) = run_cutover(&[
        "migrate",
        demo_fixture().to_str().unwrap(),
        "--to",
        &format!("sqlite://{}", target.display()),
        "--dry-run",
        "--state",
        dir.path().join("s.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(!target.exists());
    assert!(out.contains("DRY RUN"));
}

#[test]
fn mariadb_url_without_a_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_cutover(&[
        "migrate",
        demo_fixture().to_str().unwrap(),
        "--to",
        "mariadb://root:pw@127.0.0.1:3306",
        "--state",
        dir.path().join("s.json").to_str().unwrap(),
    ]);
    // Refused before connecting: a usage error (exit 2), as every URL without a database.
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("names no database") && !err.contains(":pw@") && err.contains("***"), "{err}");
}

/// `id INTEGER PRIMARY KEY DESC` is no rowid alias to SQLite (its own quirk), so it may
/// hold any value, while `PRIMARY KEY (id DESC)` is one. cutover used to take the first
/// for an alias and stop at open ("reading the smallest and largest rowid"); now a text
/// id is a value that does not convert, named by lint, and the rest migrates exactly.
#[test]
fn integer_primary_key_desc_is_an_ordinary_key() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("desc.sqlite");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE odd (id INTEGER PRIMARY KEY DESC, name TEXT);
             INSERT INTO odd VALUES (1, 'a'), (2, 'b'), ('x', 'c');
             CREATE TABLE alias (id INTEGER, name TEXT, PRIMARY KEY (id DESC));
             INSERT INTO alias VALUES (5, 'e'), (9, 'f');",
        )
        .unwrap();
    let schema = cutover::source::Source::open(&src).unwrap().read_schema().unwrap();
    let table = |n: &str| schema.tables.iter().find(|t| t.name == n).unwrap();
    assert!(table("odd").rowid_alias().is_none());
    assert!(table("alias").rowid_alias().is_some());

    let (code, out, err) = run_cutover(&["lint", src.to_str().unwrap(), "--dialect", "postgres"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("error [not_an_integer] odd.id") && out.contains("id='x'"), "{out}");

    let target = dir.path().join("t.sqlite");
    let url = format!("sqlite://{}", target.display());
    let rejects = dir.path().join("rejects.jsonl");
    let state = dir.path().join("state.json");
    let (code, out, err) =
        migrate_to(&src, &url, &state, &["--on-error", "reject", "--reject-file", rejects.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let t = rusqlite::Connection::open(&target).unwrap();
    assert_eq!(rows(&t, "odd"), vec!["Integer(1) | Text([97])", "Integer(2) | Text([98])"]);
    assert_eq!(rows(&t, "alias"), vec!["Integer(5) | Text([101])", "Integer(9) | Text([102])"]);
    assert!(std::fs::read_to_string(&rejects).unwrap().contains("\"key\":\"id='x'\""));
}
