//! The env file's promises, each a test: every other byte kept, backups and private
//! modes, CRLF, symlinks, owners, a file changed underneath, values never shown, and
//! which values are weak.

use std::collections::BTreeSet;

use super::*;

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt as _;

const SAMPLE: &str = "# Application settings\n\
    \n\
    DEBUG=false\n\
    export SECRET_KEY='django-insecure-abc123'   # rotate me\n\
    DATABASE_URL=postgres://app@localhost/app\n\
    \t # indented comment\n\
    API_TOKEN = \"old \\\"quoted\\\" token\"\n\
    EMPTY=\n\
    MULTI=\"line one\n\
    line two\"\n\
    not an assignment\n\
    SESSION_SECRET=changeme # inline comment\n";

fn write_env(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn parse(text: &str) -> EnvFile {
    EnvFile::parse(PathBuf::from(".env"), text.to_string()).unwrap()
}

#[test]
fn parse_reads_keys_and_values_like_dotenv() {
    let env = parse(SAMPLE);
    let keys: Vec<&str> = env.keys().collect();
    assert_eq!(keys, ["DEBUG", "SECRET_KEY", "DATABASE_URL", "API_TOKEN", "EMPTY", "MULTI", "SESSION_SECRET"]);
    assert_eq!(env.get("DEBUG").as_deref(), Some("false"));
    assert_eq!(env.get("SECRET_KEY").as_deref(), Some("django-insecure-abc123"));
    assert_eq!(env.get("DATABASE_URL").as_deref(), Some("postgres://app@localhost/app"));
    assert_eq!(env.get("API_TOKEN").as_deref(), Some("old \"quoted\" token"));
    assert_eq!(env.get("EMPTY").as_deref(), Some(""));
    assert_eq!(env.get("MULTI").as_deref(), Some("line one\nline two"));
    assert_eq!(env.get("SESSION_SECRET").as_deref(), Some("changeme"));
    assert_eq!(env.get("MISSING"), None);
    assert_eq!(env.render(), SAMPLE);
}

#[test]
fn parse_edge_cases() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("K=a#b\n", "K", Some("a#b")),
        ("K= #only a comment\n", "K", Some("")),
        ("K=  spaced out  \n", "K", Some("spaced out")),
        ("K='it''s'\n", "K", Some("it")),
        ("K='a\\'b'\n", "K", Some("a'b")),
        ("K=\"a\\nb\\$c\"\n", "K", Some("a\nb\\$c")),
        ("\u{feff}K=bom\n", "K", Some("bom")),
        ("export=1\n", "export", Some("1")),
        ("export K\n", "K", None),
        ("K=1\nK=2\n", "K", Some("2")),
        ("K=last line without newline", "K", Some("last line without newline")),
        ("K=crlf\r\n", "K", Some("crlf")),
        ("1K=digit first\n", "1K", None),
    ];
    for (text, key, value) in cases {
        let env = parse(text);
        assert_eq!(env.get(key).as_deref(), *value, "{text:?}");
        assert_eq!(env.render(), *text);
    }
}

#[test]
fn an_unclosed_quote_is_an_error_with_its_line() {
    let err = EnvFile::parse(PathBuf::from("/app/.env"), "A=1\nB=\"open\nC=3\n".to_string()).unwrap_err();
    assert!(matches!(err, HardenError::Syntax { line: 2, .. }), "{err}");
    assert!(err.to_string().starts_with("/app/.env:2: "), "{err}");
}

#[test]
fn rotation_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", SAMPLE);
    let rotation =
        rotate_secrets(&path, &["SECRET_KEY", "SESSION_SECRET", "API_TOKEN", "EMPTY"], DEFAULT_SECRET_LENGTH).unwrap();
    assert!(rotation.changes.iter().all(|(_, change)| *change == KeyChange::Replaced));

    let new = fs::read_to_string(&path).unwrap();
    let env = parse(&new);
    let secret = |key| env.get(key).unwrap();
    for key in ["SECRET_KEY", "SESSION_SECRET", "API_TOKEN", "EMPTY"] {
        assert_eq!(secret(key).len(), DEFAULT_SECRET_LENGTH, "{key}");
        assert_eq!(weakness(&secret(key), &[]), None, "{key}");
    }
    // Put the old values back where the new ones are: the result is the old file.
    let restored = new
        .replace(&format!("'{}'", secret("SECRET_KEY")), "'django-insecure-abc123'")
        .replace(&format!("\"{}\"", secret("API_TOKEN")), "\"old \\\"quoted\\\" token\"")
        .replace(&format!("EMPTY={}", secret("EMPTY")), "EMPTY=")
        .replace(&secret("SESSION_SECRET"), "changeme");
    assert_eq!(restored, SAMPLE);
}

