//! A live connection to a target, behind one enum: connect, run DDL, read the catalog,
//! count rows, and bulk-load rows of converted values (binary COPY on PostgreSQL, one
//! prepared INSERT in one transaction on the embedded SQLite target).
//!
//! Every error names the target with its password redacted and says what to do.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, PgConnection, Row};

use super::pgbinary::{self, PgType};
use super::url::TargetUrl;
use super::Dialect;
use crate::value::Value;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot connect to {target}: {reason}; {hint}")]
    Connect { target: String, reason: String, hint: String },
    #[error("{target}: {what}: {reason}")]
    Server { target: String, what: String, reason: String },
    #[error("{target}: MariaDB and MySQL targets are not supported by migrate yet (planned); use `cutover plan --dialect mariadb` to see the DDL")]
    Unsupported { target: String },
}

/// One column of a target table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct CatalogColumn {
    pub name: String,
    /// The type as the catalog prints it (`character varying(20)`, `bigint`, …).
    pub type_name: String,
    pub nullable: bool,
    pub has_default: bool,
}

pub enum TargetConn {
    Postgres { conn: PgConnection, target: String },
    Sqlite { conn: rusqlite::Connection, target: String },
}

fn connect_hint(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("password") || r.contains("authentication") {
        "check the user and password (put the password in an environment variable and write ${VAR} in cutover.toml)"
    } else if r.contains("does not exist") || r.contains("unknown database") {
        "create the database first (cutover creates tables, never databases)"
    } else if r.contains("refused") || r.contains("timed out") || r.contains("resolve") {
        "check the host and port, and that the server is running and reachable"
    } else {
        "check the URL"
    }
}

impl TargetConn {
    pub async fn connect(url: &TargetUrl) -> Result<TargetConn, TargetError> {
        let target = url.to_string();
        let fail = |reason: String| TargetError::Connect {
            hint: connect_hint(&reason).into(),
            target: target.clone(),
            reason,
        };
        match url.dialect {
            Dialect::Postgres => {
                let opts: PgConnectOptions = url.expose().parse().map_err(|e: sqlx::Error| fail(e.to_string()))?;
                let opts = opts
                    .log_statements(log::LevelFilter::Off)
                    .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(3600));
                let mut conn = opts.connect().await.map_err(|e| fail(e.to_string()))?;
                for s in Dialect::Postgres.engine().session_setup() {
                    conn.execute(*s).await.map_err(|e| fail(e.to_string()))?;
                }
                Ok(TargetConn::Postgres { conn, target })
            }
            Dialect::Sqlite => {
                let path = url.sqlite_path().unwrap_or_default();
                let conn = rusqlite::Connection::open(&path).map_err(|e| fail(e.to_string()))?;
                conn.busy_timeout(Duration::from_secs(30)).map_err(|e| fail(e.to_string()))?;
                conn.execute_batch(
                    "PRAGMA foreign_keys = OFF; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|e| fail(e.to_string()))?;
                Ok(TargetConn::Sqlite { conn, target })
            }
            Dialect::MariaDb => Err(TargetError::Unsupported { target }),
        }
    }

    fn target(&self) -> &str {
        match self {
            TargetConn::Postgres { target, .. } | TargetConn::Sqlite { target, .. } => target,
        }
    }

    fn server(&self, what: impl Into<String>, e: impl std::fmt::Display) -> TargetError {
        TargetError::Server { target: self.target().to_string(), what: what.into(), reason: pg_reason(&e.to_string()) }
    }

    /// Run one statement (or several, for SQLite).
    pub async fn execute(&mut self, sql: &str) -> Result<(), TargetError> {
        let r = match self {
            TargetConn::Postgres { conn, .. } => {
                conn.execute(sqlx::raw_sql(sql)).await.map(|_| ()).map_err(|e| e.to_string())
            }
            TargetConn::Sqlite { conn, .. } => conn.execute_batch(sql).map_err(|e| e.to_string()),
        };
        r.map_err(|e| self.server(format!("running `{}`", first_line(sql)), e))
    }

