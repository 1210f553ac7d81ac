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
//! differ. Then, in the target: foreign-key orphans and identity counters, and whether
//! the source changed since the migration's snapshot.

pub mod canon;
pub mod report;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::Config;
use crate::copy::progress::{Progress, ProgressMode};
use crate::copy::state::{State, StateError};
use crate::copy::{self, KeySpec, MigrateError, SchemaMode, TableJob};
use crate::plan::{self, Finding, Level, Plan, PlanOptions};
use crate::report::Reject;
use crate::schema::SourceSchema;
use crate::source::{Source, SourceError};
use crate::target::conn::{TargetConn, TargetError};
use crate::target::url::TargetUrl;
use crate::target::Dialect;
use crate::types::ColumnType;
use crate::value::Value;
pub use report::{ColumnDiff, FkVerdict, IdentityVerdict, RowDiff, TableVerdict, VerifyReport};

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

/// One table as verify compares it.
#[derive(Clone)]
struct Spec {
    job: TableJob,
    types: Vec<ColumnType>,
    /// Indexes of the primary key columns in a converted row; empty: compare as a multiset.
    key: Vec<usize>,
}

/// Count and wrapping sum of row hashes of each segment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sums {
    rows: u64,
    segments: Vec<(u64, u64)>,
}

impl Sums {
    fn new() -> Sums {
        Sums { rows: 0, segments: vec![(0, 0); SEGMENTS] }
    }

    fn add(&mut self, segment: usize, row_hash: u64) {
        self.rows += 1;
        let s = &mut self.segments[segment];
        s.0 += 1;
        s.1 = s.1.wrapping_add(row_hash);
    }

