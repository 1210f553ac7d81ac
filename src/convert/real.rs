//! Doubles written as text: the one spelling of a REAL that reads back as the same
//! double. A text column receiving a REAL stores it (`text`), and a message showing a
//! refused REAL prints it (`error`); both take it from here, so neither file needs the
//! other for it.

/// Longest plain (positional) form `real_text` writes before it switches to exponent form.
const PLAIN_REAL_MAX_CHARS: usize = 20;

/// A finite double as text that reads back as the same REAL, `None` for NaN and ±infinity.
///
/// The rule, exactly:
/// 1. Take Rust's Display of the double: the shortest text that reads back as the same
///    double, always positional (never an exponent).
/// 2. Append `.0` when it has no decimal point (`1` -> `1.0`), so that SQLite and other
///    readers see a REAL and not an INTEGER.
/// 3. If the result is at most 20 characters, that is the text: `0.1`, `-0.0`,
///    `0.30000000000000004`, `0.00000012345`, `100000000000000000.0` (1e17).
/// 4. Otherwise use Rust's shortest exponent form (`{:e}`) with an explicit exponent
///    sign: `1e+18`, `1e+300`, `1e-300`, `1.7976931348623157e+308` (at most 24
///    characters). An exponent makes the text a REAL for SQLite, and a JSON number.
pub(crate) fn real_text(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let mut plain = format!("{f}");
    if !plain.contains('.') {
        plain.push_str(".0");
    }
    if plain.len() <= PLAIN_REAL_MAX_CHARS {
        return Some(plain);
    }
    let exp = format!("{f:e}");
    Some(match exp.split_once('e') {
        Some((mantissa, power)) if !power.starts_with('-') => format!("{mantissa}e+{power}"),
        _ => exp,
    })
}

#[cfg(test)]
mod tests {
    use super::real_text;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_finite_double_written_as_text_reads_back_as_itself(f in any::<f64>()) {
            if let Some(text) = real_text(f) {
                prop_assert!(text.contains('.') || text.contains('e'), "{}", text);
                prop_assert!(text.len() <= 24, "{}", text);
                prop_assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(f.to_bits()), "{}", text);
            }
        }
    }
}
