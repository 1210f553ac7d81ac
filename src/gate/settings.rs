//! The application's production settings, read from its env file: debug mode off, CORS
//! origins that are neither a wildcard nor a developer's machine, DATABASE_URL pointing
//! at the database just migrated, and the keys the application needs present and not
//! misspelt. Values are shown only for keys that hold no secret (DEBUG, the CORS
//! origins); a database URL is shown as engine, host, port and database, never whole.

use std::path::{Path, PathBuf};

use super::{capped, Check, EnvState, Status};
use crate::harden::profile::GateSettings;
use crate::harden::EnvFile;
use crate::target::conn::TargetConn;
use crate::target::url::TargetUrl;
use crate::target::Dialect;

const DEFAULT_DEBUG_KEYS: &[&str] = &["DEBUG", "APP_DEBUG", "FLASK_DEBUG", "DJANGO_DEBUG"];
const DEFAULT_CORS_KEYS: &[&str] = &["CORS_ALLOWED_ORIGINS", "CORS_ORIGINS"];
const DEFAULT_DATABASE_URL_KEY: &str = "DATABASE_URL";

pub(super) async fn checks(
    conn: &mut TargetConn,
    target: &TargetUrl,
    settings: &GateSettings,
    env: &EnvState,
) -> Vec<Check> {
    let cors = match env.file_or("config_cors") {
        Ok(file) => cors(conn, settings, file).await,
        Err(check) => check,
    };
    vec![
        env.file_or("config_debug_off").map_or_else(|c| c, |f| debug_off(settings, f)),
        cors,
        env.file_or("config_database_url").map_or_else(|c| c, |f| database_url(settings, f, target)),
        env.file_or("config_required_keys").map_or_else(|c| c, |f| required_keys(settings, f)),
    ]
}

// ---------------------------------------------------------------- DEBUG

fn debug_off(settings: &GateSettings, env: &EnvFile) -> Check {
    const ID: &str = "config_debug_off";
    let keys: Vec<&str> = match &settings.debug_key {
        Some(k) => vec![k.as_str()],
        None => DEFAULT_DEBUG_KEYS.to_vec(),
    };
    let hint = format!(
        "set {}=false in the production env file (debug mode shows stack traces, settings and SQL to anyone)",
        keys[0]
    );
    let mut on = Vec::new();
    let mut evidence = Vec::new();
    for key in &keys {
        let Some(value) = env.get(key) else { continue };
        let shown = format!("{key}={}", value.trim());
        match truthiness(&value) {
            Some(false) => evidence.push(shown),
            Some(true) => on.push(shown),
            None => on.push(format!("{shown} (not an off value: 0, false, no, off)")),
        }
    }
    if !on.is_empty() {
        let message = format!("debug mode is on: {}", on.join(", "));
        on.extend(evidence);
        return Check::fail(ID, message).hint(hint).evidence(on);
    }
    if evidence.is_empty() {
        return Check::pass(ID, format!("{} not set (off unless the application defaults it on)", keys.join(", ")))
            .hint(hint)
            .evidence(vec![format!("{}: not in {}", keys.join(", "), env.path().display())]);
    }
    Check::pass(ID, "debug mode is off").hint(hint).evidence(evidence)
}

/// How the common env libraries read a boolean: `Some(true)`, `Some(false)`, or `None`
/// for a value that is neither.
pub fn truthiness(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        other => other.parse::<i64>().ok().map(|n| n != 0),
    }
}

// ---------------------------------------------------------------- CORS

