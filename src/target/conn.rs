//! A live connection to a target, behind one enum: connect, run DDL, read the catalog,
//! count rows, and bulk-load rows of converted values (binary COPY on PostgreSQL, one
//! prepared INSERT in one transaction on the embedded SQLite target).
//!
//! Every error names the target with its password redacted and says what to do.

use std::time::Duration;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, MySqlConnection, PgConnection, Row};

use super::mysqltext;
use super::pgbinary::{self, PgType};
use super::readback;
use super::url::TargetUrl;
use super::{Dialect, PlannedObject};
use crate::types::ColumnType;
use crate::value::Value;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot connect to {target}: {reason}; {hint}")]
    Connect { target: String, reason: String, hint: String },
    /// The URL is refused before any connection (no database, a system database).
    #[error(transparent)]
    Url(#[from] crate::target::url::UrlError),
    #[error("{target}: {what}: {reason}")]
    Server { target: String, what: String, reason: String },
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
    Postgres {
        conn: PgConnection,
        target: String,
        version: String,
    },
    MariaDb {
        conn: MySqlConnection,
        target: String,
        version: String,
        /// The server's `max_allowed_packet`: no INSERT statement is larger.
        max_packet: usize,
    },
    Sqlite {
        conn: rusqlite::Connection,
        target: String,
        version: String,
    },
}

