//! `cutover golive`: migrate, verify, harden and gate in one run, with a go-live report.

use std::path::PathBuf;

use clap::Args;

use super::output::{json, write_stdout};
use super::{usage, CliError, Hardened, HardenedOpts, Outcome, OutputOpts};
use crate::copy::progress::ProgressMode;
use crate::golive::{self, Ending, GoliveOptions};

/// The whole go-live in one run, in order: migrate (every row, counts checked), verify
/// (the content checksum of every row), harden (the profile's steps, journaled), gate
/// (every go-live check). It stops at the first stage that fails, says what was done and
/// how to go on, and writes a Markdown go-live report either way. Run it again after a
/// fix: a finished migration is not redone, an unfinished one is resumed, and hardening
/// steps already applied have nothing left to do.
///
/// `--config FILE` is required: it gives the source, the target and the hardening
/// profile (`profile = "FILE"` or a `[harden]` table); `--to` overrides the target, so
/// that one config serves the staging rehearsal and production.
///
/// Exit 0 on GO, 1 when verify finds a difference or the gate says NO-GO, 2 when a stage
/// refuses its input, 3 when a stage cannot run, 130 / 143 when Ctrl-C / SIGTERM stopped it
/// at a safe point (run it again to continue).
///
/// Example: `cutover golive --config fixtures/demo/cutover.toml`
#[derive(Debug, Args)]
pub struct GoliveArgs {
    #[command(flatten)]
    pub target: HardenedOpts,
    /// The migration's state file.
    #[arg(long, value_name = "FILE", default_value = "cutover-state.json")]
    pub state: PathBuf,
    /// Where the verification report is written (the gate reads it).
    #[arg(long, value_name = "FILE", default_value = "cutover-verify.json")]
    pub verify_report: PathBuf,
    /// The hardening journal (mode 0600).
    #[arg(long, value_name = "FILE", default_value = "cutover-journal.json")]
    pub journal: PathBuf,
    /// Where the Markdown go-live report is written.
    #[arg(long, value_name = "FILE", default_value = "golive-report.md")]
    pub report_md: PathBuf,
    /// Tables loaded and read at once (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Gate checks at this level or above make it NO-GO.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_level: super::gate::FailLevel,
    /// Progress on stderr: bars on a terminal, plain lines, JSON lines, or none.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    #[command(flatten)]
    pub output: OutputOpts,
}

pub fn run(args: GoliveArgs) -> Result<Outcome, CliError> {
    let Some(config_path) = args.target.config.clone() else {
        return Err(usage(
            "golive needs --config FILE: the cutover.toml with `source`, `target` and the hardening profile",
        ));
    };
    let Hardened { config, target, target_schema, profile, env_file } = args.target.resolve()?;
    let source = config.source.clone().ok_or_else(|| usage(format!("{}: no `source`", config_path.display())))?;
    let jobs = super::jobs(args.jobs);
    let opts = GoliveOptions {
        source,
        target,
        config: &config,
        target_schema,
        env_file,
        profile,
        state_file: args.state.clone(),
        verify_report: args.verify_report.clone(),
        journal: args.journal.clone(),
        jobs,
        progress: args.progress,
        fail_level: args.fail_level.into(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(jobs.clamp(2, 8))
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    crate::interrupt::install(crate::interrupt::Mode::Stop);
    let report = runtime.block_on(golive::golive(&opts));
    std::fs::write(&args.report_md, golive::markdown(&report))
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("{}: {e}", args.report_md.display())))?;
    if args.output.json {
        json(&report)?;
    } else {
        write_stdout(&format!("{}go-live report: {}\n", report.render(), args.report_md.display()))?;
    }
    let stopped = report.stages.iter().find(|s| s.status == "failed").map(|s| s.summary.clone()).unwrap_or_default();
    if let (Some(signal), false) = (crate::interrupt::requested(), report.ending == Ending::Go) {
        return Err(CliError::Interrupted {
            signal,
            message: format!(
                "{stopped}; the report {} is written; run the same golive command again to continue (the migration resumes from its state file, applied hardening steps are in the journal)",
                args.report_md.display()
            ),
        });
    }
    match report.ending {
        Ending::Go => Ok(Outcome::Success),
        Ending::ChecksFailed => Ok(Outcome::ChecksFailed),
        Ending::Refused => Err(usage(stopped)),
        Ending::Failed => Err(CliError::Runtime(anyhow::anyhow!(stopped))),
    }
}
