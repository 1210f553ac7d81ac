//! A live connection to a target: one enum over the engines' own connections
//! (`postgres::conn`, `mariadb::conn`, `sqlite::conn`), whose methods only delegate to
//! the engine (`engine::Engine`) or compose its catalog SQL. `copy`, `verify`, `harden`
//! and `gate` use this type; the URL's scheme picks the engine in `connect`, the one
//! place that names every engine.
//!
//! Every error names the target with its password redacted and says what to do.

use tokio::sync::mpsc::Receiver;

use super::engine::Engine;
pub use super::error::{CatalogColumn, TargetError};
use super::mariadb::conn::MariaDbTarget;
use super::postgres::conn::PgTarget;
use super::sqlite::conn::SqliteTarget;
use super::url::TargetUrl;
use super::{Dialect, PlannedObject};
use crate::types::ColumnType;
use crate::value::Value;

/// A live connection to one target engine.
pub enum TargetConn {
    Postgres(PgTarget),
    MariaDb(MariaDbTarget),
    Sqlite(SqliteTarget),
}

/// Call the same `Engine` method on whichever engine this is.
macro_rules! engine {
    ($conn:expr, $e:ident => $call:expr) => {
        match $conn {
            TargetConn::Postgres($e) => $call,
            TargetConn::MariaDb($e) => $call,
            TargetConn::Sqlite($e) => $call,
        }
    };
}

impl TargetConn {
    /// Connect to the engine the URL's scheme names, after refusing a URL without a
    /// database or naming a system database (`TargetUrl::check_database`).
    pub async fn connect(url: &TargetUrl) -> Result<TargetConn, TargetError> {
        url.check_database()?;
        Ok(match url.dialect {
            Dialect::Postgres => TargetConn::Postgres(PgTarget::connect(url).await?),
            Dialect::MariaDb => TargetConn::MariaDb(MariaDbTarget::connect(url).await?),
            Dialect::Sqlite => TargetConn::Sqlite(SqliteTarget::connect(url).await?),
        })
    }

    /// The server's product and version, read at connect time (`MariaDB 10.11.19`).
    pub fn version(&self) -> &str {
        engine!(self, e => e.version())
    }

    /// Whether the connection is encrypted (TLS); None for the embedded SQLite file.
    pub fn encrypted(&self) -> Option<bool> {
        engine!(self, e => e.encrypted())
    }

    /// The target URL with its password hidden, as every message names it.
    pub fn target(&self) -> &str {
        engine!(self, e => e.target())
    }

    pub fn dialect(&self) -> Dialect {
        engine!(self, e => e.dialect())
    }

    /// Run one statement (or several, for SQLite).
    pub async fn execute(&mut self, sql: &str) -> Result<(), TargetError> {
        engine!(self, e => e.execute(sql).await)
    }

    /// The qualified name of a table for this connection's dialect.
    pub fn table_ref(&self, schema: Option<&str>, table: &str) -> String {
        self.dialect().engine().table_ref(schema, table)
    }

    pub async fn table_exists(&mut self, schema: Option<&str>, table: &str) -> Result<bool, TargetError> {
        engine!(self, e => e.table_exists(schema, table).await)
            .map_err(|err| self.relabel(err, format!("looking up table {table}")))
    }

    pub async fn count(&mut self, schema: Option<&str>, table: &str) -> Result<u64, TargetError> {
        engine!(self, e => e.count(schema, table).await)
    }

    /// A one-column query of text values (catalog lookups, orphan samples).
    pub async fn strings(&mut self, sql: &str) -> Result<Vec<String>, TargetError> {
        engine!(self, e => e.strings(sql).await)
    }

    /// A query that returns one integer.
    pub async fn scalar(&mut self, sql: &str) -> Result<i64, TargetError> {
        engine!(self, e => e.scalar(sql).await)
    }

