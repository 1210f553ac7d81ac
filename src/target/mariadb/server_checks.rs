//! MariaDB's own security settings, read by SQL for the gate: no anonymous accounts, no
//! root account reachable from another host, no `test` database, `LOAD DATA LOCAL` off,
//! a strict `sql_mode`, TLS available. Some need privileges the application's user lacks
//! (mysql.user): then the check is `warn` with the server's own message, never a pass.

use crate::check::Check;
use crate::target::engine::Engine;
use crate::target::server_checks::{rows, value};

/// The ids of these checks, in report order.
pub const IDS: &[&str] = &[
    "mariadb_no_anonymous_users",
    "mariadb_no_remote_root",
    "mariadb_no_test_database",
    "mariadb_local_infile_off",
    "mariadb_strict_mode",
    "mariadb_ssl",
];

/// Every check, in `IDS` order.
pub(crate) async fn checks<E: Engine>(conn: &mut E) -> Vec<Check> {
    vec![
        mariadb_no_anonymous_users(conn).await,
        mariadb_no_remote_root(conn).await,
        mariadb_no_test_database(conn).await,
        mariadb_local_infile_off(conn).await,
        mariadb_strict_mode(conn).await,
        mariadb_ssl(conn).await,
    ]
}

async fn mariadb_no_anonymous_users<E: Engine>(conn: &mut E) -> Check {
    const ID: &str = "mariadb_no_anonymous_users";
    let hint = "drop them (DROP USER ''@'host'; mariadb-secure-installation does this); \
                reading mysql.user needs SELECT on the mysql database";
    match rows(conn, "SELECT CAST(Host AS CHAR) FROM mysql.user WHERE User = '' ORDER BY 1").await {
        Ok(r) if r.is_empty() => Check::pass(ID, "no anonymous accounts").hint(hint),
        Ok(r) => {
            let accounts: Vec<String> =
                r.into_iter().filter_map(|r| r.into_iter().next()).map(|h| format!("''@'{h}'")).collect();
            Check::fail(ID, format!("{} anonymous account(s): anyone can log in without a name", accounts.len()))
                .hint(hint)
                .evidence(accounts)
        }
        Err(e) => Check::unreadable(ID, "mysql.user", e).hint(hint),
    }
}

async fn mariadb_no_remote_root<E: Engine>(conn: &mut E) -> Check {
    const ID: &str = "mariadb_no_remote_root";
    let hint = "drop root accounts for other hosts (DROP USER 'root'@'%'); administer the server locally or over SSH; \
                reading mysql.user needs SELECT on the mysql database";
    let sql = "SELECT CAST(Host AS CHAR) FROM mysql.user WHERE User = 'root' \
               AND Host NOT IN ('localhost', '127.0.0.1', '::1') ORDER BY 1";
    match rows(conn, sql).await {
        Ok(r) if r.is_empty() => Check::pass(ID, "root can log in only from the server itself").hint(hint),
        Ok(r) => {
            let accounts: Vec<String> =
                r.into_iter().filter_map(|r| r.into_iter().next()).map(|h| format!("'root'@'{h}'")).collect();
            Check::fail(ID, format!("root can log in from other hosts: {}", accounts.join(", ")))
                .hint(hint)
                .evidence(accounts)
        }
        Err(e) => Check::unreadable(ID, "mysql.user", e).hint(hint),
    }
}

