//! One table's writer: load every row on its own connection, then commit only when the
//! reader read all of it and the target's count equals what was sent.

use std::path::PathBuf;
use std::time::Instant;

use super::reader::ReadCounts;
use super::state::{TableState, TableStatus};
use tokio::sync::{mpsc, oneshot, watch};

use crate::target::conn::{TargetConn, TargetError};
use crate::value::Value;

/// The parts of one split table commit one after another, in order: each checks the
/// table's count against its own rows plus those of the parts committed before it, and
/// the last records the table as done. A part that fails stops the ones after it.
pub(super) struct Turns {
    tx: watch::Sender<Turn>,
}

/// Which part commits next, and what the parts before it committed.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Turn {
    next: usize,
    failed: bool,
    read: u64,
    rejected: u64,
    written: u64,
}

impl Turns {
    pub(super) fn new() -> Turns {
        Turns { tx: watch::channel(Turn::default()).0 }
    }

    /// Wait until it is part `index`'s turn: what the parts before it committed, or None
    /// when one of them failed.
    async fn wait(&self, index: usize) -> Option<Turn> {
        let mut rx = self.tx.subscribe();
        let turn = rx.wait_for(|t| t.failed || t.next == index).await.ok().map(|t| *t)?;
        (!turn.failed).then_some(turn)
    }

    fn committed(&self, counts: ReadCounts) {
        self.tx.send_modify(|t| {
            t.next += 1;
            t.read += counts.read;
            t.rejected += counts.rejected;
            t.written += counts.expected();
        });
    }

    fn fail(&self) {
        self.tx.send_modify(|t| t.failed = true);
    }
}

/// Load one table (or one part of it) and commit it only when the reader read all of it
/// and the count matches; for a part, what the parts before it committed, too.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_table(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
    prelude: Option<&str>,
    rx: mpsc::Receiver<Vec<Vec<Value>>>,
    verdict: oneshot::Receiver<Option<ReadCounts>>,
    part: Option<(usize, &Turns)>,
) -> Result<(ReadCounts, Turn), TargetError> {
    let loaded = conn.load(schema, table, columns, prelude, rx).await;
    let n = match loaded {
        Ok(n) => n,
        Err(e) => {
            conn.rollback().await;
            return Err(e);
        }
    };
    let counts = verdict.await.ok().flatten();
    match counts {
        Some(counts) if counts.expected() == n => {
            let before = match part {
                Some((index, turns)) => match turns.wait(index).await {
                    Some(turn) => turn,
                    None => {
                        conn.rollback().await;
                        return Err(TargetError::Server {
                            target: conn.target().to_string(),
                            what: format!("loading {table}"),
                            reason: "another part of the table failed; rolled back".into(),
                        });
                    }
                },
                None => Turn::default(),
            };
            let counted = conn.count(schema, table).await?;
            if counted != before.written + n {
                conn.rollback().await;
                let sent = if part.is_some() { " (with the parts committed before)" } else { "" };
                return Err(TargetError::Server {
                    target: conn.target().to_string(),
                    what: format!("count check of {table}"),
                    reason: format!(
                        "{} rows sent{sent} but the table holds {counted}; rolled back",
                        before.written + n
                    ),
                });
            }
            crate::fault!("copy::before_commit");
            conn.commit().await?;
            crate::fault!("copy::after_commit");
            Ok((counts, before))
        }
        _ => {
            conn.rollback().await;
            Err(TargetError::Server {
                target: conn.target().to_string(),
                what: format!("loading {table}"),
                reason: "the copy stopped; rolled back".into(),
            })
        }
    }
}

/// Everything one table's writer needs, moved into its task.
pub(super) struct WriterTask {
    /// The target URL, password hidden, for messages.
    pub(super) target: String,
    pub(super) table: String,
    pub(super) source_name: String,
    pub(super) columns: Vec<String>,
    pub(super) schema: Option<String>,
    /// Empty the table inside the load transaction first.
    pub(super) truncate: bool,
    /// The run's state, shared by the writers: each records its table the moment it commits.
    pub(super) state: super::overlap::SharedState,
    pub(super) state_file: PathBuf,
    /// Told the table's name once it is committed (the post-load work may start on it).
    pub(super) committed: Option<super::overlap::Committed>,
    /// The connection pool: a connection is taken when the table starts and given back after.
    pub(super) pool_rx: std::sync::Arc<tokio::sync::Mutex<mpsc::Receiver<TargetConn>>>,
    pub(super) pool_tx: mpsc::Sender<TargetConn>,
    /// A part of a split table: its index, how many there are, and their turns to commit.
    pub(super) part: Option<(usize, usize, std::sync::Arc<Turns>)>,
}

impl WriterTask {
    /// Load the table on a connection from the pool, commit it when the reader's count
    /// agrees, and record it in the state file; the rows written and the seconds taken.
    pub(super) async fn run(
        self,
        rx: mpsc::Receiver<Vec<Vec<Value>>>,
        verdict: oneshot::Receiver<Option<ReadCounts>>,
    ) -> Result<(u64, f64), TargetError> {
        let conn = self.pool_rx.lock().await.recv().await;
        let Some(mut conn) = conn else {
            return Err(self.error("loading", "no connection left".into()));
        };
        let started = Instant::now();
        let schema = self.schema.as_deref();
        // TRUNCATE is DDL on MariaDB (it commits): the engine says how to empty a table
        // inside the load transaction.
        let prelude = self.truncate.then(|| conn.empty_table_sql(&conn.table_ref(schema, &self.table)));
        let part = self.part.as_ref().map(|(index, _, turns)| (*index, turns.as_ref()));
        let result =
            write_table(&mut conn, schema, &self.table, &self.columns, prelude.as_deref(), rx, verdict, part).await;
        let _ = self.pool_tx.send(conn).await;
        let (counts, before) = match result {
            Ok(r) => r,
            Err(e) => {
                if let Some((_, _, turns)) = &self.part {
                    turns.fail();
                }
                return Err(e);
            }
        };
        match &self.part {
            // The table is done when its last part is.
            Some((index, of, turns)) => {
                turns.committed(counts);
                if index + 1 == *of {
                    let all =
                        ReadCounts { read: before.read + counts.read, rejected: before.rejected + counts.rejected };
                    self.record(all)?;
                }
            }
            None => self.record(counts)?,
        }
        Ok((counts.expected(), started.elapsed().as_secs_f64()))
    }

    /// The table is committed: say so in the state file at once.
    /// Read and set-aside counts with it: a run killed before the copy's end still has
    /// them for verify's count level.
    fn record(&self, counts: ReadCounts) -> Result<(), TargetError> {
        let mut st = self.state.lock().map_err(|_| self.error("recording", "state lock poisoned".into()))?;
        let entry =
            st.tables.entry(self.source_name.clone()).or_insert_with(|| TableState::pending(&self.table, false));
        entry.status = TableStatus::Done;
        entry.rows_written = counts.expected();
        entry.rows_read = counts.read;
        entry.rows_rejected = counts.rejected;
        st.save(&self.state_file).map_err(|e| self.error("recording", e.to_string()))?;
        if let Some(tx) = &self.committed {
            tx.send(Some(self.table.clone()));
        }
        Ok(())
    }

    fn error(&self, doing: &str, reason: String) -> TargetError {
        TargetError::Server { target: self.target.clone(), what: format!("{doing} {}", self.table), reason }
    }
}
