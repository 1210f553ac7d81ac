//! Proving the migration: `cutover verify` compares the source snapshot with the target,
//! table by table, on the same canonical values the migration wrote.
//!
//! Per table: row counts; then a content checksum computed in Rust on both sides. The
//! source side reads every row through the conversion rules (the same `TableJob` the
//! copy uses, so create and existing mode type each column as the migration did); the
//! target side reads the rows back by the engine's fastest path and decodes them into
//! the same `Value`s. Each row hashes to 64 bits over its canonical bytes (`canon`);
//! rows fall into `SEGMENTS` segments by the hash of their key (by their own hash when
//! the table has no primary key, so the comparison is of multisets), and each segment
//! keeps a count and a wrapping sum of row hashes: order does not matter and duplicate
//! rows do not cancel out. Segments that differ are read again on both sides, keeping
//! only their rows, to name each missing, extra or different row with the columns that
//! differ. Then, in the target: foreign-key orphans and identity counters, every index,
//! key and counter the plan adds after the data (create mode), and whether the source
//! changed since the migration's snapshot.

pub mod canon;
mod hashing;
mod levels;
mod narrowing;
pub mod report;
mod specs;
mod target_checks;
pub mod views;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::Config;
use crate::copy::progress::{Progress, ProgressMode};
use crate::copy::state::{State, StateError};
use crate::copy::{MigrateError, SchemaMode};
use crate::job::{self, JobError, KeySpec, TableJob};
use crate::plan::{self, Finding, Level, Plan, PlanOptions};
use crate::report::Reject;
use crate::schema::SourceSchema;
use crate::source::{Source, SourceError};
use crate::target::conn::{TargetConn, TargetError};
use crate::target::url::TargetUrl;
use crate::types::ColumnType;
use crate::value::Value;
use hashing::{source_side, target_side, Kept, Side};
use levels::{checksum_level, count_level};
use narrowing::{diff_rows, key_label, values_label};
pub use report::{ColumnDiff, FkVerdict, IdentityVerdict, PostLoadVerdict, RowDiff, TableVerdict, VerifyReport};
use specs::{table_specs, Spec};
use target_checks::{foreign_keys, identities, post_load, source_changed, target_lost};

/// Segments per table: a difference is narrowed to the rows of its segments.
pub const SEGMENTS: usize = 256;
/// Rows kept per side when narrowing; beyond this only the first differing segments are listed.
const NARROW_ROW_LIMIT: u64 = 500_000;
const MAX_REJECT_SAMPLES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyLevel {
    /// Row counts only (fast: one count per table on each side).
    Count,
    /// Counts and a content checksum of every row, then the rows that differ.
    Checksum,
}

pub struct VerifyOptions<'a> {
    pub source: PathBuf,
    pub target: TargetUrl,
    pub config: &'a Config,
    pub target_schema: Option<String>,
    /// How the migration typed the columns; default: the state file's, else create.
    pub schema_mode: Option<SchemaMode>,
    pub level: VerifyLevel,
    pub max_diffs: usize,
    pub jobs: usize,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// The migration's state file, when there is one: its snapshot fingerprint and rejects.
    pub state_file: Option<PathBuf>,
    pub progress: ProgressMode,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// Usage or configuration: nothing could be compared.
    #[error("{0}")]
    Refused(String),
    /// A table of the source could not be read (the message names the table).
    #[error("{0}")]
    SourceRead(String),
    #[error("{0}")]
    Internal(String),
}

impl VerifyError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, VerifyError::Refused(_) | VerifyError::Plan(_))
    }
}

impl From<JobError> for VerifyError {
    fn from(e: JobError) -> Self {
        VerifyError::Refused(e.0)
    }
}

impl From<MigrateError> for VerifyError {
    fn from(e: MigrateError) -> Self {
        match e {
            MigrateError::Source(e) => VerifyError::Source(e),
            MigrateError::Target(e) => VerifyError::Target(e),
            MigrateError::Plan(e) => VerifyError::Plan(e),
            MigrateError::Refused(m) => VerifyError::Refused(m),
            other => VerifyError::Internal(other.to_string()),
        }
    }
}

