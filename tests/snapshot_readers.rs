//! Extra readers of the source's snapshot (`Source::extra_readers`): granted only when
//! the probe proves that they read what the snapshot's own connection reads, and then the
//! statistics pass and lint's key checks, spread over them, give exactly what one
//! connection gives (same findings, same order). After another connection commits to a
//! WAL-mode file the proof fails, no reader is granted, and the checks still report the
//! snapshot's rows, not the committed ones.

mod common;

use std::path::Path;

use cutover::lint::{cheap_checks, LintFinding};
use cutover::schema::SourceSchema;
use cutover::source::Source;
use cutover::target::Dialect;

/// Orphans under four foreign keys of three tables (one composite), a CHECK that rows
/// break, and a NOCASE key whose values collide under MariaDB's collation.
const PLANTED: &str = r#"
PRAGMA foreign_keys = OFF;
PRAGMA ignore_check_constraints = ON;
CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE, region TEXT, code INTEGER,
    UNIQUE (region, code));
CREATE TABLE "order lines" (id INTEGER PRIMARY KEY, client_id INTEGER REFERENCES clients(id),
    qty INTEGER CHECK (qty > 0), amount NUMERIC, placed_at DATETIME);
CREATE TABLE notes (id INTEGER PRIMARY KEY, line_id INTEGER REFERENCES "order lines"(id),
    client_id INTEGER REFERENCES clients(id), region TEXT, code INTEGER,
    FOREIGN KEY (region, code) REFERENCES clients(region, code));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
INSERT INTO clients SELECT i, 'client ' || i, 'r' || (i % 7), i FROM n;
INSERT INTO clients VALUES (401, 'JOSÉ', 'r9', 1), (402, 'josé', 'r9', 2);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO "order lines" SELECT i, CASE WHEN i % 500 = 0 THEN 9000 + i ELSE i % 400 + 1 END,
    CASE WHEN i % 1000 = 0 THEN 0 ELSE i % 9 + 1 END, i * 1.25, '2024-01-01 10:00:00' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO notes SELECT i, CASE WHEN i % 300 = 0 THEN 100000 + i ELSE i END,
    CASE WHEN i % 700 = 0 THEN 7000 + i ELSE i % 400 + 1 END,
    'r' || ((i % 400 + 1) % 7), CASE WHEN i % 900 = 0 THEN 5000 + i ELSE i % 400 + 1 END FROM n;
"#;

fn build(path: &Path, wal: bool) {
    let _ = std::fs::remove_file(path);
    let c = rusqlite::Connection::open(path).unwrap();
    if wal {
        c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)).unwrap();
    }
    c.execute_batch(PLANTED).unwrap();
}

fn plan(schema: &SourceSchema, dialect: Dialect) -> cutover::plan::Plan {
    let config = cutover::config::Config::default();
    let opts =
        cutover::plan::PlanOptions { dialect, target_schema: None, config: &config, excluded: Default::default() };
    cutover::plan::build(schema, &opts).unwrap()
}

fn as_json(findings: &[LintFinding]) -> serde_json::Value {
    serde_json::to_value(findings).unwrap()
}

/// The source's key checks for `dialect`, on the snapshot `source` holds.
fn key_findings(source: &Source, schema: &SourceSchema, dialect: Dialect) -> serde_json::Value {
    as_json(&cheap_checks(source, schema, &plan(schema, dialect), 3).unwrap())
}

