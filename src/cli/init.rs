//! `cutover init`: write a commented cutover.toml for a consultant to edit.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use rusqlite::Connection;

use super::{resolve_target, usage, CliError, Outcome, TargetOpts};
use crate::plan::{self, Level, PlanOptions};
use crate::schema::{SourceSchema, Table};
use crate::source::{quote_sqlite, Source};
use crate::target::url::TargetUrl;

/// Write a commented cutover.toml for SOURCE and a target: source, target (the password
/// replaced by `${CUTOVER_TARGET_PASSWORD}`), the column decisions the data forced, and
/// a starter hardening profile with the user and client tables and demo accounts found.
///
/// Example: `cutover init client.sqlite --to mariadb://app@db.example:3306/prod`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The SQLite database file or `.sql` dump.
    #[arg(value_name = "SOURCE")]
    pub source: PathBuf,
    #[command(flatten)]
    pub target: TargetOpts,
    /// Where to write the file.
    #[arg(long, short = 'o', default_value = "cutover.toml", value_name = "FILE")]
    pub output: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Username patterns of accounts that demo data and end-to-end tests create.
const DEMO_USER_PATTERNS: &[&str] = &[
    "admin",
    "administrator",
    "demo*",
    "test*",
    "e2e_*",
    "supervisor*",
    "operator*",
    "leader*",
    "poweruser",
    "guest",
    "user[0-9]*",
];
/// Client codes that look like demo or sample data.
const DEMO_CLIENT_PATTERNS: &[&str] = &["DEMO*", "TEST*", "SAMPLE*", "ACME*", "EXAMPLE*", "E2E*"];

pub fn run(args: InitArgs) -> Result<Outcome, CliError> {
    if args.output.exists() && !args.force {
        return Err(usage(format!("{} already exists; pass --force to overwrite it", args.output.display())));
    }
    let (dialect, url) = resolve_target(&args.target, &Default::default())?;
    let mut source = Source::open(&args.source).map_err(|e| CliError::Runtime(e.into()))?;
    let schema = source.read_schema().map_err(|e| CliError::Runtime(e.into()))?;
    let config = Default::default();
    let opts = PlanOptions {
        dialect,
        target_schema: args.target.target_schema.clone(),
        config: &config,
        excluded: Default::default(),
    };
    let plan = plan::build(&schema, &opts).map_err(|e| CliError::Usage(e.into()))?;
    let text = render(&args, url.as_ref(), dialect, &schema, &plan, source.connection());
    if let Some(folder) = args.output.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| CliError::Runtime(anyhow::anyhow!("creating the folder {}: {e}", folder.display())))?;
    }
    crate::output::write_private(&args.output, &text)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("writing {}: {e}", args.output.display())))?;
    eprintln!(
        "wrote {} ({} tables); review it, then run `cutover plan --config {}`",
        args.output.display(),
        schema.tables.len(),
        args.output.display()
    );
    Ok(Outcome::Success)
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn render(
    args: &InitArgs,
    url: Option<&TargetUrl>,
    dialect: crate::target::Dialect,
    schema: &SourceSchema,
    plan: &plan::Plan,
    conn: &Connection,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# cutover.toml: one client's migration. Written by `cutover init`; edit freely.");
    let _ = writeln!(s, "# Every key can also be given on the command line, which wins over this file.");
    let _ = writeln!(s, "# Reference: docs/configuration.md\n");
    // Absolute, because the config reads a relative source from its own folder.
    let source = std::fs::canonicalize(&args.source).unwrap_or_else(|_| args.source.clone());
    let _ = writeln!(s, "source = {}", toml_str(&source.display().to_string()));
    match url {
        Some(u) => {
            let shown = u.to_string().replace(":***@", ":${CUTOVER_TARGET_PASSWORD}@");
            let _ = writeln!(s, "# The password is read from the environment; never write it here.");
            let _ = writeln!(s, "target = {}", toml_str(&shown));
        }
        None => {
            let _ = writeln!(s, "dialect = {}", toml_str(dialect.name()));
            let _ = writeln!(s, "# target = \"postgres://app:${{CUTOVER_TARGET_PASSWORD}}@db.example:5432/prod\"");
        }
    }
    let _ = writeln!(s, "# target_schema = \"public\"   # PostgreSQL only\n");
    let _ = writeln!(s, "# MariaDB collations for SQLite's BINARY / NOCASE / RTRIM (defaults shown).");
    let _ = writeln!(s, "# [mariadb.collations]\n# binary = \"utf8mb4_nopad_bin\"\n# nocase = \"utf8mb4_general_nopad_ci\"\n# rtrim = \"utf8mb4_bin\"\n");
    let _ = writeln!(s, "# Per-table decisions. Uncomment to change what the plan chose.");
    let _ = writeln!(s, "#   skip = true                 leave the table out");
    let _ = writeln!(s, "#   name = \"...\"                its name in the target");
    let _ = writeln!(
        s,
        "#   [tables.\"t\".columns.\"c\"] type = \"decimal(12,2)\" | name = \"...\" | epoch_unit = \"ms\"\n"
    );
    for f in plan.findings.iter().filter(|f| f.level >= Level::Warning) {
        if let Some((table, column)) = f.object.split_once('.') {
            if schema.table(table).and_then(|t| t.column(column)).is_some() {
                let _ = writeln!(s, "# {}: {}", f.object, f.message);
                let _ = writeln!(s, "# [tables.{}.columns.{}]\n# type = \"...\"\n", toml_str(table), toml_str(column));
            }
        }
    }
    s.push_str(&harden_starter(schema, conn));
    s
}

