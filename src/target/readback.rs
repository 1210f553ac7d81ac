//! Reading values back from a target: each engine's text output (PostgreSQL's COPY
//! text format, MariaDB's text protocol) or stored value (the embedded SQLite target)
//! turned into the `Value` of the column's neutral type, so that `verify` can put the
//! target's values into the same canonical form as the source's.
//!
//! A field that does not parse as its type is not an error here: it comes back as the
//! text (or bytes) the server sent, which never equals a converted source value, so
//! verify reports it as a difference and shows it.

#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;

use crate::forms::NetKind;
use crate::types::ColumnType;
use crate::value::Value;

/// The raw field as the server sent it, when it does not parse as its type.
fn raw(field: &[u8]) -> Value {
    match std::str::from_utf8(field) {
        Ok(s) => Value::Text(format!("unreadable {s:?}")),
        Err(_) => Value::Bytes(field.to_vec()),
    }
}

/// Split one line of PostgreSQL's COPY text format into fields, undoing its escapes
/// (`\N` is NULL; `\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, octal and `\x` hex bytes).
pub fn pg_copy_fields(line: &[u8], out: &mut Vec<Option<Vec<u8>>>) {
    out.clear();
    for part in line.split(|b| *b == b'\t') {
        if part == b"\\N" {
            out.push(None);
            continue;
        }
        if !part.contains(&b'\\') {
            out.push(Some(part.to_vec()));
            continue;
        }
        let mut v = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            let b = part[i];
            if b != b'\\' || i + 1 == part.len() {
                v.push(b);
                i += 1;
                continue;
            }
            let e = part[i + 1];
            i += 2;
            match e {
                b'b' => v.push(8),
                b'f' => v.push(12),
                b'n' => v.push(b'\n'),
                b'r' => v.push(b'\r'),
                b't' => v.push(b'\t'),
                b'v' => v.push(11),
                b'0'..=b'7' => {
                    let mut n = u32::from(e - b'0');
                    let mut k = 0;
                    while k < 2 && i < part.len() && (b'0'..=b'7').contains(&part[i]) {
                        n = n * 8 + u32::from(part[i] - b'0');
                        i += 1;
                        k += 1;
                    }
                    v.push(u8::try_from(n & 0xff).unwrap_or(0));
                }
                b'x' => {
                    let mut n = 0u32;
                    let mut k = 0;
                    while k < 2 && i < part.len() && part[i].is_ascii_hexdigit() {
                        n = n * 16 + hex_digit(part[i]);
                        i += 1;
                        k += 1;
                    }
                    v.push(u8::try_from(n).unwrap_or(0));
                }
                other => v.push(other),
            }
        }
        out.push(Some(v));
    }
}

fn hex_digit(b: u8) -> u32 {
    char::from(b).to_digit(16).unwrap_or(0)
}

fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            if p[0].is_ascii_hexdigit() && p[1].is_ascii_hexdigit() {
                u8::try_from(hex_digit(p[0]) * 16 + hex_digit(p[1])).ok()
            } else {
                None
            }
        })
        .collect()
}

/// A value of PostgreSQL's text output (session: DateStyle ISO, TimeZone UTC, bytea hex).
pub fn from_pg_text(field: Option<&[u8]>, ty: &ColumnType) -> Value {
    let Some(f) = field else { return Value::Null };
    let parsed = match ty {
        ColumnType::Boolean => match f {
            b"t" => Some(Value::Bool(true)),
            b"f" => Some(Value::Bool(false)),
            _ => None,
        },
        ColumnType::Bytes => f.strip_prefix(b"\\x").and_then(unhex).map(Value::Bytes),
        ColumnType::Array { element } => pg_array(f, &element.neutral()),
        _ => return from_text(f, ty),
    };
    parsed.unwrap_or_else(|| raw(f))
}

/// PostgreSQL's text form of a one-dimensional array (`{1,2,NULL}`, `{"a b","c\\"d"}`),
/// each element read as its type.
fn pg_array(f: &[u8], element: &ColumnType) -> Option<Value> {
    let inner = f.strip_prefix(b"{")?.strip_suffix(b"}")?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Some(Value::Array(items));
    }
    let mut i = 0;
    loop {
        let (field, quoted) = if inner.get(i) == Some(&b'"') {
            let mut v = Vec::new();
            i += 1;
            while i < inner.len() && inner[i] != b'"' {
                if inner[i] == b'\\' {
                    i += 1;
                }
                v.extend(inner.get(i));
                i += 1;
            }
            i += 1;
            (v, true)
        } else {
            let start = i;
            while i < inner.len() && inner[i] != b',' {
                i += 1;
            }
            (inner[start..i].to_vec(), false)
        };
        items.push(if !quoted && field == b"NULL" { Value::Null } else { from_pg_text(Some(&field), element) });
        match inner.get(i) {
            None => return Some(Value::Array(items)),
            Some(b',') => i += 1,
            Some(_) => return None,
        }
    }
}

