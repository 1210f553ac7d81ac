//! `cutover migrate` into a real MariaDB: every corpus database and the demo fixture,
//! values checked against the documented conversion rules computed here from the
//! source (by the column's MariaDB type); keys, unique indexes, foreign keys and
//! AUTO_INCREMENT positions read from information_schema; hostile names and edge
//! values; kill and resume; reject mode; strict errors; dry run; refusal of a target
//! that already has a table; existing mode into hand-written DDL, with --truncate.

mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use sqlx::{Connection, MySqlConnection, Row};

async fn connect(url: &str) -> MySqlConnection {
    MySqlConnection::connect(url).await.unwrap_or_else(|e| panic!("cannot connect to MariaDB at {url}: {e}"))
}

/// One integer (signed or unsigned column) from a query.
async fn scalar(url: &str, sql: &str) -> i64 {
    let mut c = connect(url).await;
    let r = sqlx::query(sql).fetch_one(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.try_get::<i64, _>(0)
        .or_else(|_| r.try_get::<u64, _>(0).map(|u| i64::try_from(u).unwrap()))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// One nullable text from a query.
async fn text(url: &str, sql: &str) -> Option<String> {
    let mut c = connect(url).await;
    let r = sqlx::query(sql).fetch_one(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    my_text(&r, 0)
}

/// The tables of the scratch database.
async fn tables(url: &str) -> Vec<String> {
    let mut c = connect(url).await;
    sqlx::query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1")
        .fetch_all(&mut c)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

/// Build a SQLite source from SQL text.
fn sqlite_from(dir: &Path, name: &str, sql: &str) -> PathBuf {
    let p = dir.join(name);
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    c.execute_batch(sql).unwrap_or_else(|e| panic!("{name}: {e}"));
    p
}

/// Reject-file lines as JSON.
fn reject_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Corpus files with values that do not convert, and every reject each must produce as
/// (table, key, column, kind): the same as on PostgreSQL, since none of them depends on
/// the target (invalid UTF-8, text in an integer or double column, NULL in a non-rowid
/// INTEGER primary key).
type Reject = (&'static str, &'static str, &'static str, &'static str);
const KNOWN_BAD: &[(&str, &[Reject])] = &[
    ("pgloader-bad-utf8", &[("files", "id=2", "filename", "invalid_utf8")]),
    ("pgloader-type-mismatch", &[("products", "id=2", "qty", "not_an_integer")]),
    (
        "pgloader-sqlite",
        &[
            ("autoinc", "id=NULL", "id", "null_in_not_null"),
            ("autoinc", "id=NULL", "id", "null_in_not_null"),
            ("autoinc", "id=NULL", "id", "null_in_not_null"),
            ("intege", "rowid=2", "id", "not_a_number"),
        ],
    ),
];

/// (table, key, column, kind) of every line of a reject file, sorted.
fn rejects_of(path: &Path) -> Vec<(String, String, String, String)> {
    let field = |v: &serde_json::Value, f: &str| v[f].as_str().unwrap_or_else(|| panic!("no {f} in {v}")).to_string();
    let mut r: Vec<_> = reject_lines(path)
        .iter()
        .map(|v| (field(v, "table"), field(v, "key"), field(v, "column"), field(v, "kind")))
        .collect();
    r.sort();
    r
}

/// The first column of every row, as strings.
async fn strings(c: &mut MySqlConnection, sql: &str, table: &str) -> Vec<String> {
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut *c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter().map(|r| r.get::<String, _>(0)).collect()
}

/// Primary keys, unique indexes, foreign keys and AUTO_INCREMENT of every planned table,
/// from information_schema, against the plan and (for AUTO_INCREMENT) the source.
async fn check_keys(db_url: &str, what: &str, src: &Path, plan: &cutover::plan::Plan) {
    let mut c = connect(db_url).await;
    let source = rusqlite::Connection::open_with_flags(src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    for tp in &plan.tables {
        let t = &tp.target_name;
        let pk = strings(
            &mut c,
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
            t,
        )
        .await;
        assert_eq!(pk, tp.primary_key, "{what}: primary key of {t}");
        let uniques = strings(
            &mut c,
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'",
            t,
        )
        .await;
        let planned_uniques = tp.indexes.iter().filter(|i| i.unique).count();
        assert_eq!(uniques.len(), planned_uniques, "{what}: unique indexes of {t}: {uniques:?}");
        check_foreign_keys(&mut c, what, tp).await;
        check_auto_increment(&mut c, what, &source, tp).await;
    }
}

/// The table's foreign keys as (columns, parent, parent columns), whatever their names.
async fn check_foreign_keys(c: &mut MySqlConnection, what: &str, tp: &cutover::plan::TablePlan) {
    let rows = sqlx::query(
        "SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
         AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .bind(&tp.target_name)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let mut fks: std::collections::BTreeMap<String, (Vec<String>, String, Vec<String>)> = Default::default();
    for r in &rows {
        let e = fks.entry(r.get(0)).or_insert_with(|| (vec![], r.get(2), vec![]));
        e.0.push(r.get(1));
        e.2.push(r.get(3));
    }
    let mut found: Vec<_> = fks.into_values().collect();
    let mut planned: Vec<_> =
        tp.foreign_keys.iter().map(|f| (f.columns.clone(), f.parent_table.clone(), f.parent_columns.clone())).collect();
    found.sort();
    planned.sort();
    assert_eq!(found, planned, "{what}: foreign keys of {}", tp.target_name);
}

/// AUTO_INCREMENT only on a rowid-alias key, positioned at one above the largest key
/// and above sqlite_sequence, both read from the source.
async fn check_auto_increment(
    c: &mut MySqlConnection,
    what: &str,
    source: &rusqlite::Connection,
    tp: &cutover::plan::TablePlan,
) {
    let t = &tp.target_name;
    let auto_increment: Option<i64> = sqlx::query(
        "SELECT CAST(AUTO_INCREMENT AS SIGNED) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    )
    .bind(t)
    .fetch_one(&mut *c)
    .await
    .unwrap()
    .get(0);
    let auto_cols = strings(
        c,
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'",
        t,
    )
    .await;
    let Some(col) = rowid_alias_column(source, &tp.source_name) else {
        assert!(auto_cols.is_empty(), "{what}: {t} has AUTO_INCREMENT on {auto_cols:?} without a rowid alias");
        assert_eq!(auto_increment, None, "{what}: AUTO_INCREMENT of {t}");
        return;
    };
    let target_col = &tp.column(&col).unwrap().target_name;
    assert_eq!(auto_cols, vec![target_col.clone()], "{what}: AUTO_INCREMENT column of {t}");
    let max: Option<i64> = source
        .query_row(&format!("SELECT max({}) FROM {}", sqlite_quote(&col), sqlite_quote(&tp.source_name)), [], |r| {
            r.get(0)
        })
        .unwrap();
    let seq: Option<i64> = source
        .query_row("SELECT max(seq) FROM sqlite_sequence WHERE name = ?1", [&tp.source_name], |r| r.get(0))
        .unwrap_or(None); // no sqlite_sequence table: no AUTOINCREMENT in the source
    let expected = max.unwrap_or(0).max(seq.unwrap_or(0)).max(0) + 1;
    assert_eq!(
        auto_increment,
        Some(expected),
        "{what}: AUTO_INCREMENT of {t} (max key {max:?}, sqlite_sequence {seq:?})"
    );
    let target_max: i64 =
        sqlx::query(&format!("SELECT CAST(coalesce(max({}), 0) AS SIGNED) FROM {}", my_quote(target_col), my_quote(t)))
            .fetch_one(&mut *c)
            .await
            .unwrap()
            .get(0);
    assert!(expected > target_max, "{what}: AUTO_INCREMENT {expected} of {t} not above its largest key {target_max}");
}

/// The column that is SQLite's rowid alias (`INTEGER PRIMARY KEY`, exactly that type
/// name, single-column, rowid table), read from the source itself.
fn rowid_alias_column(source: &rusqlite::Connection, table: &str) -> Option<String> {
    let without_rowid: bool = source
        .query_row("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1", [table], |r| {
            r.get::<_, String>(0)
        })
        .map(|sql| sql.to_ascii_uppercase().split_whitespace().collect::<String>().contains("WITHOUTROWID"))
        .unwrap_or(false);
    if without_rowid {
        return None;
    }
    let pk: Vec<(String, String)> = source
        .prepare("SELECT name, type FROM pragma_table_info(?1) WHERE pk > 0")
        .unwrap()
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    match pk.as_slice() {
        [(name, ty)] if ty.eq_ignore_ascii_case("INTEGER") => Some(name.clone()),
        _ => None,
    }
}

async fn migrate_and_compare(path: PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let db = ScratchDb::new(Dialect::MariaDb, &format!("mig_my_{stem}")).await;
    let state = dir.path().join("state.json");
    let bad = KNOWN_BAD.iter().find(|(f, _)| *f == stem);
    let rejects = dir.path().join("rejects.jsonl");
    let extra: Vec<&str> =
        if bad.is_some() { vec!["--on-error", "reject", "--reject-file", rejects.to_str().unwrap()] } else { vec![] };
    let (code, out, err) = migrate(&path, &db, &state, &extra);
    assert_eq!(code, 0, "{stem}: {err}\n{out}");
    let plan = plan_for(&path, Dialect::MariaDb);
    let src = sqlite_file_for(&path, dir.path());
    let mut skip: Vec<String> = vec![];
    if let Some((_, expected)) = bad {
        let found = rejects_of(&rejects);
        let mut expected: Vec<(String, String, String, String)> = expected
            .iter()
            .map(|(t, k, c, kind)| (t.to_string(), k.to_string(), c.to_string(), kind.to_string()))
            .collect();
        expected.sort();
        assert_eq!(found, expected, "{stem}: rejects");
        // Every row is in the target or in the reject file.
        let s = rusqlite::Connection::open(&src).unwrap();
        let mut tables: Vec<String> = found.iter().map(|r| r.0.clone()).collect();
        tables.dedup();
        for t in tables {
            let source_rows: i64 =
                s.query_row(&format!("SELECT count(*) FROM {}", sqlite_quote(&t)), [], |r| r.get(0)).unwrap();
            let rejected = found.iter().filter(|r| r.0 == t).count() as i64;
            let target = &plan.table(&t).unwrap().target_name;
            let loaded = scalar(&db.url, &format!("SELECT count(*) FROM {}", my_quote(target))).await;
            assert_eq!(loaded, source_rows - rejected, "{stem}: {t}: rows loaded + rejected = rows read");
            skip.push(t);
        }
    }
    let skip: Vec<&str> = skip.iter().map(String::as_str).collect();
    let problems = compare_mariadb(&db.url, &src, &plan, &skip).await;
    assert!(problems.is_empty(), "{stem}: values differ:\n{}", problems.join("\n"));
    check_keys(&db.url, &stem, &src, &plan).await;
    // No false alarm: verify finds every table equal, and accounts for the rejected rows.
    let report = verify_matches(&path, &db.url, &state, &stem);
    let rejected: u64 = report["tables"].as_array().unwrap().iter().map(|t| t["rows_rejected"].as_u64().unwrap()).sum();
    assert_eq!(rejected > 0, bad.is_some(), "{stem}: rows verify counts as not converting");
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_fixture_migrates_exactly() {
    migrate_and_compare(demo_fixture()).await;
}

/// The corpus in two halves, so that they run in parallel.
async fn corpus_part(part: usize) {
    for (i, path) in corpus().into_iter().enumerate() {
        if i % 2 == part {
            migrate_and_compare(path).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_database_migrates_exactly_first_half() {
    corpus_part(0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_database_migrates_exactly_second_half() {
    corpus_part(1).await;
}

/// Names with backticks, double and single quotes; 64-bit extremes; emoji; 1 MB text
/// and blob; '' and NULL; text that a text-protocol INSERT would have to escape; `Admin`
/// and `admin` under a UNIQUE with SQLite's BINARY collation; a NOCASE column; a
/// DATETIME with offsets; an FK cycle; a 3-column composite FK; JSON, UUID, TIME, DATE,
/// DECIMAL.
const EDGES: &str = r#"
CREATE TABLE "we""ird `t` 'q'" ("or`der" INTEGER PRIMARY KEY, "sel ""ect'" TEXT, big BLOB, n INTEGER,
  flag BOOLEAN, at DATETIME, nc TEXT COLLATE NOCASE);
CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE);
CREATE TABLE chicken (id INTEGER PRIMARY KEY, egg_id INTEGER REFERENCES egg(id));
CREATE TABLE egg (id INTEGER PRIMARY KEY, chicken_id INTEGER REFERENCES chicken(id));
CREATE TABLE parent3 (a INTEGER NOT NULL, b TEXT NOT NULL, c DATE NOT NULL, label TEXT, PRIMARY KEY (a, b, c));
CREATE TABLE child3 (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c DATE,
  FOREIGN KEY (a, b, c) REFERENCES parent3 (a, b, c));
CREATE TABLE typed (id INTEGER PRIMARY KEY, j JSON, u UUID, tm TIME, d DATE, amount NUMERIC(12,4), ratio REAL);
INSERT INTO "we""ird `t` 'q'" VALUES (3, NULL, NULL, 0, 'true', '2024-01-02 03:04:05.123456', NULL);
INSERT INTO "we""ird `t` 'q'" VALUES (4, 'tab	here \\ back\slash \N "double" ''single'' `tick` ' || char(10) || 'newline 😀',
  X'00FF5C27', -1, 'f', '2024-12-31T23:30:00-01:30', 'MiXeD');
INSERT INTO "we""ird `t` 'q'" VALUES (5, replace(hex(zeroblob(524288)), '0', 'x'), randomblob(1048576), 42, NULL, NULL, NULL);
INSERT INTO users VALUES (1, 'Admin'), (2, 'admin'), (3, 'ADMIN ');
INSERT INTO chicken VALUES (1, 2), (2, NULL);
INSERT INTO egg VALUES (2, 1), (1, NULL);
INSERT INTO parent3 VALUES (1, 'x', '2024-01-01', 'one'), (1, 'X', '2024-01-01', 'case differs'), (2, 'y', '2024-02-29', NULL);
INSERT INTO child3 VALUES (1, 1, 'x', '2024-01-01'), (2, 1, 'X', '2024-01-01'), (3, 2, 'y', '2024-02-29'), (4, NULL, NULL, NULL);
INSERT INTO typed VALUES
  (1, '{"b": [1, 2.5, null], "a": "é"}', '{C0FFEE00-0000-4000-8000-00000000000A}', '23:59:59.999999', '2024-02-29', 12.3456, 0.1),
  (2, '[]', 'c0ffee000000400080000000000000bb', '00:00', '1000-01-01', -99999999.9999, -1.5e-300),
  (3, '"text"', X'C0FFEE0000004000800000000000000C', '12:30:45', '9999-12-31', 0.00005, 1e300),
  (4, NULL, NULL, NULL, NULL, NULL, NULL);
"#;

/// The edge source: the SQL text above, plus the values SQL text cannot spell exactly
/// (i64::MIN, i64::MAX, an emoji that is only an emoji, '').
fn edges_source(dir: &Path) -> PathBuf {
    let p = sqlite_from(dir, "edges.sqlite", EDGES);
    let c = rusqlite::Connection::open(&p).unwrap();
    let mut st = c.prepare("INSERT INTO \"we\"\"ird `t` 'q'\" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)").unwrap();
    st.execute(rusqlite::params![1, "😀", Vec::<u8>::new(), i64::MIN, 1, "2024-06-01 12:00:00+02:00", "Hello"])
        .unwrap();
    st.execute(rusqlite::params![2, "", None::<Vec<u8>>, i64::MAX, 0, "2024-01-02T03:04:05Z", "hello"]).unwrap();
    p
}

const EDGE_TABLE: &str = "`we\"ird ``t`` 'q'`";

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_and_edge_values_migrate_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = edges_source(dir.path());
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_edges").await;
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let plan = plan_for(&src, Dialect::MariaDb);
    let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    check_keys(&db.url, "edges", &src, &plan).await;
    verify_matches(&src, &db.url, &dir.path().join("s.json"), "edges");
    let url = &db.url;
    // 64-bit extremes, read back as integers.
    let n = |k: i64| format!("SELECT n FROM {EDGE_TABLE} WHERE `or``der` = {k}");
    assert_eq!((scalar(url, &n(1)).await, scalar(url, &n(2)).await), (i64::MIN, i64::MAX));
    // The 1 MB text and blob arrive whole; '' and NULL stay distinct; the emoji is one character.
    let col = "`sel \"ect'`";
    let len = |c: &str| format!("SELECT CAST(octet_length({c}) AS SIGNED) FROM {EDGE_TABLE} WHERE `or``der` = 5");
    assert_eq!((scalar(url, &len(col)).await, scalar(url, &len("big")).await), (1_048_576, 1_048_576));
    let count = |w: &str| format!("SELECT count(*) FROM {EDGE_TABLE} WHERE {w}");
    let empty = scalar(url, &count(&format!("{col} = ''"))).await;
    let nulls = scalar(url, &count(&format!("{col} IS NULL"))).await;
    assert_eq!((empty, nulls), (1, 1), "'' and NULL");
    let emoji = text(url, &format!("SELECT {col} FROM {EDGE_TABLE} WHERE `or``der` = 1")).await;
    assert_eq!(emoji.as_deref(), Some("😀"));
    let chars = scalar(url, &format!("SELECT char_length({col}) FROM {EDGE_TABLE} WHERE `or``der` = 1")).await;
    assert_eq!(chars, 1, "4-byte UTF-8 is one character (utf8mb4)");
    // Offsets are converted to UTC and stored naive.
    let at = |k: i64| format!("SELECT CAST(at AS CHAR) FROM {EDGE_TABLE} WHERE `or``der` = {k}");
    assert_eq!(text(url, &at(1)).await.as_deref(), Some("2024-06-01 10:00:00.000000"));
    assert_eq!(text(url, &at(4)).await.as_deref(), Some("2025-01-01 01:00:00.000000"));
    // BINARY collation: Admin, admin and 'ADMIN ' are three distinct keys; NOCASE is case-insensitive.
    assert_eq!(scalar(url, "SELECT count(*) FROM users WHERE login = 'admin'").await, 1);
    let collation = |t: &str, c: &str| {
        format!("SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{t}' AND COLUMN_NAME = '{c}'")
    };
    let login = text(url, &collation("users", "login")).await.unwrap();
    assert!(login.ends_with("_bin"), "users.login collation {login}");
    let nc = text(url, &collation("we\"ird `t` ''q''", "nc")).await.unwrap();
    assert!(nc.ends_with("_ci"), "nc collation {nc}");
    assert_eq!(scalar(url, &count("nc = 'HELLO'")).await, 2);
    // The FK cycle and the 3-column key are enforced.
    let mut c = connect(url).await;
    let orphan = sqlx::query("INSERT INTO child3 VALUES (9, 1, 'x', '2024-01-02')").execute(&mut c).await;
    assert!(orphan.is_err(), "the composite FK must reject an orphan");
    let orphan = sqlx::query("INSERT INTO egg VALUES (9, 99)").execute(&mut c).await;
    assert!(orphan.is_err(), "the cycle's FK must reject an orphan");
    db.drop_db().await;
}

/// The comparison is not vacuous: one changed value in one column of any kind is a
/// reported difference in that table (each change is undone before the next).
#[tokio::test(flavor = "multi_thread")]
async fn the_value_comparison_notices_a_single_changed_value() {
    let dir = tempfile::tempdir().unwrap();
    let src = edges_source(dir.path());
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_compare_self_check").await;
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let plan = plan_for(&src, Dialect::MariaDb);
    let edge = "we\"ird `t` 'q'";
    let e = EDGE_TABLE;
    let changes: Vec<(&str, String, String)> = vec![
        (
            edge,
            format!("UPDATE {e} SET n = n - 1 WHERE `or``der` = 2"),
            format!("UPDATE {e} SET n = n + 1 WHERE `or``der` = 2"),
        ),
        (
            edge,
            format!("UPDATE {e} SET at = at + INTERVAL 1 MICROSECOND WHERE `or``der` = 1"),
            format!("UPDATE {e} SET at = at - INTERVAL 1 MICROSECOND WHERE `or``der` = 1"),
        ),
        (
            edge,
            format!("UPDATE {e} SET `sel \"ect'` = NULL WHERE `or``der` = 2"),
            format!("UPDATE {e} SET `sel \"ect'` = '' WHERE `or``der` = 2"),
        ),
        (
            edge,
            format!("UPDATE {e} SET big = X'00FF5C28' WHERE `or``der` = 4"),
            format!("UPDATE {e} SET big = X'00FF5C27' WHERE `or``der` = 4"),
        ),
        (
            edge,
            format!("UPDATE {e} SET flag = 1 - flag WHERE `or``der` = 2"),
            format!("UPDATE {e} SET flag = 1 - flag WHERE `or``der` = 2"),
        ),
        (
            edge,
            format!("UPDATE {e} SET nc = 'HELLO' WHERE `or``der` = 1"),
            format!("UPDATE {e} SET nc = 'Hello' WHERE `or``der` = 1"),
        ),
        (
            "typed",
            "UPDATE typed SET ratio = 0.10000000000000002e0 WHERE id = 1".into(),
            "UPDATE typed SET ratio = 0.1e0 WHERE id = 1".into(),
        ),
        (
            "typed",
            "UPDATE typed SET amount = amount + 0.0001 WHERE id = 1".into(),
            "UPDATE typed SET amount = amount - 0.0001 WHERE id = 1".into(),
        ),
        (
            "typed",
            "UPDATE typed SET j = '{\"a\": \"é\", \"b\": [1, 2.5, 0]}' WHERE id = 1".into(),
            "UPDATE typed SET j = '{\"b\": [1, 2.5, null], \"a\": \"é\"}' WHERE id = 1".into(),
        ),
        (
            "typed",
            "UPDATE typed SET tm = '23:59:59.999998' WHERE id = 1".into(),
            "UPDATE typed SET tm = '23:59:59.999999' WHERE id = 1".into(),
        ),
        (
            "typed",
            "UPDATE typed SET d = '2024-03-01' WHERE id = 1".into(),
            "UPDATE typed SET d = '2024-02-29' WHERE id = 1".into(),
        ),
        (
            "typed",
            "UPDATE typed SET u = 'c0ffee00-0000-4000-8000-00000000000b' WHERE id = 1".into(),
            "UPDATE typed SET u = 'c0ffee00-0000-4000-8000-00000000000a' WHERE id = 1".into(),
        ),
        (
            "users",
            "UPDATE users SET login = 'admin ' WHERE id = 2".into(),
            "UPDATE users SET login = 'admin' WHERE id = 2".into(),
        ),
    ];
    for (table, change, undo) in &changes {
        assert!(db.exec_all(std::slice::from_ref(change)).await.is_empty(), "{change}");
        let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
        assert!(db.exec_all(std::slice::from_ref(undo)).await.is_empty(), "{undo}");
        assert!(
            problems.len() == 1 && problems[0].starts_with(&format!("{table}: ")),
            "after `{change}` the comparison reports {problems:?}"
        );
    }
    let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    db.drop_db().await;
}

/// A small source with two bad rows: text in an INTEGER column, an impossible date.
const WITH_BAD_ROWS: &str = "
CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, name TEXT, at DATETIME);
CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id), tag TEXT);
INSERT INTO items VALUES (1, 5, 'a', '2024-01-01 10:00'), (2, 'lots', 'b', '2024-01-02'), (3, 7, 'c', NULL),
  (4, 8, 'd', '2024-02-30 00:00:00'), (5, -3, 'e', '2024-03-01T12:00:00');
INSERT INTO tags VALUES (1, 1, 'x'), (2, 3, 'y'), (3, 5, 'z');
";

#[tokio::test(flavor = "multi_thread")]
async fn reject_mode_writes_each_bad_row_and_loads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let src = sqlite_from(dir.path(), "bad.sqlite", WITH_BAD_ROWS);
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_reject").await;
    let rejects = dir.path().join("rejects.jsonl");
    let (code, out, err) = migrate(
        &src,
        &db,
        &dir.path().join("s.json"),
        &["--on-error", "reject", "--reject-file", rejects.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    let got = rejects_of(&rejects);
    let row = |t: &str, k: &str, c: &str, kind: &str| (t.to_string(), k.to_string(), c.to_string(), kind.to_string());
    assert_eq!(got, vec![row("items", "id=2", "qty", "not_an_integer"), row("items", "id=4", "at", "bad_datetime")]);
    let lines = reject_lines(&rejects);
    assert!(lines.iter().any(|l| l["value"] == "'lots'"), "{lines:?}");
    // The rest is exactly the source without the rejected rows.
    let expected = dir.path().join("expected.sqlite");
    std::fs::copy(&src, &expected).unwrap();
    rusqlite::Connection::open(&expected).unwrap().execute_batch("DELETE FROM items WHERE id IN (2, 4)").unwrap();
    let plan = plan_for(&src, Dialect::MariaDb);
    let problems = compare_mariadb(&db.url, &expected, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    check_keys(&db.url, "reject", &src, &plan).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_mode_names_table_row_and_column_and_commits_nothing_of_that_table() {
    let dir = tempfile::tempdir().unwrap();
    let src = sqlite_from(dir.path(), "bad.sqlite", WITH_BAD_ROWS);
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_strict").await;
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &["--jobs", "1"]);
    assert_eq!(code, 3, "{err}\n{out}");
    assert!(
        err.contains("table items") && err.contains("column qty") && err.contains("'lots'") && err.contains("row id=2"),
        "{err}"
    );
    if tables(&db.url).await.contains(&"items".to_string()) {
        assert_eq!(scalar(&db.url, "SELECT count(*) FROM items").await, 0, "nothing of items is committed");
    }
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing_and_lists_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_dry").await;
    let state = dir.path().join("s.json");
    let src = sqlite_from(dir.path(), "bad.sqlite", WITH_BAD_ROWS);
    let (code, out, err) = migrate(&src, &db, &state, &["--dry-run"]);
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(out.contains("DRY RUN") && out.contains("'lots'") && out.contains("2024-02-30"), "{out}");
    assert_eq!(tables(&db.url).await, Vec::<String>::new(), "a dry run creates nothing");
    assert!(!state.exists(), "a dry run writes no state file");
    let (code, out, err) = migrate(&demo_fixture(), &db, &state, &["--dry-run"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(tables(&db.url).await, Vec::<String>::new(), "a dry run creates nothing");
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_already_has_a_table_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_refuse").await;
    let errors = db
        .exec_all(&[
            "CREATE TABLE clients (id INT PRIMARY KEY, note VARCHAR(20))".into(),
            "INSERT INTO clients VALUES (7, 'mine')".into(),
        ])
        .await;
    assert!(errors.is_empty(), "{errors:?}");
    let (code, out, err) = migrate(&demo_fixture(), &db, &dir.path().join("s.json"), &[]);
    // docs/exit-codes.md: refusing to start because target tables exist is exit code 2.
    assert_eq!(code, 2, "{err}\n{out}");
    assert!(err.contains("already has table(s)") && err.contains("clients"), "{err}");
    assert_eq!(tables(&db.url).await, vec!["clients".to_string()], "nothing created");
    let row = text(&db.url, "SELECT concat(id, ':', note) FROM clients").await;
    assert_eq!(row.as_deref(), Some("7:mine"), "the existing table is untouched");
    assert_eq!(scalar(&db.url, "SELECT count(*) FROM clients").await, 1);
    db.drop_db().await;
}

/// The plan's MariaDB DDL rewritten the way an application would have written it:
/// INT ids and integers, TEXT for LONGTEXT.
fn application_ddl(plan: &cutover::plan::Plan) -> Vec<String> {
    plan.statements
        .iter()
        .filter(|s| matches!(s.phase, cutover::plan::Phase::Tables | cutover::plan::Phase::ForeignKeys))
        .map(|s| {
            s.sql
                .replace("BIGINT NOT NULL AUTO_INCREMENT", "INT NOT NULL AUTO_INCREMENT")
                .replace(" BIGINT", " INT")
                .replace(" LONGTEXT", " TEXT")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_mode_converts_to_the_targets_own_types() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_existing").await;
    let plan = plan_for(&demo_fixture(), Dialect::MariaDb);
    let ddl = application_ddl(&plan);
    assert!(ddl.iter().any(|s| s.contains(" INT NOT NULL AUTO_INCREMENT")), "the rewrite did something");
    let errors = db.exec_all(&ddl).await;
    assert!(errors.is_empty(), "{errors:?}");
    let (code, out, err) = migrate(&demo_fixture(), &db, &dir.path().join("s.json"), &["--schema", "existing"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let src = sqlite_file_for(&demo_fixture(), dir.path());
    let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The AUTO_INCREMENT counters are above the loaded keys.
    let ai = scalar(
        &db.url,
        "SELECT CAST(AUTO_INCREMENT AS SIGNED) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users'",
    )
    .await;
    let max = scalar(&db.url, "SELECT CAST(max(id) AS SIGNED) FROM users").await;
    assert!(ai > max, "AUTO_INCREMENT {ai} not above {max}");
    db.drop_db().await;
}

const TEAMS_SOURCE: &str = "
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL, active BOOLEAN, founded DATETIME);
CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams(id), email VARCHAR(80) UNIQUE,
  score NUMERIC(6,2), joined DATE);
INSERT INTO teams VALUES (1, 'Red', 1, '2020-05-01 08:00:00'), (2, 'Blue', 'false', '2021-01-31T23:59:59.5'),
  (3, 'Grün', NULL, NULL);
INSERT INTO members VALUES (1, 1, 'ann@example.com', 12.345, '2022-01-01'), (2, 1, 'bob@example.com', 0.1, NULL),
  (3, 3, NULL, 99.99, '2023-12-31'), (4, NULL, 'Ann@example.com', -5, '2024-02-29');
";

/// Hand-written, the way the application's own migrations would have created it.
const TEAMS_DDL: &[&str] = &[
    "CREATE TABLE teams (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, \
     active TINYINT(1), founded DATETIME(6)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE members (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, team_id INT, \
     email VARCHAR(120) COLLATE utf8mb4_bin UNIQUE, score DECIMAL(6,2), joined DATE, \
     CONSTRAINT members_team FOREIGN KEY (team_id) REFERENCES teams (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "INSERT INTO teams VALUES (100, 'old', 0, '1999-01-01 00:00:00')",
    "INSERT INTO members VALUES (100, 100, 'old@example.com', 1.00, NULL)",
];

#[tokio::test(flavor = "multi_thread")]
async fn existing_mode_with_truncate_replaces_the_rows_of_handwritten_tables() {
    let dir = tempfile::tempdir().unwrap();
    let src = sqlite_from(dir.path(), "teams.sqlite", TEAMS_SOURCE);
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_truncate").await;
    let ddl: Vec<String> = TEAMS_DDL.iter().map(|s| s.to_string()).collect();
    let errors = db.exec_all(&ddl).await;
    assert!(errors.is_empty(), "{errors:?}");
    // Without --truncate: refused, nothing changed.
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &["--schema", "existing"]);
    assert_eq!(code, 2, "{err}\n{out}");
    assert!(err.contains("--truncate"), "{err}");
    assert_eq!(scalar(&db.url, "SELECT count(*) FROM teams WHERE id = 100").await, 1);
    assert_eq!(scalar(&db.url, "SELECT count(*) FROM members WHERE id = 100").await, 1);
    // With --truncate: exactly the source, the old rows gone, FKs still in force.
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s2.json"), &["--schema", "existing", "--truncate"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let plan = plan_for(&src, Dialect::MariaDb);
    let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let fks = scalar(
        &db.url,
        "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
    )
    .await;
    assert_eq!(fks, 1, "the application's FK is still there");
    for t in ["teams", "members"] {
        let ai = scalar(&db.url, &format!("SELECT CAST(AUTO_INCREMENT AS SIGNED) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{t}'")).await;
        let max = scalar(&db.url, &format!("SELECT CAST(max(id) AS SIGNED) FROM {t}")).await;
        assert!(ai > max, "{t}: AUTO_INCREMENT {ai} not above {max}");
    }
    db.drop_db().await;
}

/// An employee table whose rows point forward to their supervisor, as in the demo's
/// `users`: a self-referencing key that the target enforces while loading.
const SELF_REFERENCE_SOURCE: &str = "
CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL, supervisor_id INTEGER REFERENCES staff(id));
INSERT INTO staff VALUES (1, 'boss', NULL), (2, 'ann', 3), (3, 'bob', 1), (4, 'cy', 2);
";

#[tokio::test(flavor = "multi_thread")]
async fn existing_mode_loads_a_self_referencing_table_whose_rows_point_forward() {
    let dir = tempfile::tempdir().unwrap();
    let src = sqlite_from(dir.path(), "staff.sqlite", SELF_REFERENCE_SOURCE);
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_self_reference").await;
    let errors = db
        .exec_all(&["CREATE TABLE staff (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, \
                     supervisor_id INT, CONSTRAINT staff_supervisor FOREIGN KEY (supervisor_id) REFERENCES staff (id)) \
                     ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            .into()])
        .await;
    assert!(errors.is_empty(), "{errors:?}");
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &["--schema", "existing"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let plan = plan_for(&src, Dialect::MariaDb);
    let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    db.drop_db().await;
}

/// A source big enough to be killed in the middle: a chain of tables.
const BIG_ROWS: i64 = 60_000;

fn big_source(dir: &Path) -> PathBuf {
    sqlite_from(
        dir,
        "big.sqlite",
        &format!(
            "CREATE TABLE t0 (id INTEGER PRIMARY KEY, v TEXT, x REAL, at DATETIME);
             CREATE TABLE t1 (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t0(id), v TEXT);
             CREATE TABLE t2 (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t1(id), v TEXT);
             CREATE TABLE t3 (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t2(id), v TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BIG_ROWS})
             INSERT INTO t0 SELECT i, printf('row %d with some text ''q'' \\ é', i), i / 7.0,
               datetime(1700000000 + i * 37, 'unixepoch') FROM n;
             INSERT INTO t1 SELECT id, id, v FROM t0; INSERT INTO t2 SELECT id, id, v FROM t0; INSERT INTO t3 SELECT id, id, v FROM t0;"
        ),
    )
}

/// Run cutover with JSON progress on stderr and SIGKILL it `delay` after the first
/// progress line that contains `trigger`. True when it was killed before it ended.
fn run_and_kill(args: &[String], trigger: &str, delay: std::time::Duration) -> bool {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = false;
    for line in stderr.lines() {
        let Ok(line) = line else { break };
        if line.contains(trigger) {
            seen = true;
            break;
        }
    }
    if seen {
        std::thread::sleep(delay);
    }
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    running
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_runs_resume_to_exactly_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = big_source(dir.path());
    let db = ScratchDb::new(Dialect::MariaDb, "mig_my_resume").await;
    let state = dir.path().join("state.json");
    let args = |resume: bool| {
        let mut a: Vec<String> =
            ["migrate", src.to_str().unwrap(), "--to", &db.url, "--state"].iter().map(|s| s.to_string()).collect();
        a.extend([state.display().to_string(), "--progress".into(), "json".into(), "--jobs".into(), "1".into()]);
        if resume {
            a.push("--resume".into());
        }
        a
    };
    use std::time::Duration;
    // In the middle of the first table's copy.
    assert!(run_and_kill(&args(false), "\"table_started\"", Duration::from_millis(300)), "killed mid-copy");
    assert!(state.exists(), "the state file is written before the copy");
    let recorded: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(recorded["finished"], false);
    // Right after a table committed: between tables.
    assert!(run_and_kill(&args(true), "\"table_done\"", Duration::ZERO), "killed between tables");
    // Once the data is in: during the indexes, keys and AUTO_INCREMENT resets (if that
    // phase ends before the kill lands, the last run simply has less to do).
    run_and_kill(&args(true), "\"phase\":\"after", Duration::ZERO);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover")).args(args(true)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for t in ["t0", "t1", "t2", "t3"] {
        assert_eq!(scalar(&db.url, &format!("SELECT count(*) FROM {t}")).await, BIG_ROWS, "{t}");
    }
    let plan = plan_for(&src, Dialect::MariaDb);
    let problems = compare_mariadb(&db.url, &src, &plan, &[]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    check_keys(&db.url, "resume", &src, &plan).await;
    let fks = scalar(
        &db.url,
        "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
    )
    .await;
    assert_eq!(fks, 3);
    db.drop_db().await;
}
