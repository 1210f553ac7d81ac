//! `cutover gate` on the demo fixture migrated into real PostgreSQL, MariaDB and an
//! sqlite:// file. Straight after the migration the gate is NO-GO and names every check
//! that fails (demo users and clients active, no admin, a weak secret, DEBUG on, CORS
//! with localhost, DATABASE_URL elsewhere, a misspelt key, version columns and FK
//! indexes missing, no verify report); after the fixes a consultant would make (by SQL
//! and by rewriting the env file) those checks pass, and with the server checks that the
//! loopback test servers fail lowered to warning in the profile, the gate is GO (exit 0).
//! No secret of the env file or the target URL appears in any output format. A server
//! setting the gate's account may not read is a warning that blocks, never a pass.
//!
//! What the loopback servers report, read by this test itself (`server_facts`) rather
//! than assumed, so the test holds on any server; on the machine this was written on
//! (PostgreSQL 15.20, MariaDB 10.11.19, both set up by scripts/services.sh):
//!
//! - pg_password_encryption: pass (scram-sha-256, PostgreSQL's default since 14);
//! - pg_no_trust_auth: FAIL: pg_hba.conf line 1 `local all all trust` and line 2
//!   `host all all 127.0.0.1 trust`, which scripts/services.sh adds so that tests connect
//!   without a password;
//! - pg_ssl: pass (Debian turns SSL on with its snakeoil certificate);
//! - pg_superusers: FAIL: two superusers, `postgres` and `root`;
//! - mariadb_no_anonymous_users: pass; mariadb_no_remote_root: pass (root@localhost and
//!   root@127.0.0.1 only);
//! - mariadb_no_test_database: FAIL: a `test` database exists (Debian's package leaves it);
//! - mariadb_local_infile_off: FAIL: local_infile = 1 is MariaDB's default;
//! - mariadb_strict_mode: pass (STRICT_TRANS_TABLES is in MariaDB's default sql_mode).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use cutover::target::conn::TargetConn;
use cutover::target::url::TargetUrl;
use cutover::target::Dialect;
use serde_json::Value as Json;
use sqlx::{Connection, Executor, Row};

/// The client's own staff: never demo accounts.
const STAFF: &[&str] = &["jose.garcia", "juergen.mueller", "nguyen.lan", "wang.fang", "olga.petrova", "rahim.uddin"];
const ADMIN: &str = "floor.admin";
/// The application's database password in DATABASE_URL: never to be printed.
const APP_DB_PASSWORD: &str = "app-Db-pass-7Qx2v";
/// The weak secret of the first env file: never to be printed either.
const WEAK_SECRET: &str = "changeme";

/// Checks that must fail on the freshly migrated demo, for every engine.
const FAILING_BEFORE: &[&str] = &[
    "migration_verified",
    "deactivated_users",
    "deactivated_clients",
    "admin_present",
    "secrets_strong",
    "version_columns",
    "config_debug_off",
    "config_cors",
    "config_database_url",
    "config_required_keys",
];
/// Checks from the profile and the env file: all pass after the fixes.
const FIXED_AFTER: &[&str] = &[
    "migration_verified",
    "deactivated_users",
    "deactivated_clients",
    "admin_present",
    "secrets_strong",
    "version_columns",
    "fk_indexes",
    "config_debug_off",
    "config_cors",
    "config_database_url",
    "config_required_keys",
];

