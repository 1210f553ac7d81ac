//! Copying the data: the heart of `cutover migrate`.
//!
//! One reader thread holds the source's read transaction (one consistent snapshot for
//! the whole run) and steps the tables of a tier round-robin, converting every value by
//! the plan's rules; each table's rows flow through a bounded channel to its own writer
//! on its own target connection, so memory stays flat and tables of a tier load in
//! parallel (`--jobs`). A table is committed only when the reader has read all of it
//! and the target's count equals what was sent; otherwise it is rolled back and stays
//! `pending` in the state file for `--resume`.

mod checks;
mod overlap;
mod post_load;
pub mod progress;
mod queue;
mod reader;
mod reject;
mod restart;
mod resume;
pub mod state;
mod tables;
mod writer;

use std::path::PathBuf;
use std::time::Instant;

use crate::config::Config;
use crate::job::JobError;
use crate::plan::{self, Plan, PlanOptions};
use crate::report::{MigrationReport, Reject};
use crate::schema::SourceSchema;
use crate::source::{Source, SourceError};
use crate::target::conn::{TargetConn, TargetError};
use crate::target::url::TargetUrl;
use progress::{Progress, ProgressMode};
use reject::RejectSink;
use state::StateError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaMode {
    /// cutover writes the target DDL from the SQLite schema.
    Create,
    /// The application's migrations built the target; match columns by name.
    Existing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnError {
    /// Stop at the first value that does not convert.
    Strict,
    /// Write bad rows to the reject file and load the rest.
    Reject,
}

#[derive(Clone)]
pub struct MigrateOptions<'a> {
    pub source: PathBuf,
    pub target: TargetUrl,
    pub config: &'a Config,
    pub target_schema: Option<String>,
    pub schema_mode: SchemaMode,
    pub jobs: usize,
    pub truncate: bool,
    pub on_error: OnError,
    pub reject_file: Option<PathBuf>,
    pub state_file: PathBuf,
    pub resume: bool,
    /// Start over: drop the tables the recorded run created (create mode), or empty the
    /// selected tables again (existing mode, with `truncate` on), then run from the beginning.
    pub restart: bool,
    pub dry_run: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub ignore_missing_columns: bool,
    pub progress: ProgressMode,
}

/// The first value that did not convert, in strict mode.
#[derive(Debug, Clone)]
pub struct RowFailure(pub Box<Reject>);

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// The run was refused before anything was written (safety, configuration).
    #[error("{0}")]
    Refused(String),
    #[error("table {table}, row {key}, column {column}: {reason}\nnothing of table {table} was committed; fix the value, override the column type in cutover.toml, or run with --on-error reject --reject-file rejects.jsonl; then run again with --resume")]
    Conversion { table: String, key: String, column: String, reason: String, report: Box<MigrationReport> },
    #[error("{message}\nthe state file records what was done; run again with --resume")]
    Load { message: String, report: Box<MigrationReport> },
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    /// `--views strict` / `--checks strict` and something cannot be translated (exit 3).
    #[error("{0}")]
    Untranslatable(String),
    /// SIGINT / SIGTERM: the run stopped at a step boundary with everything recorded.
    #[error("interrupted ({}) {at}; {}; continue with the same command and --resume", signal.name(), if at.contains("copying") { "the table in flight was rolled back, finished tables are recorded in the state file" } else { "every finished step is recorded in the state file" })]
    Interrupted { signal: crate::interrupt::Interrupted, at: String, report: Box<MigrationReport> },
}

impl MigrateError {
    /// Refusals are usage or configuration errors (exit 2); the rest are runtime failures (exit 3).
    pub fn is_refusal(&self) -> bool {
        matches!(self, MigrateError::Refused(_) | MigrateError::Plan(_))
    }
}

impl MigrateError {
    /// The error with the run's report (taken before the post-load work ended).
    fn with_report(mut self, latest: &MigrationReport) -> MigrateError {
        if let MigrateError::Conversion { report, .. }
        | MigrateError::Load { report, .. }
        | MigrateError::Interrupted { report, .. } = &mut self
        {
            **report = latest.clone();
        }
        self
    }
}

impl From<JobError> for MigrateError {
    fn from(e: JobError) -> Self {
        MigrateError::Refused(e.0)
    }
}

