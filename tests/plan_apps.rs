//! Create mode knows the frameworks' conventions: the framework is detected from its
//! bookkeeping tables (or named in cutover.toml), each convention is a rule `plan` shows,
//! look-alikes in other databases are left alone, and named constraints keep their names.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn source(dir: &Path, sql: &str) -> PathBuf {
    let p = dir.join("app.sqlite");
    rusqlite::Connection::open(&p).unwrap().execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
    p
}

/// `cutover plan --json` of the source for a dialect.
fn plan(src: &Path, dialect: &str, config: Option<&str>) -> serde_json::Value {
    let dir = src.parent().unwrap();
    let mut args = vec!["plan", src.to_str().unwrap(), "--dialect", dialect, "--json"];
    let cfg = dir.join("cutover.toml");
    if let Some(c) = config {
        std::fs::write(&cfg, c).unwrap();
        args.extend(["--config", cfg.to_str().unwrap()]);
    }
    let (code, out, err) = run_cutover(&args);
    assert!(code == 0 || code == 1, "{err}\n{out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// (rule, target type) of a column.
fn column(plan: &serde_json::Value, table: &str, col: &str) -> (String, String) {
    let t = plan["tables"].as_array().unwrap().iter().find(|t| t["source_name"] == table).unwrap();
    let c = t["columns"].as_array().unwrap().iter().find(|c| c["source_name"] == col).unwrap();
    (c["rule"].as_str().unwrap().to_string(), c["target_type"].as_str().unwrap().to_string())
}

const DJANGO: &str = r#"
CREATE TABLE django_migrations (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied datetime NOT NULL);
CREATE TABLE django_content_type (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, app_label varchar(100) NOT NULL, model varchar(100) NOT NULL);
CREATE TABLE shop_item (id char(32) NOT NULL PRIMARY KEY, code char(32) NOT NULL, created datetime NOT NULL,
  data text NULL CHECK ((JSON_VALID("data") OR "data" IS NULL)), notes text NULL, ip char(39) NULL, label char(39) NULL);
INSERT INTO shop_item VALUES ('0e1f0c5a00004000800000000000000a', 'not-a-uuid-but-32-characters-xx', '2024-01-02 03:04:05.123456', '{"a": 1}', 'x', '192.0.2.1', 'x'),
  ('0e1f0c5a00004000800000000000000b', 'another look-alike 32 characters', '2024-01-02 03:04:05', NULL, NULL, '2001:db8::1', NULL);
"#;

#[test]
fn django_uuid_datetime_and_json_columns() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), DJANGO);
    let pg = plan(&src, "postgres", None);
    assert_eq!(pg["framework"], "django", "{}", pg["framework_reason"]);
    assert_eq!(column(&pg, "shop_item", "id"), ("django_uuid".into(), "uuid".into()));
    assert_eq!(column(&pg, "shop_item", "created"), ("django_datetime".into(), "timestamptz".into()));
    assert_eq!(column(&pg, "shop_item", "data"), ("app_json_valid".into(), "jsonb".into()));
    // Look-alikes stay: a char(32) that holds other text, a text without a JSON check.
    assert_eq!(column(&pg, "shop_item", "code"), ("varchar_n".into(), "varchar(32)".into()));
    assert_eq!(column(&pg, "shop_item", "notes"), ("text_affinity".into(), "text".into()));
    assert_eq!(column(&pg, "shop_item", "ip"), ("django_inet".into(), "inet".into()));
    assert_eq!(column(&pg, "shop_item", "label"), ("varchar_n".into(), "varchar(39)".into()));
    let my = plan(&src, "mariadb", None);
    assert_eq!(column(&my, "shop_item", "id"), ("django_uuid".into(), "UUID".into()));
    assert_eq!(column(&my, "shop_item", "data"), ("app_json_valid".into(), "JSON".into()));
    // MariaDB has no inet: Django keeps char(39) there too.
    assert_eq!(column(&my, "shop_item", "ip"), ("varchar_n".into(), "VARCHAR(39)".into()));
    // app = "none" turns the conventions off; an override wins over a convention.
    let off = plan(&src, "postgres", Some("app = \"none\"\n"));
    assert!(off["framework"].is_null());
    assert_eq!(column(&off, "shop_item", "id"), ("varchar_n".into(), "varchar(32)".into()));
    let over = plan(&src, "postgres", Some("[tables.\"shop_item\".columns.\"created\"]\ntype = \"timestamp\"\n"));
    assert_eq!(column(&over, "shop_item", "created"), ("override".into(), "timestamp".into()));
}

