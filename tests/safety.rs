//! Regression tests for the defects that could give a wrong GO or write where cutover
//! should not (issue 13), one per defect, each on every engine where it applies.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use sqlx::{Connection, Row};

/// A source whose tables have indexes, unique keys, foreign keys (several per table) and
/// an AUTOINCREMENT key whose `sqlite_sequence` is above the largest key (rows deleted).
fn source(dir: &Path) -> PathBuf {
    let path = dir.join("shop.sqlite");
    let _ = std::fs::remove_file(&path);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE client (id INTEGER PRIMARY KEY AUTOINCREMENT, code VARCHAR(20) NOT NULL UNIQUE, name TEXT);
         CREATE TABLE product (id INTEGER PRIMARY KEY AUTOINCREMENT, sku VARCHAR(20) NOT NULL, price NUMERIC(10,2));
         CREATE UNIQUE INDEX product_sku ON product (sku);
         CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT,
             client_id INTEGER NOT NULL REFERENCES client (id),
             product_id INTEGER REFERENCES product (id),
             placed VARCHAR(30));
         CREATE INDEX orders_placed ON orders (placed);
         CREATE VIEW big_clients AS SELECT id, code FROM client WHERE id > 2;",
    )
    .unwrap();
    for i in 1..=10 {
        c.execute("INSERT INTO client (code, name) VALUES (?1, ?2)", rusqlite::params![format!("C{i}"), "n"]).unwrap();
        c.execute("INSERT INTO product (sku, price) VALUES (?1, '1.50')", [format!("S{i}")]).unwrap();
    }
    for i in 1..=30 {
        c.execute(
            "INSERT INTO orders (client_id, product_id, placed) VALUES (?1, ?2, '2026-01-01')",
            [1 + i % 7, 1 + i % 5],
        )
        .unwrap();
    }
    // Rows deleted before the move: SQLite never hands out ids 8..10 / 26..30 again.
    c.execute_batch("DELETE FROM orders WHERE id > 25 OR client_id > 7; DELETE FROM client WHERE id > 7;").unwrap();
    path
}

/// The source, and an embedded SQLite target with its URL and state file, in `dir`.
fn sqlite_case(dir: &Path) -> (PathBuf, PathBuf, String, PathBuf) {
    let target = dir.join("t.sqlite");
    let url = format!("sqlite://{}", target.display());
    (source(dir), target, url, dir.join("state.json"))
}

/// Names of the indexes, foreign keys and views in a target, as its own catalog lists them.
async fn catalog(dialect: Dialect, url: &str) -> BTreeSet<String> {
    let queries: &[&str] = match dialect {
        Dialect::Postgres => &[
            "SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public'",
            "SELECT 'fk ' || conname FROM pg_constraint WHERE contype = 'f'",
            "SELECT 'view ' || viewname FROM pg_views WHERE schemaname = 'public'",
        ],
        _ => &[
            "SELECT CAST(CONCAT('index ', TABLE_NAME, '.', INDEX_NAME) AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()",
            "SELECT CAST(CONCAT('fk ', CONSTRAINT_NAME) AS CHAR) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
            "SELECT CAST(CONCAT('view ', TABLE_NAME) AS CHAR) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
        ],
    };
    let mut out = BTreeSet::new();
    for q in queries {
        let rows: Vec<String> = match dialect {
            Dialect::Postgres => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap()
            }
            _ => {
                let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
                sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap()
            }
        };
        out.extend(rows);
    }
    out
}

async fn exec(dialect: Dialect, url: &str, sql: &str) {
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// Insert a row the way the application does (no id) and return the id it got.
async fn new_order_id(dialect: Dialect, url: &str) -> i64 {
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("INSERT INTO orders (client_id, placed) VALUES (1, 'new') RETURNING id::bigint")
                .fetch_one(&mut c)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
            let r =
                sqlx::query("INSERT INTO orders (client_id, placed) VALUES (1, 'new')").execute(&mut c).await.unwrap();
            i64::try_from(r.last_insert_id()).unwrap()
        }
    }
}