/// Run a migration: plan, lint first, prepare the state, create or match the tables,
/// copy the data, then the post-load phase; the report accounts for every row.
pub async fn migrate(opts: &MigrateOptions<'_>) -> Result<MigrationReport, MigrateError> {
    let started = Instant::now();
    let progress = Progress::new(opts.progress);
    let mut source = Source::open(&opts.source)?;
    // The checks before the load look rows up by key all over the file.
    source.map_pages()?;
    let schema = source.snapshot()?;
    let plan = plan_migration(opts, &schema)?;
    if opts.on_error == OnError::Reject && opts.reject_file.is_none() && !opts.dry_run {
        // Before anything is created or recorded.
        return Err(MigrateError::Refused(
            "--on-error reject needs --reject-file FILE to write the bad rows to".into(),
        ));
    }
    let lint_findings = checks::lint_first(opts, &source, &schema, &plan)?;
    let mut report = new_report(opts, &schema, &plan, lint_findings);
    let resume::Prepared { mut state, earlier } = resume::prepare_state(opts, &schema, &mut report)?;
    let mut conns = connect(opts).await?;
    resume::check_earlier_run(opts, &plan, &mut conns, earlier.as_ref(), &mut report).await?;
    report.server_version = conns.first().map(|c| c.version().to_string()).unwrap_or_default();
    report.connection_encrypted = conns.first().and_then(TargetConn::encrypted);
    state.connection_encrypted = report.connection_encrypted;
    let load_started = Instant::now();
    let jobs =
        tables::prepare(opts, &plan, &source, &schema, &mut conns, &mut state, &progress, &mut report.findings).await?;
    // Opened once the checks passed: a refused run leaves no reject file behind.
    let done: Vec<&str> = state
        .tables
        .iter()
        .filter(|(_, t)| t.status == state::TableStatus::Done)
        .map(|(name, _)| name.as_str())
        .collect();
    let mut rejects = RejectSink::open(opts, &done)?;
    rejects.orphans = std::sync::Arc::new(orphans_to_set_aside(opts, &source, &plan, &jobs, &progress)?);
    let fk_checks_off = tables::foreign_key_checks_off(opts, &plan, &mut conns).await?;
    let shared: overlap::SharedState = std::sync::Arc::new(std::sync::Mutex::new(state));
    // Create mode on a server: the work after the data starts on connections of its own
    // as each table commits, while the others still load.
    let create = opts.schema_mode == SchemaMode::Create && !opts.dry_run;
    let overlapped = if create && !opts.target.dialect.engine().single_writer() {
        let mut post_conns = Vec::new();
        for _ in 0..opts.jobs.max(1) {
            post_conns.push(TargetConn::connect(&opts.target).await?);
        }
        Some(overlap::start(&plan, shared.clone(), post_conns, post_load_options(opts, &report)))
    } else {
        None
    };
    let copied = queue::copy_tables(
        opts,
        &mut source,
        &mut conns,
        &plan,
        &jobs,
        &shared,
        overlapped.as_ref().map(|(tx, _)| tx),
        &mut rejects,
        &progress,
        &mut report,
    )
    .await;
    if let Err(e) = copied {
        report.seconds = started.elapsed().as_secs_f64();
        if let Some((tx, handle)) = overlapped {
            // The statements under way finish; nothing more starts.
            // Only the reader's own stop gives way: any other load error stays the run's.
            let stopped_by_post_load = tx.failed() && e.is_post_load_stop();
            drop(tx);
            if let Ok(outcome) = handle.await {
                report.warnings.extend(outcome.warnings);
                // The load stopped because a statement after the data failed: that is
                // the run's error (an interrupt still says it was interrupted).
                if let (true, Some(post), None) = (stopped_by_post_load, outcome.error, crate::interrupt::requested()) {
                    source.release()?;
                    return Err(post.with_report(&report));
                }
            }
        }
        source.release()?;
        return Err(e.into_error(report));
    }
    source.release()?;
    rejects.finish()?;
    report.load_seconds = load_started.elapsed().as_secs_f64();
    let post_started = Instant::now();
    let post = match overlapped {
        Some((tx, handle)) => {
            tx.send(None);
            drop(tx);
            progress.phase(post_load::PHASE);
            finish_overlapped(handle, &mut report).await
        }
        None if create => {
            // One writer (the SQLite target): the same work, after the load, on its connection.
            progress.phase(post_load::PHASE);
            let (tx, handle) =
                overlap::start(&plan, shared.clone(), std::mem::take(&mut conns), post_load_options(opts, &report));
            for j in &jobs {
                tx.send(Some(j.target_name.clone()));
            }
            tx.send(None);
            drop(tx);
            finish_overlapped(handle, &mut report).await
        }
        None => post_load::run(opts, &plan, &schema, &mut conns, &jobs, fk_checks_off, &mut report, &progress).await,
    };
    let post = post.and_then(|()| finish_state(opts, &shared));
    report.post_load_seconds = post_started.elapsed().as_secs_f64();
    report.seconds = started.elapsed().as_secs_f64();
    post.map_err(|e| e.with_report(&report))?;
    Ok(finish_report(report, rejects, started))
}