/// A value of MariaDB's text protocol: booleans are TINYINT(1) `0`/`1`, bytes arrive as they are.
pub fn from_mariadb_text(field: Option<&[u8]>, ty: &ColumnType) -> Value {
    let Some(f) = field else { return Value::Null };
    match ty {
        ColumnType::Boolean => match f {
            b"0" => Value::Bool(false),
            b"1" => Value::Bool(true),
            _ => raw(f),
        },
        ColumnType::Bytes => Value::Bytes(f.to_vec()),
        ColumnType::Bit => match f {
            [0] => Value::Bool(false),
            [1] => Value::Bool(true),
            _ => raw(f),
        },
        _ => from_text(f, ty),
    }
}

/// A value the embedded SQLite target stored (see `conn::sqlite_value` for how it was written).
pub fn from_sqlite(v: rusqlite::types::ValueRef<'_>, ty: &ColumnType) -> Value {
    use rusqlite::types::ValueRef as V;
    match (v, ty) {
        (V::Null, _) => Value::Null,
        (V::Integer(0), ColumnType::Boolean) => Value::Bool(false),
        (V::Integer(1), ColumnType::Boolean) => Value::Bool(true),
        (V::Integer(i), ColumnType::Integer { .. }) => Value::Int(i),
        (V::Integer(i), ColumnType::Double) => Value::Float(i as f64),
        (V::Real(f), ColumnType::Double) => Value::Float(f),
        (V::Integer(i), ColumnType::Decimal { .. }) => Value::Decimal(Decimal::from(i)),
        (V::Real(f), ColumnType::Decimal { .. }) => {
            Decimal::from_str(&format!("{f}")).map_or_else(|_| Value::Float(f), Value::Decimal)
        }
        (V::Blob(b), ColumnType::Bytes) => Value::Bytes(b.to_vec()),
        (V::Text(t), ColumnType::Bytes) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        (V::Text(t), _) => from_text(t, ty),
        (V::Blob(b), _) => Value::Bytes(b.to_vec()),
        (V::Integer(i), _) => Value::Text(format!("unreadable integer {i}")),
        (V::Real(f), _) => Value::Text(format!("unreadable real {f}")),
    }
}

/// The text forms every engine shares: numbers, strings, ISO date/times, JSON, UUIDs.
fn from_text(f: &[u8], ty: &ColumnType) -> Value {
    let Ok(s) = std::str::from_utf8(f) else { return Value::Bytes(f.to_vec()) };
    let parsed = match ty {
        ColumnType::Boolean => None,
        ColumnType::Integer { .. } => s.parse().ok().map(Value::Int),
        ColumnType::Double => parse_double(s).map(Value::Float),
        ColumnType::Decimal { .. } => Decimal::from_str_exact(s).ok().map(Value::Decimal),
        ColumnType::Varchar { .. } | ColumnType::Char { .. } | ColumnType::Text => Some(Value::Text(s.to_owned())),
        ColumnType::Timestamp { tz: false } => timestamp(s).map(Value::Timestamp),
        ColumnType::Timestamp { tz: true } => timestamp_tz(s).map(Value::TimestampTz),
        ColumnType::Date => date(s).map(Value::Date),
        ColumnType::Time => NaiveTime::parse_from_str(s, "%H:%M:%S%.f").ok().map(Value::Time),
        ColumnType::Json => Some(Value::Json(s.to_owned())),
        ColumnType::Bytes => None,
        ColumnType::Uuid => uuid(s).map(Value::Uuid),
        // Read as a double: the target is asked for `CAST(col AS DOUBLE)` / `col::float8`.
        ColumnType::Float4 => parse_double(s).map(Value::Float),
        ColumnType::Interval => interval(s),
        ColumnType::Inet => crate::forms::inet_text(s, NetKind::Inet).ok().map(|(_, _, t)| Value::Text(t)),
        ColumnType::Cidr => crate::forms::inet_text(s, NetKind::Cidr).ok().map(|(_, _, t)| Value::Text(t)),
        ColumnType::Inet4 => crate::forms::inet_text(s, NetKind::V4).ok().map(|(_, _, t)| Value::Text(t)),
        ColumnType::Inet6 => crate::forms::inet_text(s, NetKind::V6).ok().map(|(_, _, t)| Value::Text(t)),
        ColumnType::Macaddr => crate::forms::mac_text(s).map(Value::Text),
        ColumnType::TimeTz => crate::forms::timetz_text(s).ok().map(|(_, _, t)| Value::Text(t)),
        ColumnType::Enum | ColumnType::Set => Some(Value::Text(s.to_owned())),
        ColumnType::Year => s.parse().ok().map(Value::Int),
        ColumnType::Array { .. } => None,
        ColumnType::Bit => match s {
            "1" => Some(Value::Bool(true)),
            "0" => Some(Value::Bool(false)),
            _ => None,
        },
    };
    parsed.unwrap_or_else(|| raw(f))
}

