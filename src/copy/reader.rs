//! The reader: the source's one snapshot, tables stepped round-robin, every value
//! converted by the plan's rules and sent to its table's writer in batches; a table
//! whose writer has no room is passed over until it has.

use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::progress::Progress;
use super::reject::RejectSink;
use super::{OnError, RowFailure};
use crate::job::{convert_row, row_key, TableJob};
use crate::value::Value;

/// Rows per batch sent to a writer.
const BATCH_ROWS: usize = 2048;

#[derive(Clone)]
pub(super) struct ReadStats {
    pub(super) read: u64,
    pub(super) rejected: u64,
    pub(super) seconds: f64,
}

/// The channel to a table's writer and the sender of its verdict (None in a dry run).
pub(super) type Started = (Option<mpsc::Sender<Vec<Vec<Value>>>>, Option<oneshot::Sender<Option<ReadCounts>>>);

/// What the reader tells a table's writer once it has read the whole table: the rows
/// to expect, and (for the state file, recorded at the commit) the rows read and set aside.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadCounts {
    pub(super) read: u64,
    pub(super) rejected: u64,
}

impl ReadCounts {
    pub(super) fn expected(self) -> u64 {
        self.read - self.rejected
    }
}

pub(super) enum ReadFailure {
    Conversion(RowFailure, Vec<ReadStats>),
    Other(String, Vec<ReadStats>),
}

/// How the reader's error starts when it stopped for a failed statement after the data.
pub(super) const STOPPED_FOR_POST_LOAD: &str = "stopped while reading";

