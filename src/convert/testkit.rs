//! Helpers shared by the conversion tests: run a conversion, and check a refusal's kind
//! and that its message shows the offending value.

use crate::dialect::Dialect;
use crate::types::{ColumnType, EpochUnit};
use crate::value::{SourceValue, Value};

use super::{convert, ConvertContext, ConvertError};

pub(crate) const ALL_DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::MariaDb, Dialect::Sqlite];

pub(crate) fn ctx(dialect: Dialect) -> ConvertContext {
    ConvertContext { dialect, epoch_unit: EpochUnit::S }
}

pub(crate) fn t(s: &str) -> SourceValue<'_> {
    SourceValue::Text(s.as_bytes())
}

pub(crate) fn ok(v: SourceValue<'_>, ty: &ColumnType, d: Dialect) -> Value {
    match convert(v, ty, &ctx(d)) {
        Ok(value) => value,
        Err(e) => panic!("{v:?} into {ty} on {d:?} should convert, but: {e}"),
    }
}

pub(crate) fn err(v: SourceValue<'_>, ty: &ColumnType, d: Dialect) -> ConvertError {
    err_in(v, ty, &ctx(d))
}

pub(crate) fn err_in(v: SourceValue<'_>, ty: &ColumnType, c: &ConvertContext) -> ConvertError {
    match convert(v, ty, c) {
        Ok(value) => panic!("{v:?} into {ty} on {:?} should be refused, but gave {value:?}", c.dialect),
        Err(e) => e,
    }
}

/// The refusal has `kind`, and its message shows the value as `shown(v)` writes it.
pub(crate) fn rejects(v: SourceValue<'_>, ty: &ColumnType, d: Dialect, kind: &str) {
    rejects_shown(v, ty, d, kind, &shown(v));
}

/// The refusal has `kind`, and its message contains `shown`.
pub(crate) fn rejects_shown(v: SourceValue<'_>, ty: &ColumnType, d: Dialect, kind: &str, shown: &str) {
    rejects_in(v, ty, &ctx(d), kind, shown);
}

pub(crate) fn rejects_in(v: SourceValue<'_>, ty: &ColumnType, c: &ConvertContext, kind: &str, shown: &str) {
    let e = err_in(v, ty, c);
    let msg = e.to_string();
    assert_eq!(e.kind(), kind, "{v:?} into {ty} on {:?}: {msg}", c.dialect);
    assert!(msg.contains(shown), "message for {v:?} should show {shown}: {msg}");
}

/// How a short, plain value should appear in a message, written independently of the
/// module's own rendering; values it does not cover need `rejects_shown`.
pub(crate) fn shown(v: SourceValue<'_>) -> String {
    match v {
        SourceValue::Integer(i) => i.to_string(),
        SourceValue::Real(f) if f.is_nan() => "NaN".into(),
        SourceValue::Real(f) if f == f64::INFINITY => "Inf".into(),
        SourceValue::Real(f) if f == f64::NEG_INFINITY => "-Inf".into(),
        SourceValue::Real(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
        SourceValue::Real(f) if f.abs() < 1e15 && f.abs() > 1e-5 => format!("{f}"),
        SourceValue::Text(b) => match std::str::from_utf8(b) {
            Ok(s) if s.chars().count() <= 60 && !s.chars().any(char::is_control) => {
                format!("'{s}'")
            }
            // Not plain: at least the plain start must be shown, after the opening quote.
            _ if b.len() <= 60 => {
                let valid = b.utf8_chunks().next().map(|c| c.valid()).unwrap_or_default();
                format!("'{}", valid.split(char::is_control).next().unwrap_or_default())
            }
            _ => panic!("give the shown form of a long text with rejects_shown"),
        },
        SourceValue::Blob(b) if b.len() <= 30 => {
            format!("x'{}'", b.iter().map(|x| format!("{x:02X}")).collect::<String>())
        }
        other => panic!("give the shown form of {other:?} with rejects_shown"),
    }
}