    fn checksum(&self) -> String {
        let mut bytes = Vec::with_capacity(SEGMENTS * 16);
        for (n, s) in &self.segments {
            bytes.extend_from_slice(&n.to_le_bytes());
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        format!("{:016x}", canon::hash(&bytes))
    }

    fn differing(&self, other: &Sums) -> Vec<usize> {
        (0..SEGMENTS).filter(|i| self.segments[*i] != other.segments[*i]).collect()
    }
}

/// A row kept while narrowing: its key bytes, hash, label and values.
struct Kept {
    key: Vec<u8>,
    hash: u64,
    label: String,
    values: Vec<Value>,
}

/// What one side of one table produced.
struct Side {
    sums: Sums,
    /// Wall time of reading this side of the table.
    seconds: f64,
    rejected: u64,
    rejects: Vec<Reject>,
    kept: Vec<Kept>,
}

/// Hash a converted row: (segment, row hash). `buf` is left holding the key's canonical
/// bytes (empty without a key), which the caller copies only for the rows it keeps.
fn digest(spec: &Spec, values: &[Value], buf: &mut Vec<u8>) -> (usize, u64) {
    canon::row_bytes(buf, values, &spec.types, 0..spec.types.len());
    let row_hash = canon::hash(buf);
    let seg_hash = if spec.key.is_empty() {
        buf.clear();
        row_hash
    } else {
        canon::row_bytes(buf, values, &spec.types, spec.key.iter().copied());
        canon::hash(buf)
    };
    (usize::try_from(seg_hash % SEGMENTS as u64).unwrap_or(0), row_hash)
}

fn key_label(spec: &Spec, values: &[Value]) -> String {
    spec.key
        .iter()
        .map(|i| {
            let c = &spec.job.columns[*i];
            format!("{c}={}", values.get(*i).map_or("?".into(), |v| shown_value(c, v)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value in a listing: credentials by their length only.
fn shown_value(column: &str, v: &Value) -> String {
    if canon::sensitive(column) {
        canon::hidden(v)
    } else {
        canon::display(v)
    }
}

fn values_label(spec: &Spec, values: &[Value]) -> String {
    let shown: Vec<String> =
        spec.job.columns.iter().zip(values).take(4).map(|(c, v)| format!("{c}={}", shown_value(c, v))).collect();
    let more = if values.len() > 4 { ", …" } else { "" };
    format!("row ({}{more})", shown.join(", "))
}

/// Read one table of the source through the conversion rules. With `only`, keep the rows
/// of those segments.
fn source_side(
    conn: &rusqlite::Connection,
    spec: &Spec,
    only: Option<&BTreeSet<usize>>,
    progress: &Progress,
) -> Result<Side, String> {
    let job = &spec.job;
    let fail = |e: rusqlite::Error| format!("reading table {} of the source: {e}", job.source_name);
    let mut st = conn.prepare(&job.select).map_err(fail)?;
    let mut rows = st.query([]).map_err(fail)?;
    let mut side = Side { sums: Sums::new(), seconds: 0.0, rejected: 0, rejects: Vec::new(), kept: Vec::new() };
    let mut buf = Vec::with_capacity(256);
    let mut seen = 0u64;
    while let Some(row) = rows.next().map_err(fail)? {
        seen += 1;
        if seen % 65_536 == 0 {
            progress.rows(&job.source_name, 65_536);
            if crate::interrupt::requested().is_some() {
                return Err(format!("interrupted while reading table {} of the source", job.source_name));
            }
        }
        let values = match copy::convert_row(row, job) {
            Ok(v) => v,
            Err(reject) => {
                side.rejected += 1;
                if side.rejects.len() < MAX_REJECT_SAMPLES {
                    side.rejects.push(*reject);
                }
                continue;
            }
        };
        let (seg, hash) = digest(spec, &values, &mut buf);
        side.sums.add(seg, hash);
        if only.is_some_and(|o| o.contains(&seg)) {
            let label = match &job.key {
                KeySpec::Rowid => copy::row_key(row, job),
                KeySpec::Columns(_) => key_label(spec, &values),
            };
            side.kept.push(Kept { key: buf.clone(), hash, label, values });
        }
    }
    Ok(side)
}

/// Read one table back from the target. With `only`, keep the rows of those segments.
async fn target_side(
    conn: &mut TargetConn,
    schema: Option<&str>,
    spec: &Spec,
    only: Option<&BTreeSet<usize>>,
) -> Result<Side, TargetError> {
    let mut side = Side { sums: Sums::new(), seconds: 0.0, rejected: 0, rejects: Vec::new(), kept: Vec::new() };
    let mut buf = Vec::with_capacity(256);
    let mut on_row = |values: Vec<Value>| {
        let (seg, hash) = digest(spec, &values, &mut buf);
        side.sums.add(seg, hash);
        if only.is_some_and(|o| o.contains(&seg)) {
            let label = if spec.key.is_empty() { values_label(spec, &values) } else { key_label(spec, &values) };
            side.kept.push(Kept { key: buf.clone(), hash, label, values });
        }
    };
    conn.read_rows(schema, &spec.job.target_name, &spec.job.columns, &spec.types, &mut on_row).await?;
    Ok(side)
}

/// Name the rows that differ between the kept rows of both sides.
fn diff_rows(spec: &Spec, source: Vec<Kept>, target: Vec<Kept>) -> Vec<RowDiff> {
    let mut out = Vec::new();
    if spec.key.is_empty() {
        // Multiset: per row hash, the surplus of either side.
        let mut by_hash: HashMap<u64, (Vec<Kept>, Vec<Kept>)> = HashMap::new();
        for k in source {
            by_hash.entry(k.hash).or_default().0.push(k);
        }
        for k in target {
            by_hash.entry(k.hash).or_default().1.push(k);
        }
        let mut groups: Vec<(Vec<Kept>, Vec<Kept>)> = by_hash.into_values().collect();
        groups.sort_by(|a, b| natural_cmp(&label_of(a), &label_of(b)));
        for (mut s, mut t) in groups {
            let common = s.len().min(t.len());
            s.drain(..common);
            t.drain(..common);
            for k in s {
                let label = format!("{} {}", k.label, values_label(spec, &k.values));
                out.push(RowDiff { kind: "missing".into(), key: label, columns: Vec::new() });
            }
            for k in t {
                out.push(RowDiff { kind: "extra".into(), key: k.label, columns: Vec::new() });
            }
        }
        return out;
    }
    let mut target_by_key: HashMap<Vec<u8>, Vec<Kept>> = HashMap::new();
    for k in target {
        target_by_key.entry(k.key.clone()).or_default().push(k);
    }
    let mut source = source;
    source.sort_by(|a, b| natural_cmp(&a.label, &b.label));
    for s in source {
        match target_by_key.get_mut(&s.key).and_then(|v| if v.is_empty() { None } else { Some(v.remove(0)) }) {
            None => out.push(RowDiff { kind: "missing".into(), key: s.label, columns: Vec::new() }),
            Some(t) if t.hash != s.hash => {
                let columns = column_diffs(spec, &s, &t);
                out.push(RowDiff { kind: "different".into(), key: s.label, columns })
            }
            Some(_) => {}
        }
    }
    let mut extra: Vec<Kept> = target_by_key.into_values().flatten().collect();
    extra.sort_by(|a, b| natural_cmp(&a.label, &b.label));
    for t in extra {
        out.push(RowDiff { kind: "extra".into(), key: t.label, columns: Vec::new() });
    }
    out
}

/// Order labels as a person reads them: `id=2` before `id=10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (nx, ny) = (run(x), run(y));
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let trim = |d: &[u8]| -> usize { d.iter().take_while(|c| **c == b'0').count() };
                let (tx, ty) = (&dx[trim(dx)..], &dy[trim(dy)..]);
                let ord = tx.len().cmp(&ty.len()).then(tx.cmp(ty));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

#[test]
fn labels_sort_naturally() {
    let mut v = vec!["id=10", "id=2", "id=1", "rowid=3 row (a=1)"];
    v.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(v, ["id=1", "id=2", "id=10", "rowid=3 row (a=1)"]);
}

fn label_of(g: &(Vec<Kept>, Vec<Kept>)) -> String {
    g.0.first().or(g.1.first()).map(|k| k.label.clone()).unwrap_or_default()
}

fn column_diffs(spec: &Spec, s: &Kept, t: &Kept) -> Vec<ColumnDiff> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut out = Vec::new();
    for (i, ty) in spec.types.iter().enumerate() {
        a.clear();
        b.clear();
        let (Some(sv), Some(tv)) = (s.values.get(i), t.values.get(i)) else { continue };
        canon::push(&mut a, sv, ty);
        canon::push(&mut b, tv, ty);
        if a != b {
            let column = spec.job.source_columns[i].clone();
            out.push(ColumnDiff { source: shown_value(&column, sv), target: shown_value(&column, tv), column });
        }
    }
    out
}

/// Run a verification.
pub async fn verify(opts: &VerifyOptions<'_>) -> Result<VerifyReport, VerifyError> {
    let started = Instant::now();
    let progress = Arc::new(Progress::new(opts.progress));
    if let Some(path) = opts.target.sqlite_path() {
        if !path.exists() {
            return Err(VerifyError::Refused(format!(
                "the target SQLite file {} does not exist; pass the file the migration wrote (--to sqlite://PATH)",
                path.display()
            )));
        }
    }
    let mut source = Source::open(&opts.source)?;
    let schema = source.snapshot()?;
    let excluded = copy::select_tables(&schema, &opts.include, &opts.exclude)?;
    let plan = plan::build(
        &schema,
        &PlanOptions {
            dialect: opts.target.dialect,
            target_schema: opts.target_schema.clone(),
            config: opts.config,
            excluded,
        },
    )?;
    let state = match &opts.state_file {
        Some(p) if p.exists() => Some(State::load(p)?),
        _ => None,
    };
    let mode = opts
        .schema_mode
        .or_else(|| state.as_ref().filter(|s| s.schema_mode == "existing").map(|_| SchemaMode::Existing))
        .unwrap_or(SchemaMode::Create);
    let jobs_n = if opts.target.dialect == Dialect::Sqlite { 1 } else { opts.jobs.max(1) };
    let mut conns = Vec::new();
    for _ in 0..jobs_n {
        conns.push(TargetConn::connect(&opts.target).await?);
    }
    let mut report = VerifyReport {
        source: opts.source.display().to_string(),
        source_fingerprint: schema.fingerprint.clone(),
        target: opts.target.to_string(),
        server_version: conns.first().map(|c| c.version().to_string()).unwrap_or_default(),
        level: match opts.level {
            VerifyLevel::Count => "count".into(),
            VerifyLevel::Checksum => "checksum".into(),
        },
        schema_mode: format!("{mode:?}").to_lowercase(),
        started_at: copy::state::now(),
        ..Default::default()
    };
    for c in conns.iter_mut() {
        if c.dialect() == Dialect::Postgres {
            c.execute("SET extra_float_digits = 1; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'").await?;
        }
    }
    progress.phase("matching the source tables to the target");
    let schema_ref = plan.target_schema.as_deref();
    let (specs, mut verdicts) = table_specs(&plan, &schema, &mut conns, schema_ref, mode, state.as_ref()).await?;

    match opts.level {
        VerifyLevel::Count => count_level(&mut conns, schema_ref, &specs, &mut verdicts, state.as_ref()).await?,
        VerifyLevel::Checksum => {
            let (s, c) =
                checksum_level(opts, source, conns, schema_ref, &specs, &mut verdicts, progress.clone()).await?;
            source = s;
            conns = c;
        }
    }
    source.release()?;
    progress.phase("checking foreign keys and identity counters in the target");
    let present: BTreeSet<String> =
        verdicts.iter().filter(|v| v.status != "missing in target").map(|v| v.target_table.clone()).collect();
    if let Some(conn) = conns.first_mut() {
        report.foreign_keys = foreign_keys(conn, &plan, schema_ref, &present).await?;
        report.identities = identities(conn, &plan, &schema, &specs, schema_ref, mode).await?;
    }
    if let Some(st) = &state {
        source_changed(&mut report, st, &schema, &verdicts);
    }
    verdicts.sort_by(|a, b| (a.tier, &a.table).cmp(&(b.tier, &b.table)));
    report.tables = verdicts;
    report.ok = report.tables.iter().all(|t| t.matches())
        && report.foreign_keys.iter().all(|f| f.orphans == 0)
        && report.identities.iter().all(|i| i.ok);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Level checksum: both sides hashed at once, then the differing segments read again to name the rows.
async fn checksum_level(
    opts: &VerifyOptions<'_>,
    source: Source,
    conns: Vec<TargetConn>,
    schema_ref: Option<&str>,
    specs: &[Spec],
    verdicts: &mut [TableVerdict],
    progress: Arc<Progress>,
) -> Result<(Source, Vec<TargetConn>), VerifyError> {
    progress.phase("reading and hashing every row on both sides");
    let (src, tgt, source, mut conns) = first_pass(source, conns, schema_ref, specs.to_vec(), progress.clone()).await?;
    for (i, spec) in specs.iter().enumerate() {
        let v = verdicts.iter_mut().find(|v| v.table == spec.job.source_name);
        let Some(v) = v else { continue };
        let (s, t) = (&src[i], &tgt[i]);
        v.rows_rejected = s.rejected;
        v.rejects = s.rejects.clone();
        v.rows_target = t.sums.rows;
        v.checksum_source = s.sums.checksum();
        v.checksum_target = t.sums.checksum();
        // The two sides are read at the same time: the table took as long as the slower one.
        v.seconds = s.seconds.max(t.seconds);
        v.status = if s.sums == t.sums {
            "match".into()
        } else if s.sums.rows != t.sums.rows {
            "count mismatch".into()
        } else {
            "content mismatch".into()
        };
    }
    let mismatched: Vec<usize> = (0..specs.len()).filter(|i| src[*i].sums != tgt[*i].sums).collect();
    if !mismatched.is_empty() {
        progress.phase("narrowing the differences down to rows");
    }
    for i in mismatched {
        let spec = &specs[i];
        let mut segs = src[i].sums.differing(&tgt[i].sums);
        let total_segs = segs.len();
        // Keep memory bounded: narrow the first segments that fit the row limit.
        let mut budget = 0u64;
        let mut cut = segs.len();
        for (k, s) in segs.iter().enumerate() {
            budget += src[i].sums.segments[*s].0.max(tgt[i].sums.segments[*s].0);
            if budget > NARROW_ROW_LIMIT && k > 0 {
                cut = k;
                break;
            }
        }
        segs.truncate(cut);
        let only: BTreeSet<usize> = segs.iter().copied().collect();
        let s_side = source_side(source.connection(), spec, Some(&only), &progress).map_err(VerifyError::SourceRead)?;
        let Some(conn) = conns.first_mut() else { break };
        let t_side = target_side(conn, schema_ref, spec, Some(&only)).await?;
        let diffs = diff_rows(spec, s_side.kept, t_side.kept);
        if let Some(v) = verdicts.iter_mut().find(|v| v.table == spec.job.source_name) {
            v.diffs_total = diffs.len() as u64;
            v.diffs = diffs.into_iter().take(opts.max_diffs).collect();
            if cut < total_segs {
                v.diffs_note = Some(format!(
                    "more than {NARROW_ROW_LIMIT} rows differ: rows were listed from {cut} of the {total_segs} differing segments; the total is a lower bound"
                ));
            }
        }
    }
    Ok((source, conns))
}

/// The specs of the tables that exist in the target, and a verdict for every planned table.
async fn table_specs(
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    schema_ref: Option<&str>,
    mode: SchemaMode,
    state: Option<&State>,
) -> Result<(Vec<Spec>, Vec<TableVerdict>), VerifyError> {
    let Some(conn) = conns.first_mut() else { return Err(VerifyError::Internal("no target connection".into())) };
    let created =
        if mode == SchemaMode::Create { copy::create_jobs(plan, schema, conn.dialect())? } else { Vec::new() };
    let mut specs = Vec::new();
    let mut verdicts = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.table(&tp.source_name) else { continue };
        let mut v = TableVerdict {
            table: tp.source_name.clone(),
            target_table: tp.target_name.clone(),
            tier: tp.tier,
            rows_source: t.row_count,
            multiset: t.primary_key.is_none(),
            ..Default::default()
        };
        if let Some(ts) = state.and_then(|s| s.tables.get(&tp.source_name)) {
            v.rows_rejected = ts.rows_rejected;
        }
        if !conn.table_exists(schema_ref, &tp.target_name).await? {
            v.status = "missing in target".into();
            verdicts.push(v);
            continue;
        }
        let job = match mode {
            SchemaMode::Create => created.iter().find(|j| j.source_name == tp.source_name).cloned(),
            SchemaMode::Existing => {
                let catalog = conn.columns(schema_ref, &tp.target_name).await?;
                match copy::existing_job(t, tp, &catalog, conn.dialect(), true) {
                    Ok(j) => Some(j),
                    Err(problems) => {
                        v.status = "not comparable".into();
                        v.problem = Some(problems.join("; "));
                        None
                    }
                }
            }
        };
        let Some(job) = job else {
            verdicts.push(v);
            continue;
        };
        let key = match &job.key {
            KeySpec::Columns(cols) => cols.iter().map(|(i, _)| i - job.offset).collect(),
            KeySpec::Rowid => Vec::new(),
        };
        let types = job.types.iter().map(|(t, _)| *t).collect();
        v.status = "match".into();
        verdicts.push(v);
        specs.push(Spec { job, types, key });
    }
    Ok((specs, verdicts))
}

/// Level count: the target's count against the source's, less the rows the migration rejected.
async fn count_level(
    conns: &mut [TargetConn],
    schema_ref: Option<&str>,
    specs: &[Spec],
    verdicts: &mut [TableVerdict],
    state: Option<&State>,
) -> Result<(), VerifyError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    for spec in specs {
        let n = conn.count(schema_ref, &spec.job.target_name).await?;
        let Some(v) = verdicts.iter_mut().find(|v| v.table == spec.job.source_name) else { continue };
        v.rows_target = n;
        let rejected = state.and_then(|s| s.tables.get(&spec.job.source_name)).map_or(0, |t| t.rows_rejected);
        if n + rejected != v.rows_source {
            v.status = "count mismatch".into();
        }
    }
    Ok(())
}

type Pass = (Vec<Side>, Vec<Side>, Source, Vec<TargetConn>);

/// Both sides at once: one thread reads the source snapshot table by table, while each
/// target connection reads the next table of the queue (longest first).
async fn first_pass(
    source: Source,
    conns: Vec<TargetConn>,
    schema_ref: Option<&str>,
    specs: Vec<Spec>,
    progress: Arc<Progress>,
) -> Result<Pass, VerifyError> {
    let specs = Arc::new(specs);
    let n = specs.len();
    let src_specs = specs.clone();
    let src_progress = progress.clone();
    let source_task = tokio::task::spawn_blocking(move || {
        let mut sides = Vec::with_capacity(n);
        for spec in src_specs.iter() {
            let t0 = Instant::now();
            src_progress.table_started_as(&spec.job.source_name, spec.job.rows_source, "reading and hashing");
            match source_side(source.connection(), spec, None, &src_progress) {
                Ok(mut side) => {
                    side.seconds = t0.elapsed().as_secs_f64();
                    src_progress.table_read(
                        &spec.job.source_name,
                        side.sums.rows,
                        side.rejected,
                        t0.elapsed().as_secs_f64(),
                    );
                    sides.push(side);
                }
                Err(m) => return Err(m),
            }
        }
        Ok((sides, source))
    });
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| specs[*b].job.rows_source.cmp(&specs[*a].job.rows_source));
    let queue = Arc::new(Mutex::new(order.into_iter().collect::<VecDeque<usize>>()));
    let schema_owned = schema_ref.map(str::to_string);
    let mut workers = Vec::new();
    for mut conn in conns {
        let queue = queue.clone();
        let specs = specs.clone();
        let schema = schema_owned.clone();
        workers.push(tokio::spawn(async move {
            let mut done: Vec<(usize, Side)> = Vec::new();
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(i) = next else { break };
                let t0 = Instant::now();
                match target_side(&mut conn, schema.as_deref(), &specs[i], None).await {
                    Ok(mut side) => {
                        side.seconds = t0.elapsed().as_secs_f64();
                        done.push((i, side))
                    }
                    Err(e) => return (conn, Err(e)),
                }
            }
            (conn, Ok(done))
        }));
    }
    let mut conns_back = Vec::new();
    let mut target: Vec<Option<Side>> = (0..n).map(|_| None).collect();
    let mut failure = None;
    for w in workers {
        let (conn, result) = w.await.map_err(|e| VerifyError::Internal(format!("a target reader stopped: {e}")))?;
        conns_back.push(conn);
        match result {
            Ok(done) => {
                for (i, side) in done {
                    target[i] = Some(side);
                }
            }
            Err(e) => failure = Some(e),
        }
    }
    let (sides, source) = match source_task.await {
        Ok(Ok(x)) => x,
        Ok(Err(m)) => return Err(VerifyError::SourceRead(m)),
        Err(e) => return Err(VerifyError::Internal(format!("the source reader stopped: {e}"))),
    };
    if let Some(e) = failure {
        return Err(VerifyError::Target(e));
    }
    let target: Vec<Side> = target
        .into_iter()
        .map(|s| s.ok_or_else(|| VerifyError::Internal("a table was not read back".into())))
        .collect::<Result<_, _>>()?;
    Ok((sides, target, source, conns_back))
}

/// Orphan rows of every planned foreign key between tables present in the target.
async fn foreign_keys(
    conn: &mut TargetConn,
    plan: &Plan,
    schema: Option<&str>,
    present: &BTreeSet<String>,
) -> Result<Vec<FkVerdict>, VerifyError> {
    let dialect = conn.dialect();
    let q = |c: &str| dialect.engine().quote(c);
    let cast = |e: String| match dialect {
        Dialect::MariaDb => format!("CAST({e} AS CHAR)"),
        _ => format!("CAST({e} AS TEXT)"),
    };
    let mut out = Vec::new();
    for tp in plan.tables.iter().filter(|t| present.contains(&t.target_name)) {
        for fk in tp.foreign_keys.iter().filter(|f| present.contains(&f.parent_table)) {
            let mut cond: Vec<String> = fk.columns.iter().map(|c| format!("c.{} IS NOT NULL", q(c))).collect();
            let join: Vec<String> =
                fk.columns.iter().zip(&fk.parent_columns).map(|(c, p)| format!("p.{} = c.{}", q(p), q(c))).collect();
            cond.push(format!(
                "NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
                conn.table_ref(schema, &fk.parent_table),
                join.join(" AND ")
            ));
            let from = format!("FROM {} c WHERE {}", conn.table_ref(schema, &tp.target_name), cond.join(" AND "));
            let count_sql = match dialect {
                Dialect::MariaDb => format!("SELECT CAST(count(*) AS SIGNED) {from}"),
                _ => format!("SELECT count(*) {from}"),
            };
            let orphans = u64::try_from(conn.scalar(&count_sql).await?).unwrap_or(0);
            let mut samples = Vec::new();
            if orphans > 0 {
                let shown = if tp.primary_key.is_empty() { &fk.columns } else { &tp.primary_key };
                let parts: Vec<String> = shown
                    .iter()
                    .map(|c| {
                        let lit = dialect.engine().string_literal(&format!("{c}="));
                        format!("{lit} || COALESCE({}, 'NULL')", cast(format!("c.{}", q(c))))
                    })
                    .collect();
                samples = conn.strings(&format!("SELECT {} {from} LIMIT 5", parts.join(" || ', ' || "))).await?;
            }
            out.push(FkVerdict {
                name: fk.name.clone(),
                table: tp.target_name.clone(),
                columns: fk.columns.clone(),
                parent_table: fk.parent_table.clone(),
                parent_columns: fk.parent_columns.clone(),
                orphans,
                samples,
            });
        }
    }
    Ok(out)
}

/// The identity / AUTO_INCREMENT counter of every table that has one must be above its
/// largest key, and above the source's `sqlite_sequence` (SQLite never reuses the id of a
/// deleted row; neither may the target).
async fn identities(
    conn: &mut TargetConn,
    plan: &Plan,
    source: &SourceSchema,
    specs: &[Spec],
    schema: Option<&str>,
    mode: SchemaMode,
) -> Result<Vec<IdentityVerdict>, VerifyError> {
    let dialect = conn.dialect();
    let engine = dialect.engine();
    let mut out = Vec::new();
    for spec in specs {
        let Some(tp) = plan.table(&spec.job.source_name) else { continue };
        let source_table = source.table(&spec.job.source_name);
        let alias = source_table.and_then(|t| t.rowid_alias()).map(|c| c.name.clone());
        let (column, autoincrement, source_column) = match (&tp.identity, mode) {
            (Some(id), SchemaMode::Create) => (id.column.clone(), id.autoincrement, alias.clone()),
            // Existing mode: a single integer primary key column may have a sequence.
            (_, SchemaMode::Existing) if spec.key.len() == 1 => {
                let i = spec.key[0];
                if !matches!(spec.types[i], ColumnType::Integer { .. }) {
                    continue;
                }
                (spec.job.columns[i].clone(), true, spec.job.source_columns.get(i).cloned())
            }
            _ => continue,
        };
        let sqlite_sequence =
            source_table.and_then(|t| t.sequence).filter(|_| alias.is_some() && source_column == alias);
        let tref = conn.table_ref(schema, &tp.target_name);
        let max_sql = match dialect {
            Dialect::MariaDb => {
                format!("SELECT CAST(COALESCE(max({}), 0) AS SIGNED) FROM {tref}", engine.quote(&column))
            }
            _ => format!("SELECT CAST(COALESCE(max({}), 0) AS BIGINT) FROM {tref}", engine.quote(&column)),
        };
        if dialect == Dialect::Sqlite && !autoincrement {
            continue; // SQLite hands out max(rowid) + 1 by itself.
        }
        let Some(next) = conn.next_counter(schema, &tp.target_name, &column).await? else { continue };
        let max_value = conn.scalar(&max_sql).await?;
        out.push(IdentityVerdict {
            table: tp.target_name.clone(),
            column,
            max_value,
            next_value: next,
            ok: next > max_value && next > sqlite_sequence.unwrap_or(0),
            sqlite_sequence,
        });
    }
    Ok(out)
}

/// Compare the snapshot with the migration's, and say which tables now differ.
fn source_changed(report: &mut VerifyReport, state: &State, schema: &SourceSchema, verdicts: &[TableVerdict]) {
    if state.source_fingerprint == schema.fingerprint {
        return;
    }
    let differing: Vec<&str> = verdicts.iter().filter(|v| !v.matches()).map(|v| v.table.as_str()).collect();
    report.findings.push(Finding::new(
        Level::Warning,
        "source_changed",
        &report.source,
        format!(
            "the source changed since the migration's snapshot (fingerprint {} then, {} now); {}",
            state.source_fingerprint,
            schema.fingerprint,
            if differing.is_empty() {
                "no table's content differs from the target (a VACUUM or a change undone)".to_string()
            } else {
                format!("tables whose content now differs from the target: {}", differing.join(", "))
            }
        ),
    ));
}
