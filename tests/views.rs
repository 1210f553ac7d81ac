//! Views are translated, not copied: every view that runs in SQLite exists in the target
//! after `migrate` and returns SQLite's rows there.
//!
//! Sources: every corpus database with views, a copy of Northwind with its orders shifted
//! into 1996–1998 (its views filter on 1997; the data runs 2016–2018), and our own fixture
//! (tests/fixtures/views.sql), whose every view returns rows.
//!
//! Rows are compared as multisets of canonical texts (`canonical` below):
//! - NULL is NULL;
//! - a value that reads as a number (either side, text included) is compared by value, to
//!   nine significant digits (SQLite computes in doubles, the targets partly in decimals);
//! - a value that reads as a date or date-time (`YYYY-MM-DD[ HH:MM[:SS[.fff]]]`, space or
//!   T) is compared as a date-time, a bare date meaning midnight: SQLite keeps dates as text,
//!   the targets as dates and timestamps;
//! - where the target column is a boolean, SQLite's value is read through cutover's boolean
//!   rules (0/1, 't'/'f', 'true'/'false', 'yes'/'no') and both sides are 1/0;
//! - blobs are compared as upper-case hex; other text exactly;
//! - in a view that calls group_concat() without ORDER BY, whose order SQLite leaves
//!   unspecified (sakila's film_list), a text is compared as the sorted list of its
//!   comma-separated parts, so that the same parts in another order match.
//!
//! Each test prints the count per database and engine (`cargo nextest run --test views
//! --no-capture`).

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use sqlx::{Connection, Row};

/// One row, as canonical texts.
type Rows = Vec<Vec<String>>;

fn number(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") || t.to_ascii_lowercase().contains("inf") {
        return None;
    }
    t.parse::<f64>().ok().map(|v| if v == 0.0 { "0".into() } else { format!("{v:.8e}") })
}

fn datetime(s: &str) -> Option<String> {
    let s = s.trim().replace('T', " ");
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&s, f) {
            return Some(t.format("%Y-%m-%d %H:%M:%S").to_string());
        }
    }
    chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().map(|d| d.format("%Y-%m-%d 00:00:00").to_string())
}

fn boolean(s: &str) -> Option<&'static str> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "yes" | "y" | "on" => Some("1"),
        "0" | "f" | "false" | "no" | "n" | "off" => Some("0"),
        _ => None,
    }
}

/// The canonical text of a value (see the module's doc).
fn canonical(v: Option<&str>, target_is_bool: bool) -> String {
    let Some(s) = v else { return "NULL".into() };
    if target_is_bool {
        if let Some(b) = boolean(s) {
            return b.into();
        }
    }
    number(s).or_else(|| datetime(s)).unwrap_or_else(|| s.to_string())
}

/// The views SQLite can run, with the names of their columns.
fn sqlite_views(path: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c.prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name").unwrap();
    let names: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    names.into_iter().filter(|n| c.prepare(&format!("SELECT * FROM {}", sqlite_quote(n))).is_ok()).collect()
}

fn sqlite_rows(path: &Path, view: &str, bools: &[bool]) -> Rows {
    use rusqlite::types::ValueRef;
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c.prepare(&format!("SELECT * FROM {}", sqlite_quote(view))).unwrap();
    let n = st.column_count();
    let mut rows = st.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        let mut row = Vec::new();
        for i in 0..n {
            let b = bools.get(i).copied().unwrap_or(false);
            row.push(match r.get_ref(i).unwrap() {
                ValueRef::Null => "NULL".into(),
                ValueRef::Integer(v) => canonical(Some(&v.to_string()), b),
                ValueRef::Real(v) => canonical(Some(&v.to_string()), b),
                ValueRef::Text(t) => canonical(Some(&String::from_utf8_lossy(t)), b),
                ValueRef::Blob(x) => x.iter().map(|b| format!("{b:02X}")).collect(),
            });
        }
        out.push(row);
    }
    out.sort();
    out
}

