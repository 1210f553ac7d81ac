//! Copying the data: the heart of `cutover migrate`.
//!
//! One reader thread holds the source's read transaction (one consistent snapshot for
//! the whole run) and steps the tables of a tier round-robin, converting every value by
//! the plan's rules; each table's rows flow through a bounded channel to its own writer
//! on its own target connection, so memory stays flat and tables of a tier load in
//! parallel (`--jobs`). A table is committed only when the reader has read all of it
//! and the target's count equals what was sent; otherwise it is rolled back and stays
//! `pending` in the state file for `--resume`.

pub mod progress;
pub mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::convert::{convert, ConvertContext};
use crate::plan::{self, Phase, Plan, PlanOptions, TablePlan};
use crate::report::{MigrationReport, Reject, TableReport};
use crate::schema::{SourceSchema, Table};
use crate::source::{quote_sqlite, Source, SourceError};
use crate::target::conn::{CatalogColumn, TargetConn, TargetError};
use crate::target::url::TargetUrl;
use crate::target::Dialect;
use crate::types::{ColumnType, EpochUnit, IntWidth};
use crate::value::{SourceValue, Value};
use progress::{Progress, ProgressMode};
use state::{State, StateError, TableState, TableStatus};

const BATCH_ROWS: usize = 2048;
const CHANNEL_BATCHES: usize = 4;
const MAX_LISTED_REJECTS: usize = 1000;

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
    /// SIGINT / SIGTERM: the run stopped at a step boundary with everything recorded.
    #[error("interrupted ({}) {at}; the table in flight was rolled back, finished tables are recorded in the state file; continue with the same command and --resume", signal.name())]
    Interrupted { signal: crate::interrupt::Interrupted, at: String, report: Box<MigrationReport> },
}

impl MigrateError {
    /// Refusals are usage or configuration errors (exit 2); the rest are runtime failures (exit 3).
    pub fn is_refusal(&self) -> bool {
        matches!(self, MigrateError::Refused(_) | MigrateError::Plan(_))
    }
}

/// How one table is read and written.
#[derive(Clone)]
pub(crate) struct TableJob {
    pub(crate) source_name: String,
    pub(crate) target_name: String,
    pub(crate) tier: usize,
    pub(crate) rows_source: u64,
    /// SELECT of the source columns, in target column order (key columns first when rowid is needed).
    pub(crate) select: String,
    /// Target column names, parallel to `types`.
    pub(crate) columns: Vec<String>,
    pub(crate) source_columns: Vec<String>,
    pub(crate) types: Vec<(ColumnType, ConvertContext)>,
    pub(crate) not_null: Vec<bool>,
    /// How to name a row in messages: the columns (by index into the select) and their names.
    pub(crate) key: KeySpec,
    /// Empty the table inside the load transaction first.
    pub(crate) truncate: bool,
    /// Columns before the data in each row read (1 when the rowid comes first).
    pub(crate) offset: usize,
    /// Fractional-second digits each column keeps (existing MariaDB DATETIME(0..5) / TIME(0..5)
    /// columns keep fewer than 6; a value with more is rejected, never cut).
    pub(crate) fraction_digits: Vec<u32>,
}

#[derive(Clone)]
pub(crate) enum KeySpec {
    /// The SELECT's first column is the rowid.
    Rowid,
    /// Primary key columns: (index in the row, name).
    Columns(Vec<(usize, String)>),
}

struct ReadStats {
    read: u64,
    rejected: u64,
    seconds: f64,
}

