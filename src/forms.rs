//! The text forms of the types applications create (ISO 8601 durations, network
//! addresses, MAC addresses, times with a zone): how cutover parses and normalises them.
//! Shared by `convert`, which reads them from the source, and `target`, which encodes
//! them for PostgreSQL's binary COPY and reads the target's side back, so that both sides
//! of a verification compare values, not the way each server prints them.

use std::net::IpAddr;

use chrono::{NaiveTime, Timelike};

pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `.123` → 123000 microseconds; more than 6 digits is refused (never cut).
pub(crate) fn fraction_micros(frac: &str) -> Result<i128, String> {
    if frac.is_empty() {
        return Ok(0);
    }
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the fraction of a second is not 1 to 6 digits (an interval keeps microseconds)".into());
    }
    let n: i128 = frac.parse().map_err(|_| "bad fraction".to_string())?;
    Ok(n * 10i128.pow(u32::try_from(6 - frac.len()).unwrap_or(0)))
}

/// The part after `P`: `nY nM nW nD` then `T nH nM n[.f]S`, each number optionally signed.
/// Years and months become months; weeks and days become days.
pub fn parse_iso(s: &str) -> Result<(i32, i128), String> {
    let mut months: i128 = 0;
    let mut us: i128 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            'T' if !in_time && num.is_empty() => in_time = true,
            '0'..='9' | '.' | '-' | '+' => num.push(c),
            unit => {
                let (whole, frac) = num.split_once('.').unwrap_or((&num, ""));
                let neg = whole.starts_with('-');
                let whole: i128 =
                    whole.trim_start_matches(['+', '-']).parse().map_err(|_| format!("no number before {unit}"))?;
                let whole = if neg { -whole } else { whole };
                let fraction_allowed = in_time && unit == 'S';
                if !frac.is_empty() && !fraction_allowed {
                    return Err("only seconds may have a fraction".into());
                }
                let f = fraction_micros(frac)?;
                match (in_time, unit) {
                    (false, 'Y') => months += whole * 12,
                    (false, 'M') => months += whole,
                    (false, 'W') => us += whole * 7 * i128::from(MICROS_PER_DAY),
                    (false, 'D') => us += whole * i128::from(MICROS_PER_DAY),
                    (true, 'H') => us += whole * 3_600_000_000,
                    (true, 'M') => us += whole * 60_000_000,
                    (true, 'S') => us += whole * 1_000_000 + if neg { -f } else { f },
                    _ => return Err(format!("{unit} is not an ISO 8601 duration unit here")),
                }
                num.clear();
                any = true;
            }
        }
    }
    if !num.is_empty() || !any {
        return Err("it is not an ISO 8601 duration".into());
    }
    Ok((i32::try_from(months).map_err(|_| "too many months".to_string())?, us))
}

/// A scalar of a flat JSON array: numbers keep their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonScalar {
    Null,
    Bool(bool),
    Number(String),
    String(String),
}

/// The elements of a one-level JSON array of scalars (`[1, "a", null, true]`).
pub fn json_scalars(text: &str) -> Result<Vec<JsonScalar>, String> {
    let s = text.trim();
    let inner =
        s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).ok_or_else(|| "it is not a JSON array".to_string())?;
    let b = inner.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == b.len() {
        return Ok(out);
    }
    loop {
        skip_ws(&mut i);
        let start = i;
        match b.get(i) {
            Some(b'"') => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                let token = inner.get(start..i.min(b.len())).unwrap_or_default();
                let parsed: String =
                    serde_json::from_str(token).map_err(|e| format!("a string is not valid JSON ({e})"))?;
                out.push(JsonScalar::String(parsed));
            }
            Some(b'[' | b'{') => {
                return Err("it holds a nested array or object; the column is a one-dimensional array".into())
            }
            Some(_) => {
                while i < b.len() && b[i] != b',' && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let token = &inner[start..i];
                out.push(match token {
                    "null" => JsonScalar::Null,
                    "true" => JsonScalar::Bool(true),
                    "false" => JsonScalar::Bool(false),
                    n if serde_json::from_str::<serde_json::Number>(n).is_ok() => JsonScalar::Number(n.to_string()),
                    other => return Err(format!("{other:?} is not a JSON value")),
                });
            }
            None => return Err("it ends after a comma".into()),
        }
        skip_ws(&mut i);
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => return Err("its elements are not separated by commas".into()),
        }
    }
}

/// Which kind of address column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    /// PostgreSQL inet: an address, optionally with a prefix length.
    Inet,
    /// PostgreSQL cidr: a network, host bits zero.
    Cidr,
    /// MariaDB INET4.
    V4,
    /// MariaDB INET6.
    V6,
}

