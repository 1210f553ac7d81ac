//! `cutover gate`: the go / no-go check before go-live, with an exit code for CI.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::write_stdout;
use super::{CliError, Hardened, HardenedOpts, Outcome};
use crate::gate::{self, render, GateOptions, GateReport};
use crate::plan::Level;

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
    #[command(flatten)]
    pub target: HardenedOpts,
    /// The migration's state file: an unfinished migration is NO-GO. Default:
    /// .cutover/<target>/state.json, where `migrate` writes it for this target.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The report of `cutover verify … --report FILE` (default: the profile's
    /// `gate.verify_report`, else .cutover/<target>/verify.json).
    #[arg(long, value_name = "FILE")]
    pub verify_report: Option<PathBuf>,
    /// The hardening journal that `cutover harden` wrote: `sessions_revoked` reads under
    /// which secret this target's sessions were revoked. Default: .cutover/<target>/journal.json.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// `text`: a table for people; `json`: the report for scripts (schema/gate.schema.json);
    /// `junit`: JUnit XML for CI, one test case per check; `markdown`: for the client's records.
    #[arg(long, value_enum, default_value = "text")]
    pub format: GateFormat,
    /// The same as `--format json` (as every other command spells it).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
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
    let text = rendered(&report, if args.json { GateFormat::Json } else { args.format })?;
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
    let Hardened { target, target_schema, profile, env_file, .. } = args.target.resolve()?;
    let files = crate::workspace::TargetFiles::in_schema(&target, target_schema.as_deref());
    let verify_report = args
        .verify_report
        .clone()
        .or_else(|| profile.gate.verify_report.clone())
        .unwrap_or_else(|| files.verify_report());
    Ok(GateOptions {
        target,
        target_schema,
        env_file,
        profile,
        state_file: args.state.clone().unwrap_or_else(|| files.state()),
        verify_report,
        journal: args.journal.clone().unwrap_or_else(|| files.journal()),
        fail_level: args.fail_level.into(),
    })
}
