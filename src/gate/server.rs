//! The database server's own security settings, and whether the gate's connection is
//! encrypted. The settings checks are the engine's own (`target/<engine>/server_checks.rs`:
//! SCRAM, pg_hba, SSL, superusers on PostgreSQL; accounts, test database, local_infile,
//! sql_mode, TLS on MariaDB); an sqlite:// target has no server, so every one is `skip`.

use super::Check;
use crate::target::conn::TargetConn;

pub(super) async fn checks(conn: &mut TargetConn) -> Vec<Check> {
    conn.server_checks().await
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