    /// The qualified name of a table for this connection's dialect.
    pub fn table_ref(&self, schema: Option<&str>, table: &str) -> String {
        match self {
            TargetConn::Postgres { .. } => Dialect::Postgres.engine().table_ref(schema, table),
            TargetConn::Sqlite { .. } => Dialect::Sqlite.engine().table_ref(schema, table),
        }
    }

    pub async fn table_exists(&mut self, schema: Option<&str>, table: &str) -> Result<bool, TargetError> {
        match self {
            TargetConn::Postgres { conn, .. } => {
                let row = sqlx::query(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
                )
                .bind(schema.unwrap_or("public"))
                .bind(table)
                .fetch_one(&mut *conn)
                .await;
                let n: i64 =
                    row.and_then(|r| r.try_get(0)).map_err(|e| self.server(format!("looking up table {table}"), e))?;
                Ok(n > 0)
            }
            TargetConn::Sqlite { conn, .. } => {
                let n: i64 = conn
                    .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", [table], |r| {
                        r.get(0)
                    })
                    .map_err(|e| self.server(format!("looking up table {table}"), e))?;
                Ok(n > 0)
            }
        }
    }

    pub async fn count(&mut self, schema: Option<&str>, table: &str) -> Result<u64, TargetError> {
        let sql = format!("SELECT count(*) FROM {}", self.table_ref(schema, table));
        let n: i64 = match self {
            TargetConn::Postgres { conn, .. } => {
                let r = sqlx::query(&sql).fetch_one(&mut *conn).await.and_then(|r| r.try_get(0));
                r.map_err(|e| self.server(format!("counting the rows of {table}"), e))?
            }
            TargetConn::Sqlite { conn, .. } => {
                let r = conn.query_row(&sql, [], |r| r.get(0));
                r.map_err(|e| self.server(format!("counting the rows of {table}"), e))?
            }
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The columns of a target table, in order.
    pub async fn columns(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<CatalogColumn>, TargetError> {
        match self {
            TargetConn::Postgres { conn, .. } => {
                let sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, \
                           (a.atthasdef OR a.attidentity <> '') \
                           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                           WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
                let rows = sqlx::query(sql).bind(schema.unwrap_or("public")).bind(table).fetch_all(&mut *conn).await;
                let rows = rows.map_err(|e| self.server(format!("reading the columns of {table}"), e))?;
                rows.iter()
                    .map(|r| {
                        Ok(CatalogColumn {
                            name: r.try_get(0)?,
                            type_name: r.try_get(1)?,
                            nullable: r.try_get(2)?,
                            has_default: r.try_get(3)?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
                    .map_err(|e| self.server(format!("reading the columns of {table}"), e))
            }
            TargetConn::Sqlite { conn, .. } => {
                let mut st = conn
                    .prepare(
                        "SELECT name, type, \"notnull\", dflt_value IS NOT NULL OR pk > 0 FROM pragma_table_info(?1)",
                    )
                    .map_err(|e| TargetError::Server {
                        target: String::new(),
                        what: format!("reading the columns of {table}"),
                        reason: e.to_string(),
                    })?;
                let rows = st
                    .query_map([table], |r| {
                        Ok(CatalogColumn {
                            name: r.get(0)?,
                            type_name: r.get(1)?,
                            nullable: !r.get::<_, bool>(2)?,
                            has_default: r.get(3)?,
                        })
                    })
                    .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
                rows.map_err(|e| TargetError::Server {
                    target: String::new(),
                    what: format!("reading the columns of {table}"),
                    reason: e.to_string(),
                })
            }
        }
    }

    /// Start loading one table: BEGIN and, on PostgreSQL, COPY in binary.
    pub async fn load(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        prelude: Option<&str>,
        mut rx: tokio::sync::mpsc::Receiver<Vec<Vec<Value>>>,
    ) -> Result<u64, TargetError> {
        let tref = self.table_ref(schema, table);
        match self {
            TargetConn::Postgres { conn, target } => {
                let target = target.clone();
                let err = |what: &str, e: sqlx::Error| TargetError::Server {
                    target: target.clone(),
                    what: format!("{what} {table}"),
                    reason: pg_reason(&describe_pg(&e)),
                };
                let types =
                    pg_types(conn, schema, table, columns).await.map_err(|e| err("reading the column types of", e))?;
                let types = types.map_err(|bad| TargetError::Server {
                    target: target.clone(),
                    what: format!("loading {table}"),
                    reason: format!("column {bad} has a type cutover cannot write yet"),
                })?;
                let cols = columns.iter().map(|c| Dialect::Postgres.engine().quote(c)).collect::<Vec<_>>().join(", ");
                conn.execute("BEGIN").await.map_err(|e| err("starting the transaction for", e))?;
                if let Some(p) = prelude {
                    conn.execute(p).await.map_err(|e| err("emptying", e))?;
                }
                let mut copy = conn
                    .copy_in_raw(&format!("COPY {tref} ({cols}) FROM STDIN (FORMAT binary)"))
                    .await
                    .map_err(|e| err("starting COPY into", e))?;
                let mut buf = Vec::with_capacity(1 << 20);
                buf.extend_from_slice(pgbinary::HEADER);
                let mut sent = 0u64;
                while let Some(batch) = rx.recv().await {
                    for row in &batch {
                        if let Err(e) = pgbinary::encode_row(&mut buf, row, &types) {
                            let _ = copy.abort(e.to_string()).await;
                            return Err(TargetError::Server {
                                target,
                                what: format!("loading {table}"),
                                reason: e.to_string(),
                            });
                        }
                        sent += 1;
                    }
                    if buf.len() >= 1 << 20 {
                        copy.send(std::mem::take(&mut buf)).await.map_err(|e| err("sending rows of", e))?;
                        buf.reserve(1 << 20);
                    }
                }
                buf.extend_from_slice(pgbinary::TRAILER);
                copy.send(buf).await.map_err(|e| err("sending rows of", e))?;
                let n = copy.finish().await.map_err(|e| err("loading", e))?;
                debug_assert_eq!(n, sent);
                Ok(n)
            }
            TargetConn::Sqlite { conn, target } => {
                let target = target.clone();
                let err = |what: &str, e: rusqlite::Error| TargetError::Server {
                    target: target.clone(),
                    what: format!("{what} {table}"),
                    reason: e.to_string(),
                };
                let cols = columns.iter().map(|c| Dialect::Sqlite.engine().quote(c)).collect::<Vec<_>>().join(", ");
                let marks = vec!["?"; columns.len()].join(", ");
                conn.execute_batch("BEGIN").map_err(|e| err("starting the transaction for", e))?;
                if let Some(p) = prelude {
                    conn.execute_batch(p).map_err(|e| err("emptying", e))?;
                }
                let mut st = conn
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
        }
    }

    pub async fn commit(&mut self) -> Result<(), TargetError> {
        self.execute("COMMIT").await
    }

    /// Roll back whatever the current transaction did (errors are ignored: the connection may be gone).
    pub async fn rollback(&mut self) {
        let _ = self.execute("ROLLBACK").await;
    }
}

async fn pg_types(
    conn: &mut PgConnection,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
) -> Result<Result<Vec<PgType>, String>, sqlx::Error> {
    let sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
               JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped";
    let rows = sqlx::query(sql).bind(schema.unwrap_or("public")).bind(table).fetch_all(&mut *conn).await?;
    let mut by_name = std::collections::HashMap::new();
    for r in rows {
        let name: String = r.try_get(0)?;
        let ty: String = r.try_get(1)?;
        by_name.insert(name, ty);
    }
    Ok(columns
        .iter()
        .map(|c| {
            by_name
                .get(c)
                .and_then(|t| PgType::from_catalog(t))
                .ok_or_else(|| format!("{c} ({})", by_name.get(c).map_or("missing", String::as_str)))
        })
        .collect())
}

/// The server's message with its detail and context (which names the COPY line).
fn describe_pg(e: &sqlx::Error) -> String {
    if let sqlx::Error::Database(db) = e {
        if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            let mut s = pg.message().to_string();
            if let Some(d) = pg.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(w) = pg.r#where() {
                s.push_str(&format!(" [{w}]"));
            }
            return s;
        }
    }
    e.to_string()
}

fn pg_reason(s: &str) -> String {
    s.trim_start_matches("error returned from database: ").to_string()
}

fn first_line(sql: &str) -> String {
    let line = sql.lines().next().unwrap_or("");
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
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
        Value::Uuid(u) => S::Text(super::format_uuid(*u)),
    }
}
