//! `cutover lint` on fixtures/lint/dirty.sql, where each problem is planted on a known
//! table, row and column (fixtures/lint/README.md lists them). For each server dialect
//! lint must report every planted problem on its table and column, name the planted row
//! in the samples of every error, and report nothing else at error or warning level. Exit
//! 1 when there are errors. The demo fixture is clean: exit 0 and no error.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// The column whose name is 64 characters but 67 bytes: too long for PostgreSQL (63
/// bytes), short enough for MariaDB (64 characters).
const LONG_COLUMN: &str = "dirección_de_envío_preferida_para_los_pedidos_de_atención_al_cli";

/// Rows in the fixture's six tables (the virtual table and its shadow tables are not read).
const DIRTY_ROWS: u64 = 23;

/// One finding lint must report: where, and the row keys its samples must name.
#[derive(Debug, Clone, Copy)]
struct Expected {
    level: &'static str,
    code: &'static str,
    table: &'static str,
    column: Option<&'static str>,
    /// Every key must be named by a sample; for an error, `count` must be their number.
    keys: &'static [&'static str],
}

const fn error(
    code: &'static str,
    table: &'static str,
    column: &'static str,
    keys: &'static [&'static str],
) -> Expected {
    Expected { level: "error", code, table, column: Some(column), keys }
}

const fn warning(code: &'static str, table: &'static str, column: Option<&'static str>) -> Expected {
    Expected { level: "warning", code, table, column, keys: &[] }
}

/// What both dialects must report.
const BOTH: &[Expected] = &[
    error("not_a_boolean", "customers", "active", &["id=2"]),
    error("bad_datetime", "customers", "signed_up", &["id=3"]),
    error("invalid_json", "customers", "prefs", &["id=4"]),
    error("not_an_integer", "customers", "visits", &["id=5"]),
    error("out_of_range", "customers", "lifetime_points", &["id=6"]),
    error("too_long", "customers", "nickname", &["id=7"]),
    error("decimal_overflow", "customers", "balance", &["id=8"]),
    error("invalid_utf8", "notes", "title", &["id=3"]),
    error("fk_orphans", "orders", "customer_id", &["id=3"]),
    warning("epoch_integers", "orders", Some("placed_at")),
    Expected { keys: &["id=2"], ..warning("mixed_storage", "notes", Some("extra")) },
    // The trigger and the virtual table, each once: their findings are named after the object.
    warning("not_migrated", "orders_touch", None),
    warning("not_migrated", "notes_search", None),
    // Galera and other clustered targets need a primary key; verify compares such a table as a multiset.
    warning("no_primary_key", "audit_log", None),
];

const POSTGRES: &[Expected] = &[
    error("nul_in_text", "notes", "body", &["id=2"]),
    warning("name_shortened", "shipping_prefs", Some(LONG_COLUMN)),
    // A consequence of the NOCASE column planted for MariaDB's collision: PostgreSQL compares it case-sensitively.
    warning("collation_not_kept", "customers", Some("handle")),
];

const MARIADB: &[Expected] = &[
    error("not_finite", "readings", "celsius", &["id=2"]),
    error("unique_collision", "customers", "handle", &["id=9", "id=10"]),
    // Consequences of the planted NOCASE UNIQUE text column: sensible, and expected.
    warning("nocase_folds_accents", "customers", Some("handle")),
    warning("key_text_sized", "customers", Some("handle")),
];

fn dirty() -> String {
    repo().join("fixtures/lint/dirty.sql").display().to_string()
}

type Place = (String, String, String, Option<String>);

fn place_of(e: &Expected) -> Place {
    (e.level.into(), e.code.into(), e.table.into(), e.column.map(Into::into))
}

fn place_of_finding(f: &Value) -> Place {
    let s = |k: &str| f[k].as_str().map(str::to_string);
    (s("level").unwrap_or_default(), s("code").unwrap_or_default(), s("table").unwrap_or_default(), s("column"))
}

fn show(p: &Place) -> String {
    let (level, code, table, column) = p;
    match column {
        Some(c) => format!("{level} {code} {table}.{c}"),
        None => format!("{level} {code} {table}"),
    }
}

/// `cutover lint SOURCE --dialect D --json`: exit code and the report.
fn lint_json(source: &str, dialect: &str) -> (i32, Value) {
    let (code, out, err) = run_cutover(&["lint", source, "--dialect", dialect, "--json"]);
    let report = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("lint {source} --dialect {dialect} --json printed no JSON ({e}): {err}\n{out}"));
    (code, report)
}

/// True when a sample key names `key` as a whole `column=value` part (`id=1` is not in `id=10`).
fn names_key(sample_key: &str, key: &str) -> bool {
    sample_key.split([',', '/', ';', ' ']).any(|part| part == key)
}

