//! PostgreSQL's own security settings, read by SQL for the gate: passwords stored as
//! SCRAM, no `trust` line in pg_hba.conf, SSL on, at most one superuser. Some need
//! privileges the application's user lacks (pg_hba_file_rules): then the check is `warn`
//! with the server's own message, never a pass.

use crate::check::Check;
use crate::target::engine::Engine;
use crate::target::server_checks::{rows, value};

/// The ids of these checks, in report order.
pub const IDS: &[&str] = &["pg_password_encryption", "pg_no_trust_auth", "pg_ssl", "pg_superusers"];

/// Every check, in `IDS` order.
pub(crate) async fn checks<E: Engine>(conn: &mut E) -> Vec<Check> {
    vec![
        pg_password_encryption(conn).await,
        pg_no_trust_auth(conn).await,
        pg_ssl(conn).await,
        pg_superusers(conn).await,
    ]
}

async fn pg_password_encryption<E: Engine>(conn: &mut E) -> Check {
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

async fn pg_no_trust_auth<E: Engine>(conn: &mut E) -> Check {
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
                .evidence(crate::check::capped(lines, 20))
        }
        Err(e) => Check::unreadable(ID, "pg_hba_file_rules", e).hint(hint),
    }
}

async fn pg_ssl<E: Engine>(conn: &mut E) -> Check {
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

async fn pg_superusers<E: Engine>(conn: &mut E) -> Check {
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
