//! The engine-neutral value that cutover carries from the SQLite source to a target.
//!
//! A `SourceValue` is what SQLite stored (one of its five storage classes); a `Value`
//! is what the conversion rules decided the target must hold, with the exact type the
//! target column has. Conversions live in `convert`; this module only owns the shapes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;

/// A value as SQLite stored it, borrowed from the row being read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SourceValue<'a> {
    Null,
    Integer(i64),
    Real(f64),
    /// SQLite TEXT: bytes that should be, but are not guaranteed to be, UTF-8.
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

impl<'a> SourceValue<'a> {
    /// SQLite's name of the storage class, as `typeof()` prints it.
    pub fn storage_class(&self) -> &'static str {
        match self {
            SourceValue::Null => "null",
            SourceValue::Integer(_) => "integer",
            SourceValue::Real(_) => "real",
            SourceValue::Text(_) => "text",
            SourceValue::Blob(_) => "blob",
        }
    }
}

impl<'a> From<rusqlite::types::ValueRef<'a>> for SourceValue<'a> {
    fn from(v: rusqlite::types::ValueRef<'a>) -> Self {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => SourceValue::Null,
            ValueRef::Integer(i) => SourceValue::Integer(i),
            ValueRef::Real(f) => SourceValue::Real(f),
            ValueRef::Text(t) => SourceValue::Text(t),
            ValueRef::Blob(b) => SourceValue::Blob(b),
        }
    }
}

/// A converted value, typed for the target column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Text(String),
    Bytes(Vec<u8>),
    /// A timestamp without time zone (wall-clock time as the application wrote it).
    Timestamp(NaiveDateTime),
    /// A timestamp with time zone, normalised to UTC.
    TimestampTz(DateTime<Utc>),
    Date(NaiveDate),
    Time(NaiveTime),
    /// JSON text that has been validated; kept as written so `json` targets keep it byte for byte.
    Json(String),
    Uuid(u128),
    /// PostgreSQL interval: months, days and microseconds, kept apart as the server does.
    Interval {
        months: i32,
        days: i32,
        micros: i64,
    },
    /// A one-dimensional array of converted elements (PostgreSQL arrays).
    Array(Vec<Value>),
}