/// The target's rows of a view, and which of its columns are booleans.
async fn target_rows(db: &ScratchDb, view: &str) -> Result<(Rows, Vec<bool>), String> {
    match db.dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.map_err(|e| e.to_string())?;
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(view)
            .fetch_all(&mut c)
            .await
            .map_err(|e| e.to_string())?;
            if cols.is_empty() {
                return Err("the view does not exist in the target".into());
            }
            let select: Vec<String> = cols
                .iter()
                .map(|(n, t)| {
                    let q = format!("\"{}\"", n.replace('"', "\"\""));
                    if t == "bytea" {
                        format!("upper(encode({q}, 'hex'))")
                    } else {
                        format!("CAST({q} AS text)")
                    }
                })
                .collect();
            let sql = format!("SELECT {} FROM \"{}\"", select.join(", "), view.replace('"', "\"\""));
            let rows = sqlx::query(&sql).fetch_all(&mut c).await.map_err(|e| e.to_string())?;
            let bools: Vec<bool> = cols.iter().map(|(_, t)| t == "boolean").collect();
            let mut out: Rows = rows
                .iter()
                .map(|r| {
                    (0..cols.len())
                        .map(|i| canonical(r.try_get::<Option<String>, _>(i).unwrap().as_deref(), bools[i]))
                        .collect()
                })
                .collect();
            out.sort();
            Ok((out, bools))
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.map_err(|e| e.to_string())?;
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            )
            .bind(view)
            .fetch_all(&mut c)
            .await
            .map_err(|e| e.to_string())?;
            if cols.is_empty() {
                return Err("the view does not exist in the target".into());
            }
            let select: Vec<String> = cols
                .iter()
                .map(|(n, t)| {
                    let q = my_quote(n);
                    if t.contains("blob") || t.contains("binary") {
                        format!("HEX({q})")
                    } else {
                        format!("CAST({q} AS CHAR)")
                    }
                })
                .collect();
            let sql = format!("SELECT {} FROM {}", select.join(", "), my_quote(view));
            let rows = sqlx::query(&sql).fetch_all(&mut c).await.map_err(|e| e.to_string())?;
            let bools: Vec<bool> = cols.iter().map(|(_, t)| t == "tinyint(1)").collect();
            let mut out: Rows = rows
                .iter()
                .map(|r| (0..cols.len()).map(|i| canonical(my_text(r, i).as_deref(), bools[i])).collect())
                .collect();
            out.sort();
            Ok((out, bools))
        }
    }
}

/// Whether a view concatenates with group_concat() and no ORDER BY inside it.
fn unordered_concatenation(path: &Path, view: &str) -> bool {
    let c = rusqlite::Connection::open(path).unwrap();
    let sql: String =
        c.query_row("SELECT sql FROM sqlite_schema WHERE name = ?1", [view], |r| r.get(0)).unwrap_or_default();
    let sql = sql.to_ascii_lowercase();
    sql.contains("group_concat(")
        && !sql.split("group_concat(").skip(1).any(|rest| rest.split(')').next().unwrap_or("").contains("order by"))
}

/// Every text as its comma-separated parts, sorted.
fn parts_sorted(rows: Rows) -> Rows {
    let mut out: Rows = rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| {
                    let mut p: Vec<&str> = v.split(',').map(str::trim).collect();
                    p.sort_unstable();
                    p.join(",")
                })
                .collect()
        })
        .collect();
    out.sort();
    out
}

/// What one source gave on one engine.
struct Tally {
    source: String,
    views: usize,
    matching: usize,
    empty: Vec<String>,
    failures: Vec<String>,
    /// Views verify found equal, and those it lists as not comparable.
    verify_match: usize,
    not_comparable: Vec<String>,
}

