//! Why a value does not convert, and how the offending value is shown in the message.
//!
//! Every variant says *why*; the caller adds *where* (table, column, row key). Values
//! are shown the way SQL writes literals, so the storage class is visible: `42` and
//! `1.5` are numbers, `'text'` is text (control characters escaped, bytes that are not
//! UTF-8 as `\xNN`), `x'00FF'` is a BLOB. Long values are cut to 60 characters with an
//! ellipsis and their full length.

use std::fmt::Write as _;

use crate::types::ColumnType;
use crate::value::SourceValue;

use super::real::real_text;

/// How many characters (or BLOB bytes, as hex pairs) of an offending value a message shows.
pub(crate) const SHOWN_CHARS: usize = 60;
const SHOWN_BYTES: usize = SHOWN_CHARS / 2;

/// Why a source value cannot become a value of the target column's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The storage class cannot mean a value of the target type at all.
    #[error("{value} is stored as {class}, which a column of type {target} cannot hold{hint}")]
    WrongStorageClass { value: String, class: &'static str, target: String, hint: &'static str },

    #[error(
        "{value} is not a boolean: cutover reads 0 and 1 (integer or real) and the texts \
         0/1, true/false, t/f, yes/no in any case, without spaces; fix the data or override \
         the column type in cutover.toml"
    )]
    NotABoolean { value: String },

    #[error("{value} is not an integer: {reason}")]
    NotAnInteger { value: String, reason: &'static str },

    #[error(
        "{value} is not a number that a {target} column reads: write digits with an optional \
         sign, decimal point and exponent, without spaces (inf and nan are not numbers here)"
    )]
    NotANumber { value: String, target: String },

    #[error("{value} is out of range for {target}: {reason}")]
    OutOfRange { value: String, target: String, reason: String },

    #[error(
        "{value} is not a finite number, and {target} cannot store NaN or infinity; set it to NULL or fix the data"
    )]
    NotFinite { value: String, target: String },

    #[error(
        "{value} cannot be stored exactly in a double (it needs more than 53 significant \
         bits) and would change; override the column type to bigint or decimal in cutover.toml"
    )]
    InexactFloat { value: String },

    #[error(
        "{value} does not fit {target}: rounded to {scale} decimal place(s) it has {integer_digits} \
         integer digit(s), the column holds {allowed} (largest value {max}); widen the column in \
         cutover.toml or fix the data"
    )]
    DecimalOverflow { value: String, target: String, scale: u32, integer_digits: u64, allowed: u32, max: String },

    #[error(
        "{value} is not valid UTF-8: {bytes} at byte offset {offset}; fix the encoding in the \
         source, or override the column type to bytes in cutover.toml to copy the bytes unchanged"
    )]
    InvalidUtf8 { value: String, offset: usize, bytes: String },

    #[error(
        "{value} contains a NUL character (character {offset}, counting from 0), which PostgreSQL \
         cannot store in text; remove it from the data, or override the column type to bytes in \
         cutover.toml"
    )]
    NulInText { value: String, offset: usize },

    #[error("{value} is {chars} characters long but {target} holds at most {max}; widen the column in cutover.toml or shorten the data")]
    TooLong { value: String, chars: usize, target: String, max: u32 },

    #[error("{value} is not a valid {target}: {reason}; cutover reads {forms}")]
    BadDatetime { value: String, target: &'static str, reason: String, forms: &'static str },

    #[error(
        "{value} has digits below the microsecond; the target stores microseconds and cutover \
         never truncates, so fix the data (or override the column type to text in cutover.toml)"
    )]
    SubMicrosecond { value: String },

    #[error(
        "{value} carries a UTC offset, but the column is a timestamp without time zone; override \
         the column type to timestamptz in cutover.toml (values are then stored in UTC)"
    )]
    OffsetInNaiveTimestamp { value: String },

    #[error("{value} would lose its {detail} in a date column; override the column type to timestamp in cutover.toml, or fix the data")]
    TimeInDate { value: String, detail: String },

    #[error("{value} is not valid JSON ({reason}); fix the data, or override the column type to text in cutover.toml")]
    InvalidJson { value: String, reason: String },

    #[error(
        "{value} contains the escape \\u0000, which PostgreSQL jsonb cannot store; remove it from \
         the data, or override the column type to text in cutover.toml"
    )]
    NulInJson { value: String },

    #[error(
        "{value} is not a UUID: {reason}; cutover reads 8-4-4-4-12 hex digits (any case, optionally \
         in braces), 32 hex digits, or a 16-byte BLOB"
    )]
    BadUuid { value: String, reason: &'static str },

    #[error("{value} would become {became} in a {target} column: {hint}")]
    NotExact { value: String, target: String, became: String, hint: &'static str },

    #[error("{value} is not a valid {target}: {reason}; cutover reads {forms}")]
    BadValue { value: String, target: String, reason: String, forms: &'static str },
}

impl ConvertError {
    /// Every `kind()` id, in the order of the variants; the reference docs list them.
    pub const KINDS: &'static [&'static str] = &[
        "wrong_storage_class",
        "not_a_boolean",
        "not_an_integer",
        "not_a_number",
        "out_of_range",
        "not_finite",
        "inexact_float",
        "decimal_overflow",
        "invalid_utf8",
        "nul_in_text",
        "too_long",
        "bad_datetime",
        "sub_microsecond",
        "offset_in_naive_timestamp",
        "time_in_date",
        "invalid_json",
        "nul_in_json",
        "bad_uuid",
        "not_exact",
        "bad_value",
    ];

    /// A stable snake_case id of the reason, which `lint` groups its findings by.
    pub fn kind(&self) -> &'static str {
        match self {
            ConvertError::WrongStorageClass { .. } => "wrong_storage_class",
            ConvertError::NotABoolean { .. } => "not_a_boolean",
            ConvertError::NotAnInteger { .. } => "not_an_integer",
            ConvertError::NotANumber { .. } => "not_a_number",
            ConvertError::OutOfRange { .. } => "out_of_range",
            ConvertError::NotFinite { .. } => "not_finite",
            ConvertError::InexactFloat { .. } => "inexact_float",
            ConvertError::DecimalOverflow { .. } => "decimal_overflow",
            ConvertError::InvalidUtf8 { .. } => "invalid_utf8",
            ConvertError::NulInText { .. } => "nul_in_text",
            ConvertError::TooLong { .. } => "too_long",
            ConvertError::BadDatetime { .. } => "bad_datetime",
            ConvertError::SubMicrosecond { .. } => "sub_microsecond",
            ConvertError::OffsetInNaiveTimestamp { .. } => "offset_in_naive_timestamp",
            ConvertError::TimeInDate { .. } => "time_in_date",
            ConvertError::InvalidJson { .. } => "invalid_json",
            ConvertError::NulInJson { .. } => "nul_in_json",
            ConvertError::BadUuid { .. } => "bad_uuid",
            ConvertError::NotExact { .. } => "not_exact",
            ConvertError::BadValue { .. } => "bad_value",
        }
    }
}

