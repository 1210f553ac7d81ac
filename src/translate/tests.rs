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

/// One rule per row: a SQLite query over `user`/`Orders`, and a part of what each engine gets.
#[test]
fn rules_table() {
    let cases: &[(&str, &str, &str)] = &[
        ("SELECT id FROM user WHERE is_active", "WHERE \"is_active\"", "WHERE `is_active`"),
        ("SELECT id FROM user WHERE is_active <> 0", "\"is_active\" <> FALSE", "`is_active` <> 0"),
        ("SELECT id FROM user WHERE is_active = 't'", "\"is_active\" = TRUE", "`is_active` = 1"),
        ("SELECT id FROM user WHERE id", "(\"id\") <> 0", "WHERE `id`"),
        (
            "SELECT username || id FROM user",
            "(\"username\" || CAST(\"id\" AS text))",
            "CONCAT(`username`, CONVERT(CAST(`id` AS CHAR)",
        ),
        (
            "SELECT ifnull(username, 0) FROM user",
            "COALESCE(\"username\", CAST(0 AS text))",
            "COALESCE(`username`, CONVERT(CAST(0 AS CHAR)",
        ),
        ("SELECT id / 2, id % 3 FROM user", "\"id\" / NULLIF(2, 0)", "`id` DIV NULLIF(2, 0)"),
        (
            "SELECT username FROM user WHERE username LIKE 'a%'",
            "\"username\" ILIKE 'a%'",
            "LOWER(`username`) LIKE LOWER('a%')",
        ),
        ("SELECT username FROM user WHERE username GLOB 'a?*'", "\"username\" ~ '^a..*$'", "REGEXP '^a..*$'"),
        (
            "SELECT group_concat(username, '; ') FROM user",
            "string_agg(\"username\", '; ')",
            "GROUP_CONCAT(`username` SEPARATOR '; ')",
        ),
        (
            "SELECT total(id) FROM user",
            "CAST(COALESCE(sum(\"id\"), 0) AS double precision)",
            "CAST(COALESCE(SUM(`id`), 0) AS DOUBLE)",
        ),
        (
            "SELECT substr(username, -2) FROM user",
            "substr(\"username\", char_length(\"username\") + 1 - 2)",
            "SUBSTRING(`username`, -2)",
        ),
        (
            "SELECT length(username), instr(username, 'x') FROM user",
            "char_length(\"username\"), strpos(",
            "CHAR_LENGTH(`username`), INSTR(",
        ),
        (
            "SELECT typeof(id) FROM user",
            "CASE WHEN \"id\" IS NULL THEN 'null' ELSE 'integer' END",
            "ELSE 'integer' END",
        ),
        (
            "SELECT CAST(username AS INTEGER) FROM user",
            "substring(\"username\" from '^\\s*([-+]?[0-9]+)')",
            "CAST(`username` AS SIGNED)",
        ),
        (
            "SELECT id FROM user ORDER BY username LIMIT 2 OFFSET 1",
            "ORDER BY (\"username\" COLLATE \"C\") NULLS FIRST LIMIT 2 OFFSET 1",
            "ORDER BY `username` LIMIT 2 OFFSET 1",
        ),
        (
            "SELECT strftime('%Y-%m', OrderDate) FROM Orders",
            "(to_char(\"OrderDate\", 'YYYY') || '-' || to_char(\"OrderDate\", 'MM'))",
            "DATE_FORMAT(`OrderDate`, '%Y')",
        ),
        (
            "SELECT date(OrderDate, '+7 days', 'start of month') FROM Orders",
            "date_trunc('month', (\"OrderDate\" + (7) * INTERVAL '1 day'))",
            "DATE_FORMAT((`OrderDate` + INTERVAL 7 DAY), '%Y-%m-01')",
        ),
        (
            "SELECT julianday(OrderDate) FROM Orders",
            "EXTRACT(EPOCH FROM \"OrderDate\") / 86400.0 + 2440587.5",
            "TIMESTAMPDIFF(MICROSECOND",
        ),
        (
            "SELECT Id FROM Orders WHERE OrderDate > 'x'",
            "to_char(\"OrderDate\", 'YYYY-MM-DD HH24:MI:SS')",
            "DATE_FORMAT(`OrderDate`, '%Y-%m-%d %H:%i:%s')",
        ),
        (
            "SELECT row_number() OVER (PARTITION BY Flag ORDER BY Id DESC) FROM Orders",
            "row_number() OVER (PARTITION BY \"Flag\" ORDER BY \"Id\" DESC NULLS LAST)",
            "row_number() OVER (PARTITION BY `Flag` ORDER BY `Id` DESC)",
        ),
        ("SELECT Flag, max(Id) FROM Orders GROUP BY Id", "(array_agg(\"Flag\"))[1]", "SELECT `Flag`, max(`Id`)"),
        (
            "SELECT a.id FROM user a, Orders o WHERE o.Id = a.id",
            "\"user\" AS \"a\" CROSS JOIN \"Orders\" AS \"o\"",
            "`user` AS `a` CROSS JOIN `Orders` AS `o`",
        ),
    ];
    for (sql, want_pg, want_my) in cases {
        let view = format!("CREATE VIEW v AS {sql}");
        let (p, m) = (pg(&view), my(&view));
        assert!(p.contains(want_pg), "{sql}\n  PostgreSQL: {p}\n  wanted: {want_pg}");
        assert!(m.contains(want_my), "{sql}\n  MariaDB: {m}\n  wanted: {want_my}");
    }
}
