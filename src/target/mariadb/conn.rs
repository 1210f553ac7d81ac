//! A live MariaDB (or MySQL 8) connection: strict session, statements, the catalog's
//! columns (JSON found by its json_valid() check), multi-row INSERT literals as the bulk
//! path (built while the server runs the one before), and text-protocol read-back.

use std::time::Duration;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::{ConnectOptions, Executor, MySqlConnection, Row};
use tokio::sync::mpsc::Receiver;

use super::text;
use crate::target::engine::{running, server_reason, Engine};
use crate::target::error::{connect_error, CatalogColumn, TargetError};
use crate::target::readback;
use crate::target::url::TargetUrl;
use crate::target::SqlDialect;
use crate::types::ColumnType;
use crate::value::Value;

/// Largest multi-row INSERT sent (smaller if the server's packet limit is).
const STATEMENT_BYTES: usize = 4 << 20;

pub struct MariaDbTarget {
    conn: MySqlConnection,
    target: String,
    version: String,
    /// The server's `max_allowed_packet`: no INSERT statement is larger.
    max_packet: usize,
    encrypted: bool,
}

impl MariaDbTarget {
    pub async fn connect(url: &TargetUrl) -> Result<MariaDbTarget, TargetError> {
        let target = url.to_string();
        let fail = |reason: String| connect_error(&target, reason);
        let with_tls = mysql_tls_params(url.expose()).map_err(|reason| TargetError::Connect {
            target: target.clone(),
            reason,
            hint: "use sslmode=disable|prefer|require|verify-ca|verify-full (or MySQL's ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY)".into(),
        })?;
        let opts: MySqlConnectOptions = with_tls.parse().map_err(|e: sqlx::Error| fail(e.to_string()))?;
        let opts = opts
            .charset("utf8mb4")
            .log_statements(log::LevelFilter::Off)
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(3600));
        let mut conn = opts.connect().await.map_err(|e| fail(e.to_string()))?;
        for s in super::MariaDb.session_setup() {
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
        let max_packet = usize::try_from(packet).unwrap_or(1 << 22).max(1 << 16);
        let cipher = sqlx::query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            .fetch_optional(&mut conn)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let encrypted = match cipher {
            Some(row) => !row.try_get::<Vec<u8>, _>(1).map_err(|e| fail(e.to_string()))?.is_empty(),
            None => false,
        };
        Ok(MariaDbTarget { conn, target, version, max_packet, encrypted })
    }
}