/// Run a migration.
pub async fn migrate(opts: &MigrateOptions<'_>) -> Result<MigrationReport, MigrateError> {
    let started = Instant::now();
    let progress = Progress::new(opts.progress);
    let mut source = Source::open(&opts.source)?;
    let schema = source.snapshot()?;
    let excluded = select_tables(&schema, &opts.include, &opts.exclude)?;
    let plan = plan::build(
        &schema,
        &PlanOptions {
            dialect: opts.target.dialect,
            target_schema: opts.target_schema.clone(),
            config: opts.config,
            excluded,
        },
    )?;
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
    let lint_findings = lint_first(opts, &source, &schema, &plan)?;
    let target_schema = plan.target_schema.clone();
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
    if opts.dry_run {
        // A dry run shows what the real run would refuse.
        for f in report.findings.iter().filter(|f| f.level == plan::Level::Error) {
            report.warnings.push(format!("{}: {} (the real run refuses to start)", f.object, f.message));
        }
    }
    let mut state = prepare_state(opts, &schema, &report)?;
    let mut rejects = RejectSink::open(opts)?;

    let jobs_n = if opts.target.dialect == Dialect::Sqlite || opts.dry_run { 1 } else { opts.jobs.max(1) };
    let mut conns = Vec::new();
    if !(opts.dry_run && opts.target.dialect == Dialect::Sqlite) {
        for _ in 0..jobs_n {
            conns.push(TargetConn::connect(&opts.target).await?);
        }
    }
    let schema_ref = target_schema.as_deref();
    report.server_version = conns.first().map(|c| c.version().to_string()).unwrap_or_default();
    let load_started = Instant::now();

    // Tables: create them (create mode) or read and match the catalog (existing mode).
    let mut table_jobs = match opts.schema_mode {
        SchemaMode::Create => create_tables(opts, &plan, &schema, &mut conns, &mut state, &progress).await?,
        SchemaMode::Existing => existing_tables(opts, &plan, &schema, &mut conns, &state, &progress).await?,
    };
    table_jobs.sort_by(|a, b| (a.tier, &a.source_name).cmp(&(b.tier, &b.source_name)));

    // Existing mode on MariaDB enforces the target's foreign keys while loading, tier by
    // tier; a cycle or a table that references itself cannot load that way (MariaDB has
    // no deferrable keys), so only then are checks off for the load
    // sessions, and cutover checks every foreign key of the loaded tables afterwards.
    let fk_checks_off = opts.schema_mode == SchemaMode::Existing
        && opts.target.dialect == Dialect::MariaDb
        && (!plan.cycles.is_empty()
            || plan.tables.iter().any(|tp| tp.foreign_keys.iter().any(|fk| fk.parent_table == tp.target_name)))
        && !opts.dry_run;
    if fk_checks_off {
        for c in conns.iter_mut() {
            c.execute("SET SESSION foreign_key_checks = 0").await?;
        }
    }
    progress.phase("copying data");
    // Create mode adds foreign keys after the data, so every table may load at once,
    // longest first; existing mode loads tier by tier because the target enforces its keys.
    let groups: Vec<Vec<&TableJob>> = match opts.schema_mode {
        SchemaMode::Create => {
            let mut all: Vec<&TableJob> = table_jobs.iter().collect();
            all.sort_by(|a, b| b.rows_source.cmp(&a.rows_source).then(a.source_name.cmp(&b.source_name)));
            vec![all]
        }
        SchemaMode::Existing => {
            let tiers: BTreeSet<usize> = table_jobs.iter().map(|j| j.tier).collect();
            tiers.into_iter().map(|t| table_jobs.iter().filter(|j| j.tier == t).collect()).collect()
        }
    };
    for group in groups {
        stop_if_interrupted("between tables", &report)?;
        let mut to_run = Vec::new();
        for job in group {
            if let Some(done) = resumable(opts, &mut conns, schema_ref, &state, job).await? {
                report.tables.push(done);
                continue;
            }
            to_run.push(job.clone());
        }
        if to_run.is_empty() {
            continue;
        }
        let outcome =
            copy_queue(opts, &mut source, &mut conns, schema_ref, &to_run, &mut state, &mut rejects, &progress).await;
        for (job, result) in to_run.iter().zip(outcome.results) {
            let entry = state.tables.entry(job.source_name.clone()).or_insert_with(|| TableState {
                status: TableStatus::Pending,
                rows_read: 0,
                rows_written: 0,
                rows_rejected: 0,
                created_by_cutover: false,
            });
            let tr = TableReport {
                table: job.source_name.clone(),
                target_table: job.target_name.clone(),
                tier: job.tier,
                rows_source: job.rows_source,
                rows_read: result.read,
                rows_written: result.written,
                rows_rejected: result.rejected,
                seconds: result.seconds,
                status: result.status.clone(),
                count_checked: result.count_checked,
            };
            if result.count_checked && !opts.dry_run {
                entry.status = TableStatus::Done;
                entry.rows_read = result.read;
                entry.rows_written = result.written;
                entry.rows_rejected = result.rejected;
            }
            report.tables.push(tr);
        }
        if !opts.dry_run {
            state.save(&opts.state_file)?;
        }
        report.rejects_total = rejects.total;
        report.rejects = rejects.listed.clone();
        if let Some(failure) = outcome.failure {
            report.seconds = started.elapsed().as_secs_f64();
            source.release()?;
            if let Some(signal) = crate::interrupt::requested() {
                return Err(MigrateError::Interrupted {
                    signal,
                    at: "while copying the data".into(),
                    report: Box::new(report),
                });
            }
            return Err(match failure {
                ChunkFailure::Conversion(r) => MigrateError::Conversion {
                    table: r.0.table.clone(),
                    key: r.0.key.clone(),
                    column: r.0.column.clone(),
                    reason: r.0.reason.clone(),
                    report: Box::new(report),
                },
                ChunkFailure::Other(message) => MigrateError::Load { message, report: Box::new(report) },
            });
        }
    }
    source.release()?;
    rejects.finish()?;

    report.load_seconds = load_started.elapsed().as_secs_f64();
    let post_started = Instant::now();
    if !opts.dry_run {
        stop_if_interrupted("after the data, before indexes and foreign keys", &report)?;
        progress.phase("after the data: indexes, foreign keys, identity resets, views");
        match opts.schema_mode {
            SchemaMode::Create => post_load(opts, &plan, &mut conns, &mut state, &mut report).await?,
            SchemaMode::Existing => {
                if fk_checks_off {
                    check_catalog_fks(&mut conns, &table_jobs).await?;
                }
                reset_sequences(&mut conns, schema_ref, &table_jobs, &schema).await?
            }
        }
        state.finished = true;
        state.save(&opts.state_file)?;
    }
    report.post_load_seconds = post_started.elapsed().as_secs_f64();
    report.rejects_total = rejects.total;
    report.rejects = rejects.listed;
    report.tables.sort_by(|a, b| (a.tier, &a.table).cmp(&(b.tier, &b.table)));
    report.complete = report.tables.iter().all(|t| t.count_checked);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Stop with everything recorded when SIGINT / SIGTERM arrived (the state file is saved
/// after every step, so nothing more needs writing here).
fn stop_if_interrupted(at: &str, report: &MigrationReport) -> Result<(), MigrateError> {
    match crate::interrupt::requested() {
        Some(signal) => Err(MigrateError::Interrupted { signal, at: at.to_string(), report: Box::new(report.clone()) }),
        None => Ok(()),
    }
}

/// Lint's cheap checks (source FK orphans, unique keys colliding under the target's
/// collation) before anything is written: an error stops the run unless `--on-error
/// reject` (or a dry run, which reports them). Returned as report findings.
fn lint_first(
    opts: &MigrateOptions<'_>,
    source: &Source,
    schema: &SourceSchema,
    plan: &Plan,
) -> Result<Vec<plan::Finding>, MigrateError> {
    let found = crate::lint::cheap_checks(source, schema, plan, 3).map_err(|e| MigrateError::Refused(e.to_string()))?;
    let errors: Vec<String> = found
        .iter()
        .filter(|f| f.level == plan::Level::Error)
        .map(|f| {
            let at = f.samples.iter().map(|s| s.key.as_str()).collect::<Vec<_>>().join("; ");
            format!(
                "{}.{}: {} (e.g. {at})",
                f.table.as_deref().unwrap_or("?"),
                f.column.as_deref().unwrap_or("?"),
                f.message
            )
        })
        .collect();
    if !errors.is_empty() && opts.on_error == OnError::Strict && !opts.dry_run {
        return Err(MigrateError::Refused(format!(
            "the source has rows that the target's keys would refuse; nothing was written:\n  {}\nrun `cutover lint` for every row; fix them in the source and run again. (--on-error reject goes ahead anyway, but it sets aside only values that do not convert: the target will still refuse the key after the data is loaded)",
            errors.join("\n  ")
        )));
    }
    Ok(found
        .into_iter()
        .map(|f| {
            let object = match (&f.table, &f.column) {
                (Some(t), Some(c)) => format!("{t}.{c}"),
                (Some(t), None) => t.clone(),
                _ => String::new(),
            };
            plan::Finding::new(f.level, &f.code, object, f.message)
        })
        .collect())
}

/// Tables left out by `--tables` / `--exclude` globs.
pub(crate) fn select_tables(
    schema: &SourceSchema,
    include: &[String],
    exclude: &[String],
) -> Result<BTreeSet<String>, MigrateError> {
    for pattern in include.iter().chain(exclude) {
        if !schema.tables.iter().any(|t| glob(pattern, &t.name)) {
            return Err(MigrateError::Refused(format!(
                "--tables/--exclude pattern {pattern:?} matches no table of the source; `cutover inspect` lists them"
            )));
        }
    }
    Ok(schema
        .tables
        .iter()
        .filter(|t| {
            (!include.is_empty() && !include.iter().any(|p| glob(p, &t.name)))
                || exclude.iter().any(|p| glob(p, &t.name))
        })
        .map(|t| t.name.clone())
        .collect())
}

/// `*` and `?` globs, case-sensitive, as table names are.
pub fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

fn prepare_state(
    opts: &MigrateOptions,
    schema: &SourceSchema,
    report: &MigrationReport,
) -> Result<State, MigrateError> {
    let fresh = || State {
        version: state::VERSION,
        source: report.source.clone(),
        source_fingerprint: schema.fingerprint.clone(),
        target: report.target.clone(),
        schema_mode: report.schema_mode.clone(),
        started_at: state::now(),
        updated_at: state::now(),
        post_load_next: 0,
        finished: false,
        tables: BTreeMap::new(),
    };
    if opts.dry_run {
        return Ok(fresh());
    }
    let exists = opts.state_file.exists();
    if opts.resume {
        if !exists {
            return Err(MigrateError::Refused(format!(
                "--resume: no state file {}; run without --resume to start a migration",
                opts.state_file.display()
            )));
        }
        let st = State::load(&opts.state_file)?;
        if st.source_fingerprint != schema.fingerprint {
            return Err(MigrateError::Refused(format!(
                "--resume: the source changed since the run recorded in {} (fingerprint {} then, {} now); start again without --resume into an empty target",
                opts.state_file.display(),
                st.source_fingerprint,
                schema.fingerprint
            )));
        }
        if st.target != report.target {
            return Err(MigrateError::Refused(format!(
                "--resume: {} records a run into {}, not {}",
                opts.state_file.display(),
                st.target,
                report.target
            )));
        }
        return Ok(st);
    }
    if exists {
        let st = State::load(&opts.state_file)?;
        if !st.finished {
            return Err(MigrateError::Refused(format!(
                "{} records an unfinished run into {}; continue it with --resume, or delete the file to start over",
                opts.state_file.display(),
                st.target
            )));
        }
    }
    // Written once the run has passed its checks and starts to change the target.
    Ok(fresh())
}

/// Create mode: check that no planned table exists (unless this run created it), create the rest.
async fn create_tables(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    state: &mut State,
    progress: &Progress,
) -> Result<Vec<TableJob>, MigrateError> {
    progress.phase("creating tables");
    let schema_ref = plan.target_schema.as_deref();
    let mut existing = Vec::new();
    if let Some(conn) = conns.first_mut() {
        for tp in &plan.tables {
            let ours = state.tables.get(&tp.source_name).is_some_and(|t| t.created_by_cutover);
            if conn.table_exists(schema_ref, &tp.target_name).await? && !ours {
                existing.push(tp.target_name.clone());
            }
        }
    }
    if !existing.is_empty() {
        return Err(MigrateError::Refused(format!(
            "the target already has table(s) {}; cutover never drops or fills tables it did not create: drop them, migrate into an empty database or schema (--target-schema), or use --schema existing",
            existing.join(", ")
        )));
    }
    for st in plan.statements.iter().filter(|s| s.phase == Phase::Tables) {
        let Some(conn) = conns.first_mut() else { break };
        let is_table = plan.tables.iter().find(|t| t.target_name == st.object);
        if let Some(tp) = is_table {
            let recorded = state.tables.get(&tp.source_name).filter(|t| t.created_by_cutover);
            if recorded.is_some() && conn.table_exists(schema_ref, &tp.target_name).await? {
                if recorded.is_some_and(|t| t.status == TableStatus::Done) {
                    continue;
                }
                // Unfinished and ours: re-create it, so a type changed in cutover.toml since takes effect.
                if !opts.dry_run {
                    conn.execute(&format!("DROP TABLE {}", conn.table_ref(schema_ref, &tp.target_name))).await?;
                }
            }
        }
        // Recorded before it is created: a run killed right after CREATE TABLE still knows the table is its own.
        if let Some(tp) = is_table {
            state.tables.insert(
                tp.source_name.clone(),
                TableState {
                    status: TableStatus::Pending,
                    rows_read: 0,
                    rows_written: 0,
                    rows_rejected: 0,
                    created_by_cutover: true,
                },
            );
            if !opts.dry_run {
                state.save(&opts.state_file)?;
            }
        }
        if !opts.dry_run {
            conn.execute(&st.sql).await?;
        }
    }
    if !opts.dry_run {
        state.save(&opts.state_file)?;
    }
    create_jobs(plan, schema, opts.target.dialect)
}

/// Create mode: how each planned table is read and written, from the plan's own types.
pub(crate) fn create_jobs(plan: &Plan, schema: &SourceSchema, dialect: Dialect) -> Result<Vec<TableJob>, MigrateError> {
    plan.tables
        .iter()
        .map(|tp| {
            let t = schema
                .table(&tp.source_name)
                .ok_or_else(|| MigrateError::Refused(format!("table {} vanished", tp.source_name)))?;
            let columns: Vec<(String, String, ColumnType, EpochUnit, bool)> = tp
                .columns
                .iter()
                .map(|c| {
                    (c.source_name.clone(), c.target_name.clone(), c.ty, c.epoch_unit.unwrap_or_default(), !c.nullable)
                })
                .collect();
            Ok(job_for(t, tp, &columns, dialect, true))
        })
        .collect()
}

/// Build the read/write description of one table.
fn job_for(
    t: &Table,
    tp: &TablePlan,
    columns: &[(String, String, ColumnType, EpochUnit, bool)],
    dialect: Dialect,
    truncate: bool,
) -> TableJob {
    let rowid = !t.without_rowid && t.primary_key.is_none();
    let mut select_cols: Vec<String> = Vec::new();
    if rowid {
        let alias = ["rowid", "_rowid_", "oid"].into_iter().find(|a| t.column(a).is_none()).unwrap_or("rowid");
        select_cols.push(alias.to_string());
    }
    let offset = usize::from(rowid);
    select_cols.extend(columns.iter().map(|c| quote_sqlite(&c.0)));
    let key = match &t.primary_key {
        Some(pk) if !rowid => KeySpec::Columns(
            pk.columns
                .iter()
                .filter_map(|k| columns.iter().position(|c| &c.0 == k).map(|i| (i + offset, k.clone())))
                .collect(),
        ),
        _ => KeySpec::Rowid,
    };
    let order = if rowid || t.rowid_alias().is_some() {
        format!(" ORDER BY {}", if rowid { select_cols[0].clone() } else { "rowid".into() })
    } else {
        String::new()
    };
    TableJob {
        source_name: t.name.clone(),
        target_name: tp.target_name.clone(),
        tier: tp.tier,
        rows_source: t.row_count,
        select: format!("SELECT {} FROM {}{order}", select_cols.join(", "), quote_sqlite(&t.name)),
        columns: columns.iter().map(|c| c.1.clone()).collect(),
        source_columns: columns.iter().map(|c| c.0.clone()).collect(),
        types: columns.iter().map(|c| (c.2, ConvertContext { dialect, epoch_unit: c.3 })).collect(),
        not_null: columns.iter().map(|c| c.4).collect(),
        key,
        truncate,
        offset,
        fraction_digits: vec![6; columns.len()],
    }
}

/// Existing mode: match each planned table to the target's catalog by column name.
async fn existing_tables(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    state: &State,
    progress: &Progress,
) -> Result<Vec<TableJob>, MigrateError> {
    progress.phase("reading the target's catalog");
    let schema_ref = plan.target_schema.as_deref();
    let Some(conn) = conns.first_mut() else {
        return Err(MigrateError::Refused(
            "--schema existing needs a target to read; a dry run into a new SQLite file has none".into(),
        ));
    };
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    let mut edges = Vec::new();
    let mut non_empty = Vec::new();
    let mut all_tables = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.table(&tp.source_name) else { continue };
        if !conn.table_exists(schema_ref, &tp.target_name).await? {
            problems.push(format!("table {} does not exist in the target", tp.target_name));
            continue;
        }
        let catalog = conn.columns(schema_ref, &tp.target_name).await?;
        let mut job = match existing_job(t, tp, &catalog, opts.target.dialect, opts.ignore_missing_columns) {
            Ok(job) => Some(job),
            Err(mut p) => {
                problems.append(&mut p);
                None
            }
        };
        let done_before =
            opts.resume && state.tables.get(&tp.source_name).is_some_and(|t| t.status == TableStatus::Done);
        let rows = if done_before { 0 } else { conn.count(schema_ref, &tp.target_name).await? };
        if !done_before {
            all_tables.push(conn.table_ref(schema_ref, &tp.target_name));
        }
        if rows > 0 && !opts.truncate {
            problems.push(format!(
                "target table {} already holds {rows} rows (pass --truncate to empty it first)",
                tp.target_name
            ));
        }
        if rows > 0 {
            non_empty.push(conn.table_ref(schema_ref, &tp.target_name));
        }
        for fk in &tp.foreign_keys {
            edges.push((tp.source_name.clone(), fk.parent_table.clone()));
        }
        if let Some(job) = job.take() {
            jobs.push(job);
        }
    }
    if !problems.is_empty() {
        return Err(MigrateError::Refused(format!(
            "the target schema does not match the source:\n  {}",
            problems.join("\n  ")
        )));
    }
    if !non_empty.is_empty() && !opts.dry_run {
        // All at once: PostgreSQL truncates tables that reference each other only together.
        progress.phase("emptying the target tables (--truncate)");
        match conn {
            TargetConn::Postgres { .. } => conn.execute(&format!("TRUNCATE {}", all_tables.join(", "))).await?,
            // InnoDB refuses TRUNCATE of a referenced table; DELETE children first keeps
            // every foreign key checked (no FOREIGN_KEY_CHECKS=0).
            TargetConn::MariaDb { .. } | TargetConn::Sqlite { .. } => {
                for t in all_tables.iter().rev() {
                    conn.execute(&format!("DELETE FROM {t}")).await?;
                }
            }
        }
    }
    Ok(jobs)
}

/// Existing mode: match one source table to its target table's catalog columns by name
/// (exact, then ignoring ASCII case); each value is converted to the catalog's real type.
/// Err lists every column that does not match.
pub(crate) fn existing_job(
    t: &Table,
    tp: &TablePlan,
    catalog: &[CatalogColumn],
    dialect: Dialect,
    ignore_missing_columns: bool,
) -> Result<TableJob, Vec<String>> {
    let mut problems = Vec::new();
    let mut columns = Vec::new();
    let mut fractions = Vec::new();
    // Target columns a source column matched by name, whether or not their type is supported.
    let mut matched: Vec<&str> = Vec::new();
    for c in &t.columns {
        let m = tp.column(&c.name).map_or(c.name.as_str(), |m| m.target_name.as_str());
        let found =
            catalog.iter().find(|k| k.name == m).or_else(|| catalog.iter().find(|k| k.name.eq_ignore_ascii_case(m)));
        matched.extend(found.map(|k| k.name.as_str()));
        match found {
            Some(k) => match neutral_type(dialect, &k.type_name) {
                Some(ty) => {
                    let unit = tp.column(&c.name).and_then(|m| m.epoch_unit).unwrap_or_default();
                    columns.push((c.name.clone(), k.name.clone(), ty, unit, !k.nullable));
                    fractions.push(fraction_digits(dialect, &k.type_name));
                }
                None => problems
                    .push(format!("{}.{}: target type {} is not supported yet", tp.target_name, k.name, k.type_name)),
            },
            None if ignore_missing_columns => {}
            None => problems.push(format!(
                "source column {}.{} has no column in the target (pass --ignore-missing-columns to leave it out)",
                t.name, c.name
            )),
        }
    }
    for k in catalog.iter().filter(|k| !k.nullable && !k.has_default) {
        if !matched.contains(&k.name.as_str()) {
            problems.push(format!(
                "target column {}.{} is NOT NULL without a default, and the source has no such column",
                tp.target_name, k.name
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut job = job_for(t, tp, &columns, dialect, false);
    job.fraction_digits = fractions;
    Ok(job)
}

/// The neutral type of a catalog type (existing mode), so conversion checks its real width.
pub fn neutral_type(dialect: Dialect, catalog_type: &str) -> Option<ColumnType> {
    match dialect {
        Dialect::MariaDb => neutral_type_mariadb(catalog_type),
        Dialect::Postgres | Dialect::Sqlite => neutral_type_pg(catalog_type),
    }
}

/// Fractional-second digits a catalog type keeps (6 unless a MariaDB DATETIME/TIME says fewer).
fn fraction_digits(dialect: Dialect, catalog_type: &str) -> u32 {
    let t = catalog_type.to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or(&t).trim();
    if dialect == Dialect::MariaDb && matches!(base, "datetime" | "timestamp" | "time") {
        return crate::plan::mapping::type_args(&t).first().copied().unwrap_or(0).min(6);
    }
    6
}

/// The neutral type of a MariaDB / MySQL `COLUMN_TYPE` (`int(11) unsigned`, `tinyint(1)`, …).
/// FLOAT, ENUM, SET, BIT, YEAR and spatial types are refused: cutover would have to round
/// or pick, and it never does either silently.
pub fn neutral_type_mariadb(column_type: &str) -> Option<ColumnType> {
    let t = column_type.to_ascii_lowercase();
    let args = crate::plan::mapping::type_args(&t);
    let base = t.split(['(', ' ']).next().unwrap_or(&t).trim();
    let unsigned = t.contains("unsigned");
    let int = |width| Some(ColumnType::Integer { width, unsigned });
    match base {
        "tinyint" if args.first() == Some(&1) && !unsigned => Some(ColumnType::Boolean),
        "bool" | "boolean" => Some(ColumnType::Boolean),
        "tinyint" => int(IntWidth::I8),
        "smallint" => int(IntWidth::I16),
        "mediumint" => int(IntWidth::I24),
        "int" | "integer" => int(IntWidth::I32),
        "bigint" => int(IntWidth::I64),
        "double" | "real" => Some(ColumnType::Double),
        "decimal" | "numeric" => Some(ColumnType::Decimal {
            precision: Some(args.first().copied().unwrap_or(10)),
            scale: Some(args.get(1).copied().unwrap_or(0)),
        }),
        "varchar" => Some(ColumnType::Varchar { length: args.first().copied().unwrap_or(255) }),
        "char" => Some(ColumnType::Char { length: args.first().copied().unwrap_or(1) }),
        // TEXT types hold bytes, not characters: strict mode makes the server refuse, never cut, a longer value.
        "tinytext" | "text" | "mediumtext" | "longtext" => Some(ColumnType::Text),
        "json" => Some(ColumnType::Json),
        "tinyblob" | "blob" | "mediumblob" | "longblob" | "binary" | "varbinary" => Some(ColumnType::Bytes),
        "datetime" | "timestamp" => Some(ColumnType::Timestamp { tz: false }),
        "date" => Some(ColumnType::Date),
        "time" => Some(ColumnType::Time),
        "uuid" => Some(ColumnType::Uuid),
        _ => None,
    }
}

/// The neutral type of a PostgreSQL catalog type.
pub fn neutral_type_pg(pg: &str) -> Option<ColumnType> {
    let args = crate::plan::mapping::type_args(pg);
    let base = pg.split('(').next().unwrap_or(pg).trim();
    let int = |width| Some(ColumnType::Integer { width, unsigned: false });
    match base {
        "boolean" => Some(ColumnType::Boolean),
        "smallint" => int(IntWidth::I16),
        "integer" => int(IntWidth::I32),
        "bigint" => int(IntWidth::I64),
        "double precision" => Some(ColumnType::Double),
        "numeric" => Some(ColumnType::Decimal {
            precision: args.first().copied(),
            scale: args.first().map(|_| args.get(1).copied().unwrap_or(0)),
        }),
        "character varying" => Some(args.first().map_or(ColumnType::Text, |n| ColumnType::Varchar { length: *n })),
        "character" => Some(ColumnType::Char { length: args.first().copied().unwrap_or(1) }),
        "text" | "citext" => Some(ColumnType::Text),
        "bytea" => Some(ColumnType::Bytes),
        "timestamp without time zone" => Some(ColumnType::Timestamp { tz: false }),
        "timestamp with time zone" => Some(ColumnType::Timestamp { tz: true }),
        "date" => Some(ColumnType::Date),
        "time without time zone" => Some(ColumnType::Time),
        "json" | "jsonb" => Some(ColumnType::Json),
        "uuid" => Some(ColumnType::Uuid),
        _ => None,
    }
}

/// On resume, a table recorded as done whose target count still matches is skipped.
async fn resumable(
    opts: &MigrateOptions<'_>,
    conns: &mut [TargetConn],
    schema: Option<&str>,
    state: &State,
    job: &TableJob,
) -> Result<Option<TableReport>, MigrateError> {
    if !opts.resume {
        return Ok(None);
    }
    let Some(ts) = state.tables.get(&job.source_name).filter(|t| t.status == TableStatus::Done) else {
        return Ok(None);
    };
    let Some(conn) = conns.first_mut() else { return Ok(None) };
    let n = conn.count(schema, &job.target_name).await?;
    if n != ts.rows_written {
        return Ok(None);
    }
    Ok(Some(TableReport {
        table: job.source_name.clone(),
        target_table: job.target_name.clone(),
        tier: job.tier,
        rows_source: job.rows_source,
        rows_read: ts.rows_read,
        rows_written: ts.rows_written,
        rows_rejected: ts.rows_rejected,
        seconds: 0.0,
        status: "skipped (resume)".into(),
        count_checked: true,
    }))
}

struct TableResult {
    read: u64,
    written: u64,
    rejected: u64,
    seconds: f64,
    status: String,
    count_checked: bool,
}

enum ChunkFailure {
    Conversion(RowFailure),
    Other(String),
}

struct ChunkOutcome {
    results: Vec<TableResult>,
    failure: Option<ChunkFailure>,
}

/// Copy a queue of tables: one reader steps the active tables round-robin, each table
/// streams to its own writer, and a table starts as soon as a connection is free.
#[allow(clippy::too_many_arguments)]
async fn copy_queue(
    opts: &MigrateOptions<'_>,
    source: &mut Source,
    conns: &mut Vec<TargetConn>,
    schema: Option<&str>,
    jobs: &[TableJob],
    state: &mut State,
    rejects: &mut RejectSink,
    progress: &Progress,
) -> ChunkOutcome {
    // Writers record each table in the state file the moment it commits, so a run killed
    // later does not redo it.
    let shared = std::sync::Arc::new(std::sync::Mutex::new(state.clone()));
    let dry_run = opts.dry_run;
    let slots = if dry_run { 1 } else { conns.len().max(1) };
    // The connection pool: writers take one when their table starts and give it back after.
    let (pool_tx, pool_rx) = mpsc::channel::<TargetConn>(slots.max(1));
    for c in conns.drain(..) {
        let _ = pool_tx.try_send(c);
    }
    let pool_rx = std::sync::Arc::new(tokio::sync::Mutex::new(pool_rx));
    // A table's writer starts when the reader starts the table, so connections are taken
    // in the order the reader needs them (no writer waits on a table not being read).
    type Writer = tokio::task::JoinHandle<Result<(u64, f64), TargetError>>;
    let mut writers: Vec<Option<Writer>> = jobs.iter().map(|_| None).collect();
    let handle = tokio::runtime::Handle::current();
    let mut start = |i: usize| -> Started {
        if dry_run {
            return (None, None);
        }
        let job = &jobs[i];
        let (tx, rx) = mpsc::channel::<Vec<Vec<Value>>>(CHANNEL_BATCHES);
        let (vtx, vrx) = oneshot::channel::<Option<u64>>();
        let table = job.target_name.clone();
        let columns = job.columns.clone();
        let schema = schema.map(String::from);
        let truncate = job.truncate;
        let source_name = job.source_name.clone();
        let shared = shared.clone();
        let state_file = opts.state_file.clone();
        let pool_rx = pool_rx.clone();
        let pool_tx = pool_tx.clone();
        writers[i] = Some(handle.spawn(async move {
            let conn = pool_rx.lock().await.recv().await;
            let Some(mut conn) = conn else {
                return Err(TargetError::Server {
                    target: String::new(),
                    what: format!("loading {table}"),
                    reason: "no connection left".into(),
                });
            };
            let started = Instant::now();
            // TRUNCATE is DDL on MariaDB (it commits): DELETE keeps it inside the load transaction.
            let prelude = truncate.then(|| match conn {
                TargetConn::Postgres { .. } => format!("TRUNCATE {}", conn.table_ref(schema.as_deref(), &table)),
                TargetConn::MariaDb { .. } | TargetConn::Sqlite { .. } => {
                    format!("DELETE FROM {}", conn.table_ref(schema.as_deref(), &table))
                }
            });
            let result = write_table(&mut conn, schema.as_deref(), &table, &columns, prelude.as_deref(), rx, vrx).await;
            let _ = pool_tx.send(conn).await;
            if let Ok(n) = result {
                let mut st = shared.lock().map_err(|_| TargetError::Server {
                    target: String::new(),
                    what: format!("recording {table}"),
                    reason: "state lock poisoned".into(),
                })?;
                let entry = st.tables.entry(source_name).or_insert_with(|| TableState {
                    status: TableStatus::Pending,
                    rows_read: 0,
                    rows_written: 0,
                    rows_rejected: 0,
                    created_by_cutover: false,
                });
                entry.status = TableStatus::Done;
                entry.rows_written = n;
                st.save(&state_file).map_err(|e| TargetError::Server {
                    target: String::new(),
                    what: format!("recording {table}"),
                    reason: e.to_string(),
                })?;
            }
            result.map(|n| (n, started.elapsed().as_secs_f64()))
        }));
        (Some(tx), Some(vtx))
    };
    // Reading runs on this thread, in the source's snapshot; block_in_place lets the
    // runtime move the writers to other threads meanwhile.
    let read = tokio::task::block_in_place(|| {
        read_tables(source.connection(), jobs, &mut start, slots, opts.on_error, dry_run, rejects, progress)
    });
    drop(pool_tx);
    let (stats, mut failure) = match read {
        Ok(stats) => (stats, None),
        Err(ReadFailure::Conversion(r, stats)) => (stats, Some(ChunkFailure::Conversion(r))),
        Err(ReadFailure::Other(m, stats)) => (stats, Some(ChunkFailure::Other(m))),
    };
    let mut written = vec![None; jobs.len()];
    for (i, w) in writers.into_iter().enumerate() {
        let Some(w) = w else { continue };
        match w.await {
            Ok(Ok(n)) => written[i] = Some(n),
            Ok(Err(e)) => {
                if failure.is_none() {
                    failure = Some(ChunkFailure::Other(e.to_string()));
                }
            }
            Err(e) => failure = failure.or(Some(ChunkFailure::Other(format!("a writer task failed: {e}")))),
        }
    }
    if let Ok(st) = shared.lock() {
        *state = st.clone();
    }
    // Every connection is back in the pool once the writers are done.
    let mut rx = pool_rx.lock().await;
    while let Ok(c) = rx.try_recv() {
        conns.push(c);
    }
    let mut results = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let s = &stats[i];
        let (w, seconds) = written[i].unwrap_or((0, s.seconds));
        let committed = written[i].is_some();
        progress.table_done(&job.source_name, w, s.rejected, seconds);
        results.push(TableResult {
            read: s.read,
            written: w,
            rejected: s.rejected,
            seconds,
            status: if dry_run {
                "dry run".into()
            } else if committed {
                "ok".into()
            } else {
                "not committed".into()
            },
            count_checked: committed && !dry_run,
        });
    }
    ChunkOutcome { results, failure }
}

/// Load one table and commit it only when the reader read all of it and the count matches.
async fn write_table(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
    prelude: Option<&str>,
    rx: mpsc::Receiver<Vec<Vec<Value>>>,
    verdict: oneshot::Receiver<Option<u64>>,
) -> Result<u64, TargetError> {
    let loaded = conn.load(schema, table, columns, prelude, rx).await;
    let n = match loaded {
        Ok(n) => n,
        Err(e) => {
            conn.rollback().await;
            return Err(e);
        }
    };
    let expected = verdict.await.ok().flatten();
    match expected {
        Some(expected) if expected == n => {
            let counted = conn.count(schema, table).await?;
            if counted != n {
                conn.rollback().await;
                return Err(TargetError::Server {
                    target: String::new(),
                    what: format!("count check of {table}"),
                    reason: format!("{n} rows sent but the table holds {counted}; rolled back"),
                });
            }
            conn.commit().await?;
            Ok(n)
        }
        _ => {
            conn.rollback().await;
            Err(TargetError::Server {
                target: String::new(),
                what: format!("loading {table}"),
                reason: "the copy stopped; rolled back".into(),
            })
        }
    }
}

/// The channel to a table's writer and the sender of its verdict (None in a dry run).
type Started = (Option<mpsc::Sender<Vec<Vec<Value>>>>, Option<oneshot::Sender<Option<u64>>>);

enum ReadFailure {
    Conversion(RowFailure, Vec<ReadStats>),
    Other(String, Vec<ReadStats>),
}

/// Read the queue's tables, at most `slots` at a time, round-robin: convert every row and
/// send it to the table's writer; when a table is read whole, tell its writer how many
/// rows to expect, so that it can check and commit while other tables are still read.
#[allow(clippy::too_many_arguments)]
fn read_tables(
    conn: &Connection,
    jobs: &[TableJob],
    start: &mut dyn FnMut(usize) -> Started,
    slots: usize,
    on_error: OnError,
    dry_run: bool,
    rejects: &mut RejectSink,
    progress: &Progress,
) -> Result<Vec<ReadStats>, ReadFailure> {
    let mut stats: Vec<ReadStats> = jobs.iter().map(|_| ReadStats { read: 0, rejected: 0, seconds: 0.0 }).collect();
    let mut senders: Vec<Option<mpsc::Sender<Vec<Vec<Value>>>>> = jobs.iter().map(|_| None).collect();
    let mut verdicts: Vec<Option<oneshot::Sender<Option<u64>>>> = jobs.iter().map(|_| None).collect();
    let mut stmts = Vec::new();
    for j in jobs {
        match conn.prepare(&j.select) {
            Ok(s) => stmts.push(s),
            Err(e) => return Err(ReadFailure::Other(format!("reading table {}: {e}", j.source_name), stats)),
        }
    }
    let mut pending: std::collections::VecDeque<(usize, &mut rusqlite::Statement<'_>)> =
        stmts.iter_mut().enumerate().collect();
    let mut active: Vec<(usize, rusqlite::Rows<'_>, Instant)> = Vec::new();
    let strict = on_error == OnError::Strict && !dry_run;
    loop {
        while active.len() < slots {
            let Some((i, st)) = pending.pop_front() else { break };
            progress.table_started(&jobs[i].source_name, jobs[i].rows_source);
            let (tx, verdict) = start(i);
            senders[i] = tx;
            verdicts[i] = verdict;
            match st.query([]) {
                Ok(rows) => active.push((i, rows, Instant::now())),
                Err(e) => return Err(ReadFailure::Other(format!("reading table {}: {e}", jobs[i].source_name), stats)),
            }
        }
        if active.is_empty() {
            break;
        }
        let mut k = 0;
        while k < active.len() {
            let (i, rows, started) = &mut active[k];
            let i = *i;
            let job = &jobs[i];
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            let mut finished = false;
            while batch.len() < BATCH_ROWS {
                let row = match rows.next() {
                    Ok(Some(r)) => r,
                    Ok(None) => {
                        finished = true;
                        break;
                    }
                    Err(e) => return Err(ReadFailure::Other(format!("reading table {}: {e}", job.source_name), stats)),
                };
                stats[i].read += 1;
                match convert_row(row, job) {
                    Ok(values) => batch.push(values),
                    Err(reject) => {
                        stats[i].rejected += 1;
                        if strict {
                            return Err(ReadFailure::Conversion(RowFailure(reject), stats));
                        }
                        if let Err(e) = rejects.write(*reject) {
                            return Err(ReadFailure::Other(e, stats));
                        }
                    }
                }
            }
            progress.rows(&job.source_name, u64::try_from(batch.len()).unwrap_or(0));
            if crate::interrupt::requested().is_some() {
                // Dropping the senders and verdicts rolls back every table not yet committed.
                return Err(ReadFailure::Other(format!("interrupted while reading {}", job.source_name), stats));
            }
            if let Some(tx) = senders[i].as_ref() {
                if !batch.is_empty() && tx.blocking_send(batch).is_err() {
                    // The writer stopped; its own error says why.
                    let msg = format!("the target stopped accepting rows of {}", job.target_name);
                    return Err(ReadFailure::Other(msg, stats));
                }
            }
            if finished {
                stats[i].seconds = started.elapsed().as_secs_f64();
                senders[i] = None;
                if let Some(v) = verdicts[i].take() {
                    let _ = v.send(Some(stats[i].read - stats[i].rejected));
                }
                drop(active.remove(k));
            } else {
                k += 1;
            }
        }
    }
    Ok(stats)
}

/// Convert one source row into target values, or say which value did not convert.
pub(crate) fn convert_row(row: &rusqlite::Row<'_>, job: &TableJob) -> Result<Vec<Value>, Box<Reject>> {
    let offset = job.offset;
    let mut out = Vec::with_capacity(job.types.len());
    for (c, (ty, ctx)) in job.types.iter().enumerate() {
        let raw = row.get_ref(c + offset).map(SourceValue::from).unwrap_or(SourceValue::Null);
        let value = convert(raw, ty, ctx).map_err(|e| {
            Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: describe(raw),
                kind: e.kind().to_string(),
                reason: e.to_string(),
            })
        })?;
        if let Some(cut) = fraction_cut(&value, job.fraction_digits[c]) {
            return Err(Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: describe(raw),
                kind: "fraction_lost".into(),
                reason: format!(
                    "the target column keeps {} fractional second digit(s); {cut} would be cut (widen it to DATETIME(6) / TIME(6))",
                    job.fraction_digits[c]
                ),
            }));
        }
        if value == Value::Null && job.not_null[c] {
            return Err(Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: "NULL".into(),
                kind: "null_in_not_null".into(),
                reason: "NULL in a NOT NULL column".into(),
            }));
        }
        out.push(value);
    }
    Ok(out)
}

