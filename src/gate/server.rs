//! The database server's own security settings, read by SQL over the gate's connection.
//!
//! PostgreSQL: passwords stored as SCRAM, no `trust` line in pg_hba.conf, SSL on, at most
//! one superuser. MariaDB: no anonymous accounts, no root account reachable from another
//! host, no `test` database, `LOAD DATA LOCAL` off, a strict `sql_mode`. Some of these
//! need privileges the application's user lacks (pg_hba_file_rules, mysql.user): then
//! the check is `warn` with the server's own message, never a pass. An sqlite:// target
//! has no server: every server check is `skip`.

use super::{capped, server_reason, Check, MARIADB_IDS, POSTGRES_IDS};
use crate::target::conn::TargetConn;
use crate::target::Dialect;

pub(super) async fn checks(conn: &mut TargetConn) -> Vec<Check> {
    match conn.dialect() {
        Dialect::Postgres => vec![
            pg_password_encryption(conn).await,
            pg_no_trust_auth(conn).await,
            pg_ssl(conn).await,
            pg_superusers(conn).await,
        ],
        Dialect::MariaDb => vec![
            mariadb_no_anonymous_users(conn).await,
            mariadb_no_remote_root(conn).await,
            mariadb_no_test_database(conn).await,
            mariadb_local_infile_off(conn).await,
            mariadb_strict_mode(conn).await,
            mariadb_ssl(conn).await,
        ],
        Dialect::Sqlite => POSTGRES_IDS
            .iter()
            .chain(MARIADB_IDS)
            .map(|id| {
                Check::skip(*id, "an sqlite:// target has no database server to check")
                    .hint("run the gate against the production PostgreSQL or MariaDB server before go-live")
            })
            .collect(),
    }
}

/// `connection_encrypted`: the gate's own connection to the target uses TLS, as the
/// application's should. Lowered to a warning in a profile for a loopback rehearsal.
pub(super) fn connection_encrypted(conn: &TargetConn) -> Check {
    const ID: &str = "connection_encrypted";
    let hint = "add sslmode=verify-full&sslrootcert=/path/to/ca.pem to the target URL (and connect the application the same way);                 for a rehearsal on loopback, lower the check: [gate.levels] connection_encrypted = \"warning\"";
    match conn.encrypted() {
        None => Check::skip(ID, "an sqlite:// target is a file, not a connection")
            .hint("run the gate against the production server before go-live"),
        Some(true) => Check::pass(ID, "the connection to the target is encrypted (TLS)").hint(hint),
        Some(false) => Check::fail(
            ID,
            "the connection to the target is not encrypted: passwords and data cross the network in clear text",
        )
        .hint(hint),
    }
}

/// The rows of a query, every column as text (NULL as `NULL`); the server's message on error.
async fn rows(conn: &mut TargetConn, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let rows = conn.text_rows(sql).await.map_err(|e| server_reason(&e))?;
    Ok(rows.into_iter().map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect()).collect())
}

/// The first column of the first row.
async fn value(conn: &mut TargetConn, sql: &str) -> Result<String, String> {
    rows(conn, sql).await?.into_iter().next().and_then(|r| r.into_iter().next()).ok_or_else(|| "no row".to_string())
}

// ---------------------------------------------------------------- PostgreSQL

async fn pg_password_encryption(conn: &mut TargetConn) -> Check {
    const ID: &str = "pg_password_encryption";
    let hint = "set password_encryption = 'scram-sha-256' in postgresql.conf, reload, and set every password again \
                (ALTER ROLE … PASSWORD …) so that none is kept as MD5";
    match value(conn, "SHOW password_encryption").await {
        Ok(v) if v.eq_ignore_ascii_case("scram-sha-256") => {
            Check::pass(ID, "new passwords are stored as SCRAM-SHA-256")
                .hint(hint)
                .evidence(vec![format!("password_encryption = {v}")])
        }
        Ok(v) => Check::fail(ID, format!("password_encryption is {v}, not scram-sha-256"))
            .hint(hint)
            .evidence(vec![format!("password_encryption = {v}")]),
        Err(e) => Check::unreadable(ID, "password_encryption", e).hint(hint),
    }
}

