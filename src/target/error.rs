//! What can go wrong with a target, and what its catalog says about a column: the types
//! that every engine's connection and `TargetConn` share.

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot connect to {target}: {reason}; {hint}")]
    Connect { target: String, reason: String, hint: String },
    /// The URL is refused before any connection (no database, a system database).
    #[error(transparent)]
    Url(#[from] crate::target::url::UrlError),
    #[error("{target}: {what}: {reason}")]
    Server { target: String, what: String, reason: String },
}

impl TargetError {
    /// The server's own message, without the target and statement that `Display` adds
    /// (a check's message already says what it read).
    pub fn reason(&self) -> String {
        match self {
            TargetError::Server { reason, .. } | TargetError::Connect { reason, .. } => reason.clone(),
            TargetError::Url(e) => e.to_string(),
        }
    }
}

/// One column of a target table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct CatalogColumn {
    pub name: String,
    /// The type as the catalog prints it (`character varying(20)`, `bigint`, …).
    pub type_name: String,
    pub nullable: bool,
    pub has_default: bool,
    /// The labels of an enum (PostgreSQL `CREATE TYPE … AS ENUM`, MariaDB `ENUM(…)` /
    /// `SET(…)`), in their declared order.
    pub labels: Option<Vec<String>>,
}

/// A connection failure with the hint that fits the server's message.
pub(crate) fn connect_error(target: &str, reason: String) -> TargetError {
    let mut hint = connect_hint(&reason).to_string();
    // A login refused without a client certificate may be one that needs it.
    let r = reason.to_ascii_lowercase();
    let refused_login = r.contains("access denied")
        || r.contains("certificate authentication failed")
        || r.contains("requires a valid client certificate")
        || r.contains("pg_hba.conf rejects");
    if refused_login && !target.contains("sslcert=") {
        hint.push_str("; a user that must present a client certificate (PostgreSQL `cert` authentication, MariaDB REQUIRE X509 or SUBJECT) needs sslcert=FILE&sslkey=FILE in the URL");
    }
    TargetError::Connect { hint, target: target.to_string(), reason }
}

fn connect_hint(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("unknownissuer") || r.contains("unknown issuer") || r.contains("unknownca") {
        "the server's TLS certificate is not signed by a CA cutover trusts: pass sslrootcert=/path/to/ca.pem in the URL (the CA that signed the server's certificate; your provider publishes it)"
    } else if r.contains("notvalidforname") || r.contains("not valid for name") {
        "the server's TLS certificate does not name this host: connect with a host name the certificate lists (in this version sslmode=verify-ca checks the name too)"
    } else if r.contains("expired") || r.contains("notvalidyet") {
        "the server's TLS certificate has expired or is not valid yet: renew it on the server (or check this machine's clock)"
    } else if r.contains("does not support tls") || r.contains("does not support ssl") || r.contains("ssl off") {
        "the server does not offer TLS: enable ssl on the server, or use sslmode=prefer (encrypt when offered) or sslmode=disable on a trusted network"
    } else if r.contains("tls") || r.contains("certificate") {
        "check the TLS settings in the URL: sslmode=disable|prefer|require|verify-ca|verify-full, sslrootcert=CA file, sslcert / sslkey for a client certificate"
    } else if r.contains("role") && r.contains("does not exist") {
        "check the user name in the URL: the server has no such role (user)"
    } else if r.contains("password") || r.contains("authentication") {
        "check the user and password (put the password in an environment variable and write ${VAR} in cutover.toml)"
    } else if r.contains("does not exist") || r.contains("unknown database") {
        "create the database first (cutover creates tables, never databases)"
    } else if r.contains("refused") || r.contains("timed out") || r.contains("resolve") {
        "check the host and port, and that the server is running and reachable"
    } else {
        "check the URL"
    }
}

/// The first line of a statement, cut at 80 characters, for messages.
pub(crate) fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or("");
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
    }
}
