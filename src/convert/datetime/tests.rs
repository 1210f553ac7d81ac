//! The datetime rules, table-driven: each text form and epoch unit, each target's
//! range, each refusal and its message, and round trips as property tests.

use super::super::testkit::*;
use super::super::ConvertContext;
use crate::dialect::Dialect::{self, MariaDb, Postgres, Sqlite};
use crate::types::{ColumnType, EpochUnit};
use crate::value::SourceValue::{self, Blob, Integer, Real};
use crate::value::Value;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use proptest::prelude::*;

const TS: ColumnType = ColumnType::Timestamp { tz: false };
const TSTZ: ColumnType = ColumnType::Timestamp { tz: true };
const DATE: ColumnType = ColumnType::Date;
const TIME: ColumnType = ColumnType::Time;

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    dt(s).and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f").unwrap()
}

fn in_unit(dialect: Dialect, epoch_unit: EpochUnit) -> ConvertContext {
    ConvertContext { dialect, epoch_unit }
}

#[test]
fn timestamp_reads_the_iso_and_sqlite_forms_without_offset() {
    let cases: &[(&str, &str)] = &[
        ("2023-05-06", "2023-05-06 00:00:00"),
        ("2023-05-06 07:08", "2023-05-06 07:08:00"),
        ("2023-05-06T07:08", "2023-05-06 07:08:00"),
        ("2023-05-06t07:08:09", "2023-05-06 07:08:09"),
        ("2023-05-06 07:08:09", "2023-05-06 07:08:09"),
        ("2023-05-06 07:08:09.1", "2023-05-06 07:08:09.1"),
        ("2023-05-06 07:08:09.123", "2023-05-06 07:08:09.123"),
        ("2023-05-06 07:08:09.123456", "2023-05-06 07:08:09.123456"),
        ("2023-05-06 07:08:09.123456000", "2023-05-06 07:08:09.123456"),
        ("2023-05-06 23:59:59.999999", "2023-05-06 23:59:59.999999"),
        ("2024-02-29 00:00:00", "2024-02-29 00:00:00"),
        ("2000-02-29 12:00:00", "2000-02-29 12:00:00"),
        ("1000-01-01 00:00:00", "1000-01-01 00:00:00"),
        ("9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999"),
    ];
    for (text, want) in cases {
        for d in ALL_DIALECTS {
            assert_eq!(ok(t(text), &TS, d), Value::Timestamp(dt(want)), "{text} on {d:?}");
            // Without an offset, a timestamptz column takes the wall time as UTC.
            assert_eq!(ok(t(text), &TSTZ, d), Value::TimestampTz(utc(want)), "{text} on {d:?}");
        }
    }
}

#[test]
fn timestamps_with_an_offset_become_utc_in_timestamptz_columns() {
    let cases: &[(&str, &str)] = &[
        ("2023-05-06 07:08:09Z", "2023-05-06 07:08:09"),
        ("2023-05-06T07:08:09z", "2023-05-06 07:08:09"),
        ("2023-05-06T07:08Z", "2023-05-06 07:08:00"),
        ("2023-05-06T07:08:09+02:00", "2023-05-06 05:08:09"),
        ("2023-05-06T07:08:09.5+0200", "2023-05-06 05:08:09.5"),
        ("2023-05-06T07:08:09+02", "2023-05-06 05:08:09"),
        ("2023-05-06T07:08:09-05:30", "2023-05-06 12:38:09"),
        ("2023-05-06T07:08:09-00:00", "2023-05-06 07:08:09"),
        ("2023-05-06 07:08:09 +0100", "2023-05-06 06:08:09"),
        ("2023-05-06 07:08:09 Z", "2023-05-06 07:08:09"),
        ("2023-05-06 01:00:00+03:00", "2023-05-05 22:00:00"),
        ("2023-12-31 23:30:00-01:00", "2024-01-01 00:30:00"),
        ("2023-05-06 07:08:09+23:59", "2023-05-05 07:09:09"),
    ];
    for (text, want) in cases {
        for d in ALL_DIALECTS {
            assert_eq!(ok(t(text), &TSTZ, d), Value::TimestampTz(utc(want)), "{text} on {d:?}");
            rejects(t(text), &TS, d, "offset_in_naive_timestamp");
        }
    }
    let msg = err(t("2023-05-06 07:08:09+02:00"), &TS, Postgres).to_string();
    assert!(msg.contains("timestamptz in cutover.toml"), "{msg}");
}

