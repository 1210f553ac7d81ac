//! PostgreSQL's spelling of SQLite's constructs.

use super::{Flavor, Result, Ty};

pub struct Postgres;

/// SQLite's numeric prefix of a text: what `'12abc' + 0` reads.
const NUMERIC_PREFIX: &str = r"^\s*([-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)";

impl Flavor for Postgres {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn quote(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn strict_booleans(&self) -> bool {
        true
    }

    fn bool_as_int(&self, sql: &str) -> String {
        format!("CAST({sql} AS integer)")
    }

    fn truth(&self, sql: &str) -> String {
        format!("({sql}) <> 0")
    }

    fn concat(&self, parts: &[String]) -> String {
        format!("({})", parts.join(" || "))
    }

    fn concat_skipping_nulls(&self, parts: &[String]) -> String {
        format!("concat({})", parts.join(", "))
    }

    fn to_text(&self, sql: &str, ty: Ty) -> String {
        match ty {
            Ty::Text | Ty::Null => sql.to_string(),
            Ty::Bool => format!("CAST(CAST({sql} AS integer) AS text)"),
            Ty::Timestamp => format!("to_char({sql}, 'YYYY-MM-DD HH24:MI:SS')"),
                        Ty::Real => format!(
                "CASE WHEN {sql} = trunc({sql}) AND abs({sql}) < 1e15 THEN CAST(CAST({sql} AS bigint) AS text) || '.0' ELSE CAST({sql} AS text) END"
            ),
            Ty::Date | Ty::DayStamp => format!("to_char({sql}, 'YYYY-MM-DD')"),
            Ty::Time => format!("to_char({sql}, 'HH24:MI:SS')"),
            Ty::Bytes => format!("convert_from({sql}, 'UTF8')"),
            _ => format!("CAST({sql} AS text)"),
        }
    }

    fn text_to_number(&self, sql: &str) -> String {
        format!(
            "CASE WHEN {sql} IS NULL THEN NULL ELSE COALESCE(CAST(substring({sql} from '{NUMERIC_PREFIX}') AS numeric), 0) END"
        )
    }

    fn binary_text(&self, sql: &str) -> String {
        format!("({sql} COLLATE \"C\")")
    }

    fn order_key(&self, sql: &str, ty: Ty, desc: bool) -> String {
        let key = if ty.is_text() { self.binary_text(sql) } else { sql.to_string() };
        if desc {
            format!("{key} DESC NULLS LAST")
        } else {
            format!("{key} NULLS FIRST")
        }
    }

    fn int_divide(&self, a: &str, b: &str) -> String {
        format!("{a} / NULLIF({b}, 0)")
    }

    fn divide(&self, a: &str, b: &str) -> String {
        format!("{a} / NULLIF({b}, 0)")
    }

    fn like(&self, a: &str, pattern: &str, escape: Option<&str>, negated: bool) -> String {
        let not = if negated { "NOT " } else { "" };
        let esc = escape.map(|e| format!(" ESCAPE {e}")).unwrap_or_default();
        format!("{a} {not}ILIKE {pattern}{esc}")
    }

    fn regex_match(&self, a: &str, regex: &str) -> String {
        format!("{a} ~ {}", self.string(regex))
    }

    fn substr(&self, x: &str, start: &str, len: Option<&str>) -> String {
        // SQLite counts a negative start from the end.
        let start = match start.trim().parse::<i64>() {
            Ok(n) if n < 0 => format!("char_length({x}) + 1 - {}", -n),
            _ => start.to_string(),
        };
        match len {
            Some(n) => format!("substr({x}, {start}, {n})"),
            None => format!("substr({x}, {start})"),
        }
    }

    fn instr(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle})")
    }

    fn char_length(&self, x: &str) -> String {
        format!("char_length({x})")
    }

    fn byte_length(&self, x: &str) -> String {
        format!("octet_length({x})")
    }

    fn round(&self, x: &str, digits: &str) -> String {
        format!("round(CAST({x} AS numeric), {digits})")
    }

    fn total(&self, x: &str, distinct: bool) -> String {
        let d = if distinct { "DISTINCT " } else { "" };
        format!("CAST(COALESCE(sum({d}{x}), 0) AS double precision)")
    }

    fn avg(&self, x: &str, distinct: bool) -> String {
        let d = if distinct { "DISTINCT " } else { "" };
        format!("avg({d}{x})")
    }

    fn group_concat(&self, x: &str, sep: &str, distinct: bool, order: &str) -> String {
        let d = if distinct { "DISTINCT " } else { "" };
        format!("string_agg({d}{x}, {sep}{order})")
    }

    fn extreme(&self, max: bool, args: &[String]) -> String {
        let f = if max { "GREATEST" } else { "LEAST" };
        let nulls: Vec<String> = args.iter().map(|a| format!("{a} IS NULL")).collect();
        format!("CASE WHEN {} THEN NULL ELSE {f}({}) END", nulls.join(" OR "), args.join(", "))
    }

    fn cast(&self, x: &str, from: Ty, to: Ty) -> String {
        let number = |x: &str| if from.is_text() { self.text_to_number(x) } else { x.to_string() };
        let x = if from == Ty::Bool { self.bool_as_int(x) } else { x.to_string() };
        match to {
            Ty::Int if from == Ty::Int || from == Ty::Bool => x,
            // SQLite reads the longest integer prefix of a text ('3.5e1' is 3).
            Ty::Int if from.is_text() => format!(
                "CASE WHEN {x} IS NULL THEN NULL ELSE COALESCE(CAST(substring({x} from '^\\s*([-+]?[0-9]+)') AS bigint), 0) END"
            ),
            Ty::Int => format!("CAST(trunc({}) AS bigint)", number(&x)),
            Ty::Real => format!("CAST({} AS double precision)", number(&x)),
            Ty::Decimal => format!("CAST({} AS numeric)", number(&x)),
            Ty::Bytes if from == Ty::Bytes => x,
            Ty::Bytes => format!("convert_to({}, 'UTF8')", self.to_text(&x, from)),
            _ => self.to_text(&x, from),
        }
    }

    fn null_safe_equal(&self, a: &str, b: &str, negated: bool) -> String {
        let not = if negated { "" } else { "NOT " };
        format!("{a} IS {not}DISTINCT FROM {b}")
    }

    fn random(&self) -> String {
        "CAST(floor((random() - 0.5) * 18446744073709551615) AS bigint)".into()
    }

    fn bare_column(&self, sql: &str) -> String {
        format!("(array_agg({sql}))[1]")
    }

    fn lag_lead_default(&self) -> bool {
        true
    }

    fn supports_full_join(&self) -> bool {
        true
    }

    fn trim(&self, func: &str, x: &str, chars: Option<&str>) -> Result<String> {
        let f = match func {
            "trim" => "btrim",
            other => other,
        };
        Ok(match chars {
            Some(c) => format!("{f}({x}, {c})"),
            None => format!("{f}({x}, ' ')"),
        })
    }

    fn no_limit(&self) -> &'static str {
        "ALL"
    }

    fn blob_literal(&self, hex: &str) -> String {
        format!("'\\x{hex}'::bytea")
    }

    fn now(&self) -> String {
        "CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS timestamp)".into()
    }

    fn timestamp_literal(&self, s: &str) -> String {
        format!("TIMESTAMP {}", self.string(s))
    }

    fn text_to_timestamp(&self, x: &str) -> String {
        format!(
            "CASE WHEN {x} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?)?$' THEN CAST({x} AS timestamp) END"
        )
    }

    fn date_to_timestamp(&self, x: &str) -> String {
        format!("CAST({x} AS timestamp)")
    }

    fn epoch_to_timestamp(&self, x: &str) -> String {
        format!("(TIMESTAMP '1970-01-01 00:00:00' + ({x}) * INTERVAL '1 second')")
    }

    fn julian_to_timestamp(&self, x: &str) -> String {
        format!("(TIMESTAMP '1970-01-01 00:00:00' + (({x}) - 2440587.5) * INTERVAL '1 day')")
    }

    fn add_interval(&self, ts: &str, n: &str, unit: &str) -> String {
        format!("({ts} + ({n}) * INTERVAL '1 {unit}')")
    }

    fn start_of(&self, ts: &str, unit: &str) -> String {
        format!("date_trunc('{unit}', {ts})")
    }

    fn weekday(&self, ts: &str, n: u32) -> String {
        format!("({ts} + CAST(({n} - EXTRACT(DOW FROM {ts}) + 7) AS integer) % 7 * INTERVAL '1 day')")
    }

    fn datetime_of(&self, ts: &str) -> String {
        format!("date_trunc('second', {ts})")
    }

    fn date_of(&self, ts: &str) -> String {
        format!("CAST({ts} AS date)")
    }

    fn time_of(&self, ts: &str) -> String {
        format!("CAST(date_trunc('second', {ts}) AS time)")
    }

    fn julianday(&self, ts: &str) -> String {
        format!("(EXTRACT(EPOCH FROM {ts}) / 86400.0 + 2440587.5)")
    }

    fn unixepoch(&self, ts: &str) -> String {
        format!("CAST(floor(EXTRACT(EPOCH FROM {ts})) AS bigint)")
    }

    fn strftime_part(&self, ts: &str, directive: char) -> Option<String> {
        let pattern = match directive {
            'Y' => "YYYY",
            'm' => "MM",
            'd' => "DD",
            'H' => "HH24",
            'M' => "MI",
            'S' => "SS",
            'j' => "DDD",
            'f' => "SS.MS",
            'w' => return Some(format!("CAST(CAST(EXTRACT(DOW FROM {ts}) AS integer) AS text)")),
            's' => return Some(format!("CAST({} AS text)", self.unixepoch(ts))),
            _ => return None,
        };
        Some(format!("to_char({ts}, '{pattern}')"))
    }
}
