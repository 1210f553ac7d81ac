//! Target URLs: `postgres://…`, `mysql://…` / `mariadb://…`, `sqlite://path`.
//!
//! The URL picks the engine. Its password never appears in output: `Display` shows it
//! as `***`, and every message that names a target uses that form.

use std::fmt;
use std::path::PathBuf;

use super::Dialect;

#[derive(Clone, PartialEq, Eq)]
pub struct TargetUrl {
    raw: String,
    pub dialect: Dialect,
    /// Set by `--allow-system-database`: a server's own databases are refused otherwise.
    allow_system_database: bool,
}

/// Databases that belong to the server itself: cutover never writes into them unless told.
pub const SYSTEM_DATABASES: &[&str] =
    &["postgres", "template0", "template1", "mysql", "information_schema", "performance_schema", "sys"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("target URL `{0}` has no scheme; write postgres://user@host:5432/db, mariadb://user@host:3306/db or sqlite://path/to/file.sqlite")]
    NoScheme(String),
    #[error("target URL scheme `{scheme}` is not supported (in `{url}`); use postgres://, postgresql://, mysql://, mariadb:// or sqlite://")]
    UnknownScheme { scheme: String, url: String },
    #[error("target URL `{url}` names no database: cutover would write into the server's default database; write the database after the host, e.g. {example} (cutover creates tables, never databases)")]
    NoDatabase { url: String, example: String },
    #[error("target URL `{url}` names `{database}`, a database of the server itself, which is not an application's database: create a database for the application (e.g. `CREATE DATABASE shop`) and put its name in the URL, or pass --allow-system-database if you really mean it")]
    SystemDatabase { url: String, database: String },
    #[error("target URL `{url}`: {reason}")]
    Tls { url: String, reason: String },
    #[error("target URL `{url}` is malformed: {reason}; write it as scheme://user:password@host:port/database, with special characters of the password percent-encoded (/ as %2F, @ as %40, : as %3A, # as %23, ? as %3F, % as %25)")]
    Malformed { url: String, reason: String },
}

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<TargetUrl, UrlError> {
        let raw = raw.trim();
        let Some((scheme, rest)) = raw.split_once("://") else {
            // `postgres:/user:pw@host/db`: a scheme with one slash is a typo, not a missing scheme.
            if let Some((scheme, _)) = raw.split_once(":/").filter(|(s, _)| is_scheme(s)) {
                return Err(UrlError::Malformed {
                    url: redact(raw),
                    reason: format!("`{scheme}:/` has one slash; write two: {scheme}://"),
                });
            }
            return Err(UrlError::NoScheme(redact(raw)));
        };
        let dialect = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::MariaDb,
            "sqlite" => Dialect::Sqlite,
            other => return Err(UrlError::UnknownScheme { scheme: other.to_string(), url: redact(raw) }),
        };
        if dialect == Dialect::Sqlite {
            if rest.is_empty() {
                return Err(UrlError::Malformed {
                    url: raw.to_string(),
                    reason: "no file path after sqlite://".into(),
                });
            }
        } else {
            let parsed =
                ::url::Url::parse(raw).map_err(|e| UrlError::Malformed { url: redact(raw), reason: e.to_string() })?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(UrlError::Malformed { url: redact(raw), reason: "no host".into() });
            }
        }
        if dialect != Dialect::Sqlite {
            check_tls_params(raw, dialect)?;
        }
        Ok(TargetUrl { raw: raw.to_string(), dialect, allow_system_database: false })
    }

    /// The same URL, allowed (or not) to name a server's system database.
    pub fn allow_system_database(mut self, allow: bool) -> TargetUrl {
        self.allow_system_database = allow;
        self
    }

    /// Server targets must name a database, and not one of the server's own (unless
    /// allowed): checked before any connection is made.
    pub fn check_database(&self) -> Result<(), UrlError> {
        if self.dialect == Dialect::Sqlite {
            return Ok(());
        }
        let Some(db) = self.database() else {
            let example = match self.dialect {
                Dialect::Postgres => "postgres://user@host:5432/shop",
                _ => "mariadb://user@host:3306/shop",
            };
            return Err(UrlError::NoDatabase { url: self.to_string(), example: example.into() });
        };
        // Database names are case-sensitive (PostgreSQL; MariaDB on Linux), but MariaDB's
        // information_schema and performance_schema answer to any case.
        let system = SYSTEM_DATABASES.iter().any(|s| {
            *s == db || (self.dialect == Dialect::MariaDb && s.ends_with("_schema") && s.eq_ignore_ascii_case(&db))
        });
        if system && !self.allow_system_database {
            return Err(UrlError::SystemDatabase { url: self.to_string(), database: db });
        }
        Ok(())
    }

    /// The full URL, password included: for the driver only, never for output.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// For sqlite:// targets, the file path.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.dialect == Dialect::Sqlite).then(|| {
            let rest = self.raw.split_once("://").map_or("", |(_, r)| r);
            PathBuf::from(rest.split('?').next().unwrap_or(rest))
        })
    }

    /// The database name in the URL path, for server targets.
    pub fn database(&self) -> Option<String> {
        let parsed = ::url::Url::parse(&self.raw).ok()?;
        let db = parsed.path().trim_start_matches('/');
        (!db.is_empty()).then(|| percent_decode(db))
    }

    /// The same URL with another database name (tests and scratch databases).
    pub fn with_database(&self, db: &str) -> TargetUrl {
        match ::url::Url::parse(&self.raw) {
            Ok(mut u) => {
                u.set_path(&format!("/{db}"));
                TargetUrl {
                    raw: u.to_string(),
                    dialect: self.dialect,
                    allow_system_database: self.allow_system_database,
                }
            }
            Err(_) => self.clone(),
        }
    }
}

