//! The types an application's own migrations create in an existing target and cutover's
//! plans do not: 4-byte floats, intervals, network addresses, times with a zone, MariaDB
//! YEAR. Each is read strictly from what the frameworks store in SQLite (Django keeps a
//! duration as integer microseconds, SQLAlchemy as a DATETIME since 1970-01-01, both keep
//! addresses as text); a value that would change is refused, never rounded.
//!
//! The normalised text forms here (`inet_text`, `mac_text`, `timetz_text`) are also how
//! `target::readback` reads the target's side, so that verify compares addresses and
//! zones by value, not by how each server happens to print them.

use chrono::{NaiveDate, NaiveTime, Timelike};

use crate::forms::{fraction_micros, inet_text, mac_text, parse_iso, timetz_text, NetKind, MICROS_PER_DAY};

use crate::dialect::Dialect;
use crate::types::ColumnType;
use crate::value::{SourceValue, Value};

use super::error::{show, wrong_class, ConvertError};

/// A double whose nearest 4-byte float reads back as the same number (0.1 and 19.99 do:
/// the column stores the float nearest to them and prints them as written), as the
/// double that float is; otherwise `not_exact` (0.123456789 would read back 0.12345679).
pub(super) fn to_float4(v: SourceValue<'_>, dialect: Dialect, ty: &ColumnType) -> Result<Value, ConvertError> {
    let value = super::number::to_double(v, dialect, &ColumnType::Double)?;
    let Value::Float(f) = value else { return Ok(value) };
    #[allow(clippy::cast_possible_truncation)]
    let narrow = f as f32;
    // What every client reads back from the column is the float4's shortest text (Rust's
    // Display of an f32 is that text): the value survives when that text is the source value.
    let read_back: f64 = format!("{narrow}").parse().unwrap_or(f64::NAN);
    if f.is_nan() || read_back == f || f64::from(narrow) == f {
        return Ok(Value::Float(f64::from(narrow)));
    }
    Err(ConvertError::NotExact {
        value: show(v),
        target: ty.to_string(),
        became: format!("{narrow}"),
        hint: "a 4-byte float keeps about 7 significant digits; widen the column to double precision (PostgreSQL) or DOUBLE (MariaDB) in the application's migration, or fix the data",
    })
}

/// An interval: (months, days, microseconds), days and microseconds split the way
/// Python's timedelta and psycopg do (microseconds in 0..1 day, days floored).
pub(super) fn to_interval(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    let bad = |reason: &str| {
        ConvertError::BadValue {
        value: show(v),
        target: ty.to_string(),
        reason: reason.to_string(),
        forms: "integer microseconds (Django), `[-]D day[s], H:MM:SS[.ffffff]` (Python), ISO 8601 `P…DT…H…M…S`, or a date-time since 1970-01-01 00:00:00 (SQLAlchemy)",
    }
    };
    let (months, total) = match v {
        SourceValue::Integer(us) => (0, i128::from(us)),
        SourceValue::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|_| bad("it is not UTF-8"))?.trim();
            parse_interval(s).map_err(|r| bad(&r))?
        }
        _ => return Err(wrong_class(v, ty, "")),
    };
    let days = total.div_euclid(i128::from(MICROS_PER_DAY));
    let micros = total.rem_euclid(i128::from(MICROS_PER_DAY));
    let days = i32::try_from(days).map_err(|_| bad("it is more days than an interval holds (±2^31)"))?;
    let micros = i64::try_from(micros).map_err(|_| bad("out of range"))?;
    Ok(Value::Interval { months, days, micros })
}

/// (months, total microseconds) of an interval's text.
fn parse_interval(s: &str) -> Result<(i32, i128), String> {
    if s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-') {
        return since_epoch(s);
    }
    if let Some(rest) = s.strip_prefix('P').or_else(|| s.strip_prefix("-P")) {
        let (months, us) = parse_iso(rest)?;
        return Ok(if s.starts_with('-') { (-months, -us) } else { (months, us) });
    }
    // [-]D day[s][,] [-]H:MM:SS[.ffffff]
    let (days, clock) = match s.find("day") {
        Some(i) => {
            let d: i128 = s[..i].trim().parse().map_err(|_| "the day count is not a number".to_string())?;
            let rest = s[i + 3..].trim_start_matches('s').trim_start_matches(',').trim();
            (d, rest)
        }
        None => (0, s),
    };
    let clock_us = if clock.is_empty() { 0 } else { parse_clock(clock)? };
    Ok((0, days * i128::from(MICROS_PER_DAY) + clock_us))
}

