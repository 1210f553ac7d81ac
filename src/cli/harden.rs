//! `cutover harden`: apply a hardening profile to the target, journaled and undoable.

use std::path::PathBuf;

use clap::Args;

use super::output::{json, write_stdout};
use super::{usage, CliError, Outcome, OutputOpts};
use crate::config::Config;
use crate::harden::profile::Profile;
use crate::harden::run::{self, HardenOptions};
use crate::target::url::TargetUrl;

/// Harden the migrated database before the client's staff log in: deactivate demo users
/// and clients (rows are kept, a flag is set), create the production admin with a
/// generated password hashed in the application's format (written once to a 0600 file,
/// never printed), rotate secrets in the env file (atomically, with a backup) and expire
/// the sessions the old secret signed, add version columns, index foreign keys and common
/// filters, create PostgreSQL extensions, run the profile's own SQL steps.
///
/// Every step first checks whether it is needed: a second run changes nothing. Each
/// step runs in one transaction where the engine allows (MariaDB commits DDL itself),
/// is recorded with the values before in the journal, and is checked again afterwards.
/// `--check` changes nothing and exits 1 when anything would change; `--undo RUN_ID`
/// takes a run back: every changed row restored, the env file restored byte for byte.
///
/// The profile is the `[harden]` table of cutover.toml, or a file of its own (--profile).
///
/// Example: `cutover harden --config cutover.toml --check`
#[derive(Debug, Args)]
pub struct HardenArgs {
    /// Read the target and the `[harden]` profile from this cutover.toml.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Target URL (wins over the config's `target`).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// PostgreSQL schema of the tables (default: public).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// The hardening profile (TOML, schema/profile.schema.json); wins over the config's `[harden]`.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// The application's env file whose secrets are rotated (wins over the profile's env_file).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Change nothing: list what each step would change; exit 1 when anything would.
    #[arg(long, conflicts_with = "undo")]
    pub check: bool,
    /// Take back the run with this id (printed by harden, recorded in the journal).
    #[arg(long, value_name = "RUN_ID")]
    pub undo: Option<String>,
    /// The journal of hardening runs (mode 0600).
    #[arg(long, value_name = "FILE", default_value = "cutover-journal.json")]
    pub journal: PathBuf,
    #[command(flatten)]
    pub output: OutputOpts,
}

/// Target, schema and profile from flags and the config file (flags win).
pub fn resolve(
    config: Option<&PathBuf>,
    to: Option<&String>,
    target_schema: Option<&String>,
    profile: Option<&PathBuf>,
) -> Result<(TargetUrl, Option<String>, Profile), CliError> {
    let config = match config {
        Some(p) => Config::load(p).map_err(|e| CliError::Usage(e.into()))?,
        None => Config::default(),
    };
    let url = match to {
        Some(u) => u.clone(),
        None => config.target_url().map_err(|e| CliError::Usage(e.into()))?.ok_or_else(|| {
            usage("no target: pass --to URL (postgres://…, mariadb://…, sqlite://…) or --config with `target`")
        })?,
    };
    let target = TargetUrl::parse(&url).map_err(|e| CliError::Usage(e.into()))?;
    let profile = profile_for(&config, profile)?;
    Ok((target, target_schema.cloned().or(config.target_schema.clone()), profile))
}

/// The hardening profile: `--profile FILE`, else the config's `profile = "FILE"`, else its `[harden]` table.
pub fn profile_for(config: &Config, flag: Option<&PathBuf>) -> Result<Profile, CliError> {
    match (flag.or(config.profile.as_ref()), &config.harden) {
        (Some(p), _) => Profile::load(p).map_err(|e| CliError::Usage(e.into())),
        (None, Some(v)) => {
            let path = config.path.as_ref().map_or("cutover.toml".into(), |p| p.display().to_string());
            Profile::from_config(v, &path).map_err(|e| CliError::Usage(e.into()))
        }
        (None, None) => Err(usage(
            "no hardening profile: pass --profile FILE, or --config with `profile = \"FILE\"` or a [harden] table",
        )),
    }
}

pub fn run(args: HardenArgs) -> Result<Outcome, CliError> {
    let (target, target_schema, profile) =
        resolve(args.config.as_ref(), args.to.as_ref(), args.target_schema.as_ref(), args.profile.as_ref())?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| CliError::Runtime(e.into()))?;
    let classify =
        |e: run::RunError| if e.is_refusal() { CliError::Usage(e.into()) } else { CliError::Runtime(e.into()) };
    if let Some(id) = &args.undo {
        let report =
            runtime.block_on(run::undo(&target, target_schema.as_deref(), &args.journal, id)).map_err(classify)?;
        if args.output.json {
            json(&report)?;
        } else {
            write_stdout(&report.render())?;
        }
        return Ok(Outcome::Success);
    }
    let opts = HardenOptions {
        env_file: args.env_file.clone().or(profile.env_file.clone()),
        target,
        target_schema,
        profile,
        journal: args.journal.clone(),
        check: args.check,
    };
    let report = runtime.block_on(run::harden(&opts)).map_err(classify)?;
    if args.output.json {
        json(&report)?;
    } else {
        write_stdout(&report.render())?;
    }
    Ok(if args.check && report.changed { Outcome::ChecksFailed } else { Outcome::Success })
}
