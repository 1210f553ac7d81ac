//! Text, JSON, bytes and UUID columns: what is text, what is valid JSON, and what
//! the target can store of it (UTF-8 everywhere, no NUL in PostgreSQL, lengths).

use serde::de::IgnoredAny;

use crate::dialect::Dialect;
use crate::types::ColumnType;
use crate::value::{SourceValue, Value};

use super::error::{hex_escapes, show, wrong_class, ConvertError};
use super::real::real_text;

pub(super) fn to_text(
    v: SourceValue<'_>,
    max_chars: Option<u32>,
    ty: &ColumnType,
    dialect: Dialect,
) -> Result<Value, ConvertError> {
    let text = match v {
        SourceValue::Null => return Ok(Value::Null),
        SourceValue::Integer(i) => i.to_string(),
        SourceValue::Real(f) => {
            real_text(f).ok_or_else(|| ConvertError::NotFinite { value: show(v), target: format!("a {ty} column") })?
        }
        SourceValue::Text(bytes) | SourceValue::Blob(bytes) => utf8(v, bytes)?.to_owned(),
    };
    if !dialect.engine().text_allows_nul() {
        no_nul(v, &text)?;
    }
    if let Some(max) = max_chars {
        let max_chars = usize::try_from(max).unwrap_or(usize::MAX);
        // A text has no more characters than bytes: count them only when it could be too long.
        if text.len() > max_chars {
            let chars = text.chars().count();
            if chars > max_chars {
                return Err(ConvertError::TooLong { value: show(v), chars, target: ty.to_string(), max });
            }
        }
    }
    Ok(Value::Text(text))
}

/// The bytes as UTF-8, or the offset and bytes of the first invalid sequence.
fn utf8<'a>(v: SourceValue<'_>, bytes: &'a [u8]) -> Result<&'a str, ConvertError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let end = match e.error_len() {
            Some(len) => offset + len,
            None => bytes.len(),
        };
        let bad = bytes.get(offset..end).unwrap_or_default();
        ConvertError::InvalidUtf8 { value: show(v), offset, bytes: hex_escapes(bad) }
    })
}

/// PostgreSQL text cannot hold U+0000.
fn no_nul(v: SourceValue<'_>, text: &str) -> Result<(), ConvertError> {
    // A zero byte is never part of a longer UTF-8 sequence: search bytes, count characters
    // only for the error's offset.
    match memchr::memchr(0, text.as_bytes()) {
        Some(at) => Err(ConvertError::NulInText { value: show(v), offset: text[..at].chars().count() }),
        None => Ok(()),
    }
}

pub(super) fn to_json(v: SourceValue<'_>, ty: &ColumnType, dialect: Dialect) -> Result<Value, ConvertError> {
    match v {
        SourceValue::Null => Ok(Value::Null),
        SourceValue::Integer(i) => Ok(Value::Json(i.to_string())),
        // `real_text` writes a valid JSON number (`1.0`, `1e+300`).
        SourceValue::Real(f) => real_text(f)
            .map(Value::Json)
            .ok_or_else(|| ConvertError::NotFinite { value: show(v), target: format!("a {ty} column") }),
        SourceValue::Text(bytes) | SourceValue::Blob(bytes) => {
            let text = utf8(v, bytes)?;
            if !dialect.engine().text_allows_nul() {
                no_nul(v, text)?;
            }
            serde_json::from_str::<IgnoredAny>(text)
                .map_err(|e| ConvertError::InvalidJson { value: show(v), reason: e.to_string() })?;
            if !dialect.engine().text_allows_nul() && has_nul_escape(text) {
                return Err(ConvertError::NulInJson { value: show(v) });
            }
            Ok(Value::Json(text.to_owned()))
        }
    }
}

/// True when valid JSON text contains the escape `\u0000` (jsonb refuses it). In valid
/// JSON a backslash only occurs in strings and always starts an escape, so stepping over
/// each escape's first two characters finds exactly the real ones (`\\u0000` is not).
/// Backslashes are found with memchr: most JSON has few or none.
fn has_nul_escape(json: &str) -> bool {
    let b = json.as_bytes();
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &b[i..]) {
        let at = i + at;
        if b.get(at + 1..at + 6) == Some(b"u0000".as_slice()) {
            return true;
        }
        i = at + 2;
        if i >= b.len() {
            break;
        }
    }
    false
}

pub(super) fn to_bytes(v: SourceValue<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    match v {
        SourceValue::Null => Ok(Value::Null),
        // A TEXT in a BLOB column (web2py stores base64 text there) keeps its bytes,
        // so the application reads back exactly what it wrote.
        SourceValue::Blob(bytes) | SourceValue::Text(bytes) => Ok(Value::Bytes(bytes.to_vec())),
        SourceValue::Integer(_) | SourceValue::Real(_) => Err(wrong_class(
            v,
            ty,
            "; cutover does not guess a byte encoding for numbers: override the column type in cutover.toml, \
             or fix the data",
        )),
    }
}