#[test]
fn backup_is_the_old_file_and_both_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", SAMPLE);
    #[cfg(unix)]
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

    let rotation = rotate_secrets(&path, &["SECRET_KEY"], DEFAULT_SECRET_LENGTH).unwrap();
    assert_eq!(rotation.path, fs::canonicalize(&path).unwrap());
    assert_eq!(rotation.backup.parent(), rotation.path.parent());
    let backup_name = rotation.backup.file_name().unwrap().to_str().unwrap();
    assert!(backup_name.starts_with(".env.bak-") && backup_name.ends_with('Z'), "{backup_name}");
    assert_eq!(fs::read(&rotation.backup).unwrap(), SAMPLE.as_bytes());
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&rotation.backup), 0o600);
    }
    // Nothing else is left in the directory: no temporary file.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn two_rotations_in_the_same_second_keep_both_backups() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), "app.env", "A=1\n");
    let first = rotate_secrets(&path, &["A"], 32).unwrap();
    let second = rotate_secrets(&path, &["A"], 32).unwrap();
    assert_ne!(first.backup, second.backup);
    assert_eq!(fs::read_to_string(&first.backup).unwrap(), "A=1\n");
    assert_eq!(fs::read(&second.backup).unwrap().len(), "A=\n".len() + 32);
}

#[test]
fn crlf_files_stay_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# comment\r\nA=old\r\n\r\nB=\"kept\"\r\n";
    let path = write_env(dir.path(), ".env", text);
    rotate_secrets(&path, &["A", "NEW_KEY"], 40).unwrap();
    let new = fs::read_to_string(&path).unwrap();
    assert_eq!(new.matches("\r\n").count(), new.matches('\n').count(), "{new:?}");
    assert!(new.starts_with("# comment\r\nA="), "{new:?}");
    assert!(new.contains("\r\n\r\nB=\"kept\"\r\nNEW_KEY="), "{new:?}");
    assert!(new.ends_with("\r\n"));
    assert_eq!(parse(&new).get("A").unwrap().len(), 40);
}

#[test]
fn a_missing_key_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", "A=1\n# last comment, no newline");
    let rotation = rotate_secrets(&path, &["APP_KEY", "APP_KEY"], DEFAULT_SECRET_LENGTH).unwrap();
    assert_eq!(rotation.changes, [("APP_KEY".to_string(), KeyChange::Added)]);
    let new = fs::read_to_string(&path).unwrap();
    let env = parse(&new);
    let value = env.get("APP_KEY").unwrap();
    assert_eq!(new, format!("A=1\n# last comment, no newline\nAPP_KEY={value}\n"));
    assert!(value.bytes().all(|b| SECRET_ALPHABET.as_bytes().contains(&b)));
}

#[test]
fn a_key_assigned_twice_gets_the_same_new_value_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", "K=one\nOTHER=x\nexport K=two\n");
    rotate_secrets(&path, &["K"], 32).unwrap();
    let new = fs::read_to_string(&path).unwrap();
    let value = parse(&new).get("K").unwrap();
    assert_eq!(new, format!("K={value}\nOTHER=x\nexport K={value}\n"));
}

#[cfg(unix)]
#[test]
fn a_symlinked_env_file_is_rotated_through_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = write_env(dir.path(), "real.env", "K=old\n");
    let link = dir.path().join(".env");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    rotate_secrets(&link, &["K"], 32).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_ne!(fs::read_to_string(&real).unwrap(), "K=old\n");
}

#[cfg(unix)]
#[test]
fn root_rotating_an_app_users_file_keeps_its_owner() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", "K=old\n");
    if fs::metadata(&path).unwrap().uid() != 0 {
        return; // only root can hand a file to another user
    }
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    let rotation = rotate_secrets(&path, &["K"], 32).unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    assert_eq!(fs::metadata(&rotation.backup).unwrap().uid(), 0);
}