/// `[-]H:MM:SS[.ffffff]` as microseconds (hours may exceed 23).
fn parse_clock(s: &str) -> Result<i128, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let parts: Vec<&str> = body.split(':').collect();
    if parts.len() != 3 {
        return Err("the time part is not H:MM:SS".into());
    }
    let h: i128 = digits(parts[0]).ok_or("the hours are not digits")?;
    let m: i128 = digits(parts[1]).filter(|m| *m < 60).ok_or("the minutes are not 00 to 59")?;
    let (sec, frac) = parts[2].split_once('.').unwrap_or((parts[2], ""));
    let sec: i128 = digits(sec).filter(|s| *s < 60).ok_or("the seconds are not 00 to 59")?;
    let us = fraction_micros(frac)?;
    let total = ((h * 60 + m) * 60 + sec) * 1_000_000 + us;
    Ok(if neg { -total } else { total })
}

fn digits(s: &str) -> Option<i128> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() < 19).then(|| s.parse().ok()).flatten()
}

/// SQLAlchemy's Interval on SQLite: the date-time 1970-01-01 00:00:00 plus the interval.
fn since_epoch(s: &str) -> Result<(i32, i128), String> {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|_| "it is not a date-time YYYY-MM-DD HH:MM:SS[.ffffff]".to_string())?;
    if t.nanosecond() % 1000 != 0 {
        return Err("it has digits below the microsecond".into());
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default();
    let us = t.signed_duration_since(epoch).num_microseconds().ok_or("out of range")?;
    Ok((0, i128::from(us)))
}

pub(super) fn to_inet(v: SourceValue<'_>, kind: NetKind, ty: &ColumnType) -> Result<Value, ConvertError> {
    let SourceValue::Text(t) = v else { return Err(wrong_class(v, ty, "")) };
    let bad = |reason: String| ConvertError::BadValue {
        value: show(v),
        target: ty.to_string(),
        reason,
        forms: "an IPv4 (192.0.2.1) or IPv6 (2001:db8::1) address, with /prefix where the column allows one",
    };
    let s = std::str::from_utf8(t).map_err(|_| bad("it is not UTF-8".into()))?;
    inet_text(s, kind).map(|(_, _, text)| Value::Text(text)).map_err(bad)
}

pub(super) fn to_macaddr(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    let SourceValue::Text(t) = v else { return Err(wrong_class(v, ty, "")) };
    std::str::from_utf8(t).ok().and_then(mac_text).map(Value::Text).ok_or_else(|| ConvertError::BadValue {
        value: show(v),
        target: ty.to_string(),
        reason: "it is not 12 hex digits".into(),
        forms: "08:00:2b:01:02:03, 08-00-2b-01-02-03, 0800.2b01.0203 or 08002b010203",
    })
}

pub(super) fn to_timetz(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    let SourceValue::Text(t) = v else { return Err(wrong_class(v, ty, "")) };
    let s = std::str::from_utf8(t).map_err(|_| "it is not UTF-8".to_string());
    s.and_then(timetz_text).map(|(_, _, text)| Value::Text(text)).map_err(|reason| ConvertError::BadValue {
        value: show(v),
        target: ty.to_string(),
        reason,
        forms: "HH:MM:SS[.ffffff] with an optional offset ±HH[:MM] or Z (none: UTC)",
    })
}

