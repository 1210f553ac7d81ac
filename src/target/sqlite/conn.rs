//! The embedded SQLite target's connection: a new file (0600), one prepared INSERT per
//! table in one transaction, stored values read back as they are.

use std::time::Duration;

use tokio::sync::mpsc::Receiver;

use crate::target::engine::{running, Engine};
use crate::target::error::{connect_error, CatalogColumn, TargetError};
use crate::target::readback;
use crate::target::url::TargetUrl;
use crate::target::SqlDialect;
use crate::types::ColumnType;
use crate::value::Value;

pub struct SqliteTarget {
    conn: rusqlite::Connection,
    target: String,
    version: String,
}

impl SqliteTarget {
    pub async fn connect(url: &TargetUrl) -> Result<SqliteTarget, TargetError> {
        let target = url.to_string();
        let fail = |reason: String| connect_error(&target, reason);
        let path = url.sqlite_path().unwrap_or_default();
        let new_file = !path.exists();
        let conn = rusqlite::Connection::open(&path).map_err(|e| fail(e.to_string()))?;
        if new_file {
            // The client's data, password hashes included: the owner's only.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(|e| fail(e.to_string()))?;
        }
        conn.busy_timeout(Duration::from_secs(30)).map_err(|e| fail(e.to_string()))?;
        conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|e| fail(e.to_string()))?;
        Ok(SqliteTarget { conn, target, version: format!("SQLite {}", rusqlite::version()) })
    }

    fn query_text(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, rusqlite::Error> {
        use rusqlite::types::ValueRef as V;
        let mut st = self.conn.prepare(sql)?;
        let n = st.column_count();
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(match r.get_ref(i)? {
                    V::Null => None,
                    V::Integer(i) => Some(i.to_string()),
                    V::Real(f) => Some(f.to_string()),
                    V::Text(t) | V::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl Engine for SqliteTarget {
    fn sql(&self) -> &'static dyn SqlDialect {
        &super::Sqlite
    }

    fn target(&self) -> &str {
        &self.target
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn encrypted(&self) -> Option<bool> {
        None
    }

    /// No server: every server check of the other engines is `skip`.
    async fn server_checks(&mut self) -> Vec<crate::check::Check> {
        use crate::target::{mariadb, postgres};
        postgres::server_checks::IDS
            .iter()
            .chain(mariadb::server_checks::IDS)
            .map(|id| {
                crate::check::Check::skip(*id, "an sqlite:// target has no database server to check")
                    .hint("run the gate against the production PostgreSQL or MariaDB server before go-live")
            })
            .collect()
    }

    /// Several statements at once are allowed (`execute_batch`).
    async fn execute(&mut self, sql: &str) -> Result<(), TargetError> {
        self.conn.execute_batch(sql).map_err(|e| self.server(running(sql), e))
    }

    async fn strings(&mut self, sql: &str) -> Result<Vec<String>, TargetError> {
        let rows = self
            .conn
            .prepare(sql)
            .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.server(running(sql), e))
    }

    async fn scalar(&mut self, sql: &str) -> Result<i64, TargetError> {
        let r = self.conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        r.map_err(|e| self.server(running(sql), e))
    }

    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        self.query_text(sql).map_err(|e| self.server(running(sql), e))
    }

    async fn columns(&mut self, _schema: Option<&str>, table: &str) -> Result<Vec<CatalogColumn>, TargetError> {
        let what = format!("reading the columns of {table}");
        let rows = self
            .conn
            .prepare("SELECT name, type, \"notnull\", dflt_value IS NOT NULL OR pk > 0 FROM pragma_table_info(?1)")
            .and_then(|mut st| {
                st.query_map([table], |r| {
                    Ok(CatalogColumn {
                        labels: None,
                        name: r.get(0)?,
                        type_name: r.get(1)?,
                        nullable: !r.get::<_, bool>(2)?,
                        has_default: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            });
        rows.map_err(|e| self.server(what, e))
    }

    /// BEGIN, then one prepared INSERT per row.
    async fn load(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        prelude: Option<&str>,
        mut rx: Receiver<Vec<Vec<Value>>>,
    ) -> Result<u64, TargetError> {
        let tref = self.sql().table_ref(schema, table);
        let target = self.target.clone();
        let err = |what: &str, e: rusqlite::Error| TargetError::Server {
            target: target.clone(),
            what: format!("{what} {table}"),
            reason: e.to_string(),
        };
        let cols = columns.iter().map(|c| super::Sqlite.quote(c)).collect::<Vec<_>>().join(", ");
        let marks = vec!["?"; columns.len()].join(", ");
        self.conn.execute_batch("BEGIN").map_err(|e| err("starting the transaction for", e))?;
        if let Some(p) = prelude {
            self.conn.execute_batch(p).map_err(|e| err("emptying", e))?;
        }
        let mut st = self
            .conn
            .prepare(&format!("INSERT INTO {tref} ({cols}) VALUES ({marks})"))
            .map_err(|e| err("preparing the insert into", e))?;
        let mut n = 0u64;
        while let Some(batch) = tokio::task::block_in_place(|| rx.blocking_recv()) {
            for row in &batch {
                let params = rusqlite::params_from_iter(row.iter().map(sqlite_value));
                st.execute(params).map_err(|e| err("inserting into", e))?;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn read_rows(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        on_row: &mut (dyn FnMut(Vec<Value>) + Send),
    ) -> Result<u64, TargetError> {
        let cols = columns.iter().map(|c| super::Sqlite.quote(c)).collect::<Vec<_>>().join(", ");
        let select = format!("SELECT {cols} FROM {}", self.sql().table_ref(schema, table));
        let what = format!("reading back the rows of {table}");
        let target = self.target.clone();
        let fail = |e: rusqlite::Error| TargetError::Server {
            target: target.clone(),
            what: what.clone(),
            reason: e.to_string(),
        };
        let mut st = self.conn.prepare(&select).map_err(fail)?;
        let mut rows = st.query([]).map_err(fail)?;
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(fail)? {
            let mut values = Vec::with_capacity(types.len());
            for (i, ty) in types.iter().enumerate() {
                values.push(readback::from_sqlite(r.get_ref(i).map_err(fail)?, ty));
            }
            on_row(values);
            n += 1;
        }
        Ok(n)
    }

    /// `sqlite_sequence` + 1 of an AUTOINCREMENT table; None for others (SQLite hands out
    /// max(rowid) + 1 by itself).
    async fn next_counter(
        &mut self,
        _schema: Option<&str>,
        table: &str,
        _column: &str,
    ) -> Result<Option<i64>, TargetError> {
        if !self.autoincrement(table).await? {
            return Ok(None);
        }
        let next = self
            .scalar(&format!(
                "SELECT COALESCE((SELECT max(seq) FROM sqlite_sequence WHERE name = {}), 0) + 1",
                super::Sqlite.string_literal(table)
            ))
            .await?;
        Ok(Some(next))
    }

    async fn raise_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        floor: i64,
    ) -> Result<(), TargetError> {
        if floor <= 0 || !self.autoincrement(table).await? {
            return Ok(());
        }
        let tref = self.sql().table_ref(schema, table);
        match super::Sqlite.reset_identity(&tref, column, floor + 1) {
            Some(sql) => self.execute(&sql).await,
            None => Ok(()),
        }
    }
}

impl SqliteTarget {
    /// Whether the table keeps a counter in `sqlite_sequence` (declared AUTOINCREMENT).
    async fn autoincrement(&mut self, table: &str) -> Result<bool, TargetError> {
        let n = self
            .scalar(&format!(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = {} \
                 AND upper(sql) LIKE '%AUTOINCREMENT%'",
                super::Sqlite.string_literal(table)
            ))
            .await?;
        Ok(n > 0)
    }
}

/// The canonical SQLite value of a converted value (booleans 0/1, ISO datetimes, exact decimals).
pub fn sqlite_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Bool(b) => S::Integer(i64::from(*b)),
        Value::Int(i) => S::Integer(*i),
        Value::Float(f) => S::Real(*f),
        // Exact: a decimal that a double holds exactly-as-written is stored as REAL (what the
        // application stored), any other as its exact text.
        Value::Decimal(d) => {
            let text = d.normalize().to_string();
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() && format!("{f}") == text => S::Real(f),
                _ => S::Text(d.to_string()),
            }
        }
        Value::Text(s) | Value::Json(s) => S::Text(s.clone()),
        Value::Bytes(b) => S::Blob(b.clone()),
        Value::Timestamp(t) => S::Text(t.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
        Value::TimestampTz(t) => S::Text(t.format("%Y-%m-%d %H:%M:%S%.f+00:00").to_string()),
        Value::Date(d) => S::Text(d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => S::Text(t.format("%H:%M:%S%.f").to_string()),
        Value::Uuid(u) => S::Text(crate::target::format_uuid(*u)),
        Value::Interval { .. } => S::Text(crate::target::interval_iso(v)),
        Value::Array(_) => S::Text(crate::target::array_json(v)),
    }
}
