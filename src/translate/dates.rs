//! SQLite's date and time functions: `date()`, `time()`, `datetime()`, `julianday()`,
//! `unixepoch()`, `strftime()`, their time values ('now', date text, date columns, numbers)
//! and modifiers ('+7 days', 'start of month', 'weekday 0', 'unixepoch').

use super::scope::Translator;
use super::typed::{looks_like_datetime, Lit, Typed};
use super::{Result, Ty, Untranslatable};

fn unsupported<T>(construct: impl Into<String>, why: impl Into<String>) -> Result<T> {
    Err(Untranslatable::new(construct, why))
}

/// CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME (UTC in SQLite).
pub(super) fn current(t: &mut Translator, name: &str) -> Result<Typed> {
    t.volatile.push(format!("{} (the current time)", name.to_ascii_uppercase()));
    let now = t.f.now();
    Ok(match name {
        "current_date" => Typed::new(t.f.date_of(&now), Ty::Date),
        "current_time" => Typed::new(t.f.time_of(&now), Ty::Time),
        _ => Typed::new(t.f.datetime_of(&now), Ty::Timestamp),
    })
}

pub(super) fn call(t: &mut Translator, name: &str, args: &[Typed]) -> Result<Typed> {
    let (format, rest) = if name == "strftime" {
        match args.split_first() {
            Some((f, rest)) => match &f.lit {
                Some(Lit::Str(s)) => (Some(s.clone()), rest),
                _ => {
                    return unsupported(
                        "strftime() with a format that is not a constant",
                        "only constant formats are translated",
                    )
                }
            },
            None => return unsupported("strftime()", "too few arguments"),
        }
    } else {
        (None, args)
    };
    // date('1997-01-01') and datetime('1997-01-01'): constants, computed here.
    if let ([only], "date" | "datetime") = (rest, name) {
        if let Some(Lit::Str(s)) = &only.lit {
            if let Some(text) = constant(name, s) {
                let ty = if name == "date" { Ty::Date } else { Ty::Timestamp };
                let sql = if name == "date" { t.f.string(&text) } else { t.f.timestamp_literal(&text) };
                return Ok(Typed::constant(sql, ty, text));
            }
        }
    }
    let ts = time_value(t, name, rest)?;
    let f = t.f;
    Ok(match name {
        "date" => Typed::new(f.date_of(&ts), Ty::Date),
        "time" => Typed::new(f.time_of(&ts), Ty::Time),
        "datetime" => Typed::new(f.datetime_of(&ts), Ty::Timestamp),
        "julianday" => Typed::new(f.julianday(&ts), Ty::Real),
        "unixepoch" => Typed::new(f.unixepoch(&ts), Ty::Int),
        _ => Typed::new(strftime(t, format.as_deref().unwrap_or(""), &ts)?, Ty::Text),
    })
}

/// The text SQLite's date()/datetime() gives for a constant date text.
fn constant(name: &str, s: &str) -> Option<String> {
    if !looks_like_datetime(s) {
        return None;
    }
    let s = s.replace('T', " ");
    let t = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    Some(t.format(if name == "date" { "%Y-%m-%d" } else { "%Y-%m-%d %H:%M:%S" }).to_string())
}

