//! Value conversion: the rules that decide what a value SQLite stored becomes in a
//! target column, and why a value is refused.
//!
//! SQLite keeps any value in any column, so the migration decides value by value
//! whether what was stored means exactly one value of the target column's type. This
//! module owns those rules (`convert`), the reasons a value is refused
//! (`ConvertError`, whose `kind()` ids `lint` groups its findings by), and the way an
//! offending value is shown in a message (`shorten`). The rules are strict and exact:
//! nothing is clamped, truncated, rounded beyond the column's declared scale, or
//! guessed. The copy loop, `lint` and `verify` all call in here; nothing else converts
//! values. The caller adds where a value came from (table, column, row key); this
//! module only says why.
//!
//! The rules are split by type family: `number` (boolean, integer, double),
//! `decimal`, `text` (text, JSON, bytes, UUID) and `datetime` (timestamp, date, time);
//! `real` is how a double is written as text, which `text` stores and `error` shows.

#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

mod apptypes;
mod datetime;
mod decimal;
mod error;
mod number;
mod real;
mod text;

#[cfg(test)]
mod testkit;

use crate::forms::NetKind;
pub use apptypes::check_labels;
pub(crate) use error::show;
pub use error::{shorten, ConvertError};

use crate::dialect::Dialect;
use crate::types::{ColumnType, EpochUnit};
use crate::value::{SourceValue, Value};

/// What a conversion needs to know besides the value and the target type.
#[derive(Debug, Clone, Copy)]
pub struct ConvertContext {
    /// The engine that will store the value; some limits differ (NaN, NUL, date range).
    pub dialect: Dialect,
    /// The unit of integers stored in date/time columns (unix epoch).
    pub epoch_unit: EpochUnit,
}

/// Convert one SQLite value to the typed value that a column of type `ty` must hold.
///
/// NULL converts to `Value::Null` for every type; NOT NULL is checked elsewhere.
pub fn convert(v: SourceValue<'_>, ty: &ColumnType, ctx: &ConvertContext) -> Result<Value, ConvertError> {
    if let SourceValue::Null = v {
        return Ok(Value::Null);
    }
    match ty {
        ColumnType::Boolean => number::to_bool(v, ty),
        ColumnType::Integer { width, unsigned } => number::to_integer(v, *width, *unsigned, ty),
        ColumnType::Double => number::to_double(v, ctx.dialect, ty),
        ColumnType::Decimal { precision, scale } => decimal::to_decimal(v, *precision, *scale, ty),
        ColumnType::Varchar { length } | ColumnType::Char { length } => {
            text::to_text(v, Some(*length), ty, ctx.dialect)
        }
        ColumnType::Text => text::to_text(v, None, ty, ctx.dialect),
        ColumnType::Timestamp { tz } => datetime::to_timestamp(v, *tz, ty, ctx),
        ColumnType::Date => datetime::to_date(v, ty, ctx),
        ColumnType::Time => datetime::to_time(v, ty),
        ColumnType::Json => text::to_json(v, ty, ctx.dialect),
        ColumnType::Bytes => text::to_bytes(v, ty),
        ColumnType::Uuid => text::to_uuid(v),
        ColumnType::Float4 => apptypes::to_float4(v, ctx.dialect, ty),
        ColumnType::Interval => apptypes::to_interval(v, ty),
        ColumnType::Inet => apptypes::to_inet(v, NetKind::Inet, ty),
        ColumnType::Cidr => apptypes::to_inet(v, NetKind::Cidr, ty),
        ColumnType::Inet4 => apptypes::to_inet(v, NetKind::V4, ty),
        ColumnType::Inet6 => apptypes::to_inet(v, NetKind::V6, ty),
        ColumnType::Macaddr => apptypes::to_macaddr(v, ty),
        ColumnType::TimeTz => apptypes::to_timetz(v, ty),
        // Labels are checked by the job, which knows the column's (`job::ColumnRule`).
        ColumnType::Enum | ColumnType::Set => text::to_text(v, None, ty, ctx.dialect),
        ColumnType::Year => apptypes::to_year(v, ty),
        ColumnType::Bit => number::to_bool(v, ty),
        ColumnType::Array { element } => apptypes::to_array(v, *element, ty, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;

    const ALL_TYPES: [&str; 19] = crate::types::NEUTRAL_SPELLINGS;

    #[test]
    fn null_converts_to_null_for_every_type_and_dialect() {
        for name in ALL_TYPES {
            let ty: ColumnType = name.parse().unwrap();
            for d in ALL_DIALECTS {
                assert_eq!(ok(SourceValue::Null, &ty, d), Value::Null, "{name} on {d:?}");
            }
        }
    }

    #[test]
    fn every_kind_is_listed_once_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for k in ConvertError::KINDS {
            assert!(seen.insert(*k), "{k} listed twice");
            assert!(k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{k}");
        }
    }

    #[test]
    fn the_kind_of_every_error_seen_in_the_tests_is_listed() {
        // One sample per kind; each must report a kind from KINDS, and all kinds are covered.
        let samples = [
            (t("2"), "boolean"),
            (t("1.5"), "integer"),
            (t("abc"), "double"),
            (SourceValue::Integer(300), "tinyint"),
            (SourceValue::Real(f64::NAN), "integer"),
            (SourceValue::Integer(i64::MAX), "double"),
            (t("1000"), "decimal(3,0)"),
            (SourceValue::Text(b"caf\xe9"), "text"),
            (t("a\0b"), "text"),
            (t("abcd"), "char(3)"),
            (t("2023-02-30"), "timestamp"),
            (t("12:00:00.1234567"), "time"),
            (t("2023-01-01T10:00:00Z"), "timestamp"),
            (t("2023-01-01 10:00"), "date"),
            (t("{"), "json"),
            (t(r#""\u0000""#), "json"),
            (t("xyz"), "uuid"),
            (SourceValue::Integer(1), "bytes"),
        ];
        // Types that only an existing target's catalog gives (no neutral spelling to parse).
        let catalog_only = [(t("0.123456789"), ColumnType::Float4), (t("soon"), ColumnType::Interval)];
        let mut kinds = std::collections::HashSet::new();
        let parsed = samples.into_iter().map(|(v, name)| (v, name.parse::<ColumnType>().unwrap()));
        for (v, ty) in parsed.chain(catalog_only) {
            let name = ty.to_string();
            let name = name.as_str();
            let e = convert(v, &ty, &ctx(Dialect::Postgres)).expect_err(name);
            assert!(ConvertError::KINDS.contains(&e.kind()), "{}", e.kind());
            kinds.insert(e.kind());
        }
        assert_eq!(kinds.len(), ConvertError::KINDS.len(), "a kind has no sample: {kinds:?}");
    }
}
