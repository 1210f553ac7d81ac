//! The SQL pieces the steps share: literals of profile values, text casts, reading rows
//! with their keys, check queries, index names, the rows a revocation has not reached.

#[allow(unused_imports)]
use super::*;

/// A flag's text as a boolean: `1`, `t`, `true`, `yes` (any case) are true.
pub(super) fn truthy(text: Option<&str>) -> Option<bool> {
    let t = text?.trim().to_ascii_lowercase();
    Some(matches!(t.as_str(), "1" | "t" | "true" | "yes" | "on"))
}

pub(super) fn bool_literal(dialect: Dialect, b: bool) -> String {
    dialect.engine().bool_literal(b).to_string()
}

/// A profile value as a SQL literal of the target (`"now"` is the current UTC time).
pub(super) fn toml_literal(dialect: Dialect, v: &toml::Value) -> String {
    let engine = dialect.engine();
    match v {
        toml::Value::String(s) if s == "now" => {
            engine.string_literal(&chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string())
        }
        toml::Value::String(s) => engine.string_literal(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => bool_literal(dialect, *b),
        other => engine.string_literal(&other.to_string()),
    }
}

pub(super) fn text_cast(dialect: Dialect, expr: &str) -> String {
    format!("CAST({expr} AS {})", dialect.engine().text_cast())
}

/// The rows of `table` (key and `columns` as text) that `filter` selects in Rust.
pub(super) async fn rows_where(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
    where_sql: Option<&str>,
) -> Result<(Vec<String>, Vec<(Vec<String>, Vec<Option<String>>)>), RunError> {
    let dialect = conn.dialect();
    let q = |c: &str| dialect.engine().quote(c);
    let key = conn.primary_key(schema, table).await?;
    if key.is_empty() {
        return Err(RunError::Profile(format!(
            "table {table} has no primary key: cutover names each changed row by its key to undo it; add a primary key first"
        )));
    }
    let select: Vec<String> = key.iter().chain(columns).map(|c| text_cast(dialect, &q(c))).collect();
    let sql = format!(
        "SELECT {} FROM {}{}",
        select.join(", "),
        conn.table_ref(schema, table),
        where_sql.map(|w| format!(" WHERE {w}")).unwrap_or_default()
    );
    let rows = conn
        .text_rows(&sql)
        .await?
        .into_iter()
        .map(|r| {
            let (k, v) = r.split_at(key.len());
            (k.iter().map(|x| x.clone().unwrap_or_default()).collect(), v.to_vec())
        })
        .collect();
    Ok((key, rows))
}

/// The number a `sql` step's check query returns (any integer type; NULL or no row is 0).
pub(super) async fn sql_count(conn: &mut TargetConn, check: &str) -> Result<i64, String> {
    let rows = conn.text_rows(check).await.map_err(|e| e.to_string())?;
    match rows.first().and_then(|r| r.first()) {
        None | Some(None) => Ok(0),
        Some(Some(text)) => text
            .trim()
            .parse::<i64>()
            .or_else(|_| text.trim().parse::<f64>().map(|f| f as i64))
            .map_err(|_| format!("it returned {text:?}, not a number")),
    }
}

/// `idx_<table>_<columns>`, shortened with a hash when longer than every engine allows.
pub(super) fn index_name(table: &str, columns: &[String]) -> String {
    let name = format!("idx_{table}_{}", columns.join("_"));
    if name.len() <= 60 {
        return name;
    }
    let h = crate::hash::fnv1a64(name.as_bytes()) & 0xffff_ffff;
    let mut cut = 50;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{h:08x}", &name[..cut])
}

/// The rows of an `invalidate` table not yet revoked: a `set` column not at its value
/// (NULL counts as not set), within the profile's `where`.
pub(crate) fn not_revoked_condition(dialect: Dialect, inv: &Invalidate) -> String {
    let not_set: Vec<String> = inv
        .set
        .iter()
        .map(|(c, v)| {
            let q = dialect.engine().quote(c);
            format!("({q} IS NULL OR {q} <> {})", toml_literal(dialect, v))
        })
        .collect();
    let cond = format!("({})", not_set.join(" OR "));
    match &inv.where_ {
        Some(w) => format!("{cond} AND ({w})"),
        None => cond,
    }
}

/// `key1 = 'a' AND key2 = 'b'` for one row.
pub(super) fn key_condition(dialect: Dialect, key_columns: &[String], key: &[String]) -> String {
    let e = dialect.engine();
    key_columns
        .iter()
        .zip(key)
        .map(|(c, v)| format!("{} = {}", e.quote(c), e.string_literal(v)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `CREATE INDEX index ON table (columns)` for harden's index steps and their undo.
pub(super) fn create_index(
    conn: &TargetConn,
    schema: Option<&str>,
    table: &str,
    index: &str,
    columns: &[String],
) -> String {
    let e = conn.dialect().engine();
    let cols: Vec<String> = columns.iter().map(|c| e.quote(c)).collect();
    format!("CREATE INDEX {} ON {} ({})", e.quote(index), conn.table_ref(schema, table), cols.join(", "))
}
