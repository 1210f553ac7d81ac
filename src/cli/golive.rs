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
    /// Default: .cutover/<target>/state.json (a folder of files per target).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Where the verification report is written (the gate reads it).
    /// Default: the profile's `gate.verify_report`, else .cutover/<target>/verify.json.
    #[arg(long, value_name = "FILE")]
    pub verify_report: Option<PathBuf>,
    /// The hardening journal (mode 0600).
    /// Default: .cutover/<target>/journal.json.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Where the Markdown go-live report is written. Default: a file of its own for every
    /// run, .cutover/<target>/golive-<time>.md, copied to .cutover/<target>/golive-latest.md
    /// (a run that stops never replaces an earlier run's GO report).
    #[arg(long, value_name = "FILE")]
    pub report_md: Option<PathBuf>,
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
    let files = crate::workspace::TargetFiles::in_schema(&target, target_schema.as_deref());
    let state_file = super::file_or_default(args.state.as_ref(), || files.state(), &files)?;
    let verify_report =
        super::file_or_default(args.verify_report.as_ref(), || super::default_verify_report(&config, &files), &files)?;
    let journal = super::file_or_default(args.journal.as_ref(), || files.journal(), &files)?;
    let opts = GoliveOptions {
        source,
        target,
        config: &config,
        target_schema,
        env_file,
        profile,
        state_file,
        verify_report,
        journal,
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
    let report_md = write_markdown(args.report_md.as_ref(), &files, &report)?;
    if args.output.json {
        json(&report)?;
    } else {
        write_stdout(&format!("{}go-live report: {}\n", report.render(), report_md.display()))?;
    }
    let stopped = report.stages.iter().find(|s| s.status == "failed").map(|s| s.summary.clone()).unwrap_or_default();
    if let (Some(signal), false) = (crate::interrupt::requested(), report.ending == Ending::Go) {
        return Err(CliError::Interrupted {
            signal,
            message: format!(
                "{stopped}; the report {} is written; run the same golive command again to continue (the migration resumes from its state file, applied hardening steps are in the journal)",
                report_md.display()
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

/// The Markdown report: to `--report-md` when given, else to a file of this run's own in
/// the target's folder (an earlier GO report is never replaced), copied to
/// `golive-latest.md`. Returns where it is.
fn write_markdown(
    given: Option<&PathBuf>,
    files: &crate::workspace::TargetFiles,
    report: &golive::GoliveReport,
) -> Result<PathBuf, CliError> {
    let text = golive::markdown(report);
    let write = |path: &std::path::Path| {
        std::fs::write(path, &text).map_err(|e| CliError::Runtime(anyhow::anyhow!("{}: {e}", path.display())))
    };
    if let Some(path) = given {
        write(path)?;
        return Ok(path.clone());
    }
    let stamp: String = report.started_at.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut path = files.golive_report(&stamp);
    // Two runs within one second: the second gets a suffix rather than the first's file.
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = files.golive_report(&format!("{stamp}-{n}"));
    }
    write(&path)?;
    write(&files.golive_latest())?;
    Ok(path)
}