/// Migrate one source (create mode) and compare every view SQLite runs.
async fn check_source(dialect: Dialect, test: &str, source: &Path, label: &str) -> Tally {
    let db = ScratchDb::new(dialect, &format!("{test}_{label}")).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let (code, out, err) = migrate(source, &db, &state, &[]);
    assert_eq!(code, 0, "{label}: migrate failed:\n{out}\n{err}");
    let views = sqlite_views(source);
    let mut tally = Tally {
        source: label.into(),
        views: views.len(),
        matching: 0,
        empty: vec![],
        failures: vec![],
        verify_match: 0,
        not_comparable: vec![],
    };
    for v in &views {
        match target_rows(&db, v).await {
            Err(e) => tally.failures.push(format!("{label}/{v}: {e}")),
            Ok((actual, bools)) => {
                let mut expected = sqlite_rows(source, v, &bools);
                let mut actual = actual;
                if expected != actual && unordered_concatenation(source, v) {
                    expected = parts_sorted(expected);
                    actual = parts_sorted(actual);
                }
                if expected == actual {
                    tally.matching += 1;
                    if expected.is_empty() {
                        tally.empty.push(v.clone());
                    }
                } else {
                    let missing: Vec<&Vec<String>> = expected.iter().filter(|r| !actual.contains(r)).take(3).collect();
                    let extra: Vec<&Vec<String>> = actual.iter().filter(|r| !expected.contains(r)).take(3).collect();
                    tally.failures.push(format!(
                        "{label}/{v}: {} rows in SQLite, {} in the target; only in SQLite {missing:?}; only in the target {extra:?}",
                        expected.len(),
                        actual.len()
                    ));
                }
            }
        }
    }
    // verify compares the same views itself (a part of its report of its own).
    let (code, out, err) = verify(source, &db, &state, &["--json"]);
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{label}: verify printed no JSON ({e}): {err}"));
    let verdicts = report["views"].as_array().cloned().unwrap_or_default();
    for v in &verdicts {
        let status = v["status"].as_str().unwrap_or("");
        if status != "match" && status != "not comparable" {
            tally.failures.push(format!("{label}/{}: verify says {status}: {}", v["view"], v["reason"]));
        }
    }
    tally.verify_match = verdicts.iter().filter(|v| v["status"] == "match").count();
    tally.not_comparable = verdicts
        .iter()
        .filter(|v| v["status"] == "not comparable")
        .map(|v| format!("{} ({})", v["view"].as_str().unwrap_or(""), v["reason"].as_str().unwrap_or("")))
        .collect();
    if verdicts.len() != views.len() {
        tally.failures.push(format!("{label}: verify lists {} views, SQLite runs {}", verdicts.len(), views.len()));
    }
    if code != 0 && tally.failures.is_empty() {
        tally.failures.push(format!("{label}: verify exit {code}: {err}"));
    }
    if tally.failures.is_empty() {
        db.drop_db().await;
    }
    tally
}

/// Northwind with its order dates moved 20 years back, into the range its views filter on.
fn shifted_northwind(dir: &Path) -> PathBuf {
    let path = dir.join("northwind-1997.sqlite");
    std::fs::copy(repo().join("../shared/corpus/northwind.sqlite"), &path).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "UPDATE Orders SET OrderDate = date(OrderDate, '-20 years'), RequiredDate = date(RequiredDate, '-20 years'), \
         ShippedDate = date(ShippedDate, '-20 years');",
    )
    .unwrap();
    path
}

/// Our own fixture, built from SQL text.
fn fixture(dir: &Path) -> PathBuf {
    let path = dir.join("views.sqlite");
    let sql = std::fs::read_to_string(repo().join("tests/fixtures/views.sql")).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(&sql).unwrap();
    path
}

fn sources(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = corpus()
        .into_iter()
        .filter(|p| !sqlite_views(p).is_empty())
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.push(("northwind-1997".into(), shifted_northwind(dir)));
    out.push(("fixture".into(), fixture(dir)));
    out
}

async fn every_view_returns_sqlites_rows(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut tallies = Vec::new();
    for (label, path) in sources(dir.path()) {
        tallies.push(check_source(dialect, test, &path, &label).await);
    }
    let mut failures = Vec::new();
    let (mut total, mut matching) = (0, 0);
    for t in &tallies {
        eprintln!(
            "{dialect}: {:<32} {:>3} of {:>3} views return SQLite's rows{}",
            t.source,
            t.matching,
            t.views,
            if t.empty.is_empty() {
                String::new()
            } else {
                format!(" ({} of them empty: {})", t.empty.len(), t.empty.join(", "))
            }
        );
        eprintln!(
            "{dialect}: {:<32} verify: {} match, not comparable: {}",
            t.source,
            t.verify_match,
            if t.not_comparable.is_empty() { "none".to_string() } else { t.not_comparable.join("; ") }
        );
        total += t.views;
        matching += t.matching;
        failures.extend(t.failures.iter().cloned());
    }
    eprintln!("{dialect}: {matching} of {total} views return SQLite's rows");
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{dialect}: {} of {total} views differ or are missing:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let fixture = tallies.iter().find(|t| t.source == "fixture").unwrap();
    assert!(fixture.views >= 40, "the fixture has {} views", fixture.views);
    assert!(fixture.empty.is_empty(), "every fixture view returns rows; empty: {:?}", fixture.empty);
}

