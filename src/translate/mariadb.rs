//! MariaDB's spelling of SQLite's constructs. Text columns are `utf8mb4_nopad_bin` by
//! default (case-sensitive, as SQLite's BINARY), so case-insensitive LIKE lowers both sides.

use super::{Flavor, Result, Ty, Untranslatable};

pub struct MariaDb;

/// Text a function computes takes the collation of the connection that reads the view, and
/// a literal the one of the session that created it: two "coercible" collations that MariaDB
/// refuses to compare when they differ. A fixed, binary (SQLite's BINARY) collation wins.
fn fixed_collation(sql: &str) -> String {
    format!("CONVERT({sql} USING utf8mb4) COLLATE utf8mb4_nopad_bin")
}

impl Flavor for MariaDb {
    fn name(&self) -> &'static str {
        "MariaDB"
    }

    fn quote(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }

    fn string(&self, s: &str) -> String {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    }

    fn strict_booleans(&self) -> bool {
        false
    }

    fn bool_as_int(&self, sql: &str) -> String {
        sql.to_string()
    }

    fn truth(&self, sql: &str) -> String {
        sql.to_string()
    }

    fn concat(&self, parts: &[String]) -> String {
        format!("CONCAT({})", parts.join(", "))
    }

    fn concat_skipping_nulls(&self, parts: &[String]) -> String {
        let parts: Vec<String> = parts.iter().map(|p| format!("COALESCE({p}, '')")).collect();
        format!("CONCAT({})", parts.join(", "))
    }

    fn to_text(&self, sql: &str, ty: Ty) -> String {
        let text = match ty {
            Ty::Text | Ty::Null => return sql.to_string(),
            Ty::Timestamp => format!("DATE_FORMAT({sql}, '%Y-%m-%d %H:%i:%s')"),
            Ty::Real => format!(
                "CASE WHEN {sql} = TRUNCATE({sql}, 0) AND ABS({sql}) < 1e15 THEN CONCAT(CAST({sql} AS SIGNED), '.0') ELSE CAST({sql} AS CHAR) END"
            ),
            Ty::Date | Ty::DayStamp => format!("DATE_FORMAT({sql}, '%Y-%m-%d')"),
            Ty::Time => format!("TIME_FORMAT({sql}, '%H:%i:%s')"),
            Ty::Bytes => return format!("CONVERT({sql} USING utf8mb4)"),
            _ => format!("CAST({sql} AS CHAR)"),
        };
        fixed_collation(&text)
    }

    fn text_to_number(&self, sql: &str) -> String {
        format!("({sql} + 0)")
    }

    fn binary_text(&self, sql: &str) -> String {
        sql.to_string()
    }

    fn order_key(&self, sql: &str, _ty: Ty, desc: bool) -> String {
        if desc {
            format!("{sql} DESC")
        } else {
            sql.to_string()
        }
    }

    fn int_divide(&self, a: &str, b: &str) -> String {
        format!("{a} DIV NULLIF({b}, 0)")
    }

    fn divide(&self, a: &str, b: &str) -> String {
        format!("CAST({a} AS DOUBLE) / NULLIF({b}, 0)")
    }

    fn like(&self, a: &str, pattern: &str, escape: Option<&str>, negated: bool) -> String {
        let not = if negated { "NOT " } else { "" };
        let esc = escape.map(|e| format!(" ESCAPE {e}")).unwrap_or_default();
        format!("LOWER({a}) {not}LIKE LOWER({pattern}){esc}")
    }

    fn regex_match(&self, a: &str, regex: &str) -> String {
        format!("CONVERT({a} USING utf8mb4) COLLATE utf8mb4_bin REGEXP {}", self.string(regex))
    }

    fn substr(&self, x: &str, start: &str, len: Option<&str>) -> String {
        // SQLite's start 0 is a position before the first character; MariaDB's is nothing.
        if start.trim() == "0" {
            return match len {
                Some(n) => format!("SUBSTRING({x}, 1, ({n}) - 1)"),
                None => format!("SUBSTRING({x}, 1)"),
            };
        }
        match len {
            Some(n) => format!("SUBSTRING({x}, {start}, {n})"),
            None => format!("SUBSTRING({x}, {start})"),
        }
    }

    fn instr(&self, haystack: &str, needle: &str) -> String {
        format!("INSTR({haystack}, {needle})")
    }

    fn char_length(&self, x: &str) -> String {
        format!("CHAR_LENGTH({x})")
    }

    fn byte_length(&self, x: &str) -> String {
        format!("LENGTH({x})")
    }

    fn round(&self, x: &str, digits: &str) -> String {
        format!("ROUND(CAST({x} AS DECIMAL(65,20)), {digits})")
    }

    fn total(&self, x: &str, distinct: bool) -> String {
        let d = if distinct { "DISTINCT " } else { "" };
        format!("CAST(COALESCE(SUM({d}{x}), 0) AS DOUBLE)")
    }

    fn avg(&self, x: &str, distinct: bool) -> String {
        let d = if distinct { "DISTINCT " } else { "" };
        format!("AVG({d}CAST({x} AS DOUBLE))")
    }

    fn group_concat(&self, x: &str, sep: &str, distinct: bool, order: &str) -> String {
        let d = if distinct { "DISTINCT " } else { "" };
        format!("GROUP_CONCAT({d}{x}{order} SEPARATOR {sep})")
    }

    fn extreme(&self, max: bool, args: &[String]) -> String {
        format!("{}({})", if max { "GREATEST" } else { "LEAST" }, args.join(", "))
    }

    fn cast(&self, x: &str, from: Ty, to: Ty) -> String {
        match to {
            Ty::Int if from == Ty::Int || from == Ty::Bool => x.to_string(),
            Ty::Int if from.is_text() => format!("CAST({x} AS SIGNED)"),
            Ty::Int => format!("CAST(TRUNCATE({x}, 0) AS SIGNED)"),
            Ty::Real | Ty::Decimal => format!("CAST({x} AS DOUBLE)"),
            Ty::Bytes => format!("CAST({x} AS BINARY)"),
            _ => self.to_text(x, from),
        }
    }

    fn null_safe_equal(&self, a: &str, b: &str, negated: bool) -> String {
        if negated {
            format!("NOT ({a} <=> {b})")
        } else {
            format!("{a} <=> {b}")
        }
    }

    fn random(&self) -> String {
        "CAST(FLOOR((RAND() - 0.5) * 18446744073709551615) AS SIGNED)".into()
    }

    fn bare_column(&self, sql: &str) -> String {
        sql.to_string()
    }

    fn lag_lead_default(&self) -> bool {
        false
    }

    fn supports_full_join(&self) -> bool {
        false
    }

    fn trim(&self, func: &str, x: &str, chars: Option<&str>) -> Result<String> {
        match chars {
            None => Ok(format!("{}({x})", func.to_ascii_uppercase())),
            Some(_) => Err(Untranslatable::new(
                format!("{func}(x, characters)"),
                "MariaDB's TRIM removes a whole string, not a set of characters",
            )),
        }
    }

    fn no_limit(&self) -> &'static str {
        "18446744073709551615"
    }

    fn blob_literal(&self, hex: &str) -> String {
        format!("X'{hex}'")
    }

    fn now(&self) -> String {
        "UTC_TIMESTAMP(6)".into()
    }

    fn timestamp_literal(&self, s: &str) -> String {
        format!("CAST({} AS DATETIME(6))", self.string(s))
    }

    fn text_to_timestamp(&self, x: &str) -> String {
        format!(
            "CASE WHEN {x} REGEXP '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\\\.[0-9]+)?)?)?$' THEN CAST({x} AS DATETIME(6)) END"
        )
    }

    fn date_to_timestamp(&self, x: &str) -> String {
        format!("CAST({x} AS DATETIME(6))")
    }

    fn epoch_to_timestamp(&self, x: &str) -> String {
        format!("(TIMESTAMP'1970-01-01 00:00:00' + INTERVAL ({x}) * 1000000 MICROSECOND)")
    }

    fn julian_to_timestamp(&self, x: &str) -> String {
        format!("(TIMESTAMP'1970-01-01 00:00:00' + INTERVAL (({x}) - 2440587.5) * 86400000000 MICROSECOND)")
    }

    fn add_interval(&self, ts: &str, n: &str, unit: &str) -> String {
        let (n, unit) = match unit {
            "day" | "hour" | "minute" | "second" if n.contains('.') || n.contains('e') => {
                let per = match unit {
                    "day" => "86400000000",
                    "hour" => "3600000000",
                    "minute" => "60000000",
                    _ => "1000000",
                };
                (format!("({n}) * {per}"), "MICROSECOND")
            }
            "day" => (n.to_string(), "DAY"),
            "hour" => (n.to_string(), "HOUR"),
            "minute" => (n.to_string(), "MINUTE"),
            "second" => (n.to_string(), "SECOND"),
            "month" => (n.to_string(), "MONTH"),
            _ => (n.to_string(), "YEAR"),
        };
        format!("({ts} + INTERVAL {n} {unit})")
    }

    fn start_of(&self, ts: &str, unit: &str) -> String {
        let fmt = match unit {
            "year" => "%Y-01-01",
            "month" => "%Y-%m-01",
            _ => "%Y-%m-%d",
        };
        format!("CAST(DATE_FORMAT({ts}, '{fmt}') AS DATETIME(6))")
    }

    fn weekday(&self, ts: &str, n: u32) -> String {
        format!("({ts} + INTERVAL (({n} - (DAYOFWEEK({ts}) - 1) + 7) % 7) DAY)")
    }

    fn datetime_of(&self, ts: &str) -> String {
        format!("CAST({ts} AS DATETIME)")
    }

    fn date_of(&self, ts: &str) -> String {
        format!("CAST({ts} AS DATE)")
    }

    fn time_of(&self, ts: &str) -> String {
        format!("CAST({ts} AS TIME)")
    }

    fn julianday(&self, ts: &str) -> String {
        format!("(TIMESTAMPDIFF(MICROSECOND, TIMESTAMP'1970-01-01 00:00:00', {ts}) / 86400000000e0 + 2440587.5)")
    }

    fn unixepoch(&self, ts: &str) -> String {
        format!("TIMESTAMPDIFF(SECOND, TIMESTAMP'1970-01-01 00:00:00', {ts})")
    }

    fn strftime_part(&self, ts: &str, directive: char) -> Option<String> {
        let pattern = match directive {
            'Y' => "%Y",
            'm' => "%m",
            'd' => "%d",
            'H' => "%H",
            'M' => "%i",
            'S' => "%s",
            'j' => "%j",
            'w' => "%w",
            'f' => {
                return Some(fixed_collation(&format!(
                    "CONCAT(DATE_FORMAT({ts}, '%s.'), LEFT(DATE_FORMAT({ts}, '%f'), 3))"
                )))
            }
            's' => return Some(fixed_collation(&format!("CAST({} AS CHAR)", self.unixepoch(ts)))),
            _ => return None,
        };
        Some(fixed_collation(&format!("DATE_FORMAT({ts}, '{pattern}')")))
    }
}
