//! Passwords for the admin account that `harden` creates: generating a strong one, hashing
//! it in the format the application's own login code checks, and verifying a password
//! against such a hash (for the tests, and for the gate that proves the new admin can log
//! in).
//!
//! Three formats cover the applications we migrate: bcrypt (`$2b$`, most PHP, Node and
//! Ruby apps), argon2id (PHC string, newer apps) and Django's `pbkdf2_sha256`. The
//! cryptography is the RustCrypto and `bcrypt` crates'; this module only chooses
//! parameters, makes salts and lays out the strings exactly as those applications do.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{random_bytes, random_string, HardenError, Secret};

/// Generated passwords are never shorter than this (16 characters of this alphabet carry
/// about 96 bits).
pub const MIN_PASSWORD_LENGTH: usize = 16;
/// Length of a generated password unless the caller asks for another (about 145 bits).
pub const DEFAULT_PASSWORD_LENGTH: usize = 24;

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
/// Symbols that mean nothing to a POSIX shell (even unquoted, even after `=`), to env-file
/// parsers, or inside a URL's user-info: no quotes, `$`, `#`, `\`, `~`, `:`, `@`, `/`, `%`,
/// `&`, `=` or spaces.
const SYMBOLS: &[u8] = b"-_.+";
/// The password alphabet: letters, digits and [`SYMBOLS`].
pub const PASSWORD_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+";

/// Django's `get_random_string` alphabet, which its password hashers draw salts from.
const DJANGO_SALT_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Django's salt length: 22 of those characters carry the 128 bits Django asks for.
const DJANGO_SALT_LENGTH: usize = 22;
/// Django's PBKDF2 hasher derives a key as long as SHA-256's output.
const DJANGO_KEY_LENGTH: usize = 32;

/// How the application stores passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordFormat {
    /// `$2b$<cost>$<salt><hash>`; cost is the base-2 logarithm of the rounds, 4 to 31.
    Bcrypt { cost: u32 },
    /// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, the argon2 crate's defaults
    /// (OWASP's minimum recommendation).
    Argon2id,
    /// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, Django's default hasher.
    DjangoPbkdf2Sha256 { iterations: u32 },
}

impl PasswordFormat {
    /// bcrypt's usual cost (Laravel's, Devise's and pyca/bcrypt's default).
    pub const DEFAULT_BCRYPT_COST: u32 = 12;
    /// Django 5.1's iteration count (Django 5.0 used 720,000; Django 5.2 uses 1,000,000).
    /// Django re-hashes on the next login when its own count is higher, so this only has
    /// to be strong, not equal.
    pub const DEFAULT_DJANGO_ITERATIONS: u32 = 870_000;

    /// bcrypt at the default cost.
    pub fn bcrypt() -> PasswordFormat {
        PasswordFormat::Bcrypt { cost: Self::DEFAULT_BCRYPT_COST }
    }

    /// Django's pbkdf2_sha256 at the default iteration count.
    pub fn django_pbkdf2_sha256() -> PasswordFormat {
        PasswordFormat::DjangoPbkdf2Sha256 { iterations: Self::DEFAULT_DJANGO_ITERATIONS }
    }

    /// Short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            PasswordFormat::Bcrypt { .. } => "bcrypt",
            PasswordFormat::Argon2id => "argon2id",
            PasswordFormat::DjangoPbkdf2Sha256 { .. } => "Django pbkdf2_sha256",
        }
    }
}

impl fmt::Display for PasswordFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordFormat::Bcrypt { cost } => write!(f, "bcrypt (cost {cost})"),
            PasswordFormat::Argon2id => f.write_str("argon2id (m=19456, t=2, p=1)"),
            PasswordFormat::DjangoPbkdf2Sha256 { iterations } => {
                write!(f, "Django pbkdf2_sha256 ({iterations} iterations)")
            }
        }
    }
}