#[test]
fn timestamp_refuses_malformed_and_impossible_texts() {
    let malformed = [
        "",
        "2023",
        "2023-5-6",
        "23-05-06",
        "2023/05/06",
        "20230506",
        "2023-05-06 ",
        " 2023-05-06",
        "2023-05-06_07:08",
        "2023-05-06  07:08",
        "2023-05-06 7:08",
        "2023-05-06 07",
        "2023-05-06 07:08:9",
        "2023-05-06 07:08:09.",
        "2023-05-06 07:08:09.1234567890",
        "2023-05-06 07:08.5",
        "2023-05-06 07:08:09,5",
        "2023-05-06 07:08:09+2",
        "2023-05-06 07:08:09+02:0",
        "2023-05-06 07:08:09+020",
        "2023-05-06 07:08:09 ",
        "2023-05-06 07:08:09  +02:00",
        "2023-05-06 07:08:09 UTC",
        "2023-05-06 07:08:09Z+01:00",
        "2023-05-06Z",
        "+2023-05-06",
        "-0001-01-01",
        "12023-05-06",
        "2023-05-06 07:08:09 PM",
        "٢٠٢٣-05-06",
    ];
    for text in malformed {
        for d in ALL_DIALECTS {
            rejects(t(text), &TSTZ, d, "bad_datetime");
        }
    }
    let impossible = [
        "2023-02-29",
        "2023-02-30 10:00",
        "2023-13-01",
        "2023-00-10",
        "2023-04-31",
        "2023-01-00",
        "2023-05-06 24:00",
        "2023-05-06 24:00:00",
        "2023-05-06 25:00",
        "2023-05-06 10:60",
        "2023-05-06 23:59:60",
        "2023-05-06 10:00:00+24:00",
        "2023-05-06 10:00:00+01:60",
    ];
    for text in impossible {
        rejects(t(text), &TS, Postgres, "bad_datetime");
    }
    let msg = err(t("2023-02-30"), &TS, MariaDb).to_string();
    assert!(msg.contains("no such calendar date") && msg.contains("YYYY-MM-DD"), "{msg}");
    rejects(SourceValue::Text(b"2023-05-06 10:00\xff"), &TS, MariaDb, "bad_datetime");
}

#[test]
fn digits_below_the_microsecond_are_refused_not_truncated() {
    for text in ["2023-05-06 07:08:09.1234567", "2023-05-06 07:08:09.000000001", "2023-05-06 07:08:09.123456789Z"] {
        for d in ALL_DIALECTS {
            rejects(t(text), &TSTZ, d, "sub_microsecond");
        }
    }
    assert_eq!(ok(t("2023-05-06 07:08:09.1234560"), &TS, Sqlite), Value::Timestamp(dt("2023-05-06 07:08:09.123456")));
    rejects(t("10:00:00.0000001"), &TIME, MariaDb, "sub_microsecond");
}