/// A starter `[harden]` profile from the user and client tables found in the source.
fn harden_starter(schema: &SourceSchema, conn: &Connection) -> String {
    let mut s = String::from(
        "# Starter hardening profile: the demo accounts and clients found in the source.\n# `cutover harden --config` reads it (docs/harden.md); review every line before go-live.\n[harden]\n",
    );
    let users = find_table(
        schema,
        &["users", "user", "auth_user", "accounts", "account", "app_users", "members"],
        &["username", "login", "email"],
    );
    let clients = find_table(
        schema,
        &["clients", "client", "customers", "companies", "tenants", "organizations", "organisations"],
        &["code", "slug", "name"],
    );
    for (found, patterns, what) in
        [(users, DEMO_USER_PATTERNS, "demo users"), (clients, DEMO_CLIENT_PATTERNS, "demo clients")]
    {
        let Some((table, column)) = found else {
            let _ = writeln!(s, "# No {what} table was recognised; add a deactivate step by hand.\n");
            continue;
        };
        let values = distinct_values(conn, table, column);
        let (demo, other): (Vec<&String>, Vec<&String>) =
            values.iter().partition(|v| patterns.iter().any(|p| crate::harden::pattern::matches(p, v)));
        let flag =
            ["is_active", "active", "enabled"].into_iter().find(|f| table.column(f).is_some()).unwrap_or("is_active");
        let _ = writeln!(s, "[[harden.steps]]\n# Deactivate {what}: rows are kept, the flag is set.");
        let _ = writeln!(
            s,
            "kind = \"deactivate\"\ntable = {}\nmatch_column = {}\nflag = {}",
            toml_str(&table.name),
            toml_str(column),
            toml_str(flag)
        );
        let _ = writeln!(s, "values = [");
        for v in &demo {
            let _ = writeln!(s, "  {},", toml_str(v));
        }
        for v in other.iter().take(50) {
            let _ = writeln!(s, "  # {},   # review: not recognised as demo data", toml_str(v));
        }
        let _ = writeln!(s, "]\n");
    }
    s
}

fn find_table<'a>(schema: &'a SourceSchema, names: &[&str], columns: &[&'a str]) -> Option<(&'a Table, &'a str)> {
    let t = schema.tables.iter().find(|t| names.iter().any(|n| t.name.eq_ignore_ascii_case(n)))?;
    let c = columns.iter().find(|c| t.column(c).is_some())?;
    Some((t, c))
}

fn distinct_values(conn: &Connection, table: &Table, column: &str) -> Vec<String> {
    let sql = format!(
        "SELECT DISTINCT CAST({c} AS TEXT) FROM {t} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT 500",
        c = quote_sqlite(column),
        t = quote_sqlite(&table.name)
    );
    let Ok(mut st) = conn.prepare(&sql) else {
        return Vec::new();
    };
    let rows = st.query_map([], |r| r.get::<_, String>(0));
    rows.map(|r| r.flatten().collect()).unwrap_or_default()
}