#[test]
fn a_file_changed_since_it_was_read_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", "K=old\n");
    let mut env = EnvFile::read(&path).unwrap();
    env.set("K", &generate_secret(32).unwrap());
    fs::write(&path, "K=edited meanwhile\n").unwrap();
    assert!(matches!(env.write(), Err(HardenError::ChangedOnDisk { .. })));
    assert_eq!(fs::read_to_string(&path).unwrap(), "K=edited meanwhile\n");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn bad_requests_are_refused_before_touching_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", "K=old\n");
    assert!(matches!(rotate_secrets(&path, &["K"], 31), Err(HardenError::SecretTooShort { .. })));
    for key in ["", "1K", "K=V", "K V", "K\n", "K.DOT"] {
        assert!(matches!(rotate_secrets(&path, &[key], 32), Err(HardenError::BadKey { .. })), "{key:?}");
    }
    let missing = dir.path().join("missing.env");
    let err = rotate_secrets(&missing, &["K"], 32).unwrap_err();
    assert!(err.to_string().contains("missing.env"), "{err}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn nothing_shows_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_env(dir.path(), ".env", "K=old-secret-value\n");
    let env = EnvFile::read(&path).unwrap();
    assert!(!format!("{env:?}").contains("old-secret-value"));
    let rotation = rotate_secrets(&path, &["K"], 32).unwrap();
    let new = EnvFile::read(&path).unwrap().get("K").unwrap();
    assert!(!format!("{rotation:?}").contains(&new));
    let secret = generate_secret(32).unwrap();
    assert!(!format!("{secret:?}").contains(secret.expose()));
}

#[test]
fn weak_values_are_named() {
    let weak: &[(&str, &str)] = &[
        ("", "empty"),
        ("   ", "empty"),
        ("changeme", "default"),
        ("SECRET", "default"),
        ("dev", "default"),
        ("test", "default"),
        ("your-secret-key", "default"),
        ("django-insecure-7x!q0l@8z#k2m$w5v^r9t&y3u*i6o(p1a)s4d-f7g+h0j", "placeholder"),
        ("please-change-me-before-going-to-production-0123456789", "placeholder"),
        ("Short1-Value_9", "shorter"),
        ("abababababababababababababababababababab", "fewer than 8"),
        ("abcdefgh1abcdefgh2abcdefgh3abcdefgh4abcdefgh5", "pattern"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "runs"),
        ("zyxwvutsrqponmlkjihgfedcba9876543210", "runs"),
        ("aaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbcdefgh", "pattern"),
        ("cacaaacaaaaccaaacaaaacaaaaccaa059372", "predictable"),
    ];
    for (value, why) in weak {
        let found = weakness(value, &[]);
        assert!(found.is_some_and(|w| w.contains(why)), "{value:?}: {found:?}, expected {why:?}");
    }
}

#[test]
fn values_from_the_sample_env_are_weak() {
    let sample_value = "9f2c1e7b4a6d8c0e3f5a7b9d1c3e5f7a9b1d3f5e";
    assert_eq!(weakness(sample_value, &[]), None);
    assert!(weakness(sample_value, &["", sample_value]).is_some_and(|w| w.contains("public")));
    assert_eq!(weakness(sample_value, &[""]), None);
}

#[test]
fn strong_values_pass() {
    for value in [
        "9f2c1e7b4a6d8c0e3f5a7b9d1c3e5f7a", // 32 hex digits, 128 bits
        "q8Zr_5LmT2vX-9wYk3Nc7Hd1Jf6Gs4Pb", // 32 base64url characters
        "Vj3k9QeW1xR7mT5yU2iO8pA4sD6fG0hJ-_lKzXcBnM1qW3eR5tY7uI9oP0aS", // 60 characters
    ] {
        assert_eq!(weakness(value, &[]), None, "{value}");
    }
    for length in [MIN_SECRET_LENGTH, DEFAULT_SECRET_LENGTH, 128] {
        for _ in 0..200 {
            let secret = generate_secret(length).unwrap();
            assert_eq!(weakness(secret.expose(), &[]), None, "{secret:?}");
        }
    }
}

#[test]
fn generated_secrets_use_the_url_safe_alphabet_and_differ() {
    let secrets: BTreeSet<String> =
        (0..100).map(|_| generate_secret(DEFAULT_SECRET_LENGTH).unwrap().expose().to_string()).collect();
    assert_eq!(secrets.len(), 100);
    for secret in &secrets {
        assert_eq!(secret.len(), DEFAULT_SECRET_LENGTH);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{secret}");
    }
    assert!(matches!(generate_secret(31), Err(HardenError::SecretTooShort { length: 31, minimum: 32 })));
}