on_both_engines!(every_view_returns_sqlites_rows, every_view_returns_sqlites_rows);

/// A view that cannot be translated: a warning that names it and the construct in
/// best-effort (the data still lands), and exit 3 with nothing written in strict mode.
async fn untranslatable_view_is_a_warning_or_refused(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("printf.sqlite");
    rusqlite::Connection::open(&source)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n REAL); INSERT INTO t VALUES (1, 2.5), (2, 3.25);
             CREATE VIEW formatted AS SELECT id, printf('%.1f', n) AS s FROM t;
             CREATE VIEW plain AS SELECT id FROM t WHERE n > 3;",
        )
        .unwrap();
    let db = ScratchDb::new(dialect, &format!("{test}_strict")).await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("strict.json"), &["--views", "strict"]);
    assert_eq!(code, 3, "strict: exit 3\n{out}\n{err}");
    assert!(err.contains("formatted") && err.contains("printf()"), "strict names the view and the construct: {err}");
    assert!(target_rows(&db, "plain").await.is_err(), "strict: nothing is written");
    db.drop_db().await;

    let db = ScratchDb::new(dialect, &format!("{test}_best")).await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("best.json"), &[]);
    assert_eq!(code, 0, "best-effort: the migration goes on\n{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(all.contains("formatted") && all.contains("printf()"), "best-effort warns, naming the view: {all}");
    let (rows, _) = target_rows(&db, "plain").await.unwrap();
    assert_eq!(rows, vec![vec!["2.00000000e0".to_string()]], "the other view and the data landed");
    db.drop_db().await;

    let db = ScratchDb::new(dialect, &format!("{test}_skip")).await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("skip.json"), &["--views", "skip"]);
    assert_eq!(code, 0, "skip: {out}\n{err}");
    assert!(!format!("{out}{err}").contains("printf()"), "skip: no warning about a view it does not try: {out}{err}");
    assert!(target_rows(&db, "plain").await.is_err(), "skip: no view is created");
    db.drop_db().await;
}

on_both_engines!(untranslatable_view_is_a_warning_or_refused, untranslatable_view_is_a_warning_or_refused);