impl TargetUrl {
    /// What makes two URLs the same target database, never with a password or user:
    /// `postgres://localhost:5432/shop`, `mariadb://localhost:3306/shop`,
    /// `sqlite:///abs/path/file.sqlite`. `mysql://` and `mariadb://`, `postgres://` and
    /// `postgresql://` are one engine; `localhost`, `127.0.0.1` and `::1` one host; the
    /// engine's default port is filled in; TLS and other parameters do not count; a SQLite
    /// path is made absolute (relative to the current directory).
    pub fn identity(&self) -> String {
        identity_of(&self.raw).unwrap_or_else(|| redact(&self.raw))
    }

    /// A short, file-name-safe name of the target for its folder of files
    /// (`.cutover/<short id>/`): host_port_database (a SQLite file's name) and 8 hex
    /// digits of the identity's hash, so that two targets never share a folder.
    pub fn short_id(&self) -> String {
        short_id_for(&self.identity())
    }
}

/// Whether two target URLs (either may have its password hidden as ***) name the same
/// target database; URLs that do not parse are compared as written.
pub fn same_target(a: &str, b: &str) -> bool {
    match (identity_of(a), identity_of(b)) {
        (Some(x), Some(y)) => x == y,
        _ => redact(a) == redact(b),
    }
}

/// The identity of a URL string (see `TargetUrl::identity`); None when it does not parse.
fn identity_of(raw: &str) -> Option<String> {
    let (scheme, rest) = raw.trim().split_once("://")?;
    let engine = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => ("postgres", 5432),
        "mysql" | "mariadb" => ("mariadb", 3306),
        "sqlite" => {
            let path = PathBuf::from(rest.split('?').next().unwrap_or(rest));
            return Some(format!("sqlite://{}", absolute(&path).display()));
        }
        _ => return None,
    };
    let parsed = ::url::Url::parse(raw.trim()).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    let host = match host.as_str() {
        "127.0.0.1" | "[::1]" | "::1" | "localhost" => "localhost".to_string(),
        _ => host,
    };
    let port = parsed.port().unwrap_or(engine.1);
    let db = percent_decode(parsed.path().trim_start_matches('/'));
    Some(format!("{}://{host}:{port}/{db}", engine.0))
}

/// A path made absolute against the current directory, its existing directory resolved
/// (symbolic links, `..`) so that two spellings of one file are one target.
fn absolute(path: &std::path::Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    match (joined.parent().and_then(|p| p.canonicalize().ok()), joined.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => joined,
    }
}