async fn cors(conn: &mut TargetConn, settings: &GateSettings, env: &EnvFile) -> Check {
    const ID: &str = "config_cors";
    let hint = "list only the production origins (https://app.client.example), never `*`, `null` or localhost; \
                a developer's origin lets any page on that machine call the API with the user's cookies";
    let keys: Vec<&str> = if settings.cors_keys.is_empty() {
        DEFAULT_CORS_KEYS.to_vec()
    } else {
        settings.cors_keys.iter().map(String::as_str).collect()
    };
    let mut sources: Vec<(String, Vec<String>)> = Vec::new();
    for key in &keys {
        if let Some(value) = env.get(key) {
            sources.push((key.to_string(), origins(&value)));
        }
    }
    let mut unreadable = None;
    if let Some(sql) = &settings.cors_query {
        match conn.text_rows(sql).await {
            Ok(rows) => {
                let found =
                    rows.iter().filter_map(|r| r.first().cloned().flatten()).flat_map(|v| origins(&v)).collect();
                sources.push(("the database (gate.cors_query)".to_string(), found));
            }
            Err(e) => unreadable = Some(e.reason()),
        }
    }
    let mut bad = Vec::new();
    let mut evidence = Vec::new();
    for (source, list) in &sources {
        for origin in list {
            match origin_problem(origin) {
                Some(why) => bad.push(format!("{source}: {origin} ({why})")),
                None => evidence.push(format!("{source}: {origin}")),
            }
        }
        if list.is_empty() {
            evidence.push(format!("{source}: no origins"));
        }
    }
    if !bad.is_empty() {
        let message = format!("{} CORS origin(s) not fit for production: {}", bad.len(), bad.join("; "));
        bad.extend(evidence);
        return Check::fail(ID, message).hint(hint).evidence(capped(bad, 50));
    }
    if let Some(reason) = unreadable {
        return Check::unreadable(ID, "the CORS origins in the database (gate.cors_query)", reason)
            .hint("check gate.cors_query and that cutover's user may read that table")
            .evidence(evidence);
    }
    if sources.is_empty() {
        return Check::skip(ID, format!("no CORS origins configured ({} not in the env file)", keys.join(", ")))
            .hint("if the application reads its allowed origins from another key, name it in gate.cors_keys");
    }
    Check::pass(ID, "CORS origins are production origins").hint(hint).evidence(capped(evidence, 50))
}