#[test]
fn timestamp_ranges_follow_the_dialect() {
    rejects(t("0999-12-31 23:59:59.999999"), &TS, MariaDb, "out_of_range");
    assert_eq!(ok(t("0999-12-31 23:59:59"), &TS, Postgres), Value::Timestamp(dt("0999-12-31 23:59:59")));
    assert_eq!(ok(t("0000-01-01 00:00:00"), &TS, Sqlite), Value::Timestamp(dt("0000-01-01 00:00:00")));
    assert_eq!(ok(t("0000-01-01"), &TS, Postgres), Value::Timestamp(dt("0000-01-01 00:00:00")));
    rejects(t("0000-01-01"), &TS, MariaDb, "out_of_range");
    // Conversion to UTC can leave the range.
    let late = "9999-12-31 23:00:00-05:00";
    rejects(t(late), &TSTZ, MariaDb, "out_of_range");
    rejects(t(late), &TSTZ, Sqlite, "out_of_range");
    assert_eq!(ok(t(late), &TSTZ, Postgres), Value::TimestampTz(utc("+10000-01-01 04:00:00")));
    rejects(t("1000-01-01 00:30:00+01:00"), &TSTZ, MariaDb, "out_of_range");
    rejects(t("0000-01-01 00:30:00+01:00"), &TSTZ, Sqlite, "out_of_range");
    let msg = err(t(late), &TSTZ, MariaDb).to_string();
    assert!(msg.contains("in UTC it is +10000-01-01 04:00:00") && msg.contains("MariaDB DATETIME holds"), "{msg}");
}

#[test]
fn epoch_integers_are_read_in_the_configured_unit() {
    let cases: &[(i64, EpochUnit, &str)] = &[
        (0, EpochUnit::S, "1970-01-01 00:00:00"),
        (1_700_000_000, EpochUnit::S, "2023-11-14 22:13:20"),
        (-1, EpochUnit::S, "1969-12-31 23:59:59"),
        (1_700_000_000_123, EpochUnit::Ms, "2023-11-14 22:13:20.123"),
        (-1, EpochUnit::Ms, "1969-12-31 23:59:59.999"),
        (1_700_000_000_123_456, EpochUnit::Us, "2023-11-14 22:13:20.123456"),
        (253_402_300_799, EpochUnit::S, "9999-12-31 23:59:59"),
        (-30_610_224_000, EpochUnit::S, "1000-01-01 00:00:00"),
    ];
    for (i, unit, want) in cases {
        for d in ALL_DIALECTS {
            let c = in_unit(d, *unit);
            assert_eq!(crate::convert::convert(Integer(*i), &TS, &c), Ok(Value::Timestamp(dt(want))));
            assert_eq!(crate::convert::convert(Integer(*i), &TSTZ, &c), Ok(Value::TimestampTz(utc(want))));
        }
    }
}

#[test]
fn epoch_integers_outside_the_target_range_are_refused() {
    let past_9999 = in_unit(MariaDb, EpochUnit::S);
    rejects_in(Integer(253_402_300_800), &TS, &past_9999, "out_of_range", "253402300800");
    rejects_in(Integer(-30_610_224_001), &TS, &past_9999, "out_of_range", "-30610224001");
    let msg = err_in(Integer(253_402_300_800), &TS, &past_9999).to_string();
    assert!(msg.contains("as a unix epoch in seconds it is +10000-01-01 00:00:00 UTC"), "{msg}");
    // Milliseconds read as seconds land far in the future: a hint at the unit.
    rejects_in(Integer(1_700_000_000_000), &TS, &past_9999, "out_of_range", "1700000000000");
    assert!(crate::convert::convert(Integer(1_700_000_000_000), &TS, &in_unit(Postgres, EpochUnit::S)).is_ok());
    rejects_in(Integer(1_700_000_000_000), &TS, &in_unit(Sqlite, EpochUnit::S), "out_of_range", "1700000000000");
    for d in ALL_DIALECTS {
        rejects_in(Integer(i64::MAX), &TS, &in_unit(d, EpochUnit::S), "out_of_range", "9223372036854775807");
        rejects_in(Integer(i64::MIN), &TSTZ, &in_unit(d, EpochUnit::Ms), "out_of_range", "-9223372036854775808");
    }
    // 4714-11-24 BC is PostgreSQL's first timestamp.
    let pg = in_unit(Postgres, EpochUnit::S);
    let first = NaiveDate::from_ymd_opt(-4713, 11, 24).unwrap().and_time(NaiveTime::MIN).and_utc().timestamp();
    assert!(crate::convert::convert(Integer(first), &TS, &pg).is_ok());
    rejects_in(Integer(first - 1), &TS, &pg, "out_of_range", &(first - 1).to_string());
    rejects_in(Integer(first - 1), &DATE, &pg, "time_in_date", &(first - 1).to_string());
    rejects_in(Integer(first - 86_400), &DATE, &pg, "out_of_range", &(first - 86_400).to_string());
    // Far future: PostgreSQL holds it, the others do not.
    let far = dt("+200000-01-01 00:00:00.000001");
    let far_us = far.and_utc().timestamp_micros();
    assert_eq!(
        crate::convert::convert(Integer(far_us), &TS, &in_unit(Postgres, EpochUnit::Us)),
        Ok(Value::Timestamp(far))
    );
    for d in [MariaDb, Sqlite] {
        rejects_in(Integer(far_us), &TS, &in_unit(d, EpochUnit::Us), "out_of_range", &far_us.to_string());
    }
    // i64::MAX microseconds is year 294247, within PostgreSQL's range but beyond the
    // ±262143 years that chrono (and so cutover) carries.
    rejects_in(Integer(i64::MAX), &TS, &in_unit(Postgres, EpochUnit::Us), "out_of_range", "9223372036854775807");
}

