//! Whether a secret is weak: a known default from a sample env or a tutorial, a
//! placeholder, too short, or too regular to be random. Says why, never the value.

use std::collections::BTreeSet;

use super::MIN_SECRET_LENGTH;

/// Defaults found in sample env files, tutorials and framework templates; a value equal
/// to one of them (ignoring case) is weak whatever its length.
#[rustfmt::skip]
const INSECURE_DEFAULTS: &[&str] = &[
    "changeme", "change-me", "change_me", "changethis", "change-this", "secret", "secretkey",
    "secret-key", "secret_key", "mysecret", "my-secret", "supersecret", "super-secret", "topsecret",
    "s3cr3t", "password", "passw0rd", "p@ssw0rd", "dev", "develop", "development", "test",
    "testing", "debug", "local", "default", "example", "sample", "demo", "admin", "root", "key",
    "token", "apikey", "api-key", "none", "null", "undefined", "todo", "fixme", "xxx", "foo", "bar",
    "foobar", "abc", "abc123", "123456", "12345678", "qwerty", "letmein", "insecure", "notasecret",
    "not-a-secret", "your-secret-key", "your_secret_key", "yoursecretkey", "your-secret-key-here",
    "your_secret_key_here", "replace-me", "replaceme", "replace_me",
];

/// Words that mark a placeholder wherever they appear in a value (ignoring case), such as
/// Django's `django-insecure-…` keys. All are long enough that a random secret contains
/// one only with negligible probability.
#[rustfmt::skip]
const PLACEHOLDER_MARKERS: &[&str] = &[
    "insecure", "changeme", "change-me", "change_me", "changethis", "change-this", "change_this",
    "replaceme", "replace-me", "replace_me", "your-secret", "your_secret", "yoursecret",
    "placeholder", "notasecret", "not-a-secret", "not_a_secret", "example",
];

/// Why `value` is not fit to be a production secret, or `None` if it is. `also_insecure`
/// lists values known to be public for this application, such as those in its sample
/// env file; a value equal to one of them is weak.
///
/// Weak: empty; a known default or placeholder; shorter than [`MIN_SECRET_LENGTH`];
/// made of fewer than 8 distinct characters; mostly a repetition of a short pattern;
/// mostly runs like `aaaa`, `abcd` or `4321`; or carrying under 80 bits by a Shannon
/// estimate of its characters. A value from [`generate_secret`] is never weak.
pub fn weakness(value: &str, also_insecure: &[&str]) -> Option<&'static str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Some("empty");
    }
    if also_insecure.iter().any(|known| !known.trim().is_empty() && known.trim() == trimmed) {
        return Some("a value known to be public (such as one from the sample env file)");
    }
    let lower = trimmed.to_lowercase();
    if INSECURE_DEFAULTS.contains(&lower.as_str()) {
        return Some("a well-known default value");
    }
    if PLACEHOLDER_MARKERS.iter().any(|marker| lower.contains(marker)) {
        return Some("a placeholder (it says insecure, change me, example or the like)");
    }
    let chars: Vec<char> = trimmed.chars().collect();
    if chars.len() < MIN_SECRET_LENGTH {
        return Some("shorter than 32 characters");
    }
    if chars.iter().collect::<BTreeSet<_>>().len() < 8 {
        return Some("made of fewer than 8 different characters");
    }
    if is_mostly_periodic(&chars) {
        return Some("mostly a short pattern repeated");
    }
    if is_mostly_runs(&chars) {
        return Some("mostly runs of neighbouring characters (like aaaa, abcd or 4321)");
    }
    if shannon_bits(&chars) < 80.0 {
        return Some("too predictable (under 80 bits of entropy by its character frequencies)");
    }
    None
}

/// Whether, for some period up to 64, at least three quarters of the characters equal
/// the one that many places before them.
fn is_mostly_periodic(chars: &[char]) -> bool {
    let longest = (chars.len() / 2).min(64);
    (1..=longest).any(|period| {
        let same = chars.iter().zip(&chars[period..]).filter(|(a, b)| a == b).count();
        4 * same >= 3 * (chars.len() - period)
    })
}

/// Whether more than half of the neighbouring pairs are equal or one code point apart.
fn is_mostly_runs(chars: &[char]) -> bool {
    let runs = chars.windows(2).filter(|pair| u32::from(pair[0]).abs_diff(u32::from(pair[1])) <= 1).count();
    2 * runs > chars.len() - 1
}

/// The value's length times the Shannon entropy of its character frequencies: an upper
/// bound on what a value drawn that way carries, and a fair guess for a random one.
fn shannon_bits(chars: &[char]) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    for c in chars {
        *counts.entry(c).or_insert(0u32) += 1;
    }
    let total = f64::from(u32::try_from(chars.len()).unwrap_or(u32::MAX));
    counts
        .values()
        .map(|&n| {
            let p = f64::from(n) / total;
            -f64::from(n) * p.log2()
        })
        .sum()
}
