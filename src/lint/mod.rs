//! Finding every problem before the first write: `cutover lint`.
//!
//! Lint plans the migration for one dialect (no server is touched), then reads every
//! value of the source against the planned target type with the same conversion rules
//! the copy uses, and groups what it finds by kind, table and column, with counts and
//! a few samples (row key, shortened value, reason) and what to do. Besides the values:
//! foreign-key orphans in the source (SQLite often ran with foreign_keys off), unique
//! keys that collide under the target's collation, mixed storage classes in a column,
//! and every finding of the plan (tables without a primary key, epoch integers in date
//! columns, names shortened or colliding, objects that will not migrate).
//!
//! `cheap_checks` is the part without a full value scan; `migrate` runs it first.

#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::Config;
use crate::convert::convert;
use crate::job::{self, TableJob};
use crate::plan::{self, Level, Plan, PlanOptions};
use crate::schema::SourceSchema;
use crate::source::{Source, SourceError};
use crate::target::Dialect;
use crate::types::ColumnType;
use crate::value::SourceValue;
use source_keys::{check_violations, fk_orphans, unique_collisions};

mod rowid_proof;
mod source_keys;

pub struct LintOptions<'a> {
    pub source: PathBuf,
    pub dialect: Dialect,
    pub config: &'a Config,
    pub target_schema: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Samples kept per finding.
    pub samples: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error("{0}")]
    Refused(String),
    #[error("reading table {table} of the source: {reason}")]
    Read { table: String, reason: String },
    /// The live target of `--schema existing` could not be read.
    #[error(transparent)]
    Target(#[from] crate::target::conn::TargetError),
}

impl LintError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, LintError::Refused(_) | LintError::Plan(_))
    }
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct LintReport {
    pub source: String,
    pub dialect: String,
    pub tables: usize,
    pub rows_read: u64,
    pub values_read: u64,
    pub seconds: f64,
    /// Sorted: errors first, then by table, column and code.
    pub findings: Vec<LintFinding>,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LintFinding {
    pub level: Level,
    /// Stable id: a conversion kind (`not_a_boolean`, `too_long`, …), `fk_orphans`,
    /// `unique_collision`, `mixed_storage`, or a plan finding's code.
    pub code: String,
    pub table: Option<String>,
    pub column: Option<String>,
    /// Rows (or values, or groups) affected; 1 for a finding about the schema.
    pub count: u64,
    pub message: String,
    /// What to do about it.
    pub hint: String,
    pub samples: Vec<LintSample>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LintSample {
    /// The row's key (`id=42`, `rowid=7`).
    pub key: String,
    /// The value, shortened.
    pub value: String,
    pub reason: String,
}

impl LintFinding {
    /// The finding as lint prints it: level, code, place, rows, samples, what to do.
    pub fn render(&self) -> String {
        use crate::output::{plural, thousands};
        let f = self;
        let place = match (&f.table, &f.column) {
            (Some(t), Some(c)) => format!("{t}.{c}"),
            (Some(t), None) => t.clone(),
            _ => "source".into(),
        };
        let level = if f.level == Level::Error { "error" } else { "warning" };
        let count = if f.count > 1 {
            format!(" ({} {})", thousands(f.count), plural(f.count, "row", "rows"))
        } else {
            String::new()
        };
        let mut out = format!("\n{level} [{}] {place}{count}: {}\n", f.code, f.message);
        for s in &f.samples {
            out.push_str(&format!("    {}: {} ({})\n", s.key, s.value, s.reason));
        }
        // A collision's samples are groups of rows, not rows: its message counts both.
        if f.count > f.samples.len() as u64 && !f.samples.is_empty() && f.code != "unique_collision" {
            out.push_str(&format!("    … {} more\n", thousands(f.count - f.samples.len() as u64)));
        }
        if !f.hint.is_empty() {
            out.push_str(&format!("  fix: {}\n", f.hint));
        }
        out
    }
}

impl LintReport {
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    pub(crate) fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (std::cmp::Reverse(a.level), &a.table, &a.column, &a.code).cmp(&(
                std::cmp::Reverse(b.level),
                &b.table,
                &b.column,
                &b.code,
            ))
        });
        self.errors = self.findings.iter().filter(|f| f.level == Level::Error).count();
        self.warnings = self.findings.iter().filter(|f| f.level == Level::Warning).count();
    }

    pub fn render(&self) -> String {
        use crate::output::{plural, thousands};
        let tables = self.tables as u64;
        let mut out = format!(
            "lint {} for {}: {} {}, {} {}, {} values read in {:.2} s\n",
            self.source,
            self.dialect,
            tables,
            plural(tables, "table", "tables"),
            thousands(self.rows_read),
            plural(self.rows_read, "row", "rows"),
            thousands(self.values_read),
            self.seconds
        );
        for f in self.findings.iter().filter(|f| f.level != Level::Info) {
            out.push_str(&f.render());
        }
        let infos = self.findings.iter().filter(|f| f.level == Level::Info).count();
        out.push_str(&format!(
            "\n{}: {} error(s), {} warning(s){}\n",
            if self.has_errors() { "NOT READY" } else { "READY" },
            self.errors,
            self.warnings,
            if infos > 0 { format!(", {infos} note(s) (--json lists them)") } else { String::new() }
        ));
        out
    }
}