    /// A query's rows as text (every column read by its text form; NULL is None). Callers
    /// cast non-text columns in SQL where the engine needs it.
    pub async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        engine!(self, e => e.text_rows(sql).await)
    }

    /// The tables of the target schema (database), by name.
    pub async fn tables(&mut self, schema: Option<&str>) -> Result<Vec<String>, TargetError> {
        let sql = self.dialect().engine().tables_sql(schema);
        Ok(self.text_rows(&sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }

    /// The primary key columns of a table, in key order (empty when it has none).
    pub async fn primary_key(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<String>, TargetError> {
        let sql = self.dialect().engine().primary_key_sql(schema, table);
        Ok(self.text_rows(&sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }

    /// Every foreign key of the schema as (table, columns in key order).
    pub async fn foreign_key_columns(
        &mut self,
        schema: Option<&str>,
    ) -> Result<Vec<(String, Vec<String>)>, TargetError> {
        let sep = '\u{1f}';
        let sql = self.dialect().engine().foreign_keys_sql(schema, sep);
        Ok(self
            .text_rows(&sql)
            .await?
            .into_iter()
            .filter_map(|r| match &r[..] {
                [Some(t), Some(c)] => Some((t.clone(), c.split(sep).map(str::to_string).collect())),
                _ => None,
            })
            .collect())
    }

    /// Every index of the schema as (table, index name, columns in key order).
    pub async fn index_columns(
        &mut self,
        schema: Option<&str>,
    ) -> Result<Vec<(String, String, Vec<String>)>, TargetError> {
        let sep = '\u{1f}';
        let sql = self.dialect().engine().indexes_sql(schema, sep);
        Ok(self
            .text_rows(&sql)
            .await?
            .into_iter()
            .filter_map(|r| match &r[..] {
                [Some(t), Some(i), Some(c)] => Some((t.clone(), i.clone(), c.split(sep).map(str::to_string).collect())),
                _ => None,
            })
            .collect())
    }

    /// The columns of a target table, in order.
    pub async fn columns(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<CatalogColumn>, TargetError> {
        engine!(self, e => e.columns(schema, table).await)
    }

    /// Load one table inside a transaction the caller commits or rolls back, by the
    /// engine's bulk path (PostgreSQL: binary COPY; MariaDB: multi-row INSERT literals;
    /// SQLite: one prepared INSERT). `prelude` empties the table first (`empty_table_sql`).
    pub async fn load(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        prelude: Option<&str>,
        rx: Receiver<Vec<Vec<Value>>>,
    ) -> Result<u64, TargetError> {
        engine!(self, e => e.load(schema, table, columns, prelude, rx).await)
    }

    /// Read every row of `columns` of a table back as values of their neutral `types`,
    /// by the engine's fastest text path (PostgreSQL: COPY … TO STDOUT; MariaDB: the text
    /// protocol; SQLite: its stored values). `on_row` gets each row; returns the count.
    pub async fn read_rows(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        on_row: &mut (dyn FnMut(Vec<Value>) + Send),
    ) -> Result<u64, TargetError> {
        engine!(self, e => e.read_rows(schema, table, columns, types, on_row).await)
    }

    /// The value the counter of `column` hands out next (sequence / identity,
    /// AUTO_INCREMENT, `sqlite_sequence` + 1); None when the column has no counter
    /// (SQLite: a table without AUTOINCREMENT, which hands out max(rowid) + 1 by itself).
    pub async fn next_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
    ) -> Result<Option<i64>, TargetError> {
        engine!(self, e => e.next_counter(schema, table, column).await)
    }

    /// Move the counter that numbers new rows of `column` so that the next value is above
    /// the column's largest value and above `floor` (the source's `sqlite_sequence`:
    /// SQLite's AUTOINCREMENT never hands out an id again, even of a deleted row). A
    /// column without a counter is left alone.
    pub async fn raise_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        floor: i64,
    ) -> Result<(), TargetError> {
        engine!(self, e => e.raise_counter(schema, table, column, floor).await)
    }

    /// The server's own security settings as go-live checks, by the engine's own SQL
    /// (`target/<engine>/server_checks.rs`).
    pub async fn server_checks(&mut self) -> Vec<crate::check::Check> {
        engine!(self, e => e.server_checks().await)
    }

    /// Whether the catalog already holds an object the plan creates after the data (an
    /// index or foreign key of that name on that table, a view, a counter at or past its
    /// planned value): how `--resume` completes a post-load phase that a kill interrupted
    /// between a statement and its record in the state file.
    pub async fn has_object(&mut self, schema: Option<&str>, object: &PlannedObject) -> Result<bool, TargetError> {
        engine!(self, e => e.has_object(schema, object).await)
    }

    /// Empty these tables (qualified names, parents first) so that every foreign key
    /// stays checked: PostgreSQL in one TRUNCATE, the others by DELETE, children first.
    /// Tables outside `tables` whose rows point into them (see `Engine::outside_references`).
    pub async fn outside_references(&mut self, tables: &[String]) -> Result<Vec<String>, TargetError> {
        engine!(self, e => e.outside_references(tables).await)
    }

    pub async fn empty_tables(&mut self, tables: &[String]) -> Result<(), TargetError> {
        engine!(self, e => e.empty_tables(tables).await)
    }

    /// The statement that empties one table inside its load transaction (TRUNCATE is DDL
    /// on MariaDB and would commit: DELETE there).
    pub fn empty_table_sql(&self, table_ref: &str) -> String {
        engine!(self, e => e.empty_table_sql(table_ref))
    }

    pub async fn commit(&mut self) -> Result<(), TargetError> {
        self.execute("COMMIT").await
    }

    /// Roll back whatever the current transaction did (errors are ignored: the connection may be gone).
    pub async fn rollback(&mut self) {
        let _ = self.execute("ROLLBACK").await;
    }

    /// A server error, with `what` naming what was being done.
    fn relabel(&self, err: TargetError, what: String) -> TargetError {
        match err {
            TargetError::Server { target, reason, .. } => TargetError::Server { target, what, reason },
            other => other,
        }
    }
}
