//! One queue of tables through the reader and the writers: connections handed out as
//! the reader starts each table, each table recorded in the state file the moment it
//! commits, and what each table did.

use std::collections::BTreeSet;

use tokio::sync::{mpsc, oneshot};

use super::overlap::{lock, Committed, SharedState};
use super::progress::Progress;
use super::reader::{read_tables, ReadCounts, ReadFailure, Started};
use super::reject::RejectSink;
use super::state::{State, TableState, TableStatus};
use super::writer::{Turns, WriterTask};
use super::{MigrateError, MigrateOptions, RowFailure, SchemaMode};
use crate::job::TableJob;
use crate::plan::Plan;
use crate::report::{MigrationReport, TableReport};
use crate::source::Source;
use crate::target::conn::{TargetConn, TargetError};
use crate::value::Value;

/// Batches of rows in flight per table between the reader and its writer.
const CHANNEL_BATCHES: usize = 4;

pub(super) struct TableResult {
    pub(super) read: u64,
    pub(super) written: u64,
    pub(super) rejected: u64,
    pub(super) seconds: f64,
    pub(super) status: String,
    pub(super) count_checked: bool,
    /// Rowid ranges the table loaded over (1 unless it was split).
    pub(super) parts: usize,
}

pub(super) enum ChunkFailure {
    Conversion(RowFailure),
    Other(String),
}

pub(super) struct ChunkOutcome {
    pub(super) results: Vec<TableResult>,
    pub(super) failure: Option<ChunkFailure>,
}

