//! The application's env file (`.env`): rotating the secrets in it and judging whether a
//! secret is weak.
//!
//! Applications handed over for go-live often still run on the secret key from their
//! sample env or a tutorial. `harden` replaces those values with fresh random ones, and
//! must leave everything else in the file exactly as it was: other values, comments,
//! blank lines, `export ` prefixes, quoting and line endings are kept byte for byte. The
//! new file replaces the old one atomically (a crash leaves either the old file or the
//! new one, never half of one), readable by its owner only, and a backup of the old file
//! is written first so the change can be undone.
//!
//! The syntax understood is the common one of python-dotenv, dotenvy, Node's dotenv and
//! Docker Compose: `KEY=value`, optionally `export KEY=value`, spaces around `=`, values
//! unquoted (a ` #` starts a comment), in single or in double quotes (which may span
//! lines, with backslash escapes). Lines that are none of these are kept and otherwise
//! ignored.
//!
//! The file's syntax is `syntax`, putting the new file in place is `replace`, judging a
//! secret is `weak`; this file holds the env file and what a rotation does to it.

mod replace;
mod syntax;
#[cfg(test)]
mod tests;
mod weak;

use std::fs;
use std::path::{Path, PathBuf};

use super::{random_string, HardenError, Secret};
use replace::{replace_atomically, write_backup};
use syntax::{parse_entries, Assignment, Entry};
pub use weak::weakness;

/// Length of a rotated secret unless the caller asks for another (384 bits).
pub const DEFAULT_SECRET_LENGTH: usize = 64;
/// Secrets shorter than this are weak, and none is generated shorter.
pub const MIN_SECRET_LENGTH: usize = 32;
/// The alphabet of generated secrets: URL- and filename-safe base64's, so a secret needs
/// no quoting in an env file, a shell, a URL or a YAML file.
pub const SECRET_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A parsed env file that remembers every byte it was read from.
pub struct EnvFile {
    path: PathBuf,
    original: String,
    entries: Vec<Entry>,
    newline: &'static str,
}

/// Only the path and the key names: the values are what the file is there to protect.
impl std::fmt::Debug for EnvFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvFile").field("path", &self.path).field("keys", &self.keys().collect::<Vec<_>>()).finish()
    }
}

/// What rotating one key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// The key was in the file; its value (every occurrence of it) was replaced.
    Replaced,
    /// The key was not in the file and was appended at its end.
    Added,
}

/// What [`rotate_secrets`] did. Holds key names and paths, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The env file that was rewritten (symbolic links resolved).
    pub path: PathBuf,
    /// The copy of the file as it was before, in the same directory, mode 0600.
    pub backup: PathBuf,
    /// Each key asked for, once, in the order asked, with what happened to it.
    pub changes: Vec<(String, KeyChange)>,
}

impl Rotation {
    /// The keys whose values changed: all of those asked for.
    pub fn changed_keys(&self) -> impl Iterator<Item = &str> {
        self.changes.iter().map(|(key, _)| key.as_str())
    }
}

/// Give each of `keys` in the env file at `path` a new random value of `length`
/// characters from [`SECRET_ALPHABET`] (at least [`MIN_SECRET_LENGTH`]; callers without a
/// preference pass [`DEFAULT_SECRET_LENGTH`]), appending keys that are missing. The old
/// file is first copied to a backup next to it, then replaced atomically.
pub fn rotate_secrets(path: &Path, keys: &[&str], length: usize) -> Result<Rotation, HardenError> {
    rotate_secrets_then(path, keys, length, |_, _| Ok(()))
}

/// As [`rotate_secrets`], calling `before_replace(file, backup)` once the backup is
/// written and before the file is replaced: a caller that journals the rotation records
/// it there, so that no stop between the two leaves a rotation nobody can undo.
pub fn rotate_secrets_then(
    path: &Path,
    keys: &[&str],
    length: usize,
    before_replace: impl FnOnce(&Path, &Path) -> Result<(), HardenError>,
) -> Result<Rotation, HardenError> {
    if length < MIN_SECRET_LENGTH {
        return Err(HardenError::SecretTooShort { length, minimum: MIN_SECRET_LENGTH });
    }
    if let Some(bad) = keys.iter().find(|key| !is_writable_key(key)) {
        return Err(HardenError::BadKey { key: (*bad).to_string() });
    }
    let mut env = EnvFile::read(path)?;
    let mut changes: Vec<(String, KeyChange)> = Vec::new();
    for key in keys {
        if changes.iter().any(|(done, _)| done == key) {
            continue;
        }
        let secret = generate_secret(length)?;
        changes.push((key.to_string(), env.set(key, &secret)));
    }
    let backup = env.write_then(before_replace)?;
    Ok(Rotation { path: env.path, backup, changes })
}

