//! Hardening for go-live: what `cutover harden` does to a migrated database and to the
//! application around it once the data has landed.
//!
//! [`run`] plans and applies the profile's steps — `deactivate` (leftover demo and test
//! accounts), `create_admin`, `rotate_secret` (with the revocation of what the old
//! secret signed), `version_columns`, `fk_indexes`, `index`, `extensions` and the user's
//! own `sql` steps — and [`journal`] records what each step changed so that it can be
//! undone. [`profile`] is the profile file.
//!
//! The primitives under them touch no database: [`password`] makes a strong admin
//! password and hashes it the way the application stores it (bcrypt, argon2id or
//! Django's pbkdf2_sha256); [`envfile`] replaces secrets in the application's env file
//! without disturbing anything else in it, and judges whether a secret is weak. Every
//! random value comes from the operating system's CSPRNG. A secret never appears in an
//! error, a `Debug` or a `Display`.

pub mod envfile;
pub mod journal;
pub mod password;
pub mod pattern;
pub mod profile;
pub mod run;

use std::fmt;
use std::path::PathBuf;

pub use envfile::{generate_secret, rotate_secrets, weakness, EnvFile, KeyChange, Rotation};
pub use password::{generate_password, hash_password, verify, PasswordFormat};

/// Why a hardening primitive failed. Messages name the file and what to do; they never
/// carry a password or a secret value.
#[derive(Debug, thiserror::Error)]
pub enum HardenError {
    #[error(
        "the operating system's random number generator failed ({source}); cutover will not make secrets without it"
    )]
    Random {
        #[source]
        source: getrandom::Error,
    },
    #[error("a password of {length} characters is too short; ask for at least {minimum}")]
    PasswordTooShort { length: usize, minimum: usize },
    #[error("a secret of {length} characters is too short; ask for at least {minimum}")]
    SecretTooShort { length: usize, minimum: usize },
    #[error("cannot hash the password as {format}: {detail}")]
    Hash { format: &'static str, detail: String },
    #[error(
        "{key:?} is not an env variable name cutover will write; use letters, digits and _, not starting with a digit"
    )]
    BadKey { key: String },
    #[error("{path}: cannot read the env file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the env file is not UTF-8 text; convert it (iconv -t UTF-8) and run again")]
    NotUtf8 { path: PathBuf },
    #[error("{path}:{line}: {message}")]
    Syntax { path: PathBuf, line: usize, message: &'static str },
    #[error("{path}: the file changed on disk after cutover read it; nothing was written, run again")]
    ChangedOnDisk { path: PathBuf },
    #[error("{path}: cannot {action}: {source}")]
    Write {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// A generated password or key. `Debug` shows only its length and there is no `Display`,
/// so it cannot reach a log or an error message by accident; [`Secret::expose`] is the
/// one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for hashing it, writing it where it belongs or showing it to
    /// the user once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} characters, redacted>)", self.0.chars().count())
    }
}

/// `length` characters drawn independently and uniformly from `alphabet` (ASCII, at most
/// 256 symbols) with the operating system's CSPRNG.
fn random_string(alphabet: &[u8], length: usize) -> Result<String, HardenError> {
    debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256 && alphabet.is_ascii());
    // A byte at or above `limit` is thrown away: taking it modulo the alphabet's size
    // would make the first symbols more likely than the others.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut buf).map_err(|source| HardenError::Random { source })?;
        for b in buf.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
            if out.len() == length {
                break;
            }
            out.push(char::from(alphabet[b % alphabet.len()]));
        }
    }
    Ok(out)
}

/// `N` random bytes from the operating system's CSPRNG, for salts.
fn random_bytes<const N: usize>() -> Result<[u8; N], HardenError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|source| HardenError::Random { source })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_string_has_the_length_and_alphabet_asked_for() {
        for alphabet in [&b"ab"[..], b"0123456789", b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"]
        {
            for length in [0, 1, 63, 64, 65, 500] {
                let s = random_string(alphabet, length).unwrap();
                assert_eq!(s.len(), length);
                assert!(s.bytes().all(|b| alphabet.contains(&b)), "{s}");
            }
        }
    }

    #[test]
    fn random_string_uses_every_symbol() {
        // 20,000 draws from 10 symbols: a symbol that never shows up means a broken draw.
        let s = random_string(b"0123456789", 20_000).unwrap();
        for digit in '0'..='9' {
            let n = s.chars().filter(|c| *c == digit).count();
            assert!((1_600..2_400).contains(&n), "{digit} drawn {n} times of 20000");
        }
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let secret = Secret("hunter2-hunter2-hunter2".to_string());
        let shown = format!("{secret:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("23 characters"), "{shown}");
    }
}