/// PostgreSQL's interval in IntervalStyle iso_8601 (`P1Y2M3DT4H5M6.000007S`, `PT0S`),
/// its months, days and microseconds kept apart as stored.
fn interval(s: &str) -> Option<Value> {
    let body = s.strip_prefix('P')?;
    let (date, time) = body.split_once('T').unwrap_or((body, ""));
    let (months, days_us) = if date.is_empty() { (0, 0) } else { crate::forms::parse_iso(date).ok()? };
    let (_, micros) = if time.is_empty() { (0, 0) } else { crate::forms::parse_iso(&format!("T{time}")).ok()? };
    let days = i32::try_from(days_us / 86_400_000_000).ok()?;
    Some(Value::Interval { months, days, micros: i64::try_from(micros).ok()? })
}

fn parse_double(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// `2023-01-01`, with PostgreSQL's ` BC` suffix for years before 1 (year 1 BC is year 0).
fn date(s: &str) -> Option<NaiveDate> {
    let (s, bc) = strip_bc(s);
    let d = fast_date(s.as_bytes()).or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())?;
    if bc {
        use chrono::Datelike;
        d.with_year(1 - d.year())
    } else {
        Some(d)
    }
}

fn strip_bc(s: &str) -> (&str, bool) {
    match s.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (s, false),
    }
}

/// `YYYY-MM-DD` with four-digit year, the shape servers print for every date in years
/// 1000–9999; None for any other shape (the general parser takes those).
fn fast_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(digits(&b[0..4])?).ok()?, digits(&b[5..7])?, digits(&b[8..10])?)
}

/// `YYYY-MM-DD HH:MM:SS` with up to 9 fraction digits after a `.`; None for any other shape.
fn fast_timestamp(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', f @ ..] if !f.is_empty() && f.len() <= 9 => digits(f)? * 10u32.pow(9 - u32::try_from(f.len()).ok()?),
        _ => return None,
    };
    let time =
        chrono::NaiveTime::from_hms_nano_opt(digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?, nanos)?;
    Some(fast_date(&b[..10])?.and_time(time))
}

/// ASCII digits as a number (at most 9 of them).
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

fn timestamp(s: &str) -> Option<NaiveDateTime> {
    let (body, bc) = strip_bc(s);
    let t = fast_timestamp(body).or_else(|| NaiveDateTime::parse_from_str(body, "%Y-%m-%d %H:%M:%S%.f").ok())?;
    if bc {
        use chrono::Datelike;
        t.with_year(1 - t.year())
    } else {
        Some(t)
    }
}

/// PostgreSQL prints timestamptz with an offset (`+00`, `+05:30`); MariaDB's DATETIME,
/// which holds values cutover converted to UTC, has none.
fn timestamp_tz(s: &str) -> Option<DateTime<Utc>> {
    let (body, bc) = strip_bc(s);
    let split = body.rfind(['+', '-']).filter(|i| *i > 10);
    let Some(i) = split else { return timestamp(s).map(|t| t.and_utc()) };
    let (wall, off) = body.split_at(i);
    let mut t = fast_timestamp(wall).or_else(|| NaiveDateTime::parse_from_str(wall, "%Y-%m-%d %H:%M:%S%.f").ok())?;
    if bc {
        use chrono::Datelike;
        t = t.with_year(1 - t.year())?;
    }
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: Vec<i64> = off[1..].split(':').map(|p| p.parse().ok()).collect::<Option<Vec<i64>>>()?;
    let secs = digits.first().copied().unwrap_or(0) * 3600
        + digits.get(1).copied().unwrap_or(0) * 60
        + digits.get(2).copied().unwrap_or(0);
    Some((t - chrono::Duration::seconds(sign * secs)).and_utc())
}

