//! Rails and Laravel in existing mode (issue 15). Neither framework can be installed here,
//! so each is covered by SQL fixtures under tests/apps/{rails,laravel}/, written by hand
//! from what the framework generates: `source.sql`, the SQLite database the framework's
//! migrations build and its ORM fills (in the forms it stores there), and `postgres.sql` /
//! `mariadb.sql`, the schema the same migrations build on each server plus the rows the
//! framework's migrate command inserts there (schema_migrations, ar_internal_metadata,
//! migrations), so that `--truncate` is needed as with a real app.
//!
//! Each (framework × engine) test runs lint, migrate --truncate and verify in existing mode
//! (all must exit 0), then reads chosen columns of every table back as the server prints
//! them and compares with expectations written by hand, and checks that every counter is
//! above the largest id and above SQLite's `sqlite_sequence`. Each refusal test changes one
//! value the target refuses and expects migrate to stop before anything is emptied (the
//! bookkeeping rows are still the target's own), naming table, column and value.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use sqlx::{Connection, Executor, Row};

/// A fixture file of tests/apps/FRAMEWORK/.
fn fixture(framework: &str, file: &str) -> String {
    let path = repo().join("tests/apps").join(framework).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The SQLite source: the framework's source.sql, then `change` (SQL run after it).
fn source(framework: &str, dir: &Path, change: &str) -> PathBuf {
    let path = dir.join(format!("{framework}.sqlite"));
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(&fixture(framework, "source.sql")).unwrap_or_else(|e| panic!("{framework}/source.sql: {e}"));
    c.execute_batch(change).unwrap_or_else(|e| panic!("{change}: {e}"));
    path
}

/// The statements of a DDL fixture: `--` comment lines dropped, split at each `;` that
/// ends a line (no literal in the fixtures holds one).
fn statements(sql: &str) -> Vec<String> {
    let text: String =
        sql.lines().filter(|l| !l.trim_start().starts_with("--")).map(|l| format!("{l}\n")).collect::<String>();
    text.split(";\n").map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// A scratch database built by the framework's DDL for the engine.
async fn target(framework: &str, dialect: Dialect, test: &str) -> ScratchDb {
    let file = match dialect {
        Dialect::Postgres => "postgres.sql",
        _ => "mariadb.sql",
    };
    let db = ScratchDb::new(dialect, test).await;
    let ddl = statements(&fixture(framework, file));
    let errors = db.exec_all(&ddl).await;
    assert!(
        errors.is_empty(),
        "{framework}/{file} does not load: {:?}",
        errors.iter().map(|(i, e)| format!("{}: {e}", ddl[*i])).collect::<Vec<_>>()
    );
    db
}

fn lint(src: &Path, db: &ScratchDb) -> (i32, String, String) {
    run_cutover(&["lint", src.to_str().unwrap(), "--to", &db.url, "--schema", "existing"])
}

/// lint, migrate --truncate and verify, all in existing mode, each asserted to exit 0.
fn lint_migrate_verify(what: &str, src: &Path, db: &ScratchDb, dir: &Path) {
    let (code, out, err) = lint(src, db);
    assert_eq!(code, 0, "{what}: lint --schema existing\n{out}\n{err}");
    let state = dir.join("state.json");
    let (code, out, err) = migrate(src, db, &state, &["--schema", "existing", "--truncate"]);
    assert_eq!(code, 0, "{what}: migrate --schema existing --truncate\n{err}\n{out}");
    let (code, out, err) = verify(src, db, &state, &["--schema", "existing"]);
    assert_eq!(code, 0, "{what}: verify --schema existing\n{err}\n{out}");
}

/// How the target is built: by the framework's DDL (existing mode), or by cutover.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Existing,
    Create,
}

/// The cutover.toml a user writes for create mode, from docs/apps/{rails,laravel}.md's
/// "Create mode": what the SQLite file cannot say about the framework's column types.
fn create_config(framework: &str, dialect: Dialect) -> String {
    let column = |t: &str, c: &str, body: &str| format!("[tables.\"{t}\".columns.\"{c}\"]\n{body}\n\n");
    match (framework, dialect) {
        ("rails", Dialect::Postgres) => [
            column("orders", "uuid", "type = \"uuid\""),
            column("users", "last_sign_in_ip", "type = \"inet\""),
            column(
                "orders",
                "status",
                "type = \"enum\"\nlabels = [\"pending\", \"paid\", \"shipped\", \"cancelled\"]\nenum_name = \"order_status\"",
            ),
        ]
        .concat(),
        ("laravel", _) => {
            let decimals = [
                column("posts", "price", "type = \"decimal(8,2)\""),
                column("ledger_entries", "amount", "type = \"decimal(15,4)\""),
            ]
            .concat();
            if dialect == Dialect::MariaDb {
                let status = "type = \"enum\"\nlabels = [\"draft\", \"published\", \"archived\"]";
                decimals + &column("posts", "status", status)
            } else {
                decimals
            }
        }
        _ => String::new(),
    }
}

/// The scratch target, filled from `src`: in existing mode built by the framework's DDL
/// and filled with --truncate; in create mode empty, and cutover writes the schema with
/// the documented overrides. Either way lint, migrate and verify must exit 0.
async fn filled(framework: &str, dialect: Dialect, test: &str, mode: Mode, src: &Path, dir: &Path) -> ScratchDb {
    let what = format!("{framework} on {dialect}");
    if mode == Mode::Existing {
        let db = target(framework, dialect, test).await;
        lint_migrate_verify(&what, src, &db, dir);
        return db;
    }
    let db = ScratchDb::new(dialect, test).await;
    let config = dir.join("cutover.toml");
    std::fs::write(&config, create_config(framework, dialect)).unwrap();
    let config = config.to_str().unwrap();
    let (code, out, err) = run_cutover(&["lint", src.to_str().unwrap(), "--to", &db.url, "--config", config]);
    assert_eq!(code, 0, "{what}: lint (create mode)\n{out}\n{err}");
    let (code, out, err) = migrate(src, &db, &dir.join("state.json"), &["--verify", "--config", config]);
    assert_eq!(code, 0, "{what}: migrate --verify (create mode)\n{err}\n{out}");
    db
}

/// A connection to the scratch database that reads values as the server prints them.
enum Conn {
    Pg(sqlx::PgConnection),
    My(sqlx::MySqlConnection),
}

impl Conn {
    async fn open(db: &ScratchDb) -> Conn {
        match db.dialect {
            Dialect::Postgres => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                c.execute("SET TIME ZONE 'UTC'").await.unwrap();
                Conn::Pg(c)
            }
            _ => {
                let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
                // TIMESTAMP columns print in the session's time zone: read them in UTC.
                c.execute("SET time_zone = '+00:00'").await.unwrap();
                Conn::My(c)
            }
        }
    }

    fn postgres(&self) -> bool {
        matches!(self, Conn::Pg(_))
    }

    fn quote(&self, name: &str) -> String {
        match self {
            Conn::Pg(_) => format!("\"{name}\""),
            Conn::My(_) => my_quote(name),
        }
    }

    /// The first column of every row of `sql`, as text ("NULL" for NULL).
    async fn texts(&mut self, sql: &str) -> Vec<String> {
        match self {
            Conn::Pg(c) => {
                let rows = sqlx::query(sql).fetch_all(c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.iter().map(|r| r.get::<Option<String>, _>(0).unwrap_or_else(|| "NULL".into())).collect()
            }
            Conn::My(c) => {
                let rows = sqlx::query(sql).fetch_all(c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.iter().map(|r| my_text(r, 0).unwrap_or_else(|| "NULL".into())).collect()
            }
        }
    }

    /// One column of a table in key order, as the server's own text output: `col::text`
    /// on PostgreSQL, `CAST(col AS CHAR)` on MariaDB (bytes as lower-case hex there).
    async fn column(&mut self, table: &str, column: &str, order: &str) -> Vec<String> {
        let (t, c) = (self.quote(table), self.quote(column));
        let sql = match self {
            Conn::Pg(_) => format!("SELECT {c}::text FROM {t} ORDER BY {order}"),
            Conn::My(_) => format!("SELECT CAST({c} AS CHAR) FROM {t} ORDER BY {order}"),
        };
        self.texts(&sql).await
    }

    /// The id the next insert into `table` gets from its sequence / AUTO_INCREMENT.
    async fn next_id(&mut self, table: &str) -> i64 {
        let text = match self {
            Conn::Pg(_) => {
                let seq = self.texts(&format!("SELECT pg_get_serial_sequence('\"{table}\"', 'id')")).await.remove(0);
                assert_ne!(seq, "NULL", "{table}.id has no sequence");
                self.texts(&format!(
                    "SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text FROM {seq}"
                ))
                .await
                .remove(0)
            }
            Conn::My(_) => self
                .texts(&format!(
                    "SELECT CAST(AUTO_INCREMENT AS CHAR) FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}'"
                ))
                .await
                .remove(0),
        };
        text.parse().unwrap_or_else(|_| panic!("{table}: next id {text:?}"))
    }
}

/// Compares columns with hand-written expectations and collects every difference.
struct Check {
    conn: Conn,
    problems: Vec<String>,
}

impl Check {
    async fn new(db: &ScratchDb) -> Check {
        Check { conn: Conn::open(db).await, problems: Vec::new() }
    }

    fn record(&mut self, what: String, actual: Vec<String>, expected: &[&str]) {
        if actual != expected {
            self.problems.push(format!("{what}:\n    expected {expected:?}\n    actual   {actual:?}"));
        }
    }

    /// `table.column` in `order`, the same text on both engines.
    async fn same(&mut self, table: &str, column: &str, order: &str, expected: &[&str]) {
        let actual = self.conn.column(table, column, order).await;
        self.record(format!("{table}.{column}"), actual, expected);
    }

    /// `table.column` in `order`, where the engines print it differently.
    async fn each(&mut self, table: &str, column: &str, order: &str, pg: &[&str], my: &[&str]) {
        let expected = if self.conn.postgres() { pg } else { my };
        self.same(table, column, order, expected).await;
    }

    /// The rows of a query of the test's own, for one engine.
    async fn query(&mut self, what: &str, sql: &str, expected: &[&str]) {
        let actual = self.conn.texts(sql).await;
        self.record(what.to_string(), actual, expected);
    }

    /// The next id of each table must be at least `at_least`: above the largest id loaded
    /// and above the source's sqlite_sequence, so that no id of a deleted row comes back.
    async fn counters(&mut self, tables: &[(&str, i64)]) {
        for (table, at_least) in tables {
            let next = self.conn.next_id(table).await;
            if next < *at_least {
                self.problems.push(format!(
                    "{table}: the next id would be {next}, but SQLite had handed out ids up to {} \
                     (largest id and sqlite_sequence): the next insert must get {at_least} or more",
                    at_least - 1
                ));
            }
        }
    }

    fn finish(self, what: &str) {
        assert!(
            self.problems.is_empty(),
            "{what}: {} difference(s)\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Rails 7.1 / 7.2

const RAILS_BCRYPT: &str = "$2a$12$R9h/cIPz0gi.URNNX3kh2OoLPwTdOAymPHsrvQP3DDZabggtl0m6W";

async fn rails_scenario(dialect: Dialect, test: &str, mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let src = source("rails", dir.path(), "");
    let db = filled("rails", dialect, test, mode, &src, dir.path()).await;

    let mut c = Check::new(&db).await;
    // Bookkeeping: the source's rows replaced the ones db:migrate inserted.
    c.same(
        "schema_migrations",
        "version",
        "1",
        &["20240101000001", "20240101000002", "20240101000003", "20240101000004"],
    )
    .await;
    c.same("ar_internal_metadata", "value", "1", &["production"]).await;
    c.same("ar_internal_metadata", "created_at", "1", &["2023-11-20 08:00:00.000001"]).await;

    c.same("users", "email", "id", &["ada@example.com", "bob@example.com", "zoe@example.com"]).await;
    c.same("users", "name", "id", &["Ada Lovelace", "Bob \"the builder\" O'Brien", "Zoë 🚀 C:\\Users\\zoe"]).await;
    c.same("users", "password_digest", "id", &[RAILS_BCRYPT, RAILS_BCRYPT, "NULL"]).await;
    c.each("users", "admin", "id", &["true", "false", "false"], &["1", "0", "0"]).await;
    c.same("users", "balance", "id", &["1234.5678", "-0.0001", "0.0000"]).await;
    c.each(
        "users",
        "preferences",
        "id",
        // jsonb prints its own normal form: shorter keys first, ", " and ": ".
        &[
            r#"{"theme": "dark", "notify": true}"#,
            r#"{"n": null, "big": 123456789012345678901234567890, "tags": ["a", "b"]}"#,
            "NULL",
        ],
        &[
            r#"{"theme":"dark","notify":true}"#,
            r#"{"tags":["a","b"],"n":null,"big":123456789012345678901234567890}"#,
            "NULL",
        ],
    )
    .await;
    c.each(
        "users",
        "last_sign_in_ip",
        "id",
        &["192.0.2.10/32", "2001:db8::1/128", "NULL"],
        &["192.0.2.10", "2001:db8::1", "NULL"],
    )
    .await;
    c.each(
        "users",
        "created_at",
        "id",
        &["2024-01-02 03:04:05.123456", "2024-02-29 23:59:59.999999", "2024-03-02 12:00:00.5"],
        &["2024-01-02 03:04:05.123456", "2024-02-29 23:59:59.999999", "2024-03-02 12:00:00.500000"],
    )
    .await;

    c.same("products", "sku", "id", &["WID-001", "GAD-002", "EMO-003"]).await;
    c.same("products", "title", "id", &["Widget", "Gadget 'Pro'", "Emoji 😀"]).await;
    c.same("products", "price", "id", &["19.99", "99999999.99", "0.01"]).await;
    c.same("products", "weight", "id", &["0.5", "1.25", "NULL"]).await;
    c.same("products", "stock", "id", &["9223372036854775807", "-9223372036854775808", "0"]).await;
    c.same("products", "description", "id", &["Line one\nLine two", "back\\slash \\n not a newline", "NULL"]).await;
    c.same("products", "published_on", "id", &["2024-01-02", "NULL", "1999-12-31"]).await;
    // Stored by Active Record on SQLite as '2000-01-01 09:30:00': the time of day lands.
    c.each(
        "products",
        "available_at",
        "id",
        &["09:30:00", "17:45:30.25", "NULL"],
        &["09:30:00.000000", "17:45:30.250000", "NULL"],
    )
    .await;
    if c.conn.postgres() {
        c.query(
            "products.thumbnail",
            "SELECT thumbnail::text FROM products ORDER BY id",
            &["\\x00ff10", "\\x", "NULL"],
        )
        .await;
    } else {
        c.query(
            "products.thumbnail",
            "SELECT LOWER(HEX(thumbnail)) FROM products ORDER BY id",
            &["00ff10", "", "NULL"],
        )
        .await;
    }
    c.each("products", "active", "id", &["true", "false", "true"], &["1", "0", "1"]).await;

    c.same("orders", "user_id", "id", &["1", "2", "1"]).await;
    c.same("orders", "status", "id", &["paid", "pending", "shipped"]).await;
    c.same("orders", "total", "id", &["39.9800", "0.0001", "12345678.1234"]).await;
    c.each(
        "orders",
        "placed_at",
        "id",
        &["2024-02-29 23:59:59.999999", "NULL", "2024-03-05 08:15:00"],
        &["2024-02-29 23:59:59.999999", "NULL", "2024-03-05 08:15:00.000000"],
    )
    .await;
    c.same(
        "orders",
        "uuid",
        "id",
        &[
            "2f1c5a9e-7b3d-4c1a-9e8f-0a1b2c3d4e5f",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-4fff-bfff-ffffffffffff",
        ],
    )
    .await;
    c.same("orders", "notes", "id", &["NULL", "leave at the door; ring twice", "gift"]).await;

    c.same("line_items", "order_id", "id", &["1", "2", "4"]).await;
    c.same("line_items", "product_id", "id", &["1", "3", "2"]).await;
    c.same("line_items", "quantity", "id", &["2", "1", "1"]).await;
    c.same("line_items", "unit_price", "id", &["19.99", "0.01", "99999999.99"]).await;

    // Largest ids 4, 3, 4, 4; sqlite_sequence 6, 3, 5, 7.
    c.counters(&[("users", 7), ("products", 4), ("orders", 6), ("line_items", 8)]).await;
    c.finish(&format!("rails on {dialect}"));
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rails_postgres() {
    rails_scenario(Dialect::Postgres, "apps_sql_rails_postgres", Mode::Existing).await;
}

/// Create mode (issue 16): cutover writes the schema, with the overrides the docs name.
#[tokio::test(flavor = "multi_thread")]
async fn rails_create_postgres() {
    rails_scenario(Dialect::Postgres, "apps_sql_rails_create_postgres", Mode::Create).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rails_mariadb() {
    rails_scenario(Dialect::MariaDb, "apps_sql_rails_mariadb", Mode::Existing).await;
}

/// Create mode (issue 16): cutover writes the schema, with the overrides the docs name.
#[tokio::test(flavor = "multi_thread")]
async fn rails_create_mariadb() {
    rails_scenario(Dialect::MariaDb, "apps_sql_rails_create_mariadb", Mode::Create).await;
}

// ---------------------------------------------------------------------------------------
// Laravel 10 / 11

const TAYLOR_BCRYPT: &str = "$2y$12$Qh7Ix4kJp6Fm0Yd3VbZc8eWxHeBZPtwFPkuTiFBItLxTY4wZJmCdC";
const OTHER_BCRYPT: &str = "$2y$12$zq1B9cWm4Lk7Tn2Rv5Xo0uC0HkiLWoFrLAyV2ESM8KOVXGij8zw1S";

async fn laravel_scenario(dialect: Dialect, test: &str, mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let src = source("laravel", dir.path(), "");
    let db = filled("laravel", dialect, test, mode, &src, dir.path()).await;

    let mut c = Check::new(&db).await;
    // Bookkeeping: the source's batches replaced the single batch `artisan migrate` wrote.
    c.same("migrations", "batch", "id", &["1", "1", "1", "1", "2", "3"]).await;
    c.same(
        "migrations",
        "migration",
        "id",
        &[
            "0001_01_01_000000_create_users_table",
            "0001_01_01_000001_create_cache_table",
            "0001_01_01_000002_create_jobs_table",
            "2019_12_14_000001_create_personal_access_tokens_table",
            "2024_01_10_120000_create_posts_table",
            "2024_02_01_090000_create_ledger_entries_table",
        ],
    )
    .await;

    c.same("users", "name", "id", &["Taylor", "Dayle \"D\" O'Rees", "Zoë 🚀"]).await;
    c.same("users", "email", "id", &["taylor@example.com", "dayle@example.com", "zoe@example.com"]).await;
    c.same("users", "password", "id", &[TAYLOR_BCRYPT, OTHER_BCRYPT, OTHER_BCRYPT]).await;
    c.each("users", "is_admin", "id", &["true", "false", "false"], &["1", "0", "0"]).await;
    c.same("users", "remember_token", "id", &["k3J9sD0aPq7Lm2Xv5Bn8Cz1Wr4Ty6Uo0Ie3Ha7Gf9Jd2Ks5Ll8Mx", "NULL", "NULL"])
        .await;
    // TIMESTAMP on MariaDB: the edges of its range, read in UTC.
    c.same("users", "email_verified_at", "id", &["2024-01-02 03:05:00", "NULL", "1970-01-01 00:00:01"]).await;
    c.same("users", "created_at", "id", &["2024-01-02 03:04:05", "2024-02-29 23:59:59", "2038-01-19 03:14:07"]).await;
    if !c.conn.postgres() {
        // The instants themselves: Eloquent's UTC wall-clock times are UTC in the TIMESTAMP.
        c.query(
            "users.created_at as unix time",
            "SELECT CAST(UNIX_TIMESTAMP(created_at) AS CHAR) FROM users ORDER BY id",
            &["1704164645", "1709251199", "2147483647"],
        )
        .await;
    }

    c.same("password_reset_tokens", "email", "email", &["dayle@example.com"]).await;
    c.same("password_reset_tokens", "token", "email", &[TAYLOR_BCRYPT]).await;
    c.same("password_reset_tokens", "created_at", "email", &["2024-03-01 10:00:00"]).await;
    // No primary key: both identical rows are there.
    c.same("password_resets", "token", "1", &["legacy-token-1", "legacy-token-1"]).await;
    c.same("password_resets", "created_at", "1", &["2022-05-05 05:05:05", "2022-05-05 05:05:05"]).await;

    c.same(
        "sessions",
        "id",
        "last_activity",
        &["Xq7Yb2Kc9Ld4Me1Nf6Og3Ph8Qi5Rj0Sk7Tl2Um9V", "guest0000000000000000000000000000000000"],
    )
    .await;
    c.same("sessions", "user_id", "last_activity", &["1", "NULL"]).await;
    c.same("sessions", "ip_address", "last_activity", &["127.0.0.1", "2001:db8::1"]).await;
    c.same(
        "sessions",
        "payload",
        "last_activity",
        &["YTozOntzOjY6Il90b2tlbiI7czo0MDoiYWJjIjt9", "YToxOntzOjY6Il90b2tlbiI7fQ=="],
    )
    .await;
    c.same("sessions", "last_activity", "last_activity", &["1704164645", "1709251199"]).await;

    c.same("cache", "value", "expiration", &[r#"a:2:{s:5:"theme";s:4:"dark";s:4:"path";s:9:"C:\temp\x";}"#, "i:42;"])
        .await;
    c.same("cache", "expiration", "expiration", &["1704168245", "2147483647"]).await;
    c.same("cache_locks", "owner", "1", &["Aa1Bb2Cc3Dd4Ee5F"]).await;

    c.same("jobs", "queue", "id", &["default", "emails"]).await;
    c.same(
        "jobs",
        "payload",
        "id",
        &[
            r#"{"uuid":"5b1d2c4e-0f3a-4b6c-8d9e-1a2b3c4d5e6f","displayName":"App\\Jobs\\SendWelcome","job":"Illuminate\\Queue\\CallQueuedHandler@call","maxTries":null,"data":{"commandName":"App\\Jobs\\SendWelcome"}}"#,
            r#"{"displayName":"App\\Jobs\\Digest"}"#,
        ],
    )
    .await;
    c.same("jobs", "attempts", "id", &["0", "3"]).await;
    c.same("jobs", "reserved_at", "id", &["NULL", "1704164700"]).await;
    c.same("jobs", "available_at", "id", &["1704164645", "1704164645"]).await;

    c.same("failed_jobs", "uuid", "id", &["9b2f8c1e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"]).await;
    c.same(
        "failed_jobs",
        "exception",
        "id",
        &["Exception: boom \"quoted\" in /var/www/app/Jobs/SendWelcome.php:12\nStack trace:\n#0 {main}"],
    )
    .await;
    c.same("failed_jobs", "failed_at", "id", &["2024-01-02 03:04:05"]).await;

    c.same("personal_access_tokens", "tokenable_type", "id", &["App\\Models\\User", "App\\Models\\User"]).await;
    c.same("personal_access_tokens", "tokenable_id", "id", &["1", "2"]).await;
    c.same(
        "personal_access_tokens",
        "token",
        "id",
        &[
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ],
    )
    .await;
    c.same("personal_access_tokens", "abilities", "id", &[r#"["*"]"#, r#"["deploy:run","read"]"#]).await;
    c.same("personal_access_tokens", "last_used_at", "id", &["2024-03-01 12:00:00", "NULL"]).await;
    c.same("personal_access_tokens", "expires_at", "id", &["NULL", "2025-01-01 00:00:00"]).await;

    c.same("posts", "user_id", "id", &["1", "2", "1"]).await;
    c.same("posts", "title", "id", &["Hello, world", "It's \"quoted\" \\ back\\slashed", "Old news"]).await;
    c.same("posts", "slug", "id", &["hello-world", "its-quoted", "old-news"]).await;
    c.same("posts", "body", "id", &["First post.\nWith a second line.", "Emoji 😀 and ünïcödé", ""]).await;
    c.same("posts", "status", "id", &["published", "draft", "archived"]).await;
    c.each("posts", "is_featured", "id", &["true", "false", "false"], &["1", "0", "0"]).await;
    // json keeps its text on PostgreSQL; MariaDB's JSON is a LONGTEXT.
    c.same("posts", "meta", "id", &[r#"{"tags":["intro","news"],"seo":{"title":"Hello"}}"#, "NULL", "[]"]).await;
    c.same("posts", "price", "id", &["19.99", "0.00", "999999.99"]).await;
    c.same("posts", "rating", "id", &["4.5", "NULL", "0.1"]).await;
    c.same(
        "posts",
        "public_id",
        "id",
        &[
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "e4eaaaf2-d142-11e1-b3e4-080027620cdd",
        ],
    )
    .await;
    c.same("posts", "views", "id", &["2147483647", "0", "12"]).await;
    c.same("posts", "published_at", "id", &["2024-01-02 03:04:05", "NULL", "2000-01-01 00:00:00"]).await;
    c.same("posts", "deleted_at", "id", &["NULL", "NULL", "2024-03-01 00:00:00"]).await;

    c.same("ledger_entries", "user_id", "id", &["1", "2", "4"]).await;
    c.same("ledger_entries", "amount_cents", "id", &["9223372036854775807", "-9223372036854775808", "0"]).await;
    c.same("ledger_entries", "amount", "id", &["12345678901.2345", "-0.0001", "0.5000"]).await;
    c.same("ledger_entries", "note", "id", &["max", "min", "NULL"]).await;

    // Largest ids 6, 4, 2, 1, 2, 3, 3; sqlite_sequence 6, 5, 3, 1, 2, 4, 3.
    c.counters(&[
        ("migrations", 7),
        ("users", 6),
        ("jobs", 4),
        ("failed_jobs", 2),
        ("personal_access_tokens", 3),
        ("posts", 5),
        ("ledger_entries", 4),
    ])
    .await;
    c.finish(&format!("laravel on {dialect}"));
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn laravel_postgres() {
    laravel_scenario(Dialect::Postgres, "apps_sql_laravel_postgres", Mode::Existing).await;
}

/// Create mode (issue 16): cutover writes the schema, with the overrides the docs name.
#[tokio::test(flavor = "multi_thread")]
async fn laravel_create_postgres() {
    laravel_scenario(Dialect::Postgres, "apps_sql_laravel_create_postgres", Mode::Create).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn laravel_mariadb() {
    laravel_scenario(Dialect::MariaDb, "apps_sql_laravel_mariadb", Mode::Existing).await;
}

/// Create mode (issue 16): cutover writes the schema, with the overrides the docs name.
#[tokio::test(flavor = "multi_thread")]
async fn laravel_create_mariadb() {
    laravel_scenario(Dialect::MariaDb, "apps_sql_laravel_create_mariadb", Mode::Create).await;
}

// ---------------------------------------------------------------------------------------
// Refusals: one value the target refuses stops the run before --truncate empties anything.

/// Builds the source with `change`, runs lint and migrate --truncate, and expects both to
/// refuse naming every one of `named`; then the target's bookkeeping rows must be the ones
/// its migrate command wrote (`bookkeeping`: a query and its rows) and `loaded` still empty.
async fn refused(
    framework: &str,
    dialect: Dialect,
    test: &str,
    change: &str,
    named: &[&str],
    bookkeeping: (&str, &[&str]),
    loaded: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(framework, dir.path(), change);
    let db = target(framework, dialect, test).await;
    let what = format!("{framework} on {dialect}, {change}");

    let (code, out, err) = lint(&src, &db);
    assert_eq!(code, 1, "{what}: lint must report the value\n{out}\n{err}");
    for n in named {
        assert!(out.contains(n), "{what}: lint does not name {n:?}\n{out}\n{err}");
    }

    let (code, out, err) = migrate(&src, &db, &dir.path().join("state.json"), &["--schema", "existing", "--truncate"]);
    assert_ne!(code, 0, "{what}: migrate must refuse\n{out}\n{err}");
    for n in named {
        assert!(err.contains(n), "{what}: the refusal does not name {n:?}\n{err}\n{out}");
    }

    let mut conn = Conn::open(&db).await;
    let (sql, rows) = bookkeeping;
    assert_eq!(conn.texts(sql).await, rows, "{what}: the target's bookkeeping rows changed: {sql}");
    for table in loaded {
        let t = conn.quote(table);
        let sql = if conn.postgres() {
            format!("SELECT count(*)::text FROM {t}")
        } else {
            format!("SELECT CAST(count(*) AS CHAR) FROM {t}")
        };
        let count = conn.texts(&sql).await;
        assert_eq!(count, ["0"], "{what}: {table} was written");
    }
    db.drop_db().await;
}

/// Rails' native enum on PostgreSQL: a status that is not one of its labels.
#[tokio::test(flavor = "multi_thread")]
async fn rails_postgres_refuses_a_status_outside_the_enum() {
    refused(
        "rails",
        Dialect::Postgres,
        "apps_sql_rails_postgres_refused",
        "UPDATE orders SET status = 'refunded' WHERE id = 2;",
        &["orders", "status", "'refunded'"],
        (
            "SELECT key || '=' || value || ' ' || created_at::text FROM ar_internal_metadata",
            &["environment=production 2024-06-01 09:00:00.654321"],
        ),
        &["users", "products", "orders", "line_items"],
    )
    .await;
}

/// MariaDB's default utf8mb4_general_ci: two e-mails that differ only by case collide in
/// Rails' unique index_users_on_email.
#[tokio::test(flavor = "multi_thread")]
async fn rails_mariadb_refuses_a_case_only_duplicate_email() {
    refused(
        "rails",
        Dialect::MariaDb,
        "apps_sql_rails_mariadb_refused",
        "INSERT INTO users (id, email, name, admin, created_at, updated_at) \
         VALUES (8, 'ADA@example.com', 'Shouting Ada', 0, '2024-03-04 00:00:00', '2024-03-04 00:00:00');",
        &["users", "email", "ADA@example.com"],
        (
            "SELECT CONCAT(`key`, '=', `value`, ' ', CAST(created_at AS CHAR)) FROM ar_internal_metadata",
            &["environment=production 2024-06-01 09:00:00.654321"],
        ),
        &["users", "products", "orders", "line_items"],
    )
    .await;
}

/// Laravel's timestamp() is a TIMESTAMP on MariaDB, which ends in 2038.
#[tokio::test(flavor = "multi_thread")]
async fn laravel_mariadb_refuses_a_timestamp_after_2038() {
    refused(
        "laravel",
        Dialect::MariaDb,
        "apps_sql_laravel_mariadb_refused",
        "UPDATE posts SET published_at = '2040-01-01 00:00:00' WHERE id = 2;",
        &["posts", "published_at", "2040-01-01"],
        ("SELECT CONCAT(id, ':', batch) FROM migrations ORDER BY id", &["1:1", "2:1", "3:1", "4:1", "5:1", "6:1"]),
        &["users", "posts", "ledger_entries", "sessions", "jobs"],
    )
    .await;
}

/// Laravel's unsignedInteger() is a plain (signed) integer on PostgreSQL: a view count
/// above 2^31 - 1 fits SQLite and MariaDB's INT UNSIGNED, not PostgreSQL.
#[tokio::test(flavor = "multi_thread")]
async fn laravel_postgres_refuses_an_unsigned_integer_above_the_signed_range() {
    refused(
        "laravel",
        Dialect::Postgres,
        "apps_sql_laravel_postgres_refused",
        "UPDATE posts SET views = 3000000000 WHERE id = 3;",
        &["posts", "views", "3000000000"],
        ("SELECT id || ':' || batch FROM migrations ORDER BY id", &["1:1", "2:1", "3:1", "4:1", "5:1", "6:1"]),
        &["users", "posts", "ledger_entries", "sessions", "jobs"],
    )
    .await;
}