#[tokio::test(flavor = "multi_thread")]
async fn no_go_then_go_on_postgres() {
    let db = ScratchDb::new(Dialect::Postgres, "gate_no_go_then_go_postgres").await;
    // PostgreSQL ignores a password under trust auth and checks it otherwise: with one in
    // the URL, the test also proves the target's password is never printed.
    let url = with_password(&db.url, "gate-Target-pw-3k9");
    no_go_then_go(Dialect::Postgres, &url).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_go_then_go_on_mariadb() {
    let db = ScratchDb::new(Dialect::MariaDb, "gate_no_go_then_go_mariadb").await;
    no_go_then_go(Dialect::MariaDb, &db.url.clone()).await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_go_then_go_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    no_go_then_go(Dialect::Sqlite, &url).await;
}

/// The URL with this password when it has none (a password already there is kept).
fn with_password(url: &str, password: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    if u.password().is_none() {
        u.set_password(Some(password)).unwrap();
    }
    u.to_string()
}

async fn no_go_then_go(dialect: Dialect, url: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let files = Files::new(dir);
    let (code, out, err) = migrate_to(&demo_fixture(), url, &files.state, &[]);
    assert_eq!(code, 0, "migrate: {err}\n{out}");

    let facts = server_facts(dialect, url).await;
    let lowered: Vec<&str> = facts.iter().filter(|(_, passes, _)| !passes).map(|(id, _, _)| *id).collect();
    std::fs::write(&files.profile, profile(dialect, &lowered)).unwrap();
    std::fs::write(&files.env, weak_env()).unwrap();
    let mut secrets = vec![WEAK_SECRET.to_string(), APP_DB_PASSWORD.to_string()];
    secrets.extend(url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_string)));
    let mut outputs = Vec::new();

    // ------------------------------------------------ straight after the migration: NO-GO
    let (code, before, err) = files.gate(url, "json", &[]);
    assert_eq!(code, 1, "gate before the fixes must be NO-GO: {err}\n{before}");
    let report: Json = serde_json::from_str(&before).unwrap_or_else(|e| panic!("{e}: {before}"));
    let checks = by_id(&report);
    assert_eq!(report["go"], false);
    let mut failing: Vec<&str> = FAILING_BEFORE.to_vec();
    // InnoDB gives every foreign key an index of its own; PostgreSQL and SQLite do not.
    if dialect == Dialect::MariaDb {
        assert_eq!(checks["fk_indexes"]["status"], "pass", "{}", checks["fk_indexes"]);
    } else {
        failing.push("fk_indexes");
    }
    for id in &failing {
        let c = &checks[*id];
        assert_eq!(c["status"], "fail", "{id} must fail before the fixes: {c}");
        assert_eq!(c["blocking"], true, "{id}: {c}");
        assert!(!c["hint"].as_str().unwrap().is_empty(), "{id} has no hint: {c}");
    }
    let blocking = report["checks"].as_array().unwrap().iter().filter(|c| c["blocking"] == true).count();
    assert_eq!(report["failing"], blocking);
    assert_eq!(blocking, failing.len(), "exactly the expected checks block: {before}");
    assert_demo_rows_named(&checks);
    assert!(checks["secrets_strong"]["message"].as_str().unwrap().contains("SECRET_KEY: a well-known default value"));
    assert!(checks["config_debug_off"]["message"].as_str().unwrap().contains("DEBUG=true"));
    let cors = checks["config_cors"]["message"].as_str().unwrap();
    assert!(cors.contains("CORS_ALLOWED_ORIGINS: http://localhost:3000"), "{cors}");
    assert!(cors.contains("the database (gate.cors_query): http://localhost:3000"), "{cors}");
    let keys = checks["config_required_keys"]["message"].as_str().unwrap();
    assert!(keys.contains("missing: ALLOWED_HOSTS") && keys.contains("ALLOWED_HOST (for ALLOWED_HOSTS?)"), "{keys}");
    assert!(checks["migration_verified"]["message"].as_str().unwrap().contains("no verify report"));
    assert_server_checks(dialect, &checks, &facts);
    assert_eq!(checks["extensions"]["status"], if dialect == Dialect::Postgres { "pass" } else { "skip" });
    outputs.push(before);
    for format in ["text", "junit", "markdown"] {
        let (code, out, err) = files.gate(url, format, &[]);
        assert_eq!(code, 1, "{format}: {err}\n{out}");
        for id in &failing {
            let shown = if format == "markdown" { id.replace('_', "\\_") } else { id.to_string() };
            assert!(out.contains(&shown), "{format} output does not name {id}:\n{out}");
        }
        match format {
            "text" => assert_eq!(out.lines().last(), Some(format!("NO-GO ({} failing)", failing.len()).as_str())),
            "junit" => assert_eq!(out.matches("<failure ").count(), failing.len(), "{out}"),
            _ => assert!(out.starts_with("# Go-live gate: NO-GO\n"), "{out}"),
        }
        outputs.push(out + &err);
    }

    // An unfinished migration is named as such.
    let mut state: Json = serde_json::from_str(&std::fs::read_to_string(&files.state).unwrap()).unwrap();
    state["finished"] = Json::Bool(false);
    let unfinished = dir.join("unfinished-state.json");
    std::fs::write(&unfinished, state.to_string()).unwrap();
    let (code, out, err) = files.gate(url, "json", &["--state", unfinished.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let msg = by_id(&serde_json::from_str(&out).unwrap())["migration_verified"]["message"].clone();
    assert!(msg.as_str().unwrap().contains("unfinished"), "{msg}");

    // ------------------------------------------------ what a consultant does before go-live
    // Verify first: the fixes below change rows and columns on purpose.
    let (code, out, err) = run_cutover(&[
        "verify",
        demo_fixture().to_str().unwrap(),
        "--to",
        url,
        "--state",
        files.state.to_str().unwrap(),
        "--progress",
        "none",
        "--report",
        files.verify.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "verify: {err}\n{out}");
    fix_database(dialect, url).await;
    let strong = cutover::harden::generate_secret(64).unwrap();
    std::fs::write(&files.env, strong_env(strong.expose(), &database_url_for(dialect, url))).unwrap();
    secrets.push(strong.expose().to_string());

    // ------------------------------------------------ after the fixes: GO
    let (code, after, err) = files.gate(url, "json", &[]);
    let report: Json = serde_json::from_str(&after).unwrap_or_else(|e| panic!("{e}: {after}"));
    let checks = by_id(&report);
    for id in FIXED_AFTER {
        assert_eq!(checks[*id]["status"], "pass", "{id} must pass after the fixes: {}", checks[*id]);
    }
    assert_server_checks(dialect, &checks, &facts);
    for id in &lowered {
        let c = &checks[*id];
        assert_eq!((c["level"].as_str(), c["level_from_profile"].as_bool()), (Some("warning"), Some(true)), "{c}");
        assert_eq!(c["blocking"], false, "{c}");
    }
    assert_eq!(code, 0, "gate after the fixes must be GO: {err}\n{after}");
    assert_eq!((report["go"].as_bool(), report["failing"].as_u64()), (Some(true), Some(0)));
    outputs.push(after);
    let (code, text, err) = files.gate(url, "text", &[]);
    assert_eq!((code, text.lines().last()), (0, Some("GO")), "{err}\n{text}");
    outputs.push(text);
    let (code, md, _) = files.gate(url, "markdown", &[]);
    assert_eq!(code, 0);
    assert!(md.starts_with("# Go-live gate: GO\n"), "{md}");
    outputs.push(md);
    let junit = dir.join("gate.xml");
    let (code, out, err) = files.gate(url, "junit", &["--output", junit.to_str().unwrap()]);
    assert_eq!(
        (code, out.as_str(), err.trim()),
        (0, "", format!("GO (report written to {})", junit.display()).as_str())
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&format!("tests=\"{}\" failures=\"0\"", checks.len())), "{xml}");
    outputs.push(xml);
    // The lowered checks still fail at --fail-level warning.
    let (code, out, err) = files.gate(url, "json", &["--fail-level", "warning"]);
    assert_eq!(code, if lowered.is_empty() { 0 } else { 1 }, "--fail-level warning with {lowered:?} lowered: {err}");
    outputs.push(out + &err);

    for out in &outputs {
        for secret in &secrets {
            assert!(!out.contains(secret.as_str()), "a secret ({} characters) was printed:\n{out}", secret.len());
        }
    }
}

/// The files of one gate run.
struct Files {
    profile: PathBuf,
    env: PathBuf,
    state: PathBuf,
    verify: PathBuf,
}

impl Files {
    fn new(dir: &Path) -> Files {
        Files {
            profile: dir.join("harden.toml"),
            env: dir.join("production.env"),
            state: dir.join("cutover-state.json"),
            verify: dir.join("cutover-verify.json"),
        }
    }

    /// `cutover gate` on these files; `extra` may name another `--state`.
    fn gate(&self, url: &str, format: &str, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec!["gate", "--to", url, "--profile", self.profile.to_str().unwrap()];
        if !extra.contains(&"--state") {
            args.extend(["--state", self.state.to_str().unwrap()]);
        }
        args.extend([
            "--env-file",
            self.env.to_str().unwrap(),
            "--verify-report",
            self.verify.to_str().unwrap(),
            "--format",
            format,
        ]);
        args.extend_from_slice(extra);
        run_cutover(&args)
    }
}

/// The test profile: the demo accounts (by the patterns `cutover init` writes) and
/// clients, the production admin, SECRET_KEY, version columns on two tables, FK
/// indexes (and an extension on PostgreSQL); the server checks in `lowered` at warning.
fn profile(dialect: Dialect, lowered: &[&str]) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let list = |items: &[&str]| items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    let cors_query =
        format!("SELECT value FROM app_settings WHERE {} = 'allowed_origins'", dialect.engine().quote("key"));
    let mut p = format!(
        r#"[[steps]]
kind = "deactivate"
table = "users"
match_column = "username"
values = ["admin", "supervisor[0-9]*", "operator[0-9]*", "leader[0-9]*", "poweruser", "e2e_*"]

[[steps]]
kind = "deactivate"
table = "clients"
match_column = "code"
values = [{clients}]

[[steps]]
kind = "create_admin"
table = "users"
username = "{ADMIN}"
password_file = "admin-password.txt"

[[steps]]
kind = "rotate_secret"
keys = ["SECRET_KEY"]

[[steps]]
kind = "version_columns"
tables = ["work_orders", "bundles"]
index = true

[[steps]]
kind = "fk_indexes"

[[steps]]
kind = "extensions"
extensions = ["plpgsql"]

[gate]
required_keys = ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"]
cors_query = {cors}

[gate.levels]
"#,
        clients = list(&DEMO_CLIENTS),
        cors = quote(&cors_query),
    );
    for id in lowered {
        p.push_str(&format!("{id} = \"warning\"\n"));
    }
    p
}