fn uuid(s: &str) -> Option<u128> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::IntWidth;

    fn pg(s: &str, ty: &str) -> Value {
        let ty: ColumnType = ty.parse().unwrap();
        from_pg_text(Some(s.as_bytes()), &ty)
    }

    #[test]
    fn the_fast_date_and_time_parsers_agree_with_chrono() {
        for s in [
            "2023-04-08 00:21:06.783668",
            "2023-04-08 00:21:06",
            "1999-12-31 23:59:59.5",
            "2024-02-29 12:00:00.000000001",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59.999999",
        ] {
            let chrono = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok();
            assert_eq!(fast_timestamp(s), chrono, "{s}");
            assert_eq!(timestamp(s), chrono, "{s}");
        }
        // Shapes the fast path leaves to chrono (or that nothing accepts).
        for s in [
            "2023-02-30 00:00:00",
            "2023-04-08T00:21:06",
            "2023-04-08 24:00:00",
            "2023-04-08 00:21:06.",
            "20230-01-01 00:00:00",
        ] {
            assert_eq!(fast_timestamp(s), None, "{s}");
        }
        assert_eq!(
            timestamp("12345-01-01 00:00:00"),
            NaiveDateTime::parse_from_str("12345-01-01 00:00:00", "%Y-%m-%d %H:%M:%S%.f").ok()
        );
        assert_eq!(fast_date(b"2023-04-08"), NaiveDate::from_ymd_opt(2023, 4, 8));
        assert_eq!(fast_date(b"2023-13-08"), None);
        assert_eq!(date("0044-03-15 BC"), NaiveDate::from_ymd_opt(-43, 3, 15));
    }

    #[test]
    fn copy_text_escapes() {
        let mut out = Vec::new();
        pg_copy_fields(b"a\\tb\t\\N\t\\\\x\t\\n\\r\\011\\x41\t", &mut out);
        assert_eq!(
            out,
            vec![Some(b"a\tb".to_vec()), None, Some(b"\\x".to_vec()), Some(b"\n\r\tA".to_vec()), Some(Vec::new())]
        );
    }

    #[test]
    fn postgres_text_forms() {
        let cases: Vec<(&str, &str, Value)> = vec![
            ("t", "boolean", Value::Bool(true)),
            ("f", "boolean", Value::Bool(false)),
            ("-9223372036854775808", "bigint", Value::Int(i64::MIN)),
            ("0.1", "double", Value::Float(0.1)),
            ("-Infinity", "double", Value::Float(f64::NEG_INFINITY)),
            ("12.3400", "decimal(10,4)", Value::Decimal(Decimal::from_str("12.3400").unwrap())),
            ("\\x00ff", "bytes", Value::Bytes(vec![0, 255])),
            (
                "2023-01-02 03:04:05.123456",
                "timestamp",
                Value::Timestamp(
                    NaiveDate::from_ymd_opt(2023, 1, 2).unwrap().and_hms_micro_opt(3, 4, 5, 123_456).unwrap(),
                ),
            ),
            (
                "2023-01-02 03:04:05+05:30",
                "timestamptz",
                Value::TimestampTz(
                    NaiveDate::from_ymd_opt(2023, 1, 1).unwrap().and_hms_opt(21, 34, 5).unwrap().and_utc(),
                ),
            ),
            ("0044-03-15 BC", "date", Value::Date(NaiveDate::from_ymd_opt(-43, 3, 15).unwrap())),
            ("23:59:59.5", "time", Value::Time(NaiveTime::from_hms_milli_opt(23, 59, 59, 500).unwrap())),
            ("0e1f0c5a-0000-4000-8000-00000000000a", "uuid", Value::Uuid(0x0e1f0c5a_0000_4000_8000_00000000000a)),
        ];
        for (text, ty, want) in cases {
            assert_eq!(pg(text, ty), want, "{text} as {ty}");
        }
    }

    #[test]
    fn unreadable_fields_come_back_as_text_that_matches_nothing() {
        assert!(matches!(pg("maybe", "boolean"), Value::Text(t) if t.contains("maybe")));
        assert!(matches!(pg("12x", "bigint"), Value::Text(_)));
        let ty = ColumnType::Integer { width: IntWidth::I64, unsigned: false };
        assert_eq!(from_mariadb_text(None, &ty), Value::Null);
        assert!(matches!(from_mariadb_text(Some(b"2"), &ColumnType::Boolean), Value::Text(_)));
    }

    #[test]
    fn mariadb_datetime_in_a_tz_column_is_utc() {
        let ty: ColumnType = "timestamptz".parse().unwrap();
        assert_eq!(
            from_mariadb_text(Some(b"2023-01-01 10:00:00.000001"), &ty),
            Value::TimestampTz(
                NaiveDate::from_ymd_opt(2023, 1, 1).unwrap().and_hms_micro_opt(10, 0, 0, 1).unwrap().and_utc()
            )
        );
    }
}