/// The time value and its modifiers, as a target timestamp expression.
fn time_value(t: &mut Translator, name: &str, args: &[Typed]) -> Result<String> {
    let f = t.f;
    let Some((first, modifiers)) = args.split_first() else {
        t.volatile.push(format!("{name}() without arguments (the current time)"));
        return Ok(f.now());
    };
    let mods: Vec<String> = modifiers
        .iter()
        .map(|m| match &m.lit {
            Some(Lit::Str(s)) => Ok(s.trim().to_ascii_lowercase()),
            _ => unsupported(
                format!("{name}() with a modifier that is not a constant"),
                "only constant modifiers are translated",
            ),
        })
        .collect::<Result<_>>()?;
    let unixepoch = mods.first().is_some_and(|m| m == "unixepoch");
    let mut ts = match (&first.lit, first.ty) {
        (Some(Lit::Str(s)), _) if s.eq_ignore_ascii_case("now") => {
            t.volatile.push(format!("{name}('now') (the current time)"));
            f.now()
        }
        (Some(Lit::Str(s)), _) if looks_like_datetime(s) => f.timestamp_literal(&s.replace('T', " ")),
        (Some(Lit::Str(s)), _) => {
            return unsupported(
                format!("{name}('{s}')"),
                "a time value that is not YYYY-MM-DD[ HH:MM[:SS[.SSS]]] or 'now'",
            )
        }
        (Some(Lit::Null), _) => "NULL".into(),
        (_, Ty::Timestamp | Ty::DayStamp) => first.sql.clone(),
        (_, Ty::Date) => f.date_to_timestamp(&first.sql),
        (_, Ty::Text | Ty::Other) => f.text_to_timestamp(&first.sql),
        (_, Ty::Int | Ty::Real | Ty::Decimal) if unixepoch => f.epoch_to_timestamp(&first.sql),
        (_, Ty::Int | Ty::Real | Ty::Decimal) => f.julian_to_timestamp(&first.sql),
        (_, ty) => return unsupported(format!("{name}() of a {ty:?} value"), "no date in it to read"),
    };
    for (i, m) in mods.iter().enumerate() {
        if m == "unixepoch" && i == 0 {
            continue;
        }
        ts = modifier(t, name, &ts, m)?;
    }
    Ok(ts)
}

fn modifier(t: &Translator, name: &str, ts: &str, m: &str) -> Result<String> {
    let f = t.f;
    if let Some(unit) = m.strip_prefix("start of ") {
        return match unit {
            "day" | "month" | "year" => Ok(f.start_of(ts, unit)),
            _ => unsupported(format!("{name}(…, '{m}')"), "not a SQLite modifier"),
        };
    }
    if let Some(n) = m.strip_prefix("weekday ") {
        return match n.trim().parse::<u32>() {
            Ok(n) if n <= 6 => Ok(f.weekday(ts, n)),
            _ => unsupported(format!("{name}(…, '{m}')"), "weekday takes 0 to 6"),
        };
    }
    let mut words = m.split_whitespace();
    if let (Some(number), Some(unit), None) = (words.next(), words.next(), words.next()) {
        let unit = unit.trim_end_matches('s');
        let valid = number.trim_start_matches(['+', '-']).parse::<f64>().is_ok()
            && number.trim_start_matches(['+', '-']).chars().all(|c| c.is_ascii_digit() || c == '.');
        if valid && matches!(unit, "day" | "hour" | "minute" | "second" | "month" | "year") {
            let n = number.trim_start_matches('+');
            if matches!(unit, "month" | "year") && n.contains('.') {
                return unsupported(format!("{name}(…, '{m}')"), "fractional months and years");
            }
            return Ok(f.add_interval(ts, n, unit));
        }
    }
    let why = match m {
        "localtime" | "utc" => "it depends on the server's time zone; convert in the application",
        _ => "a modifier cutover does not translate",
    };
    unsupported(format!("{name}(…, '{m}')"), why)
}

/// strftime(): each directive formatted, literal text between them.
fn strftime(t: &Translator, format: &str, ts: &str) -> Result<String> {
    let f = t.f;
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => literal.push('%'),
            Some(d) => {
                let Some(part) = f.strftime_part(ts, d) else {
                    return unsupported(format!("strftime('%{d}')"), "a format directive cutover does not translate");
                };
                if !literal.is_empty() {
                    parts.push(f.string(&std::mem::take(&mut literal)));
                }
                parts.push(part);
            }
            None => literal.push('%'),
        }
    }
    if !literal.is_empty() {
        parts.push(f.string(&literal));
    }
    Ok(match parts.len() {
        0 => f.string(""),
        1 => parts.remove(0),
        _ => f.concat(&parts),
    })
}