fn weak_env() -> String {
    format!(
        "# production settings, as the demo left them\nSECRET_KEY={WEAK_SECRET}\nDEBUG=true\n\
         CORS_ALLOWED_ORIGINS=http://localhost:3000\n\
         DATABASE_URL=postgres://app:{APP_DB_PASSWORD}@db.staging.example:5432/floor\n\
         ALLOWED_HOST=floor.client.example\n"
    )
}

fn strong_env(secret: &str, database_url: &str) -> String {
    format!(
        "SECRET_KEY={secret}\nDEBUG=false\nCORS_ALLOWED_ORIGINS=https://floor.client.example\n\
         DATABASE_URL={database_url}\nALLOWED_HOSTS=floor.client.example\n"
    )
}

/// The application's DATABASE_URL for the target, as its framework writes it: another
/// user and password, `postgresql://` and `mysql+pymysql://` schemes, `localhost` for a
/// loopback address, and SQLAlchemy's four-slash form of an absolute SQLite path.
fn database_url_for(dialect: Dialect, target: &str) -> String {
    if dialect == Dialect::Sqlite {
        let path = TargetUrl::parse(target).unwrap().sqlite_path().unwrap();
        return format!("sqlite:///{}", path.display());
    }
    let u = url::Url::parse(target).unwrap();
    let host = match u.host_str().unwrap() {
        "127.0.0.1" => "localhost",
        h => h,
    };
    let scheme = if dialect == Dialect::Postgres { "postgresql" } else { "mysql+pymysql" };
    let port = u.port().map_or(String::new(), |p| format!(":{p}"));
    format!("{scheme}://app:{APP_DB_PASSWORD}@{host}{port}{}", u.path())
}

