//! The planned DDL of every corpus database and of the demo fixture is accepted by real
//! PostgreSQL, MariaDB and SQLite: every table, index, foreign key and identity reset.
//! Views are best effort by design (SQLite's SQL is not always the target's: datetime(),
//! group_concat(), IF(), text compared with integers); the test prints each one a server
//! rejects and fails if fewer are accepted than today (a regression guard).

mod common;

use std::path::PathBuf;

use common::*;
use cutover::target::Dialect;

fn sources() -> Vec<PathBuf> {
    let mut v = corpus();
    v.push(demo_fixture());
    v
}

async fn check_server(dialect: Dialect, views_accepted_at_least: usize) {
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
            if st.best_effort {
                view_failed.push(format!("{stem}: {}: {e}", st.object));
            } else {
                hard.push(format!("{stem}: {:?} {}: {e}\n{}", st.phase, st.object, st.sql));
            }
        }
        view_total += plan.statements.iter().filter(|s| s.best_effort).count();
        assert!(hard.is_empty(), "{dialect} rejected planned DDL:\n{}", hard.join("\n\n"));
        assert!(
            plan.statements.iter().filter(|s| !s.best_effort).count() >= plan.tables.len(),
            "{stem}: every table has a statement"
        );
        db.drop_db().await;
    }
    for v in &view_failed {
        eprintln!("view rejected (best effort): {v}");
    }
    eprintln!("{dialect}: {} of {view_total} views accepted", view_total - view_failed.len());
    let accepted = view_total - view_failed.len();
    assert_eq!(view_total, 30, "the corpus and demo hold 30 views");
    assert!(
        accepted >= views_accepted_at_least,
        "{dialect}: only {accepted} of {view_total} views accepted; was {views_accepted_at_least}"
    );
}

#[tokio::test]
async fn ddl_accepted_by_postgres() {
    check_server(Dialect::Postgres, 14).await;
}

#[tokio::test]
async fn ddl_accepted_by_mariadb() {
    check_server(Dialect::MariaDb, 23).await;
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
