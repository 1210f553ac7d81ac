//! Timestamp, date and time columns: the ISO-8601 / SQLite text forms and unix epoch
//! integers, checked against what each target engine can store.
//!
//! Text forms read: `YYYY-MM-DD`, optionally followed by a separator (' ', 'T' or 't')
//! and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` with 1 to 9 fractional digits, then
//! optionally a UTC offset: `Z`/`z`, `±HH:MM`, `±HHMM` or `±HH`, which may be preceded by
//! one space as SQLite and Ruby write it (`2023-01-01 10:00:00 +0100`). Fractional digits
//! beyond the microsecond must be zeros: the targets store microseconds, and cutover
//! never truncates. Integers are unix epochs in the configured unit. REAL is refused:
//! it could be a julian day or a fractional epoch, and guessing which is not exact.
//!
//! Reading the text is `parse`; this file fits what it read to a column: the epoch unit,
//! each engine's range, and what a refusal says.

mod parse;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::dialect::Dialect;
use crate::types::{ColumnType, EpochUnit};
use crate::value::{SourceValue, Value};

use super::error::{show, wrong_class, ConvertError};
use super::ConvertContext;
use parse::{parse_datetime, parse_time_of_day, Fail};

const TIMESTAMP_FORMS: &str = "YYYY-MM-DD, optionally followed by ' ' or 'T' and HH:MM[:SS[.fraction of 1-9 \
                               digits]] and by Z, ±HH:MM, ±HHMM or ±HH; or a unix epoch integer";
const DATE_FORMS: &str = "YYYY-MM-DD (or a date and time at exactly midnight, without offset); or a unix epoch \
                          integer at midnight UTC";
const TIME_FORMS: &str = "HH:MM[:SS[.fraction of 1-9 digits]], from 00:00 to 23:59:59.999999, also after the date 2000-01-01 (how Rails stores a time on SQLite)";

/// Rails keeps a `time` column on SQLite as a date-time on this date; the date means nothing.
const RAILS_TIME_DATE: &[u8] = b"2000-01-01 ";

const REAL_HINT: &str = "; a REAL here could be a julian day (SQLite's julianday()) or a fractional unix epoch, \
                         and cutover does not guess which: override the column type in cutover.toml, or fix the data";

use crate::target::StoredRange as Range;

fn timestamp_range(dialect: Dialect) -> Range {
    dialect.engine().timestamp_range()
}

fn date_range(dialect: Dialect) -> Range {
    dialect.engine().date_range()
}

pub(super) fn to_timestamp(
    v: SourceValue<'_>,
    tz: bool,
    ty: &ColumnType,
    ctx: &ConvertContext,
) -> Result<Value, ConvertError> {
    let (utc_or_wall, note) = match v {
        SourceValue::Null => return Ok(Value::Null),
        SourceValue::Real(_) => return Err(wrong_class(v, ty, REAL_HINT)),
        SourceValue::Blob(_) => return Err(wrong_class(v, ty, "")),
        SourceValue::Integer(i) => {
            let dt = from_epoch(v, i, ctx.epoch_unit, ty)?;
            (dt, epoch_note(ctx.epoch_unit, dt))
        }
        SourceValue::Text(t) => {
            let p = parse_datetime(t).map_err(|f| fail(f, v, "timestamp", TIMESTAMP_FORMS))?;
            let wall = p.date.and_time(p.time.unwrap_or(NaiveTime::MIN));
            match p.offset {
                None => (wall, String::new()),
                Some(_) if !tz => return Err(ConvertError::OffsetInNaiveTimestamp { value: show(v) }),
                Some(offset) => {
                    // Only beyond chrono's ±262143 years could this fail; 4-digit years cannot.
                    let utc = wall
                        .checked_sub_offset(offset)
                        .ok_or_else(|| out_of_range(v, ty, "in UTC it is beyond any date".into()))?;
                    (utc, format!("in UTC it is {utc}; "))
                }
            }
        }
    };
    check_range(utc_or_wall.date(), &timestamp_range(ctx.dialect), v, ty, &note)?;
    Ok(if tz { Value::TimestampTz(utc_or_wall.and_utc()) } else { Value::Timestamp(utc_or_wall) })
}