/// Everything wrong with the JSON report of the dirty fixture for one dialect, and the report.
fn problems_in_json(dialect: &str, expected: &[Expected]) -> (Vec<String>, Value) {
    let mut problems = Vec::new();
    let (code, report) = lint_json(&dirty(), dialect);
    if code != 1 {
        problems.push(format!("exit code {code}, expected 1 (errors were planted)"));
    }
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let reported: Vec<&Value> = findings.iter().filter(|f| f["level"] != "info").collect();

    // Every planted problem, and nothing else, at error and warning level.
    let want: BTreeSet<Place> = expected.iter().map(place_of).collect();
    let got: BTreeSet<Place> = reported.iter().map(|f| place_of_finding(f)).collect();
    for p in want.difference(&got) {
        problems.push(format!("planted but not reported: {}", show(p)));
    }
    for p in got.difference(&want) {
        let f = reported.iter().find(|f| &place_of_finding(f) == p).unwrap();
        problems.push(format!("reported but not planted: {} ({})", show(p), f["message"]));
    }

    // The samples name the planted rows; the count is the number of planted rows.
    for e in expected.iter().filter(|e| !e.keys.is_empty()) {
        let Some(f) = reported.iter().find(|f| place_of_finding(f) == place_of(e)) else { continue };
        let keys: Vec<&str> = f["samples"].as_array().into_iter().flatten().filter_map(|s| s["key"].as_str()).collect();
        for k in e.keys {
            if !keys.iter().any(|s| names_key(s, k)) {
                problems.push(format!(
                    "{}: no sample names the planted row {k}; sample keys {keys:?}, samples {}",
                    show(&place_of(e)),
                    f["samples"]
                ));
            }
        }
        if e.level == "error" && f["count"] != e.keys.len() {
            problems.push(format!("{}: count {}, expected {}", show(&place_of(e)), f["count"], e.keys.len()));
        }
    }

    // The summary counts the findings it lists.
    let count = |level: &str| findings.iter().filter(|f| f["level"] == level).count();
    if report["errors"] != count("error") || report["warnings"] != count("warning") {
        problems.push(format!(
            "summary says {} error(s), {} warning(s); the findings hold {} and {}",
            report["errors"],
            report["warnings"],
            count("error"),
            count("warning")
        ));
    }
    if report["rows_read"] != DIRTY_ROWS {
        problems.push(format!("rows_read {}, the fixture's tables hold {DIRTY_ROWS}", report["rows_read"]));
    }
    (problems, report)
}

/// Everything wrong with the human report of the dirty fixture for one dialect, whose
/// summary must agree with the JSON report's.
fn problems_in_human(dialect: &str, expected: &[Expected], json: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let (code, out, err) = run_cutover(&["lint", &dirty(), "--dialect", dialect]);
    if code != 1 {
        problems.push(format!("human report: exit code {code}, expected 1 ({err})"));
    }
    // One block per finding: its header line and the indented lines under it.
    let blocks: Vec<&str> = out.split("\n\n").collect();
    for e in expected.iter().filter(|e| e.level == "error") {
        let header = format!("error [{}] {}.{}", e.code, e.table, e.column.unwrap_or_default());
        match blocks.iter().find(|b| b.starts_with(&format!("{header}:")) || b.starts_with(&format!("{header} ("))) {
            None => problems.push(format!("human report: no block starting with {header:?}")),
            Some(b) if !b.lines().any(|l| l.starts_with("  fix: ") && l.len() > "  fix: ".len()) => {
                problems.push(format!("human report: {header:?} has no fix line:\n{b}"))
            }
            Some(_) => {}
        }
    }
    let summary = format!("NOT READY: {} error(s), {} warning(s)", json["errors"], json["warnings"]);
    if !out.contains(&summary) {
        problems.push(format!("human report: no line {summary:?}"));
    }
    // Every planted row is listed, so nothing may be announced as hidden.
    for l in out.lines().filter(|l| l.trim_start().starts_with("… ")) {
        problems.push(format!("human report says rows are not shown, but every planted row fits the samples: {l:?}"));
    }
    // The report is text a terminal, a pager and grep can take: no raw control characters.
    if let Some(l) = out.lines().find(|l| l.chars().any(|c| c.is_control() && c != '\t')) {
        problems.push(format!("human report prints a raw control character: {l:?}"));
    }
    problems
}