/// The address and prefix length of an address column's text, and its normalised text:
/// the address as Rust prints it (RFC 5952 for IPv6), `/n` for cidr always and for inet
/// when `n` is not the full length.
pub fn inet_text(s: &str, kind: NetKind) -> Result<(IpAddr, u8, String), String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| "it is not an IPv4 or IPv6 address".to_string())?;
    let full: u8 = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match prefix {
        None => full,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= full && !p.starts_with('+') => n,
            _ => return Err(format!("the prefix length is not 0 to {full}")),
        },
    };
    match kind {
        NetKind::V4 | NetKind::V6 if prefix.is_some() => {
            return Err("the column holds a single address, without a prefix length".into())
        }
        NetKind::V4 if !ip.is_ipv4() => return Err("the column holds IPv4 addresses".into()),
        NetKind::V6 if !ip.is_ipv6() => {
            return Err("the column holds IPv6 addresses; write an IPv4 address IPv4-mapped, as ::ffff:a.b.c.d".into())
        }
        NetKind::Cidr => {
            let host_bits = u32::from(full - bits);
            let raw: u128 = match ip {
                IpAddr::V4(a) => u128::from(u32::from(a)),
                IpAddr::V6(a) => u128::from(a),
            };
            if host_bits > 0 && raw & ((1u128 << host_bits) - 1) != 0 {
                return Err(format!("it has bits set to the right of /{bits}, which a cidr network refuses"));
            }
        }
        _ => {}
    }
    let text = if kind == NetKind::Cidr || bits != full { format!("{ip}/{bits}") } else { ip.to_string() };
    Ok((ip, bits, text))
}

/// A MAC address's 6 bytes as `08:00:2b:01:02:03`, from any of PostgreSQL's input forms
/// (colons, hyphens, dots or none between the hex digits).
pub fn mac_text(s: &str) -> Option<String> {
    let hex: String = s.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
    if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let lower = hex.to_ascii_lowercase();
    Some(lower.as_bytes().chunks(2).map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>().join(":"))
}

/// A time of day with a UTC offset as `HH:MM:SS.ffffff+HH:MM` (no offset: UTC, as
/// cutover's PostgreSQL session reads it), and its parts (microseconds, offset seconds east).
pub fn timetz_text(s: &str) -> Result<(i64, i32, String), String> {
    let s = s.trim();
    let split = s.rfind(['+', '-']).filter(|i| *i >= 5);
    let (clock, offset) = match (split, s.strip_suffix('Z')) {
        (_, Some(c)) => (c, 0),
        (Some(i), None) => {
            let (c, o) = s.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let parts: Vec<&str> = o[1..].split(':').collect();
            let hm: Option<Vec<i32>> = parts.iter().map(|p| (p.len() == 2).then(|| p.parse().ok()).flatten()).collect();
            let hm = hm.filter(|v| (1..=2).contains(&v.len())).ok_or("the offset is not ±HH or ±HH:MM")?;
            let secs = hm[0] * 3600 + hm.get(1).copied().unwrap_or(0) * 60;
            if hm[0] > 15 || hm.get(1).copied().unwrap_or(0) > 59 {
                return Err("the offset is beyond ±15:59".into());
            }
            (c, sign * secs)
        }
        (None, None) => (s, 0),
    };
    let t = NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").map_err(|_| "the time is not HH:MM:SS[.ffffff]")?;
    if t.nanosecond() % 1000 != 0 {
        return Err("it has digits below the microsecond".into());
    }
    let us = i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1000);
    let (sign, abs) = if offset < 0 { ('-', -offset) } else { ('+', offset) };
    let text = format!("{}{sign}{:02}:{:02}", t.format("%H:%M:%S%.6f"), abs / 3600, abs % 3600 / 60);
    Ok((us, offset, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_json_arrays_keep_number_text_and_refuse_what_is_not_flat() {
        use JsonScalar::*;
        assert_eq!(json_scalars(" [ ] ").unwrap(), vec![]);
        assert_eq!(
            json_scalars(r#"[1.50, "a\"b,c", null, true, -2e3]"#).unwrap(),
            vec![Number("1.50".into()), String("a\"b,c".into()), Null, Bool(true), Number("-2e3".into())]
        );
        for bad in ["{}", "[1,]", "[[1]]", "[1 2]", "[nope]", r#"["open]"#] {
            assert!(json_scalars(bad).is_err(), "{bad}");
        }
    }
}
