//! The canonical form of a value, the same on both sides of a verification: the source
//! side feeds it the values the conversion rules produce, the target side the values
//! read back (`target::readback`). Equal canonical bytes mean the target holds exactly
//! what the migration meant to write.
//!
//! Each value is a type tag followed by a fixed-width or length-prefixed payload, so
//! that no two different rows concatenate to the same bytes, and NULL has its own tag
//! (NULL and '' differ). Rules: timestamps as UTC seconds + nanoseconds; decimals by
//! value (trailing zeros of the column's scale do not count); doubles by their bits;
//! CHAR(n) without its pad spaces (PostgreSQL pads, MariaDB strips); JSON as data (keys
//! sorted, numbers by value), so that jsonb's key order does not matter.

#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

use chrono::{Datelike, Timelike};

use crate::convert::shorten;
use crate::types::ColumnType;
use crate::value::Value;

/// Append the canonical bytes of `v`, a value of a column of type `ty`, to `out`.
pub fn push(out: &mut Vec<u8>, v: &Value, ty: &ColumnType) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(3);
            let bits = if f.is_nan() { f64::NAN.to_bits() } else { f.to_bits() };
            out.extend_from_slice(&bits.to_le_bytes());
        }
        Value::Decimal(d) => field(out, 4, d.normalize().to_string().as_bytes()),
        Value::Text(s) => {
            let s = if matches!(ty, ColumnType::Char { .. }) { s.trim_end_matches(' ') } else { s };
            field(out, 5, s.as_bytes());
        }
        Value::Bytes(b) => field(out, 6, b),
        Value::Timestamp(t) => instant(out, 7, t.and_utc().timestamp(), t.nanosecond()),
        Value::TimestampTz(t) => instant(out, 8, t.timestamp(), t.nanosecond()),
        Value::Date(d) => {
            out.push(9);
            out.extend_from_slice(&d.num_days_from_ce().to_le_bytes());
        }
        Value::Time(t) => instant(out, 10, i64::from(t.num_seconds_from_midnight()), t.nanosecond()),
        Value::Json(s) => match json_canonical(s) {
            Some(text) => field(out, 11, text.as_bytes()),
            // Not JSON at all (a target column edited by hand): compared as text.
            None => field(out, 5, s.as_bytes()),
        },
        Value::Uuid(u) => {
            out.push(12);
            out.extend_from_slice(&u.to_be_bytes());
        }
        Value::Array(items) => {
            out.push(14);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            let element = match ty {
                ColumnType::Array { element } => element.neutral(),
                other => *other,
            };
            for item in items {
                push(out, item, &element);
            }
        }
        Value::Interval { months, days, micros } => {
            out.push(13);
            out.extend_from_slice(&months.to_le_bytes());
            out.extend_from_slice(&days.to_le_bytes());
            out.extend_from_slice(&micros.to_le_bytes());
        }
    }
}

fn field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn instant(out: &mut Vec<u8>, tag: u8, secs: i64, nanos: u32) {
    out.push(tag);
    out.extend_from_slice(&secs.to_le_bytes());
    out.extend_from_slice(&nanos.to_le_bytes());
}

