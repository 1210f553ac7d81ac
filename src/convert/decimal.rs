//! Decimal columns: exact decimal arithmetic on the digits as written.
//!
//! Every source value is first read as an exact decimal of any length (INTEGER as its
//! digits, REAL as the shortest text that reads back as the same double, TEXT as
//! written), then rounded once to the column's scale, half away from zero as
//! PostgreSQL does on input, then checked against the column's precision, and only
//! then put into a `rust_decimal::Decimal`. Parsing with `Decimal::from_str` first
//! would round long fractions to 28 digits before the column's rounding (a double
//! rounding that can change the last digit) and could not tell overflow from syntax.

use rust_decimal::Decimal;

use crate::types::ColumnType;
use crate::value::{SourceValue, Value};

use super::error::{show, wrong_class, ConvertError};

/// Most decimal places a `rust_decimal::Decimal` carries.
const MAX_SCALE: u32 = 28;

/// `digits × 10^exp`, exactly. `digits` are values 0-9 without leading zeros (empty
/// for zero); trailing zeros are kept, because `1.50` keeps its scale of 2.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exact {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

/// A number rounded to its final scale: `digits` followed by `zeros` more zeros, × 10^-scale.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scaled {
    digits: Vec<u8>,
    zeros: u64,
    scale: u32,
}

enum ParseError {
    Syntax,
    /// The exponent does not fit in 64 bits; no column holds such a number.
    HugeExponent,
}

pub(super) fn to_decimal(
    v: SourceValue<'_>,
    precision: Option<u32>,
    scale: Option<u32>,
    ty: &ColumnType,
) -> Result<Value, ConvertError> {
    match fast(v, precision, scale) {
        Some(d) => Ok(Value::Decimal(d)),
        None => general(v, precision, scale, ty),
    }
}

/// Any value, through exact digit strings: the reference the fast path must agree with.
fn general(
    v: SourceValue<'_>,
    precision: Option<u32>,
    scale: Option<u32>,
    ty: &ColumnType,
) -> Result<Value, ConvertError> {
    let parsed = match v {
        SourceValue::Null => return Ok(Value::Null),
        SourceValue::Blob(_) => return Err(wrong_class(v, ty, "")),
        SourceValue::Real(f) if !f.is_finite() => {
            return Err(ConvertError::NotFinite { value: show(v), target: format!("a {ty} column") })
        }
        // Display of a double is its shortest round-trip text, never in exponent form.
        SourceValue::Real(f) => parse(format!("{f}").as_bytes()),
        SourceValue::Integer(i) => parse(i.to_string().as_bytes()),
        SourceValue::Text(t) => parse(t),
    };
    let out_of_range = |reason: String| ConvertError::OutOfRange { value: show(v), target: ty.to_string(), reason };
    let exact = parsed.map_err(|e| match e {
        ParseError::Syntax => ConvertError::NotANumber { value: show(v), target: ty.to_string() },
        ParseError::HugeExponent => out_of_range("its exponent is beyond any decimal column".into()),
    })?;
    // `decimal(p)` is `decimal(p,0)`, as in SQL and in `ColumnType`'s own spelling.
    let scaled = match scale.or(precision.map(|_| 0)) {
        Some(s) => exact.round_to(s),
        None => exact.as_written().ok_or_else(|| {
            out_of_range(format!("it has more than {MAX_SCALE} decimal places, the most cutover carries"))
        })?,
    };
    if let Some(p) = precision {
        check_precision(&scaled, p, v, ty)?;
    }
    scaled.to_decimal(exact.negative).map(Value::Decimal).map_err(out_of_range)
}

