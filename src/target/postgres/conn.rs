//! A live PostgreSQL connection: session setup, statements, the catalog's column types,
//! the binary COPY bulk path and COPY … TO STDOUT read-back.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, PgConnection, Row};
use tokio::sync::mpsc::Receiver;

use super::binary::{self, PgType};
use crate::target::engine::{running, server_reason, Engine};
use crate::target::error::{connect_error, CatalogColumn, TargetError};
use crate::target::readback;
use crate::target::url::TargetUrl;
use crate::target::SqlDialect;

/// COPY data goes to the server in pieces of about a megabyte.
const SEND_BYTES: usize = 1 << 20;
/// Room past `SEND_BYTES` for the row that fills a piece (a longer row grows the buffer).
const SEND_SLACK: usize = 64 << 10;
use crate::types::ColumnType;
use crate::value::Value;

pub struct PgTarget {
    conn: PgConnection,
    target: String,
    version: String,
    encrypted: bool,
}

impl PgTarget {
    pub async fn connect(url: &TargetUrl) -> Result<PgTarget, TargetError> {
        let target = url.to_string();
        let fail = |reason: String| connect_error(&target, reason);
        let opts: PgConnectOptions = url.expose().parse().map_err(|e: sqlx::Error| fail(e.to_string()))?;
        let opts = opts
            .log_statements(log::LevelFilter::Off)
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(3600));
        let mut conn = opts.connect().await.map_err(|e| fail(e.to_string()))?;
        for s in super::Postgres.session_setup() {
            conn.execute(*s).await.map_err(|e| fail(e.to_string()))?;
        }
        let version: String =
            sqlx::query_scalar("SHOW server_version").fetch_one(&mut conn).await.map_err(|e| fail(e.to_string()))?;
        let encrypted: bool =
            sqlx::query_scalar("SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)")
                .fetch_one(&mut conn)
                .await
                .map_err(|e| fail(e.to_string()))?;
        Ok(PgTarget { conn, target, version: format!("PostgreSQL {version}"), encrypted })
    }
}