/// CHECK constraints are translated and created after the data: the target refuses a row
/// that breaks one. A source row that breaks one is a lint finding with its key; migrate
/// leaves that check out with a warning (best-effort) or refuses to start (strict).
async fn checks_are_created_and_enforced(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("checks.sqlite");
    let c = rusqlite::Connection::open(&source).unwrap();
    c.execute_batch(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, price REAL CHECK (price >= 0), qty INTEGER, active BOOLEAN,
           code TEXT, made DATE,
           CHECK (qty BETWEEN 0 AND 100), CHECK (active IN (0, 1)), CHECK (length(code) <= 5),
           CHECK (code GLOB '[A-Z]*'), CHECK (made >= '2000-01-01'));
         INSERT INTO p VALUES (1, 2.5, 10, 1, 'AB', '2020-01-02'), (2, 0, 0, 0, 'XYZ', NULL);",
    )
    .unwrap();
    let db = ScratchDb::new(dialect, &format!("{test}_ok")).await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("ok.json"), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!format!("{out}{err}").contains("not created"), "every check is created: {out}{err}");
    let tref = if dialect == Dialect::Postgres { "\"p\"" } else { "`p`" };
    let bad = [
        format!("INSERT INTO {tref} VALUES (3, -1, 1, TRUE, 'A', NULL)"),
        format!("INSERT INTO {tref} VALUES (4, 1, 101, TRUE, 'A', NULL)"),
        format!("INSERT INTO {tref} VALUES (5, 1, 1, TRUE, 'TOOLONG', NULL)"),
        format!("INSERT INTO {tref} VALUES (6, 1, 1, TRUE, 'lower', NULL)"),
        format!("INSERT INTO {tref} VALUES (7, 1, 1, TRUE, 'A', '1999-12-31')"),
    ];
    let errors = db.exec_all(&bad).await;
    assert_eq!(errors.len(), bad.len(), "the target refuses every row that breaks a check: {errors:?}");
    let good = [format!("INSERT INTO {tref} VALUES (8, 1, 1, TRUE, 'A', '2001-01-01')")];
    assert!(db.exec_all(&good).await.is_empty(), "and accepts one that breaks none");
    db.drop_db().await;

    // A row SQLite let in (checks ignored) breaks the price check.
    c.execute_batch("PRAGMA ignore_check_constraints = 1; INSERT INTO p VALUES (9, -3, 5, 1, 'Q', NULL);").unwrap();
    drop(c);
    let (code, out, _) = run_cutover(&["lint", source.to_str().unwrap(), "--dialect", dialect.name(), "--json"]);
    let lint: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found = lint["findings"].as_array().unwrap().iter().find(|f| f["code"] == "check_violated").cloned();
    let found = found.unwrap_or_else(|| panic!("lint names the violation: {out}"));
    assert_eq!(found["table"], "p");
    assert_eq!(found["column"], "price");
    assert!(found["samples"][0]["key"].as_str().unwrap().contains("id=9"), "{found}");
    assert_eq!(code, 0, "lint: in best-effort the violation is a warning, not an error");

    let db = ScratchDb::new(dialect, &format!("{test}_best")).await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("best.json"), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(format!("{out}{err}").contains("price >= 0"), "the check left out is named: {out}{err}");
    db.drop_db().await;

    let db = ScratchDb::new(dialect, &format!("{test}_strict")).await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("strict.json"), &["--checks", "strict"]);
    assert_eq!(code, 3, "strict refuses: {out}\n{err}");
    assert!(err.contains("id=9"), "{err}");
    db.drop_db().await;
}

on_both_engines!(checks_are_created_and_enforced, checks_are_created_and_enforced);

/// Index expressions and partial-index WHERE clauses go through the same translator: on
/// PostgreSQL a partial unique index on a boolean compared with 1 enforces what SQLite's
/// did; MariaDB has neither kind and leaves them out with a warning, as before.
#[tokio::test(flavor = "multi_thread")]
async fn index_expressions_are_translated_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("idx.sqlite");
    rusqlite::Connection::open(&source)
        .unwrap()
        .execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, is_active BOOLEAN, joined DATETIME);
             CREATE UNIQUE INDEX one_active_email ON users (email) WHERE is_active = 1;
             CREATE INDEX by_lower_email ON users (lower(email));
             CREATE INDEX by_year ON users (substr(email, 1, 3)) WHERE joined >= '2020-01-01';
             INSERT INTO users VALUES (1, 'a@x', 1, '2021-01-01'), (2, 'a@x', 0, NULL);",
        )
        .unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "index_expressions_are_translated_on_postgres").await;
    let (code, out, err) = migrate(&source, &db, &dir.path().join("s.json"), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let errors = db
        .exec_all(&[
            "INSERT INTO users VALUES (3, 'a@x', FALSE, NULL)".into(),
            "INSERT INTO users VALUES (4, 'a@x', TRUE, NULL)".into(),
        ])
        .await;
    assert_eq!(errors.len(), 1, "a second active a@x is refused, an inactive one is not: {errors:?}");
    assert_eq!(errors[0].0, 1, "{errors:?}");
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    let defs: Vec<(String,)> =
        sqlx::query_as("SELECT indexdef FROM pg_indexes WHERE tablename = 'users' ORDER BY indexname")
            .fetch_all(&mut c)
            .await
            .unwrap();
    let defs: Vec<String> = defs.into_iter().map(|d| d.0).collect();
    assert!(defs.iter().any(|d| d.contains("lower(email)")), "{defs:?}");
    assert!(defs.iter().any(|d| d.contains("WHERE (is_active = true)")), "{defs:?}");
    assert!(defs.iter().any(|d| d.contains("substr(email, 1, 3)") && d.contains("joined >=")), "{defs:?}");
    db.drop_db().await;
}
