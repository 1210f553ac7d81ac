//! `cutover verify`: prove that the target holds exactly what the source snapshot holds.

use std::path::PathBuf;

use clap::Args;

use super::output::{json, write_stdout};
use super::{resolve_source, CliError, Outcome, OutputOpts, SourceOpts};
use crate::copy::progress::ProgressMode;
use crate::copy::SchemaMode;
use crate::verify::{self, VerifyLevel, VerifyOptions, VerifyReport};

/// Compare the source with the target, table by table: row counts, then an
/// order-independent checksum of every row's content computed on both sides over the
/// same canonical values (what the conversion rules write, and what the target holds:
/// timestamps as UTC instants, decimals by value, JSON as data). On a difference it
/// narrows down to the rows: missing in the target, extra in the target, or different,
/// with the columns and both values. Then, in the target: orphan rows of every foreign
/// key, identity / AUTO_INCREMENT counters above the largest key, and whether the source
/// changed since the migration's snapshot (from the state file).
///
/// Exit 0 when everything matches, 1 on any difference, 2 on a usage error, 130 / 143 when
/// Ctrl-C / SIGTERM stopped it (it changes nothing: run it again), 3 when it
/// could not run. Tables without a primary key are compared as multisets of rows.
///
/// Example: `cutover verify client.sqlite --to postgres://app@db:5432/client --report verify.json`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: SourceOpts,
    /// Target URL: postgres://user@host:5432/db, mariadb://user@host:3306/db (or mysql://) or sqlite://file.sqlite.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    #[command(flatten)]
    pub system: super::SystemDatabaseOpts,
    /// PostgreSQL schema of the tables (default: public).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// `count`: row counts only; `checksum`: counts and the content of every row.
    #[arg(long, value_enum, default_value = "checksum")]
    pub level: VerifyLevel,
    /// How the migration typed the columns: `create` (cutover's DDL) or `existing` (the
    /// target's own columns, matched by name). Default: what the state file records, else create.
    #[arg(long = "schema", value_enum)]
    pub schema_mode: Option<SchemaMode>,
    /// Rows listed per table when the content differs.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_diffs: usize,
    /// Target connections reading tables at once (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// The migration's state file: its snapshot fingerprint says whether the source changed since,
    /// and its reject counts are used at --level count. Ignored when the file does not exist.
    /// Default: .cutover/<target>/state.json, where `migrate` writes it.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Only these tables (glob patterns, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub tables: Vec<String>,
    /// Leave these tables out (glob patterns).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Progress on stderr: bars on a terminal, plain lines, JSON lines, or none. Plain
    /// lines say each phase and each finished tier, and the rows done every 5 s.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    /// Progress: also a line for every table (started, done, its rows every 5 s).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Write the report as JSON to this file (schema/verify.schema.json). Default: where
    /// `cutover gate` reads it, the hardening profile's `gate.verify_report` when the config
    /// names a profile, else .cutover/<target>/verify.json.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputOpts,
}

pub fn run(args: VerifyArgs) -> Result<Outcome, CliError> {
    let resolved = resolve_source(&args.source)?;
    let target = super::target_url(args.to.as_ref(), &resolved.config, args.system)?;
    let schema = args.target_schema.clone().or_else(|| resolved.config.target_schema.clone());
    let files = crate::workspace::TargetFiles::in_schema(&target, schema.as_deref());
    let jobs = super::jobs(args.jobs);
    let opts = VerifyOptions {
        source: resolved.source.clone(),
        target,
        config: &resolved.config,
        target_schema: args.target_schema.clone().or_else(|| resolved.config.target_schema.clone()),
        schema_mode: args.schema_mode,
        level: args.level,
        max_diffs: args.max_diffs,
        jobs,
        include: args.tables.clone(),
        exclude: args.exclude.clone(),
        state_file: Some(args.state.clone().unwrap_or_else(|| files.state())),
        progress: args.progress.with_verbose(args.verbose),
    };
    crate::interrupt::install(crate::interrupt::Mode::Exit(
        "verify changes nothing in the source or the target and wrote no report; run it again",
    ));
    let report = run_verify(&opts, jobs)?;
    let default = super::default_verify_report(&resolved.config, &files);
    let path = super::file_or_default(args.report.as_ref(), || default.clone(), &files)?;
    write_report(&path, &report)?;
    if args.output.json {
        json(&report)?;
    } else {
        let gate = if path == default {
            "the gate reads it there".to_string()
        } else {
            format!("the gate reads {} unless given --verify-report {}", default.display(), path.display())
        };
        write_stdout(&format!("{}report: {} ({gate})\n", report.render(), path.display()))?;
    }
    Ok(if report.ok { Outcome::Success } else { Outcome::ChecksFailed })
}

/// Run a verification on its own runtime (also used by `migrate --verify`).
pub fn run_verify(opts: &VerifyOptions<'_>, jobs: usize) -> Result<VerifyReport, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(jobs.clamp(2, 8))
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    runtime.block_on(verify::verify(opts)).map_err(|e| {
        if let Some(signal) = crate::interrupt::requested() {
            return CliError::Interrupted {
                signal,
                message: format!(
                    "verify stopped ({}); it changes nothing and wrote no report: run it again",
                    signal.name()
                ),
            };
        }
        if e.is_refusal() {
            CliError::Usage(e.into())
        } else {
            CliError::Runtime(e.into())
        }
    })
}

pub fn write_report(path: &std::path::Path, report: &VerifyReport) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(report).map_err(|e| CliError::Runtime(e.into()))?;
    crate::output::write_private(path, &(text + "\n"))
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("{}: {e}", path.display())))
}