/// A new random password of `length` characters (at least [`MIN_PASSWORD_LENGTH`]) from
/// [`PASSWORD_ALPHABET`]. It always holds a lower-case letter, an upper-case letter, a
/// digit and a symbol, so that application password rules accept it, and starts with a
/// letter or digit, so that it is never read as a command-line option.
pub fn generate_password(length: usize) -> Result<Secret, HardenError> {
    if length < MIN_PASSWORD_LENGTH {
        return Err(HardenError::PasswordTooShort { length, minimum: MIN_PASSWORD_LENGTH });
    }
    // Drawing again until the rules hold keeps every accepted password equally likely;
    // about half the draws pass at 16 characters, seven in ten at 24.
    loop {
        let candidate = random_string(PASSWORD_ALPHABET.as_bytes(), length)?;
        if follows_password_rules(&candidate) {
            return Ok(Secret(candidate));
        }
    }
}

fn follows_password_rules(candidate: &str) -> bool {
    let bytes = candidate.as_bytes();
    let has = |class: &[u8]| bytes.iter().any(|b| class.contains(b));
    let starts_plain = bytes.first().is_some_and(|b| b.is_ascii_alphanumeric());
    starts_plain && has(LOWER) && has(UPPER) && has(DIGITS) && has(SYMBOLS)
}

/// Hash `password` in `format` with a fresh random salt.
pub fn hash_password(password: &str, format: PasswordFormat) -> Result<String, HardenError> {
    let failed = |detail: String| HardenError::Hash { format: format.name(), detail };
    match format {
        PasswordFormat::Bcrypt { cost } => {
            // The non-truncating variant refuses passwords over bcrypt's 72-byte limit
            // instead of silently hashing only their start.
            let parts = bcrypt::non_truncating_hash_with_salt(password, cost, random_bytes::<16>()?)
                .map_err(|e| failed(e.to_string()))?;
            Ok(parts.format_for_version(bcrypt::Version::TwoB))
        }
        PasswordFormat::Argon2id => {
            let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| failed(e.to_string()))?;
            let hash =
                Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| failed(e.to_string()))?;
            Ok(hash.to_string())
        }
        PasswordFormat::DjangoPbkdf2Sha256 { iterations } => {
            if iterations == 0 {
                return Err(failed("the iteration count must be at least 1".to_string()));
            }
            let salt = random_string(DJANGO_SALT_ALPHABET, DJANGO_SALT_LENGTH)?;
            Ok(django_pbkdf2_sha256(password, &salt, iterations))
        }
    }
}

/// Django's encoding: `pbkdf2_sha256$<iterations>$<salt>$<standard base64 of the key>`.
fn django_pbkdf2_sha256(password: &str, salt: &str, iterations: u32) -> String {
    let mut key = [0u8; DJANGO_KEY_LENGTH];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut key);
    format!("pbkdf2_sha256${iterations}${salt}${}", BASE64.encode(key))
}

