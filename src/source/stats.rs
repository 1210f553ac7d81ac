//! Column statistics, read in one aggregate pass per table (in chunks of columns, to
//! stay under SQLite's limit on result columns). The planner's data-dependent decisions
//! (NUMERIC without precision, TEXT that must become a sized VARCHAR in a MariaDB key,
//! date/time columns holding integers or offsets, INTEGER columns holding fractions)
//! read these numbers, and the plan says so.

use rusqlite::Connection;

use super::quote_sqlite;
use crate::schema::{ColumnStats, Table};

const COLUMNS_PER_QUERY: usize = 40;
const EXPRS_PER_COLUMN: usize = 10;

/// Declared types whose text values may carry UTC offsets (date/time affinity by name).
fn is_temporal(declared: &str) -> bool {
    let d = declared.to_ascii_uppercase();
    d.contains("DATE") || d.contains("TIME")
}

/// Declared types whose values' digit counts size a MariaDB DECIMAL.
fn is_unsized_numeric(declared: &str) -> bool {
    let d = declared.to_ascii_uppercase();
    (d.contains("NUMERIC") || d.contains("DECIMAL")) && !d.contains('(')
}

pub(super) fn read(conn: &Connection, table: &mut Table) -> rusqlite::Result<()> {
    let from = quote_sqlite(&table.name);
    let cols: Vec<(String, bool)> =
        table.columns.iter().map(|c| (quote_sqlite(&c.name), is_temporal(&c.declared_type))).collect();
    let mut all = Vec::with_capacity(cols.len());
    for chunk in cols.chunks(COLUMNS_PER_QUERY) {
        let exprs: Vec<String> = chunk.iter().map(|(c, temporal)| aggregates(c, *temporal)).collect();
        let sql = format!("SELECT {} FROM {from}", exprs.join(", "));
        conn.query_row(&sql, [], |r| {
            for i in 0..chunk.len() {
                let base = i * EXPRS_PER_COLUMN;
                let n = |k: usize| {
                    r.get::<_, Option<i64>>(base + k).map(|v| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
                };
                all.push(ColumnStats {
                    nulls: n(0)?,
                    integers: n(1)?,
                    reals: n(2)?,
                    texts: n(3)?,
                    blobs: n(4)?,
                    fractional_reals: n(5)?,
                    max_text_chars: r.get::<_, Option<i64>>(base + 6)?.and_then(|v| u64::try_from(v).ok()),
                    min_integer: r.get(base + 7)?,
                    max_integer: r.get(base + 8)?,
                    texts_with_offset: n(9)?,
                    max_integer_digits: None,
                    max_fraction_digits: None,
                });
            }
            Ok(())
        })?;
    }
    for (col, stats) in table.columns.iter_mut().zip(all) {
        col.stats = stats;
    }
    for i in 0..table.columns.len() {
        if is_unsized_numeric(&table.columns[i].declared_type) {
            let (int_digits, frac_digits) = digits(conn, &from, &quote_sqlite(&table.columns[i].name))?;
            table.columns[i].stats.max_integer_digits = Some(int_digits);
            table.columns[i].stats.max_fraction_digits = Some(frac_digits);
        }
    }
    Ok(())
}

fn aggregates(c: &str, temporal: bool) -> String {
    let offset = if temporal {
        format!("coalesce(sum(typeof({c}) = 'text' AND ({c} GLOB '*:*[+-][0-9][0-9]*' OR {c} GLOB '*:*[Zz]')), 0)")
    } else {
        "0".to_string()
    };
    format!(
        "coalesce(sum({c} IS NULL), 0), coalesce(sum(typeof({c}) = 'integer'), 0), coalesce(sum(typeof({c}) = 'real'), 0), \
         coalesce(sum(typeof({c}) = 'text'), 0), coalesce(sum(typeof({c}) = 'blob'), 0), \
         coalesce(sum(typeof({c}) = 'real' AND {c} <> CAST({c} AS INTEGER)), 0), \
         max(CASE WHEN typeof({c}) = 'text' THEN length({c}) END), \
         min(CASE WHEN typeof({c}) = 'integer' THEN {c} END), max(CASE WHEN typeof({c}) = 'integer' THEN {c} END), {offset}"
    )
}

/// Widest integer part and widest fraction of the numeric values of one column, counted
/// on the text each value converts through (the shortest round-trip text of a REAL).
fn digits(conn: &Connection, from: &str, col: &str) -> rusqlite::Result<(u32, u32)> {
    let mut st =
        conn.prepare(&format!("SELECT {col} FROM {from} WHERE typeof({col}) IN ('integer', 'real', 'text')"))?;
    let mut rows = st.query([])?;
    let (mut int_max, mut frac_max) = (1u32, 0u32);
    while let Some(row) = rows.next()? {
        let text = match row.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
            rusqlite::types::ValueRef::Real(f) if f.is_finite() => f.to_string(),
            rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).trim().to_string(),
            _ => continue,
        };
        let Ok(d) = text.parse::<rust_decimal::Decimal>() else {
            continue;
        };
        let d = d.normalize();
        let frac = d.scale();
        let int_part = d.trunc().abs().to_string().trim_start_matches('0').len();
        int_max = int_max.max(u32::try_from(int_part).unwrap_or(u32::MAX).max(1));
        frac_max = frac_max.max(frac);
    }
    Ok((int_max, frac_max))
}
