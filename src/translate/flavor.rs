//! What differs between the target engines' SQL, one method per construct: the translator
//! decides *what* SQLite means, a flavor says how the engine spells it.

use super::{Result, Ty};

pub trait Flavor: Sync {
    fn name(&self) -> &'static str;

    fn quote(&self, name: &str) -> String;

    fn table_ref(&self, schema: Option<&str>, name: &str) -> String {
        match schema {
            Some(s) => format!("{}.{}", self.quote(s), self.quote(name)),
            None => self.quote(name),
        }
    }

    /// A string literal.
    fn string(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    fn bool_literal(&self, b: bool) -> String {
        if b { "TRUE" } else { "FALSE" }.into()
    }

    /// Whether booleans are their own type (a boolean is not a number, nor a number a condition).
    fn strict_booleans(&self) -> bool;

    /// A boolean where a number is needed (SQLite's 0/1).
    fn bool_as_int(&self, sql: &str) -> String;

    /// A number (or text) where a condition is needed: SQLite's "non-zero is true".
    fn truth(&self, sql: &str) -> String;

    /// `a || b`: NULL when any part is NULL, as in SQLite.
    fn concat(&self, parts: &[String]) -> String;

    /// SQLite's `concat()`: NULL parts count as empty strings.
    fn concat_skipping_nulls(&self, parts: &[String]) -> String;

    /// A value as the text SQLite would show for it.
    fn to_text(&self, sql: &str, ty: Ty) -> String;

    /// Text as a number the way SQLite's arithmetic reads it (its numeric prefix, else 0).
    fn text_to_number(&self, sql: &str) -> String;

    /// Text compared or ordered byte by byte, as SQLite's BINARY collation does.
    fn binary_text(&self, sql: &str) -> String;

    /// One ORDER BY key, NULLs first when ascending as in SQLite.
    fn order_key(&self, sql: &str, ty: Ty, desc: bool) -> String;

    fn int_divide(&self, a: &str, b: &str) -> String;

    fn divide(&self, a: &str, b: &str) -> String;

    /// SQLite's `LIKE`: case-insensitive for ASCII.
    fn like(&self, a: &str, pattern: &str, escape: Option<&str>, negated: bool) -> String;

    /// A case-sensitive regular expression match (GLOB).
    fn regex_match(&self, a: &str, regex: &str) -> String;

    fn substr(&self, x: &str, start: &str, len: Option<&str>) -> String;

    fn instr(&self, haystack: &str, needle: &str) -> String;

    fn char_length(&self, x: &str) -> String;

    fn byte_length(&self, x: &str) -> String;

    /// SQLite's round(): half away from zero.
    fn round(&self, x: &str, digits: &str) -> String;

    /// SQLite's total(): a float sum, 0.0 over no rows.
    fn total(&self, x: &str, distinct: bool) -> String;

    /// avg() as a float.
    fn avg(&self, x: &str, distinct: bool) -> String;

    fn group_concat(&self, x: &str, sep: &str, distinct: bool, order: &str) -> String;

    /// Multi-argument max()/min(): NULL when any argument is NULL.
    fn extreme(&self, max: bool, args: &[String]) -> String;

    /// CAST to SQLite's INTEGER, REAL, TEXT, NUMERIC or BLOB affinity (`to`).
    fn cast(&self, x: &str, from: Ty, to: Ty) -> String;

    /// `a IS b` / `a IS NOT b`.
    fn null_safe_equal(&self, a: &str, b: &str, negated: bool) -> String;

    fn random(&self) -> String;

    /// A column that SQLite reads "bare" in a grouped query (neither grouped nor
    /// aggregated): its value from one row of the group.
    fn bare_column(&self, sql: &str) -> String;

    /// Whether lag()/lead() take a default (third) argument.
    fn lag_lead_default(&self) -> bool;

    fn supports_full_join(&self) -> bool;

    /// `trim(x)`, `ltrim(x)`, `rtrim(x)` with optional characters.
    fn trim(&self, func: &str, x: &str, chars: Option<&str>) -> Result<String>;

    /// `LIMIT -1`: no limit.
    fn no_limit(&self) -> &'static str;

    fn blob_literal(&self, hex: &str) -> String;

    // Dates and times: `ts` is always an expression of the target's timestamp type.

    /// The current UTC time (SQLite's 'now').
    fn now(&self) -> String;

    fn timestamp_literal(&self, s: &str) -> String;

    /// SQLite date text in a TEXT column as a timestamp (NULL when it is not a date).
    fn text_to_timestamp(&self, x: &str) -> String;

    fn date_to_timestamp(&self, x: &str) -> String;

    fn epoch_to_timestamp(&self, x: &str) -> String;

    fn julian_to_timestamp(&self, x: &str) -> String;

    /// `ts` plus `n` (a number's text) `unit`s: day, hour, minute, second, month, year.
    fn add_interval(&self, ts: &str, n: &str, unit: &str) -> String;

    /// 'start of day|month|year'.
    fn start_of(&self, ts: &str, unit: &str) -> String;

    /// 'weekday N': the next day (or today) that is weekday N, 0 = Sunday.
    fn weekday(&self, ts: &str, n: u32) -> String;

    fn datetime_of(&self, ts: &str) -> String;

    fn date_of(&self, ts: &str) -> String;

    fn time_of(&self, ts: &str) -> String;

    fn julianday(&self, ts: &str) -> String;

    fn unixepoch(&self, ts: &str) -> String;

    /// strftime() with one format directive (`Y`, `m`, `d`, `H`, `M`, `S`, `j`, `w`, `s`, `f`).
    fn strftime_part(&self, ts: &str, directive: char) -> Option<String>;
}