/// Whether `password` matches `hash`, which may be any of the three formats (bcrypt also
/// as `$2a$`/`$2y$`, argon2 in any variant). A hash that is malformed or of another
/// format does not match. The comparison runs in constant time.
///
/// The work factor is taken from the hash, so checking a hash read from an untrusted
/// place costs what its author chose.
pub fn verify(password: &str, hash: &str) -> bool {
    if hash.starts_with("$2") {
        bcrypt::verify(password, hash).unwrap_or(false)
    } else if hash.starts_with("$argon2") {
        PasswordHash::new(hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    } else if let Some(rest) = hash.strip_prefix("pbkdf2_sha256$") {
        verify_django_pbkdf2_sha256(password, rest)
    } else {
        false
    }
}

/// `rest` is a Django hash without its `pbkdf2_sha256$` prefix. Like Django, compare the
/// whole re-encoded string, so a non-canonical base64 spelling does not match.
fn verify_django_pbkdf2_sha256(password: &str, rest: &str) -> bool {
    let mut fields = rest.splitn(3, '$');
    let (Some(iterations), Some(salt), Some(expected)) = (fields.next(), fields.next(), fields.next()) else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else {
        return false;
    };
    if iterations == 0 || salt.is_empty() || expected.is_empty() {
        return false;
    }
    let actual = django_pbkdf2_sha256(password, salt, iterations);
    let expected = format!("pbkdf2_sha256${rest}");
    actual.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from the projects that define these formats. Each was also
    // reproduced with the Python libraries applications use (Django 5.1.15, bcrypt 5.0.0,
    // argon2-cffi 25.1.0).

    /// Django's tests/auth_tests/test_hashers.py, test_pbkdf2: make_password("lètmein",
    /// "seasalt", "pbkdf2_sha256") at the iteration count of each Django release.
    const DJANGO_VECTORS: &[(u32, &str)] = &[
        // Django 1.10
        (30_000, "pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY="),
        // Django 5.1, our default
        (870_000, "pbkdf2_sha256$870000$seasalt$wJSpLMQRQz0Dhj/pFpbyjMj71B2gUYp6HJS5AU+32Ac="),
    ];

    /// pyca/bcrypt's tests/test_bcrypt.py `_test_vectors`: the `$2b$` ones it generated
    /// and the OpenBSD/Openwall `$2a$` ones (from crypt_blowfish's wrapper.c).
    const BCRYPT_VECTORS: &[(&[u8], &str)] = &[
        (b"Kk4DQuMMfZL9o", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"),
        (b"9IeRXmnGxMYbs", "$2b$04$pQ7gRO7e6wx/936oXhNjrOUNOHL1D0h1N2IDbJZYs.1ppzSof6SPy"),
        (b"xVQVbwa1S0M8r", "$2b$04$SQe9knOzepOVKoYXo9xTteNYr6MBwVz4tpriJVe3PNgYufGIsgKcW"),
        (b"U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        (b"U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
        (b"U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"),
    ];

    /// The reference implementation's src/test.c (phc-winner-argon2), Argon2id, version
    /// 0x13, password "password", salt "somesalt".
    const ARGON2ID_VECTORS: &[&str] = &[
        "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
        "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
    ];

    #[test]
    fn django_known_answers() {
        for (iterations, expected) in DJANGO_VECTORS {
            assert_eq!(django_pbkdf2_sha256("lètmein", "seasalt", *iterations), *expected);
        }
        // Verify only the cheap one both ways; the encoder above already covers the rest.
        let (_, cheap) = DJANGO_VECTORS[0];
        assert!(verify("lètmein", cheap));
        assert!(!verify("lètmeinz", cheap));
        assert!(!verify("letmein", cheap));
    }

    #[test]
    fn django_rejects_malformed_hashes() {
        let (_, good) = DJANGO_VECTORS[0];
        for bad in [
            "pbkdf2_sha256$30000$seasalt",
            "pbkdf2_sha256$0$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=",
            "pbkdf2_sha256$030000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=",
            "pbkdf2_sha256$x$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=",
            "pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY",
            "pbkdf2_sha1$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=",
        ] {
            assert_ne!(bad, good);
            assert!(!verify("lètmein", bad), "{bad}");
        }
    }

    #[test]
    fn bcrypt_known_answers() {
        for (password, expected) in BCRYPT_VECTORS {
            let password = std::str::from_utf8(password).unwrap();
            assert!(verify(password, expected), "{expected}");
            assert!(!verify(&format!("{password}x"), expected), "{expected}");
            // Hashing with the vector's own salt and cost gives the vector back.
            let parts = bcrypt::hash_with_salt(password, cost_of(expected), salt_of(expected)).unwrap();
            let version = if expected.starts_with("$2a$") { bcrypt::Version::TwoA } else { bcrypt::Version::TwoB };
            assert_eq!(parts.format_for_version(version), *expected);
        }
    }

    fn cost_of(hash: &str) -> u32 {
        hash[4..6].parse().unwrap()
    }

    fn salt_of(hash: &str) -> [u8; 16] {
        // bcrypt's own base64 alphabet, 22 characters for 16 bytes.
        let alphabet = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut bits = 0u32;
        let mut nbits = 0;
        let mut out = Vec::new();
        for c in hash[7..29].bytes() {
            let v = u32::try_from(alphabet.iter().position(|a| *a == c).unwrap()).unwrap();
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                out.push(u8::try_from((bits >> nbits) & 0xff).unwrap());
            }
        }
        out.truncate(16);
        out.try_into().unwrap()
    }

    #[test]
    fn argon2id_known_answers() {
        for expected in ARGON2ID_VECTORS {
            assert!(verify("password", expected), "{expected}");
            assert!(!verify("passwore", expected), "{expected}");
            // Recompute from the vector's parameters and salt, through the same PHC
            // encoder hash_password uses.
            let parsed = PasswordHash::new(expected).unwrap();
            let params = argon2::Params::try_from(&parsed).unwrap();
            let hasher = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let again = hasher.hash_password(b"password", parsed.salt.unwrap()).unwrap();
            assert_eq!(again.to_string(), *expected);
        }
    }

    #[test]
    fn each_format_round_trips() {
        let password = generate_password(DEFAULT_PASSWORD_LENGTH).unwrap();
        let formats = [
            PasswordFormat::Bcrypt { cost: 4 },
            PasswordFormat::Argon2id,
            PasswordFormat::DjangoPbkdf2Sha256 { iterations: 1_000 },
        ];
        for format in formats {
            let hash = hash_password(password.expose(), format).unwrap();
            assert!(verify(password.expose(), &hash), "{format}: {hash}");
            assert!(!verify("not the password", &hash), "{format}: {hash}");
            // A fresh salt each time.
            assert_ne!(hash, hash_password(password.expose(), format).unwrap(), "{format}");
        }
    }

    #[test]
    fn hashes_have_the_applications_layout() {
        let bcrypt = hash_password("correct horse", PasswordFormat::Bcrypt { cost: 4 }).unwrap();
        assert!(bcrypt.starts_with("$2b$04$") && bcrypt.len() == 60, "{bcrypt}");

        let argon = hash_password("correct horse", PasswordFormat::Argon2id).unwrap();
        assert!(argon.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{argon}");

        let django = hash_password("correct horse", PasswordFormat::DjangoPbkdf2Sha256 { iterations: 1_000 }).unwrap();
        let fields: Vec<&str> = django.split('$').collect();
        assert_eq!(fields.len(), 4, "{django}");
        assert_eq!(fields[..2], ["pbkdf2_sha256", "1000"]);
        assert_eq!(fields[2].len(), 22);
        assert!(fields[2].bytes().all(|b| b.is_ascii_alphanumeric()), "{django}");
        assert_eq!(BASE64.decode(fields[3]).unwrap().len(), 32);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        assert_eq!(PasswordFormat::bcrypt(), PasswordFormat::Bcrypt { cost: 12 });
        assert_eq!(PasswordFormat::django_pbkdf2_sha256(), PasswordFormat::DjangoPbkdf2Sha256 { iterations: 870_000 });
        let params = argon2::Params::default();
        assert_eq!((params.m_cost(), params.t_cost(), params.p_cost()), (19_456, 2, 1));
    }

    #[test]
    fn unusable_parameters_are_errors() {
        assert!(matches!(
            hash_password("x", PasswordFormat::Bcrypt { cost: 3 }),
            Err(HardenError::Hash { format: "bcrypt", .. })
        ));
        assert!(matches!(
            hash_password("x", PasswordFormat::DjangoPbkdf2Sha256 { iterations: 0 }),
            Err(HardenError::Hash { .. })
        ));
        // bcrypt only reads 72 bytes; a longer password is refused, not cut short.
        let long = "a".repeat(73);
        let err = hash_password(&long, PasswordFormat::Bcrypt { cost: 4 }).unwrap_err();
        assert!(!err.to_string().contains(&long), "{err}");
    }

    #[test]
    fn unknown_and_garbage_hashes_do_not_verify() {
        for hash in
            ["", "password", "$2b$04$short", "$argon2id$garbage", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"]
        {
            assert!(!verify("password", hash), "{hash}");
        }
    }

    #[test]
    fn generated_passwords_follow_the_rules() {
        let alphabet = PASSWORD_ALPHABET.as_bytes();
        for length in [MIN_PASSWORD_LENGTH, DEFAULT_PASSWORD_LENGTH, 64] {
            for _ in 0..50 {
                let password = generate_password(length).unwrap();
                let p = password.expose();
                assert_eq!(p.len(), length);
                assert!(p.bytes().all(|b| alphabet.contains(&b)), "{p}");
                assert!(follows_password_rules(p), "{p}");
            }
        }
    }

    #[test]
    fn generated_passwords_differ() {
        let passwords: std::collections::HashSet<String> =
            (0..200).map(|_| generate_password(MIN_PASSWORD_LENGTH).unwrap().expose().to_string()).collect();
        assert_eq!(passwords.len(), 200);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(generate_password(15), Err(HardenError::PasswordTooShort { length: 15, minimum: 16 })));
    }

    #[test]
    fn password_alphabet_is_the_classes_together() {
        let joined: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
        assert_eq!(joined, PASSWORD_ALPHABET.as_bytes());
    }
}
