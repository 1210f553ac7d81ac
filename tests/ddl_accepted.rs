//! The planned DDL of every corpus database and of the demo fixture is accepted by real
//! PostgreSQL, MariaDB and SQLite: every table, index, foreign key and identity reset.
//! Views are translated (src/translate): every view that SQLite itself runs is planned and
//! accepted; the three that SQLite cannot run (sakila's nicer_but_slower_film_list calls
//! LCASE, its actor_info a two-argument DISTINCT group_concat; Northwind's ProductDetails_V
//! names a column Categories lacks) are left out with a warning. tests/views.rs proves the accepted views return SQLite's rows.

mod common;

use std::path::PathBuf;

use common::*;
use cutover::target::Dialect;

fn sources() -> Vec<PathBuf> {
    let mut v = corpus();
    v.push(demo_fixture());
    v
}

async fn check_server(dialect: Dialect) {
    let mut view_total = 0;
    let mut view_failed = Vec::new();
    for path in sources() {
        let plan = plan_for(&path, dialect);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let db = ScratchDb::new(dialect, &format!("ddl_{}_{stem}", dialect.name())).await;
        let sql: Vec<String> = plan.statements.iter().map(|s| s.sql.clone()).collect();
        let errors = db.exec_all(&sql).await;
        let mut hard = Vec::new();
        for (i, e) in errors {
            let st = &plan.statements[i];
            if st.phase == cutover::plan::Phase::Views {
                view_failed.push(format!("{stem}: {}: {e}", st.object));
            } else {
                hard.push(format!("{stem}: {:?} {}: {e}\n{}", st.phase, st.object, st.sql));
            }
        }
        view_total += plan.statements.iter().filter(|s| s.phase == cutover::plan::Phase::Views).count();
        assert!(hard.is_empty(), "{dialect} rejected planned DDL:\n{}", hard.join("\n\n"));
        assert!(
            plan.statements.iter().filter(|s| s.phase == cutover::plan::Phase::Tables).count() >= plan.tables.len(),
            "{stem}: every table has a statement"
        );
        db.drop_db().await;
    }
    for v in &view_failed {
        eprintln!("view rejected (best effort): {v}");
    }
    eprintln!("{dialect}: {} of {view_total} views accepted", view_total - view_failed.len());
    let accepted = view_total - view_failed.len();
    assert_eq!(view_total, 27, "the corpus and demo hold 30 views, 27 of which SQLite runs");
    assert_eq!(accepted, view_total, "{dialect}: every translated view is accepted");
}

#[tokio::test]
async fn ddl_accepted_by_postgres() {
    check_server(Dialect::Postgres).await;
}

#[tokio::test]
async fn ddl_accepted_by_mariadb() {
    check_server(Dialect::MariaDb).await;
}

#[test]
fn ddl_accepted_by_sqlite() {
    for path in sources() {
        let plan = plan_for(&path, Dialect::Sqlite);
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for st in plan.statements.iter().filter(|s| !s.best_effort) {
            conn.execute_batch(&st.sql)
                .unwrap_or_else(|e| panic!("{}: {} rejected: {e}\n{}", path.display(), st.object, st.sql));
        }
    }
}

/// Names and schema features the corpus does not have, built from SQL text at test time:
/// quotes, backticks, brackets, spaces and reserved words in every kind of name; WITHOUT
/// ROWID; STRICT; generated columns; composite and UNIQUE-target foreign keys; a cycle;
/// partial, expression and DESC indexes; NOCASE; defaults of every literal kind.
const HOSTILE: &str = r#"
CREATE TABLE "order" ("select" INTEGER PRIMARY KEY AUTOINCREMENT, [from] TEXT NOT NULL COLLATE NOCASE UNIQUE,
  `group` VARCHAR(20) DEFAULT 'it''s', "we""ird `name` [x]" REAL DEFAULT -1.5, "created at" DATETIME DEFAULT CURRENT_TIMESTAMP,
  flag BOOLEAN NOT NULL DEFAULT TRUE, price NUMERIC(8,2) DEFAULT 0.1, raw BLOB DEFAULT X'00FF',
  total REAL GENERATED ALWAYS AS ("we""ird `name` [x]" * 2) VIRTUAL);
CREATE TABLE "user" (id INTEGER NOT NULL, region TEXT NOT NULL, email TEXT COLLATE RTRIM, manager INTEGER,
  PRIMARY KEY (id, region)) WITHOUT ROWID;
CREATE TABLE "references" (a INTEGER, b TEXT, note TEXT, ref_from TEXT REFERENCES "order"([from]) ON DELETE SET NULL,
  FOREIGN KEY (a, b) REFERENCES "user"(id, region) ON UPDATE CASCADE) STRICT;
CREATE TABLE chicken (id INTEGER PRIMARY KEY, egg_id INTEGER REFERENCES egg(id));
CREATE TABLE egg (id INTEGER PRIMARY KEY, chicken_id INTEGER REFERENCES chicken(id) DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "idx ""quoted""" ON "order" (`group` DESC, "select");
CREATE INDEX idx_lower ON "references" (lower(note));
CREATE UNIQUE INDEX idx_partial ON "references" (note) WHERE a > 0;
CREATE VIEW "big orders" AS SELECT "select", [from] FROM "order" WHERE price > 10;
INSERT INTO "order" ("from", "group", "we""ird `name` [x]", price) VALUES ('Admin', 'g1', 2.5, 12.5), ('x`y"z', 'g2', 1, 3);
INSERT INTO "user" VALUES (1, 'eu', 'a@b.c ', NULL);
INSERT INTO "references" VALUES (1, 'eu', 'n', 'Admin');
"#;

fn hostile_source(dir: &std::path::Path) -> PathBuf {
    let p = dir.join("hostile.sql");
    std::fs::write(&p, HOSTILE).unwrap();
    p
}

async fn hostile_on_server(dialect: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_for(&hostile_source(dir.path()), dialect);
    let db = ScratchDb::new(dialect, &format!("hostile_names_{}", dialect.name())).await;
    let sql: Vec<String> = plan.statements.iter().map(|s| s.sql.clone()).collect();
    let errors = db.exec_all(&sql).await;
    let report: Vec<String> = errors
        .iter()
        .map(|(i, e)| format!("{}: {e}\n{}", plan.statements[*i].object, plan.statements[*i].sql))
        .collect();
    assert!(errors.is_empty(), "{dialect} rejected:\n{}", report.join("\n\n"));
    // The cycle chicken <-> egg is found and one key is deferred.
    assert_eq!(plan.cycles.len(), 1);
    assert_eq!(plan.cycles[0].tables, vec!["chicken".to_string(), "egg".to_string()]);
    // The composite FK and the FK to a UNIQUE non-PK column are kept.
    let refs = plan.table("references").unwrap();
    assert_eq!(refs.foreign_keys.len(), 2, "{:?}", plan.findings);
    assert!(plan.findings.iter().any(|f| f.code == "generated_column"));
    db.drop_db().await;
}

#[tokio::test]
async fn hostile_names_and_features_on_postgres() {
    hostile_on_server(Dialect::Postgres).await;
}

#[tokio::test]
async fn hostile_names_and_features_on_mariadb() {
    hostile_on_server(Dialect::MariaDb).await;
}

#[test]
fn hostile_names_and_features_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_for(&hostile_source(dir.path()), Dialect::Sqlite);
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for st in &plan.statements {
        conn.execute_batch(&st.sql).unwrap_or_else(|e| panic!("{} rejected: {e}\n{}", st.object, st.sql));
    }
    // Names survive exactly.
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for expected in ["order", "user", "references", "chicken", "egg"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
}