/// The common case without the general path's digit strings: an integer, a finite REAL
/// or a plain `[-]digits[.digits]` text of at most 27 digits, rounded (half away from
/// zero) and checked in integer arithmetic. None sends the value down the general path,
/// which gives the same result or says why there is none; a property test holds the two
/// to the same answers.
fn fast(v: SourceValue<'_>, precision: Option<u32>, scale: Option<u32>) -> Option<Decimal> {
    let mut buf = StackText::default();
    let (negative, m, frac) = match v {
        SourceValue::Integer(i) => (i < 0, u128::from(i.unsigned_abs()), 0),
        SourceValue::Real(f) if f.is_finite() => {
            if let Some(d) = scale.or(precision.map(|_| 0)).and_then(|s| real_at_scale(f, s, precision)) {
                return Some(d);
            }
            use std::fmt::Write;
            write!(buf, "{f}").ok()?;
            plain_digits(buf.as_bytes())?
        }
        SourceValue::Text(t) => plain_digits(t)?,
        _ => return None,
    };
    let (m, out_scale) = match scale.or(precision.map(|_| 0)) {
        Some(s) if s >= frac => (m.checked_mul(10u128.checked_pow(s - frac)?)?, s),
        Some(s) => {
            let div = 10u128.checked_pow(frac - s)?;
            let (q, r) = (m / div, m % div);
            (if r * 2 >= div { q + 1 } else { q }, s)
        }
        None => (m, frac),
    };
    if out_scale > MAX_SCALE {
        return None;
    }
    if let Some(p) = precision {
        let digits = if m == 0 { 0 } else { m.ilog10() + 1 };
        if digits > p {
            return None;
        }
    }
    let m = i128::try_from(m).ok()?;
    Decimal::try_from_i128_with_scale(if negative { -m } else { m }, out_scale).ok()
}

/// Powers of ten that a double holds exactly.
const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// A REAL that holds a decimal of at most `s` places, as stored numbers usually do: that
/// decimal at scale `s`, without writing the double's digits out (None: the text path
/// decides). `x = m / 10^s` is that decimal when it reads back as `f`: dividing two exact
/// integers rounds the quotient to the nearest double, as parsing `x` does. Below
/// `2^50 / 10^s` a double's neighbours are less than a quarter of `10^-s` apart, so `x`
/// is the only decimal of `s` places that reads back as `f`, and the shortest text of `f`
/// (within half a step of `f`, as `x` is) rounds to `x` at `s` places: the same answer as
/// the text path, which the property test below holds it to.
fn real_at_scale(f: f64, s: u32, precision: Option<u32>) -> Option<Decimal> {
    let pow = *POW10.get(usize::try_from(s).ok()?)?;
    // `f` is finite (the caller's guard).
    if f.abs() >= (1u64 << 50) as f64 / pow {
        return None;
    }
    let m = (f * pow).round();
    if m / pow != f {
        return None;
    }
    // |m| < 2^50: a whole number that i64 holds exactly.
    #[allow(clippy::cast_possible_truncation)]
    let m = m as i64;
    if precision.is_some_and(|p| m.unsigned_abs().checked_ilog10().map_or(0, |d| d + 1) > p) {
        return None;
    }
    Decimal::try_from_i128_with_scale(i128::from(m), s).ok()
}

/// `[-]D*[.D*]` with at least one digit and at most 27 in all: (negative, digits as an
/// integer, digits after the point).
fn plain_digits(t: &[u8]) -> Option<(bool, u128, u32)> {
    let (negative, rest) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    let mut m: u128 = 0;
    let (mut digits, mut frac, mut point) = (0u32, 0u32, false);
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                m = m * 10 + u128::from(b - b'0');
                digits += 1;
                frac += u32::from(point);
                if digits > 27 {
                    return None;
                }
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    (digits > 0).then_some((negative, m, frac))
}

/// A small text buffer on the stack; writing more than it holds is an error.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The digits of the rounded value must fit the precision: `|value| < 10^(p - s)`.
fn check_precision(scaled: &Scaled, p: u32, v: SourceValue<'_>, ty: &ColumnType) -> Result<(), ConvertError> {
    let digits = scaled.len();
    if digits <= u64::from(p) {
        return Ok(());
    }
    let s = scaled.scale;
    Err(ConvertError::DecimalOverflow {
        value: show(v),
        target: ty.to_string(),
        scale: s,
        integer_digits: digits.saturating_sub(u64::from(s)),
        allowed: p.saturating_sub(s),
        max: largest(p, s),
    })
}

/// The largest value of `decimal(p,s)`: 999.99 for (5,2), 0.0099 for (2,4).
fn largest(p: u32, s: u32) -> String {
    let nines = |n: u32| "9".repeat(usize::try_from(n).unwrap_or(0));
    match (p.checked_sub(s), s) {
        (Some(int_digits), 0) => nines(int_digits),
        (Some(0), _) => format!("0.{}", nines(s)),
        (Some(int_digits), _) => format!("{}.{}", nines(int_digits), nines(s)),
        (None, _) => format!("0.{}{}", "0".repeat(usize::try_from(s - p).unwrap_or(0)), nines(p)),
    }
}