/// A JSON array of scalars, each converted by the element type's own rules (numbers are
/// read from their text, so `0.1` in a numeric array stays exactly 0.1).
pub(super) fn to_array(
    v: SourceValue<'_>,
    element: crate::types::ArrayElement,
    ty: &ColumnType,
    ctx: &super::ConvertContext,
) -> Result<Value, ConvertError> {
    use crate::forms::JsonScalar;
    let SourceValue::Text(t) = v else { return Err(wrong_class(v, ty, "")) };
    let bad = |reason: String| ConvertError::BadValue {
        value: show(v),
        target: ty.to_string(),
        reason,
        forms: "a JSON array of numbers, strings, booleans and nulls, one level deep",
    };
    let text = std::str::from_utf8(t).map_err(|_| bad("it is not UTF-8".into()))?;
    let items = crate::forms::json_scalars(text).map_err(bad)?;
    let neutral = element.neutral();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let source = match item {
            JsonScalar::Null => SourceValue::Null,
            JsonScalar::Bool(b) => SourceValue::Integer(i64::from(*b)),
            JsonScalar::Number(n) | JsonScalar::String(n) => SourceValue::Text(n.as_bytes()),
        };
        let value = super::convert(source, &neutral, ctx).map_err(|e| bad(format!("element {i}: {e}")))?;
        out.push(value);
    }
    Ok(Value::Array(out))
}

/// MariaDB YEAR: 1901 to 2155, or 0 (as integer or digits).
pub(super) fn to_year(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    let i = match super::number::to_integer(v, crate::types::IntWidth::I32, false, ty)? {
        Value::Int(i) => i,
        other => return Ok(other),
    };
    if i == 0 || (1901..=2155).contains(&i) {
        Ok(Value::Int(i))
    } else {
        Err(ConvertError::OutOfRange {
            value: show(v),
            target: ty.to_string(),
            reason: "a MariaDB YEAR holds 1901 to 2155, or 0".into(),
        })
    }
}

