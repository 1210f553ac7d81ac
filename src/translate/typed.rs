//! A translated expression with its type, and the literal rules the translator's files share.

use super::Ty;

/// A literal as SQLite wrote it, for rewrites that depend on the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Num(String),
    Str(String),
    Null,
}

/// A translated expression and what it is in the target.
#[derive(Debug, Clone)]
pub(crate) struct Typed {
    pub(super) sql: String,
    pub(super) ty: Ty,
    pub(super) lit: Option<Lit>,
}

impl Typed {
    pub(super) fn new(sql: impl Into<String>, ty: Ty) -> Typed {
        Typed { sql: sql.into(), ty, lit: None }
    }

    /// A constant whose SQLite text is `text` (a date SQLite computes to text).
    pub(super) fn constant(sql: impl Into<String>, ty: Ty, text: String) -> Typed {
        Typed { sql: sql.into(), ty, lit: Some(Lit::Str(text)) }
    }

    pub(super) fn lit(sql: impl Into<String>, ty: Ty, lit: Lit) -> Typed {
        Typed { sql: sql.into(), ty, lit: Some(lit) }
    }

    pub(super) fn str_lit(&self) -> Option<&str> {
        match &self.lit {
            Some(Lit::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// SQLite's boolean words, as cutover's boolean conversion reads them.
pub(super) fn bool_word(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "n" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Whether a text is a date or date-time that SQLite and the target both read as one.
pub(super) fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let date = b.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10);
    if !date {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    (b[10] == b' ' || b[10] == b'T')
        && b.len() >= 16
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && (b.len() == 16
            || (b.len() >= 19
                && b[16] == b':'
                && digits(17..19)
                && (b.len() == 19 || (b[19] == b'.' && b.len() > 20 && digits(20..b.len())))))
}

pub(super) fn arith_ty(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Int | Ty::Bool, Ty::Int | Ty::Bool) => Ty::Int,
        (Ty::Real, _) | (_, Ty::Real) => Ty::Real,
        (Ty::Decimal, _) | (_, Ty::Decimal) => Ty::Decimal,
        (Ty::Null, _) | (_, Ty::Null) => Ty::Null,
        _ => Ty::Unknown,
    }
}