impl Engine for PgTarget {
    fn sql(&self) -> &'static dyn SqlDialect {
        &super::Postgres
    }

    fn target(&self) -> &str {
        &self.target
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn encrypted(&self) -> Option<bool> {
        Some(self.encrypted)
    }

    async fn server_checks(&mut self) -> Vec<crate::check::Check> {
        super::server_checks::checks(self).await
    }

    async fn execute(&mut self, sql: &str) -> Result<(), TargetError> {
        let r = self.conn.execute(sqlx::raw_sql(sql)).await.map(|_| ());
        r.map_err(|e| self.server(running(sql), describe(&e)))
    }

    async fn strings(&mut self, sql: &str) -> Result<Vec<String>, TargetError> {
        let r = sqlx::query_scalar::<_, String>(sql).fetch_all(&mut self.conn).await;
        r.map_err(|e| self.server(running(sql), describe(&e)))
    }

    async fn scalar(&mut self, sql: &str) -> Result<i64, TargetError> {
        let r = sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut self.conn).await;
        r.map_err(|e| self.server(running(sql), describe(&e)))
    }

    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        use futures_util::StreamExt;
        let what = running(sql);
        let target = self.target.clone();
        let fail = |e: sqlx::Error| TargetError::Server {
            target: target.clone(),
            what: what.clone(),
            reason: server_reason(&describe(&e)),
        };
        let mut out = Vec::new();
        let mut stream = sqlx::raw_sql(sql).fetch(&mut self.conn);
        while let Some(row) = stream.next().await {
            let row = row.map_err(fail)?;
            let mut values = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                let v: Option<&str> = row.try_get_unchecked(i).map_err(fail)?;
                values.push(v.map(str::to_string));
            }
            out.push(values);
        }
        Ok(out)
    }

    async fn columns(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<CatalogColumn>, TargetError> {
        let sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, \
                   (a.atthasdef OR a.attidentity <> ''), \
                   (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid) \
                   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
        let what = format!("reading the columns of {table}");
        let rows = sqlx::query(sql).bind(schema.unwrap_or("public")).bind(table).fetch_all(&mut self.conn).await;
        let rows = rows.map_err(|e| self.server(&what, e))?;
        rows.iter()
            .map(|r| {
                Ok(CatalogColumn {
                    name: r.try_get(0)?,
                    type_name: r.try_get(1)?,
                    nullable: r.try_get(2)?,
                    has_default: r.try_get(3)?,
                    labels: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.server(&what, e))
    }

    /// BEGIN, then COPY … FROM STDIN in binary, each value encoded for its column's real type.
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
        let err = |what: &str, e: sqlx::Error| TargetError::Server {
            target: target.clone(),
            what: format!("{what} {table}"),
            reason: server_reason(&describe(&e)),
        };
        let conn = &mut self.conn;
        let types =
            copy_types(conn, schema, table, columns).await.map_err(|e| err("reading the column types of", e))?;
        let types = types.map_err(|bad| TargetError::Server {
            target: target.clone(),
            what: format!("loading {table}"),
            reason: format!("column {bad} has a type cutover cannot write yet"),
        })?;
        let cols = columns.iter().map(|c| super::Postgres.quote(c)).collect::<Vec<_>>().join(", ");
        conn.execute("BEGIN").await.map_err(|e| err("starting the transaction for", e))?;
        if let Some(p) = prelude {
            conn.execute(p).await.map_err(|e| err("emptying", e))?;
        }
        let mut copy = conn
            .copy_in_raw(&format!("COPY {tref} ({cols}) FROM STDIN (FORMAT binary)"))
            .await
            .map_err(|e| err("starting COPY into", e))?;
        let mut buf = Vec::with_capacity(SEND_BYTES + SEND_SLACK);
        buf.extend_from_slice(binary::HEADER);
        while let Some(batch) = rx.recv().await {
            for row in &batch {
                if let Err(e) = binary::encode_row(&mut buf, row, &types) {
                    let _ = copy.abort(e.to_string()).await;
                    return Err(TargetError::Server {
                        target,
                        what: format!("loading {table}"),
                        reason: e.to_string(),
                    });
                }
                // Sent once a row fills it, not after the batch: the buffer never grows
                // (a copy of the whole megabyte each time).
                if buf.len() >= SEND_BYTES {
                    copy.send(std::mem::replace(&mut buf, Vec::with_capacity(SEND_BYTES + SEND_SLACK)))
                        .await
                        .map_err(|e| err("sending rows of", e))?;
                }
            }
        }
        buf.extend_from_slice(binary::TRAILER);
        copy.send(buf).await.map_err(|e| err("sending rows of", e))?;
        copy.finish().await.map_err(|e| err("loading", e))
    }

    /// COPY (SELECT …) TO STDOUT in text format, parsed line by line.
    async fn read_rows(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        on_row: &mut (dyn FnMut(Vec<Value>) + Send),
    ) -> Result<u64, TargetError> {
        use futures_util::StreamExt;
        let cols = columns
            .iter()
            .zip(types)
            .map(|(c, ty)| match ty {
                ColumnType::Float4 => format!("{}::float8", super::Postgres.quote(c)),
                _ => super::Postgres.quote(c),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!("SELECT {cols} FROM {}", self.sql().table_ref(schema, table));
        let what = format!("reading back the rows of {table}");
        let target = self.target.clone();
        let fail = |e: sqlx::Error| TargetError::Server {
            target: target.clone(),
            what: what.clone(),
            reason: server_reason(&describe(&e)),
        };
        let mut stream = self.conn.copy_out_raw(&format!("COPY ({select}) TO STDOUT")).await.map_err(fail)?;
        let mut pending: Vec<u8> = Vec::new();
        let mut fields = Vec::with_capacity(columns.len());
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(fail)?;
            pending.extend_from_slice(&chunk);
            let Some(end) = pending.iter().rposition(|b| *b == b'\n') else { continue };
            for line in pending[..end].split(|b| *b == b'\n') {
                readback::pg_copy_fields(line, &mut fields);
                let row = fields.iter().zip(types).map(|(f, ty)| readback::from_pg_text(f.as_deref(), ty)).collect();
                on_row(row);
                n += 1;
            }
            pending.drain(..=end);
        }
        Ok(n)
    }

    async fn next_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
    ) -> Result<Option<i64>, TargetError> {
        let lit = |s: &str| super::Postgres.string_literal(s);
        let tref = self.sql().table_ref(schema, table);
        let seq = self
            .strings(&format!("SELECT COALESCE(pg_get_serial_sequence({}, {}), '')", lit(&tref), lit(column)))
            .await?;
        let Some(seq) = seq.into_iter().next().filter(|s| !s.is_empty()) else { return Ok(None) };
        let next = self
            .scalar(&format!("SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {seq}"))
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
        let lit = |s: &str| super::Postgres.string_literal(s);
        let tref = self.sql().table_ref(schema, table);
        let col = super::Postgres.quote(column);
        let sql = format!(
            "SELECT setval(s, GREATEST((SELECT max({col}) FROM {tref}), {floor}, 0) + 1, false) \
             FROM pg_get_serial_sequence({}, {}) AS s WHERE s IS NOT NULL",
            lit(&tref),
            lit(column)
        );
        self.execute(&sql).await
    }

    /// One TRUNCATE of them all: PostgreSQL truncates tables that reference each other only together.
    async fn empty_tables(&mut self, tables: &[String]) -> Result<(), TargetError> {
        self.execute(&format!("TRUNCATE {}", tables.join(", "))).await
    }

    fn empty_table_sql(&self, table_ref: &str) -> String {
        format!("TRUNCATE {table_ref}")
    }
}

/// Stands for any enum type in `copy_types` (no type of the catalog has a space in front).
const ENUM: &str = " enum";

/// The binary COPY type of each column to load, from the catalog; Err names a column whose
/// type cutover cannot write yet.
async fn copy_types(
    conn: &mut PgConnection,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
) -> Result<Result<Vec<PgType>, String>, sqlx::Error> {
    let sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typtype::text FROM pg_attribute a \
               JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
               JOIN pg_type t ON t.oid = a.atttypid \
               WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped";
    let rows = sqlx::query(sql).bind(schema.unwrap_or("public")).bind(table).fetch_all(&mut *conn).await?;
    let mut by_name = std::collections::HashMap::new();
    for r in rows {
        let name: String = r.try_get(0)?;
        let ty: String = r.try_get(1)?;
        let kind: String = r.try_get(2)?;
        by_name.insert(name, if kind == "e" { ENUM.to_string() } else { ty });
    }
    Ok(columns
        .iter()
        .map(|c| {
            by_name
                .get(c)
                .and_then(|t| if t == ENUM { Some(PgType::Enum) } else { PgType::from_catalog(t) })
                .ok_or_else(|| format!("{c} ({})", by_name.get(c).map_or("missing", String::as_str)))
        })
        .collect())
}

/// The server's message with its detail and context (which names the COPY line).
fn describe(e: &sqlx::Error) -> String {
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