impl Engine for MariaDbTarget {
    fn sql(&self) -> &'static dyn SqlDialect {
        &super::MariaDb
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
        r.map_err(|e| self.server(running(sql), e))
    }

    async fn strings(&mut self, sql: &str) -> Result<Vec<String>, TargetError> {
        let r = sqlx::query_scalar::<_, String>(sql).fetch_all(&mut self.conn).await;
        r.map_err(|e| self.server(running(sql), e))
    }

    async fn scalar(&mut self, sql: &str) -> Result<i64, TargetError> {
        let r = sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut self.conn).await;
        r.map_err(|e| self.server(running(sql), e))
    }

    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        use futures_util::StreamExt;
        let what = running(sql);
        let target = self.target.clone();
        let fail = |e: sqlx::Error| TargetError::Server {
            target: target.clone(),
            what: what.clone(),
            reason: server_reason(&e.to_string()),
        };
        let mut out = Vec::new();
        let mut stream = sqlx::raw_sql(sql).fetch(&mut self.conn);
        while let Some(row) = stream.next().await {
            let row = row.map_err(fail)?;
            let mut values = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                let v: Option<&[u8]> = row.try_get_unchecked(i).map_err(fail)?;
                values.push(v.map(|b| String::from_utf8_lossy(b).into_owned()));
            }
            out.push(values);
        }
        Ok(out)
    }

    async fn columns(&mut self, _schema: Option<&str>, table: &str) -> Result<Vec<CatalogColumn>, TargetError> {
        // MariaDB keeps JSON as LONGTEXT with a json_valid() check; MySQL has a JSON type.
        let json_check = if self.version.starts_with("MariaDB") {
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
        let what = format!("reading the columns of {table}");
        let rows = sqlx::query(&sql).bind(table).fetch_all(&mut self.conn).await;
        let rows = rows.map_err(|e| self.server(&what, e))?;
        rows.iter()
            .map(|r| {
                let ty: String = r.try_get(1)?;
                let json = r.try_get::<i64, _>(4)? != 0;
                Ok(CatalogColumn {
                    name: r.try_get(0)?,
                    labels: super::catalog::labels(&ty),
                    type_name: if json { "json".into() } else { ty },
                    nullable: r.try_get::<i64, _>(2)? != 0,
                    has_default: r.try_get::<i64, _>(3)? != 0,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.server(&what, e))
    }

    /// BEGIN, then multi-row INSERTs of literals, each up to the packet limit; a task of its
    /// own builds the next statement while the server runs the one before.
    async fn load(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        prelude: Option<&str>,
        rx: Receiver<Vec<Vec<Value>>>,
    ) -> Result<u64, TargetError> {
        let tref = self.sql().table_ref(schema, table);
        let target = self.target.clone();
        let max_packet = self.max_packet;
        let limit = STATEMENT_BYTES.min(max_packet.saturating_sub(1024));
        let err = |what: &str, e: sqlx::Error| TargetError::Server {
            target: target.clone(),
            what: format!("{what} {table}"),
            reason: server_reason(&e.to_string()),
        };
        let cols = columns.iter().map(|c| super::MariaDb.quote(c)).collect::<Vec<_>>().join(", ");
        let head = format!("INSERT INTO {tref} ({cols}) VALUES ");
        let conn = &mut self.conn;
        conn.execute("BEGIN").await.map_err(|e| err("starting the transaction for", e))?;
        if let Some(p) = prelude {
            conn.execute(p).await.map_err(|e| err("emptying", e))?;
        }
        let (stx, mut srx) = tokio::sync::mpsc::channel::<Insert>(1);
        let build = tokio::spawn(build_inserts(head, limit, rx, stx));
        let send = async {
            let mut n = 0u64;
            while let Some(ins) = srx.recv().await {
                if ins.sql.len() > max_packet {
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

    /// The text protocol: every field as the server prints it.
    async fn read_rows(
        &mut self,
        schema: Option<&str>,
        table: &str,
        columns: &[String],
        types: &[ColumnType],
        on_row: &mut (dyn FnMut(Vec<Value>) + Send),
    ) -> Result<u64, TargetError> {
        use futures_util::StreamExt;
        // FLOAT prints 6 digits; as DOUBLE it prints the stored value exactly.
        let cols = columns
            .iter()
            .zip(types)
            .map(|(c, ty)| match ty {
                ColumnType::Float4 => format!("CAST({} AS DOUBLE)", super::MariaDb.quote(c)),
                _ => super::MariaDb.quote(c),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!("SELECT {cols} FROM {}", self.sql().table_ref(schema, table));
        let what = format!("reading back the rows of {table}");
        let target = self.target.clone();
        let fail = |e: sqlx::Error| TargetError::Server {
            target: target.clone(),
            what: what.clone(),
            reason: server_reason(&e.to_string()),
        };
        let mut n = 0u64;
        let mut stream = sqlx::raw_sql(&select).fetch(&mut self.conn);
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
        Ok(n)
    }

    /// InnoDB checks a foreign key row by row, so a table that references itself (or two
    /// selected tables that reference each other) cannot be emptied with checks on. Checks
    /// are off while the selected tables are emptied, after making sure that no other
    /// table holds rows that point into them (those would be left dangling).
    async fn outside_references(&mut self, tables: &[String]) -> Result<Vec<String>, TargetError> {
        let names: Vec<String> = tables.iter().map(|t| t.trim_matches('`').replace("``", "`")).collect();
        let list = names.iter().map(|n| super::MariaDb.string_literal(n)).collect::<Vec<_>>().join(", ");
        let outside = self
            .text_rows(&format!(
                "SELECT DISTINCT CAST(TABLE_NAME AS CHAR), CAST(REFERENCED_TABLE_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_SCHEMA = DATABASE() \
                 AND REFERENCED_TABLE_NAME IN ({list}) AND TABLE_NAME NOT IN ({list})"
            ))
            .await?;
        let mut holding = Vec::new();
        for row in outside {
            let [Some(child), Some(parent)] = &row[..] else { continue };
            let n =
                self.scalar(&format!("SELECT CAST(count(*) AS SIGNED) FROM {}", super::MariaDb.quote(child))).await?;
            if n > 0 {
                holding.push(format!(
                    "{child} ({n} {}) references {parent}",
                    crate::output::plural(n.unsigned_abs(), "row", "rows")
                ));
            }
        }
        Ok(holding)
    }

    /// The caller has refused the run when `outside_references` found rows that would be
    /// left dangling (existing mode does, before its checks pass).
    async fn empty_tables(&mut self, tables: &[String]) -> Result<(), TargetError> {
        self.execute("SET FOREIGN_KEY_CHECKS = 0").await?;
        let mut result = Ok(());
        for t in tables.iter().rev() {
            result = self.execute(&format!("DELETE FROM {t}")).await;
            if result.is_err() {
                break;
            }
        }
        self.execute("SET FOREIGN_KEY_CHECKS = 1").await?;
        result
    }

    async fn next_counter(
        &mut self,
        _schema: Option<&str>,
        table: &str,
        _column: &str,
    ) -> Result<Option<i64>, TargetError> {
        let n = self
            .scalar(&format!(
                "SELECT CAST(COALESCE(max(AUTO_INCREMENT), 0) AS SIGNED) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
                super::MariaDb.string_literal(table)
            ))
            .await?;
        Ok((n > 0).then_some(n))
    }

    /// InnoDB moves AUTO_INCREMENT past every key inserted; only a floor above that needs
    /// an ALTER, and an AUTO_INCREMENT already past it is left as it is.
    async fn raise_counter(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        floor: i64,
    ) -> Result<(), TargetError> {
        if floor <= 0 {
            return Ok(());
        }
        match self.next_counter(schema, table, column).await? {
            Some(current) if current <= floor => {
                let tref = self.sql().table_ref(schema, table);
                self.execute(&format!("ALTER TABLE {tref} AUTO_INCREMENT = {}", floor + 1)).await
            }
            _ => Ok(()),
        }
    }
}

/// The URL with PostgreSQL's TLS parameters spelt as MySQL's, which the driver reads:
/// `sslmode=disable|prefer|require|verify-ca|verify-full` becomes `ssl-mode=DISABLED|
/// PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY` and `sslrootcert` becomes `ssl-ca`
/// (MySQL's own spellings pass as they are). Err names an unknown mode.
pub(crate) fn mysql_tls_params(raw: &str) -> Result<String, String> {
    let Ok(mut url) = url::Url::parse(raw) else { return Ok(raw.to_string()) };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in url.query_pairs() {
        let (k, v) = (k.into_owned(), v.into_owned());
        let pair = match k.to_ascii_lowercase().as_str() {
            "sslmode" | "ssl-mode" | "ssl_mode" => {
                let mode = match v.to_ascii_lowercase().replace('_', "-").as_str() {
                    "disable" | "disabled" => "DISABLED",
                    "prefer" | "preferred" => "PREFERRED",
                    "require" | "required" => "REQUIRED",
                    "verify-ca" => "VERIFY_CA",
                    "verify-full" | "verify-identity" => "VERIFY_IDENTITY",
                    _ => return Err(format!("unknown TLS mode sslmode={v}")),
                };
                ("ssl-mode".to_string(), mode.to_string())
            }
            "sslrootcert" | "ssl-root-cert" => ("ssl-ca".to_string(), v),
            _ => (k, v),
        };
        pairs.push(pair);
    }
    if pairs.is_empty() {
        return Ok(raw.to_string());
    }
    url.query_pairs_mut().clear().extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(url.to_string())
}

/// One multi-row INSERT ready to send, with where each row starts in it.
struct Insert {
    sql: String,
    starts: Vec<usize>,
    /// Rows of the table sent before this statement.
    first_row: u64,
}

/// Build INSERT statements of at most `limit` bytes from the rows received; the row that
/// overflows a statement opens the next one.
async fn build_inserts(
    head: String,
    limit: usize,
    mut rx: Receiver<Vec<Vec<Value>>>,
    stx: tokio::sync::mpsc::Sender<Insert>,
) {
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
            text::push_row(&mut sql, row);
            if sql.len() > limit && starts.len() > 1 {
                let tail = sql[at + 1..].to_string();
                sql.truncate(at);
                starts.pop();
                let n = starts.len() as u64;
                let full = Insert { sql: std::mem::take(&mut sql), starts: std::mem::take(&mut starts), first_row };
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
}

/// At most `max` characters of `s`, and how many there were when cut.
fn cut(s: &str, max: usize) -> String {
    let total = s.chars().count();
    if total <= max {
        return s.to_string();
    }
    format!("{}… ({total} chars)", s.chars().take(max).collect::<String>())
}

/// The server's message, plus the row it names (its place in the table and its start).
fn describe_insert_error(e: &sqlx::Error, ins: &Insert) -> String {
    let msg = server_reason(&e.to_string());
    let (_, row) = text::error_position(&msg);
    let Some(row) = row.filter(|r| *r >= 1 && *r <= ins.starts.len()) else { return msg };
    let start = ins.starts[row - 1];
    let end = ins.starts.get(row).map_or(ins.sql.len(), |s| s - 1);
    let shown = &ins.sql[start..end];
    format!("{msg} (row {} of the table as sent: {})", ins.first_row + row as u64, cut(shown, 120))
}

#[cfg(test)]
mod tests {
    use super::mysql_tls_params;

    #[test]
    fn postgres_tls_words_become_mysql_ones() {
        let u = mysql_tls_params("mariadb://u:p@h:3306/db?sslmode=verify-full&sslrootcert=/ca.pem").unwrap();
        assert!(u.contains("ssl-mode=VERIFY_IDENTITY") && u.contains("ssl-ca=%2Fca.pem"), "{u}");
        for (given, wanted) in [
            ("disable", "DISABLED"),
            ("prefer", "PREFERRED"),
            ("require", "REQUIRED"),
            ("verify-ca", "VERIFY_CA"),
            ("VERIFY_IDENTITY", "VERIFY_IDENTITY"),
        ] {
            let u = mysql_tls_params(&format!("mysql://h/db?ssl-mode={given}")).unwrap();
            assert!(u.ends_with(&format!("ssl-mode={wanted}")), "{given}: {u}");
        }
        assert!(mysql_tls_params("mysql://h/db?sslmode=sometimes").unwrap_err().contains("sometimes"));
        assert_eq!(mysql_tls_params("mysql://h/db").unwrap(), "mysql://h/db");
    }
}
