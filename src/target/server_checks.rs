//! What the engines' own server checks share: a query's rows as text, with the
//! server's own message when it is refused (a check reports that as `warn`).

use super::engine::Engine;

/// The rows of a query, every column as text (NULL as `NULL`); the server's message on error.
pub(crate) async fn rows<E: Engine>(conn: &mut E, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let rows = conn.text_rows(sql).await.map_err(|e| e.reason())?;
    Ok(rows.into_iter().map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect()).collect())
}

/// The first column of the first row.
pub(crate) async fn value<E: Engine>(conn: &mut E, sql: &str) -> Result<String, String> {
    rows(conn, sql).await?.into_iter().next().and_then(|r| r.into_iter().next()).ok_or_else(|| "no row".to_string())
}
