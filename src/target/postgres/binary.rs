//! PostgreSQL's binary COPY format: the fast path of a load into PostgreSQL.
//!
//! Rows of converted `Value`s are encoded straight into the wire format of
//! `COPY … FROM STDIN (FORMAT binary)`, so no value is ever printed as text and parsed
//! back by the server: what the conversion decided is exactly what lands. Each column
//! is encoded by the target column's real type (read from the catalog), so the same
//! rows serve create mode and existing mode.
#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rust_decimal::Decimal;

use crate::value::Value;

/// The PostgreSQL types cutover writes in binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float8,
    Numeric,
    Text,
    Bytea,
    Timestamp,
    Timestamptz,
    Date,
    Time,
    Json,
    Jsonb,
    Uuid,
    Float4,
    Interval,
    Inet,
    Cidr,
    Macaddr,
    TimeTz,
    Bit,
    /// A label of an enum type (its binary form is the label's text).
    Enum,
    /// A one-dimensional array of these elements.
    Array(crate::types::ArrayElement),
}

impl PgType {
    /// The type of an array's elements, and its OID (the binary array names it).
    fn element(e: crate::types::ArrayElement) -> (PgType, u32) {
        use crate::types::ArrayElement as A;
        match e {
            A::Boolean => (PgType::Bool, 16),
            A::Smallint => (PgType::Int2, 21),
            A::Integer => (PgType::Int4, 23),
            A::Bigint => (PgType::Int8, 20),
            A::Double => (PgType::Float8, 701),
            A::Numeric => (PgType::Numeric, 1700),
            A::Text => (PgType::Text, 25),
            A::Varchar(_) => (PgType::Text, 1043),
            A::Uuid => (PgType::Uuid, 2950),
        }
    }
}

impl PgType {
    /// From `format_type()` / `regtype` text as the catalog prints it.
    pub fn from_catalog(name: &str) -> Option<PgType> {
        if let Some(element) = name.strip_suffix("[]") {
            return super::catalog::array_element(element).map(PgType::Array);
        }
        // `timestamp(3) without time zone` → `timestamp without time zone`.
        let bare = match (name.find('('), name.find(')')) {
            (Some(o), Some(c)) if c > o => format!("{}{}", &name[..o], &name[c + 1..]),
            _ => name.to_string(),
        };
        let base = bare.trim();
        Some(match base {
            "boolean" => PgType::Bool,
            "smallint" => PgType::Int2,
            "integer" => PgType::Int4,
            "bigint" => PgType::Int8,
            "double precision" => PgType::Float8,
            "numeric" => PgType::Numeric,
            "text" | "character varying" | "character" | "citext" | "name" => PgType::Text,
            "bytea" => PgType::Bytea,
            "timestamp without time zone" => PgType::Timestamp,
            "timestamp with time zone" => PgType::Timestamptz,
            "date" => PgType::Date,
            "time without time zone" => PgType::Time,
            "json" => PgType::Json,
            "jsonb" => PgType::Jsonb,
            "uuid" => PgType::Uuid,
            "real" => PgType::Float4,
            "interval" => PgType::Interval,
            "inet" => PgType::Inet,
            "cidr" => PgType::Cidr,
            "macaddr" => PgType::Macaddr,
            "time with time zone" => PgType::TimeTz,
            "bit" if name.trim_end() == "bit(1)" => PgType::Bit,
            _ => return None,
        })
    }
}

/// Why a value could not be encoded for its column.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a {value} value cannot be written to a PostgreSQL {column:?} column")]
pub struct EncodeError {
    pub value: &'static str,
    pub column: PgType,
}

pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
pub const TRAILER: &[u8] = &[0xff, 0xff];

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default()
}

fn value_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "double",
        Value::Decimal(_) => "decimal",
        Value::Text(_) => "text",
        Value::Bytes(_) => "bytes",
        Value::Timestamp(_) => "timestamp",
        Value::TimestampTz(_) => "timestamptz",
        Value::Date(_) => "date",
        Value::Time(_) => "time",
        Value::Json(_) => "json",
        Value::Uuid(_) => "uuid",
        Value::Interval { .. } => "interval",
        Value::Array(_) => "array",
    }
}

/// Append one tuple to `buf`.
pub fn encode_row(buf: &mut Vec<u8>, row: &[Value], types: &[PgType]) -> Result<(), EncodeError> {
    let n = i16::try_from(row.len()).unwrap_or(i16::MAX);
    buf.extend_from_slice(&n.to_be_bytes());
    for (v, t) in row.iter().zip(types) {
        encode_field(buf, v, *t)?;
    }
    Ok(())
}

