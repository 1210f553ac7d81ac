use super::*;

fn catalog() -> Catalog {
    let col = |n: &str, ty: Ty| Column { source: n.into(), target: n.into(), ty };
    Catalog {
        relations: vec![
            Relation {
                source: "user".into(),
                target: "user".into(),
                columns: vec![col("id", Ty::Int), col("username", Ty::Text), col("is_active", Ty::Bool)],
                rowid: Some("id".into()),
                is_view: false,
            },
            Relation {
                source: "Orders".into(),
                target: "Orders".into(),
                columns: vec![col("Id", Ty::Int), col("OrderDate", Ty::Timestamp), col("Flag", Ty::Text)],
                rowid: Some("Id".into()),
                is_view: false,
            },
        ],
    }
}

fn pg(sql: &str) -> String {
    view(sql, "v", &[], &catalog(), flavor(Dialect::Postgres).unwrap(), None).unwrap().sql
}

fn my(sql: &str) -> String {
    view(sql, "v", &[], &catalog(), flavor(Dialect::MariaDb).unwrap(), None).unwrap().sql
}

#[test]
fn names_resolve_in_their_own_table() {
    let sql = pg("CREATE VIEW v AS SELECT id, username FROM \"user\" WHERE is_active = 1");
    assert!(sql.contains("SELECT \"id\", \"username\" FROM \"user\" WHERE \"is_active\" = TRUE"), "{sql}");
}

#[test]
fn text_column_against_a_number_compares_text() {
    let sql = pg("CREATE VIEW v AS SELECT Id FROM Orders WHERE Flag=0");
    assert!(sql.contains("\"Flag\" = '0'"), "{sql}");
    let sql = my("CREATE VIEW v AS SELECT Id FROM Orders WHERE Flag=0");
    assert!(sql.contains("`Flag` = '0'"), "{sql}");
}

#[test]
fn datetime_literals_and_modifiers() {
    let sql = pg("CREATE VIEW v AS SELECT Id FROM Orders WHERE OrderDate BETWEEN DATETIME('1997-01-01') AND date('1997-12-31', '+1 day', 'start of month')");
    assert!(sql.contains("\"OrderDate\" >= TIMESTAMP '1997-01-01 00:00:00'"), "{sql}");
    assert!(sql.contains("date_trunc('month'"), "{sql}");
}

#[test]
fn untranslatable_names_the_construct() {
    let e = view(
        "CREATE VIEW v AS SELECT printf('%d', id) FROM user",
        "v",
        &[],
        &catalog(),
        flavor(Dialect::Postgres).unwrap(),
        None,
    )
    .unwrap_err();
    assert!(e.construct.starts_with("printf()"), "{e}");
}

#[test]
fn globs_become_regular_expressions() {
    assert_eq!(expr::glob_regex("a*b?[^x]."), "^a.*b.[^x]\\.$");
}
