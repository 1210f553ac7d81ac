//! Reading the text forms of a date/time (see the forms in `datetime`): a cursor over
//! the bytes and one function per part (date, time, fraction, offset). It only says
//! what the text is or why it is not one (`Fail`); fitting the result to a column and
//! its engine's range, and the message a user sees, are `datetime`'s.

use chrono::{FixedOffset, NaiveDate, NaiveTime, Offset, Utc};

/// A date/time text, before it is fitted to a column.
pub(super) struct Parsed {
    pub(super) date: NaiveDate,
    pub(super) time: Option<NaiveTime>,
    pub(super) offset: Option<FixedOffset>,
}

/// Why a text is not a date/time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fail {
    Syntax,
    NoSuchDate,
    NoSuchTime,
    BadOffset,
    SubMicrosecond,
}

/// A position in the bytes of a date/time text. Everything it reads is ASCII, so any
/// other byte (including bytes that are not UTF-8) is a syntax error.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.i += 1;
        }
        found
    }

    fn expect(&mut self, c: u8) -> Result<(), Fail> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(Fail::Syntax)
        }
    }

    /// Exactly `n` ASCII digits, as a number.
    fn digits(&mut self, n: usize) -> Result<u32, Fail> {
        let s = self.b.get(self.i..self.i + n).ok_or(Fail::Syntax)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return Err(Fail::Syntax);
        }
        self.i += n;
        Ok(s.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    /// How many ASCII digits follow.
    fn digit_run(&self) -> usize {
        self.b.get(self.i..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count()
    }
}

pub(super) fn parse_datetime(t: &[u8]) -> Result<Parsed, Fail> {
    let mut c = Cursor { b: t, i: 0 };
    let date = parse_date(&mut c)?;
    if c.at_end() {
        return Ok(Parsed { date, time: None, offset: None });
    }
    if !matches!(c.peek(), Some(b' ' | b'T' | b't')) {
        return Err(Fail::Syntax);
    }
    c.i += 1;
    let time = parse_time(&mut c)?;
    let offset = parse_offset(&mut c)?;
    if !c.at_end() {
        return Err(Fail::Syntax);
    }
    Ok(Parsed { date, time: Some(time), offset })
}

/// A time of day and nothing after it (`HH:MM[:SS[.f]]`), for time columns.
pub(super) fn parse_time_of_day(t: &[u8]) -> Result<NaiveTime, Fail> {
    let mut c = Cursor { b: t, i: 0 };
    parse_time(&mut c).and_then(|time| if c.at_end() { Ok(time) } else { Err(Fail::Syntax) })
}

fn parse_date(c: &mut Cursor<'_>) -> Result<NaiveDate, Fail> {
    let year = c.digits(4)?;
    c.expect(b'-')?;
    let month = c.digits(2)?;
    c.expect(b'-')?;
    let day = c.digits(2)?;
    let year = i32::try_from(year).map_err(|_| Fail::Syntax)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(Fail::NoSuchDate)
}

fn parse_time(c: &mut Cursor<'_>) -> Result<NaiveTime, Fail> {
    let hour = c.digits(2)?;
    c.expect(b':')?;
    let minute = c.digits(2)?;
    let (mut second, mut nano) = (0, 0);
    if c.eat(b':') {
        second = c.digits(2)?;
        if c.eat(b'.') {
            nano = parse_fraction(c)?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(Fail::NoSuchTime);
    }
    NaiveTime::from_hms_nano_opt(hour, minute, second, nano).ok_or(Fail::NoSuchTime)
}

/// 1 to 9 digits after the point, as nanoseconds that must be whole microseconds.
fn parse_fraction(c: &mut Cursor<'_>) -> Result<u32, Fail> {
    let n = c.digit_run();
    if !(1..=9).contains(&n) {
        return Err(Fail::Syntax);
    }
    let digits = c.digits(n)?;
    let nano = (n..9).fold(digits, |acc, _| acc * 10);
    if nano % 1000 != 0 {
        return Err(Fail::SubMicrosecond);
    }
    Ok(nano)
}

fn parse_offset(c: &mut Cursor<'_>) -> Result<Option<FixedOffset>, Fail> {
    let spaced = c.eat(b' ');
    let sign = match c.peek() {
        None if !spaced => return Ok(None),
        Some(b'Z' | b'z') => {
            c.i += 1;
            return Ok(Some(Utc.fix()));
        }
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(Fail::Syntax),
    };
    c.i += 1;
    let hours = c.digits(2)?;
    let minutes = if c.eat(b':') || c.digit_run() > 0 { c.digits(2)? } else { 0 };
    if hours > 23 || minutes > 59 {
        return Err(Fail::BadOffset);
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).map_err(|_| Fail::BadOffset)?;
    FixedOffset::east_opt(sign * seconds).map(Some).ok_or(Fail::BadOffset)
}
