//! `cutover harden`: apply a hardening profile to the target, journaled and undoable.

use std::path::PathBuf;

use crate::workspace::TargetFiles;

use clap::Args;

use super::output::{json, write_stdout};
use super::{usage, CliError, Hardened, HardenedOpts, Outcome, OutputOpts};
use crate::config::Config;
use crate::harden::profile::Profile;
use crate::harden::run::{self, HardenOptions};

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
/// Ctrl-C (SIGINT) or SIGTERM stops between two steps, with the steps applied in the
/// journal: exit 130 (143 for SIGTERM); run harden again to apply the rest.
///
/// Example: `cutover harden --config cutover.toml --check`
#[derive(Debug, Args)]
pub struct HardenArgs {
    #[command(flatten)]
    pub target: HardenedOpts,
    /// Change nothing: list what each step would change; exit 1 when anything would.
    #[arg(long, conflicts_with = "undo")]
    pub check: bool,
    /// Take back the run with this id (printed by harden, recorded in the journal).
    #[arg(long, value_name = "RUN_ID")]
    pub undo: Option<String>,
    /// The journal of hardening runs (mode 0600). Default: .cutover/<target>/journal.json,
    /// beside the target's state file.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputOpts,
}

/// The hardening profile: `--profile FILE`, else the config's `profile = "FILE"`, else its `[harden]` table.
pub fn profile_for(config: &Config, flag: Option<&PathBuf>) -> Result<Profile, CliError> {
    if config.profile.is_some() && config.harden.is_some() {
        let path = config.path.as_ref().map_or("cutover.toml".into(), |p| p.display().to_string());
        return Err(usage(format!(
            "{path} has both `profile = \"...\"` and a [harden] table: keep one, so that it is clear which steps run"
        )));
    }
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
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| CliError::Runtime(e.into()))?;
    crate::interrupt::install(crate::interrupt::Mode::Stop);
    let classify = |e: run::RunError| match e {
        run::RunError::Interrupted { signal, .. } => CliError::Interrupted { signal, message: e.to_string() },
        e if e.is_refusal() => CliError::Usage(e.into()),
        e => CliError::Runtime(e.into()),
    };
    if let Some(id) = &args.undo {
        let (target, target_schema) = args.target.resolve_target()?;
        let files = TargetFiles::in_schema(&target, target_schema.as_deref());
        let journal = args.journal.clone().unwrap_or_else(|| files.journal());
        let report = runtime.block_on(run::undo(&target, target_schema.as_deref(), &journal, id)).map_err(classify)?;
        if args.output.json {
            json(&report)?;
        } else {
            write_stdout(&report.render())?;
        }
        return Ok(Outcome::Success);
    }
    let Hardened { target, target_schema, profile, env_file, .. } = args.target.resolve()?;
    let files = TargetFiles::in_schema(&target, target_schema.as_deref());
    // Created by the journal's first write: a refused profile leaves no folder behind.
    let journal = args.journal.clone().unwrap_or_else(|| files.journal());
    let opts = HardenOptions { env_file, target, target_schema, profile, journal, check: args.check };
    let report = runtime.block_on(run::harden(&opts)).map_err(classify)?;
    if args.output.json {
        json(&report)?;
    } else {
        write_stdout(&report.render())?;
    }
    Ok(if args.check && report.changed { Outcome::ChecksFailed } else { Outcome::Success })
}