/// Run lint: plan, every plan finding, then the checks that read the data.
///
/// On two connections, each reading in transactions of its own: the findings are those
/// of one state of the file only if nothing was committed to it meanwhile, which a
/// `Watch` from before either connection read proves. Otherwise (an application wrote
/// to the file during the run) lint runs again on one connection, inside one snapshot.
pub fn lint(opts: &LintOptions<'_>) -> Result<LintReport, LintError> {
    let started = Instant::now();
    let (report, watch) = lint_on(opts, true)?;
    // No watch: one connection did everything, inside one snapshot.
    if watch.is_none_or(|w| w.held()) {
        return Ok(report);
    }
    let (mut report, _) = lint_on(opts, false)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// `lint` on two connections (`parallel`, for a file), or on one inside one snapshot;
/// with the watch that must still hold for two connections' findings to stand.
fn lint_on(opts: &LintOptions<'_>, parallel: bool) -> Result<(LintReport, Option<crate::source::Watch>), LintError> {
    let started = Instant::now();
    let mut source = Source::open(&opts.source)?;
    source.map_pages()?;
    // The statistics the plan needs are read over this connection and extra readers of
    // the same snapshot, while the second connection below checks the foreign keys; on
    // one connection (`parallel` off) nothing else reads.
    if !parallel {
        source.no_extra_readers();
    }
    let watch = if parallel { source.watch() } else { None };
    // A second connection checks the foreign keys from the start, while this one reads
    // the statistics the plan needs; then both scan tables from one queue, largest first
    // (a dump loaded into a temporary database has only the one connection, and so has
    // a file that cannot be watched).
    let second = if watch.is_some() { Some(Source::open(&opts.source)?) } else { None };
    let parallel_scans = second.is_some();
    // The first connection hands the planned queue to the second (None when it could not plan).
    type Queue = std::sync::Arc<(Vec<TableJob>, Vec<usize>)>;
    let (queue_tx, queue_rx) = std::sync::mpsc::channel::<Option<Queue>>();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<(usize, Result<Scan, LintError>)>> = std::sync::Mutex::new(Vec::new());
    let scan_queue = |conn: &rusqlite::Connection, (jobs, order): &(Vec<TableJob>, Vec<usize>)| loop {
        let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let Some(&i) = order.get(k) else { break };
        let scan = scan_table(conn, &jobs[i], opts.samples);
        if let Ok(mut r) = results.lock() {
            r.push((i, scan));
        }
    };
    let (planned, orphans) = std::thread::scope(|scope| {
        let scan_queue = &scan_queue;
        let keys = second.map(|mut s2| {
            scope.spawn(move || {
                let found = key_checks_alone(&mut s2, opts);
                if let Ok(Some(q)) = queue_rx.recv() {
                    scan_queue(s2.connection(), &q);
                }
                found
            })
        });
        let planned = plan_and_jobs(&mut source, opts).map(|(schema, plan, jobs)| {
            // Two connections: a table with more rows than all the others is read in two
            // rowid ranges, so that both can read it at once (its findings are merged
            // below, in range order).
            let jobs = if parallel_scans { split_largest(jobs) } else { jobs };
            let mut order: Vec<usize> = (0..jobs.len()).collect();
            order.sort_by(|a, b| jobs[*b].rows_source.cmp(&jobs[*a].rows_source));
            (schema, plan, Queue::new((jobs, order)))
        });
        let queue = planned.as_ref().ok().map(|(_, _, q)| q.clone());
        let _ = queue_tx.send(queue.clone());
        if let Some(q) = &queue {
            scan_queue(source.connection(), q);
        }
        let orphans =
            keys.map(|h| h.join().unwrap_or_else(|_| Err(LintError::Refused("the key check stopped".into()))));
        (planned, orphans)
    });
    let (schema, plan, queue) = planned?;
    let jobs = &queue.0;
    let mut report = LintReport {
        source: opts.source.display().to_string(),
        dialect: opts.dialect.to_string(),
        tables: plan.tables.len(),
        ..Default::default()
    };
    report.findings.extend(plan_findings(&plan));
    match orphans {
        Some(found) => report.findings.extend(found?),
        None => report.findings.extend(fk_orphans(
            source.connection(),
            &schema,
            &selected(&plan),
            plan.dialect,
            opts.samples,
        )?),
    }
    report.findings.extend(unique_collisions(source.connection(), &schema, &plan, opts.samples)?);
    report.findings.extend(check_violations(source.connection(), &schema, &plan, opts.samples)?);
    let mut scans = results.into_inner().map_err(|_| LintError::Refused("a table scan stopped".into()))?;
    scans.sort_by_key(|(i, _)| *i);
    if scans.len() != jobs.len() {
        return Err(LintError::Refused("a table was not read".into()));
    }
    let mut whole: Option<(usize, Scan)> = None;
    for (i, scan) in scans {
        let scan = scan?;
        report.rows_read += scan.rows;
        report.values_read += scan.rows * jobs[i].types.len() as u64;
        // The next range of the table before: one scan of the whole table.
        match &mut whole {
            Some((w, so_far))
                if jobs[i].part.is_some_and(|p| p.index > 0) && jobs[*w].source_name == jobs[i].source_name =>
            {
                so_far.merge(scan, opts.samples)
            }
            _ => {
                if let Some((w, done)) = whole.replace((i, scan)) {
                    report.findings.extend(scan_findings(&jobs[w], done));
                }
            }
        }
    }
    if let Some((w, done)) = whole {
        report.findings.extend(scan_findings(&jobs[w], done));
    }
    source.release()?;
    report.seconds = started.elapsed().as_secs_f64();
    report.finish();
    Ok((report, watch))
}

type Planned = (SourceSchema, Plan, Vec<TableJob>);

/// Tables of fewer rows are never split (the same threshold as migrate's).
const SPLIT_ROWS: u64 = 100_000;

/// The jobs, with the largest table split into two rowid ranges when it alone has more
/// rows than every other table together (it would keep one connection busy while the
/// other runs out of tables); its parts stay next to each other, in range order.
fn split_largest(jobs: Vec<TableJob>) -> Vec<TableJob> {
    let total: u64 = jobs.iter().map(|j| j.rows_source).sum();
    let Some(largest) = jobs.iter().map(|j| j.rows_source).max() else { return jobs };
    if largest < SPLIT_ROWS || largest <= total - largest {
        return jobs;
    }
    let mut done = false;
    jobs.into_iter()
        .flat_map(|j| {
            // In rowid order only (a table read in SQLite's own order keeps one scan, so
            // that its samples are those of one scan).
            if !done && j.rows_source == largest && !j.select_order.is_empty() {
                done = true;
                j.split(2)
            } else {
                vec![j]
            }
        })
        .collect()
}

fn plan_and_jobs(source: &mut Source, opts: &LintOptions<'_>) -> Result<Planned, LintError> {
    let schema = source.snapshot()?;
    let plan = plan_for(opts, &schema)?;
    let jobs = job::create_jobs(&plan, &schema, opts.dialect).map_err(|e| LintError::Refused(e.to_string()))?;
    Ok((schema, plan, jobs))
}

/// Foreign-key orphans on a connection of its own, from the schema without statistics
/// and the same table selection as the plan's.
fn key_checks_alone(source: &mut Source, opts: &LintOptions<'_>) -> Result<Vec<LintFinding>, LintError> {
    source.map_pages()?;
    let schema = source.read_schema_with(crate::source::StatsScope::Nothing)?;
    let excluded =
        job::select_tables(&schema, &opts.include, &opts.exclude).map_err(|e| LintError::Refused(e.to_string()))?;
    let chosen: std::collections::BTreeSet<String> = schema
        .tables
        .iter()
        .filter(|t| !excluded.contains(&t.name) && !opts.config.table(&t.name).is_some_and(|c| c.skip))
        .map(|t| t.name.clone())
        .collect();
    fk_orphans(source.connection(), &schema, &chosen, opts.dialect, opts.samples)
}

/// The source names of the planned tables.
fn selected(plan: &Plan) -> std::collections::BTreeSet<String> {
    plan.tables.iter().map(|t| t.source_name.clone()).collect()
}

/// The checks without a value scan (plan errors, FK orphans, unique collisions): what
/// `migrate` runs before it writes anything.
pub fn cheap_checks(
    source: &Source,
    schema: &SourceSchema,
    plan: &Plan,
    samples: usize,
) -> Result<Vec<LintFinding>, LintError> {
    // Each check scans a table: spread them over readers of the same snapshot, when the
    // source can prove there are such (`Source::extra_readers`).
    let mut extras = source.readers_for(source_keys::key_check_count(schema, plan))?;
    source_keys::key_checks(source.connection(), &mut extras, schema, plan, samples)
}

pub(crate) fn plan_for(opts: &LintOptions<'_>, schema: &SourceSchema) -> Result<Plan, LintError> {
    let excluded =
        job::select_tables(schema, &opts.include, &opts.exclude).map_err(|e| LintError::Refused(e.to_string()))?;
    Ok(plan::build(
        schema,
        &PlanOptions {
            dialect: opts.dialect,
            target_schema: opts.target_schema.clone(),
            config: opts.config,
            excluded,
        },
    )?)
}

/// Every finding of the plan, and every object left out, as lint findings.
fn plan_findings(plan: &Plan) -> Vec<LintFinding> {
    let mut out: Vec<LintFinding> = plan
        .findings
        .iter()
        .map(|f| {
            let (table, column) = object_place(plan, &f.object);
            // The plan notes it; before a go-live it is worth a warning (Galera and other
            // clustered targets refuse such tables, and verify can only compare multisets).
            let level = if f.code == "no_primary_key" { Level::Warning } else { f.level };
            LintFinding {
                level,
                code: f.code.clone(),
                table,
                column,
                count: 1,
                message: f.message.clone(),
                hint: String::new(),
                samples: Vec::new(),
            }
        })
        .collect();
    for l in &plan.left_out {
        if plan.findings.iter().any(|f| f.object == l.name) {
            continue;
        }
        // Tables the user left out on purpose are not a problem to report.
        if l.kind == "table" {
            continue;
        }
        // A virtual table's shadow tables are its storage: the virtual table's own finding covers them.
        let shadow = l.kind == "shadow table";
        out.push(LintFinding {
            level: if shadow { Level::Info } else { Level::Warning },
            code: "not_migrated".into(),
            table: Some(l.name.clone()),
            column: None,
            count: 1,
            message: format!("{} {} will not be migrated: {}", l.kind, l.name, l.reason),
            hint: "re-create it by hand in the target after the migration, if the application needs it".into(),
            samples: Vec::new(),
        });
    }
    out
}

/// The table and column a plan finding's object names: `table`, `table.column`, or
/// with a kind first (`column orders.note`, `table orders`), where the table is planned
/// under its source name.
fn object_place(plan: &Plan, object: &str) -> (Option<String>, Option<String>) {
    let bare = ["table ", "column ", "index ", "view ", "trigger "]
        .iter()
        .find_map(|k| object.strip_prefix(k))
        .unwrap_or(object);
    if plan.table(bare).is_some() {
        return (Some(bare.to_string()), None);
    }
    // Table names may contain dots: try every split, longest table name first.
    for (i, _) in bare.match_indices('.').collect::<Vec<_>>().into_iter().rev() {
        let (t, c) = (&bare[..i], &bare[i + 1..]);
        if plan.table(t).is_some() {
            return (Some(t.to_string()), Some(c.to_string()));
        }
    }
    (Some(bare.to_string()), None)
}

/// What one table's scan (or one rowid range of it) found: rows read, and per column
/// what `findings` turns into findings.
struct Scan {
    rows: u64,
    tallies: Vec<ColumnTally>,
}

/// Per column: failures by kind (count, samples), the storage classes seen, and the
/// first value of each class in the order they appeared (the second is the sample of a
/// mixed column).
#[derive(Default)]
struct ColumnTally {
    failures: BTreeMap<String, (u64, Vec<LintSample>)>,
    classes: u8,
    firsts: Vec<(u8, LintSample)>,
}

const NUMERIC: u8 = 1;
const TEXT: u8 = 2;
const BLOB: u8 = 4;

impl Scan {
    /// Add the scan of the next rowid range of the same table (kept in range order, so
    /// samples and the classes' order are those of one scan of the whole table).
    fn merge(&mut self, next: Scan, samples: usize) {
        self.rows += next.rows;
        for (mine, theirs) in self.tallies.iter_mut().zip(next.tallies) {
            for (kind, (count, found)) in theirs.failures {
                let entry = mine.failures.entry(kind).or_default();
                entry.0 += count;
                let room = samples.saturating_sub(entry.1.len());
                entry.1.extend(found.into_iter().take(room));
            }
            for (class, first) in theirs.firsts {
                if mine.classes & class == 0 {
                    mine.classes |= class;
                    mine.firsts.push((class, first));
                }
            }
        }
    }
}

/// Read every value of one table (or one rowid range of it) against its planned type.
fn scan_table(conn: &rusqlite::Connection, job: &TableJob, samples: usize) -> Result<Scan, LintError> {
    let fail = |e: rusqlite::Error| LintError::Read { table: job.source_name.clone(), reason: e.to_string() };
    let mut st = conn.prepare(&job.select).map_err(fail)?;
    let mut rows = st.query([]).map_err(fail)?;
    let mut tallies: Vec<ColumnTally> = job.types.iter().map(|_| ColumnTally::default()).collect();
    let mut n = 0u64;
    while let Some(row) = rows.next().map_err(fail)? {
        n += 1;
        for (c, (ty, ctx)) in job.types.iter().enumerate() {
            let raw = row.get_ref(c + job.offset).map(SourceValue::from).unwrap_or(SourceValue::Null);
            let tally = &mut tallies[c];
            let class = match raw {
                SourceValue::Null => 0,
                SourceValue::Integer(_) | SourceValue::Real(_) => NUMERIC,
                SourceValue::Text(_) => TEXT,
                SourceValue::Blob(_) => BLOB,
            };
            if class != 0 && tally.classes & class == 0 {
                let class_name = raw.storage_class();
                let article = if class_name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                let first = LintSample {
                    key: job::row_key(row, job),
                    value: job::describe(raw),
                    reason: format!("{article} {class_name} value"),
                };
                tally.firsts.push((class, first));
                tally.classes |= class;
            }
            let failure = match raw {
                // SQLite lets NULL into a primary key that is not a rowid alias.
                SourceValue::Null if job.not_null[c] => {
                    Some(("null_in_not_null".to_string(), "NULL in a NOT NULL column".to_string()))
                }
                _ if !needs_conversion(raw, ty) && job.rules[c].is_plain() => None,
                // The planned column's own rule too: an enum's labels, a MariaDB TEXT's bytes.
                _ => match convert(raw, ty, ctx) {
                    Err(e) => Some((e.kind().to_string(), e.to_string())),
                    Ok(mut v) => job::apply_rule(&mut v, &job.rules[c], *ty).map(|(k, r)| (k.to_string(), r)),
                },
            };
            if let Some((kind, reason)) = failure {
                let entry = tally.failures.entry(kind).or_default();
                entry.0 += 1;
                if entry.1.len() < samples {
                    entry.1.push(LintSample { key: job::row_key(row, job), value: job::describe(raw), reason });
                }
            }
        }
    }
    Ok(Scan { rows: n, tallies })
}

/// The findings of one table's whole scan.
fn scan_findings(job: &TableJob, scan: Scan) -> Vec<LintFinding> {
    let mut findings = Vec::new();
    for (c, tally) in scan.tallies.into_iter().enumerate() {
        let column = job.source_columns[c].clone();
        let ty = job.types[c].0;
        let had_failures = !tally.failures.is_empty();
        for (kind, (count, samples)) in tally.failures {
            findings.push(LintFinding {
                level: Level::Error,
                code: kind.clone(),
                table: Some(job.source_name.clone()),
                column: Some(column.clone()),
                count,
                message: format!("{count} value(s) will not convert to {ty} ({})", describe_kind(&kind)),
                hint: hint_for(&kind),
                samples,
            });
        }
        // Integers among date/time text are the plan's `epoch_integers` finding already.
        let temporal = matches!(ty, ColumnType::Timestamp { .. } | ColumnType::Date | ColumnType::Time);
        if !had_failures && !temporal && tally.classes.count_ones() > 1 {
            findings.push(LintFinding {
                level: Level::Warning,
                code: "mixed_storage".into(),
                table: Some(job.source_name.clone()),
                column: Some(column),
                count: 1,
                message: format!(
                    "the column holds values of more than one storage class ({}); all convert to {ty}, but the application may read them differently",
                    classes_named(tally.classes)
                ),
                hint: "check that the application expects one type here; override the column type in cutover.toml if it does not".into(),
                samples: tally.firsts.into_iter().nth(1).map(|(_, s)| s).into_iter().collect(),
            });
        }
    }
    findings
}

/// Values whose conversion cannot fail are not converted again (the hot path of lint).
fn needs_conversion(raw: SourceValue<'_>, ty: &ColumnType) -> bool {
    !matches!(
        (raw, ty),
        (SourceValue::Null, _)
            | (SourceValue::Integer(_), ColumnType::Integer { width: crate::types::IntWidth::I64, unsigned: false })
            | (SourceValue::Blob(_), ColumnType::Bytes)
    )
}

fn classes_named(classes: u8) -> String {
    let mut v = Vec::new();
    if classes & NUMERIC != 0 {
        v.push("numbers");
    }
    if classes & TEXT != 0 {
        v.push("text");
    }
    if classes & BLOB != 0 {
        v.push("blobs");
    }
    v.join(", ")
}

fn describe_kind(kind: &str) -> String {
    kind.replace('_', " ")
}

/// What to do about values of one conversion kind.
pub(crate) fn hint_for(kind: &str) -> String {
    let specific = match kind {
        "too_long" => {
            "widen the column (override it to a longer varchar or text in cutover.toml) or shorten the values"
        }
        "decimal_overflow" => "override the column to a wider decimal(p,s) in cutover.toml, or fix the values",
        "invalid_json" | "nul_in_json" => "fix the JSON in the source, or override the column to text in cutover.toml",
        "invalid_utf8" => "re-encode the text in the source (it is not UTF-8), or override the column to bytes",
        "nul_in_text" => "PostgreSQL text cannot hold NUL: strip it in the source, or override the column to bytes",
        "null_in_not_null" => "give those rows a value in the source (SQLite let NULL into this key), or delete them",
        "not_exact" => "widen the target column in the application's migration (a 4-byte float keeps about 7 digits), or fix the values",
        "not_a_label" => "add the label to the enum (in the application's migration; in create mode, to `labels` in cutover.toml), or fix the values",
        "too_many_bytes" => "widen the target column (TEXT holds 65,535 bytes, MEDIUMTEXT 16 MB), or shorten the values",
        _ => "fix the values in the source, or override the column type in cutover.toml",
    };
    format!("{specific}; or migrate with --on-error reject --reject-file FILE to set those rows aside")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The findings of a table read in rowid ranges, merged in range order, equal those
    /// of one scan of it (failures in both ranges, samples past the limit, a storage class
    /// first seen in the second range), whichever range finished first.
    #[test]
    fn ranges_merged_equal_one_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ranges.sqlite");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN, note);
                 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)
                   INSERT INTO t SELECT i, CASE WHEN i % 700 = 0 THEN 'maybe' ELSE i % 2 END,
                     CASE WHEN i <= 1700 THEN i ELSE 'n' || i END FROM s;",
            )
            .unwrap();
        let config = Config::default();
        let opts = LintOptions {
            source: path.clone(),
            dialect: Dialect::Postgres,
            config: &config,
            target_schema: None,
            include: Vec::new(),
            exclude: Vec::new(),
            samples: 3,
        };
        let mut source = Source::open(&path).unwrap();
        let (_, _, jobs) = plan_and_jobs(&mut source, &opts).unwrap();
        let job = &jobs[0];
        let conn = source.connection();
        let whole = scan_findings(job, scan_table(conn, job, 3).unwrap());
        for n in [2, 3] {
            let parts = job.split(n);
            assert_eq!(parts.len(), n, "the table is split");
            // The last range scanned first: the merge follows the ranges' order, not the
            // order they finished in.
            let mut scans: Vec<(usize, Scan)> =
                parts.iter().enumerate().rev().map(|(i, p)| (i, scan_table(conn, p, 3).unwrap())).collect();
            scans.sort_by_key(|(i, _)| *i);
            let mut merged = scans.remove(0).1;
            for (_, next) in scans {
                merged.merge(next, 3);
            }
            assert_eq!(merged.rows, 3000);
            let findings = scan_findings(job, merged);
            let json = |f: &[LintFinding]| serde_json::to_value(f).unwrap();
            assert_eq!(json(&findings), json(&whole), "{n} ranges");
        }
        let codes: Vec<(&str, u64, usize)> =
            whole.iter().map(|f| (f.code.as_str(), f.count, f.samples.len())).collect();
        assert_eq!(codes, [("not_a_boolean", 4, 3), ("mixed_storage", 1, 1)]);
        assert_eq!(whole[1].samples[0].key, "id=1701");
    }

    #[test]
    fn every_conversion_kind_has_a_hint_that_offers_reject_mode() {
        for k in crate::convert::ConvertError::KINDS {
            assert!(hint_for(k).contains("--on-error reject"), "{k}");
        }
    }
}
