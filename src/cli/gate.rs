//! `cutover gate`: the go / no-go check before go-live, with an exit code for CI.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::output::write_stdout;
use super::{usage, CliError, Outcome};
use crate::config::Config;
use crate::gate::{self, render, GateOptions, GateReport};
use crate::harden::profile::Profile;
use crate::plan::Level;
use crate::target::url::TargetUrl;

/// Run every go-live check against the migrated database and say GO or NO-GO.
///
/// The checks: the migration finished and its verify report found everything equal;
/// each step of the hardening profile is in place (demo users and clients inactive, the
/// production admin present and active, secrets in the env file strong, version
/// columns, foreign-key and other indexes, extensions, SQL steps); the application's
/// env file is fit for production (DEBUG off, CORS origins without `*` or localhost,
/// DATABASE_URL pointing at this target, required keys present and not misspelt); and
/// the server's own security settings (PostgreSQL: SCRAM passwords, no `trust` in
/// pg_hba.conf, SSL on, at most one superuser; MariaDB: no anonymous users, no remote
/// root, no test database, local_infile off, strict sql_mode).
///
/// Each check has a stable id, a level (error unless the profile's `gate.levels` says
/// otherwise) and a status: pass, fail, warn (it could not be read, for example for
/// lack of privileges; it still blocks at the fail level) or skip (not applicable).
/// Secrets are never printed: only their length and why they are weak.
///
/// Exit 0 on GO, 1 on NO-GO, 2 on a usage or configuration error, 3 when the target
/// cannot be reached.
///
/// Example: `cutover gate --config cutover.toml --env-file /srv/app/.env`
///
/// In CI: `cutover gate --to postgres://app@db:5432/client --profile harden.toml --format junit --output gate.xml`
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Read `target`, `target_schema` and the `[harden]` profile from this cutover.toml.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Target URL: postgres://user@host:5432/db, mariadb://user@host:3306/db (or mysql://) or
    /// sqlite://file.sqlite. Wins over the config's `target`. A password in it is never printed.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// PostgreSQL schema of the application's tables (default: the config's, else public).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// The hardening profile (TOML, schema/profile.schema.json): its steps are what the gate
    /// checks, its `[gate]` table the rest. Wins over the config's `[harden]` table.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// The application's production env file. Wins over the profile's `env_file`.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The migration's state file: an unfinished migration is NO-GO.
    #[arg(long, value_name = "FILE", default_value = "cutover-state.json")]
    pub state: PathBuf,
    /// The report of `cutover verify … --report FILE` (default: the profile's
    /// `gate.verify_report`, else cutover-verify.json).
    #[arg(long, value_name = "FILE")]
    pub verify_report: Option<PathBuf>,
    /// `text`: a table for people; `json`: the report for scripts (schema/gate.schema.json);
    /// `junit`: JUnit XML for CI, one test case per check; `markdown`: for the client's records.
    #[arg(long, value_enum, default_value = "text")]
    pub format: GateFormat,
    /// Write the report to this file instead of stdout; the verdict line goes to stderr.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Problems at this level or above make the gate NO-GO: `error` (default) or `warning`
    /// (also the checks the profile lowered to warning).
    #[arg(long, value_enum, default_value = "error")]
    pub fail_level: FailLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateFormat {
    Text,
    Json,
    Junit,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailLevel {
    Error,
    Warning,
}

impl From<FailLevel> for Level {
    fn from(f: FailLevel) -> Level {
        match f {
            FailLevel::Error => Level::Error,
            FailLevel::Warning => Level::Warning,
        }
    }
}

pub fn run(args: GateArgs) -> Result<Outcome, CliError> {
    let opts = options(&args)?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| CliError::Runtime(e.into()))?;
    let report = runtime.block_on(gate::gate(&opts)).map_err(|e| {
        if e.is_usage() {
            CliError::Usage(e.into())
        } else {
            CliError::Runtime(e.into())
        }
    })?;
    let text = rendered(&report, args.format)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| {
                CliError::Runtime(anyhow::anyhow!("{}: cannot write the gate report: {e}", path.display()))
            })?;
            eprintln!("{} (report written to {})", report.verdict(), path.display());
        }
        None => write_stdout(&text)?,
    }
    Ok(if report.go { Outcome::Success } else { Outcome::ChecksFailed })
}

fn rendered(report: &GateReport, format: GateFormat) -> Result<String, CliError> {
    Ok(match format {
        GateFormat::Text => render::text(report),
        GateFormat::Json => serde_json::to_string_pretty(report).map_err(|e| CliError::Runtime(e.into()))? + "\n",
        GateFormat::Junit => render::junit(report),
        GateFormat::Markdown => render::markdown(report),
    })
}

/// The gate's inputs from flags, then the config file, then the profile.
fn options(args: &GateArgs) -> Result<GateOptions, CliError> {
    let config = match &args.config {
        Some(p) => Config::load(p).map_err(|e| CliError::Usage(e.into()))?,
        None => Config::default(),
    };
    let url = match &args.to {
        Some(u) => u.clone(),
        None => config.target_url().map_err(|e| CliError::Usage(e.into()))?.ok_or_else(|| {
            usage(
                "no target: pass --to URL (postgres://…, mariadb://…, sqlite://…) or --config with `target = \"...\"`",
            )
        })?,
    };
    let target = TargetUrl::parse(&url).map_err(|e| CliError::Usage(e.into()))?;
    let profile = profile(args.profile.as_deref(), &config, args.config.as_deref())?;
    let verify_report = args
        .verify_report
        .clone()
        .or_else(|| profile.gate.verify_report.clone())
        .unwrap_or_else(|| PathBuf::from("cutover-verify.json"));
    Ok(GateOptions {
        target,
        target_schema: args.target_schema.clone().or_else(|| config.target_schema.clone()),
        env_file: args.env_file.clone().or_else(|| profile.env_file.clone()),
        profile,
        state_file: args.state.clone(),
        verify_report,
        fail_level: args.fail_level.into(),
    })
}

/// `--profile FILE`, else the config's `profile = "FILE"`, else its `[harden]` table. A gate without a profile would
/// check neither demo accounts nor secrets, so one is required.
fn profile(path: Option<&Path>, config: &Config, config_path: Option<&Path>) -> Result<Profile, CliError> {
    if let Some(p) = path.map(Path::to_path_buf).or(config.profile.clone()) {
        return Profile::load(&p).map_err(|e| CliError::Usage(e.into()));
    }
    match &config.harden {
        Some(table) => {
            let name = config_path.map_or_else(|| "cutover.toml".to_string(), |p| p.display().to_string());
            Profile::from_config(table, &name).map_err(|e| CliError::Usage(e.into()))
        }
        None => Err(usage(
            "no hardening profile: pass --profile FILE, or --config with a [harden] table (`cutover init` writes a starter); \
             the gate checks what the profile's steps promise",
        )),
    }
}