#[test]
fn a_datetime_outside_a_django_database_stays_a_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        dir.path(),
        "CREATE TABLE event (id INTEGER PRIMARY KEY, at datetime, ref char(32));
         INSERT INTO event VALUES (1, '2024-01-01 10:00:00', '0e1f0c5a00004000800000000000000a');",
    );
    let pg = plan(&src, "postgres", None);
    assert!(pg["framework"].is_null(), "{}", pg["framework_reason"]);
    assert_eq!(column(&pg, "event", "at"), ("datetime".into(), "timestamp".into()));
    assert_eq!(column(&pg, "event", "ref"), ("varchar_n".into(), "varchar(32)".into()));
}

const ALEMBIC: &str = r#"
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE client (id INTEGER NOT NULL, vat_number VARCHAR(20) NOT NULL, guid CHAR(32) NOT NULL, visits INTEGER NOT NULL,
  big INTEGER, PRIMARY KEY (id), CONSTRAINT uq_client_vat_number UNIQUE (vat_number));
CREATE TABLE invoice (id INTEGER NOT NULL, client_id INTEGER NOT NULL, PRIMARY KEY (id),
  CONSTRAINT fk_invoice_client_id_client FOREIGN KEY(client_id) REFERENCES client (id));
INSERT INTO client VALUES (1, 'DE1', '550e8400e29b41d4a716446655440000', 3, 3000000000);
INSERT INTO invoice VALUES (1, 1);
"#;

#[test]
fn sqlalchemy_integers_uuids_and_constraint_names() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), ALEMBIC);
    for (dialect, int) in [("postgres", "integer"), ("mariadb", "INT")] {
        let p = plan(&src, dialect, None);
        assert_eq!(p["framework"], "sqlalchemy");
        assert_eq!(column(&p, "client", "guid").0, "sqlalchemy_uuid", "{dialect}");
        assert_eq!(column(&p, "client", "visits"), ("sqlalchemy_integer".into(), int.into()), "{dialect}");
        // The keys too: SQLAlchemy's Integer key, its identity integer, stated as assumed.
        assert_eq!(column(&p, "client", "id"), ("sqlalchemy_integer".into(), int.into()), "{dialect}");
        assert_eq!(column(&p, "invoice", "client_id"), ("sqlalchemy_integer".into(), int.into()), "{dialect}");
        let notes: Vec<&str> = p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["code"] == "app_assumption" && f["object"].as_str().unwrap().split(", ").any(|c| c == "client.id")
            })
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert!(notes.len() == 1 && notes[0].contains("type = \"bigint\""), "{dialect}: {notes:?}");
        // A value beyond 32 bits stays bigint.
        assert_eq!(column(&p, "client", "big").0, "int_affinity", "{dialect}");
        let sql: Vec<String> =
            p["statements"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap().to_string()).collect();
        let all = sql.join("\n");
        assert!(all.contains("uq_client_vat_number"), "{dialect}: the unique constraint keeps its name:\n{all}");
        assert!(all.contains("fk_invoice_client_id_client"), "{dialect}: the foreign key keeps its name:\n{all}");
        let identity = if dialect == "postgres" {
            "\"id\" integer GENERATED BY DEFAULT AS IDENTITY"
        } else {
            "`id` INT NOT NULL AUTO_INCREMENT"
        };
        assert!(all.contains(identity), "{dialect}: the identity column is an integer:\n{all}");
        let left_out: Vec<&serde_json::Value> =
            p["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "fk_left_out").collect();
        assert!(left_out.is_empty(), "{dialect}: {left_out:?}");
        // A BigInteger key (the override the note names): the foreign key to it follows,
        // and the note is gone.
        let big = plan(&src, dialect, Some("[tables.\"client\".columns.\"id\"]\ntype = \"bigint\"\n"));
        let bigint = if dialect == "postgres" { "bigint" } else { "BIGINT" };
        assert_eq!(column(&big, "client", "id"), ("override".into(), bigint.into()), "{dialect}");
        assert_eq!(column(&big, "invoice", "client_id"), ("fk_follows_parent".into(), bigint.into()), "{dialect}");
        assert!(
            !big["findings"].as_array().unwrap().iter().any(|f| f["object"].as_str().unwrap().contains("client.id")),
            "{dialect}"
        );
    }
    // An id beyond 32 bits keeps the key bigint, and the foreign key to it follows.
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        dir.path(),
        &format!(
            "{ALEMBIC}INSERT INTO client VALUES (3000000000, 'DE2', '550e8400e29b41d4a716446655440001', 1, NULL);"
        ),
    );
    let p = plan(&src, "postgres", None);
    assert_eq!(column(&p, "client", "id").1, "bigint");
    assert_eq!(column(&p, "invoice", "client_id"), ("fk_follows_parent".into(), "bigint".into()));
    assert!(!p["findings"].as_array().unwrap().iter().any(|f| f["object"].as_str().unwrap().contains("client.id")));
}

