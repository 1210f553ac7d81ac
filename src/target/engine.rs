//! The one interface every target engine's live connection implements: run SQL, read
//! its catalog, count, bulk-load rows and read them back. `TargetConn` holds one engine
//! connection and only delegates to it; `copy`, `verify`, `harden` and `gate` talk to
//! `TargetConn` and never to an engine directly.
//!
//! Methods with a default are written in terms of the others (and of the engine's
//! `SqlDialect`); an engine overrides what it does differently. Architecture invariant:
//! no `match` on the engine here or in `conn.rs` beyond the URL scheme in `connect`.

use tokio::sync::mpsc::Receiver;

use super::error::{first_line, CatalogColumn, TargetError};
use super::{Dialect, PlannedObject, SqlDialect};
use crate::types::ColumnType;
use crate::value::Value;

/// A live connection to one engine.
#[allow(async_fn_in_trait)] // static dispatch only: `TargetConn` matches and calls the concrete type
pub trait Engine: Send {
    /// The engine's SQL spelling (DDL, quoting, catalog queries).
    fn sql(&self) -> &'static dyn SqlDialect;
    /// The target URL, password hidden: every error names it.
    fn target(&self) -> &str;
    /// The server's product and version, read at connect time (`MariaDB 10.11.19`).
    fn version(&self) -> &str;
    /// Whether this connection is encrypted (TLS), read from the server at connect time;
    /// None for the embedded SQLite file, which has no connection.
    fn encrypted(&self) -> Option<bool>;

    /// Run one statement (or several, where the engine allows).
    async fn execute(&mut self, sql: &str) -> Result<(), TargetError>;
    /// A one-column query of text values.
    async fn strings(&mut self, sql: &str) -> Result<Vec<String>, TargetError>;
    /// A query that returns one integer.
    async fn scalar(&mut self, sql: &str) -> Result<i64, TargetError>;
    /// A query's rows as text (NULL is None).
    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError>;
    /// The columns of a table, in order, as the catalog describes them.
    async fn columns(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<CatalogColumn>, TargetError>;
    /// Load one table inside a transaction the caller commits or rolls back: BEGIN, the
    /// prelude (emptying the table), then every row received, by the engine's bulk path.
    async fn load(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        prelude: Option<&str>,
        rx: Receiver<Vec<Vec<Value>>>,
    ) -> Result<u64, TargetError>;
    /// Read every row of `columns` back as values of their neutral `types`, by the
    /// engine's fastest text path; `on_row` gets each row. Returns the count.
    async fn read_rows(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        on_row: &mut (dyn FnMut(Vec<Value>) + Send),
    ) -> Result<u64, TargetError>;

    /// The value the counter of `column` hands out next; None when it has none.
    async fn next_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
    ) -> Result<Option<i64>, TargetError>;

    /// Move the counter of `column` above the column's largest value and above `floor`.
    async fn raise_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        floor: i64,
    ) -> Result<(), TargetError>;

    fn dialect(&self) -> Dialect {
        self.sql().dialect()
    }

    /// The server's own security settings as go-live checks (none by default).
    async fn server_checks(&mut self) -> Vec<crate::check::Check> {
        Vec::new()
    }

    /// An error of the server while doing `what`, naming the target.
    fn server(&self, what: impl Into<String>, e: impl std::fmt::Display) -> TargetError {
        TargetError::Server {
            target: self.target().to_string(),
            what: what.into(),
            reason: server_reason(&e.to_string()),
        }
    }

    async fn table_exists(&mut self, schema: Option<&str>, table: &str) -> Result<bool, TargetError> {
        let sql = self.sql().table_exists_sql(schema, table);
        Ok(self.scalar(&sql).await? > 0)
    }

    async fn count(&mut self, schema: Option<&str>, table: &str) -> Result<u64, TargetError> {
        let sql = format!("SELECT count(*) FROM {}", self.sql().table_ref(schema, table));
        let n = self.scalar(&sql).await.map_err(|e| self.server(format!("counting the rows of {table}"), e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether the catalog holds an object the plan creates after the data.
    async fn has_object(&mut self, schema: Option<&str>, object: &PlannedObject) -> Result<bool, TargetError> {
        if let PlannedObject::Counter { table, column, next } = object {
            let current = self.next_counter(schema, table, column).await?;
            return Ok(current.is_some_and(|c| c >= *next));
        }
        match self.sql().object_exists_sql(schema, object) {
            Some(sql) => Ok(self.scalar(&sql).await? > 0),
            None => Ok(false),
        }
    }

    /// Empty these tables (qualified names, parents first) inside the current transaction
    /// or at once: DELETE, children first, so that every foreign key stays checked.
    /// Tables outside `tables` (quoted references) that hold rows pointing into them, as
    /// `child (n rows) references parent`; emptying `tables` would leave those dangling
    /// where the engine does not check (MariaDB empties with key checks off).
    async fn outside_references(&mut self, _tables: &[String]) -> Result<Vec<String>, TargetError> {
        Ok(Vec::new())
    }

    async fn empty_tables(&mut self, tables: &[String]) -> Result<(), TargetError> {
        for t in tables.iter().rev() {
            self.execute(&format!("DELETE FROM {t}")).await?;
        }
        Ok(())
    }

    /// The statement that empties one table inside its load transaction.
    fn empty_table_sql(&self, table_ref: &str) -> String {
        format!("DELETE FROM {table_ref}")
    }
}

/// The server's message without the driver's prefix.
pub(crate) fn server_reason(s: &str) -> String {
    s.trim_start_matches("error returned from database: ").to_string()
}

/// `running `first line of the statement``, for error messages.
pub(crate) fn running(sql: &str) -> String {
    format!("running `{}`", first_line(sql))
}