/// The label of an enum column or the labels of a SET, checked against the column's
/// labels exactly (case and spaces count: MariaDB would otherwise store another label's
/// spelling). A SET value is returned in the column's order without repeats, as the
/// server stores it.
pub fn check_labels(text: &str, labels: &[String], set: bool) -> Result<Option<String>, String> {
    let shown = || {
        let mut l: Vec<String> = labels.iter().take(12).map(|l| format!("'{l}'")).collect();
        if labels.len() > 12 {
            l.push(format!("… ({} in all)", labels.len()));
        }
        l.join(", ")
    };
    if !set {
        return if labels.iter().any(|l| l == text) {
            Ok(None)
        } else {
            Err(format!("is not one of the column's labels ({}), which are compared exactly", shown()))
        };
    }
    if text.is_empty() {
        return Ok(None);
    }
    let mut seen = vec![false; labels.len()];
    for part in text.split(',') {
        match labels.iter().position(|l| l == part) {
            Some(i) => seen[i] = true,
            None => return Err(format!("has '{part}', which is not one of the SET's labels ({})", shown())),
        }
    }
    let ordered: Vec<&str> = labels.iter().zip(&seen).filter(|(_, s)| **s).map(|(l, _)| l.as_str()).collect();
    let joined = ordered.join(",");
    Ok((joined != text).then_some(joined))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::dialect::Dialect::{MariaDb, Postgres};
    use crate::value::SourceValue::{Integer, Real};

    fn iv(months: i32, days: i32, micros: i64) -> Value {
        Value::Interval { months, days, micros }
    }

    #[test]
    fn intervals_from_every_framework_form() {
        let ty = ColumnType::Interval;
        assert_eq!(ok(Integer(90_061_000_001), &ty, Postgres), iv(0, 1, 3_661_000_001));
        assert_eq!(ok(Integer(-1), &ty, Postgres), iv(0, -1, 86_399_999_999));
        assert_eq!(ok(t("3 days, 1:02:03.000004"), &ty, Postgres), iv(0, 3, 3_723_000_004));
        assert_eq!(ok(t("-1 day, 23:59:59.999999"), &ty, Postgres), iv(0, -1, 86_399_999_999));
        assert_eq!(ok(t("0:00:01.5"), &ty, Postgres), iv(0, 0, 1_500_000));
        assert_eq!(ok(t("P1Y2M3DT4H5M6.5S"), &ty, Postgres), iv(14, 3, 14_706_500_000));
        assert_eq!(ok(t("PT36H"), &ty, Postgres), iv(0, 1, 43_200_000_000));
        assert_eq!(ok(t("1970-01-02 00:00:00.000001"), &ty, Postgres), iv(0, 1, 1));
        assert_eq!(ok(t("1969-12-31 23:59:59"), &ty, Postgres), iv(0, -1, 86_399_000_000));
        for bad in ["soon", "1:2", "0:00:00.1234567", "P", "PT1.5H", "1 day, x"] {
            rejects(t(bad), &ty, Postgres, "bad_value");
        }
        rejects(Real(1.5), &ty, Postgres, "wrong_storage_class");
    }

    #[test]
    fn float4_only_when_exact() {
        let ty = ColumnType::Float4;
        assert_eq!(ok(Real(0.5), &ty, MariaDb), Value::Float(0.5));
        assert_eq!(ok(Integer(16_777_216), &ty, Postgres), Value::Float(16_777_216.0));
        assert_eq!(ok(Real(f64::from(0.1f32)), &ty, Postgres), Value::Float(f64::from(0.1f32)));
        // The float nearest 0.1 prints as 0.1: what the application reads back is what it wrote.
        assert_eq!(ok(Real(0.1), &ty, Postgres), Value::Float(f64::from(0.1f32)));
        assert_eq!(ok(Real(19.99), &ty, MariaDb), Value::Float(f64::from(19.99f32)));
        rejects(Real(0.123_456_789), &ty, Postgres, "not_exact");
        rejects_shown(Real(1e-300), &ty, Postgres, "not_exact", "1e-300");
        rejects(Integer(16_777_217), &ty, MariaDb, "not_exact");
    }

    #[test]
    fn addresses_are_validated_and_normalised() {
        let inet = ColumnType::Inet;
        assert_eq!(ok(t("192.0.2.1"), &inet, Postgres), Value::Text("192.0.2.1".into()));
        assert_eq!(ok(t("192.0.2.1/32"), &inet, Postgres), Value::Text("192.0.2.1".into()));
        assert_eq!(ok(t("192.0.2.1/24"), &inet, Postgres), Value::Text("192.0.2.1/24".into()));
        assert_eq!(ok(t("2001:DB8:0:0::1"), &inet, Postgres), Value::Text("2001:db8::1".into()));
        assert_eq!(ok(t("10.0.0.0/8"), &ColumnType::Cidr, Postgres), Value::Text("10.0.0.0/8".into()));
        rejects(t("10.0.0.1/8"), &ColumnType::Cidr, Postgres, "bad_value");
        rejects(t("300.1.1.1"), &inet, Postgres, "bad_value");
        rejects(t("1.2.3.4/33"), &inet, Postgres, "bad_value");
        rejects(t("1.2.3.4"), &ColumnType::Inet6, MariaDb, "bad_value");
        rejects(t("::1"), &ColumnType::Inet4, MariaDb, "bad_value");
        assert_eq!(ok(t("::FFFF:1.2.3.4"), &ColumnType::Inet6, MariaDb), Value::Text("::ffff:1.2.3.4".into()));
        assert_eq!(ok(t("0800.2B01.0203"), &ColumnType::Macaddr, Postgres), Value::Text("08:00:2b:01:02:03".into()));
        rejects(t("08:00:2b"), &ColumnType::Macaddr, Postgres, "bad_value");
    }

    #[test]
    fn times_with_zones() {
        let ty = ColumnType::TimeTz;
        assert_eq!(ok(t("10:00:00+02"), &ty, Postgres), Value::Text("10:00:00.000000+02:00".into()));
        assert_eq!(ok(t("10:00:00.5-05:30"), &ty, Postgres), Value::Text("10:00:00.500000-05:30".into()));
        assert_eq!(ok(t("23:59:59.999999"), &ty, Postgres), Value::Text("23:59:59.999999+00:00".into()));
        rejects(t("10:00:00+16:00"), &ty, Postgres, "bad_value");
    }

    #[test]
    fn years_and_labels() {
        assert_eq!(ok(Integer(2024), &ColumnType::Year, MariaDb), Value::Int(2024));
        rejects(Integer(1900), &ColumnType::Year, MariaDb, "out_of_range");
        let labels: Vec<String> = ["x", "y", "Z"].iter().map(|s| s.to_string()).collect();
        assert_eq!(check_labels("y", &labels, false), Ok(None));
        assert!(check_labels("z", &labels, false).is_err());
        assert_eq!(check_labels("Z,x,x", &labels, true), Ok(Some("x,Z".into())));
        assert_eq!(check_labels("x,y", &labels, true), Ok(None));
        assert!(check_labels("x,w", &labels, true).is_err());
    }
}