/// `s` itself when it has at most `max_chars` characters; otherwise its first
/// `max_chars` characters, an ellipsis and the full length: `abc… (1234 chars)`.
///
/// Counts Unicode scalar values, so a cut never splits a character. Nothing is escaped.
pub fn shorten(s: &str, max_chars: usize) -> String {
    let mut head = Head::new(max_chars);
    s.chars().for_each(|c| head.push(|out| out.push(c)));
    match head.total_if_cut() {
        None => head.text,
        Some(total) => format!("{}… ({total} chars)", head.text),
    }
}

/// The storage class of `v` cannot mean a value of `ty`; `hint` (or, when empty, the
/// usual advice) is appended as is.
pub(crate) fn wrong_class(v: SourceValue<'_>, ty: &ColumnType, hint: &'static str) -> ConvertError {
    let class = match v {
        SourceValue::Null => "NULL",
        SourceValue::Integer(_) => "INTEGER",
        SourceValue::Real(_) => "REAL",
        SourceValue::Text(_) => "TEXT",
        SourceValue::Blob(_) => "BLOB",
    };
    let hint = if hint.is_empty() { "; fix the data, or override the column type in cutover.toml" } else { hint };
    ConvertError::WrongStorageClass { value: show(v), class, target: ty.to_string(), hint }
}

/// How a source value appears in a message: as an SQL literal, cut to `SHOWN_CHARS`.
pub(crate) fn show(v: SourceValue<'_>) -> String {
    match v {
        SourceValue::Null => "NULL".to_string(),
        SourceValue::Integer(i) => i.to_string(),
        SourceValue::Real(f) => show_real(f),
        SourceValue::Text(bytes) => show_text(bytes),
        SourceValue::Blob(bytes) => show_blob(bytes),
    }
}