async fn pg_no_trust_auth(conn: &mut TargetConn) -> Check {
    const ID: &str = "pg_no_trust_auth";
    let hint = "replace `trust` with scram-sha-256 in pg_hba.conf and reload (SELECT pg_reload_conf()); \
                reading pg_hba_file_rules needs a superuser or the pg_read_all_settings role";
    let sql = "SELECT line_number::text, type, array_to_string(database, ','), array_to_string(user_name, ','), \
               COALESCE(address, ''), auth_method FROM pg_hba_file_rules WHERE auth_method = 'trust' ORDER BY line_number";
    match rows(conn, sql).await {
        Ok(rules) if rules.is_empty() => {
            Check::pass(ID, "no pg_hba.conf line lets a client in without a password").hint(hint)
        }
        Ok(rules) => {
            let lines: Vec<String> = rules
                .iter()
                .map(|r| {
                    let address = r.get(4).filter(|a| !a.is_empty()).map_or(String::new(), |a| format!(" {a}"));
                    format!(
                        "pg_hba.conf line {}: {} {} {}{address} trust",
                        r.first().map_or("?", String::as_str),
                        r.get(1).map_or("?", String::as_str),
                        r.get(2).map_or("?", String::as_str),
                        r.get(3).map_or("?", String::as_str),
                    )
                })
                .collect();
            Check::fail(ID, format!("{} pg_hba.conf line(s) let clients in without a password (trust)", rules.len()))
                .hint(hint)
                .evidence(capped(lines, 20))
        }
        Err(e) => Check::unreadable(ID, "pg_hba_file_rules", e).hint(hint),
    }
}

async fn pg_ssl(conn: &mut TargetConn) -> Check {
    const ID: &str = "pg_ssl";
    let hint = "set ssl = on with a certificate (ssl_cert_file, ssl_key_file) in postgresql.conf, \
                and require it for remote clients with `hostssl` lines in pg_hba.conf";
    let ssl = match value(conn, "SHOW ssl").await {
        Ok(v) => v,
        Err(e) => return Check::unreadable(ID, "the ssl setting", e).hint(hint),
    };
    let mut evidence = vec![format!("ssl = {ssl}")];
    if let Ok(mine) = value(conn, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await {
        evidence.push(format!("this connection encrypted: {mine}"));
    }
    if ssl.eq_ignore_ascii_case("on") {
        Check::pass(ID, "the server accepts SSL connections").hint(hint).evidence(evidence)
    } else {
        Check::fail(ID, format!("ssl is {ssl}: passwords and data cross the network in clear text"))
            .hint(hint)
            .evidence(evidence)
    }
}

async fn pg_superusers(conn: &mut TargetConn) -> Check {
    const ID: &str = "pg_superusers";
    let hint = "keep one superuser (postgres) for the DBA; give the application a role that owns its database \
                (ALTER ROLE name NOSUPERUSER)";
    match rows(conn, "SELECT rolname::text FROM pg_roles WHERE rolsuper ORDER BY 1").await {
        Ok(roles) => {
            let names: Vec<String> = roles.into_iter().filter_map(|r| r.into_iter().next()).collect();
            let evidence =
                vec![format!("superusers: {}", if names.is_empty() { "none".into() } else { names.join(", ") })];
            if names.len() <= 1 {
                Check::pass(ID, format!("{} superuser role(s)", names.len())).hint(hint).evidence(evidence)
            } else {
                Check::fail(ID, format!("{} superuser roles: {}", names.len(), names.join(", ")))
                    .hint(hint)
                    .evidence(evidence)
            }
        }
        Err(e) => Check::unreadable(ID, "pg_roles", e).hint(hint),
    }
}

// ---------------------------------------------------------------- MariaDB

async fn mariadb_no_anonymous_users(conn: &mut TargetConn) -> Check {
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

async fn mariadb_no_remote_root(conn: &mut TargetConn) -> Check {
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

async fn mariadb_no_test_database(conn: &mut TargetConn) -> Check {
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

async fn mariadb_local_infile_off(conn: &mut TargetConn) -> Check {
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

async fn mariadb_strict_mode(conn: &mut TargetConn) -> Check {
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

async fn mariadb_ssl(conn: &mut TargetConn) -> Check {
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