/// The sub-second part a column with `digits` fractional digits would lose, if any.
fn fraction_cut(v: &Value, digits: u32) -> Option<String> {
    use chrono::Timelike;
    if digits >= 6 {
        return None;
    }
    let nanos = match v {
        Value::Timestamp(t) => t.nanosecond(),
        Value::TimestampTz(t) => t.nanosecond(),
        Value::Time(t) => t.nanosecond(),
        _ => return None,
    };
    let unit = 10u32.pow(9 - digits);
    (nanos % unit != 0).then(|| format!("0.{:09}", nanos).trim_end_matches('0').to_string())
}

pub(crate) fn describe(v: SourceValue) -> String {
    match v {
        SourceValue::Null => "NULL".into(),
        SourceValue::Integer(i) => i.to_string(),
        SourceValue::Real(f) => format!("{f:?}"),
        // Control characters escaped, invalid UTF-8 as \xNN: a reject file or report stays text.
        SourceValue::Text(_) => crate::convert::show(v),
        SourceValue::Blob(b) => format!("x'{}' ({} bytes)", crate::target::hex(&b[..b.len().min(16)]), b.len()),
    }
}

pub(crate) fn row_key(row: &rusqlite::Row<'_>, job: &TableJob) -> String {
    let show = |i: usize| row.get_ref(i).map(|v| describe(SourceValue::from(v))).unwrap_or_else(|_| "?".into());
    match &job.key {
        KeySpec::Rowid => format!("rowid={}", show(0)),
        KeySpec::Columns(cols) => {
            cols.iter().map(|(i, name)| format!("{name}={}", show(*i))).collect::<Vec<_>>().join(", ")
        }
    }
}