/// JSON as data: object keys sorted (the last of duplicate keys wins, as in jsonb),
/// strings re-escaped one way, numbers exact by value (`1e16` = `10000000000000000`,
/// `1.50` = `1.5`; no rounding through a double). None when the text is not JSON.
pub fn json_canonical(text: &str) -> Option<String> {
    let mut p = JsonParser { s: text.as_bytes(), text, i: 0 };
    let mut out = String::with_capacity(text.len());
    p.value(&mut out)?;
    p.ws();
    (p.i == p.s.len()).then_some(out)
}

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, out: &mut String) -> Option<()> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => self.object(out),
            b'[' => {
                self.i += 1;
                out.push('[');
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    out.push(']');
                    return Some(());
                }
                loop {
                    self.value(out)?;
                    self.ws();
                    match *self.s.get(self.i)? {
                        b',' => out.push(','),
                        b']' => break,
                        _ => return None,
                    }
                    self.i += 1;
                }
                self.i += 1;
                out.push(']');
                Some(())
            }
            b'"' => {
                let s = self.string()?;
                out.push_str(&serde_json::to_string(&s).ok()?);
                Some(())
            }
            b't' => self.literal("true", out),
            b'f' => self.literal("false", out),
            b'n' => self.literal("null", out),
            _ => self.number(out),
        }
    }

    fn object(&mut self, out: &mut String) -> Option<()> {
        self.i += 1;
        let mut members: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let key = self.string()?;
                self.ws();
                if self.s.get(self.i) != Some(&b':') {
                    return None;
                }
                self.i += 1;
                let mut v = String::new();
                self.value(&mut v)?;
                members.insert(key, v);
                self.ws();
                match *self.s.get(self.i)? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        out.push('{');
        for (k, (key, v)) in members.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key).ok()?);
            out.push(':');
            out.push_str(v);
        }
        out.push('}');
        Some(())
    }

    /// A string token, decoded (escapes resolved) by serde_json.
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i;
        self.i += 1;
        while *self.s.get(self.i)? != b'"' {
            self.i += if self.s[self.i] == b'\\' { 2 } else { 1 };
        }
        self.i += 1;
        serde_json::from_str(self.text.get(start..self.i)?).ok()
    }

    fn literal(&mut self, word: &str, out: &mut String) -> Option<()> {
        if !self.s[self.i..].starts_with(word.as_bytes()) {
            return None;
        }
        self.i += word.len();
        out.push_str(word);
        Some(())
    }

    /// `-12.340e5` as sign, significant digits and a power of ten: `-1234e2`; zero is `0`.
    fn number(&mut self, out: &mut String) -> Option<()> {
        let negative = self.s.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let mut digits = String::new();
        let mut exp: i64 = 0;
        let int_start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            digits.push(char::from(self.s[self.i]));
            self.i += 1;
        }
        if self.i == int_start {
            return None;
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            let frac_start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                digits.push(char::from(self.s[self.i]));
                exp -= 1;
                self.i += 1;
            }
            if self.i == frac_start {
                return None;
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            let exp_start = self.i;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            exp = exp.checked_add(self.text.get(exp_start..self.i)?.trim_start_matches('+').parse::<i64>().ok()?)?;
        }
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() {
            out.push('0');
            return Some(());
        }
        let significant = trimmed.trim_end_matches('0');
        exp = exp.checked_add(i64::try_from(trimmed.len() - significant.len()).ok()?)?;
        if negative {
            out.push('-');
        }
        out.push_str(significant);
        if exp != 0 {
            out.push_str(&format!("e{exp}"));
        }
        Some(())
    }
}

/// The canonical bytes of a whole row (or of its key columns).
pub fn row_bytes(out: &mut Vec<u8>, values: &[Value], types: &[ColumnType], columns: impl Iterator<Item = usize>) {
    out.clear();
    for i in columns {
        if let (Some(v), Some(ty)) = (values.get(i), types.get(i)) {
            push(out, v, ty);
        }
    }
}

/// 64-bit hash of canonical bytes.
pub fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Columns whose values are credentials (password hashes, session tokens, API keys):
/// a difference listing says that they differ, never what they hold.
pub fn sensitive(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    ["password", "passwd", "secret", "token", "hash", "salt", "digest", "otp", "api_key", "apikey", "private"]
        .iter()
        .any(|w| c.contains(w))
}

/// A credential's stand-in: its length only.
pub fn hidden(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Text(s) | Value::Json(s) => format!("(hidden, {} chars)", s.chars().count()),
        Value::Bytes(b) => format!("(hidden, {} bytes)", b.len()),
        _ => "(hidden)".into(),
    }
}