/// SQLAlchemy's SmallInteger, JSON, and on MariaDB its Float, Text and LargeBinary, which
/// hold less there than cutover's own choices: each taken only when every value fits.
const ALEMBIC_SIZES: &str = r#"
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, i16 SMALLINT, i16_big SMALLINT, ratio FLOAT, ratio_wide FLOAT,
  body TEXT, body_long TEXT, blob BLOB, blob_long BLOB, data JSON);
INSERT INTO item VALUES (1, -32768, 40000, 0.1, 0.123456789, 'x', 'y', x'00', x'01', '{"a": [1, 2.50]}'),
  (2, 32767, 1, 19.99, 1.5, NULL, NULL, NULL, NULL, NULL);
UPDATE item SET body_long = printf('%.70000c', 'z'), blob_long = zeroblob(70000) WHERE id = 2;
"#;

#[test]
fn sqlalchemy_sizes_floats_and_json_and_their_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), ALEMBIC_SIZES);
    let pg = plan(&src, "postgres", None);
    assert_eq!(column(&pg, "item", "i16"), ("sqlalchemy_smallint".into(), "smallint".into()));
    assert_eq!(column(&pg, "item", "i16_big").1, "bigint");
    assert_eq!(column(&pg, "item", "data"), ("sqlalchemy_json".into(), "json".into()));
    // PostgreSQL's double precision and text are what SQLAlchemy writes there.
    assert_eq!(column(&pg, "item", "ratio").1, "double precision");
    assert_eq!(column(&pg, "item", "body").1, "text");
    let my = plan(&src, "mariadb", None);
    assert_eq!(column(&my, "item", "i16"), ("sqlalchemy_smallint".into(), "SMALLINT".into()));
    assert_eq!(column(&my, "item", "ratio"), ("sqlalchemy_float".into(), "FLOAT".into()));
    assert_eq!(column(&my, "item", "body"), ("sqlalchemy_text".into(), "TEXT".into()));
    assert_eq!(column(&my, "item", "blob"), ("sqlalchemy_blob".into(), "BLOB".into()));
    assert_eq!(column(&my, "item", "data").1, "JSON");
    // A value a 4-byte float would change, a text or blob over 65,535 bytes: cutover's own.
    assert_eq!(column(&my, "item", "ratio_wide").1, "DOUBLE");
    assert_eq!(column(&my, "item", "body_long").1, "LONGTEXT");
    assert_eq!(column(&my, "item", "blob_long").1, "LONGBLOB");
    // The same columns outside an Alembic database keep cutover's own types.
    let plain = tempfile::tempdir().unwrap();
    let other = source(plain.path(), &ALEMBIC_SIZES.replace("alembic_version", "app_version"));
    let my = plan(&other, "mariadb", None);
    for (col, ty) in [("i16", "BIGINT"), ("ratio", "DOUBLE"), ("body", "LONGTEXT"), ("blob", "LONGBLOB")] {
        assert_eq!(column(&my, "item", col).1, ty, "{col}");
    }
    assert_eq!(column(&plan(&other, "postgres", None), "item", "data").1, "jsonb");
}