/// The reject file (JSON lines) and the rejects listed in the report.
struct RejectSink {
    file: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
    listed: Vec<Reject>,
    total: u64,
}

impl RejectSink {
    fn open(opts: &MigrateOptions) -> Result<RejectSink, MigrateError> {
        if opts.on_error == OnError::Reject && opts.reject_file.is_none() && !opts.dry_run {
            return Err(MigrateError::Refused(
                "--on-error reject needs --reject-file FILE to write the bad rows to".into(),
            ));
        }
        let file = match (&opts.reject_file, opts.dry_run) {
            (Some(p), false) => {
                // On --resume the earlier run's rejects are kept: the file grows.
                use std::os::unix::fs::OpenOptionsExt;
                // Rejected rows are the client's data: the owner's only.
                let f = std::fs::OpenOptions::new()
                    .mode(0o600)
                    .create(true)
                    .write(true)
                    .append(opts.resume)
                    .truncate(!opts.resume)
                    .open(p)
                    .map_err(|e| MigrateError::Io { path: p.clone(), reason: e.to_string() })?;
                Some((p.clone(), std::io::BufWriter::new(f)))
            }
            _ => None,
        };
        Ok(RejectSink { file, listed: Vec::new(), total: 0 })
    }

    fn write(&mut self, r: Reject) -> Result<(), String> {
        self.total += 1;
        if let Some((path, f)) = self.file.as_mut() {
            let line = serde_json::to_string(&r).map_err(|e| e.to_string())?;
            writeln!(f, "{line}").map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if self.listed.len() < MAX_LISTED_REJECTS {
            self.listed.push(r);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), MigrateError> {
        if let Some((path, f)) = self.file.as_mut() {
            f.flush().map_err(|e| MigrateError::Io { path: path.clone(), reason: e.to_string() })?;
        }
        Ok(())
    }
}

/// Create mode, after the data: indexes, foreign keys, identity resets (errors stop the
/// run), then views (a failure is a warning that names the view and quotes the server).
async fn post_load(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    conns: &mut [TargetConn],
    state: &mut State,
    report: &mut MigrationReport,
) -> Result<(), MigrateError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    let post: Vec<&plan::Statement> = plan.statements.iter().filter(|s| s.phase != Phase::Tables).collect();
    // MariaDB validates a new foreign key only by copying the whole table (ALGORITHM=COPY);
    // with checks off it adds it in place. cutover checks every such key itself first, so
    // no orphan hides behind FOREIGN_KEY_CHECKS=0.
    let own_fk_check = conn.dialect() == Dialect::MariaDb;
    if own_fk_check {
        conn.execute("SET SESSION foreign_key_checks = 0").await?;
    }
    let schema = plan.target_schema.as_deref();
    for (i, st) in post.iter().enumerate().skip(state.post_load_next) {
        stop_if_interrupted(&format!("after the data, before the post-load statement for {}", st.object), report)?;
        // A run killed after a statement ran but before the state file recorded it left
        // some of it in the target: the catalog says what is there, and only the rest runs.
        let missing = if opts.resume { missing_parts(conn, schema, st).await? } else { st.parts.iter().collect() };
        if missing.is_empty() && !st.parts.is_empty() {
            state.post_load_next = i + 1;
            state.save(&opts.state_file)?;
            continue;
        }
        if own_fk_check && st.phase == Phase::ForeignKeys {
            check_orphans_before_fks(conn, plan, st, &missing).await?;
        }
        let sql = if missing.len() == st.parts.len() { st.sql.clone() } else { st.sql_for(&missing) };
        match conn.execute(&sql).await {
            Ok(()) => {}
            Err(e) if st.best_effort => report.warnings.push(format!("view {} was not created: {e}", st.object)),
            Err(e) => return Err(MigrateError::Target(e)),
        }
        state.post_load_next = i + 1;
        state.save(&opts.state_file)?;
    }
    if own_fk_check {
        conn.execute("SET SESSION foreign_key_checks = 1").await?;
    }
    Ok(())
}

/// The parts of a post-load statement that the target's catalog does not hold yet.
async fn missing_parts<'a>(
    conn: &mut TargetConn,
    schema: Option<&str>,
    st: &'a plan::Statement,
) -> Result<Vec<&'a plan::Part>, MigrateError> {
    let mut missing = Vec::new();
    for part in &st.parts {
        if !conn.has_object(schema, &part.object).await? {
            missing.push(part);
        }
    }
    Ok(missing)
}