/// A value as a person reads it in a difference listing, shortened.
pub fn display(v: &Value) -> String {
    let s = match v {
        Value::Null => return "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Decimal(d) => d.to_string(),
        Value::Text(s) | Value::Json(s) => format!("'{}'", shorten(s, 40)),
        Value::Bytes(b) => {
            let head = crate::target::hex(&b[..b.len().min(12)]);
            return format!("x'{head}{}' ({} bytes)", if b.len() > 12 { "…" } else { "" }, b.len());
        }
        Value::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
        Value::TimestampTz(t) => t.format("%Y-%m-%d %H:%M:%S%.fZ").to_string(),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => t.format("%H:%M:%S%.f").to_string(),
        Value::Uuid(u) => crate::target::format_uuid(*u),
        Value::Interval { .. } => crate::target::interval_iso(v),
        Value::Array(_) => shorten(&crate::target::array_pg_text(v), 60),
    };
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn bytes(v: &Value, ty: &str) -> Vec<u8> {
        let mut out = Vec::new();
        push(&mut out, v, &ty.parse().unwrap());
        out
    }

    #[test]
    fn equal_meaning_gives_equal_bytes() {
        let d = |s: &str| Value::Decimal(Decimal::from_str(s).unwrap());
        assert_eq!(bytes(&d("12.30"), "decimal(10,2)"), bytes(&d("12.3"), "decimal(10,2)"));
        assert_eq!(bytes(&Value::Text("ab  ".into()), "char(4)"), bytes(&Value::Text("ab".into()), "char(4)"));
        let j = |s: &str| Value::Json(s.into());
        assert_eq!(bytes(&j(r#"{"b": 1, "a": [1.0, 2e0]}"#), "json"), bytes(&j(r#"{"a":[1,2],"b":1}"#), "json"));
        assert_eq!(bytes(&j("0.5"), "json"), bytes(&j("5e-1"), "json"));
        assert_eq!(bytes(&j(r#"{"a": 1e16}"#), "json"), bytes(&j(r#"{"a":10000000000000000}"#), "json"));
        assert_eq!(bytes(&j(r#"{"a": 1, "a": 2}"#), "json"), bytes(&j(r#"{"a":2}"#), "json"));
        assert_eq!(bytes(&j(r#""\u00e9""#), "json"), bytes(&j(r#""é""#), "json"));
    }

    #[test]
    fn different_meaning_gives_different_bytes() {
        let pairs: Vec<(Value, Value, &str)> = vec![
            (Value::Null, Value::Text(String::new()), "text"),
            (Value::Text("a".into()), Value::Text("a ".into()), "text"),
            (Value::Text("a".into()), Value::Text("A".into()), "varchar(5)"),
            (Value::Int(1), Value::Int(2), "bigint"),
            (Value::Float(0.1), Value::Float(0.1 + f64::EPSILON), "double"),
            (Value::Bool(true), Value::Bool(false), "boolean"),
            (Value::Bytes(vec![1]), Value::Bytes(vec![2]), "bytes"),
            (Value::Json(r#"{"a":1}"#.into()), Value::Json(r#"{"a":2}"#.into()), "json"),
            (Value::Json("12345678901234567890123".into()), Value::Json("12345678901234567890124".into()), "json"),
            (Value::Json("1234567890.123456789".into()), Value::Json("1234567890.123456788".into()), "json"),
            (
                Value::Decimal(Decimal::from_str("1.01").unwrap()),
                Value::Decimal(Decimal::from_str("1.02").unwrap()),
                "decimal(10,2)",
            ),
        ];
        for (a, b, ty) in pairs {
            assert_ne!(bytes(&a, ty), bytes(&b, ty), "{a:?} vs {b:?}");
        }
        let t = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap().and_hms_micro_opt(0, 0, 0, 1).unwrap();
        let t2 = t + chrono::Duration::microseconds(1);
        assert_ne!(bytes(&Value::Timestamp(t), "timestamp"), bytes(&Value::Timestamp(t2), "timestamp"));
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let types: Vec<ColumnType> = vec!["text".parse().unwrap(), "text".parse().unwrap()];
        let mut a = Vec::new();
        let mut b = Vec::new();
        row_bytes(&mut a, &[Value::Text("ab".into()), Value::Text("c".into())], &types, 0..2);
        row_bytes(&mut b, &[Value::Text("a".into()), Value::Text("bc".into())], &types, 0..2);
        assert_ne!(hash(&a), hash(&b));
    }
}
