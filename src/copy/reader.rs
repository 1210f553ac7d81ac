//! The reader: the source's one snapshot, tables stepped round-robin, every value
//! converted by the plan's rules and sent to its table's writer in batches.

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
    let mut active: Vec<(usize, rusqlite::Rows<'_>, Instant)> = Vec::new();
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
            let orphans = planned.of(&job.source_name);
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
                    Ok(values) => match orphans.and_then(|o| o.get(&row_key(row, job))) {
                        // Its parent row is missing or set aside: the target's key would refuse it.
                        Some(orphan) => {
                            stats[i].rejected += 1;
                            let orphan = orphan.clone();
                            if let Err(e) = rejects.write(orphan) {
                                return Err(ReadFailure::Other(e, stats));
                            }
                        }
                        None => batch.push(values),
                    },
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
            if stop() {
                // The run fails anyway: a statement after the data failed (its error is the
                // run's). Tables not yet committed roll back, as for an interrupt.
                let why = format!("{STOPPED_FOR_POST_LOAD} {}: a statement after the data failed", job.source_name);
                return Err(ReadFailure::Other(why, stats));
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
            } else {
                k += 1;
            }
        }
    }
    Ok(stats)
}