/// MariaDB, before a statement that adds foreign keys with checks off: every key it adds
/// must hold (cutover's own orphan check), else the run stops naming the rows.
async fn check_orphans_before_fks(
    conn: &mut TargetConn,
    plan: &Plan,
    st: &plan::Statement,
    adding: &[&plan::Part],
) -> Result<(), MigrateError> {
    let adds = |name: &str| {
        adding.iter().any(|p| matches!(&p.object, plan::PlannedObject::ForeignKey { name: n, .. } if n == name))
    };
    // One statement adds the foreign keys of the table it names.
    let table = plan.tables.iter().find(|tp| tp.target_name == st.object);
    for (tp, fk) in table.iter().flat_map(|tp| tp.foreign_keys.iter().map(move |f| (*tp, f))) {
        if !adds(&fk.name) {
            continue;
        }
        let check = FkCheck {
            name: &fk.name,
            child: &tp.target_name,
            columns: &fk.columns,
            parent: &fk.parent_table,
            parent_columns: &fk.parent_columns,
            key: &tp.primary_key,
        };
        if let Some(message) = orphans(conn, plan.target_schema.as_deref(), &check).await? {
            return Err(MigrateError::Refused(message));
        }
    }
    Ok(())
}

/// Existing mode, MariaDB, after a load with checks off: every foreign key (read from
/// information_schema) of the loaded tables must hold; then checks go back on.
async fn check_catalog_fks(conns: &mut [TargetConn], jobs: &[TableJob]) -> Result<(), MigrateError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    let sep = '\u{1f}';
    let rows = conn
        .strings(&format!(
            "SELECT CAST(CONCAT_WS('\u{1e}', CONSTRAINT_NAME, TABLE_NAME, \
             GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}'), REFERENCED_TABLE_NAME, \
             GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}')) AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
             GROUP BY CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME"
        ))
        .await?;
    let mut problems = Vec::new();
    for r in rows {
        let f: Vec<&str> = r.split('\u{1e}').collect();
        let [name, child, cols, parent, pcols] = f[..] else { continue };
        if !jobs.iter().any(|j| j.target_name == child || j.target_name == parent) {
            continue;
        }
        let columns: Vec<String> = cols.split(sep).map(String::from).collect();
        let parent_columns: Vec<String> = pcols.split(sep).map(String::from).collect();
        let check = FkCheck { name, child, columns: &columns, parent, parent_columns: &parent_columns, key: &[] };
        if let Some(m) = orphans(conn, None, &check).await? {
            problems.push(m);
        }
    }
    for c in conns.iter_mut() {
        c.execute("SET SESSION foreign_key_checks = 1").await?;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Refused(problems.join("\n")))
    }
}

