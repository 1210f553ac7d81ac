//! MariaDB / MySQL bulk load: converted values written as SQL literals into multi-row
//! INSERT statements sized below the server's `max_allowed_packet`.
//!
//! Literals, not bound parameters: the text protocol has no 65,535-placeholder limit, one
//! statement carries as many rows as the packet allows, and the server parses each
//! statement once. Every literal is exact: integers and decimals as written, doubles in
//! shortest round-trip exponent form (an approximate-value literal, so the server reads
//! a DOUBLE, not a DECIMAL), text with `\`, `'` and NUL escaped (the session never has
//! NO_BACKSLASH_ESCAPES, cutover sets `sql_mode` itself), bytes as X'…' hex, timestamps
//! with all six fractional digits.

use std::fmt::Write;

use crate::value::Value;

/// Append one value as a MariaDB literal.
pub fn push_literal(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Bool(b) => out.push(if *b { '1' } else { '0' }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Conversion refuses NaN and infinities for this target before they get here.
        Value::Float(f) => {
            let _ = write!(out, "{f:e}");
        }
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Text(s) | Value::Json(s) => push_string(out, s),
        Value::Bytes(b) => {
            out.push_str("X'");
            push_hex(out, b);
            out.push('\'');
        }
        Value::Timestamp(t) => {
            let _ = write!(out, "'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"));
        }
        // DATETIME has no zone: the UTC wall-clock time is stored.
        Value::TimestampTz(t) => {
            let _ = write!(out, "'{}'", t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f"));
        }
        Value::Date(d) => {
            let _ = write!(out, "'{}'", d.format("%Y-%m-%d"));
        }
        Value::Time(t) => {
            let _ = write!(out, "'{}'", t.format("%H:%M:%S%.6f"));
        }
        Value::Uuid(u) => {
            let _ = write!(out, "'{}'", crate::target::format_uuid(*u));
        }
        // MariaDB has no interval type; a plan never sends one there.
        Value::Interval { .. } => push_string(out, &crate::target::interval_iso(v)),
        Value::Array(_) => push_string(out, &crate::target::array_json(v)),
    }
}

fn push_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    let mut rest = s;
    while let Some(i) = rest.find(['\\', '\'', '\0']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'\\' => "\\\\",
            b'\'' => "\\'",
            _ => "\\0",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('\'');
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// Append one row as `(v1,v2,…)`.
pub fn push_row(out: &mut String, row: &[Value]) {
    out.push('(');
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_literal(out, v);
    }
    out.push(')');
}

/// `Data too long for column 'x' at row 3` → (Some("x"), Some(3)).
pub fn error_position(message: &str) -> (Option<String>, Option<usize>) {
    let column = message.split_once("column '").and_then(|(_, r)| r.split_once('\'')).map(|(c, _)| c.to_string());
    let row = message
        .rsplit_once(" at row ")
        .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    (column, row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use rust_decimal::Decimal;

    fn lit(v: Value) -> String {
        let mut s = String::new();
        push_literal(&mut s, &v);
        s
    }

    #[test]
    fn literals_are_exact() {
        assert_eq!(lit(Value::Null), "NULL");
        assert_eq!(lit(Value::Bool(true)), "1");
        assert_eq!(lit(Value::Int(i64::MIN)), "-9223372036854775808");
        assert_eq!(lit(Value::Float(0.1)), "1e-1");
        assert_eq!(lit(Value::Float(131.0539676581839)), "1.310539676581839e2");
        assert_eq!(lit(Value::Float(-0.0)), "-0e0");
        assert_eq!(lit(Value::Float(1e300)).parse::<f64>().unwrap(), 1e300);
        assert_eq!(lit(Value::Decimal(Decimal::new(123_4500, 4))), "123.4500");
        assert_eq!(lit(Value::Text("it's a \\ and \0 😀".into())), "'it\\'s a \\\\ and \\0 😀'");
        assert_eq!(lit(Value::Text(String::new())), "''");
        assert_eq!(lit(Value::Bytes(vec![0, 0xab, 0xff])), "X'00abff'");
        let t = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap().and_hms_micro_opt(23, 59, 58, 5).unwrap();
        assert_eq!(lit(Value::Timestamp(t)), "'2024-02-29 23:59:58.000005'");
        let tz = Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap();
        assert_eq!(lit(Value::TimestampTz(tz)), "'2024-01-01 10:00:00.000000'");
        assert_eq!(
            lit(Value::Uuid(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)),
            "'01234567-89ab-cdef-0123-456789abcdef'"
        );
    }

    #[test]
    fn error_positions() {
        assert_eq!(error_position("Data too long for column 'name' at row 3"), (Some("name".into()), Some(3)));
        assert_eq!(error_position("Out of range value for column 'a b' at row 12"), (Some("a b".into()), Some(12)));
        assert_eq!(error_position("Duplicate entry 'x' for key 'PRIMARY'"), (None, None));
    }
}