/// Copy a queue of tables: one reader steps the active tables round-robin, each table
/// streams to its own writer, and a table starts as soon as a connection is free.
#[allow(clippy::too_many_arguments)]
pub(super) async fn copy_queue(
    opts: &MigrateOptions<'_>,
    source: &mut Source,
    conns: &mut Vec<TargetConn>,
    schema: Option<&str>,
    jobs: &[TableJob],
    shared: &SharedState,
    committed: Option<&Committed>,
    rejects: &mut RejectSink,
    progress: &Progress,
) -> ChunkOutcome {
    // Writers record each table in the state file the moment it commits, so a run killed
    // later does not redo it.
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
    // The parts of each split table take turns to commit.
    let mut turns: std::collections::HashMap<String, std::sync::Arc<Turns>> = std::collections::HashMap::new();
    for j in jobs.iter().filter(|j| j.part.is_some()) {
        turns.entry(j.source_name.clone()).or_insert_with(|| std::sync::Arc::new(Turns::new()));
    }
    let mut start = |i: usize| -> Started {
        if dry_run {
            return (None, None);
        }
        let job = &jobs[i];
        let (tx, rx) = mpsc::channel::<Vec<Vec<Value>>>(CHANNEL_BATCHES);
        let (vtx, vrx) = oneshot::channel::<Option<ReadCounts>>();
        let task = WriterTask {
            target: opts.target.to_string(),
            table: job.target_name.clone(),
            source_name: job.source_name.clone(),
            columns: job.columns.clone(),
            schema: schema.map(String::from),
            truncate: job.truncate,
            state: shared.clone(),
            state_file: opts.state_file.clone(),
            committed: committed.cloned(),
            pool_rx: pool_rx.clone(),
            pool_tx: pool_tx.clone(),
            part: job.part.and_then(|p| Some((p.index, p.of, turns.get(&job.source_name)?.clone()))),
        };
        writers[i] = Some(handle.spawn(task.run(rx, vrx)));
        (Some(tx), Some(vtx))
    };
    // Reading runs on this thread, in the source's snapshot; block_in_place lets the
    // runtime move the writers to other threads meanwhile.
    let read = tokio::task::block_in_place(|| {
        let stop = || committed.is_some_and(Committed::failed);
        read_tables(source.connection(), jobs, &mut start, slots, opts.on_error, dry_run, rejects, progress, &stop)
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
    // Every connection is back in the pool once the writers are done.
    let mut rx = pool_rx.lock().await;
    while let Ok(c) = rx.try_recv() {
        conns.push(c);
    }
    let results = table_results(jobs, &stats, &written, dry_run, progress);
    ChunkOutcome { results, failure }
}

/// What each table of a queue did: rows read, written (committed) and rejected; the parts
/// of a split table summed into one result, in the order the tables first appear.
fn table_results(
    jobs: &[TableJob],
    stats: &[super::reader::ReadStats],
    written: &[Option<(u64, f64)>],
    dry_run: bool,
    progress: &Progress,
) -> Vec<TableResult> {
    let mut names: Vec<&str> = Vec::new();
    let mut results: Vec<TableResult> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let s = &stats[i];
        let (w, seconds) = written[i].unwrap_or((0, s.seconds));
        let committed = written[i].is_some();
        let result = TableResult {
            read: s.read,
            written: w,
            rejected: s.rejected,
            seconds,
            status: String::new(),
            count_checked: committed && !dry_run,
            parts: 1,
        };
        match names.iter().position(|n| *n == job.source_name) {
            Some(at) => {
                let r = &mut results[at];
                r.read += result.read;
                r.written += result.written;
                r.rejected += result.rejected;
                r.seconds = r.seconds.max(result.seconds);
                r.count_checked &= result.count_checked;
                r.parts += 1;
            }
            None => {
                names.push(&job.source_name);
                results.push(result);
            }
        }
    }
    for (name, r) in names.iter().zip(results.iter_mut()) {
        r.status = if dry_run {
            "dry run".into()
        } else if r.count_checked {
            "ok".into()
        } else {
            "not committed".into()
        };
        progress.table_done(name, r.written, r.rejected, r.seconds);
    }
    results
}

/// Tables of at least this many rows may be split into rowid ranges that load over
/// several connections at once.
const SPLIT_ROWS: u64 = 100_000;

/// Below this many cores the load is already bound by the processor (the reader, the
/// writers' encoding and the server's own work fill two cores), and parts of one table
/// loading side by side cost more than they gain: measured on the benchmark file, two
/// parts made the load 20% (PostgreSQL) and 2% (MariaDB) slower on a 2-core machine.
const SPLIT_CORES: usize = 4;

/// Create mode on a server with more than one connection: a large table that would load
/// alone while the other connections run out of tables (its rows times the other
/// connections exceed the rows of every other table) is split into one rowid range per
/// connection, each its own job (the parts take turns to commit, and the table is done
/// when its last part is). `CUTOVER_SPLIT_ROWS=N` splits every table of N rows or more,
/// whatever the cores (0: never).
fn split_large(opts: &MigrateOptions<'_>, connections: usize, jobs: Vec<TableJob>) -> Vec<TableJob> {
    let forced: Option<u64> = std::env::var("CUTOVER_SPLIT_ROWS").ok().and_then(|v| v.parse().ok());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let engine = opts.target.dialect.engine();
    if opts.schema_mode != SchemaMode::Create
        || opts.dry_run
        || engine.single_writer()
        || connections < 2
        || forced == Some(0)
        || (forced.is_none() && cores < SPLIT_CORES)
    {
        return jobs;
    }
    let total: u64 = jobs.iter().map(|j| j.rows_source).sum();
    let others = |j: &TableJob| total - j.rows_source;
    let split = |j: &TableJob| match forced {
        Some(rows) => j.rows_source >= rows,
        None => j.rows_source >= SPLIT_ROWS && j.rows_source * (connections as u64 - 1) > others(j),
    };
    jobs.into_iter().flat_map(|j| if split(&j) { j.split(connections) } else { vec![j] }).collect()
}

/// Why the copy stopped before every table was done; `into_error` adds the report.
pub(super) enum CopyStop {
    /// An error before or after a queue (a connection, the state file).
    Error(MigrateError),
    /// A queue ended with a value that did not convert or a failed table.
    Failure(ChunkFailure),
    /// SIGINT / SIGTERM.
    Interrupted(String),
}

impl<E: Into<MigrateError>> From<E> for CopyStop {
    fn from(e: E) -> Self {
        CopyStop::Error(e.into())
    }
}

impl CopyStop {
    /// The reader stopped because a statement after the data failed (and nothing else).
    pub(super) fn is_post_load_stop(&self) -> bool {
        matches!(self, CopyStop::Failure(ChunkFailure::Other(m)) if m.starts_with(super::reader::STOPPED_FOR_POST_LOAD))
    }

    pub(super) fn into_error(self, report: MigrationReport) -> MigrateError {
        let report = Box::new(report);
        if let Some(signal) = crate::interrupt::requested() {
            let at = match self {
                CopyStop::Interrupted(at) => at,
                _ => "while copying the data".into(),
            };
            return MigrateError::Interrupted { signal, at, report };
        }
        match self {
            CopyStop::Error(e) => e,
            CopyStop::Failure(ChunkFailure::Conversion(r)) => MigrateError::Conversion {
                table: r.0.table.clone(),
                key: r.0.key.clone(),
                column: r.0.column.clone(),
                reason: r.0.reason.clone(),
                report,
            },
            CopyStop::Failure(ChunkFailure::Other(message)) => MigrateError::Load { message, report },
            CopyStop::Interrupted(at) => MigrateError::Load { message: format!("stopped {at}"), report },
        }
    }
}

/// Copy every table: create mode adds foreign keys after the data, so every table may
/// load at once, longest first; existing mode loads tier by tier because the target
/// enforces its keys. Finished tables of a resumed run are skipped after their count.
#[allow(clippy::too_many_arguments)]
pub(super) async fn copy_tables(
    opts: &MigrateOptions<'_>,
    source: &mut Source,
    conns: &mut Vec<TargetConn>,
    plan: &Plan,
    jobs: &[TableJob],
    shared: &SharedState,
    committed: Option<&Committed>,
    rejects: &mut super::reject::RejectSink,
    progress: &Progress,
    report: &mut MigrationReport,
) -> Result<(), CopyStop> {
    let schema = plan.target_schema.as_deref();
    progress.phase("copying data");
    progress.overall(jobs.len() as u64, jobs.iter().map(|j| j.rows_source).sum());
    progress.tiers(&jobs.iter().map(|j| (j.source_name.clone(), j.tier)).collect::<Vec<_>>());
    for group in groups(opts.schema_mode, jobs) {
        if crate::interrupt::requested().is_some() {
            return Err(CopyStop::Interrupted("between tables".into()));
        }
        let mut to_run = Vec::new();
        let state = lock(shared)?.clone();
        for job in group {
            match super::resume::resumable(opts, conns, schema, &state, job).await? {
                Some(done) => {
                    progress.table_skipped(&job.source_name);
                    if let Some(tx) = committed {
                        tx.send(Some(job.target_name.clone()));
                    }
                    report.tables.push(done)
                }
                None => to_run.push(job.clone()),
            }
        }
        if to_run.is_empty() {
            continue;
        }
        let parts = split_large(opts, conns.len(), to_run.clone());
        let outcome = copy_queue(opts, source, conns, schema, &parts, shared, committed, rejects, progress).await;
        {
            let mut state = lock(shared)?;
            record(opts, &to_run, outcome.results, &mut state, report);
            if !opts.dry_run {
                state.save(&opts.state_file)?;
            }
        }
        report.rejects_total = rejects.total;
        report.rejects = rejects.listed.clone();
        if let Some(failure) = outcome.failure {
            return Err(CopyStop::Failure(failure));
        }
    }
    progress.overall_done();
    Ok(())
}

/// The queues of tables, in order.
fn groups(mode: SchemaMode, jobs: &[TableJob]) -> Vec<Vec<&TableJob>> {
    match mode {
        SchemaMode::Create => {
            let mut all: Vec<&TableJob> = jobs.iter().collect();
            all.sort_by(|a, b| b.rows_source.cmp(&a.rows_source).then(a.source_name.cmp(&b.source_name)));
            vec![all]
        }
        SchemaMode::Existing => {
            let tiers: BTreeSet<usize> = jobs.iter().map(|j| j.tier).collect();
            tiers.into_iter().map(|t| jobs.iter().filter(|j| j.tier == t).collect()).collect()
        }
    }
}

/// What each table of a queue did, in the state (committed tables) and in the report.
fn record(
    opts: &MigrateOptions<'_>,
    jobs: &[TableJob],
    results: Vec<TableResult>,
    state: &mut State,
    report: &mut MigrationReport,
) {
    for (job, result) in jobs.iter().zip(results) {
        let entry =
            state.tables.entry(job.source_name.clone()).or_insert_with(|| TableState::pending(&job.target_name, false));
        if result.count_checked && !opts.dry_run {
            entry.status = TableStatus::Done;
            entry.rows_read = result.read;
            entry.rows_written = result.written;
            entry.rows_rejected = result.rejected;
        }
        report.tables.push(TableReport {
            table: job.source_name.clone(),
            target_table: job.target_name.clone(),
            tier: job.tier,
            rows_source: job.rows_source,
            rows_read: result.read,
            rows_written: result.written,
            rows_rejected: result.rejected,
            seconds: result.seconds,
            status: result.status,
            count_checked: result.count_checked,
            parts: result.parts,
        });
    }
}