#[test]
fn an_enum_needs_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), ALEMBIC);
    let cfg = dir.path().join("cutover.toml");
    for (toml, says) in [
        ("[tables.\"client\".columns.\"vat_number\"]\ntype = \"enum\"\n", "needs its labels"),
        ("[tables.\"client\".columns.\"vat_number\"]\nlabels = [\"A\"]\n", "labels are for type = \"enum\""),
        ("[tables.\"client\".columns.\"vat_number\"]\ntype = \"enum\"\nlabels = [\"A\", \"A\"]\n", "name \"A\" twice"),
    ] {
        std::fs::write(&cfg, toml).unwrap();
        let (code, out, err) =
            run_cutover(&["plan", src.to_str().unwrap(), "--dialect", "postgres", "--config", cfg.to_str().unwrap()]);
        assert_eq!(code, 2, "{toml}: {out}{err}");
        assert!(err.contains(says) && err.contains("[tables.\"client\".columns.\"vat_number\"]"), "{toml}: {err}");
    }
    // The SQLite target has no enum: a plan error, not a silent text column.
    std::fs::write(&cfg, "[tables.\"client\".columns.\"vat_number\"]\ntype = \"enum\"\nlabels = [\"DE1\"]\n").unwrap();
    let (code, out, _) =
        run_cutover(&["plan", src.to_str().unwrap(), "--dialect", "sqlite", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("override_type_unsupported"), "{out}");
}