/// One foreign key to check for orphans, by target names.
struct FkCheck<'a> {
    name: &'a str,
    child: &'a str,
    columns: &'a [String],
    parent: &'a str,
    parent_columns: &'a [String],
    /// The child's primary key, to name orphan rows (the FK columns when empty).
    key: &'a [String],
}

/// Rows of the child whose key (all parts non-NULL, as MATCH SIMPLE) has no parent row:
/// None when there are none, else a message naming the key, the count and some rows.
/// MariaDB SQL (CAST … AS CHAR, CONCAT_WS): PostgreSQL validates keys itself when they are added.
async fn orphans(
    conn: &mut TargetConn,
    schema: Option<&str>,
    fk: &FkCheck<'_>,
) -> Result<Option<String>, MigrateError> {
    let engine = conn.dialect().engine();
    let q = |c: &str| engine.quote(c);
    let mut cond: Vec<String> = fk.columns.iter().map(|c| format!("c.{} IS NOT NULL", q(c))).collect();
    let join: Vec<String> =
        fk.columns.iter().zip(fk.parent_columns).map(|(c, p)| format!("p.{} = c.{}", q(p), q(c))).collect();
    cond.push(format!(
        "NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
        conn.table_ref(schema, fk.parent),
        join.join(" AND ")
    ));
    let from = format!("FROM {} c WHERE {}", conn.table_ref(schema, fk.child), cond.join(" AND "));
    let n = conn.scalar(&format!("SELECT CAST(count(*) AS SIGNED) {from}")).await?;
    if n == 0 {
        return Ok(None);
    }
    let shown = if fk.key.is_empty() { fk.columns } else { fk.key };
    let parts: Vec<String> = shown
        .iter()
        .chain(fk.columns.iter().filter(|c| !shown.contains(c)))
        .map(|c| {
            format!("'{}=', COALESCE(CAST(c.{} AS CHAR), 'NULL')", c.replace('\'', "''").replace('\\', "\\\\"), q(c))
        })
        .collect();
    let samples =
        conn.strings(&format!("SELECT CONCAT_WS(', ', CONCAT({})) {from} LIMIT 5", parts.join(", ', ', "))).await?;
    Ok(Some(format!(
        "foreign key {} ({}.{} -> {}.{}): {n} row(s) of {} reference a {} row that does not exist, e.g. {}; \
         cutover never adds a key that does not hold: fix those rows in the target and in the source (the same change on both sides) and run again with --resume, or fix the source and migrate into an empty database",
        fk.name,
        fk.child,
        fk.columns.join(","),
        fk.parent,
        fk.parent_columns.join(","),
        fk.child,
        fk.parent,
        samples.join("; ")
    )))
}