/// How many `fk_orphans` rows the findings count, per table.column.
fn orphan_counts(findings: &serde_json::Value) -> Vec<(String, u64)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "fk_orphans")
        .map(|f| {
            (
                format!("{}.{}", f["table"].as_str().unwrap(), f["column"].as_str().unwrap()),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn snapshot_readers_give_the_serial_findings_in_the_serial_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("planted.sqlite");
    build(&file, false);
    // The same data as a `.sql` dump: loaded into a temporary file, it has no extra
    // readers, so everything runs on one connection.
    let dump = dir.path().join("planted.sql");
    std::fs::write(&dump, PLANTED).unwrap();

    let mut parallel = Source::open(&file).unwrap();
    let schema = parallel.snapshot().unwrap();
    let readers = parallel.extra_readers(2).unwrap().expect("nobody writes: the readers share the snapshot");
    assert_eq!(readers.len(), 2);
    drop(readers);
    let mut serial = Source::open(&dump).unwrap();
    let serial_schema = serial.snapshot().unwrap();
    assert!(serial.extra_readers(1).unwrap().is_none(), "a loaded dump has no extra readers");

    // The statistics, read table by table on several connections, are the serial ones.
    assert_eq!(format!("{:?}", schema.tables), format!("{:?}", serial_schema.tables));
    for dialect in [Dialect::Postgres, Dialect::MariaDb, Dialect::Sqlite] {
        let found = key_findings(&parallel, &schema, dialect);
        assert_eq!(found, key_findings(&serial, &serial_schema, dialect), "{dialect}");
        assert_eq!(
            orphan_counts(&found),
            [
                // Schema order (tables by name), then each table's keys as declared.
                ("notes.line_id".to_string(), 6),
                ("notes.client_id".to_string(), 2),
                ("notes.region,code".to_string(), 2),
                ("order lines.client_id".to_string(), 6),
            ],
            "{dialect}"
        );
        let codes: Vec<&str> = found.as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
        assert_eq!(codes.contains(&"check_violated"), dialect != Dialect::Sqlite, "{dialect}: {codes:?}");
        assert_eq!(codes.contains(&"unique_collision"), dialect == Dialect::MariaDb, "{dialect}: {codes:?}");
    }
    parallel.release().unwrap();
    assert!(parallel.extra_readers(1).unwrap().is_none(), "no snapshot open, no readers");
}

#[test]
fn snapshot_readers_are_refused_after_a_commit_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wal.sqlite");
    build(&file, true);
    let mut source = Source::open(&file).unwrap();
    let schema = source.snapshot().unwrap();
    let before = key_findings(&source, &schema, Dialect::Postgres);
    assert!(source.extra_readers(1).unwrap().is_some(), "nothing committed yet");

    // The application commits more orphans while the snapshot is held (WAL lets it).
    let writer = rusqlite::Connection::open(&file).unwrap();
    writer.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    let added =
        writer.execute(r#"UPDATE "order lines" SET client_id = client_id + 50000 WHERE id % 100 = 1"#, []).unwrap();
    assert_eq!(added, 30);

    assert!(source.extra_readers(1).unwrap().is_none(), "a commit since the snapshot: no proof, no readers");
    // The checks fall back to the snapshot's own connection: the snapshot's orphans.
    let after = key_findings(&source, &schema, Dialect::Postgres);
    assert_eq!(after, before);
    assert_eq!(orphan_counts(&after)[3], ("order lines.client_id".to_string(), 6));
    source.release().unwrap();

    // A new snapshot sees the commit, and its readers are granted again.
    let schema = source.snapshot().unwrap();
    assert!(source.extra_readers(1).unwrap().is_some());
    let fresh = key_findings(&source, &schema, Dialect::Postgres);
    assert_eq!(orphan_counts(&fresh)[3], ("order lines.client_id".to_string(), 36));
    source.release().unwrap();
}

#[test]
fn snapshot_readers_in_rollback_journal_mode_keep_writers_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("journal.sqlite");
    build(&file, false);
    let mut source = Source::open(&file).unwrap();
    let schema = source.snapshot().unwrap();
    let before = key_findings(&source, &schema, Dialect::MariaDb);
    // The snapshot's SHARED lock keeps the writer from committing.
    let writer = rusqlite::Connection::open(&file).unwrap();
    writer.busy_timeout(std::time::Duration::from_millis(50)).unwrap();
    assert!(writer.execute(r#"DELETE FROM "order lines""#, []).is_err());
    assert!(source.extra_readers(1).unwrap().is_some());
    assert_eq!(key_findings(&source, &schema, Dialect::MariaDb), before);
    source.release().unwrap();
}

#[test]
fn snapshot_readers_are_refused_when_the_file_was_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.sqlite");
    build(&file, false);
    let mut source = Source::open(&file).unwrap();
    let schema = source.snapshot().unwrap();
    let before = key_findings(&source, &schema, Dialect::Postgres);
    // The application writes a new database beside it and moves it over the old path.
    let replacement = dir.path().join("app.sqlite.new");
    build(&replacement, false);
    rusqlite::Connection::open(&replacement)
        .unwrap()
        .execute_batch(r#"PRAGMA foreign_keys = OFF; DELETE FROM "order lines""#)
        .unwrap();
    std::fs::rename(&replacement, &file).unwrap();

    assert!(source.extra_readers(1).unwrap().is_none(), "the path names another file now");
    assert_eq!(key_findings(&source, &schema, Dialect::Postgres), before);
    source.release().unwrap();
}

/// `cutover lint`'s own second connection reads in transactions of its own: a `Watch`
/// started before either connection reads says whether the file stayed as it was.
#[test]
fn a_watch_fails_after_a_commit_or_a_replaced_file_and_holds_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("watched.sqlite");
    build(&file, true);
    let source = Source::open(&file).unwrap();
    let watch = source.watch().expect("a file can be watched");
    // Reading, from any connection, changes nothing.
    let reader = rusqlite::Connection::open(&file).unwrap();
    let n: i64 = reader.query_row(r#"SELECT count(*) FROM "order lines""#, [], |r| r.get(0)).unwrap();
    assert_eq!(n, 3000);
    assert!(watch.held());
    let writer = rusqlite::Connection::open(&file).unwrap();
    writer.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    writer.execute(r#"UPDATE "order lines" SET client_id = 77777 WHERE id = 1"#, []).unwrap();
    assert!(!watch.held(), "a commit since the watch began");

    let watch = source.watch().unwrap();
    assert!(watch.held());
    let replacement = dir.path().join("watched.sqlite.new");
    build(&replacement, false);
    std::fs::rename(&replacement, &file).unwrap();
    assert!(!watch.held(), "the path names another file now");

    // A `.sql` dump is loaded into a file of cutover's own: nothing to watch.
    let dump = dir.path().join("dump.sql");
    std::fs::write(&dump, "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n").unwrap();
    assert!(Source::open(&dump).unwrap().watch().is_none());
}