#[test]
fn reals_and_blobs_are_not_timestamps() {
    for ty in [&TS, &TSTZ, &DATE] {
        for d in ALL_DIALECTS {
            rejects(Real(2460000.5), ty, d, "wrong_storage_class");
            rejects(Real(1_700_000_000.25), ty, d, "wrong_storage_class");
            rejects(Blob(b"2023-05-06"), ty, d, "wrong_storage_class");
        }
    }
    let msg = err(Real(2460000.5), &TS, Postgres).to_string();
    assert!(msg.contains("julian day") && msg.contains("cutover.toml"), "{msg}");
}

#[test]
fn date_reads_dates_and_midnights() {
    let cases: &[(&str, &str)] = &[
        ("2023-05-06", "2023-05-06"),
        ("2024-02-29", "2024-02-29"),
        ("2023-05-06 00:00", "2023-05-06"),
        ("2023-05-06T00:00:00", "2023-05-06"),
        ("2023-05-06 00:00:00.000", "2023-05-06"),
        ("1000-01-01", "1000-01-01"),
        ("9999-12-31", "9999-12-31"),
    ];
    for (text, want) in cases {
        for d in ALL_DIALECTS {
            assert_eq!(ok(t(text), &DATE, d), Value::Date(date(want)), "{text} on {d:?}");
        }
    }
    for (i, unit) in
        [(1_699_920_000, EpochUnit::S), (1_699_920_000_000, EpochUnit::Ms), (1_699_920_000_000_000, EpochUnit::Us)]
    {
        for d in ALL_DIALECTS {
            let got = crate::convert::convert(Integer(i), &DATE, &in_unit(d, unit));
            assert_eq!(got, Ok(Value::Date(date("2023-11-14"))));
        }
    }
}