/// Existing mode: move every sequence / identity / AUTO_INCREMENT counter of the loaded
/// tables above the largest key, and for the source's rowid alias column above its
/// `sqlite_sequence` too (ids of rows deleted before the move are never handed out again).
async fn reset_sequences(
    conns: &mut [TargetConn],
    schema: Option<&str>,
    jobs: &[TableJob],
    source: &SourceSchema,
) -> Result<(), MigrateError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    for j in jobs {
        let table = source.table(&j.source_name);
        let alias = table.and_then(|t| t.rowid_alias()).map(|c| c.name.as_str());
        let floor = table.and_then(|t| t.sequence).unwrap_or(0);
        let integer_columns = j
            .columns
            .iter()
            .zip(&j.source_columns)
            .zip(&j.types)
            .filter(|(_, (t, _))| matches!(t, ColumnType::Integer { .. }));
        for ((target_column, source_column), _) in integer_columns {
            let floor = if Some(source_column.as_str()) == alias { floor } else { 0 };
            conn.raise_counter(schema, &j.target_name, target_column, floor).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn globs() {
        assert!(super::glob("user*", "users"));
        assert!(super::glob("*_log", "audit_log"));
        assert!(super::glob("t?", "t1"));
        assert!(!super::glob("user*", "app_users"));
        assert!(super::glob("Order Details", "Order Details"));
    }
}