fn state_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Item 1: a run killed after the target committed post-load DDL but before the state
/// file recorded it. Simulated exactly: the post-load statements ran (a full migration),
/// some of their objects are removed again, and the state file is put back to "no
/// post-load statement done". `--resume` must read the catalog, skip what is there,
/// create what is missing, and end with exactly the full set.
async fn post_load_resumes_from_the_catalog(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let db = ScratchDb::new(dialect, test).await;
    let state = dir.path().join("state.json");
    let (code, out, err) = migrate(&src, &db, &state, &[]);
    assert_eq!(code, 0, "{err}\n{out}");
    let full = catalog(dialect, &db.url).await;
    assert!(full.iter().filter(|n| n.starts_with("fk ")).count() >= 2, "{full:?}");
    assert!(full.iter().any(|n| n.starts_with("view ")), "{full:?}");

    // Take back one foreign key and one index (a MariaDB ALTER that adds several is split
    // in two: one part exists, one does not), and the record of the whole post-load phase.
    let fks: Vec<&String> = full.iter().filter(|n| n.starts_with("fk ")).collect();
    let dropped_fk = fks[0].trim_start_matches("fk ").to_string();
    let drop = match dialect {
        Dialect::Postgres => {
            format!("ALTER TABLE orders DROP CONSTRAINT \"{dropped_fk}\"; DROP INDEX \"orders_placed\";")
        }
        _ => format!(
            "ALTER TABLE orders DROP FOREIGN KEY `{dropped_fk}`; ALTER TABLE orders DROP INDEX `orders_placed`;"
        ),
    };
    exec(dialect, &db.url, &drop).await;
    let mut st = state_json(&state);
    st["post_load_next"] = 0.into();
    st["post_load_done"] = serde_json::json!([]);
    st["finished"] = false.into();
    std::fs::write(&state, st.to_string()).unwrap();

    let (code, out, err) = migrate(&src, &db, &state, &["--resume"]);
    assert_eq!(code, 0, "resume after post-load DDL that already ran must finish: {err}\n{out}");
    assert_eq!(
        catalog(dialect, &db.url).await,
        full,
        "resume must end with exactly the planned indexes, FKs and views"
    );
    assert_eq!(state_json(&state)["finished"], true);
    verify_matches(&src, &db.url, &state, test);
    db.drop_db().await;
}

on_both_engines!(post_load_ddl_that_ran_before_a_kill_is_completed_on_resume, post_load_resumes_from_the_catalog);