/// A new random secret of `length` characters from [`SECRET_ALPHABET`].
pub fn generate_secret(length: usize) -> Result<Secret, HardenError> {
    if length < MIN_SECRET_LENGTH {
        return Err(HardenError::SecretTooShort { length, minimum: MIN_SECRET_LENGTH });
    }
    Ok(Secret(random_string(SECRET_ALPHABET.as_bytes(), length)?))
}

/// A key cutover may write: a portable shell variable name.
fn is_writable_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl EnvFile {
    /// Read and parse the env file at `path`, following symbolic links to the real file
    /// (the one that will be replaced).
    pub fn read(path: &Path) -> Result<EnvFile, HardenError> {
        let read_error = |source| HardenError::Read { path: path.to_path_buf(), source };
        let path = fs::canonicalize(path).map_err(read_error)?;
        let bytes = fs::read(&path).map_err(read_error)?;
        let text = String::from_utf8(bytes).map_err(|_| HardenError::NotUtf8 { path: path.clone() })?;
        EnvFile::parse(path, text)
    }

    /// Parse `text`; `path` is where it came from and where [`EnvFile::write`] puts it.
    pub fn parse(path: PathBuf, text: String) -> Result<EnvFile, HardenError> {
        let entries = parse_entries(&text).map_err(|(line, message)| HardenError::Syntax {
            path: path.clone(),
            line,
            message,
        })?;
        let newline = match text.find('\n') {
            Some(i) if text[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        Ok(EnvFile { path, original: text, entries, newline })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keys assigned in the file, in file order (a key assigned twice comes twice).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.assignments().map(Assignment::key)
    }

    /// The value `key` has for the application: that of its last assignment, as the
    /// dotenv libraries read it, with quotes removed and escapes resolved.
    pub fn get(&self, key: &str) -> Option<String> {
        self.assignments().filter(|a| a.key() == key).last().map(Assignment::value)
    }

    /// The file's text as it is now: the text read, with the changes made since.
    pub fn render(&self) -> String {
        self.entries
            .iter()
            .map(|entry| match entry {
                Entry::Verbatim(raw) => raw.as_str(),
                Entry::Assignment(a) => a.raw.as_str(),
            })
            .collect()
    }

    /// Give `key` the value `secret` everywhere it is assigned, or append it at the end.
    /// The secret must be one of ours: it is written unquoted (or inside the old value's
    /// quotes) without escaping.
    fn set(&mut self, key: &str, secret: &Secret) -> KeyChange {
        let value = secret.expose();
        debug_assert!(value.bytes().all(|b| SECRET_ALPHABET.as_bytes().contains(&b)));
        let mut found = false;
        for entry in &mut self.entries {
            if let Entry::Assignment(a) = entry {
                if a.key() == key {
                    a.replace_value(value);
                    found = true;
                }
            }
        }
        if found {
            return KeyChange::Replaced;
        }
        self.append(key, value);
        KeyChange::Added
    }

    fn append(&mut self, key: &str, value: &str) {
        let newline = self.newline;
        // A last line without a line ending gets one, so the new line is a line of its own.
        match self.entries.last_mut() {
            Some(Entry::Verbatim(raw)) if !raw.ends_with('\n') => raw.push_str(newline),
            Some(Entry::Assignment(a)) if !a.raw.ends_with('\n') => a.raw.push_str(newline),
            _ => {}
        }
        let raw = format!("{key}={value}{newline}");
        let key_range = 0..key.len();
        let value_range = key.len() + 1..key.len() + 1 + value.len();
        self.entries.push(Entry::Assignment(Assignment { raw, key: key_range, value: value_range }));
    }

    /// Write a backup of the file as it is on disk, then replace the file atomically with
    /// [`EnvFile::render`]. Returns the backup's path. Refuses, writing nothing, when the
    /// file on disk is no longer the text that was read.
    pub fn write(&self) -> Result<PathBuf, HardenError> {
        self.write_then(|_, _| Ok(()))
    }

    /// As [`EnvFile::write`], calling `before_replace(file, backup)` between the backup
    /// and the replacement.
    pub fn write_then(
        &self,
        before_replace: impl FnOnce(&Path, &Path) -> Result<(), HardenError>,
    ) -> Result<PathBuf, HardenError> {
        let path = self.path.as_path();
        let on_disk = fs::read(path).map_err(|source| HardenError::Read { path: path.to_path_buf(), source })?;
        if on_disk != self.original.as_bytes() {
            return Err(HardenError::ChangedOnDisk { path: path.to_path_buf() });
        }
        let meta = fs::metadata(path).map_err(|source| HardenError::Read { path: path.to_path_buf(), source })?;
        let backup = write_backup(path, &on_disk)?;
        before_replace(path, &backup)?;
        replace_atomically(path, self.render().as_bytes(), &meta)?;
        Ok(backup)
    }

    fn assignments(&self) -> impl Iterator<Item = &Assignment> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Assignment(a) => Some(a),
            Entry::Verbatim(_) => None,
        })
    }
}