#[test]
fn date_refuses_what_would_lose_a_time_or_leave_the_range() {
    for text in [
        "2023-05-06 00:00:01",
        "2023-05-06 12:00",
        "2023-05-06 00:00:00.000001",
        "2023-05-06T00:00:00Z",
        "2023-05-06 00:00+02:00",
    ] {
        for d in ALL_DIALECTS {
            rejects(t(text), &DATE, d, "time_in_date");
        }
    }
    let msg = err(t("2023-05-06 12:30"), &DATE, Postgres).to_string();
    assert!(msg.contains("time of day 12:30:00") && msg.contains("timestamp"), "{msg}");
    rejects_in(Integer(1_699_920_001), &DATE, &in_unit(MariaDb, EpochUnit::S), "time_in_date", "1699920001");
    rejects_in(Integer(1_699_920_000_001), &DATE, &in_unit(MariaDb, EpochUnit::Ms), "time_in_date", "1699920000001");
    for text in ["", "2023-02-30", "06/05/2023", "2023-05-06 25:00"] {
        rejects(t(text), &DATE, MariaDb, "bad_datetime");
    }
    rejects(t("0999-12-31"), &DATE, MariaDb, "out_of_range");
    assert_eq!(ok(t("0999-12-31"), &DATE, Postgres), Value::Date(date("0999-12-31")));
    assert_eq!(ok(t("0000-01-01"), &DATE, Sqlite), Value::Date(date("0000-01-01")));
    rejects_in(Integer(253_402_300_800), &DATE, &in_unit(Sqlite, EpochUnit::S), "out_of_range", "253402300800");
    let msg = err(t("0999-12-31"), &DATE, MariaDb).to_string();
    assert!(msg.contains("MariaDB DATE holds 1000-01-01 to 9999-12-31"), "{msg}");
}

#[test]
fn time_reads_clock_times_only() {
    let cases: &[(&str, &str)] = &[
        ("00:00", "00:00:00"),
        ("07:08", "07:08:00"),
        ("07:08:09", "07:08:09"),
        ("07:08:09.5", "07:08:09.5"),
        ("07:08:09.123456", "07:08:09.123456"),
        ("07:08:09.123456000", "07:08:09.123456"),
        ("23:59:59.999999", "23:59:59.999999"),
    ];
    for (text, want) in cases {
        for d in ALL_DIALECTS {
            assert_eq!(ok(t(text), &TIME, d), Value::Time(time(want)), "{text} on {d:?}");
        }
    }
    for text in [
        "",
        "7:08",
        "07:8",
        "0708",
        "07",
        "07:08:",
        "07:08:09.",
        "07:08:09.1234567890",
        "07:08 ",
        " 07:08",
        "24:00",
        "24:00:00",
        "23:60",
        "23:59:60",
        "07:08:09Z",
        "07:08:09+02:00",
        "2023-05-06 07:08:09",
        "07h08",
    ] {
        rejects(t(text), &TIME, Postgres, "bad_datetime");
    }
    for v in [Integer(3600), Real(0.5), Blob(b"07:08")] {
        rejects(v, &TIME, MariaDb, "wrong_storage_class");
    }
}

/// Any moment of years 1001..=9998 with whole microseconds (away from the MariaDB
/// limits, so that an offset cannot push it out of range).
fn moment() -> impl Strategy<Value = NaiveDateTime> {
    let start = NaiveDate::from_ymd_opt(1001, 1, 1).unwrap().and_time(NaiveTime::MIN);
    let end = NaiveDate::from_ymd_opt(9999, 1, 1).unwrap().and_time(NaiveTime::MIN);
    let span = (end - start).num_microseconds().unwrap();
    (0..span).prop_map(move |us| start + Duration::microseconds(us))
}

/// Every text form cutover reads for `m`, without offset.
fn forms(m: NaiveDateTime) -> Vec<String> {
    let mut out = Vec::new();
    for sep in [" ", "T", "t"] {
        out.push(m.format(&format!("%Y-%m-%d{sep}%H:%M:%S%.6f")).to_string());
        out.push(m.format(&format!("%Y-%m-%d{sep}%H:%M:%S%.9f")).to_string());
        out.push(m.format(&format!("%Y-%m-%d{sep}%H:%M:%S%.f")).to_string());
        // The shortest fraction, 1 to 6 digits.
        let micros = format!("{:06}", m.nanosecond() / 1000);
        let trimmed = micros.trim_end_matches('0');
        if !trimmed.is_empty() {
            out.push(format!("{}.{trimmed}", m.format(&format!("%Y-%m-%d{sep}%H:%M:%S"))));
        }
        if m.nanosecond() == 0 {
            out.push(m.format(&format!("%Y-%m-%d{sep}%H:%M:%S")).to_string());
            if m.second() == 0 {
                out.push(m.format(&format!("%Y-%m-%d{sep}%H:%M")).to_string());
            }
        }
    }
    if m.time() == NaiveTime::MIN {
        out.push(m.format("%Y-%m-%d").to_string());
    }
    out
}