/// `[+-]? (D+ [. D*] | . D+) ([eE] [+-]? D+)?`, the grammar PostgreSQL's numeric reads.
fn parse(text: &[u8]) -> Result<Exact, ParseError> {
    let (negative, unsigned) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int_part, frac_part) = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &[][..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(ParseError::Syntax);
    }
    let exp = match exponent {
        Some(e) => parse_exponent(e)?,
        None => 0,
    };
    let frac_len = i64::try_from(frac_part.len()).map_err(|_| ParseError::HugeExponent)?;
    let exp = exp.checked_sub(frac_len).ok_or(ParseError::HugeExponent)?;
    let digits: Vec<u8> = int_part.iter().chain(frac_part).map(|b| b - b'0').skip_while(|&d| d == 0).collect();
    Ok(Exact { negative, digits, exp })
}

fn parse_exponent(e: &[u8]) -> Result<i64, ParseError> {
    let (negative, digits) = match e.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, e),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Syntax);
    }
    digits.iter().try_fold(0i64, |n, d| {
        let d = i64::from(d - b'0');
        let n = n.checked_mul(10).ok_or(ParseError::HugeExponent)?;
        if negative { n.checked_sub(d) } else { n.checked_add(d) }.ok_or(ParseError::HugeExponent)
    })
}

impl Exact {
    /// Rounded to `scale` decimal places, half away from zero, padded with zeros to
    /// exactly `scale` places.
    fn round_to(&self, scale: u32) -> Scaled {
        // i128: `exp` is any i64 and `scale` any u32, so the difference cannot overflow.
        let shift = i128::from(self.exp) + i128::from(scale);
        if self.digits.is_empty() || shift >= 0 {
            let zeros = if self.digits.is_empty() { 0 } else { u64::try_from(shift).unwrap_or(u64::MAX) };
            return Scaled { digits: self.digits.clone(), zeros, scale };
        }
        let dropped = usize::try_from(-shift).unwrap_or(usize::MAX);
        if dropped > self.digits.len() {
            // Every digit is below half a unit of the last place kept.
            return Scaled { digits: Vec::new(), zeros: 0, scale };
        }
        let (kept, cut) = self.digits.split_at(self.digits.len() - dropped);
        let mut digits = kept.to_vec();
        if cut.first().is_some_and(|&d| d >= 5) {
            increment(&mut digits);
        }
        Scaled { digits, zeros: 0, scale }
    }

    /// As written: the scale is the number of decimals in the text (none for an
    /// exponent that moves the point right). `None` beyond `MAX_SCALE`.
    fn as_written(&self) -> Option<Scaled> {
        let scale = u32::try_from(self.exp.min(0).unsigned_abs()).ok().filter(|&s| s <= MAX_SCALE)?;
        let zeros = if self.digits.is_empty() { 0 } else { self.exp.max(0).unsigned_abs() };
        Some(Scaled { digits: self.digits.clone(), zeros, scale })
    }
}

