//! Column statistics, read in one pass per table over the columns whose plan depends on
//! the data (or over every column, for `inspect`). The planner's data-dependent
//! decisions — NUMERIC without precision, text that must become a sized VARCHAR in a
//! MariaDB key, date/time columns holding integers or offsets, INTEGER columns holding
//! fractions, columns without a type — read these numbers, and the plan says so.
//! Counting happens in Rust on SQLite's raw values: far cheaper than aggregate SQL.

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::quote_sqlite;
use crate::mapping::{self, Decide};
use crate::schema::{ColumnStats, Table};

/// Which columns get statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsScope {
    /// Every column (`inspect` reports mixed storage classes everywhere).
    All,
    /// Only the columns whose planned type or size depends on the data.
    Decisions,
    /// None: the schema, row counts and keys only (lint's key checks need no more).
    Nothing,
}

fn upper(declared: &str) -> String {
    declared.to_ascii_uppercase()
}

/// Declared types whose text values may carry UTC offsets (date/time affinity by name).
fn is_temporal(declared: &str) -> bool {
    let d = upper(declared);
    d.contains("DATE") || d.contains("TIME")
}

/// Declared types whose values' digit counts size a MariaDB DECIMAL.
fn is_unsized_numeric(declared: &str) -> bool {
    let d = upper(declared);
    (d.contains("NUMERIC") || d.contains("DECIMAL")) && !d.contains('(')
}

/// CHAR(32), CHAR(36) and the like: the frameworks keep UUIDs there, and Django its
/// GenericIPAddressField in CHAR(39) (`apps`).
fn is_uuid_sized(declared: &str) -> bool {
    let base = mapping::base_name(declared);
    matches!(base.as_str(), "CHAR" | "VARCHAR" | "CHARACTER")
        && matches!(mapping::type_args(declared)[..], [32] | [36] | [39])
}

/// A UUID's text: 32 hex digits, or 8-4-4-4-12 hex digits.
fn is_uuid_text(t: &[u8]) -> bool {
    match t.len() {
        32 => t.iter().all(u8::is_ascii_hexdigit),
        36 => t
            .iter()
            .enumerate()
            .all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { *b == b'-' } else { b.is_ascii_hexdigit() }),
        _ => false,
    }
}

/// Columns whose plan reads the data: open types, temporal, integer affinity, unsized
/// decimals, and text in any key (MariaDB sizes it).
fn needs_stats(table: &Table, index: usize) -> bool {
    let c = &table.columns[index];
    let alias = table.rowid_alias().is_some_and(|a| a.name == c.name);
    let rule = mapping::rule_for(c, alias);
    if alias {
        return false;
    }
    let in_key = table.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name))
        || table.indexes.iter().any(|i| i.column_names().contains(&c.name.as_str()))
        || table.foreign_keys.iter().any(|f| f.columns.contains(&c.name));
    matches!(rule.decide, Decide::ByData | Decide::Temporal(_))
        || rule.id == "int_affinity"
        || is_uuid_sized(&c.declared_type)
        || is_unsized_numeric(&c.declared_type)
        || in_key
        || rule.id == "blob_affinity"
}

/// FLOAT, SMALLINT, TEXT and BLOB: sized for SQLAlchemy's conventions (`apps`), whose
/// MariaDB `FLOAT`, `TEXT` and `BLOB` hold less than cutover's own choices.
fn is_sized(declared: &str) -> bool {
    matches!(mapping::base_name(declared).as_str(), "FLOAT" | "SMALLINT" | "TEXT" | "BLOB")
}

/// The columns of `table` that get statistics (indices into its columns). `sizes`: also
/// the columns `is_sized` picks, whose byte lengths and float4 rule are read.
pub(super) fn picked(table: &Table, scope: StatsScope, parent_keys: &[String], sizes: bool) -> Vec<usize> {
    let sized = |i: usize| sizes && is_sized(&table.columns[i].declared_type);
    (0..table.columns.len())
        .filter(|i| {
            scope == StatsScope::All
                || (scope == StatsScope::Decisions
                    && (needs_stats(table, *i) || parent_keys.contains(&table.columns[*i].name) || sized(*i)))
        })
        .collect()
}

/// The statistics of the `picked` columns of `table`, in one pass over its rows.
pub(super) fn measure(
    conn: &Connection,
    table: &Table,
    picked: &[usize],
    sizes: bool,
) -> rusqlite::Result<Vec<ColumnStats>> {
    if picked.is_empty() {
        return Ok(Vec::new());
    }
    let sized = |i: usize| sizes && is_sized(&table.columns[i].declared_type);
    let cols: Vec<String> = picked.iter().map(|i| quote_sqlite(&table.columns[*i].name)).collect();
    let temporal: Vec<bool> = picked.iter().map(|i| is_temporal(&table.columns[*i].declared_type)).collect();
    let digits: Vec<bool> = picked.iter().map(|i| is_unsized_numeric(&table.columns[*i].declared_type)).collect();
    // Django keeps a GenericIPAddressField in CHAR(39): only there are addresses counted.
    let ips: Vec<bool> =
        picked.iter().map(|i| mapping::type_args(&table.columns[*i].declared_type)[..] == [39]).collect();
    let mut stats: Vec<ColumnStats> = picked
        .iter()
        .map(|i| {
            let mut s = ColumnStats::default();
            if sized(*i) {
                (s.max_bytes, s.float4_inexact) = (Some(0), Some(0));
            }
            s
        })
        .collect();
    let mut st = conn.prepare(&format!("SELECT {} FROM {}", cols.join(", "), quote_sqlite(&table.name)))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        for (k, s) in stats.iter_mut().enumerate() {
            let v = row.get_ref(k)?;
            observe(s, v, temporal[k], digits[k], ips[k]);
        }
    }
    Ok(stats)
}

