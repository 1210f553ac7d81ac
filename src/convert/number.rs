//! Boolean, integer and double columns: which stored values mean exactly one such value.

use crate::dialect::Dialect;
use crate::types::{ColumnType, IntWidth};
use crate::value::{SourceValue, Value};

use super::error::{show, wrong_class, ConvertError};

/// The texts a boolean column reads (ASCII case-insensitive, never trimmed).
const TRUE_TEXTS: [&[u8]; 4] = [b"1", b"true", b"t", b"yes"];
const FALSE_TEXTS: [&[u8]; 4] = [b"0", b"false", b"f", b"no"];

pub(super) fn to_bool(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    let found = match v {
        SourceValue::Null => return Ok(Value::Null),
        SourceValue::Blob(_) => return Err(wrong_class(v, ty, "")),
        SourceValue::Integer(i) => match i {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        // Float patterns compare with ==, so -0.0 matches 0.0 and means false as well.
        SourceValue::Real(0.0) => Some(false),
        SourceValue::Real(1.0) => Some(true),
        SourceValue::Real(_) => None,
        SourceValue::Text(t) => {
            let is = |texts: [&[u8]; 4]| texts.iter().any(|x| x.eq_ignore_ascii_case(t));
            if is(TRUE_TEXTS) {
                Some(true)
            } else if is(FALSE_TEXTS) {
                Some(false)
            } else {
                None
            }
        }
    };
    found.map(Value::Bool).ok_or_else(|| ConvertError::NotABoolean { value: show(v) })
}

pub(super) fn to_integer(
    v: SourceValue<'_>,
    width: IntWidth,
    unsigned: bool,
    ty: &ColumnType,
) -> Result<Value, ConvertError> {
    // Wider than i64 so that any out-of-range number still compares as out of range;
    // numbers beyond i128 saturate, which only ever makes them out of range.
    let wide: i128 = match v {
        SourceValue::Null => return Ok(Value::Null),
        SourceValue::Blob(_) => return Err(wrong_class(v, ty, "")),
        SourceValue::Integer(i) => i128::from(i),
        SourceValue::Real(f) => real_to_integer(v, f, ty)?,
        SourceValue::Text(t) => text_to_integer(t).ok_or_else(|| ConvertError::NotAnInteger {
            value: show(v),
            reason: "an integer column reads text made only of an optional sign and the digits 0-9 \
                     (no spaces, decimal point or exponent)",
        })?,
    };
    let (lo, hi) = width.range(unsigned);
    match i64::try_from(wide) {
        Ok(i) if (lo..=hi).contains(&i) => Ok(Value::Int(i)),
        _ => Err(ConvertError::OutOfRange {
            value: show(v),
            target: ty.to_string(),
            reason: format!(
                "{ty} holds {lo} to {hi}; override the column type in cutover.toml with a wider one, \
                 or fix the data"
            ),
        }),
    }
}

/// An integral, finite double as an exact integer (saturated beyond i128).
fn real_to_integer(v: SourceValue<'_>, f: f64, ty: &ColumnType) -> Result<i128, ConvertError> {
    if !f.is_finite() {
        return Err(ConvertError::NotFinite { value: show(v), target: format!("an {ty} column") });
    }
    if f.fract() != 0.0 {
        return Err(ConvertError::NotAnInteger {
            value: show(v),
            reason: "it has a fractional part, which an integer column would lose; \
                     override the column type to decimal or double in cutover.toml",
        });
    }
    // `{:.0}` prints the exact value of an integral double (Display would print only its
    // shortest round-trip digits). It only fails to parse when beyond i128.
    let saturated = if f < 0.0 { i128::MIN } else { i128::MAX };
    Ok(format!("{f:.0}").parse::<i128>().unwrap_or(saturated))
}

/// `[+-]?[0-9]+` exactly, as a number (saturated beyond i128); `None` for anything else.
fn text_to_integer(t: &[u8]) -> Option<i128> {
    let (negative, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i128 = 0;
    for d in digits {
        let d = i128::from(d - b'0');
        let next = n.checked_mul(10).and_then(|n| if negative { n.checked_sub(d) } else { n.checked_add(d) });
        match next {
            Some(next) => n = next,
            None => return Some(if negative { i128::MIN } else { i128::MAX }),
        }
    }
    Some(n)
}

pub(super) fn to_double(v: SourceValue<'_>, dialect: Dialect, ty: &ColumnType) -> Result<Value, ConvertError> {
    match v {
        SourceValue::Null => Ok(Value::Null),
        SourceValue::Blob(_) => Err(wrong_class(v, ty, "")),
        SourceValue::Real(f) if f.is_finite() || dialect.engine().stores_non_finite_doubles() => Ok(Value::Float(f)),
        SourceValue::Real(_) => Err(ConvertError::NotFinite {
            value: show(v),
            target: format!("a {} {}", dialect.engine().product(), dialect.engine().render_type(ty)),
        }),
        SourceValue::Integer(i) if exact_in_f64(i) => {
            // Exact: checked just above that `i` has at most 53 significant bits.
            #[allow(clippy::cast_precision_loss)]
            let f = i as f64;
            Ok(Value::Float(f))
        }
        SourceValue::Integer(_) => Err(ConvertError::InexactFloat { value: show(v) }),
        SourceValue::Text(t) => text_to_double(v, t, ty).map(Value::Float),
    }
}

/// True when the double nearest to `i` is `i` itself: at most 53 significant bits.
fn exact_in_f64(i: i64) -> bool {
    let magnitude = i.unsigned_abs();
    magnitude == 0 || 64 - magnitude.leading_zeros() - magnitude.trailing_zeros() <= 53
}

/// A decimal or scientific number (Rust's f64 grammar without the inf/nan spellings),
/// rounded to the nearest double as any reader of text would; a number that overflows
/// to infinity or underflows to zero is out of range rather than silently changed.
fn text_to_double(v: SourceValue<'_>, t: &[u8], ty: &ColumnType) -> Result<f64, ConvertError> {
    let not_a_number = || ConvertError::NotANumber { value: show(v), target: ty.to_string() };
    // Only digits, signs, a point and an exponent mark: this keeps out "inf", "nan",
    // "infinity" (any case) and whitespace, which Rust's parser would otherwise judge.
    if !t.iter().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E')) {
        return Err(not_a_number());
    }
    let text = std::str::from_utf8(t).map_err(|_| not_a_number())?;
    let f: f64 = text.parse().map_err(|_| not_a_number())?;
    let out_of_range =
        |reason: &str| ConvertError::OutOfRange { value: show(v), target: ty.to_string(), reason: reason.to_string() };
    if f.is_infinite() {
        return Err(out_of_range("it is beyond the largest double, ±1.7976931348623157e+308"));
    }
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    if f == 0.0 && mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        return Err(out_of_range("it is closer to zero than the smallest double, 5e-324, and would become 0"));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::dialect::Dialect::{self, MariaDb, Postgres, Sqlite};
    use crate::types::{ColumnType, IntWidth};
    use crate::value::SourceValue::{self, Blob, Integer, Real, Text};
    use crate::value::Value;
    use proptest::prelude::*;

    const BOOL: ColumnType = ColumnType::Boolean;
    const DOUBLE: ColumnType = ColumnType::Double;

    fn int(width: IntWidth, unsigned: bool) -> ColumnType {
        ColumnType::Integer { width, unsigned }
    }

    #[test]
    fn boolean_accepts_the_documented_spellings() {
        let cases: &[(SourceValue<'_>, bool)] = &[
            (Integer(0), false),
            (Integer(1), true),
            (Real(0.0), false),
            (Real(-0.0), false),
            (Real(1.0), true),
            (t("0"), false),
            (t("1"), true),
            (t("true"), true),
            (t("TRUE"), true),
            (t("True"), true),
            (t("false"), false),
            (t("FaLsE"), false),
            (t("t"), true),
            (t("T"), true),
            (t("f"), false),
            (t("F"), false),
            (t("yes"), true),
            (t("YES"), true),
            (t("no"), false),
            (t("No"), false),
        ];
        for (v, want) in cases {
            for d in ALL_DIALECTS {
                assert_eq!(ok(*v, &BOOL, d), Value::Bool(*want), "{v:?} on {d:?}");
            }
        }
    }

    #[test]
    fn boolean_rejects_everything_else() {
        let cases: &[SourceValue<'_>] = &[
            Integer(2),
            Integer(-1),
            Real(0.5),
            Real(2.0),
            Real(f64::NAN),
            t("y"),
            t("n"),
            t(""),
            t(" 1"),
            t("1 "),
            t("true "),
            t("on"),
            t("off"),
            t("2"),
            t("01"),
            t("1.0"),
            t("ｔｒｕｅ"),
            Text(b"tru\xe9"),
        ];
        for v in cases {
            rejects(*v, &BOOL, Postgres, "not_a_boolean");
        }
        rejects(Blob(b"\x01"), &BOOL, Postgres, "wrong_storage_class");
        let e = err(t("y"), &BOOL, MariaDb);
        assert!(e.to_string().contains("true/false"), "{e}");
    }

    #[test]
    fn integer_accepts_integers_integral_reals_and_digit_texts() {
        let big = int(IntWidth::I64, false);
        let cases: &[(SourceValue<'_>, i64)] = &[
            (Integer(42), 42),
            (Integer(i64::MIN), i64::MIN),
            (Real(3.0), 3),
            (Real(-0.0), 0),
            (Real(-(2f64.powi(63))), i64::MIN),
            (Real(4.0e15), 4_000_000_000_000_000),
            (t("42"), 42),
            (t("+42"), 42),
            (t("-42"), -42),
            (t("-0"), 0),
            (t("007"), 7),
            (t("9223372036854775807"), i64::MAX),
            (t("-9223372036854775808"), i64::MIN),
            (t("000000000000000000000000000000000000000000001"), 1),
        ];
        for (v, want) in cases {
            for d in ALL_DIALECTS {
                assert_eq!(ok(*v, &big, d), Value::Int(*want), "{v:?} on {d:?}");
            }
        }
    }

    #[test]
    fn integer_rejects_fractions_malformed_text_and_other_classes() {
        let ty = int(IntWidth::I32, false);
        for v in [Real(1.5), Real(-0.1)] {
            rejects(v, &ty, Postgres, "not_an_integer");
        }
        rejects_shown(Real(1e-300), &ty, Postgres, "not_an_integer", "1e-300 ");
        let e = err(Real(1.5), &ty, Postgres);
        assert!(e.to_string().contains("fractional part"), "{e}");
        for v in [Real(f64::NAN), Real(f64::INFINITY), Real(f64::NEG_INFINITY)] {
            rejects(v, &ty, Sqlite, "not_finite");
        }
        for s in ["", " 1", "1 ", "1.0", "1e3", "1_000", "0x10", "+", "-", "--1", "+-1", "1-", "١", "one"] {
            rejects(t(s), &ty, MariaDb, "not_an_integer");
        }
        rejects(Text(b"1\xff"), &ty, MariaDb, "not_an_integer");
        rejects(Blob(b"1"), &ty, MariaDb, "wrong_storage_class");
    }

    #[test]
    fn integer_range_is_checked_for_every_value_form() {
        let ty = int(IntWidth::I64, false);
        for (v, shown) in
            [(Real(2f64.powi(63)), "9.223372036854776e+18 "), (Real(1e300), "1e+300 "), (Real(-1e300), "-1e+300 ")]
        {
            rejects_shown(v, &ty, Postgres, "out_of_range", shown);
        }
        for v in [
            t("9223372036854775808"),
            t("-9223372036854775809"),
            t("99999999999999999999999999999999999999999999999"),
            t("-99999999999999999999999999999999999999999999999"),
        ] {
            rejects(v, &ty, Postgres, "out_of_range");
        }
        let e = err(Integer(300), &int(IntWidth::I8, false), MariaDb);
        let msg = e.to_string();
        assert!(msg.contains("tinyint holds -128 to 127") && msg.starts_with("300 "), "{msg}");
        let e = err(t("-1"), &int(IntWidth::I16, true), MariaDb);
        assert!(e.to_string().contains("smallint unsigned holds 0 to 65535"), "{e}");
    }

    #[test]
    fn integers_at_the_exact_boundaries_of_each_width() {
        let widths = [IntWidth::I8, IntWidth::I16, IntWidth::I24, IntWidth::I32, IntWidth::I64];
        for width in widths {
            for unsigned in [false, true] {
                let ty = int(width, unsigned);
                let (lo, hi) = width.range(unsigned);
                for edge in [lo, hi] {
                    let text = edge.to_string();
                    for v in [Integer(edge), t(&text)] {
                        assert_eq!(ok(v, &ty, MariaDb), Value::Int(edge), "{ty} {v:?}");
                    }
                }
                let outside = [i128::from(lo) - 1, i128::from(hi) + 1];
                for n in outside {
                    let text = n.to_string();
                    rejects_shown(t(&text), &ty, MariaDb, "out_of_range", &format!("'{text}'"));
                    if let Ok(i) = i64::try_from(n) {
                        rejects(Integer(i), &ty, MariaDb, "out_of_range");
                        // Below 2^53 these doubles are exact, so the double is the same number.
                        if i.unsigned_abs() < 1 << 53 {
                            #[allow(clippy::cast_precision_loss)]
                            rejects(Real(i as f64), &ty, MariaDb, "out_of_range");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn double_accepts_reals_exact_integers_and_number_texts() {
        let cases: &[(SourceValue<'_>, f64)] = &[
            (Real(1.5), 1.5),
            (Real(-0.0), -0.0),
            (Real(f64::MAX), f64::MAX),
            (Real(5e-324), 5e-324),
            (Integer(0), 0.0),
            (Integer(-42), -42.0),
            (Integer(1 << 53), 9_007_199_254_740_992.0),
            (Integer(-(1 << 53)), -9_007_199_254_740_992.0),
            (Integer((1 << 53) - 1), 9_007_199_254_740_991.0),
            (Integer(i64::MIN), -(2f64.powi(63))),
            (Integer(1 << 62), 2f64.powi(62)),
            (t("1.5"), 1.5),
            (t("-1.5"), -1.5),
            (t("+1.5"), 1.5),
            (t("1"), 1.0),
            (t("1."), 1.0),
            (t(".5"), 0.5),
            (t("1e3"), 1000.0),
            (t("1E-3"), 0.001),
            (t("-2.5e+2"), -250.0),
            (t("0.1"), 0.1),
            (t("0"), 0.0),
            (t("-0"), -0.0),
            (t("1.7976931348623157e308"), f64::MAX),
            (t("4.9e-324"), 5e-324),
            (t("0e500"), 0.0),
        ];
        for (v, want) in cases {
            for d in ALL_DIALECTS {
                match ok(*v, &DOUBLE, d) {
                    Value::Float(f) => assert_eq!(f.to_bits(), want.to_bits(), "{v:?} on {d:?}"),
                    other => panic!("{v:?} gave {other:?}"),
                }
            }
        }
    }

    #[test]
    fn double_stores_nan_and_infinity_only_where_the_dialect_can() {
        for v in [Real(f64::NAN), Real(f64::INFINITY), Real(f64::NEG_INFINITY)] {
            for d in [Postgres, Sqlite] {
                match ok(v, &DOUBLE, d) {
                    Value::Float(f) => assert!(!f.is_finite()),
                    other => panic!("{other:?}"),
                }
            }
            rejects(v, &DOUBLE, MariaDb, "not_finite");
        }
        let e = err(Real(f64::INFINITY), &DOUBLE, MariaDb);
        assert!(e.to_string().contains("MariaDB DOUBLE"), "{e}");
    }

    #[test]
    fn double_rejects_inexact_integers_and_non_numbers() {
        for i in [(1 << 53) + 1, -(1 << 53) - 1, i64::MAX, i64::MIN + 1] {
            for d in ALL_DIALECTS {
                rejects(Integer(i), &DOUBLE, d, "inexact_float");
            }
        }
        for s in [
            "", " 1", "1 ", "inf", "-inf", "Infinity", "nan", "NaN", "1e", "e5", ".", "+", "1.2.3", "1e5.0", "0x1p3",
            "1_000", "1,5", "--1",
        ] {
            rejects(t(s), &DOUBLE, Postgres, "not_a_number");
        }
        rejects(Text(b"1\xff"), &DOUBLE, Postgres, "not_a_number");
        for s in ["1e309", "-1e400", "1e-400", "-0.0000001e-320"] {
            rejects(t(s), &DOUBLE, Sqlite, "out_of_range");
        }
        rejects(Blob(b"\0\0\0\0\0\0\xf0\x3f"), &DOUBLE, Sqlite, "wrong_storage_class");
    }

    fn width() -> impl Strategy<Value = IntWidth> {
        prop_oneof![
            Just(IntWidth::I8),
            Just(IntWidth::I16),
            Just(IntWidth::I24),
            Just(IntWidth::I32),
            Just(IntWidth::I64),
        ]
    }

    proptest! {
        #[test]
        fn any_integer_converts_exactly_when_in_range(i in any::<i64>(), w in width(), unsigned in any::<bool>()) {
            let ty = int(w, unsigned);
            let (lo, hi) = w.range(unsigned);
            let text = i.to_string();
            for v in [Integer(i), t(&text)] {
                let got = crate::convert::convert(v, &ty, &ctx(Dialect::Postgres));
                if (lo..=hi).contains(&i) {
                    prop_assert_eq!(got, Ok(Value::Int(i)));
                } else {
                    prop_assert_eq!(got.map_err(|e| e.kind()), Err("out_of_range"));
                }
            }
        }

        #[test]
        fn any_finite_double_written_as_text_reads_back_bit_for_bit(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            for text in [format!("{f}"), format!("{f:e}"), format!("{f:E}")] {
                match ok(t(&text), &DOUBLE, Dialect::MariaDb) {
                    Value::Float(g) => prop_assert_eq!(g.to_bits(), f.to_bits(), "{}", text),
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }
    }
}
