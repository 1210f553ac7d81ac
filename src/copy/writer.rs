//! One table's writer: load every row on its own connection, then commit only when the
//! reader read all of it and the target's count equals what was sent.

use std::path::PathBuf;
use std::time::Instant;

use super::reader::ReadCounts;
use super::state::{TableState, TableStatus};
use tokio::sync::{mpsc, oneshot};

use crate::target::conn::{TargetConn, TargetError};
use crate::value::Value;

/// Load one table and commit it only when the reader read all of it and the count matches.
pub(super) async fn write_table(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
    prelude: Option<&str>,
    rx: mpsc::Receiver<Vec<Vec<Value>>>,
    verdict: oneshot::Receiver<Option<ReadCounts>>,
) -> Result<ReadCounts, TargetError> {
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
            let counted = conn.count(schema, table).await?;
            if counted != n {
                conn.rollback().await;
                return Err(TargetError::Server {
                    target: conn.target().to_string(),
                    what: format!("count check of {table}"),
                    reason: format!("{n} rows sent but the table holds {counted}; rolled back"),
                });
            }
            crate::fault!("copy::before_commit");
            conn.commit().await?;
            crate::fault!("copy::after_commit");
            Ok(counts)
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
        let result = write_table(&mut conn, schema, &self.table, &self.columns, prelude.as_deref(), rx, verdict).await;
        let _ = self.pool_tx.send(conn).await;
        let counts = result?;
        self.record(counts)?;
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
            let _ = tx.send(Some(self.table.clone()));
        }
        Ok(())
    }

    fn error(&self, doing: &str, reason: String) -> TargetError {
        TargetError::Server { target: self.target.clone(), what: format!("{doing} {}", self.table), reason }
    }
}