async fn mariadb_no_test_database<E: Engine>(conn: &mut E) -> Check {
    const ID: &str = "mariadb_no_test_database";
    let hint = "DROP DATABASE test (every account may use it by default; mariadb-secure-installation removes it)";
    // information_schema lists only the databases this account may see: when it cannot
    // see `mysql`, it may not see `test` either, and an empty answer proves nothing.
    let sql = "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA \
               WHERE SCHEMA_NAME = 'test' OR SCHEMA_NAME LIKE 'test\\_%' OR SCHEMA_NAME = 'mysql' ORDER BY 1";
    match rows(conn, sql).await {
        Ok(r) => {
            let names: Vec<String> = r.into_iter().filter_map(|r| r.into_iter().next()).collect();
            let tests: Vec<String> = names.iter().filter(|n| *n != "mysql").cloned().collect();
            if !tests.is_empty() {
                Check::fail(ID, format!("test database(s) present: {}", tests.join(", "))).hint(hint).evidence(tests)
            } else if !names.iter().any(|n| n == "mysql") {
                Check::unreadable(
                    ID,
                    "the list of databases",
                    "this account sees only its own databases (it lacks the SHOW DATABASES privilege)",
                )
                .hint(hint)
            } else {
                Check::pass(ID, "no test database").hint(hint)
            }
        }
        Err(e) => Check::unreadable(ID, "information_schema.SCHEMATA", e).hint(hint),
    }
}

async fn mariadb_local_infile_off<E: Engine>(conn: &mut E) -> Check {
    const ID: &str = "mariadb_local_infile_off";
    let hint = "set local_infile = 0 in the server's configuration ([mariadbd] section) and restart, or SET GLOBAL local_infile = 0; \
                LOAD DATA LOCAL lets a hostile server or injected SQL read the client's files";
    match value(conn, "SELECT CAST(@@GLOBAL.local_infile AS CHAR)").await {
        Ok(v) if v == "0" || v.eq_ignore_ascii_case("off") => {
            Check::pass(ID, "LOAD DATA LOCAL INFILE is off").hint(hint).evidence(vec![format!("local_infile = {v}")])
        }
        Ok(v) => {
            Check::fail(ID, "LOAD DATA LOCAL INFILE is on").hint(hint).evidence(vec![format!("local_infile = {v}")])
        }
        Err(e) => Check::unreadable(ID, "@@GLOBAL.local_infile", e).hint(hint),
    }
}

async fn mariadb_strict_mode<E: Engine>(conn: &mut E) -> Check {
    const ID: &str = "mariadb_strict_mode";
    let hint = "add STRICT_TRANS_TABLES to sql_mode in the server's configuration: without it MariaDB stores a \
                truncated or zero value with a warning instead of refusing it";
    match value(conn, "SELECT CAST(@@GLOBAL.sql_mode AS CHAR)").await {
        Ok(mode) => {
            let strict = mode.split(',').any(|m| m == "STRICT_TRANS_TABLES" || m == "STRICT_ALL_TABLES");
            let evidence = vec![format!("sql_mode = {mode}")];
            if strict {
                Check::pass(ID, "sql_mode is strict").hint(hint).evidence(evidence)
            } else {
                Check::fail(ID, "sql_mode is not strict (neither STRICT_TRANS_TABLES nor STRICT_ALL_TABLES)")
                    .hint(hint)
                    .evidence(evidence)
            }
        }
        Err(e) => Check::unreadable(ID, "@@GLOBAL.sql_mode", e).hint(hint),
    }
}

async fn mariadb_ssl<E: Engine>(conn: &mut E) -> Check {
    const ID: &str = "mariadb_ssl";
    let hint = "set ssl_cert, ssl_key and ssl_ca in the server's configuration ([mariadbd] section) and restart it; \
                then require TLS for the application's account (ALTER USER … REQUIRE SSL)";
    match value(conn, "SELECT CAST(@@GLOBAL.have_ssl AS CHAR)").await {
        Ok(v) if v.eq_ignore_ascii_case("yes") => {
            Check::pass(ID, "the server accepts TLS connections").hint(hint).evidence(vec![format!("have_ssl = {v}")])
        }
        Ok(v) => Check::fail(ID, format!("have_ssl is {v}: passwords and data cross the network in clear text"))
            .hint(hint)
            .evidence(vec![format!("have_ssl = {v}")]),
        Err(e) => Check::unreadable(ID, "@@GLOBAL.have_ssl", e).hint(hint),
    }
}
