//! `cutover migrate`: copy the source into the target, tier by tier, and account for every row.

use std::path::PathBuf;

use clap::Args;

use super::output::{json, write_stdout};
use super::{resolve_source, CliError, Outcome, OutputOpts, SourceOpts};
use crate::copy::progress::ProgressMode;
use crate::copy::{self, MigrateError, MigrateOptions, OnError, SchemaMode};
use crate::verify::{VerifyLevel, VerifyOptions};
use crate::workspace::TargetFiles;

/// Copy SOURCE into the target: tables, then the data (create mode: every table as soon
/// as a connection is free, longest first; existing mode: tier by tier, as the target's
/// foreign keys require), then indexes, foreign keys, identity resets and views. Every value goes
/// through the conversion rules; the first one that does not convert stops the run
/// with its table, row key and column (exit 3), unless `--on-error reject`.
///
/// A table is committed whole with its count checked, or not at all. The state file
/// records each committed table so that a run stopped at any point continues with
/// `--resume`. The target's password is never printed.
///
/// Ctrl-C (SIGINT) or SIGTERM stops at the next safe point: the table in flight is rolled
/// back, the state file and `--report` are written, and the exit code is 130 (143 for
/// SIGTERM); continue with `--resume`. A second Ctrl-C ends at once.
///
/// Example: `cutover migrate fixtures/demo/demo.sql --to sqlite://demo.sqlite`
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub source: SourceOpts,
    /// Target URL: postgres://user@host:5432/db, mariadb://user@host:3306/db (or mysql://) or sqlite://file.sqlite.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    #[command(flatten)]
    pub system: super::SystemDatabaseOpts,
    /// PostgreSQL schema for the tables (default: public).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// `create`: cutover writes the DDL; `existing`: the application's migrations built the
    /// target, and columns are matched by name and converted to their real types.
    #[arg(long = "schema", value_enum, default_value = "create")]
    pub schema_mode: SchemaMode,
    /// Tables loaded at once, each on its own connection (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Existing mode: when target tables hold rows, empty every selected table first (PostgreSQL: one TRUNCATE; MariaDB and SQLite: DELETE, children first).
    #[arg(long)]
    pub truncate: bool,
    /// `strict` stops at the first bad value; `reject` writes bad rows to --reject-file and loads the rest.
    #[arg(long, value_enum, default_value = "strict")]
    pub on_error: OnError,
    /// JSON-lines file for rejected rows (table, key, column, value, reason).
    #[arg(long, value_name = "FILE")]
    pub reject_file: Option<PathBuf>,
    /// State file that records the run, for --resume. Default: .cutover/<target>/state.json,
    /// a folder of files per target (host_port_database and a hash), so that runs into two
    /// targets from one folder never share one.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Continue the run recorded in the state file: finished tables are skipped after their
    /// counts are checked, unfinished ones are redone.
    #[arg(long)]
    pub resume: bool,
    /// Start over the run recorded in the state file, into the same target: in create mode,
    /// drop exactly the tables that run created (refused, with nothing dropped, when another
    /// table of the target references one of them); in existing mode, empty the selected
    /// tables again as --truncate does. Then migrate from the beginning.
    #[arg(long, conflicts_with_all = ["resume", "dry_run"])]
    pub restart: bool,
    /// Read and convert every row and run every check, write nothing; list every value that would fail.
    #[arg(long)]
    pub dry_run: bool,
    /// Only these tables (glob patterns, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub tables: Vec<String>,
    /// Leave these tables out (glob patterns).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Existing mode: leave out source columns that the target table does not have.
    #[arg(long)]
    pub ignore_missing_columns: bool,
    /// Progress on stderr: bars on a terminal, plain lines, JSON lines, or none. Plain
    /// lines say each phase and each finished tier, and the rows done every 5 s.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    /// Progress: also a line for every table (started, done, its rows every 5 s).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// After the copy (which checks every table's row count), run `cutover verify` at level
    /// checksum: the content of every row on both sides. Exit 1 when it finds a difference.
    #[arg(long)]
    pub verify: bool,
    /// With --verify: write the verification's report (schema/verify.schema.json) to this
    /// file. Default: where `cutover gate` reads it, the hardening profile's
    /// `gate.verify_report` when the config names a profile, else .cutover/<target>/verify.json.
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub verify_report: Option<PathBuf>,
    /// Write the report as JSON to this file (schema/report.schema.json).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputOpts,
}