/// What a consultant fixes in the database: demo rows inactive, the admin created with
/// a bcrypt hash, version columns with their indexes, an index on every foreign key,
/// and the database's own CORS setting.
async fn fix_database(dialect: Dialect, url: &str) {
    let mut conn = TargetConn::connect(&TargetUrl::parse(url).unwrap()).await.unwrap();
    let engine = dialect.engine();
    let lit = |s: &str| engine.string_literal(s);
    let in_list = |items: &[&str]| items.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ");
    let hash =
        cutover::harden::hash_password("Correct-Horse-Battery-9", cutover::harden::PasswordFormat::Bcrypt { cost: 4 })
            .unwrap();
    let mut statements = vec![
        format!("UPDATE users SET is_active = FALSE WHERE username IN ({})", in_list(&DEMO_USERS)),
        format!("UPDATE clients SET is_active = FALSE WHERE code IN ({})", in_list(&DEMO_CLIENTS)),
        format!(
            "INSERT INTO users (id, username, email, password_hash, full_name, role, locale, is_active, created_at) \
             VALUES (1000, {}, 'it@client.example', {}, 'Floor Admin', 'admin', 'en', TRUE, '2024-06-03 06:00:00')",
            lit(ADMIN),
            lit(&hash)
        ),
        format!(
            "UPDATE app_settings SET value = {} WHERE {} = 'allowed_origins'",
            lit(r#"["https://floor.client.example"]"#),
            engine.quote("key")
        ),
    ];
    for table in ["work_orders", "bundles"] {
        statements.push(format!("ALTER TABLE {table} ADD COLUMN version BIGINT NOT NULL DEFAULT 1"));
        statements.push(format!("CREATE INDEX idx_{table}_version ON {table} (version)"));
    }
    for s in &statements {
        conn.execute(s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let indexes = conn.index_columns(None).await.unwrap();
    let fks = conn.foreign_key_columns(None).await.unwrap();
    let mut created = 0;
    for (table, cols) in fks {
        let covered =
            indexes.iter().any(|(t, _, ic)| *t == table && ic.len() >= cols.len() && ic[..cols.len()] == cols[..]);
        if !covered {
            let quoted = cols.iter().map(|c| engine.quote(c)).collect::<Vec<_>>().join(", ");
            let sql = format!("CREATE INDEX ix_gate_fk_{created} ON {} ({quoted})", engine.quote(&table));
            conn.execute(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            created += 1;
        }
    }
    assert_eq!(created > 0, dialect != Dialect::MariaDb, "FK indexes created: {created}");
}

/// Every check of a JSON report by id.
fn by_id(report: &Json) -> BTreeMap<String, Json> {
    report["checks"].as_array().unwrap().iter().map(|c| (c["id"].as_str().unwrap().to_string(), c.clone())).collect()
}

/// The demo users and clients that are still active are named, and nobody else.
fn assert_demo_rows_named(checks: &BTreeMap<String, Json>) {
    let evidence = |id: &str| -> Vec<String> {
        checks[id]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().split(" (").next().unwrap().to_string())
            .collect()
    };
    let users = evidence("deactivated_users");
    assert_eq!(users, DEMO_USERS, "the active demo users, by name");
    assert!(STAFF.iter().all(|s| !users.contains(&s.to_string())));
    assert_eq!(evidence("deactivated_clients"), DEMO_CLIENTS);
}

/// Each server check reports what the server itself says (`server_facts`).
fn assert_server_checks(dialect: Dialect, checks: &BTreeMap<String, Json>, facts: &[(&str, bool, String)]) {
    if dialect == Dialect::Sqlite {
        for id in ["pg_ssl", "pg_no_trust_auth", "mariadb_no_test_database", "mariadb_strict_mode"] {
            assert_eq!(checks[id]["status"], "skip", "{id}");
        }
        return;
    }
    for (id, passes, fact) in facts {
        let want = if *passes { "pass" } else { "fail" };
        assert_eq!(checks[*id]["status"], want, "{id}: the server says {fact}; the gate says {}", checks[*id]);
    }
}

/// What the server reports for each server check, read directly with its own query:
/// (check id, whether it should pass, what was read).
async fn server_facts(dialect: Dialect, url: &str) -> Vec<(&'static str, bool, String)> {
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let text = |r: sqlx::postgres::PgRow| r.get::<String, _>(0);
            let enc = text(sqlx::query("SHOW password_encryption").fetch_one(&mut c).await.unwrap());
            let trust: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'")
                .fetch_one(&mut c)
                .await
                .unwrap();
            let ssl = text(sqlx::query("SHOW ssl").fetch_one(&mut c).await.unwrap());
            let supers: i64 =
                sqlx::query_scalar("SELECT count(*) FROM pg_roles WHERE rolsuper").fetch_one(&mut c).await.unwrap();
            vec![
                ("pg_password_encryption", enc == "scram-sha-256", format!("password_encryption = {enc}")),
                ("pg_no_trust_auth", trust == 0, format!("{trust} trust line(s) in pg_hba.conf")),
                ("pg_ssl", ssl == "on", format!("ssl = {ssl}")),
                ("pg_superusers", supers <= 1, format!("{supers} superuser(s)")),
            ]
        }
        Dialect::MariaDb => {
            let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
            async fn count(c: &mut sqlx::MySqlConnection, sql: &str) -> i64 {
                sqlx::query_scalar(sql).fetch_one(c).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            let anonymous = count(&mut c, "SELECT count(*) FROM mysql.user WHERE User = ''").await;
            let remote_root = count(
                &mut c,
                "SELECT count(*) FROM mysql.user WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1')",
            )
            .await;
            let test_dbs = count(
                &mut c,
                "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test' OR SCHEMA_NAME LIKE 'test\\_%'",
            )
            .await;
            let infile = count(&mut c, "SELECT CAST(@@GLOBAL.local_infile AS SIGNED)").await;
            let mode: String =
                sqlx::query_scalar("SELECT CAST(@@GLOBAL.sql_mode AS CHAR)").fetch_one(&mut c).await.unwrap();
            vec![
                ("mariadb_no_anonymous_users", anonymous == 0, format!("{anonymous} anonymous account(s)")),
                ("mariadb_no_remote_root", remote_root == 0, format!("{remote_root} remote root account(s)")),
                ("mariadb_no_test_database", test_dbs == 0, format!("{test_dbs} test database(s)")),
                ("mariadb_local_infile_off", infile == 0, format!("local_infile = {infile}")),
                ("mariadb_strict_mode", mode.contains("STRICT_"), format!("sql_mode = {mode}")),
            ]
        }
        Dialect::Sqlite => Vec::new(),
    }
}

// ---------------------------------------------------------------- unreadable settings

/// An account of the server's with no privileges beyond logging in (and, on MariaDB,
/// reading the scratch database), created for one test and dropped after it.
const READER: &str = "cutover_t_gate_reader";
const READER_PASSWORD: &str = "reader-Pw-81zq";

async fn admin(dialect: Dialect, statements: &[String]) {
    let url = server_url(dialect);
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            for s in statements {
                c.execute(s.as_str()).await.unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
            for s in statements {
                c.execute(s.as_str()).await.unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
    }
}

fn reader_url(db_url: &str) -> String {
    let mut u = url::Url::parse(db_url).unwrap();
    u.set_username(READER).unwrap();
    u.set_password(Some(READER_PASSWORD)).unwrap();
    u.to_string()
}

/// Run the gate as the reader with a one-step profile; the JSON report and exit code.
fn gate_as_reader(db_url: &str, dir: &Path, levels: &str) -> (i32, BTreeMap<String, Json>, String) {
    let profile = dir.join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "[[steps]]\nkind = \"deactivate\"\ntable = \"users\"\nmatch_column = \"username\"\nvalues = [\"admin\"]\n\n[gate.levels]\n{levels}"
        ),
    )
    .unwrap();
    let url = reader_url(db_url);
    let (state, verify) = (dir.join("none-state.json"), dir.join("none-verify.json"));
    let (code, out, err) = run_cutover(&[
        "gate",
        "--to",
        &url,
        "--profile",
        profile.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--verify-report",
        verify.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}\n{out}"));
    assert!(!out.contains(READER_PASSWORD) && !err.contains(READER_PASSWORD));
    (code, by_id(&report), out)
}

fn assert_unreadable_blocks(checks: &BTreeMap<String, Json>, id: &str, server_says: &str) {
    let c = &checks[id];
    assert_eq!((c["status"].as_str(), c["blocking"].as_bool()), (Some("warn"), Some(true)), "{id}: {c}");
    let msg = c["message"].as_str().unwrap();
    assert!(msg.contains(server_says), "{id} must carry the server's message: {msg}");
    assert!(msg.contains("counts as failing"), "{id} must say it blocks: {msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_settings_warn_and_block_on_postgres() {
    let db = ScratchDb::new(Dialect::Postgres, "gate_unreadable_settings_postgres").await;
    admin(
        Dialect::Postgres,
        &[
            format!("DROP ROLE IF EXISTS {READER}"),
            format!("CREATE ROLE {READER} LOGIN NOSUPERUSER PASSWORD '{READER_PASSWORD}'"),
        ],
    )
    .await;
    let errors = db
        .exec_all(&[
            "CREATE TABLE users (id integer PRIMARY KEY, username varchar(64) NOT NULL, is_active boolean NOT NULL)"
                .into(),
            "INSERT INTO users VALUES (1, 'admin', false)".into(),
        ])
        .await;
    assert!(errors.is_empty(), "{errors:?}");
    let dir = tempfile::tempdir().unwrap();
    // pg_hba_file_rules needs a superuser (or pg_read_all_settings); the table is not granted.
    let (code, checks, out) = gate_as_reader(&db.url, dir.path(), "");
    assert_eq!(code, 1, "{out}");
    assert_unreadable_blocks(&checks, "pg_no_trust_auth", "permission denied");
    assert_unreadable_blocks(&checks, "deactivated_users", "permission denied for table users");
    // Lowered to warning in the profile, they no longer block, and say so.
    let (_, checks, _) = gate_as_reader(&db.url, dir.path(), "pg_no_trust_auth = \"warning\"\n");
    let c = &checks["pg_no_trust_auth"];
    assert_eq!((c["status"].as_str(), c["blocking"].as_bool()), (Some("warn"), Some(false)), "{c}");
    assert!(c["message"].as_str().unwrap().contains("does not block"), "{c}");
    db.drop_db().await;
    admin(Dialect::Postgres, &[format!("DROP ROLE IF EXISTS {READER}")]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_settings_warn_and_block_on_mariadb() {
    let db = ScratchDb::new(Dialect::MariaDb, "gate_unreadable_settings_mariadb").await;
    let errors = db
        .exec_all(&[
            "CREATE TABLE users (id integer PRIMARY KEY, username varchar(64) NOT NULL, is_active boolean NOT NULL)"
                .into(),
            "INSERT INTO users VALUES (1, 'admin', 0)".into(),
        ])
        .await;
    assert!(errors.is_empty(), "{errors:?}");
    admin(
        Dialect::MariaDb,
        &[
            format!("DROP USER IF EXISTS '{READER}'@'%'"),
            format!("CREATE USER '{READER}'@'%' IDENTIFIED BY '{READER_PASSWORD}'"),
            format!("GRANT SELECT ON `{}`.* TO '{READER}'@'%'", db.name),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    // mysql.user needs SELECT on the mysql database; without SHOW DATABASES the account
    // sees only its own databases, so "no test database" cannot be known either.
    let (code, checks, out) = gate_as_reader(&db.url, dir.path(), "");
    assert_eq!(code, 1, "{out}");
    assert_unreadable_blocks(&checks, "mariadb_no_anonymous_users", "denied");
    assert_unreadable_blocks(&checks, "mariadb_no_remote_root", "denied");
    assert_unreadable_blocks(&checks, "mariadb_no_test_database", "SHOW DATABASES");
    assert_eq!(checks["deactivated_users"]["status"], "pass", "{}", checks["deactivated_users"]);
    db.drop_db().await;
    admin(Dialect::MariaDb, &[format!("DROP USER IF EXISTS '{READER}'@'%'")]).await;
}

// ---------------------------------------------------------------- usage and runtime errors

#[test]
fn usage_errors_exit_2_and_an_unreachable_target_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("app.sqlite");
    rusqlite::Connection::open(&db).unwrap().execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)").unwrap();
    let target = format!("sqlite://{}", db.display());
    let (code, _, err) = run_cutover(&["gate", "--to", &target]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no hardening profile"), "{err}");

    let profile = dir.join("p.toml");
    std::fs::write(&profile, "[gate.levels]\npg_ssll = \"warning\"\n").unwrap();
    let (code, _, err) = run_cutover(&["gate", "--to", &target, "--profile", profile.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pg_ssll") && err.contains("pg_ssl,"), "a misspelt level id is named: {err}");

    std::fs::write(&profile, "[[steps]]\nkind = \"fk_indexes\"\n").unwrap();
    let missing = dir.join("not-there.sqlite");
    let (code, _, err) = run_cutover(&[
        "gate",
        "--to",
        &format!("sqlite://{}", missing.display()),
        "--profile",
        profile.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist") && !missing.exists(), "the gate never creates the file: {err}");

    let (code, out, err) = run_cutover(&[
        "gate",
        "--to",
        "postgres://app:Unreachable-pw-5@127.0.0.1:1/client",
        "--profile",
        profile.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("cannot connect to postgres://app:***@127.0.0.1:1/client"), "{err}");
    assert!(!err.contains("Unreachable-pw-5") && out.is_empty(), "{err}");
}