/// Adds one unit in the last place of a digit string: 1299 -> 1300, 99 -> 100.
fn increment(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

impl Scaled {
    /// Significant digits: the number is below 10^len in units of the last place.
    fn len(&self) -> u64 {
        u64::try_from(self.digits.len()).unwrap_or(u64::MAX).saturating_add(self.zeros)
    }

    fn to_decimal(&self, negative: bool) -> Result<Decimal, String> {
        if self.scale > MAX_SCALE {
            return Err(format!(
                "the column's scale {} is more than the {MAX_SCALE} decimal places cutover carries",
                self.scale
            ));
        }
        let too_many = || {
            format!(
                "it needs {} significant digits; cutover's decimal type carries at most 28 \
                 (up to 79228162514264337593543950335): fix the data, or override the column type \
                 to double or text in cutover.toml",
                self.len()
            )
        };
        let zeros = usize::try_from(self.zeros).map_err(|_| too_many())?;
        let mut mantissa: i128 = 0;
        for d in self.digits.iter().copied().chain(std::iter::repeat_n(0, zeros)) {
            mantissa = mantissa.checked_mul(10).and_then(|m| m.checked_add(i128::from(d))).ok_or_else(too_many)?;
        }
        let signed = if negative { -mantissa } else { mantissa };
        Decimal::try_from_i128_with_scale(signed, self.scale).map_err(|_| too_many())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::dialect::Dialect::{MariaDb, Postgres, Sqlite};
    use crate::types::ColumnType;
    use crate::value::SourceValue::{self, Blob, Integer, Real, Text};
    use crate::value::Value;
    use proptest::prelude::*;
    use rust_decimal::{Decimal, RoundingStrategy};
    use std::str::FromStr;

    fn dec(p: Option<u32>, s: Option<u32>) -> ColumnType {
        ColumnType::Decimal { precision: p, scale: s }
    }

    /// The converted decimal, as text (which shows its scale too).
    fn text_of(v: SourceValue<'_>, ty: &ColumnType) -> String {
        match ok(v, ty, Postgres) {
            Value::Decimal(d) => d.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decimal_reads_integers_texts_and_reals_exactly() {
        let cases: &[(SourceValue<'_>, Option<u32>, Option<u32>, &str)] = &[
            (Integer(12), Some(10), Some(4), "12.0000"),
            (Integer(-12), None, None, "-12"),
            (Integer(i64::MAX), None, None, "9223372036854775807"),
            (Integer(0), Some(3), Some(2), "0.00"),
            (Real(12.3456), None, None, "12.3456"),
            (Real(12.3456), Some(10), Some(4), "12.3456"),
            (Real(0.1 + 0.2), None, None, "0.30000000000000004"),
            (Real(0.1 + 0.2), Some(10), Some(2), "0.30"),
            (Real(1.0), None, None, "1"),
            (Real(-0.0), Some(5), Some(2), "0.00"),
            (Real(1e20), None, None, "100000000000000000000"),
            (Real(1e-20), None, None, "0.00000000000000000001"),
            (t("12.30"), None, None, "12.30"),
            (t("12.30"), Some(5), Some(3), "12.300"),
            (t("+1.5"), None, None, "1.5"),
            (t("-1.5"), None, None, "-1.5"),
            (t("1."), None, None, "1"),
            (t(".5"), None, None, "0.5"),
            (t("007.50"), None, None, "7.50"),
            (t("1e3"), None, None, "1000"),
            (t("1.5E-3"), None, None, "0.0015"),
            (t("-2.5e+2"), Some(5), Some(1), "-250.0"),
            (t("0.000"), None, None, "0.000"),
            (t("1e-28"), None, None, "0.0000000000000000000000000001"),
            (t("0e999999999"), Some(3), Some(1), "0.0"),
            (t("1234567890123456789012345678"), None, None, "1234567890123456789012345678"),
            (t("79228162514264337593543950335"), None, None, "79228162514264337593543950335"),
            (t("1e-999999999999"), Some(10), Some(2), "0.00"),
            (t("12"), Some(2), None, "12"),
        ];
        for (v, p, s, want) in cases {
            assert_eq!(text_of(*v, &dec(*p, *s)), *want, "{v:?} into decimal({p:?},{s:?})");
        }
    }

    #[test]
    fn decimal_rounds_half_away_from_zero_to_the_scale() {
        let cases: &[(&str, u32, &str)] = &[
            ("1.005", 2, "1.01"),
            ("1.004999", 2, "1.00"),
            ("-1.005", 2, "-1.01"),
            ("2.5", 0, "3"),
            ("-2.5", 0, "-3"),
            ("0.5", 0, "1"),
            ("0.49", 0, "0"),
            ("-0.4", 0, "0"),
            ("9.995", 2, "10.00"),
            ("99.5", 0, "100"),
            ("0.004", 2, "0.00"),
            ("0.005", 2, "0.01"),
            ("5e-3", 2, "0.01"),
            ("0.0049999999999999999999999999999995", 2, "0.00"),
            ("123.456e1", 1, "1234.6"),
        ];
        for (text, s, want) in cases {
            assert_eq!(text_of(t(text), &dec(Some(10), Some(*s))), *want, "{text} at scale {s}");
        }
        // A REAL rounds from its shortest text, not from its binary value: 1.005 is
        // 1.00499999999999989... as a double, yet reads as 1.005 and rounds to 1.01.
        assert_eq!(text_of(Real(1.005), &dec(Some(10), Some(2))), "1.01");
    }

    #[test]
    fn decimal_overflow_names_the_column_and_its_largest_value() {
        let cases: &[(SourceValue<'_>, u32, u32, &str)] = &[
            (t("1000"), 3, 0, "999"),
            (t("999.995"), 5, 2, "999.99"),
            (Integer(100_000), 5, 2, "999.99"),
            (Real(12345.6), 6, 2, "9999.99"),
            (t("1"), 2, 2, "0.99"),
            (t("-1e50"), 10, 2, "99999999.99"),
            (t("1e999999999999"), 38, 0, "99999999999999999999999999999999999999"),
            (t("0.01"), 2, 4, "0.0099"),
        ];
        for (v, p, s, max) in cases {
            let ty = dec(Some(*p), Some(*s));
            rejects(*v, &ty, MariaDb, "decimal_overflow");
            let msg = err(*v, &ty, MariaDb).to_string();
            assert!(
                msg.contains(&format!("decimal({p},{s})")) && msg.contains(&format!("largest value {max})")),
                "{msg}"
            );
        }
        let msg = err(t("12345.678"), &dec(Some(5), Some(2)), Postgres).to_string();
        assert!(msg.contains("5 integer digit(s), the column holds 3"), "{msg}");
        // Values that fit exactly at the limit are fine.
        assert_eq!(text_of(t("999.994"), &dec(Some(5), Some(2))), "999.99");
        assert_eq!(text_of(t("-999.99"), &dec(Some(5), Some(2))), "-999.99");
    }

    #[test]
    fn decimal_refuses_what_rust_decimal_cannot_carry() {
        let cases: &[(SourceValue<'_>, Option<u32>, Option<u32>)] = &[
            (t("100000000000000000000000000000"), None, None),
            (t("79228162514264337593543950336"), None, None),
            (t("1e29"), None, None),
            (t("1e-29"), None, None),
            (t("1.00000000000000000000000000000"), None, None),
            (Real(1e300), None, None),
            (Real(1e-300), None, None),
            (t("1"), Some(40), Some(30)),
            (t("1e20"), Some(38), Some(10)),
            (t("1e99999999999999999999"), None, None),
        ];
        for (v, p, s) in cases {
            let shown = match v {
                Real(f) if *f > 1.0 => "1e+300".to_string(),
                Real(_) => "1e-300".to_string(),
                other => shown(*other),
            };
            rejects_shown(*v, &dec(*p, *s), Postgres, "out_of_range", &shown);
        }
        let msg = err(t("1e29"), &dec(None, None), Postgres).to_string();
        assert!(msg.contains("30 significant digits; cutover's decimal type carries at most 28"), "{msg}");
    }

    #[test]
    fn decimal_refuses_non_numbers_and_other_classes() {
        for s in ["", " 1", "1 ", "1,5", "1.2.3", "e5", "1e", "1e+", ".", "-", "+.e1", "inf", "NaN", "0x10", "1_0"] {
            rejects(t(s), &dec(None, None), Sqlite, "not_a_number");
        }
        rejects(Text(b"1\xff"), &dec(None, None), Sqlite, "not_a_number");
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            rejects(Real(f), &dec(Some(10), Some(2)), Postgres, "not_finite");
        }
        rejects(Blob(b"1"), &dec(None, None), Sqlite, "wrong_storage_class");
    }

    fn decimal_in(max_p: u32) -> impl Strategy<Value = (u32, u32, Decimal)> {
        (1..=max_p).prop_flat_map(|p| {
            let limit = 10i128.pow(p) - 1;
            (Just(p), 0..=p, -limit..=limit).prop_map(|(p, s, m)| (p, s, Decimal::from_i128_with_scale(m, s)))
        })
    }

    /// Texts of numbers: plain, signed, with points, leading and trailing zeros, and some
    /// the fast path must leave to the general one (exponents, '+', too many digits).
    fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "-?[0-9]{0,30}(\\.[0-9]{0,30})?",
            "[+-]?[0-9]{1,5}\\.?[0-9]{0,5}([eE][+-]?[0-9]{1,2})?",
            "-?0{0,5}[0-9]{1,3}\\.[0-9]{0,3}0{0,5}",
        ]
    }

    #[test]
    fn a_real_holding_a_short_decimal_is_read_without_its_text() {
        use super::real_at_scale;
        let d = |m: i64, s: u32| Some(Decimal::from_i128_with_scale(i128::from(m), s));
        assert_eq!(real_at_scale(89.4264, 4, Some(10)), d(894264, 4));
        assert_eq!(real_at_scale(-0.5, 2, None), d(-50, 2));
        assert_eq!(real_at_scale(3.0, 0, Some(1)), d(3, 0));
        // 1.005 is stored as 1.00499999999999989...: its text is "1.005", which rounds
        // to 1.01; no decimal of 2 places reads back as it, so the text path decides.
        assert_eq!(real_at_scale(1.005, 2, None), None);
        assert_eq!(real_at_scale(0.1 + 0.2, 4, None), None);
        assert_eq!(real_at_scale(1234.5, 2, Some(5)), None, "six digits do not fit decimal(5,2)");
        assert_eq!(real_at_scale(1e15, 2, None), None, "beyond 2^50 / 10^s");
    }

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_general_one(
            text in number_text(),
            i in any::<i64>(),
            f in any::<f64>(),
            p in proptest::option::of(1u32..=40),
            s in proptest::option::of(0u32..=30),
        ) {
            let p = p.map(|p| p.max(s.unwrap_or(0)));
            let ty = dec(p, s);
            // Decimals stored as REAL, of up to 7 places, the case `real_at_scale` takes.
            let places = i32::try_from(i.rem_euclid(8)).unwrap();
            let stored = Real((i % 100_000_000_000_000) as f64 / 10f64.powi(places));
            let near = Real((i % 1_000_000_000) as f64 / 10f64.powi(places) + f64::from(i as f32) * 1e-9);
            for v in [Text(text.as_bytes()), Integer(i), Real(f), Real(f64::from(i as f32) / 1000.0), stored, near] {
                if let Some(d) = super::fast(v, p, s) {
                    match super::general(v, p, s, &ty) {
                        Ok(Value::Decimal(g)) => {
                            prop_assert_eq!(d, g, "{:?}", v);
                            prop_assert_eq!(d.to_string(), g.to_string(), "{:?} keeps its scale", v);
                        }
                        other => prop_assert!(false, "{:?}: fast {} but general {:?}", v, d, other),
                    }
                }
            }
        }

        #[test]
        fn any_decimal_written_as_text_converts_back_to_itself((p, s, d) in decimal_in(28)) {
            let m = d.mantissa();
            let forms = [d.to_string(), format!("{m}e-{s}"), format!("{}{m}E-{s}", if m >= 0 { "+" } else { "" })];
            for text in forms {
                for (pp, ss) in [(Some(p), Some(s)), (None, None)] {
                    match ok(t(&text), &dec(pp, ss), Postgres) {
                        Value::Decimal(got) => {
                            prop_assert_eq!(got, d, "{}", text);
                            prop_assert_eq!(got.to_string(), d.to_string(), "{} keeps its scale", text);
                        }
                        other => prop_assert!(false, "{:?}", other),
                    }
                }
            }
        }

        #[test]
        fn any_double_of_15_digits_converts_to_its_shortest_text_rounded(
            m in -(10i64.pow(15) - 1)..10i64.pow(15),
            e in 0u32..=13,
            s in 0u32..=10,
        ) {
            // A decimal of at most 15 significant digits survives the trip through a double,
            // so its shortest text is itself.
            let written = Decimal::from_i128_with_scale(i128::from(m), e);
            let f: f64 = written.to_string().parse().unwrap();
            let rounded = |d: Decimal| {
                let mut r = d.round_dp_with_strategy(s, RoundingStrategy::MidpointAwayFromZero);
                r.rescale(s);
                r
            };
            let want = rounded(Decimal::from_str(&f.to_string()).unwrap());
            prop_assert_eq!(want, rounded(written));
            match ok(Real(f), &dec(Some(28), Some(s)), MariaDb) {
                Value::Decimal(got) => prop_assert_eq!(got.to_string(), want.to_string()),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