/// The origins in a setting: a JSON array of strings, or a list separated by commas or
/// white space (quotes around items are removed).
pub fn origins(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.starts_with('[') {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(value) {
            return list.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
    }
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|s| s.trim_matches(|c| c == '"' || c == '\'' || c == '[' || c == ']').trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Why an allowed origin does not belong in production, if it does not.
pub fn origin_problem(origin: &str) -> Option<&'static str> {
    if origin.contains('*') {
        return Some("a wildcard allows every site");
    }
    if origin.eq_ignore_ascii_case("null") {
        return Some("`null` is the origin of sandboxed pages and local files");
    }
    let with_scheme = if origin.contains("://") { origin.to_string() } else { format!("http://{origin}") };
    let host = ::url::Url::parse(&with_scheme).ok()?.host_str()?.to_ascii_lowercase();
    is_loopback(&host).then_some("a developer's own machine")
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host == "0.0.0.0"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

// ---------------------------------------------------------------- DATABASE_URL

fn database_url(settings: &GateSettings, env: &EnvFile, target: &TargetUrl) -> Check {
    const ID: &str = "config_database_url";
    let key = settings.database_url_key.as_deref().unwrap_or(DEFAULT_DATABASE_URL_KEY);
    let hint = format!("point {key} at the migrated database ({target}, password as the application needs it)");
    let Some(value) = env.get(key) else {
        return Check::fail(ID, format!("{key} is not set in {}", env.path().display())).hint(hint);
    };
    match same_database(&value, target) {
        Ok(evidence) => Check::pass(ID, format!("{key} points at the migrated database")).hint(hint).evidence(evidence),
        Err(mismatches) => {
            Check::fail(ID, format!("{key} does not point at the migrated database: {}", mismatches.join("; ")))
                .hint(hint)
                .evidence(vec![
                    format!("{key}: {}", describe(&value)),
                    format!("target: {}", describe(target.expose())),
                ])
        }
    }
}

/// Engine family of a URL scheme, ignoring a `+driver` suffix (`postgresql+psycopg`).
fn family(scheme: &str) -> Option<Dialect> {
    let base = scheme.split('+').next().unwrap_or(scheme).to_ascii_lowercase();
    match base.as_str() {
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "mysql" | "mariadb" => Some(Dialect::MariaDb),
        "sqlite" | "sqlite3" => Some(Dialect::Sqlite),
        _ => None,
    }
}

/// Where a database URL points, without its user and password.
#[derive(Debug, PartialEq, Eq)]
enum Location {
    Server {
        family: Dialect,
        host: String,
        port: u16,
        database: String,
    },
    /// Candidate paths of an SQLite file: `sqlite:///x` is `/x` to cutover and `x` to
    /// SQLAlchemy and dj-database-url, so both readings are kept.
    File {
        paths: Vec<PathBuf>,
    },
}

fn locate(url: &str) -> Result<Location, String> {
    let Some((scheme, rest)) = url.trim().split_once("://") else {
        return Err("not a URL (no scheme://)".to_string());
    };
    let family =
        family(scheme).ok_or_else(|| format!("scheme `{scheme}` is not PostgreSQL, MariaDB/MySQL or SQLite"))?;
    let Some(default_port) = family.engine().default_port() else {
        let path = rest.split('?').next().unwrap_or(rest);
        let mut paths = vec![PathBuf::from(path)];
        if let Some(stripped) = path.strip_prefix('/') {
            paths.push(PathBuf::from(stripped));
        }
        return Ok(Location::File { paths });
    };
    let parsed = ::url::Url::parse(url.trim()).map_err(|e| format!("not a valid URL ({e})"))?;
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or("no host")?.to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = parsed.port().unwrap_or(default_port);
    let mut database = percent_decode(parsed.path().trim_start_matches('/'));
    if database.is_empty() && family.engine().default_database_is_user() {
        // libpq connects to the database named like the user when none is given.
        database = if parsed.username().is_empty() { "postgres".into() } else { percent_decode(parsed.username()) };
    }
    Ok(Location::Server { family, host, port, database })
}

fn percent_decode(s: &str) -> String {
    ::url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
}

/// `engine host:port/database` (or the file path) of a URL: safe to print.
fn describe(url: &str) -> String {
    match locate(url) {
        Ok(Location::Server { family, host, port, database }) => format!("{family} {host}:{port}/{database}"),
        Ok(Location::File { paths }) => format!("sqlite file {}", paths[0].display()),
        Err(why) => format!("unreadable ({why}; {} characters)", url.chars().count()),
    }
}

/// Whether `url` points at the same database as `target`: same engine family, host,
/// port and database (loopback names count as one host), or for SQLite the same file.
/// `Ok` carries what matched, `Err` every difference; neither ever holds a password.
pub fn same_database(url: &str, target: &TargetUrl) -> Result<Vec<String>, Vec<String>> {
    let theirs = locate(url).map_err(|why| vec![why])?;
    let ours = locate(target.expose()).map_err(|why| vec![format!("the target URL: {why}")])?;
    match (theirs, ours) {
        (Location::File { paths }, Location::File { paths: ours }) => {
            let target_file = canonical(&ours[0]);
            if paths.iter().any(|p| canonical(p) == target_file) {
                Ok(vec![format!("sqlite file {}", target_file.display())])
            } else {
                Err(vec![format!("file {} is not {}", paths[0].display(), target_file.display())])
            }
        }
        (
            Location::Server { family, host, port, database },
            Location::Server { family: f2, host: h2, port: p2, database: d2 },
        ) => {
            let mut diffs = Vec::new();
            if family != f2 {
                diffs.push(format!("engine {family}, the target is {f2}"));
            }
            let same_host = host == h2 || (is_loopback(&host) && is_loopback(&h2));
            if !same_host {
                diffs.push(format!("host {host}, the target is {h2}"));
            }
            if port != p2 {
                diffs.push(format!("port {port}, the target is {p2}"));
            }
            if database != d2 {
                diffs.push(format!("database {database:?}, the target is {d2:?}"));
            }
            if diffs.is_empty() {
                Ok(vec![format!("{family} {host}:{port}/{database}")])
            } else {
                Err(diffs)
            }
        }
        (Location::File { .. }, Location::Server { family, .. }) => {
            Err(vec![format!("an SQLite file, the target is a {family} server")])
        }
        (Location::Server { family, .. }, Location::File { .. }) => {
            Err(vec![format!("a {family} server, the target is an SQLite file")])
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

// ---------------------------------------------------------------- required keys

fn required_keys(settings: &GateSettings, env: &EnvFile) -> Check {
    const ID: &str = "config_required_keys";
    let present: Vec<&str> = env.keys().collect();
    let mut missing = Vec::new();
    let mut empty = Vec::new();
    for key in &settings.required_keys {
        match env.get(key) {
            None => missing.push(key.as_str()),
            Some(v) if v.trim().is_empty() => empty.push(key.as_str()),
            Some(_) => {}
        }
    }
    // Keys the gate or the profile know: a near miss of one of them is a typo.
    let mut known: Vec<&str> = settings.required_keys.iter().map(String::as_str).collect();
    known.extend(settings.debug_key.as_deref());
    known.extend(settings.cors_keys.iter().map(String::as_str));
    known.push(settings.database_url_key.as_deref().unwrap_or(DEFAULT_DATABASE_URL_KEY));
    known.extend(DEFAULT_DEBUG_KEYS.iter().chain(DEFAULT_CORS_KEYS));
    let misspelt: Vec<String> = present
        .iter()
        .filter(|k| !known.contains(k))
        .filter_map(|k| {
            known
                .iter()
                .find(|want| !present.contains(want) && near_miss(k, want))
                .map(|want| format!("{k} (for {want}?)"))
        })
        .collect();
    let hint = "add the missing keys to the production env file and correct misspelt ones: \
                the application ignores a misspelt key and falls back to its default";
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing: {}", missing.join(", ")));
    }
    if !empty.is_empty() {
        problems.push(format!("empty: {}", empty.join(", ")));
    }
    if !misspelt.is_empty() {
        problems.push(format!("misspelt: {}", misspelt.join(", ")));
    }
    let evidence = vec![format!("keys in {}: {}", env.path().display(), present.join(", "))];
    if !problems.is_empty() {
        return Check::fail(ID, problems.join("; ")).hint(hint).evidence(evidence);
    }
    let message = if settings.required_keys.is_empty() {
        "no required keys listed (gate.required_keys); no misspelt key found".to_string()
    } else {
        format!("{} required key(s) present; no misspelt key found", settings.required_keys.len())
    };
    Check::new(ID, Status::Pass, message).hint(hint).evidence(evidence)
}

/// `key` looks like a typo of `want`: the same ignoring case, or one or two edits away
/// (one for names of five characters or fewer, so that `DEBUG` is not near `DEBIT`).
pub fn near_miss(key: &str, want: &str) -> bool {
    let (k, w) = (key.to_ascii_uppercase(), want.to_ascii_uppercase());
    if k == w {
        return key != want;
    }
    let allowed = if w.chars().count() <= 5 { 1 } else { 2 };
    edit_distance(&k, &w) <= allowed
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps
/// of two neighbouring characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> TargetUrl {
        TargetUrl::parse(s).unwrap()
    }

    #[test]
    fn database_urls_match_on_engine_host_port_and_database() {
        let t = url("postgres://cutover:pw@db.example:5432/prod");
        assert!(same_database("postgresql://app:other@db.example/prod", &t).is_ok());
        assert!(same_database("postgresql+psycopg://app@DB.example:5432/prod?sslmode=require", &t).is_ok());
        let e = same_database("postgres://app:s3cret@db.example:5433/staging", &t).unwrap_err();
        assert_eq!(e, ["port 5433, the target is 5432", "database \"staging\", the target is \"prod\""]);
        let e = same_database("mysql://app@db.example:5432/prod", &t).unwrap_err();
        assert_eq!(e, ["engine mariadb, the target is postgres"]);
        let e = same_database("postgres://app@other.example/prod", &t).unwrap_err();
        assert_eq!(e, ["host other.example, the target is db.example"]);
        let m = url("mariadb://root@127.0.0.1:3306/shop");
        assert!(same_database("mysql+pymysql://shop:pw@localhost/shop", &m).is_ok(), "loopback names are one host");
        assert!(same_database("mysql://shop@127.0.0.1:3307/shop", &m).is_err());
        // libpq's default database is the user's name.
        assert!(same_database("postgres://prod@db.example", &t).is_ok());
    }

    #[test]
    fn database_url_differences_never_show_a_password() {
        let t = url("postgres://cutover:target-pw@db.example:5432/prod");
        for bad in
            ["postgres://app:hunter2@elsewhere:1/x", "oracle://sys:hunter2@h/db", "hunter2", "mysql://:hunter2@h"]
        {
            let shown = format!("{:?} {}", same_database(bad, &t), describe(bad));
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("target-pw"), "{shown}");
        }
    }

    #[test]
    fn sqlite_urls_compare_files_in_both_readings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.sqlite");
        std::fs::write(&file, b"").unwrap();
        let t = url(&format!("sqlite://{}", file.display()));
        // cutover's and SQLAlchemy's absolute forms.
        assert!(same_database(&format!("sqlite://{}", file.display()), &t).is_ok());
        assert!(same_database(&format!("sqlite:///{}", file.display()), &t).is_ok());
        assert!(same_database("sqlite:///elsewhere.sqlite", &t).is_err());
        assert!(same_database("postgres://h/db", &t).is_err());
    }

    #[test]
    fn debug_values() {
        for on in ["true", "True", "1", "yes", "on", "2"] {
            assert_eq!(truthiness(on), Some(true), "{on}");
        }
        for off in ["false", "False", "0", "no", "off", "", " "] {
            assert_eq!(truthiness(off), Some(false), "{off:?}");
        }
        assert_eq!(truthiness("app:*"), None);
    }

    #[test]
    fn cors_origins_are_read_in_every_common_form() {
        assert_eq!(origins("http://localhost:3000,https://a.example"), ["http://localhost:3000", "https://a.example"]);
        assert_eq!(origins("https://a.example https://b.example"), ["https://a.example", "https://b.example"]);
        assert_eq!(origins(r#"["http://localhost:3000", "https://floor-demo.example"]"#).len(), 2);
        assert_eq!(origin_problem("*"), Some("a wildcard allows every site"));
        assert!(origin_problem("https://*.example.com").is_some());
        assert!(origin_problem("http://localhost:3000").is_some());
        assert!(origin_problem("http://127.0.0.1:8080").is_some());
        assert!(origin_problem("http://[::1]:8080").is_some());
        assert!(origin_problem("localhost:5173").is_some());
        assert!(origin_problem("null").is_some());
        assert_eq!(origin_problem("https://app.client.example"), None);
        assert_eq!(origin_problem("https://localhost-tools.example"), None);
    }

    #[test]
    fn misspelt_keys() {
        assert!(near_miss("SECERT_KEY", "SECRET_KEY"));
        assert!(near_miss("SECRET_KY", "SECRET_KEY"));
        assert!(near_miss("secret_key", "SECRET_KEY"));
        assert!(near_miss("DATABSE_URL", "DATABASE_URL"));
        assert!(!near_miss("SECRET_KEY", "SECRET_KEY"));
        assert!(!near_miss("REDIS_URL", "DATABASE_URL"));
        assert!(near_miss("DEBUGG", "DEBUG"));
        assert!(!near_miss("DEBIT", "DEBUG"));
    }
}