fn with_len(buf: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = buf.len();
    buf.extend_from_slice(&[0, 0, 0, 0]);
    body(buf);
    let len = i32::try_from(buf.len() - at - 4).unwrap_or(i32::MAX);
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

fn encode_field(buf: &mut Vec<u8>, v: &Value, t: PgType) -> Result<(), EncodeError> {
    let bad = || EncodeError { value: value_name(v), column: t };
    match (v, t) {
        (Value::Null, _) => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        (Value::Bool(b), PgType::Bool) => with_len(buf, |b2| b2.push(u8::from(*b))),
        (Value::Int(i), PgType::Int2) => {
            let x = i16::try_from(*i).map_err(|_| bad())?;
            with_len(buf, |b| b.extend_from_slice(&x.to_be_bytes()));
        }
        (Value::Int(i), PgType::Int4) => {
            let x = i32::try_from(*i).map_err(|_| bad())?;
            with_len(buf, |b| b.extend_from_slice(&x.to_be_bytes()));
        }
        (Value::Int(i), PgType::Int8) => with_len(buf, |b| b.extend_from_slice(&i.to_be_bytes())),
        (Value::Float(f), PgType::Float8) => with_len(buf, |b| b.extend_from_slice(&f.to_bits().to_be_bytes())),
        (Value::Decimal(d), PgType::Numeric) => with_len(buf, |b| encode_numeric(b, d)),
        (Value::Int(i), PgType::Numeric) => with_len(buf, |b| encode_numeric(b, &Decimal::from(*i))),
        (Value::Text(s), PgType::Text | PgType::Json) | (Value::Json(s), PgType::Json | PgType::Text) => {
            with_len(buf, |b| b.extend_from_slice(s.as_bytes()))
        }
        (Value::Json(s) | Value::Text(s), PgType::Jsonb) => with_len(buf, |b| {
            b.push(1);
            b.extend_from_slice(s.as_bytes());
        }),
        (Value::Bytes(x), PgType::Bytea) => with_len(buf, |b| b.extend_from_slice(x)),
        (Value::Timestamp(ts), PgType::Timestamp | PgType::Timestamptz) => {
            let us = micros_since_2000(ts).ok_or_else(bad)?;
            with_len(buf, |b| b.extend_from_slice(&us.to_be_bytes()));
        }
        (Value::TimestampTz(ts), PgType::Timestamptz | PgType::Timestamp) => {
            let us = micros_since_2000(&ts.naive_utc()).ok_or_else(bad)?;
            with_len(buf, |b| b.extend_from_slice(&us.to_be_bytes()));
        }
        (Value::Date(d), PgType::Date) => {
            let days = i32::try_from(d.signed_duration_since(epoch().date()).num_days()).map_err(|_| bad())?;
            with_len(buf, |b| b.extend_from_slice(&days.to_be_bytes()));
        }
        (Value::Time(tm), PgType::Time) => {
            let us = time_micros(tm);
            with_len(buf, |b| b.extend_from_slice(&us.to_be_bytes()));
        }
        (Value::Uuid(u), PgType::Uuid) => with_len(buf, |b| b.extend_from_slice(&u.to_be_bytes())),
        (Value::Float(f), PgType::Float4) => {
            // Conversion let only doubles that a float4 holds exactly through.
            #[allow(clippy::cast_possible_truncation)]
            let narrow = *f as f32;
            with_len(buf, |b| b.extend_from_slice(&narrow.to_bits().to_be_bytes()));
        }
        (Value::Interval { months, days, micros }, PgType::Interval) => with_len(buf, |b| {
            b.extend_from_slice(&micros.to_be_bytes());
            b.extend_from_slice(&days.to_be_bytes());
            b.extend_from_slice(&months.to_be_bytes());
        }),
        (Value::Text(s), PgType::Inet | PgType::Cidr) => {
            let kind = if t == PgType::Cidr { crate::forms::NetKind::Cidr } else { crate::forms::NetKind::Inet };
            let (ip, bits, _) = crate::forms::inet_text(s, kind).map_err(|_| bad())?;
            with_len(buf, |b| {
                let (family, addr): (u8, Vec<u8>) = match ip {
                    std::net::IpAddr::V4(a) => (2, a.octets().to_vec()),
                    std::net::IpAddr::V6(a) => (3, a.octets().to_vec()),
                };
                b.extend_from_slice(&[
                    family,
                    bits,
                    u8::from(t == PgType::Cidr),
                    u8::try_from(addr.len()).unwrap_or(16),
                ]);
                b.extend_from_slice(&addr);
            });
        }
        (Value::Text(s), PgType::Macaddr) => {
            let hex = crate::forms::mac_text(s).ok_or_else(bad)?.replace(':', "");
            let bytes: Vec<u8> = (0..6).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
            with_len(buf, |b| b.extend_from_slice(&bytes));
        }
        (Value::Text(s), PgType::TimeTz) => {
            let (us, offset_east, _) = crate::forms::timetz_text(s).map_err(|_| bad())?;
            with_len(buf, |b| {
                b.extend_from_slice(&us.to_be_bytes());
                // The wire counts the zone in seconds west of UTC.
                b.extend_from_slice(&(-offset_east).to_be_bytes());
            });
        }
        (Value::Bool(x), PgType::Bit) => with_len(buf, |b| {
            b.extend_from_slice(&1i32.to_be_bytes());
            b.push(if *x { 0x80 } else { 0 });
        }),
        (Value::Text(s), PgType::Enum) => with_len(buf, |b| b.extend_from_slice(s.as_bytes())),
        (Value::Array(items), PgType::Array(e)) => {
            let (element, oid) = PgType::element(e);
            let mut body = Vec::new();
            for item in items {
                encode_field(&mut body, item, element)?;
            }
            let n = i32::try_from(items.len()).map_err(|_| bad())?;
            let has_null = i32::from(items.contains(&Value::Null));
            with_len(buf, |b| {
                b.extend_from_slice(&i32::from(n > 0).to_be_bytes());
                b.extend_from_slice(&has_null.to_be_bytes());
                b.extend_from_slice(&oid.to_be_bytes());
                if n > 0 {
                    b.extend_from_slice(&n.to_be_bytes());
                    b.extend_from_slice(&1i32.to_be_bytes());
                }
                b.extend_from_slice(&body);
            });
        }
        _ => return Err(bad()),
    }
    Ok(())
}

fn micros_since_2000(ts: &NaiveDateTime) -> Option<i64> {
    ts.signed_duration_since(epoch()).num_microseconds()
}

fn time_micros(t: &NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1000)
}