/// The short id of an identity (`TargetUrl::identity`, perhaps with `#schema` after it).
pub fn short_id_for(identity: &str) -> String {
    let hash = crate::hash::Fnv64::default().update(identity.as_bytes()).finish();
    let (_, rest) = identity.split_once("://").unwrap_or(("", identity));
    let readable = if identity.starts_with("sqlite://") {
        let name = std::path::Path::new(rest).file_stem().map(|s| s.to_string_lossy().into_owned());
        format!("sqlite_{}", name.unwrap_or_default())
    } else {
        rest.replacen(':', "_", 1).replacen('/', "_", 1)
    };
    let safe: String = readable
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' { c } else { '_' })
        .take(60)
        .collect();
    format!("{safe}-{:08x}", hash >> 32)
}

/// The TLS parameters of a server URL, checked before any connection: a misspelt key
/// (`sslmod=`) would otherwise be ignored and the connection fall back to `prefer`; an
/// unknown mode, a client certificate without its key, or a file that cannot be read is
/// a usage error that names it.
fn check_tls_params(raw: &str, dialect: Dialect) -> Result<(), UrlError> {
    const KEYS: &[&str] = &[
        "sslmode",
        "ssl-mode",
        "ssl_mode",
        "sslrootcert",
        "ssl-root-cert",
        "ssl-ca",
        "sslca",
        "sslcert",
        "ssl-cert",
        "sslkey",
        "ssl-key",
    ];
    let malformed = |reason: String| UrlError::Tls { url: redact(raw), reason };
    let Ok(url) = ::url::Url::parse(raw) else { return Ok(()) };
    let mut has_cert = false;
    let mut has_key = false;
    for (k, v) in url.query_pairs() {
        let key = k.to_ascii_lowercase();
        if !key.contains("ssl") {
            continue;
        }
        if !KEYS.contains(&key.as_str()) {
            return Err(malformed(format!(
                "unknown TLS parameter `{k}` (did you mean sslmode, sslrootcert, sslcert or sslkey?)"
            )));
        }
        match key.as_str() {
            "sslmode" | "ssl-mode" | "ssl_mode" => {
                let mode = v.to_ascii_lowercase().replace('_', "-");
                let postgres = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
                let mysql = ["disabled", "preferred", "required", "verify-identity"];
                let known = postgres.contains(&mode.as_str())
                    || (dialect == Dialect::MariaDb && (mysql.contains(&mode.as_str()) || mode == "verify-ca"));
                if !known {
                    return Err(malformed(format!(
                        "unknown TLS mode sslmode={v}; use disable, prefer, require, verify-ca or verify-full"
                    )));
                }
            }
            _ => {
                has_cert |= matches!(key.as_str(), "sslcert" | "ssl-cert");
                has_key |= matches!(key.as_str(), "sslkey" | "ssl-key");
                if let Err(e) = std::fs::File::open(v.as_ref()) {
                    return Err(malformed(format!("{k}: cannot read {v}: {e}")));
                }
            }
        }
    }
    if has_cert != has_key {
        return Err(malformed("a client certificate needs both sslcert=FILE and sslkey=FILE".into()));
    }
    Ok(())
}

/// One of the schemes cutover reads.
fn is_scheme(s: &str) -> bool {
    matches!(s.to_ascii_lowercase().as_str(), "postgres" | "postgresql" | "mysql" | "mariadb" | "sqlite")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replace the password of any URL-looking string with `***`: the one in the user
/// part, found by the last `@` of the whole string (so a `/`, `@`, `?` or `#` in the
/// password does not hide it; an `@` in the query can only hide more, never less), a
/// `password=` query parameter, and in a string without `://` (a typo such as
/// `postgres:/user:pw@host`) the same after the one slash, or whatever stands between
/// the first `:` and the last `@`.
pub fn redact(raw: &str) -> String {
    let (scheme, sep, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (scheme, "://", rest),
        None => match raw.split_once(":/").filter(|(s, _)| is_scheme(s)) {
            Some((scheme, rest)) => (scheme, ":/", rest),
            None => {
                return match (raw.find(':'), raw.rfind('@')) {
                    (Some(colon), Some(at)) if colon < at => format!("{}***{}", &raw[..=colon], &raw[at..]),
                    _ => redact_query(raw),
                };
            }
        },
    };
    match rest.rfind('@') {
        Some(at) => {
            let after = redact_query(&rest[at + 1..]);
            match rest[..at].split_once(':') {
                Some((user, _password)) => format!("{scheme}{sep}{user}:***@{after}"),
                None => format!("{scheme}{sep}{}@{after}", &rest[..at]),
            }
        }
        None => format!("{scheme}{sep}{}", redact_query(rest)),
    }
}

/// `password=` (or `pass=`) query parameters as `***`.
fn redact_query(s: &str) -> String {
    let Some((head, q)) = s.split_once('?') else { return s.to_string() };
    let params: Vec<String> = q
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("pass") => format!("{k}=***"),
            _ => p.to_string(),
        })
        .collect();
    format!("{head}?{}", params.join("&"))
}