pub(super) fn to_uuid(v: SourceValue<'_>) -> Result<Value, ConvertError> {
    let bad = |reason| ConvertError::BadUuid { value: show(v), reason };
    match v {
        SourceValue::Null => Ok(Value::Null),
        SourceValue::Blob(bytes) => <[u8; 16]>::try_from(bytes)
            .map(|b| Value::Uuid(u128::from_be_bytes(b)))
            .map_err(|_| bad("a UUID BLOB has exactly 16 bytes")),
        SourceValue::Text(text) => uuid_text(text).map(Value::Uuid).ok_or_else(|| bad("not in a UUID text form")),
        SourceValue::Integer(_) | SourceValue::Real(_) => Err(bad("a number is not a UUID")),
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, the same in braces, or 32 hex digits.
fn uuid_text(text: &[u8]) -> Option<u128> {
    let inner = match text {
        [b'{', inner @ .., b'}'] => inner,
        _ => text,
    };
    let hex: Vec<u8> = match inner.len() {
        32 => inner.to_vec(),
        36 => {
            let dashes_in_place = [8, 13, 18, 23].iter().all(|&i| inner[i] == b'-');
            if !dashes_in_place {
                return None;
            }
            inner.iter().copied().filter(|&b| b != b'-').collect()
        }
        _ => return None,
    };
    if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    hex.iter().try_fold(0u128, |n, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some((n << 4) | u128::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::super::real::real_text;
    use super::super::testkit::*;
    use crate::dialect::Dialect::{MariaDb, Postgres, Sqlite};
    use crate::types::ColumnType;
    use crate::value::SourceValue::{self, Blob, Integer, Real, Text};
    use crate::value::Value;
    use proptest::prelude::*;

    const TEXT: ColumnType = ColumnType::Text;
    const JSON: ColumnType = ColumnType::Json;
    const BYTES: ColumnType = ColumnType::Bytes;
    const UUID: ColumnType = ColumnType::Uuid;

    fn text_ok(v: SourceValue<'_>, ty: &ColumnType, d: crate::dialect::Dialect) -> String {
        match ok(v, ty, d) {
            Value::Text(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reals_are_written_as_text_that_reads_back_as_a_real() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (12.3456, "12.3456"),
            (1e15, "1000000000000000.0"),
            (1e17, "100000000000000000.0"),
            (1e18, "1e+18"),
            (-1e17, "-1e+17"),
            (1e300, "1e+300"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.000001, "0.000001"),
            (1.2345e-7, "0.00000012345"),
            (1e-300, "1e-300"),
            (5e-324, "5e-324"),
            (123456789.12345678, "123456789.12345678"),
        ];
        for (f, want) in cases {
            assert_eq!(real_text(*f).as_deref(), Some(*want), "{f:e}");
            assert_eq!(text_ok(Real(*f), &TEXT, Postgres), *want);
        }
        assert_eq!(real_text(f64::NAN), None);
        assert_eq!(real_text(f64::INFINITY), None);
    }

    #[test]
    fn text_columns_take_utf8_text_numbers_and_utf8_blobs() {
        let varchar = ColumnType::Varchar { length: 5 };
        let char3 = ColumnType::Char { length: 3 };
        let cases: &[(SourceValue<'_>, &ColumnType, &str)] = &[
            (t("héllo"), &varchar, "héllo"),
            (t(""), &varchar, ""),
            (t(" a "), &char3, " a "),
            (t("日本語"), &char3, "日本語"),
            (t("👍🏽"), &char3, "👍🏽"),
            (Integer(-42), &TEXT, "-42"),
            (Integer(12345), &varchar, "12345"),
            (Real(2.5), &TEXT, "2.5"),
            (Blob(b"plain"), &TEXT, "plain"),
            (Blob("é".as_bytes()), &char3, "é"),
        ];
        for (v, ty, want) in cases {
            for d in ALL_DIALECTS {
                assert_eq!(text_ok(*v, ty, d), *want, "{v:?} into {ty} on {d:?}");
            }
        }
    }

    #[test]
    fn nul_is_refused_only_for_postgres() {
        for d in [MariaDb, Sqlite] {
            assert_eq!(text_ok(t("a\0b"), &TEXT, d), "a\0b");
            assert_eq!(text_ok(Blob(b"\0"), &TEXT, d), "\0");
        }
        rejects_shown(t("a\0b"), &TEXT, Postgres, "nul_in_text", r"'a\0b'");
        rejects_shown(Blob(b"\0"), &TEXT, Postgres, "nul_in_text", "x'00'");
        let msg = err(t("ab\0"), &ColumnType::Varchar { length: 9 }, Postgres).to_string();
        assert!(msg.contains("character 2"), "{msg}");
    }

    #[test]
    fn invalid_utf8_is_refused_with_the_bad_bytes_and_their_offset() {
        for d in ALL_DIALECTS {
            rejects_shown(Text(b"caf\xe9"), &TEXT, d, "invalid_utf8", r"'caf\xE9'");
            rejects_shown(Blob(b"caf\xe9"), &TEXT, d, "invalid_utf8", "x'636166E9'");
        }
        let msg = err(Text(b"ab\xc3\x28"), &TEXT, MariaDb).to_string();
        assert!(msg.contains(r"\xC3 at byte offset 2"), "{msg}");
        let msg = err(Text(b"abc\xe2\x82"), &TEXT, MariaDb).to_string();
        assert!(msg.contains(r"\xE2\x82 at byte offset 3"), "{msg}");
        let msg = err(Text(b"\xed\xa0\x80"), &TEXT, MariaDb).to_string();
        assert!(msg.contains(r"\xED at byte offset 0"), "{msg}");
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let ty = ColumnType::Varchar { length: 3 };
        rejects(t("abcd"), &ty, MariaDb, "too_long");
        rejects(t("日本語!"), &ty, Postgres, "too_long");
        rejects(Integer(1234), &ty, Sqlite, "too_long");
        rejects(Real(0.25), &ty, Sqlite, "too_long");
        rejects(Blob(b"abcd"), &ColumnType::Char { length: 3 }, Sqlite, "too_long");
        let msg = err(t("abcd"), &ty, MariaDb).to_string();
        assert!(msg.contains("is 4 characters long but varchar(3) holds at most 3"), "{msg}");
        let long = "x".repeat(300);
        let e = err(t(&long), &ColumnType::Varchar { length: 255 }, MariaDb);
        assert_eq!(e.kind(), "too_long");
        let msg = e.to_string();
        assert!(msg.contains(&format!("'{}…' (300 chars)", "x".repeat(60))), "{msg}");
        assert!(msg.len() < 400, "the message shows a shortened value: {msg}");
    }

    #[test]
    fn non_finite_reals_are_not_text() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for ty in [&TEXT, &JSON] {
                rejects(Real(f), ty, Sqlite, "not_finite");
            }
        }
    }

    #[test]
    fn json_accepts_any_valid_json_value_as_written() {
        let cases: &[&str] = &[
            "{}",
            "[]",
            r#"{"a": [1, 2.5, null, true], "b": {"c": "d"}}"#,
            r#"{"a":1,"a":2}"#,
            "42",
            "-0.5e10",
            "1e400",
            "123456789012345678901234567890",
            "\"text\"",
            "null",
            "true",
            " [1] ",
            r#""\\u0000""#,
            r#""é \u00e9 \ud83d\ude00""#,
        ];
        for text in cases {
            for d in ALL_DIALECTS {
                assert_eq!(ok(t(text), &JSON, d), Value::Json(text.to_string()), "{text} on {d:?}");
                assert_eq!(ok(Blob(text.as_bytes()), &JSON, d), Value::Json(text.to_string()));
            }
        }
        assert_eq!(ok(Integer(-7), &JSON, Postgres), Value::Json("-7".into()));
        assert_eq!(ok(Real(2.0), &JSON, Postgres), Value::Json("2.0".into()));
        assert_eq!(ok(Real(1e300), &JSON, Postgres), Value::Json("1e+300".into()));
        for n in ["2.0", "1e+300", "0.30000000000000004"] {
            assert!(serde_json::from_str::<serde_json::Value>(n).is_ok(), "{n} is a JSON number");
        }
    }

    #[test]
    fn json_refuses_invalid_text_and_postgres_nul() {
        for text in
            ["", "{", "{'a': 1}", "[1,]", "{\"a\" 1}", "NaN", "Infinity", "01", "1 2", "\"a\tb\"", "tru", r#""\x""#]
        {
            for d in ALL_DIALECTS {
                rejects(t(text), &JSON, d, "invalid_json");
            }
        }
        rejects(Blob(b"{"), &JSON, Sqlite, "invalid_json");
        rejects_shown(Text(b"\"\xff\""), &JSON, Sqlite, "invalid_utf8", r#"'"\xFF"'"#);
        rejects_shown(t(r#"{"a":"x\u0000y"}"#), &JSON, Postgres, "nul_in_json", r#"'{"a":"x\u0000y"}'"#);
        rejects_shown(t(r#"["\\\u0000"]"#), &JSON, Postgres, "nul_in_json", r#"'["\\\u0000"]'"#);
        for d in [MariaDb, Sqlite] {
            assert_eq!(ok(t(r#""\u0000""#), &JSON, d), Value::Json(r#""\u0000""#.into()));
        }
        rejects_shown(t("\"a\0\""), &JSON, Postgres, "nul_in_text", r#"'"a\0"'"#);
        rejects_shown(t("\"a\0\""), &JSON, MariaDb, "invalid_json", r#"'"a\0"'"#);
        let msg = err(t("{"), &JSON, MariaDb).to_string();
        assert!(msg.contains("EOF while parsing"), "{msg}");
    }

    #[test]
    fn nul_escapes_are_found_where_they_are_escapes() {
        use super::has_nul_escape;
        for s in [r#""\u0000""#, r#"["a", "\u0000"]"#, r#""\\\u0000""#, r#""x\u0000""#] {
            assert!(has_nul_escape(s), "{s}");
        }
        for s in ["", r#""\\""#, r#""\\u0000""#, r#""\\\\u0000""#, r#""\u0001""#, r#""\u000""#] {
            assert!(!has_nul_escape(s), "{s}");
        }
        // A backslash last (not valid JSON, never passed in): no panic.
        assert!(!has_nul_escape("abc\\"));
        assert!(!has_nul_escape("\\"));
    }

    #[test]
    fn bytes_keep_blobs_and_text_bytes_unchanged() {
        for d in ALL_DIALECTS {
            assert_eq!(ok(Blob(b"\0\xff"), &BYTES, d), Value::Bytes(vec![0, 0xff]));
            assert_eq!(ok(Blob(b""), &BYTES, d), Value::Bytes(vec![]));
            assert_eq!(ok(t("aGVsbG8="), &BYTES, d), Value::Bytes(b"aGVsbG8=".to_vec()));
            assert_eq!(ok(Text(b"\xff"), &BYTES, d), Value::Bytes(vec![0xff]));
            rejects(Integer(1), &BYTES, d, "wrong_storage_class");
            rejects(Real(1.5), &BYTES, d, "wrong_storage_class");
        }
    }

    #[test]
    fn uuid_accepts_the_usual_text_forms_and_16_byte_blobs() {
        let want = Value::Uuid(0x550e8400_e29b_41d4_a716_446655440000);
        let forms = [
            "550e8400-e29b-41d4-a716-446655440000",
            "550E8400-E29B-41D4-A716-446655440000",
            "550e8400e29b41d4a716446655440000",
            "{550e8400-e29b-41d4-a716-446655440000}",
            "{550E8400E29B41D4A716446655440000}",
        ];
        for form in forms {
            for d in ALL_DIALECTS {
                assert_eq!(ok(t(form), &UUID, d), want, "{form}");
            }
        }
        let blob = 0x550e8400_e29b_41d4_a716_446655440000u128.to_be_bytes();
        assert_eq!(ok(Blob(&blob), &UUID, Postgres), want);
        assert_eq!(ok(t("00000000-0000-0000-0000-000000000000"), &UUID, Postgres), Value::Uuid(0));
    }

    #[test]
    fn uuid_refuses_everything_else() {
        for s in [
            "",
            "550e8400-e29b-41d4-a716-44665544000",
            "550e8400-e29b-41d4-a716-4466554400000",
            "550e8400e29b-41d4-a716-446655440000-",
            "550e8400-e29b-41d4-a716-44665544000g",
            " 550e8400-e29b-41d4-a716-446655440000",
            "{550e8400-e29b-41d4-a716-446655440000",
            "(550e8400-e29b-41d4-a716-446655440000)",
            "+50e8400e29b41d4a716446655440000",
            "550e8400-e29b+41d4-a716-446655440000",
            "urn:uuid:550e8400-e29b-41d4-a716-446655440000",
        ] {
            rejects(t(s), &UUID, Postgres, "bad_uuid");
        }
        rejects(Blob(&[0u8; 15]), &UUID, MariaDb, "bad_uuid");
        rejects(Blob(&[0u8; 17]), &UUID, MariaDb, "bad_uuid");
        rejects(Integer(1), &UUID, Sqlite, "bad_uuid");
        rejects(Real(1.0), &UUID, Sqlite, "bad_uuid");
    }

    proptest! {
        #[test]
        fn any_uuid_reads_back_from_each_text_form(u in any::<u128>()) {
            let simple = format!("{u:032x}");
            let hyphenated = format!("{}-{}-{}-{}-{}", &simple[..8], &simple[8..12], &simple[12..16], &simple[16..20], &simple[20..]);
            for form in [simple.clone(), simple.to_uppercase(), hyphenated.clone(), format!("{{{hyphenated}}}")] {
                prop_assert_eq!(ok(t(&form), &UUID, Postgres), Value::Uuid(u));
            }
        }
    }
}