/// Compare the source snapshot with the target: match the tables, compare the rows at the
/// level asked, then check the target's foreign keys and counters and whether the source
/// changed since the migration.
pub async fn verify(opts: &VerifyOptions<'_>) -> Result<VerifyReport, VerifyError> {
    let started = Instant::now();
    let progress = Arc::new(Progress::new(opts.progress));
    refuse_a_missing_sqlite_file(opts)?;
    let mut source = Source::open(&opts.source)?;
    let schema = source.snapshot()?;
    let plan = plan_for(opts, &schema)?;
    let state = match &opts.state_file {
        Some(p) if p.exists() => Some(State::load(p)?),
        _ => None,
    };
    let mode = opts
        .schema_mode
        .or_else(|| state.as_ref().filter(|s| s.schema_mode == "existing").map(|_| SchemaMode::Existing))
        .unwrap_or(SchemaMode::Create);
    let mut conns = connect(opts).await?;
    let mut report = new_report(opts, &schema, &conns, mode);
    progress.phase("matching the source tables to the target");
    let schema_ref = plan.target_schema.as_deref();
    let (mut specs, mut verdicts) = table_specs(&plan, &schema, &mut conns, schema_ref, mode, state.as_ref()).await?;
    expect_orphans_set_aside(&source, &plan, mode, state.as_ref(), &mut specs)?;
    match opts.level {
        VerifyLevel::Count => count_level(&mut conns, schema_ref, &specs, &mut verdicts, state.as_ref()).await?,
        VerifyLevel::Checksum => {
            let (s, c) =
                checksum_level(opts, source, conns, schema_ref, &specs, &mut verdicts, progress.clone()).await?;
            source = s;
            conns = c;
        }
    }
    if mode == SchemaMode::Create && !schema.views.is_empty() {
        if let Some(conn) = conns.first_mut() {
            progress.phase("comparing the views");
            report.views = views::compare(&source, conn, &plan, &schema).await?;
        }
    }
    source.release()?;
    progress.phase("checking foreign keys and identity counters in the target");
    let present: BTreeSet<String> =
        verdicts.iter().filter(|v| v.status != "missing in target").map(|v| v.target_table.clone()).collect();
    if let Some(conn) = conns.first_mut() {
        report.foreign_keys = foreign_keys(conn, &plan, schema_ref, &present).await?;
        report.identities = identities(conn, &plan, &schema, &specs, schema_ref, mode).await?;
        if mode == SchemaMode::Create {
            report.post_load = post_load(conn, &plan, schema_ref, &present).await?;
        }
    }
    if let Some(st) = &state {
        source_changed(&mut report, st, &schema, &verdicts);
        target_lost(&mut report, st, &verdicts, &opts.target.to_string());
    }
    verdicts.sort_by(|a, b| (a.tier, &a.table).cmp(&(b.tier, &b.table)));
    report.tables = verdicts;
    report.ok = report.tables.iter().all(|t| t.matches())
        && report.foreign_keys.iter().all(|f| f.orphans == 0)
        && report.identities.iter().all(|i| i.ok)
        && report.post_load.iter().all(|p| p.present)
        && report.views.iter().all(report::ViewVerdict::ok);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A reject-mode migration in create mode set aside the rows whose parent row is missing
/// or set aside (the state file says which mode it ran in): found again the same way.
fn expect_orphans_set_aside(
    source: &Source,
    plan: &Plan,
    mode: SchemaMode,
    state: Option<&State>,
    specs: &mut [Spec],
) -> Result<(), VerifyError> {
    let rejected = state.is_some_and(|s| s.on_error.as_deref() == Some("reject"));
    if mode != SchemaMode::Create || !rejected {
        return Ok(());
    }
    let jobs: Vec<TableJob> = specs.iter().map(|s| s.job.clone()).collect();
    let found = job::orphans::find(source.connection(), plan, &jobs).map_err(VerifyError::SourceRead)?;
    for spec in specs.iter_mut() {
        spec.set_aside = found.of(&spec.job.source_name).cloned().map(Arc::new);
    }
    Ok(())
}

/// verify never creates a target: a `sqlite://` file must exist.
fn refuse_a_missing_sqlite_file(opts: &VerifyOptions<'_>) -> Result<(), VerifyError> {
    match opts.target.sqlite_path() {
        Some(path) if !path.exists() => Err(VerifyError::Refused(format!(
            "the target SQLite file {} does not exist; pass the file the migration wrote (--to sqlite://PATH)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// The plan the migration followed (same tables, names and types).
fn plan_for(opts: &VerifyOptions<'_>, schema: &SourceSchema) -> Result<Plan, VerifyError> {
    let excluded = job::select_tables(schema, &opts.include, &opts.exclude)?;
    Ok(plan::build(
        schema,
        &PlanOptions {
            dialect: opts.target.dialect,
            target_schema: opts.target_schema.clone(),
            config: opts.config,
            excluded,
        },
    )?)
}

/// One connection per table read at once, each set up for reading values back.
async fn connect(opts: &VerifyOptions<'_>) -> Result<Vec<TargetConn>, VerifyError> {
    let engine = opts.target.dialect.engine();
    let n = if engine.single_writer() { 1 } else { opts.jobs.max(1) };
    let mut conns = Vec::new();
    for _ in 0..n {
        let mut c = TargetConn::connect(&opts.target).await?;
        for s in engine.readback_session_setup() {
            c.execute(s).await?;
        }
        conns.push(c);
    }
    Ok(conns)
}

fn new_report(opts: &VerifyOptions<'_>, schema: &SourceSchema, conns: &[TargetConn], mode: SchemaMode) -> VerifyReport {
    VerifyReport {
        source: opts.source.display().to_string(),
        source_fingerprint: schema.fingerprint.clone(),
        target: opts.target.to_string(),
        server_version: conns.first().map(|c| c.version().to_string()).unwrap_or_default(),
        level: match opts.level {
            VerifyLevel::Count => "count".into(),
            VerifyLevel::Checksum => "checksum".into(),
        },
        schema_mode: format!("{mode:?}").to_lowercase(),
        started_at: crate::copy::state::now(),
        ..Default::default()
    }
}