#[test]
fn post_load_ddl_that_ran_before_a_kill_is_completed_on_resume_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (src, target, url, state) = sqlite_case(dir.path());
    let (code, _, err) = migrate_to(&src, &url, &state, &[]);
    assert_eq!(code, 0, "{err}");
    let names = |c: &rusqlite::Connection| -> BTreeSet<String> {
        let mut st = c.prepare("SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let counters = |c: &rusqlite::Connection| -> Vec<(String, i64)> {
        let mut st = c.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name, seq").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let (full, full_counters) = {
        let c = rusqlite::Connection::open(&target).unwrap();
        let n = names(&c);
        c.execute_batch("DROP INDEX orders_placed").unwrap();
        (n, counters(&c))
    };
    // One row per AUTOINCREMENT table, above the source's sqlite_sequence.
    assert_eq!(full_counters, vec![("client".into(), 10), ("orders".into(), 30), ("product".into(), 10)]);
    let mut st = state_json(&state);
    st["post_load_next"] = 0.into();
    st["post_load_done"] = serde_json::json!([]);
    st["finished"] = false.into();
    std::fs::write(&state, st.to_string()).unwrap();
    let (code, out, err) = migrate_to(&src, &url, &state, &["--resume"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let c = rusqlite::Connection::open(&target).unwrap();
    assert_eq!(names(&c), full);
    assert_eq!(counters(&c), full_counters, "counters run twice must not be doubled or lowered");
    verify_matches(&src, &url, &state, "sqlite post-load resume");
}

/// Item 2: a server URL without a database, or naming one of the server's own, is refused
/// before any connection (exit 2), with the fix in the message; nothing is created.
#[tokio::test(flavor = "multi_thread")]
async fn urls_without_a_database_or_naming_a_system_database_are_refused() {
    let pg = server_url(Dialect::Postgres);
    let pg_server = pg.trim_end_matches("/postgres").to_string();
    let tables_in_postgres = || async {
        let mut c = sqlx::PgConnection::connect(&pg).await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    let before = tables_in_postgres().await;
    let demo = demo_fixture();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    for (url, says) in [
        (pg_server.clone(), "names no database"),
        (format!("{pg_server}/"), "names no database"),
        (format!("{pg_server}/postgres"), "a database of the server itself"),
        (format!("{pg_server}/template1"), "a database of the server itself"),
        ("mariadb://root@127.0.0.1:3306".to_string(), "names no database"),
        ("mariadb://root@127.0.0.1:3306/mysql".to_string(), "a database of the server itself"),
        ("mariadb://root@127.0.0.1:3306/information_schema".to_string(), "a database of the server itself"),
    ] {
        for command in ["migrate", "verify"] {
            let (code, out, err) = run_cutover(&[
                command,
                demo.to_str().unwrap(),
                "--to",
                &url,
                "--state",
                state.to_str().unwrap(),
                "--progress",
                "none",
            ]);
            assert_eq!(code, 2, "{command} {url}: {err}\n{out}");
            assert!(err.contains(says), "{command} {url}: {err}");
            assert!(
                err.contains("write the database after the host") || err.contains("--allow-system-database"),
                "the fix is in the message: {err}"
            );
        }
        let (code, _, err) = run_cutover(&["gate", "--to", &url, "--profile", "fixtures/demo/harden.toml"]);
        assert_eq!(code, 2, "gate {url}: {err}");
    }
    assert!(!state.exists(), "a refused run writes no state file");
    assert_eq!(tables_in_postgres().await, before, "nothing was written into the maintenance database");
}

/// Item 3: ids of rows deleted before the move are never handed out again: the next id
/// follows `sqlite_sequence`, in create and existing mode, on every engine; verify
/// catches a counter set above the largest key but not above `sqlite_sequence`.
async fn counters_follow_sqlite_sequence(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    for mode in ["create", "existing"] {
        let db = ScratchDb::new(dialect, &format!("{test}_{mode}")).await;
        let state = dir.path().join(format!("{mode}-state.json"));
        if mode == "existing" {
            // The application's own DDL: plain serial / AUTO_INCREMENT keys.
            let ddl = match dialect {
                Dialect::Postgres => "CREATE TABLE client (id bigserial PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, name text);
                     CREATE TABLE product (id serial PRIMARY KEY, sku varchar(20) NOT NULL UNIQUE, price numeric(10,2));
                     CREATE TABLE orders (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                        client_id bigint NOT NULL REFERENCES client (id), product_id integer REFERENCES product (id), placed varchar(30));",
                _ => "CREATE TABLE client (id BIGINT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, name TEXT);
                     CREATE TABLE product (id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(20) NOT NULL UNIQUE, price DECIMAL(10,2));
                     CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, client_id BIGINT NOT NULL, product_id INT,
                        placed VARCHAR(30), FOREIGN KEY (client_id) REFERENCES client (id), FOREIGN KEY (product_id) REFERENCES product (id));",
            };
            exec(dialect, &db.url, ddl).await;
        }
        let (code, out, err) = migrate(&src, &db, &state, &["--schema", mode, "--tables", "client,product,orders"]);
        assert_eq!(code, 0, "{mode}: {err}\n{out}");
        let report = verify_matches(&src, &db.url, &state, &format!("{test} {mode}"));
        let orders = report["identities"].as_array().unwrap().iter().find(|i| i["table"] == "orders").cloned();
        assert_eq!(orders.as_ref().map(|o| o["sqlite_sequence"].clone()), Some(30.into()), "{report}");
        // Largest key 25, sqlite_sequence 30: the application's next order is 31.
        assert_eq!(new_order_id(dialect, &db.url).await, 31, "{mode}: the next id follows sqlite_sequence");

        // A counter above the largest key but at or below sqlite_sequence is a difference.
        let lower = match dialect {
            Dialect::Postgres => {
                "DELETE FROM orders WHERE placed = 'new'; SELECT setval(pg_get_serial_sequence('orders', 'id'), 28, false)"
            }
            _ => "DELETE FROM orders WHERE placed = 'new'; ALTER TABLE orders AUTO_INCREMENT = 28",
        };
        exec(dialect, &db.url, lower).await;
        let (code, out, err) = verify(&src, &db, &state, &[]);
        assert_eq!(code, 1, "{mode}: verify must catch a counter below sqlite_sequence: {err}\n{out}");
        assert!(out.contains("sqlite_sequence is 30"), "{out}");
        db.drop_db().await;
    }
}

on_both_engines!(new_rows_never_reuse_ids_of_rows_deleted_before_the_move, counters_follow_sqlite_sequence);

#[test]
fn new_rows_never_reuse_ids_of_rows_deleted_before_the_move_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (src, target, url, state) = sqlite_case(dir.path());
    let (code, _, err) = migrate_to(&src, &url, &state, &[]);
    assert_eq!(code, 0, "{err}");
    verify_matches(&src, &url, &state, "sqlite counters");
    let c = rusqlite::Connection::open(&target).unwrap();
    c.execute("INSERT INTO orders (client_id, placed) VALUES (1, 'new')", []).unwrap();
    assert_eq!(c.last_insert_rowid(), 31);
    c.execute_batch(
        "DELETE FROM orders WHERE placed = 'new'; UPDATE sqlite_sequence SET seq = 27 WHERE name = 'orders'",
    )
    .unwrap();
    drop(c);
    let (code, out, err) = run_cutover(&[
        "verify",
        src.to_str().unwrap(),
        "--to",
        &url,
        "--state",
        state.to_str().unwrap(),
        "--progress",
        "none",
        "--report",
        dir.path().join("v.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(out.contains("sqlite_sequence is 30"), "{out}");
}

/// Item 5: `migrate --verify` writes the verify report where the gate reads it, so the
/// gate's `migration_verified` passes right after, with no flag naming the report.
#[test]
fn gate_after_migrate_verify_finds_the_verification() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(&profile, "[[steps]]\nkind = \"fk_indexes\"\n").unwrap();
    let config = dir.path().join("cutover.toml");
    std::fs::write(
        &config,
        format!(
            "source = {:?}\ntarget = \"sqlite://t.sqlite\"\nprofile = \"p.toml\"\n",
            demo_fixture().to_str().unwrap()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["migrate", "--config", "cutover.toml", "--verify", "--progress", "none"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("VERIFIED"), "{out}");
    assert!(
        target_folder(dir.path(), "sqlite://t.sqlite").join("verify.json").exists(),
        "migrate --verify writes the report the gate reads"
    );
    let (_, out, err) = run(&["gate", "--config", "cutover.toml", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}\n{out}"));
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "migration_verified").unwrap().clone();
    assert_eq!(check["status"], "pass", "{check}");

    // A plain `verify` writes it too, at the path the profile names.
    std::fs::write(&profile, "[[steps]]\nkind = \"fk_indexes\"\n[gate]\nverify_report = \"v.json\"\n").unwrap();
    let (code, out, err) = run(&["verify", "--config", "cutover.toml", "--progress", "none"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(dir.path().join("v.json").exists(), "verify writes the report at the profile's gate.verify_report");
    let (_, out, _) = run(&["gate", "--config", "cutover.toml", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "migration_verified").unwrap().clone();
    assert_eq!(check["status"], "pass", "{check}");
}

/// Item 4: one env file, two targets. The first harden rotates the secret and revokes
/// the first target's sessions; the second target's sessions were signed by the old
/// secret too and must be revoked by the harden run into it, though the secret is already
/// strong. Until then the gate's `sessions_revoked` is NO-GO; a later change of the
/// secret makes it NO-GO again.
#[test]
fn sessions_signed_by_an_old_secret_are_revoked_in_every_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixtures = repo().join("fixtures/demo");
    std::fs::write(
        d.join("p.toml"),
        format!(
            "env_file = \"app.env\"\nenv_template = {:?}\nsample_env = {:?}\n\n[[steps]]\nkind = \"rotate_secret\"\nkeys = [\"SECRET_KEY\", \"JWT_SECRET\"]\n\n[[steps.invalidate]]\ntable = \"user_sessions\"\nset = {{ revoked = true }}\n",
            fixtures.join("production.env").to_str().unwrap(),
            fixtures.join("app.env.example").to_str().unwrap()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover")).current_dir(d).args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let demo = demo_fixture();
    for t in ["a", "b"] {
        let (code, _, err) = run(&[
            "migrate",
            demo.to_str().unwrap(),
            "--to",
            &format!("sqlite://{t}.sqlite"),
            "--state",
            &format!("{t}-state.json"),
            "--progress",
            "none",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let active = |t: &str| -> i64 {
        let c = rusqlite::Connection::open(d.join(format!("{t}.sqlite"))).unwrap();
        c.query_row("SELECT count(*) FROM user_sessions WHERE NOT revoked", [], |r| r.get(0)).unwrap()
    };
    assert!(active("a") > 0 && active("b") > 0, "the demo has active sessions");
    let sessions_check = |t: &str| -> serde_json::Value {
        let (_, out, err) =
            run(&["gate", "--to", &format!("sqlite://{t}.sqlite"), "--profile", "p.toml", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}\n{out}"));
        report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "sessions_revoked").cloned().unwrap()
    };
    let harden = |t: &str| {
        let (code, out, err) = run(&["harden", "--to", &format!("sqlite://{t}.sqlite"), "--profile", "p.toml"]);
        assert_eq!(code, 0, "harden {t}: {err}\n{out}");
        out
    };

    let c = sessions_check("a");
    assert_eq!((c["status"].as_str(), c["blocking"].as_bool()), (Some("fail"), Some(true)), "{c}");
    harden("a");
    assert_eq!(active("a"), 0);
    assert_eq!(sessions_check("a")["status"], "pass");

    // Target b: the env file's secret is strong now, but b's sessions were signed by the old one.
    let c = sessions_check("b");
    assert_eq!((c["status"].as_str(), c["blocking"].as_bool()), (Some("fail"), Some(true)), "{c}");
    let out = harden("b");
    assert!(out.contains("user_sessions"), "harden b revokes the sessions: {out}");
    assert_eq!(active("b"), 0, "sessions signed by the old secret stay valid in b");
    assert_eq!(sessions_check("b")["status"], "pass");
    let journal = std::fs::read_to_string(target_folder(d, "sqlite://b.sqlite").join("journal.json")).unwrap();
    let env = std::fs::read_to_string(d.join("app.env")).unwrap();
    let secret = env.lines().find_map(|l| l.strip_prefix("SECRET_KEY=")).unwrap().trim_matches('"');
    assert!(!journal.contains(secret), "the journal holds a fingerprint, never the secret");

    // A third run changes nothing; a new secret (rotated by someone else) is NO-GO again.
    let out = harden("b");
    assert!(out.contains("nothing to do"), "{out}");
    let strong = cutover::harden::generate_secret(64).unwrap();
    std::fs::write(d.join("app.env"), env.replace(secret, strong.expose())).unwrap();
    let c = sessions_check("a");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["message"].as_str().unwrap().contains("earlier secret"), "{c}");
}

/// Eight chained tables of 30,000 rows, each with an index and a foreign key: a load that
/// lasts, and a post-load phase of two dozen statements.
fn chain_source(dir: &Path) -> PathBuf {
    let path = dir.join("chain.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    let mut sql = String::from("BEGIN;");
    for t in 0..8 {
        let parent = if t == 0 { String::new() } else { format!(", p INTEGER REFERENCES t{} (id)", t - 1) };
        sql.push_str(&format!(
            "CREATE TABLE t{t} (id INTEGER PRIMARY KEY, v VARCHAR(60), at DATETIME{parent});
             CREATE INDEX t{t}_v ON t{t} (v);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
             INSERT INTO t{t} SELECT i, printf('row %d of t{t}', i), datetime(1700000000 + i * 37, 'unixepoch'){} FROM n;",
            if t == 0 { "" } else { ", i" }
        ));
    }
    sql.push_str("COMMIT;");
    c.execute_batch(&sql).unwrap();
    path
}

/// Run migrate with JSON progress; send `signal` right after the first progress line that
/// contains `trigger` (and `delay`); return the exit code and stderr.
fn run_and_signal(args: &[&str], trigger: &str, delay: std::time::Duration, signal: &str) -> (i32, String) {
    use std::io::{BufRead, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
        seen.push_str(&line);
        if line.contains(trigger) {
            std::thread::sleep(delay);
            let sent = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
            assert!(sent.success());
            break;
        }
        line.clear();
    }
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    seen.push_str(&rest);
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), seen)
}

/// Item 6: SIGINT during the load and SIGTERM during the post-load phase stop cleanly:
/// exit 130 / 143, the line on stderr says how to continue, the state file and the
/// report are written; `--resume` then ends exactly equal to the source.
async fn signals_stop_cleanly(dialect: Dialect, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let src = chain_source(dir.path());
    let db = ScratchDb::new(dialect, test).await;
    let state = dir.path().join("state.json");
    let report = dir.path().join("report.json");
    let args = |resume: bool| -> Vec<String> {
        let mut a: Vec<String> =
            ["migrate", src.to_str().unwrap(), "--to", &db.url, "--state", state.to_str().unwrap()]
                .iter()
                .map(|s| s.to_string())
                .collect();
        a.extend(["--progress", "json", "--jobs", "1", "--report", report.to_str().unwrap()].map(String::from));
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let ms = std::time::Duration::from_millis;

    let first = args(false);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let (code, err) = run_and_signal(&first, "\"table_started\"", ms(150), "-INT");
    assert_eq!(code, 130, "SIGINT during the load: {err}");
    assert!(err.contains("interrupted: stopped while copying the data (SIGINT)"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let st = state_json(&state);
    assert_eq!(st["finished"], false);
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["complete"], false, "the report is written and says the run is incomplete");
    // Nothing half-loaded: every table is either recorded done with all its rows, or empty.
    for t in 0..8 {
        let done = st["tables"][format!("t{t}")]["status"] == "done";
        let n: i64 = match dialect {
            Dialect::Postgres => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar(&format!("SELECT count(*) FROM t{t}")).fetch_one(&mut c).await.unwrap()
            }
            _ => {
                let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar(&format!("SELECT count(*) FROM t{t}")).fetch_one(&mut c).await.unwrap()
            }
        };
        assert_eq!(n, if done { 30_000 } else { 0 }, "t{t}: a table is committed whole or not at all");
    }

    let again = args(true);
    let again: Vec<&str> = again.iter().map(String::as_str).collect();
    let (code, err) = run_and_signal(&again, "\"phase\":\"after", ms(0), "-TERM");
    assert_eq!(code, 143, "SIGTERM during the post-load phase: {err}");
    assert!(err.contains("interrupted: stopped after the data"), "{err}");
    assert!(err.contains("(SIGTERM)"), "{err}");
    let st = state_json(&state);
    assert_eq!(st["finished"], false);
    // Most of a table's post-load statements ran while other tables loaded; the ones still
    // waiting (at least the last foreign key and the views) are not recorded.
    let ran: Vec<u64> = st["post_load_done"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let last = ran.iter().max().copied().unwrap_or(0);
    assert!(ran.len() as u64 <= last, "stopped inside the post-load phase, with a statement left: {st}");

    let (code, out, err) = migrate(&src, &db, &state, &["--resume"]);
    assert_eq!(code, 0, "{err}\n{out}");
    verify_matches(&src, &db.url, &state, test);
    let names = catalog(dialect, &db.url).await;
    assert_eq!(names.iter().filter(|n| n.starts_with("fk ")).count(), 7, "{names:?}");
    db.drop_db().await;
}

on_both_engines!(sigint_and_sigterm_stop_cleanly_and_resume_exactly, signals_stop_cleanly);

/// Existing mode: a source column that matched a target column of a type cutover does not
/// support yet is reported as that, not also as "the source has no such column".
#[tokio::test(flavor = "multi_thread")]
async fn a_matched_column_of_an_unsupported_type_is_not_reported_missing_from_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("s.sqlite");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE job (id INTEGER PRIMARY KEY, took INTEGER NOT NULL); INSERT INTO job VALUES (1, 5);",
        )
        .unwrap();
    let db = ScratchDb::new(Dialect::Postgres, "existing_unsupported_type_named_once").await;
    exec(Dialect::Postgres, &db.url, "CREATE TABLE job (id bigint PRIMARY KEY, took tsvector NOT NULL)").await;
    let state = dir.path().join("state.json");
    let (code, out, err) = migrate(&src, &db, &state, &["--schema", "existing"]);
    assert_eq!(code, 2, "{err}\n{out}");
    assert!(err.contains("job.took: the target column's type tsvector is not supported"), "{err}");
    assert!(!err.contains("the source has no such column"), "{err}");
    db.drop_db().await;
}

/// Random kills (issue 13's measurement) found a run killed before it wrote its state file
/// (the first second: reading the source, lint's checks) could not be resumed: `--resume`
/// refused for want of a state file. Nothing had been written then, so it starts over.
#[test]
fn resume_after_a_kill_before_the_state_file_starts_from_the_beginning() {
    let dir = tempfile::tempdir().unwrap();
    let (src, _target, url, state) = sqlite_case(dir.path());
    let (code, out, err) = migrate_to(&src, &url, &state, &["--resume"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("no state file") && out.contains("starting from the beginning"), "{out}");
    verify_matches(&src, &url, &state, "resume without a state file");
    // A target changed by a run whose state file is gone is still refused, not overwritten.
    std::fs::remove_file(&state).unwrap();
    let (code, _, err) = migrate_to(&src, &url, &state, &["--resume"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the target already has table(s)"), "{err}");
}

/// Issue 17, item 7: `verify` changes nothing, so a signal ends it at once, with 130 for
/// SIGINT and 143 for SIGTERM (docs/exit-codes.md), and a line that says to run it again.
#[test]
fn verify_ends_at_once_on_a_signal_with_130_or_143() {
    let dir = tempfile::tempdir().unwrap();
    let src = chain_source(dir.path());
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let state = dir.path().join("state.json");
    let (code, _, err) = migrate_to(&src, &url, &state, &[]);
    assert_eq!(code, 0, "{err}");
    let report = dir.path().join("v.json");
    let args = [
        "verify",
        src.to_str().unwrap(),
        "--to",
        &url,
        "--state",
        state.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--progress",
        "json",
    ];
    for (signal, code_expected, name) in [("-INT", 130, "SIGINT"), ("-TERM", 143, "SIGTERM")] {
        let (code, err) = run_and_signal(&args, "reading and hashing", std::time::Duration::from_millis(50), signal);
        assert_eq!(code, code_expected, "{signal}: {err}");
        assert!(err.contains(&format!("interrupted ({name})")) && err.contains("run it again"), "{err}");
        assert!(!report.exists(), "verify wrote a report although it was stopped");
    }
    verify_matches(&src, &url, &state, "after the stopped verifications");
}