/// SQLite's spelling of the non-finite doubles, `real_text` for the others.
pub(crate) fn show_real(f: f64) -> String {
    match real_text(f) {
        Some(text) => text,
        None if f.is_nan() => "NaN".to_string(),
        None if f > 0.0 => "Inf".to_string(),
        None => "-Inf".to_string(),
    }
}

/// `'text'`, control characters escaped (`\0`, `\n`, `\u{1b}`), invalid UTF-8 as `\xNN`.
fn show_text(bytes: &[u8]) -> String {
    let mut head = Head::new(SHOWN_CHARS);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            head.push(|out| push_escaped(out, c));
        }
        for b in chunk.invalid() {
            head.push(|out| push_hex_escape(out, *b));
        }
    }
    match head.total_if_cut() {
        None => format!("'{}'", head.text),
        Some(total) => format!("'{}…' ({total} chars)", head.text),
    }
}

/// `x'00FF'`, like an SQL BLOB literal.
fn show_blob(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(2 * SHOWN_BYTES);
    for b in bytes.iter().take(SHOWN_BYTES) {
        let _ = write!(hex, "{b:02X}");
    }
    if bytes.len() <= SHOWN_BYTES {
        format!("x'{hex}'")
    } else {
        format!("x'{hex}…' ({} bytes)", bytes.len())
    }
}

/// Bytes as `\xC3\x28`, as the UTF-8 messages show the bytes that are not UTF-8.
pub(crate) fn hex_escapes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(4 * bytes.len());
    bytes.iter().for_each(|b| push_hex_escape(&mut out, *b));
    out
}

fn push_hex_escape(out: &mut String, b: u8) {
    let _ = write!(out, "\\x{b:02X}");
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() {
        out.extend(c.escape_debug());
    } else {
        out.push(c);
    }
}

/// The first `max` units of a value (a unit is a character, or a byte that is not
/// UTF-8), and how many units the whole value has.
struct Head {
    text: String,
    max: usize,
    units: usize,
}

impl Head {
    fn new(max: usize) -> Self {
        Head { text: String::new(), max, units: 0 }
    }

    fn push(&mut self, write: impl FnOnce(&mut String)) {
        if self.units < self.max {
            write(&mut self.text);
        }
        self.units += 1;
    }

    fn total_if_cut(&self) -> Option<usize> {
        (self.units > self.max).then_some(self.units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_strings_and_cuts_long_ones_on_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("", 0), "");
        assert_eq!(shorten("abcd", 3), "abc… (4 chars)");
        assert_eq!(shorten("ééééé", 2), "éé… (5 chars)");
        let long = "x".repeat(100);
        assert_eq!(shorten(&long, 60), format!("{}… (100 chars)", "x".repeat(60)));
    }

    #[test]
    fn values_are_shown_as_sql_literals() {
        let cases: [(SourceValue<'_>, &str); 12] = [
            (SourceValue::Null, "NULL"),
            (SourceValue::Integer(-42), "-42"),
            (SourceValue::Real(1.5), "1.5"),
            (SourceValue::Real(3.0), "3.0"),
            (SourceValue::Real(1e300), "1e+300"),
            (SourceValue::Real(f64::NAN), "NaN"),
            (SourceValue::Real(f64::NEG_INFINITY), "-Inf"),
            (SourceValue::Text(b"it's"), "'it's'"),
            (SourceValue::Text(b"a\0b\n\x1b"), r"'a\0b\n\u{1b}'"),
            (SourceValue::Text(b"caf\xe9!"), r"'caf\xE9!'"),
            (SourceValue::Blob(b"\x00\xff"), "x'00FF'"),
            (SourceValue::Blob(b""), "x''"),
        ];
        for (v, want) in cases {
            assert_eq!(show(v), want, "{v:?}");
        }
    }

    #[test]
    fn long_values_are_cut_with_their_full_length() {
        let text = "é".repeat(61);
        assert_eq!(show(SourceValue::Text(text.as_bytes())), format!("'{}…' (61 chars)", "é".repeat(60)));
        let blob = [0xABu8; 31];
        assert_eq!(show(SourceValue::Blob(&blob)), format!("x'{}…' (31 bytes)", "AB".repeat(30)));
        let bad = [0xFFu8; 70];
        assert_eq!(show(SourceValue::Text(&bad)), format!("'{}…' (70 chars)", r"\xFF".repeat(60)));
    }
}