/// Read the queue's tables, at most `slots` at a time, round-robin: convert every row and
/// send it to the table's writer; when a table is read whole, tell its writer how many
/// rows to expect, so that it can check and commit while other tables are still read.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_tables(
    conn: &Connection,
    jobs: &[TableJob],
    start: &mut dyn FnMut(usize) -> Started,
    slots: usize,
    on_error: OnError,
    dry_run: bool,
    rejects: &mut RejectSink,
    progress: &Progress,
    stop: &dyn Fn() -> bool,
) -> Result<Vec<ReadStats>, ReadFailure> {
    let mut stats: Vec<ReadStats> = jobs.iter().map(|_| ReadStats { read: 0, rejected: 0, seconds: 0.0 }).collect();
    let mut senders: Vec<Option<mpsc::Sender<Vec<Vec<Value>>>>> = jobs.iter().map(|_| None).collect();
    let mut verdicts: Vec<Option<oneshot::Sender<Option<ReadCounts>>>> = jobs.iter().map(|_| None).collect();
    let mut stmts = Vec::new();
    for j in jobs {
        match conn.prepare(&j.select) {
            Ok(s) => stmts.push(s),
            Err(e) => return Err(ReadFailure::Other(format!("reading table {}: {e}", j.source_name), stats)),
        }
    }
    let mut pending: std::collections::VecDeque<(usize, &mut rusqlite::Statement<'_>)> =
        stmts.iter_mut().enumerate().collect();
    let mut active: Vec<Active<'_>> = Vec::new();
    let strict = on_error == OnError::Strict && !dry_run;
    // Shared, not borrowed: the sink is written to while they are looked up.
    let planned = rejects.orphans.clone();
    // A part of a split table read before the parts ahead of it keeps its slot until they
    // are read too: its writer holds a connection until their commits, and a new table's
    // writer waiting for that connection must not stop the reader feeding them.
    let mut read_done = vec![false; jobs.len()];
    let mut held: Vec<usize> = Vec::new();
    let waits_for_earlier_part = |i: usize, read_done: &[bool]| {
        jobs[i].part.is_some_and(|p| {
            jobs.iter().enumerate().any(|(j, o)| {
                o.source_name == jobs[i].source_name && o.part.is_some_and(|q| q.index < p.index) && !read_done[j]
            })
        })
    };
    loop {
        while active.len() + held.len() < slots {
            let Some((i, st)) = pending.pop_front() else { break };
            match jobs[i].part {
                Some(p) if p.index > 0 => {}
                Some(p) => progress.table_started(&jobs[i].source_name, p.rows_total),
                None => progress.table_started(&jobs[i].source_name, jobs[i].rows_source),
            }
            let (tx, verdict) = start(i);
            senders[i] = tx;
            verdicts[i] = verdict;
            match st.query([]) {
                Ok(rows) => active.push(Active { i, rows, started: Instant::now(), waiting: None, finished: false }),
                Err(e) => return Err(ReadFailure::Other(format!("reading table {}: {e}", jobs[i].source_name), stats)),
            }
        }
        if active.is_empty() {
            break;
        }
        // A table whose writer has no room for another batch is passed over (its batch
        // waits) while the others are read: the server process that loads it is the
        // slowest part, and the other connections must not starve behind it.
        let mut moved = false;
        let mut k = 0;
        while k < active.len() {
            let a = &mut active[k];
            let i = a.i;
            let job = &jobs[i];
            if let Some(batch) = a.waiting.take() {
                match offer(senders[i].as_ref(), batch, job, &stats) {
                    Ok(None) => moved = true,
                    Ok(Some(batch)) => {
                        a.waiting = Some(batch);
                        k += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            if !a.finished {
                let batch = read_batch(a, job, planned.of(&job.source_name), strict, rejects, &mut stats)?;
                moved = true;
                progress.rows(&job.source_name, u64::try_from(batch.len()).unwrap_or(0));
                stop_check(&job.source_name, stop, &stats)?;
                if !batch.is_empty() {
                    a.waiting = offer(senders[i].as_ref(), batch, job, &stats)?;
                }
            }
            if !a.finished || a.waiting.is_some() {
                k += 1;
                continue;
            }
            stats[i].seconds = a.started.elapsed().as_secs_f64();
            if stats[i].rejected > 0 {
                if let Err(e) = rejects.flush() {
                    return Err(ReadFailure::Other(e, stats));
                }
            }
            senders[i] = None;
            if let Some(v) = verdicts[i].take() {
                let _ = v.send(Some(ReadCounts { read: stats[i].read, rejected: stats[i].rejected }));
            }
            drop(active.remove(k));
            read_done[i] = true;
            if waits_for_earlier_part(i, &read_done) {
                held.push(i);
            }
            held.retain(|h| waits_for_earlier_part(*h, &read_done));
        }
        if !moved {
            // Every writer is full: wait for one to take a batch (or for a stop).
            if let Some(a) = active.first() {
                stop_check(&jobs[a.i].source_name, stop, &stats)?;
            }
            wait_for_room(&active, &senders);
        }
    }
    Ok(stats)
}

/// Read the next batch of a table's rows, converted: a row whose parent row is missing
/// (a planned orphan) or that does not convert goes to the reject file instead (strict:
/// the first that does not convert stops the read). Marks the table finished at its end.
fn read_batch(
    a: &mut Active<'_>,
    job: &TableJob,
    orphans: Option<&std::collections::HashMap<String, crate::report::Reject>>,
    strict: bool,
    rejects: &mut RejectSink,
    stats: &mut [ReadStats],
) -> Result<Batch, ReadFailure> {
    let i = a.i;
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while batch.len() < BATCH_ROWS {
        let row = match a.rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => {
                a.finished = true;
                break;
            }
            Err(e) => {
                return Err(ReadFailure::Other(format!("reading table {}: {e}", job.source_name), stats.to_vec()))
            }
        };
        stats[i].read += 1;
        match convert_row(row, job) {
            Ok(values) => match orphans.and_then(|o| o.get(&row_key(row, job))) {
                // Its parent row is missing or set aside: the target's key would refuse it.
                Some(orphan) => {
                    stats[i].rejected += 1;
                    rejects.write(orphan.clone()).map_err(|e| ReadFailure::Other(e, stats.to_vec()))?;
                }
                None => batch.push(values),
            },
            Err(reject) => {
                stats[i].rejected += 1;
                if strict {
                    return Err(ReadFailure::Conversion(RowFailure(reject), stats.to_vec()));
                }
                rejects.write(*reject).map_err(|e| ReadFailure::Other(e, stats.to_vec()))?;
            }
        }
    }
    Ok(batch)
}

/// A table being read: its rows, when it started, a batch its writer had no room for
/// yet, and whether its last row has been read.
struct Active<'s> {
    i: usize,
    rows: rusqlite::Rows<'s>,
    started: Instant,
    waiting: Option<Batch>,
    finished: bool,
}

type Batch = Vec<Vec<Value>>;

/// Hand a batch to its table's writer if it has room: None when taken (or in a dry run,
/// where there is no writer), the batch back when the writer is full.
fn offer(
    tx: Option<&mpsc::Sender<Batch>>,
    batch: Batch,
    job: &TableJob,
    stats: &[ReadStats],
) -> Result<Option<Batch>, ReadFailure> {
    let Some(tx) = tx else { return Ok(None) };
    match tx.try_send(batch) {
        Ok(()) => Ok(None),
        Err(mpsc::error::TrySendError::Full(batch)) => Ok(Some(batch)),
        Err(mpsc::error::TrySendError::Closed(_)) => {
            // The writer stopped; its own error says why.
            let msg = format!("the target stopped accepting rows of {}", job.target_name);
            Err(ReadFailure::Other(msg, stats.to_vec()))
        }
    }
}

/// Block until a writer with a batch waiting has room for it, or for a tenth of a second
/// (the reader then checks for an interrupt or a stop again).
fn wait_for_room(active: &[Active<'_>], senders: &[Option<mpsc::Sender<Batch>>]) {
    let room: Vec<_> = active
        .iter()
        .filter(|a| a.waiting.is_some())
        .filter_map(|a| senders[a.i].as_ref())
        .map(|tx| Box::pin(tx.reserve()))
        .collect();
    if room.is_empty() {
        return;
    }
    // The reader runs inside `block_in_place`, where blocking on the runtime is allowed.
    // The permit is dropped at once: the room stays free for the reader's next offer,
    // since nothing else sends on these channels.
    let wait = tokio::time::timeout(std::time::Duration::from_millis(100), futures_util::future::select_all(room));
    let _ = tokio::runtime::Handle::current().block_on(wait);
}

/// Stop between batches on an interrupt, or when a statement after the data failed
/// (the run fails anyway, with that statement's error). Tables not yet committed roll back.
fn stop_check(table: &str, stop: &dyn Fn() -> bool, stats: &[ReadStats]) -> Result<(), ReadFailure> {
    if crate::interrupt::requested().is_some() {
        // Dropping the senders and verdicts rolls back every table not yet committed.
        return Err(ReadFailure::Other(format!("interrupted while reading {table}"), stats.to_vec()));
    }
    if stop() {
        let why = format!("{STOPPED_FOR_POST_LOAD} {table}: a statement after the data failed");
        return Err(ReadFailure::Other(why, stats.to_vec()));
    }
    Ok(())
}