pub fn run(args: MigrateArgs) -> Result<Outcome, CliError> {
    let resolved = resolve_source(&args.source)?;
    let target = super::target_url(args.to.as_ref(), &resolved.config, args.system)?;
    let schema = args.target_schema.clone().or_else(|| resolved.config.target_schema.clone());
    let files = TargetFiles::in_schema(&target, schema.as_deref());
    // A dry run writes no state file: its folder is not created for it.
    let state_file = match (&args.state, args.dry_run) {
        (Some(p), _) => p.clone(),
        (None, true) => files.state(),
        (None, false) => super::file_or_default(None, || files.state(), &files)?,
    };
    let jobs = super::jobs(args.jobs);
    let opts = MigrateOptions {
        source: resolved.source.clone(),
        target,
        config: &resolved.config,
        target_schema: args.target_schema.clone().or_else(|| resolved.config.target_schema.clone()),
        schema_mode: args.schema_mode,
        jobs,
        // --restart in existing mode empties the selected tables again.
        truncate: args.truncate || (args.restart && args.schema_mode == SchemaMode::Existing),
        on_error: args.on_error,
        reject_file: args.reject_file.clone(),
        state_file: state_file.clone(),
        resume: args.resume,
        restart: args.restart,
        dry_run: args.dry_run,
        include: args.tables.clone(),
        exclude: args.exclude.clone(),
        ignore_missing_columns: args.ignore_missing_columns,
        progress: args.progress.with_verbose(args.verbose),
    };
    crate::interrupt::install(crate::interrupt::Mode::Stop);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(jobs.clamp(2, 8))
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    let result = runtime.block_on(copy::migrate(&opts));
    match result {
        Ok(report) => {
            drop(runtime);
            if let Some(p) = &args.report {
                write_report(p, &report)?;
            }
            let verification = if args.verify && !report.dry_run {
                let vopts = VerifyOptions {
                    source: opts.source.clone(),
                    target: opts.target.clone(),
                    config: opts.config,
                    target_schema: opts.target_schema.clone(),
                    schema_mode: Some(opts.schema_mode),
                    level: VerifyLevel::Checksum,
                    max_diffs: 20,
                    jobs,
                    include: opts.include.clone(),
                    exclude: opts.exclude.clone(),
                    state_file: Some(opts.state_file.clone()),
                    progress: opts.progress,
                };
                let v = super::verify::run_verify(&vopts, jobs)?;
                let path = super::file_or_default(
                    args.verify_report.as_ref(),
                    || super::default_verify_report(&resolved.config, &files),
                    &files,
                )?;
                super::verify::write_report(&path, &v)?;
                Some(v)
            } else {
                None
            };
            match (&verification, args.output.json) {
                (Some(v), true) => json(&serde_json::json!({ "migration": report, "verification": v }))?,
                (None, true) => json(&report)?,
                (Some(v), false) => write_stdout(&format!("{}\n{}", report.render(), v.render()))?,
                (None, false) => write_stdout(&report.render())?,
            }
            let refused = report.findings.iter().any(|f| f.level == crate::plan::Level::Error);
            let failed =
                (report.dry_run && (report.rejects_total > 0 || refused)) || verification.is_some_and(|v| !v.ok);
            Ok(if failed { Outcome::ChecksFailed } else { Outcome::Success })
        }
        Err(e) => failed(&args, &state_file, e),
    }
}

/// A run that stopped: write and print what it had done, then the error with its exit code.
fn failed(args: &MigrateArgs, state_file: &std::path::Path, e: MigrateError) -> Result<Outcome, CliError> {
    if let (
        Some(p),
        MigrateError::Conversion { report, .. }
        | MigrateError::Load { report, .. }
        | MigrateError::Interrupted { report, .. },
    ) = (&args.report, &e)
    {
        write_report(p, report)?;
    }
    if let MigrateError::Conversion { report, .. }
    | MigrateError::Load { report, .. }
    | MigrateError::Interrupted { report, .. } = &e
    {
        let _ = if args.output.json { json(report.as_ref()) } else { write_stdout(&report.render()) };
    }
    if let MigrateError::Interrupted { signal, at, .. } = &e {
        let rolled_back = if at.contains("copying") { "the table in flight was rolled back and " } else { "" };
        return Err(CliError::Interrupted {
            signal: *signal,
            message: format!(
                "stopped {at} ({}); {rolled_back}the state file {} records every finished step; continue with: {}",
                signal.name(),
                state_file.display(),
                resume_command()
            ),
        });
    }
    if e.is_refusal() {
        Err(CliError::Usage(e.into()))
    } else {
        Err(CliError::Runtime(e.into()))
    }
}

/// The command as it was run, with `--resume` (URLs with their password hidden).
fn resume_command() -> String {
    let mut words: Vec<String> = std::env::args()
        .map(|a| if a.contains("://") || a.contains(":/") { crate::target::url::redact(&a) } else { a })
        .map(|a| if a.contains(' ') || a.contains('&') || a.contains('?') { format!("'{a}'") } else { a })
        .collect();
    if let Some(first) = words.first_mut() {
        *first = "cutover".into();
    }
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".into());
    }
    let hidden = words.iter().any(|w| w.contains(":***@"));
    words.join(" ") + if hidden { " (with the password in place of ***)" } else { "" }
}

fn write_report(path: &std::path::Path, report: &crate::report::MigrationReport) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(report).map_err(|e| CliError::Runtime(e.into()))?;
    crate::output::write_private(path, &(text + "\n"))
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("{}: {e}", path.display())))
}