pub(super) fn to_date(v: SourceValue<'_>, ty: &ColumnType, ctx: &ConvertContext) -> Result<Value, ConvertError> {
    let would_lose = |detail: String| ConvertError::TimeInDate { value: show(v), detail };
    let (date, note) = match v {
        SourceValue::Null => return Ok(Value::Null),
        SourceValue::Real(_) => return Err(wrong_class(v, ty, REAL_HINT)),
        SourceValue::Blob(_) => return Err(wrong_class(v, ty, "")),
        SourceValue::Integer(i) => {
            let dt = from_epoch(v, i, ctx.epoch_unit, ty)?;
            if dt.time() != NaiveTime::MIN {
                let unit = unit_name(ctx.epoch_unit);
                return Err(would_lose(format!("time of day (as a unix epoch in {unit} it is {dt} UTC)")));
            }
            (dt.date(), epoch_note(ctx.epoch_unit, dt))
        }
        SourceValue::Text(t) => {
            let p = parse_datetime(t).map_err(|f| fail(f, v, "date", DATE_FORMS))?;
            if let Some(offset) = p.offset {
                return Err(would_lose(format!("UTC offset {offset}")));
            }
            match p.time {
                Some(time) if time != NaiveTime::MIN => return Err(would_lose(format!("time of day {time}"))),
                _ => (p.date, String::new()),
            }
        }
    };
    check_range(date, &date_range(ctx.dialect), v, ty, &note)?;
    Ok(Value::Date(date))
}

pub(super) fn to_time(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    match v {
        SourceValue::Null => Ok(Value::Null),
        SourceValue::Text(t) => {
            let clock = t.strip_prefix(RAILS_TIME_DATE).unwrap_or(t);
            parse_time_of_day(clock).map(Value::Time).map_err(|f| fail(f, v, "time", TIME_FORMS))
        }
        SourceValue::Integer(_) | SourceValue::Real(_) | SourceValue::Blob(_) => Err(wrong_class(v, ty, "")),
    }
}

fn from_epoch(v: SourceValue<'_>, i: i64, unit: EpochUnit, ty: &ColumnType) -> Result<NaiveDateTime, ConvertError> {
    let dt = match unit {
        EpochUnit::S => DateTime::<Utc>::from_timestamp(i, 0),
        EpochUnit::Ms => DateTime::<Utc>::from_timestamp_millis(i),
        EpochUnit::Us => DateTime::<Utc>::from_timestamp_micros(i),
    };
    dt.map(|dt| dt.naive_utc()).ok_or_else(|| {
        let unit = unit_name(unit);
        out_of_range(
            v,
            ty,
            format!(
                "as a unix epoch in {unit} it is beyond any date; check epoch_unit in cutover.toml, or fix the data"
            ),
        )
    })
}

fn unit_name(unit: EpochUnit) -> &'static str {
    match unit {
        EpochUnit::S => "seconds",
        EpochUnit::Ms => "milliseconds",
        EpochUnit::Us => "microseconds",
    }
}

fn epoch_note(unit: EpochUnit, dt: NaiveDateTime) -> String {
    format!("as a unix epoch in {} it is {dt} UTC (check epoch_unit in cutover.toml); ", unit_name(unit))
}

fn out_of_range(v: SourceValue<'_>, ty: &ColumnType, reason: String) -> ConvertError {
    ConvertError::OutOfRange { value: show(v), target: ty.to_string(), reason }
}

fn check_range(
    date: NaiveDate,
    range: &Range,
    v: SourceValue<'_>,
    ty: &ColumnType,
    note: &str,
) -> Result<(), ConvertError> {
    let key = (date.year(), date.month(), date.day());
    if range.lo <= key && key <= range.hi {
        Ok(())
    } else {
        Err(out_of_range(v, ty, format!("{note}{}; fix the data", range.says)))
    }
}

fn fail(f: Fail, v: SourceValue<'_>, target: &'static str, forms: &'static str) -> ConvertError {
    let reason = match f {
        Fail::SubMicrosecond => return ConvertError::SubMicrosecond { value: show(v) },
        Fail::Syntax => "it is not in a form cutover reads",
        Fail::NoSuchDate => "there is no such calendar date",
        Fail::NoSuchTime => {
            "there is no such time of day (hours 00-23, minutes and seconds 00-59; 24:00 and leap seconds \
             are not stored)"
        }
        Fail::BadOffset => "its UTC offset is out of range (hours 00-23, minutes 00-59)",
    };
    ConvertError::BadDatetime { value: show(v), target, reason: reason.to_string(), forms }
}