fn assert_lint_finds_exactly(dialect: &str, only_here: &[Expected]) {
    let expected: Vec<Expected> = BOTH.iter().chain(only_here).copied().collect();
    let (mut problems, report) = problems_in_json(dialect, &expected);
    problems.extend(problems_in_human(dialect, &expected, &report));
    assert!(
        problems.is_empty(),
        "lint {} --dialect {dialect}:\n  {}\n\nreport:\n{}",
        dirty(),
        problems.join("\n  "),
        run_cutover(&["lint", &dirty(), "--dialect", dialect]).1.replace('\0', "\\0")
    );
}

#[test]
fn lint_finds_every_planted_problem_and_nothing_else_for_postgres() {
    assert_lint_finds_exactly("postgres", POSTGRES);
}

#[test]
fn lint_finds_every_planted_problem_and_nothing_else_for_mariadb() {
    assert_lint_finds_exactly("mariadb", MARIADB);
}

#[test]
fn lint_passes_the_demo_fixture_for_both_servers() {
    let demo = demo_fixture().display().to_string();
    for dialect in ["postgres", "mariadb"] {
        let (code, report) = lint_json(&demo, dialect);
        let errors: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["level"] == "error")
            .map(|f| format!("{} {} {}: {}", f["code"], f["table"], f["column"], f["message"]))
            .collect();
        assert!(errors.is_empty(), "{dialect}: the demo has error findings:\n{}", errors.join("\n"));
        assert_eq!(report["errors"], 0, "{dialect}: {report}");
        assert_eq!(code, 0, "{dialect}: exit code of lint on the clean demo");
        let (code, out, err) = run_cutover(&["lint", &demo, "--dialect", dialect]);
        assert_eq!(code, 0, "{dialect}: exit code of the human report ({err})\n{out}");
        assert!(out.contains("READY: 0 error(s)") && !out.contains("NOT READY"), "{dialect}:\n{out}");
    }
}

/// A database file is read on two connections (key checks beside the value scan), a
/// `.sql` dump on one: both report exactly the same findings.
#[test]
fn a_database_file_and_its_dump_give_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dirty.sqlite");
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch(&std::fs::read_to_string(dirty()).unwrap()).unwrap();
    drop(db);
    for dialect in ["postgres", "mariadb"] {
        let (code_dump, from_dump) = lint_json(&dirty(), dialect);
        let (code_file, from_file) = lint_json(file.to_str().unwrap(), dialect);
        assert_eq!(code_dump, code_file, "{dialect}");
        assert_eq!(from_dump["findings"], from_file["findings"], "{dialect}: findings differ");
        assert_eq!(from_dump["rows_read"], from_file["rows_read"], "{dialect}");
    }
}

/// A table with more rows than all the others is read in two rowid ranges on a file (one
/// scan on a dump): its findings are merged into those of one scan, with the counts of
/// both ranges, the samples in row order, and a storage class that appears only in the
/// second range making the column mixed, sampled at its first row.
#[test]
fn a_table_read_in_two_ranges_reports_as_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "CREATE TABLE small (id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO small VALUES (1, 'a');
         CREATE TABLE big (id INTEGER PRIMARY KEY, flag BOOLEAN, note);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 150000)
           INSERT INTO big SELECT i,
             CASE WHEN i IN (10, 140000, 149999) THEN 'maybe' ELSE i % 2 END,
             CASE WHEN i <= 75000 THEN i ELSE 'n' || i END FROM s;";
    let dump = dir.path().join("big.sql");
    std::fs::write(&dump, sql).unwrap();
    let file = dir.path().join("big.sqlite");
    rusqlite::Connection::open(&file).unwrap().execute_batch(sql).unwrap();
    let (code_file, from_file) = lint_json(file.to_str().unwrap(), "postgres");
    let (code_dump, from_dump) = lint_json(dump.to_str().unwrap(), "postgres");
    assert_eq!((code_file, code_dump), (1, 1));
    assert_eq!(from_dump["findings"], from_file["findings"], "findings differ");
    assert_eq!(from_file["rows_read"], 150_001);
    let finding = |code: &str| {
        from_file["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code && f["table"] == "big")
            .unwrap_or_else(|| panic!("no {code} finding on big: {from_file}"))
            .clone()
    };
    let keys = |f: &Value| -> Vec<String> {
        f["samples"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap().to_string()).collect()
    };
    let flags = finding("not_a_boolean");
    assert_eq!((flags["column"].as_str(), flags["count"].as_u64()), (Some("flag"), Some(3)), "{flags}");
    assert_eq!(keys(&flags), ["id=10", "id=140000", "id=149999"]);
    let mixed = finding("mixed_storage");
    assert_eq!(mixed["column"], "note", "{mixed}");
    assert_eq!(keys(&mixed), ["id=75001"], "the first text value is the sample: {mixed}");
}