/// What the post-load work needs to know of the run.
fn post_load_options(opts: &MigrateOptions<'_>, report: &MigrationReport) -> overlap::Options {
    overlap::Options {
        state_file: opts.state_file.clone(),
        resume: opts.resume,
        // Lint's orphan check ran on this run's snapshot before anything was committed and
        // found none; in strict mode no row is set aside, so the target holds the same keys
        // (a resume's earlier runs loaded part of it: checked again).
        orphans_proven: !opts.resume
            && opts.on_error == OnError::Strict
            && !report.findings.iter().any(|f| f.code == "fk_orphans"),
    }
}

/// Wait for the post-load work: its warnings go to the report, its first error is the run's.
async fn finish_overlapped(
    handle: tokio::task::JoinHandle<overlap::Outcome>,
    report: &mut MigrationReport,
) -> Result<(), MigrateError> {
    let outcome = handle.await.map_err(|e| MigrateError::Load {
        message: format!("the post-load work failed: {e}"),
        report: Box::new(report.clone()),
    })?;
    report.warnings.extend(outcome.warnings);
    match outcome.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Everything after the data ran: the state file says the run is finished.
fn finish_state(opts: &MigrateOptions<'_>, shared: &overlap::SharedState) -> Result<(), MigrateError> {
    if opts.dry_run {
        return Ok(());
    }
    let mut state = overlap::lock(shared)?;
    state.finished = true;
    Ok(state.save(&opts.state_file)?)
}

/// Whether the finished migration that `state` records is still in the target (`golive`
/// skips a finished migration): refused, with the fix, when its tables are gone or empty
/// (the database was dropped and created again).
pub async fn check_finished_migration(opts: &MigrateOptions<'_>, state: &state::State) -> Result<(), MigrateError> {
    let mut conn = TargetConn::connect(&opts.target).await?;
    let resumed = MigrateOptions { resume: true, restart: false, ..opts.clone() };
    let engine = opts.target.dialect.engine();
    let schema = engine.default_schema().map(|d| opts.target_schema.clone().unwrap_or_else(|| d.to_string()));
    resume::check_finished_run(&resumed, schema.as_deref(), &mut conn, state, &mut Vec::new()).await
}

/// Reject mode (create mode): the child rows whose parent row is missing in the source or
/// set aside, which the foreign keys added after the data would refuse.
fn orphans_to_set_aside(
    opts: &MigrateOptions<'_>,
    source: &Source,
    plan: &Plan,
    jobs: &[crate::job::TableJob],
    progress: &Progress,
) -> Result<crate::job::orphans::FkRejects, MigrateError> {
    let keys = plan.tables.iter().any(|t| !t.foreign_keys.is_empty());
    if opts.on_error != OnError::Reject || opts.schema_mode != SchemaMode::Create || !keys {
        return Ok(Default::default());
    }
    progress.phase("finding rows whose parent row is missing or rejected (--on-error reject)");
    crate::job::orphans::find(source.connection(), plan, jobs)
        .map_err(|reason| MigrateError::Io { path: opts.source.clone(), reason })
}

/// The plan of this run (the tables selected), refused when it has errors.
fn plan_migration(opts: &MigrateOptions<'_>, schema: &SourceSchema) -> Result<Plan, MigrateError> {
    let excluded = crate::job::select_tables(schema, &opts.include, &opts.exclude)?;
    let plan = plan::build(
        schema,
        &PlanOptions {
            dialect: opts.target.dialect,
            target_schema: opts.target_schema.clone(),
            config: opts.config,
            excluded,
        },
    )?;
    let untranslated: Vec<String> = plan
        .findings
        .iter()
        .filter(|f| f.level == plan::Level::Error && f.code.ends_with("_not_translated"))
        .map(|f| format!("{}: {}", f.object, f.message))
        .collect();
    if !untranslated.is_empty() {
        return Err(MigrateError::Untranslatable(format!(
            "nothing was written: cannot translate, and --views/--checks strict was asked for:\n  {}\nfix or drop them in the source, or run with best-effort",
            untranslated.join("\n  ")
        )));
    }
    if plan.has_errors() {
        let errors: Vec<String> = plan
            .findings
            .iter()
            .filter(|f| f.level == plan::Level::Error)
            .map(|f| format!("{}: {}", f.object, f.message))
            .collect();
        return Err(MigrateError::Refused(format!(
            "the plan has errors; run `cutover plan` to see them:\n  {}",
            errors.join("\n  ")
        )));
    }
    Ok(plan)
}

/// The report's head: source, snapshot, target, findings of the plan and of lint.
fn new_report(
    opts: &MigrateOptions<'_>,
    schema: &SourceSchema,
    plan: &Plan,
    lint_findings: Vec<plan::Finding>,
) -> MigrationReport {
    let mut report = MigrationReport {
        source: opts.source.display().to_string(),
        source_fingerprint: schema.fingerprint.clone(),
        target: opts.target.to_string(),
        schema_mode: format!("{:?}", opts.schema_mode).to_lowercase(),
        dry_run: opts.dry_run,
        started_at: state::now(),
        findings: plan.findings.iter().cloned().chain(lint_findings).collect(),
        ..Default::default()
    };
    // Logic that does not move (a view or check left out) is said where the run is read.
    let create = opts.schema_mode == SchemaMode::Create;
    for f in report.findings.iter().filter(|f| {
        create && f.level == plan::Level::Warning && (f.code.ends_with("_not_translated") || f.code == "view_left_out")
    }) {
        report.warnings.push(format!("{} {}: {}", f.code.replace('_', " "), f.object, f.message));
    }
    if opts.dry_run {
        // A dry run shows what the real run would refuse: the plan's errors, and lint's
        // in strict mode (reject mode goes ahead, setting orphan rows aside).
        let refused = |f: &&plan::Finding| {
            f.level == plan::Level::Error
                && (opts.on_error == OnError::Strict || plan.findings.iter().any(|p| p.code == f.code))
        };
        for f in report.findings.iter().filter(refused) {
            report.warnings.push(format!("{}: {} (the real run refuses to start)", f.object, f.message));
        }
    }
    report
}

/// One connection per table loaded at once (one for an engine with a single writer, and
/// for a dry run); none for a dry run into a new SQLite file.
async fn connect(opts: &MigrateOptions<'_>) -> Result<Vec<TargetConn>, MigrateError> {
    let engine = opts.target.dialect.engine();
    let n = if engine.single_writer() || opts.dry_run { 1 } else { opts.jobs.max(1) };
    let mut conns = Vec::new();
    if !(opts.dry_run && engine.single_writer()) {
        for _ in 0..n {
            conns.push(TargetConn::connect(&opts.target).await?);
        }
    }
    Ok(conns)
}

/// The rejects, the tables in tier order, and whether every table was counted.
fn finish_report(mut report: MigrationReport, rejects: RejectSink, started: Instant) -> MigrationReport {
    report.rejects_total = rejects.total;
    report.rejects_fk_orphans = rejects.orphans_written;
    report.rejects = rejects.listed;
    report.tables.sort_by(|a, b| (a.tier, &a.table).cmp(&(b.tier, &b.table)));
    report.complete = report.tables.iter().all(|t| t.count_checked);
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// Stop with everything recorded when SIGINT / SIGTERM arrived (the state file is saved
/// after every step, so nothing more needs writing here).
pub(crate) fn stop_if_interrupted(at: &str, report: &MigrationReport) -> Result<(), MigrateError> {
    match crate::interrupt::requested() {
        Some(signal) => Err(MigrateError::Interrupted { signal, at: at.to_string(), report: Box::new(report.clone()) }),
        None => Ok(()),
    }
}