/// Largest multi-row INSERT sent to MariaDB (smaller if the server's packet limit is).
const MARIADB_STATEMENT_BYTES: usize = 4 << 20;

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
        url.check_database()?;
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
                let version: String = sqlx::query_scalar("SHOW server_version")
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                Ok(TargetConn::Postgres { conn, target, version: format!("PostgreSQL {version}") })
            }
            Dialect::MariaDb => {
                let opts: MySqlConnectOptions = url.expose().parse().map_err(|e: sqlx::Error| fail(e.to_string()))?;
                let opts = opts
                    .charset("utf8mb4")
                    .log_statements(log::LevelFilter::Off)
                    .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(3600));
                let mut conn = opts.connect().await.map_err(|e| fail(e.to_string()))?;
                for s in Dialect::MariaDb.engine().session_setup() {
                    conn.execute(*s).await.map_err(|e| fail(e.to_string()))?;
                }
                let row = sqlx::query("SELECT VERSION(), CAST(@@max_allowed_packet AS SIGNED)")
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let version: String = row.try_get(0).map_err(|e| fail(e.to_string()))?;
                let packet: i64 = row.try_get(1).map_err(|e| fail(e.to_string()))?;
                let version = if version.to_ascii_lowercase().contains("mariadb") {
                    format!("MariaDB {}", version.split("-MariaDB").next().unwrap_or(&version))
                } else {
                    format!("MySQL {version}")
                };
                Ok(TargetConn::MariaDb {
                    conn,
                    target,
                    version,
                    max_packet: usize::try_from(packet).unwrap_or(1 << 22).max(1 << 16),
                })
            }
            Dialect::Sqlite => {
                let path = url.sqlite_path().unwrap_or_default();
                let new_file = !path.exists();
                let conn = rusqlite::Connection::open(&path).map_err(|e| fail(e.to_string()))?;
                if new_file {
                    // The client's data, password hashes included: the owner's only.
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| fail(e.to_string()))?;
                }
                conn.busy_timeout(Duration::from_secs(30)).map_err(|e| fail(e.to_string()))?;
                conn.execute_batch(
                    "PRAGMA foreign_keys = OFF; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|e| fail(e.to_string()))?;
                Ok(TargetConn::Sqlite { conn, target, version: format!("SQLite {}", rusqlite::version()) })
            }
        }
    }

    /// The server's product and version, read at connect time (`MariaDB 10.11.19`).
    pub fn version(&self) -> &str {
        match self {
            TargetConn::Postgres { version, .. }
            | TargetConn::MariaDb { version, .. }
            | TargetConn::Sqlite { version, .. } => version,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            TargetConn::Postgres { .. } => Dialect::Postgres,
            TargetConn::MariaDb { .. } => Dialect::MariaDb,
            TargetConn::Sqlite { .. } => Dialect::Sqlite,
        }
    }

    fn target(&self) -> &str {
        match self {
            TargetConn::Postgres { target, .. }
            | TargetConn::MariaDb { target, .. }
            | TargetConn::Sqlite { target, .. } => target,
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
            TargetConn::MariaDb { conn, .. } => {
                conn.execute(sqlx::raw_sql(sql)).await.map(|_| ()).map_err(|e| e.to_string())
            }
            TargetConn::Sqlite { conn, .. } => conn.execute_batch(sql).map_err(|e| e.to_string()),
        };
        r.map_err(|e| self.server(format!("running `{}`", first_line(sql)), e))
    }

    /// Move the counter that numbers new rows of `column` (a sequence / identity,
    /// AUTO_INCREMENT, SQLite's `sqlite_sequence`) so that the next value is above the
    /// column's largest value and above `floor` (the source's `sqlite_sequence`: SQLite's
    /// AUTOINCREMENT never hands out an id again, even of a deleted row). A column
    /// without a counter is left alone.
    pub async fn raise_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        floor: i64,
    ) -> Result<(), TargetError> {
        let engine = self.dialect().engine();
        let tref = self.table_ref(schema, table);
        let lit = |s: &str| engine.string_literal(s);
        match self.dialect() {
            Dialect::Postgres => {
                let col = engine.quote(column);
                let sql = format!(
                    "SELECT setval(s, GREATEST((SELECT max({col}) FROM {tref}), {floor}, 0) + 1, false) \
                     FROM pg_get_serial_sequence({}, {}) AS s WHERE s IS NOT NULL",
                    lit(&tref),
                    lit(column)
                );
                self.execute(&sql).await
            }
            Dialect::MariaDb => {
                if floor <= 0 {
                    return Ok(()); // InnoDB moves AUTO_INCREMENT past every key inserted.
                }
                let current = self
                    .scalar(&format!(
                        "SELECT CAST(COALESCE(max(AUTO_INCREMENT), 0) AS SIGNED) FROM information_schema.TABLES \
                         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
                        lit(table)
                    ))
                    .await?;
                if current == 0 || current > floor {
                    return Ok(()); // no AUTO_INCREMENT column, or already past the floor
                }
                self.execute(&format!("ALTER TABLE {tref} AUTO_INCREMENT = {}", floor + 1)).await
            }
            Dialect::Sqlite => {
                let autoincrement = self
                    .scalar(&format!(
                        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = {} \
                         AND upper(sql) LIKE '%AUTOINCREMENT%'",
                        lit(table)
                    ))
                    .await?;
                if autoincrement == 0 || floor <= 0 {
                    return Ok(()); // SQLite hands out max(rowid) + 1 by itself.
                }
                match engine.reset_identity(&tref, column, floor + 1) {
                    Some(sql) => self.execute(&sql).await,
                    None => Ok(()),
                }
            }
        }
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
        let engine = self.dialect().engine();
        let lit = |s: &str| engine.string_literal(s);
        match self.dialect() {
            Dialect::Postgres => {
                let tref = self.table_ref(schema, table);
                let seq = self
                    .strings(&format!("SELECT COALESCE(pg_get_serial_sequence({}, {}), '')", lit(&tref), lit(column)))
                    .await?;
                let Some(seq) = seq.into_iter().next().filter(|s| !s.is_empty()) else { return Ok(None) };
                let next = self
                    .scalar(&format!("SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {seq}"))
                    .await?;
                Ok(Some(next))
            }
            Dialect::MariaDb => {
                let n = self
                    .scalar(&format!(
                        "SELECT CAST(COALESCE(max(AUTO_INCREMENT), 0) AS SIGNED) FROM information_schema.TABLES \
                         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
                        lit(table)
                    ))
                    .await?;
                Ok((n > 0).then_some(n))
            }
            Dialect::Sqlite => {
                let autoincrement = self
                    .scalar(&format!(
                        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = {} \
                         AND upper(sql) LIKE '%AUTOINCREMENT%'",
                        lit(table)
                    ))
                    .await?;
                if autoincrement == 0 {
                    return Ok(None);
                }
                let next = self
                    .scalar(&format!(
                        "SELECT COALESCE((SELECT max(seq) FROM sqlite_sequence WHERE name = {}), 0) + 1",
                        lit(table)
                    ))
                    .await?;
                Ok(Some(next))
            }
        }
    }

    /// Whether the catalog already holds an object the plan creates after the data (an
    /// index or foreign key of that name on that table, a view, a counter at or past its
    /// planned value): how `--resume` completes a post-load phase that a kill interrupted
    /// between a statement and its record in the state file.
    pub async fn has_object(&mut self, schema: Option<&str>, object: &PlannedObject) -> Result<bool, TargetError> {
        let engine = self.dialect().engine();
        let lit = |s: &str| engine.string_literal(s);
        let pg_schema = lit(schema.unwrap_or("public"));
        let sql = match (self.dialect(), object) {
            (_, PlannedObject::Counter { table, column, next }) => {
                let current = self.next_counter(schema, table, column).await?;
                return Ok(current.is_some_and(|c| c >= *next));
            }
            (Dialect::Postgres, PlannedObject::Index { table, name }) => format!(
                "SELECT count(*) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
                 JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = {pg_schema} AND t.relname = {} AND ic.relname = {}",
                lit(table),
                lit(name)
            ),
            (Dialect::Postgres, PlannedObject::ForeignKey { table, name }) => format!(
                "SELECT count(*) FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE co.contype = 'f' AND n.nspname = {pg_schema} AND t.relname = {} AND co.conname = {}",
                lit(table),
                lit(name)
            ),
            (Dialect::Postgres, PlannedObject::View { name }) => {
                format!("SELECT count(*) FROM pg_views WHERE schemaname = {pg_schema} AND viewname = {}", lit(name))
            }
            (Dialect::MariaDb, PlannedObject::Index { table, name }) => format!(
                "SELECT CAST(count(*) AS SIGNED) FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} AND INDEX_NAME = {}",
                lit(table),
                lit(name)
            ),
            (Dialect::MariaDb, PlannedObject::ForeignKey { table, name }) => format!(
                "SELECT CAST(count(*) AS SIGNED) FROM information_schema.REFERENTIAL_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {} AND CONSTRAINT_NAME = {}",
                lit(table),
                lit(name)
            ),
            (Dialect::MariaDb, PlannedObject::View { name }) => format!(
                "SELECT CAST(count(*) AS SIGNED) FROM information_schema.VIEWS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
                lit(name)
            ),
            (Dialect::Sqlite, PlannedObject::Index { table, name }) => format!(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = {} AND name = {}",
                lit(table),
                lit(name)
            ),
            // SQLite declares foreign keys inside CREATE TABLE: they exist with the table.
            (Dialect::Sqlite, PlannedObject::ForeignKey { table, .. }) => {
                format!("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = {}", lit(table))
            }
            (Dialect::Sqlite, PlannedObject::View { name }) => {
                format!("SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = {}", lit(name))
            }
        };
        Ok(self.scalar(&sql).await? > 0)
    }

    /// The qualified name of a table for this connection's dialect.
    pub fn table_ref(&self, schema: Option<&str>, table: &str) -> String {
        self.dialect().engine().table_ref(schema, table)
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
            TargetConn::MariaDb { conn, .. } => {
                let row = sqlx::query(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
                )
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
            TargetConn::MariaDb { conn, .. } => {
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

    /// A one-column query of text values (catalog lookups, orphan samples); MariaDB and PostgreSQL.
    pub async fn strings(&mut self, sql: &str) -> Result<Vec<String>, TargetError> {
        let r = match self {
            TargetConn::Postgres { conn, .. } => sqlx::query_scalar::<_, String>(sql).fetch_all(&mut *conn).await,
            TargetConn::MariaDb { conn, .. } => sqlx::query_scalar::<_, String>(sql).fetch_all(&mut *conn).await,
            TargetConn::Sqlite { conn, .. } => {
                let rows = conn
                    .prepare(sql)
                    .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>());
                return rows.map_err(|e| self.server(format!("running `{}`", first_line(sql)), e));
            }
        };
        r.map_err(|e| self.server(format!("running `{}`", first_line(sql)), e))
    }

    /// A query that returns one integer.
    pub async fn scalar(&mut self, sql: &str) -> Result<i64, TargetError> {
        let r = match self {
            TargetConn::Postgres { conn, .. } => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut *conn).await,
            TargetConn::MariaDb { conn, .. } => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut *conn).await,
            TargetConn::Sqlite { conn, .. } => {
                let r = conn.query_row(sql, [], |r| r.get::<_, i64>(0));
                return r.map_err(|e| self.server(format!("running `{}`", first_line(sql)), e));
            }
        };
        r.map_err(|e| self.server(format!("running `{}`", first_line(sql)), e))
    }

    /// A query's rows as text (every column read by its text form; NULL is None). Callers
    /// cast non-text columns in SQL where the engine needs it.
    pub async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        use futures_util::StreamExt;
        let what = format!("running `{}`", first_line(sql));
        let mut out = Vec::new();
        match self {
            TargetConn::Postgres { conn, target, .. } => {
                let fail = |e: sqlx::Error| TargetError::Server {
                    target: target.clone(),
                    what: what.clone(),
                    reason: pg_reason(&describe_pg(&e)),
                };
                let mut stream = sqlx::raw_sql(sql).fetch(&mut *conn);
                while let Some(row) = stream.next().await {
                    let row = row.map_err(fail)?;
                    let mut values = Vec::with_capacity(row.len());
                    for i in 0..row.len() {
                        let v: Option<&str> = row.try_get_unchecked(i).map_err(fail)?;
                        values.push(v.map(str::to_string));
                    }
                    out.push(values);
                }
            }
            TargetConn::MariaDb { conn, target, .. } => {
                let fail = |e: sqlx::Error| TargetError::Server {
                    target: target.clone(),
                    what: what.clone(),
                    reason: pg_reason(&e.to_string()),
                };
                let mut stream = sqlx::raw_sql(sql).fetch(&mut *conn);
                while let Some(row) = stream.next().await {
                    let row = row.map_err(fail)?;
                    let mut values = Vec::with_capacity(row.len());
                    for i in 0..row.len() {
                        let v: Option<&[u8]> = row.try_get_unchecked(i).map_err(fail)?;
                        values.push(v.map(|b| String::from_utf8_lossy(b).into_owned()));
                    }
                    out.push(values);
                }
            }
            TargetConn::Sqlite { conn, target, .. } => {
                let fail = |e: rusqlite::Error| TargetError::Server {
                    target: target.clone(),
                    what: what.clone(),
                    reason: e.to_string(),
                };
                let mut st = conn.prepare(sql).map_err(fail)?;
                let n = st.column_count();
                let mut rows = st.query([]).map_err(fail)?;
                while let Some(r) = rows.next().map_err(fail)? {
                    let mut values = Vec::with_capacity(n);
                    for i in 0..n {
                        use rusqlite::types::ValueRef as V;
                        values.push(match r.get_ref(i).map_err(fail)? {
                            V::Null => None,
                            V::Integer(i) => Some(i.to_string()),
                            V::Real(f) => Some(f.to_string()),
                            V::Text(t) | V::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
                        });
                    }
                    out.push(values);
                }
            }
        }
        Ok(out)
    }

    /// The tables of the target schema (database), by name.
    pub async fn tables(&mut self, schema: Option<&str>) -> Result<Vec<String>, TargetError> {
        let lit = |s: &str| self.dialect().engine().string_literal(s);
        let sql = match self.dialect() {
            Dialect::Postgres => format!(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = {} AND table_type = 'BASE TABLE' ORDER BY 1",
                lit(schema.unwrap_or("public"))
            ),
            Dialect::MariaDb => "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1".to_string(),
            Dialect::Sqlite => "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1".to_string(),
        };
        Ok(self.text_rows(&sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }

    /// The primary key columns of a table, in key order (empty when it has none).
    pub async fn primary_key(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<String>, TargetError> {
        let engine = self.dialect().engine();
        let sql = match self.dialect() {
            Dialect::Postgres => format!(
                "SELECT a.attname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
                 WHERE i.indisprimary AND n.nspname = {} AND c.relname = {} ORDER BY k.ord",
                engine.string_literal(schema.unwrap_or("public")),
                engine.string_literal(table)
            ),
            Dialect::MariaDb => format!(
                "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
                engine.string_literal(table)
            ),
            Dialect::Sqlite => {
                format!("SELECT name FROM pragma_table_info({}) WHERE pk > 0 ORDER BY pk", engine.string_literal(table))
            }
        };
        Ok(self.text_rows(&sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }

    /// Every foreign key of the schema as (table, columns in key order).
    pub async fn foreign_key_columns(
        &mut self,
        schema: Option<&str>,
    ) -> Result<Vec<(String, Vec<String>)>, TargetError> {
        let engine = self.dialect().engine();
        let sep = '\u{1f}';
        let sql = match self.dialect() {
            Dialect::Postgres => format!(
                "SELECT c.relname::text, string_agg(a.attname::text, '{sep}' ORDER BY k.ord) \
                 FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN LATERAL unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
                 WHERE f.contype = 'f' AND n.nspname = {} GROUP BY f.oid, c.relname ORDER BY 1, 2",
                engine.string_literal(schema.unwrap_or("public"))
            ),
            Dialect::MariaDb => format!(
                "SELECT CAST(TABLE_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}') AS CHAR) \
                 FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
                 GROUP BY TABLE_NAME, CONSTRAINT_NAME ORDER BY 1, 2"
            ),
            Dialect::Sqlite => format!(
                "SELECT m.name, group_concat(f.\"from\", '{sep}') FROM sqlite_schema m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' GROUP BY m.name, f.id ORDER BY 1, 2"
            ),
        };
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
        let engine = self.dialect().engine();
        let sep = '\u{1f}';
        let sql = match self.dialect() {
            Dialect::Postgres => format!(
                "SELECT c.relname::text, ic.relname::text, string_agg(COALESCE(a.attname::text, '?'), '{sep}' ORDER BY k.ord) \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                 LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
                 WHERE n.nspname = {} GROUP BY c.relname, ic.relname ORDER BY 1, 2",
                engine.string_literal(schema.unwrap_or("public"))
            ),
            Dialect::MariaDb => format!(
                "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR '{sep}') AS CHAR) \
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME ORDER BY 1, 2"
            ),
            Dialect::Sqlite => format!(
                "SELECT m.name, il.name, (SELECT group_concat(COALESCE(ii.name, '?'), '{sep}') FROM pragma_index_info(il.name) ii) \
                 FROM sqlite_schema m, pragma_index_list(m.name) il WHERE m.type = 'table' ORDER BY 1, 2"
            ),
        };
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
            TargetConn::MariaDb { conn, version, .. } => {
                // MariaDB keeps JSON as LONGTEXT with a json_valid() check; MySQL has a JSON type.
                let json_check = if version.starts_with("MariaDB") {
                    "EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA \
                     AND k.TABLE_NAME = c.TABLE_NAME AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))"
                } else {
                    "0"
                };
                let sql = format!(
                    "SELECT CAST(c.COLUMN_NAME AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), CAST(c.IS_NULLABLE = 'YES' AS SIGNED), \
                     CAST(c.COLUMN_DEFAULT IS NOT NULL OR c.EXTRA LIKE '%auto_increment%' OR c.EXTRA LIKE '%GENERATED%' AS SIGNED), \
                     CAST({json_check} AS SIGNED) \
                     FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ? \
                     ORDER BY c.ORDINAL_POSITION"
                );
                let rows = sqlx::query(&sql).bind(table).fetch_all(&mut *conn).await;
                let rows = rows.map_err(|e| self.server(format!("reading the columns of {table}"), e))?;
                rows.iter()
                    .map(|r| {
                        let ty: String = r.try_get(1)?;
                        let json = r.try_get::<i64, _>(4)? != 0;
                        Ok(CatalogColumn {
                            name: r.try_get(0)?,
                            type_name: if json { "json".into() } else { ty },
                            nullable: r.try_get::<i64, _>(2)? != 0,
                            has_default: r.try_get::<i64, _>(3)? != 0,
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
            TargetConn::Postgres { conn, target, .. } => {
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
            TargetConn::MariaDb { conn, target, max_packet, .. } => {
                let target = target.clone();
                let limit = MARIADB_STATEMENT_BYTES.min(max_packet.saturating_sub(1024));
                let err = |what: &str, e: sqlx::Error| TargetError::Server {
                    target: target.clone(),
                    what: format!("{what} {table}"),
                    reason: pg_reason(&e.to_string()),
                };
                let cols = columns.iter().map(|c| Dialect::MariaDb.engine().quote(c)).collect::<Vec<_>>().join(", ");
                let head = format!("INSERT INTO {tref} ({cols}) VALUES ");
                conn.execute("BEGIN").await.map_err(|e| err("starting the transaction for", e))?;
                if let Some(p) = prelude {
                    conn.execute(p).await.map_err(|e| err("emptying", e))?;
                }
                // Statements are built while the server runs the one before: the builder
                // hands each finished statement (and where each row starts in it) to the sender.
                let (stx, mut srx) = tokio::sync::mpsc::channel::<Insert>(1);
                // A task of its own, so that building never holds up the socket.
                let head_b = head.clone();
                let build = tokio::spawn(async move {
                    let head = head_b;
                    let mut sql = String::with_capacity(limit + (limit >> 3));
                    let mut starts = Vec::new();
                    let mut first_row = 0u64;
                    while let Some(batch) = rx.recv().await {
                        for row in &batch {
                            let at = sql.len();
                            if starts.is_empty() {
                                sql.push_str(&head);
                            } else {
                                sql.push(',');
                            }
                            starts.push(sql.len());
                            mysqltext::push_row(&mut sql, row);
                            if sql.len() > limit && starts.len() > 1 {
                                // The row that overflowed opens the next statement.
                                let tail = sql[at + 1..].to_string();
                                sql.truncate(at);
                                starts.pop();
                                let n = starts.len() as u64;
                                let full = Insert {
                                    sql: std::mem::take(&mut sql),
                                    starts: std::mem::take(&mut starts),
                                    first_row,
                                };
                                first_row += n;
                                if stx.send(full).await.is_err() {
                                    return;
                                }
                                sql.reserve(limit + (limit >> 3));
                                sql.push_str(&head);
                                starts.push(sql.len());
                                sql.push_str(&tail);
                            }
                        }
                    }
                    if !starts.is_empty() {
                        let _ = stx.send(Insert { sql, starts, first_row }).await;
                    }
                });
                let send = async {
                    let mut n = 0u64;
                    while let Some(ins) = srx.recv().await {
                        if ins.sql.len() > *max_packet {
                            return Err(TargetError::Server {
                                target: target.clone(),
                                what: format!("loading {table}"),
                                reason: format!(
                                    "row {} is {} bytes as SQL, more than the server's max_allowed_packet ({} bytes); raise it (SET GLOBAL max_allowed_packet = 1073741824) and run again with --resume",
                                    ins.first_row + 1,
                                    ins.sql.len(),
                                    max_packet
                                ),
                            });
                        }
                        match conn.execute(sqlx::raw_sql(&ins.sql)).await {
                            Ok(done) => n += done.rows_affected(),
                            Err(e) => {
                                return Err(TargetError::Server {
                                    target: target.clone(),
                                    what: format!("loading {table}"),
                                    reason: describe_insert_error(&e, &ins),
                                })
                            }
                        }
                    }
                    Ok(n)
                };
                let n = send.await;
                if n.is_err() {
                    build.abort();
                }
                let _ = build.await;
                n
            }
            TargetConn::Sqlite { conn, target, .. } => {
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
        use futures_util::StreamExt;
        let engine = self.dialect().engine();
        let cols = columns.iter().map(|c| engine.quote(c)).collect::<Vec<_>>().join(", ");
        let select = format!("SELECT {cols} FROM {}", self.table_ref(schema, table));
        let what = format!("reading back the rows of {table}");
        let mut n = 0u64;
        match self {
            TargetConn::Postgres { conn, target, .. } => {
                let fail = |e: sqlx::Error| TargetError::Server {
                    target: target.clone(),
                    what: what.clone(),
                    reason: pg_reason(&describe_pg(&e)),
                };
                let mut stream = conn.copy_out_raw(&format!("COPY ({select}) TO STDOUT")).await.map_err(fail)?;
                let mut pending: Vec<u8> = Vec::new();
                let mut fields = Vec::with_capacity(columns.len());
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(fail)?;
                    pending.extend_from_slice(&chunk);
                    let Some(end) = pending.iter().rposition(|b| *b == b'\n') else { continue };
                    for line in pending[..end].split(|b| *b == b'\n') {
                        readback::pg_copy_fields(line, &mut fields);
                        let row =
                            fields.iter().zip(types).map(|(f, ty)| readback::from_pg_text(f.as_deref(), ty)).collect();
                        on_row(row);
                        n += 1;
                    }
                    pending.drain(..=end);
                }
            }
            TargetConn::MariaDb { conn, target, .. } => {
                let fail = |e: sqlx::Error| TargetError::Server {
                    target: target.clone(),
                    what: what.clone(),
                    reason: pg_reason(&e.to_string()),
                };
                let mut stream = sqlx::raw_sql(&select).fetch(&mut *conn);
                while let Some(row) = stream.next().await {
                    let row = row.map_err(fail)?;
                    let mut values = Vec::with_capacity(types.len());
                    for (i, ty) in types.iter().enumerate() {
                        let raw: Option<&[u8]> = row.try_get_unchecked(i).map_err(fail)?;
                        values.push(readback::from_mariadb_text(raw, ty));
                    }
                    on_row(values);
                    n += 1;
                }
            }
            TargetConn::Sqlite { conn, target, .. } => {
                let fail = |e: rusqlite::Error| TargetError::Server {
                    target: target.clone(),
                    what: what.clone(),
                    reason: e.to_string(),
                };
                let mut st = conn.prepare(&select).map_err(fail)?;
                let mut rows = st.query([]).map_err(fail)?;
                while let Some(r) = rows.next().map_err(fail)? {
                    let mut values = Vec::with_capacity(types.len());
                    for (i, ty) in types.iter().enumerate() {
                        values.push(readback::from_sqlite(r.get_ref(i).map_err(fail)?, ty));
                    }
                    on_row(values);
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    pub async fn commit(&mut self) -> Result<(), TargetError> {
        self.execute("COMMIT").await
    }

    /// Roll back whatever the current transaction did (errors are ignored: the connection may be gone).
    pub async fn rollback(&mut self) {
        let _ = self.execute("ROLLBACK").await;
    }
}

/// One multi-row INSERT ready to send, with where each row starts in it.
struct Insert {
    sql: String,
    starts: Vec<usize>,
    /// Rows of the table sent before this statement.
    first_row: u64,
}

/// The server's message, plus the row it names (its place in the table and its start).
fn describe_insert_error(e: &sqlx::Error, ins: &Insert) -> String {
    let msg = pg_reason(&e.to_string());
    let (_, row) = mysqltext::error_position(&msg);
    let Some(row) = row.filter(|r| *r >= 1 && *r <= ins.starts.len()) else { return msg };
    let start = ins.starts[row - 1];
    let end = ins.starts.get(row).map_or(ins.sql.len(), |s| s - 1);
    let text = &ins.sql[start..end];
    format!("{msg} (row {} of the table as sent: {})", ins.first_row + row as u64, crate::convert::shorten(text, 120))
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