impl fmt::Display for TargetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.raw))
    }
}

impl fmt::Debug for TargetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TargetUrl({})", redact(&self.raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_however_the_url_is_written() {
        for (raw, secret) in [
            ("postgres://app:se/cr3t@db:5432/x", "se/cr3t"),
            ("postgres://app:p@ss@db:5432/x", "p@ss"),
            ("postgres://db:5432/x?user=app&password=S3cret", "S3cret"),
            ("postgres:/app:S3cretZ@db/x", "S3cretZ"),
            ("mariadb://root:pw@127.0.0.1:3306/x?ssl-mode=disabled", "pw"),
            ("postgres://app:pa?ss@127.0.0.1:5432/x", "pa?ss"),
            ("postgres://app:pa#ss@127.0.0.1:5432/x", "pa#ss"),
            ("mariadb://app:a?b#c@d@h/x?sslmode=require", "a?b#c@d"),
        ] {
            let shown = redact(raw);
            assert!(!shown.contains(secret), "{raw} shown as {shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        let e = TargetUrl::parse("postgres://app:se/cr3t@db:5432/x").unwrap_err().to_string();
        assert!(!e.contains("se/cr3t"), "{e}");
    }

    #[test]
    fn schemes_pick_the_engine() {
        for (u, d) in [
            ("postgres://u@h/db", Dialect::Postgres),
            ("postgresql://u@h:5432/db", Dialect::Postgres),
            ("mysql://root@127.0.0.1:3306/app", Dialect::MariaDb),
            ("mariadb://root@h/app", Dialect::MariaDb),
            ("sqlite://out/demo.sqlite", Dialect::Sqlite),
        ] {
            assert_eq!(TargetUrl::parse(u).unwrap().dialect, d, "{u}");
        }
        assert_eq!(TargetUrl::parse("sqlite:///tmp/x.db").unwrap().sqlite_path().unwrap(), PathBuf::from("/tmp/x.db"));
    }

    #[test]
    fn passwords_never_show() {
        let u = TargetUrl::parse("postgres://app:s3cr%40t@db.example:5432/prod").unwrap();
        assert_eq!(u.to_string(), "postgres://app:***@db.example:5432/prod");
        assert!(!format!("{u:?}").contains("s3cr"));
        assert_eq!(u.database().as_deref(), Some("prod"));
        let err = TargetUrl::parse("oracle://sys:hunter2@h/db").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("oracle"), "{err}");
    }

    #[test]
    fn url_without_database_or_with_a_system_database_is_refused() {
        for u in ["postgres://postgres@127.0.0.1:5432", "postgres://postgres@127.0.0.1:5432/", "mariadb://root@h:3306"]
        {
            let e = TargetUrl::parse(u).unwrap().check_database().unwrap_err();
            assert!(matches!(e, UrlError::NoDatabase { .. }), "{u}: {e}");
            assert!(e.to_string().contains("write the database after the host"), "{e}");
        }
        for (u, db) in [
            ("postgres://u:pw@h/postgres", "postgres"),
            ("postgres://u@h/template1", "template1"),
            ("postgresql://u@h/template0", "template0"),
            ("mariadb://root@h/mysql", "mysql"),
            ("mysql://root@h/information_schema", "information_schema"),
            ("mariadb://root@h/performance_schema", "performance_schema"),
            ("mariadb://root@h/sys", "sys"),
            ("mariadb://root@h/INFORMATION_SCHEMA", "INFORMATION_SCHEMA"),
        ] {
            let url = TargetUrl::parse(u).unwrap();
            let e = url.check_database().unwrap_err();
            assert_eq!(e, UrlError::SystemDatabase { url: url.to_string(), database: db.into() });
            assert!(!e.to_string().contains("pw@"), "{e}");
            assert!(url.allow_system_database(true).check_database().is_ok(), "{u}");
        }
        assert!(TargetUrl::parse("postgres://u@h/shop").unwrap().check_database().is_ok());
        // Another database whose name differs only in case is the client's own.
        assert!(TargetUrl::parse("postgres://u@h/Postgres").unwrap().check_database().is_ok());
        assert!(TargetUrl::parse("mariadb://u@h/MySQL").unwrap().check_database().is_ok());
        assert!(TargetUrl::parse("sqlite://x.db").unwrap().check_database().is_ok());
    }

    #[test]
    fn tls_parameters_are_checked_before_connecting() {
        for (u, says) in [
            ("postgres://u@h/db?sslmod=verify-full", "unknown TLS parameter `sslmod`"),
            ("postgres://u@h/db?sslmode=bogus", "unknown TLS mode sslmode=bogus"),
            ("postgres://u@h/db?sslmode=REQUIRED", "unknown TLS mode"),
            ("postgres://u@h/db?sslrootcert=/nonexistent/ca.pem", "sslrootcert: cannot read /nonexistent/ca.pem"),
            ("mariadb://u@h/db?sslcert=/etc/hostname", "needs both sslcert=FILE and sslkey=FILE"),
        ] {
            let e = TargetUrl::parse(u).unwrap_err().to_string();
            assert!(e.contains(says), "{u}: {e}");
        }
        for u in [
            "postgres://u@h/db?sslmode=verify-full",
            "mariadb://u@h/db?sslmode=verify-full",
            "mariadb://u@h/db?ssl-mode=VERIFY_IDENTITY",
            "postgres://u@h/db?application_name=x",
        ] {
            assert!(TargetUrl::parse(u).is_ok(), "{u}");
        }
    }

    #[test]
    fn bad_urls_are_explained() {
        assert!(matches!(TargetUrl::parse("localhost:5432/db"), Err(UrlError::NoScheme(_))));
        // One slash after the scheme is named as such, with the user kept and the password hidden.
        let e = TargetUrl::parse("postgres:/app:S3cretZ@db/x").unwrap_err().to_string();
        assert!(
            e.contains("has one slash; write two: postgres://") && e.contains("app:") && !e.contains("S3cretZ"),
            "{e}"
        );
        assert!(matches!(TargetUrl::parse("postgres:///db"), Err(UrlError::Malformed { .. })));
        assert!(matches!(TargetUrl::parse("sqlite://"), Err(UrlError::Malformed { .. })));
    }

    #[test]
    fn one_target_however_its_url_is_written() {
        let id = |u: &str| TargetUrl::parse(u).unwrap().identity();
        assert_eq!(id("mysql://root@127.0.0.1:3306/shop"), id("mariadb://app:pw@localhost/shop"));
        assert_eq!(id("postgres://u@localhost/shop"), id("postgresql://u:secret@127.0.0.1:5432/shop?sslmode=require"));
        assert_eq!(id("postgres://u@[::1]:5432/shop"), "postgres://localhost:5432/shop");
        assert_ne!(id("postgres://u@localhost:5433/shop"), id("postgres://u@localhost/shop"));
        assert_ne!(id("postgres://u@localhost/shop"), id("postgres://u@localhost/shop_staging"));
        assert_ne!(id("postgres://u@db1/shop"), id("postgres://u@db2/shop"));
        assert_ne!(id("mariadb://u@localhost/shop"), id("postgres://u@localhost/shop"));
        assert!(!id("postgres://u:secret@h/shop").contains("secret"));
        assert!(!id("postgres://u:secret@h/shop").contains("u@"));
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            id("sqlite://x.sqlite"),
            format!("sqlite://{}", here.canonicalize().unwrap().join("x.sqlite").display())
        );
        assert!(same_target("mysql://root:***@127.0.0.1:3306/shop", "mariadb://root@localhost/shop"));
        assert!(!same_target("mysql://root@127.0.0.1:3306/shop", "mariadb://root@localhost/other"));
        let short = TargetUrl::parse("mariadb://root:pw@127.0.0.1/shop").unwrap().short_id();
        assert!(short.starts_with("localhost_3306_shop-"), "{short}");
        assert_eq!(short, TargetUrl::parse("mysql://x@localhost:3306/shop").unwrap().short_id());
        let file = TargetUrl::parse("sqlite://out/demo.sqlite").unwrap().short_id();
        assert!(file.starts_with("sqlite_demo-"), "{file}");
    }
}