/// PostgreSQL's binary numeric: base-10000 digits, weight of the first, sign, display scale.
pub fn encode_numeric(buf: &mut Vec<u8>, d: &Decimal) {
    // PostgreSQL's numeric: base-10000 digits aligned at the decimal point, a weight (the
    // power of 10000 of the first digit), a sign and the display scale. Computed on the
    // integer mantissa: no text, no allocation.
    let scale = d.scale();
    let negative = d.is_sign_negative() && !d.is_zero();
    // Align the fraction to whole groups of 4 digits (|mantissa| < 2^96, times <= 1000 fits).
    let pad = (4 - scale % 4) % 4;
    let frac_groups = ((scale + pad) / 4) as usize;
    let mut m = d.mantissa().unsigned_abs() * 10u128.pow(pad);
    // Little-endian groups; a Decimal has at most 29 digits and 28 of scale: 9 + 7 groups.
    let mut groups = [0u16; 16];
    let mut n = 0;
    while m > 0 && n < groups.len() {
        groups[n] = u16::try_from(m % 10_000).unwrap_or(0);
        m /= 10_000;
        n += 1;
    }
    n = n.max(frac_groups);
    let int_groups = n - frac_groups;
    let mut weight = i16::try_from(int_groups).unwrap_or(i16::MAX) - 1;
    // Most significant first, without leading or trailing zero groups.
    let mut hi = n;
    while hi > 0 && groups[hi - 1] == 0 {
        hi -= 1;
        weight -= 1;
    }
    let mut lo = 0;
    while lo < hi && groups[lo] == 0 {
        lo += 1;
    }
    if hi == lo {
        weight = 0;
    }
    let ndigits = i16::try_from(hi - lo).unwrap_or(i16::MAX);
    buf.extend_from_slice(&ndigits.to_be_bytes());
    buf.extend_from_slice(&weight.to_be_bytes());
    buf.extend_from_slice(&(if negative { 0x4000u16 } else { 0u16 }).to_be_bytes());
    buf.extend_from_slice(&u16::try_from(scale).unwrap_or(0).to_be_bytes());
    for g in groups[lo..hi].iter().rev() {
        buf.extend_from_slice(&g.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn numeric(s: &str) -> Vec<i16> {
        let mut b = Vec::new();
        encode_numeric(&mut b, &Decimal::from_str(s).unwrap());
        b.chunks(2).map(|c| i16::from_be_bytes([c[0], c[1]])).collect()
    }

    #[test]
    fn numeric_encoding_matches_postgres_layout() {
        // [ndigits, weight, sign, dscale, digits...]
        assert_eq!(numeric("0"), vec![0, 0, 0, 0]);
        assert_eq!(numeric("0.00"), vec![0, 0, 0, 2]);
        assert_eq!(numeric("12.3456"), vec![2, 0, 0, 4, 12, 3456]);
        assert_eq!(numeric("-1.5"), vec![2, 0, 0x4000, 1, 1, 5000]);
        assert_eq!(numeric("10000"), vec![1, 1, 0, 0, 1]);
        assert_eq!(numeric("0.0001"), vec![1, -1, 0, 4, 1]);
        assert_eq!(numeric("123456789.01"), vec![4, 2, 0, 2, 1, 2345, 6789, 100]);
        assert_eq!(numeric("0.00000001"), vec![1, -2, 0, 8, 1]);
        assert_eq!(numeric("-0.00000001"), vec![1, -2, 0x4000, 8, 1]);
        assert_eq!(numeric("100000000"), vec![1, 2, 0, 0, 1]);
        assert_eq!(numeric("0.0000000000000000000000000001"), vec![1, -7, 0, 28, 1]);
        assert_eq!(
            numeric("79228162514264337593543950335"),
            vec![8, 7, 0, 0, 7, 9228, 1625, 1426, 4337, 5935, 4395, 335]
        );
        assert_eq!(
            numeric("-7.9228162514264337593543950335"),
            vec![8, 0, 0x4000, 28, 7, 9228, 1625, 1426, 4337, 5935, 4395, 335]
        );
    }

    /// The layout from the decimal's text, digit groups cut from strings: slow and plain.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    fn reference(d: &Decimal) -> Vec<u8> {
        let scale = d.scale() as usize;
        let digits = d.abs().mantissa().to_string();
        let (int_part, frac_part) = if digits.len() > scale {
            (digits[..digits.len() - scale].to_string(), digits[digits.len() - scale..].to_string())
        } else {
            ("0".to_string(), format!("{}{digits}", "0".repeat(scale - digits.len())))
        };
        let int_str = format!("{}{int_part}", "0".repeat((4 - int_part.len() % 4) % 4));
        let frac_str = format!("{frac_part}{}", "0".repeat((4 - frac_part.len() % 4) % 4));
        let group = |s: &str| -> Vec<i16> {
            s.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap().parse().unwrap()).collect()
        };
        let ints = group(&int_str);
        let mut weight = ints.len() as i16 - 1;
        let mut all: Vec<i16> = ints.into_iter().chain(group(&frac_str)).collect();
        while all.first() == Some(&0) {
            all.remove(0);
            weight -= 1;
        }
        while all.last() == Some(&0) {
            all.pop();
        }
        if all.is_empty() {
            weight = 0;
        }
        let mut b = Vec::new();
        for x in [all.len() as i16, weight, if d.is_sign_negative() && !d.is_zero() { 0x4000 } else { 0 }, scale as i16]
        {
            b.extend_from_slice(&x.to_be_bytes());
        }
        for g in all {
            b.extend_from_slice(&g.to_be_bytes());
        }
        b
    }

    proptest::proptest! {
        #[test]
        #[allow(clippy::cast_possible_truncation)]
        fn numeric_encoding_matches_the_plain_reference(lo in proptest::prelude::any::<u64>(), hi in 0u32.., scale in 0u32..=28, neg: bool) {
            let d = Decimal::from_parts(lo as u32, (lo >> 32) as u32, hi, neg, scale);
            let mut b = Vec::new();
            encode_numeric(&mut b, &d);
            proptest::prop_assert_eq!(b, reference(&d), "{}", d);
        }
    }

    #[test]
    fn values_of_the_wrong_kind_are_refused() {
        let mut b = Vec::new();
        assert!(encode_row(&mut b, &[Value::Text("x".into())], &[PgType::Int8]).is_err());
        assert!(encode_row(&mut b, &[Value::Int(70_000)], &[PgType::Int2]).is_err());
    }
}