fn observe(s: &mut ColumnStats, v: ValueRef<'_>, temporal: bool, digits: bool, ips: bool) {
    match v {
        ValueRef::Null => s.nulls += 1,
        ValueRef::Integer(i) => {
            s.integers += 1;
            if let Some(n) = s.float4_inexact.as_mut() {
                #[allow(clippy::cast_precision_loss)]
                let f = i as f64;
                *n += u64::from(f as i64 != i || !float4_keeps(f));
            }
            s.min_integer = Some(s.min_integer.map_or(i, |m| m.min(i)));
            s.max_integer = Some(s.max_integer.map_or(i, |m| m.max(i)));
            if digits {
                count_digits(s, &i.to_string());
            }
        }
        ValueRef::Real(f) => {
            s.reals += 1;
            if let Some(n) = s.float4_inexact.as_mut() {
                *n += u64::from(!float4_keeps(f));
            }
            if f.fract() != 0.0 && f.is_finite() {
                s.fractional_reals += 1;
            }
            if digits && f.is_finite() {
                count_digits(s, &f.to_string());
            }
        }
        ValueRef::Text(t) => {
            s.texts += 1;
            s.max_bytes = s.max_bytes.map(|m| m.max(t.len() as u64));
            if is_uuid_text(t) {
                s.uuid_texts += 1;
            }
            if ips && t.len() <= 39 && std::str::from_utf8(t).is_ok_and(|a| a.parse::<std::net::IpAddr>().is_ok()) {
                s.ip_texts += 1;
            }
            // Characters = bytes that do not continue a UTF-8 sequence.
            let chars = t.iter().filter(|b| (**b & 0xC0) != 0x80).count() as u64;
            s.max_text_chars = Some(s.max_text_chars.map_or(chars, |m| m.max(chars)));
            if temporal && has_offset(t) {
                s.texts_with_offset += 1;
            }
            if temporal && has_fraction(t) {
                s.texts_with_fraction += 1;
            }
            if digits {
                if let Ok(text) = std::str::from_utf8(t) {
                    count_digits(s, text.trim());
                }
            }
        }
        ValueRef::Blob(b) => {
            s.blobs += 1;
            s.max_bytes = s.max_bytes.map(|m| m.max(b.len() as u64));
        }
    }
}

/// The float4 rule (`convert::apptypes`): a 4-byte float keeps the value when its
/// shortest text reads back as the value (0.1 and 19.99 do; 0.123456789 does not).
fn float4_keeps(f: f64) -> bool {
    #[allow(clippy::cast_possible_truncation)]
    let narrow = f as f32;
    f.is_nan() || f64::from(narrow) == f || format!("{narrow}").parse::<f64>().is_ok_and(|r| r == f)
}

/// A date/time text that ends in `Z` or a `±HH[:MM]` offset after its time part.
fn has_offset(t: &[u8]) -> bool {
    let Some(colon) = t.iter().position(|b| *b == b':') else { return false };
    let rest = &t[colon..];
    if matches!(t.last(), Some(b'Z' | b'z')) {
        return true;
    }
    rest.iter().enumerate().any(|(i, b)| {
        (*b == b'+' || *b == b'-')
            && rest.get(i + 1).is_some_and(u8::is_ascii_digit)
            && rest.get(i + 2).is_some_and(u8::is_ascii_digit)
    })
}

/// A date/time text with a fraction of a second: digits after a `.` that follows a `:`.
fn has_fraction(t: &[u8]) -> bool {
    let Some(colon) = t.iter().position(|b| *b == b':') else { return false };
    let rest = &t[colon..];
    rest.iter().position(|b| *b == b'.').is_some_and(|dot| rest.get(dot + 1).is_some_and(u8::is_ascii_digit))
}

/// Track the widest integer part and fraction of a numeric value's text.
fn count_digits(s: &mut ColumnStats, text: &str) {
    let Ok(d) = text.parse::<rust_decimal::Decimal>() else { return };
    let d = d.normalize();
    let frac = d.scale();
    let int_len = d.trunc().abs().to_string().trim_start_matches('0').len();
    let int_digits = u32::try_from(int_len).unwrap_or(u32::MAX).max(1);
    s.max_integer_digits = Some(s.max_integer_digits.map_or(int_digits, |m| m.max(int_digits)));
    s.max_fraction_digits = Some(s.max_fraction_digits.map_or(frac, |m| m.max(frac)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_found_only_after_a_time() {
        assert!(has_fraction(b"2023-01-01 10:00:00.5"));
        assert!(has_fraction(b"10:00:00.000001"));
        assert!(!has_fraction(b"2023-01-01 10:00:00"));
        assert!(!has_fraction(b"2023.01.01"));
    }

    #[test]
    fn offsets_are_found_only_after_a_time() {
        assert!(has_offset(b"2023-01-01 10:00:00Z"));
        assert!(has_offset(b"2023-01-01T10:00:00+02:00"));
        assert!(has_offset(b"2023-01-01 10:00:00.5-0530"));
        assert!(!has_offset(b"2023-01-01 10:00:00"));
        assert!(!has_offset(b"2023-01-01"));
    }

    #[test]
    fn digits_of_mixed_numeric_values() {
        let mut s = ColumnStats::default();
        for v in [ValueRef::Integer(12345), ValueRef::Real(0.125), ValueRef::Text(b"-7.5")] {
            observe(&mut s, v, false, true, false);
        }
        assert_eq!((s.max_integer_digits, s.max_fraction_digits), (Some(5), Some(3)));
        assert_eq!((s.integers, s.reals, s.texts), (1, 1, 1));
    }
}