proptest! {
    #[test]
    fn any_moment_in_each_text_form_reads_back_as_itself(m in moment(), whole in any::<bool>()) {
        // Half the cases on whole seconds, so the shorter forms are exercised too.
        let m = if whole { m.with_nanosecond(0).unwrap() } else { m };
        for text in forms(m) {
            for d in ALL_DIALECTS {
                prop_assert_eq!(ok(t(&text), &TS, d), Value::Timestamp(m), "{}", &text);
                prop_assert_eq!(ok(t(&text), &TSTZ, d), Value::TimestampTz(m.and_utc()), "{}", &text);
            }
        }
    }

    #[test]
    fn any_moment_with_an_offset_reads_as_the_same_instant_in_utc(
        m in moment(),
        minutes in -(23 * 60 + 59)..=(23 * 60 + 59i32),
    ) {
        let sign = if minutes < 0 { '-' } else { '+' };
        let (h, mi) = (minutes.abs() / 60, minutes.abs() % 60);
        let mut suffixes = vec![format!("{sign}{h:02}:{mi:02}"), format!("{sign}{h:02}{mi:02}"), format!(" {sign}{h:02}:{mi:02}")];
        if mi == 0 {
            suffixes.push(format!("{sign}{h:02}"));
        }
        if minutes == 0 {
            suffixes.extend(["Z".to_string(), "z".to_string()]);
        }
        let want = m - Duration::minutes(i64::from(minutes));
        for base in forms(m) {
            for suffix in &suffixes {
                let text = format!("{base}{suffix}");
                if base.len() == 10 {
                    continue; // a date alone takes no offset
                }
                for d in ALL_DIALECTS {
                    prop_assert_eq!(ok(t(&text), &TSTZ, d), Value::TimestampTz(want.and_utc()), "{}", &text);
                }
            }
        }
    }

    #[test]
    fn epoch_integers_round_trip_in_each_unit(m in moment()) {
        let u = m.and_utc();
        let by_unit = [
            (EpochUnit::S, u.timestamp(), m.with_nanosecond(0).unwrap()),
            (EpochUnit::Ms, u.timestamp_millis(), m.with_nanosecond(m.nanosecond() / 1_000_000 * 1_000_000).unwrap()),
            (EpochUnit::Us, u.timestamp_micros(), m),
        ];
        for (unit, i, want) in by_unit {
            for d in ALL_DIALECTS {
                let got = crate::convert::convert(Integer(i), &TS, &in_unit(d, unit));
                prop_assert_eq!(got, Ok(Value::Timestamp(want)));
            }
        }
    }

    #[test]
    fn any_time_of_day_reads_back_as_itself(us in 0i64..86_400_000_000) {
        let time = NaiveTime::MIN + Duration::microseconds(us);
        for text in [time.format("%H:%M:%S%.6f").to_string(), time.format("%H:%M:%S%.f").to_string()] {
            prop_assert_eq!(ok(t(&text), &TIME, Postgres), Value::Time(time), "{}", &text);
        }
    }
}

#[test]
fn a_time_after_the_rails_date_is_its_time_of_day_and_no_other_date_is() {
    let ty = ColumnType::Time;
    assert_eq!(ok(t("2000-01-01 09:30:00"), &ty, Dialect::Postgres), Value::Time(time("09:30:00")));
    assert_eq!(ok(t("2000-01-01 17:45:30.25"), &ty, Dialect::MariaDb), Value::Time(time("17:45:30.25")));
    rejects(t("2000-01-02 09:30:00"), &ty, Dialect::Postgres, "bad_datetime");
    rejects(t("1970-01-01 09:30:00"), &ty, Dialect::Postgres, "bad_datetime");
}
