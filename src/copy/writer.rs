//! One table's writer: load every row on its own connection, then commit only when the
//! reader read all of it and the target's count equals what was sent.

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