#[test]
fn rails_and_laravel_conventions_and_their_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    let rails = source(
        dir.path(),
        "CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY);
         CREATE TABLE ar_internal_metadata (key varchar NOT NULL PRIMARY KEY, value varchar, created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
         CREATE TABLE documents (id varchar(36) NOT NULL PRIMARY KEY, title varchar(36));
         INSERT INTO documents VALUES ('550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440001');",
    );
    let p = plan(&rails, "postgres", None);
    assert_eq!(p["framework"], "rails");
    assert_eq!(column(&p, "documents", "id"), ("rails_uuid".into(), "uuid".into()));
    // Not a key: a title that happens to hold a UUID stays text.
    assert_eq!(column(&p, "documents", "title").0, "varchar_n");
    std::fs::remove_file(&rails).unwrap();
    let laravel = source(
        dir.path(),
        "CREATE TABLE migrations (id integer primary key autoincrement not null, migration varchar not null, batch integer not null);
         CREATE TABLE users (id integer primary key autoincrement not null, is_admin tinyint(1) not null default '0',
           level tinyint(1) not null, uuid varchar(36) not null, created_at datetime, seen_at datetime, balance numeric);
         INSERT INTO users VALUES (1, 1, 2, '550e8400-e29b-41d4-a716-446655440000', '2024-01-02 03:04:05', '2024-01-02 03:04:05.25', 1.5),
           (2, 0, 1, '550e8400-e29b-41d4-a716-446655440002', NULL, NULL, 2);",
    );
    let p = plan(&laravel, "mariadb", None);
    assert_eq!(p["framework"], "laravel");
    assert_eq!(column(&p, "users", "is_admin"), ("laravel_boolean".into(), "TINYINT(1)".into()));
    assert_eq!(column(&p, "users", "level").0, "int_affinity", "a tinyint(1) holding 2 is not a boolean");
    assert_eq!(column(&p, "users", "uuid"), ("laravel_uuid".into(), "UUID".into()));
    // Whole seconds, as Laravel writes them: DATETIME; a value with a fraction keeps DATETIME(6).
    assert_eq!(column(&p, "users", "created_at"), ("laravel_datetime".into(), "DATETIME".into()));
    assert_eq!(column(&p, "users", "seen_at"), ("datetime".into(), "DATETIME(6)".into()));
    // PostgreSQL's timestamp prints whole seconds without a fraction: nothing to change.
    assert_eq!(column(&plan(&laravel, "postgres", None), "users", "created_at").1, "timestamp");
    // A bare numeric: the scale is not in the file, and the note says how to give it.
    let notes: Vec<String> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "app_assumption")
        .map(|f| format!("{}: {}", f["object"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert!(
        notes.len() == 1 && notes[0].starts_with("users.balance: ") && notes[0].contains("decimal(p,s)"),
        "{notes:?}"
    );
}

#[test]
fn the_app_flag_and_inspect_say_which_framework() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), DJANGO);
    let (code, out, err) = run_cutover(&["inspect", src.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("a django application (tables django_migrations and django_content_type)"), "{out}");
    let (code, out, err) =
        run_cutover(&["plan", src.to_str().unwrap(), "--dialect", "postgres", "--app", "none", "--json"]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(column(&p, "shop_item", "id").0, "varchar_n");
    let (code, _, err) = run_cutover(&["plan", src.to_str().unwrap(), "--dialect", "postgres", "--app", "flask"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"flask\"") && err.contains("django, sqlalchemy, rails, laravel or none"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_file_cannot_say_is_an_assumption_with_its_override_and_the_override_lands() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        dir.path(),
        r#"CREATE TABLE django_migrations (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied datetime NOT NULL);
           CREATE TABLE django_content_type (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, app_label varchar(100) NOT NULL, model varchar(100) NOT NULL);
           CREATE TABLE shop_job (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, took bigint NOT NULL, price decimal NOT NULL);
           INSERT INTO shop_job VALUES (1, 90061000001, 12.5), (2, -1, 0.25);"#,
    );
    let p = plan(&src, "postgres", None);
    let notes: Vec<String> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "app_assumption")
        .map(|f| format!("{}: {}", f["object"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert!(notes.iter().any(|n| n.contains("shop_job.took") && n.contains("type = \"interval\"")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("shop_job.price") && n.contains("decimal(p,s)")), "{notes:?}");
    // With the overrides the docs tell a user to add, the durations land as intervals.
    let config = "[tables.\"shop_job\".columns.\"took\"]\ntype = \"interval\"\n[tables.\"shop_job\".columns.\"price\"]\ntype = \"decimal(10,2)\"\n";
    let p = plan(&src, "postgres", Some(config));
    assert_eq!(column(&p, "shop_job", "took"), ("override".into(), "interval".into()));
    assert!(!p["findings"].as_array().unwrap().iter().any(|f| f["code"] == "app_assumption"), "no assumption left");
    let db = ScratchDb::new(cutover::target::Dialect::Postgres, "plan_apps_interval").await;
    let state = dir.path().join("s.json");
    let cfg = dir.path().join("cutover.toml");
    let (code, out, err) = migrate(&src, &db, &state, &["--config", cfg.to_str().unwrap(), "--verify"]);
    assert_eq!(code, 0, "{err}\n{out}");
    // MariaDB has no interval: the same override is refused there, naming it.
    let (code, out, _) =
        run_cutover(&["plan", src.to_str().unwrap(), "--dialect", "mariadb", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("override_type_unsupported") && out.contains("interval"), "{out}");
    db.drop_db().await;
}

/// On PostgreSQL a source UNIQUE constraint becomes a constraint (not just a unique index)
/// and a named primary key keeps its name, so `op.drop_constraint('uq_…')` finds them.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_constraints_as_constraints_with_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), ALEMBIC);
    let db = ScratchDb::new(cutover::target::Dialect::Postgres, "plan_apps_constraints").await;
    let (code, out, err) = migrate(&src, &db, &dir.path().join("s.json"), &["--verify"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let c = db.exec_all(&["ALTER TABLE client DROP CONSTRAINT uq_client_vat_number".to_string()]).await;
    assert!(c.is_empty(), "the unique constraint is a constraint of that name: {c:?}");
    let c = db.exec_all(&["ALTER TABLE invoice DROP CONSTRAINT fk_invoice_client_id_client".to_string()]).await;
    assert!(c.is_empty(), "{c:?}");
    let c = db.exec_all(&["ALTER TABLE alembic_version DROP CONSTRAINT alembic_version_pkc".to_string()]).await;
    assert!(c.is_empty(), "the primary key keeps its name: {c:?}");
    db.drop_db().await;
}

/// An enum the SQLite file cannot show (SQLAlchemy's default Enum is a VARCHAR there),
/// named in cutover.toml: created as the engine's native enum, filled, verified; a value
/// outside the labels is refused before anything is written, naming the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enum_override_is_a_native_enum_on_both_servers() {
    let sql = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
               CREATE TABLE \"order\" (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, status VARCHAR(9) NOT NULL);
               INSERT INTO \"order\" (status) VALUES ('DRAFT'), ('PAID'), ('it''s'), ('DRAFT');";
    let toml = "[tables.\"order\".columns.\"status\"]\ntype = \"enum\"\nlabels = [\"DRAFT\", \"PAID\", \"it's\", \"CANCELLED\"]\nenum_name = \"order_status\"\n";
    for dialect in [cutover::target::Dialect::Postgres, cutover::target::Dialect::MariaDb] {
        let dir = tempfile::tempdir().unwrap();
        let src = source(dir.path(), sql);
        let cfg = dir.path().join("cutover.toml");
        std::fs::write(&cfg, toml).unwrap();
        let db = ScratchDb::new(dialect, &format!("plan_apps_enum_{dialect}")).await;
        let state = dir.path().join("s.json");
        let (code, out, err) = migrate(&src, &db, &state, &["--verify", "--config", cfg.to_str().unwrap()]);
        assert_eq!(code, 0, "{dialect}: {err}\n{out}");
        // The catalog holds the labels in order, and the values read back as they were.
        let (labels_sql, values_sql) = match dialect {
            cutover::target::Dialect::Postgres => (
                "SELECT string_agg(enumlabel, '|' ORDER BY enumsortorder) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'order_status'",
                "SELECT string_agg(status::text, '|' ORDER BY id) FROM \"order\"",
            ),
            _ => (
                "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'order' AND column_name = 'status'",
                "SELECT GROUP_CONCAT(status ORDER BY id SEPARATOR '|') FROM `order`",
            ),
        };
        let labels = query_text(&db, labels_sql).await;
        let expected = match dialect {
            cutover::target::Dialect::Postgres => "DRAFT|PAID|it's|CANCELLED",
            _ => "enum('DRAFT','PAID','it''s','CANCELLED')",
        };
        assert_eq!(labels, expected, "{dialect}");
        assert_eq!(query_text(&db, values_sql).await, "DRAFT|PAID|it's|DRAFT", "{dialect}");
        db.drop_db().await;

        // A value that is not a label: refused by lint's dry run of the plan, with the row.
        let bad = tempfile::tempdir().unwrap();
        let src = source(bad.path(), &format!("{sql} INSERT INTO \"order\" (status) VALUES ('SHIPPED');"));
        let (code, out, err) = run_cutover(&[
            "lint",
            src.to_str().unwrap(),
            "--dialect",
            &dialect.to_string(),
            "--config",
            cfg.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{dialect}: {out}{err}");
        assert!(out.contains("SHIPPED") && out.contains("status"), "{dialect}: {out}");
    }
}

/// One text value of a query on the scratch database.
async fn query_text(db: &ScratchDb, sql: &str) -> String {
    use sqlx::{Connection, Row};
    match db.dialect {
        cutover::target::Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(sql).fetch_one(&mut c).await.unwrap().get::<String, _>(0)
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
            let row = sqlx::query(sql).fetch_one(&mut c).await.unwrap();
            my_text(&row, 0).unwrap()
        }
    }
}
