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

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{random_string, HardenError, Secret};

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

/// One piece of the file, with its line ending(s). The file is the concatenation of its
/// entries' `raw` texts.
enum Entry {
    /// A blank line, a comment, or a line that is not an assignment: written back as is.
    Verbatim(String),
    Assignment(Assignment),
}

struct Assignment {
    raw: String,
    key: Range<usize>,
    /// Where the value is in `raw`, quotes included; empty for `KEY=`.
    value: Range<usize>,
}

impl Assignment {
    fn key(&self) -> &str {
        &self.raw[self.key.clone()]
    }

    /// The value as the application sees it: quotes removed, escapes resolved.
    fn value(&self) -> String {
        let text = &self.raw[self.value.clone()];
        match text.chars().next() {
            Some(quote @ ('"' | '\'')) => unescape(&text[1..text.len() - 1], quote),
            _ => text.to_string(),
        }
    }

    /// Put `value` (which needs no quoting or escaping) in place of the old value,
    /// keeping the old value's quotes if it had any.
    fn replace_value(&mut self, value: &str) {
        let old = &self.raw[self.value.clone()];
        let new = match old.chars().next() {
            Some(quote @ ('"' | '\'')) => format!("{quote}{value}{quote}"),
            _ => value.to_string(),
        };
        self.raw.replace_range(self.value.clone(), &new);
        self.value = self.value.start..self.value.start + new.len();
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
    let backup = env.write()?;
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
        let path = self.path.as_path();
        let on_disk = fs::read(path).map_err(|source| HardenError::Read { path: path.to_path_buf(), source })?;
        if on_disk != self.original.as_bytes() {
            return Err(HardenError::ChangedOnDisk { path: path.to_path_buf() });
        }
        let meta = fs::metadata(path).map_err(|source| HardenError::Read { path: path.to_path_buf(), source })?;
        let backup = write_backup(path, &on_disk)?;
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

/// Split `text` into entries. An error is the 1-based line and what is wrong there.
fn parse_entries(text: &str) -> Result<Vec<Entry>, (usize, &'static str)> {
    let mut entries = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while pos < text.len() {
        let end_of_line = line_end(text, pos);
        let content = text[pos..end_of_line].trim_end_matches(['\n', '\r']);
        let Some(head) = assignment_head(content, pos == 0) else {
            entries.push(Entry::Verbatim(text[pos..end_of_line].to_string()));
            line += 1;
            pos = end_of_line;
            continue;
        };
        let after_eq = head.eq + 1;
        let value_start = after_eq + blank_len(&content[after_eq..]);
        let (value, end) = match content[value_start..].chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let close = closing_quote(&text[pos..], value_start + 1, quote)
                    .ok_or((line, "this quoted value is never closed; close the quote, or remove the line"))?;
                (value_start..close + 1, line_end(text, pos + close + 1))
            }
            _ => (unquoted_value(content, after_eq), end_of_line),
        };
        let raw = text[pos..end].to_string();
        line += raw.matches('\n').count();
        entries.push(Entry::Assignment(Assignment { raw, key: head.key, value }));
        pos = end;
    }
    Ok(entries)
}

/// The index just past the `\n` that ends the line starting at `from`, or the text's end.
fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i + 1)
}

fn blank_len(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// Where the key and the `=` are in a line that assigns a variable.
struct Head {
    key: Range<usize>,
    eq: usize,
}

fn assignment_head(line: &str, first_line: bool) -> Option<Head> {
    let bytes = line.as_bytes();
    let mut i = if first_line && line.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    i += blank_len(&line[i..]);
    if line[i..].starts_with("export") && matches!(bytes.get(i + 6), Some(b' ' | b'\t')) {
        i += 6;
        i += blank_len(&line[i..]);
    }
    let key_start = i;
    if !bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
        return None;
    }
    while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
        i += 1;
    }
    let key = key_start..i;
    i += blank_len(&line[i..]);
    (bytes.get(i) == Some(&b'=')).then_some(Head { key, eq: i })
}

/// The index of the quote that closes a value opened just before `from`, skipping
/// backslash escapes; the value may run over several lines.
fn closing_quote(text: &str, from: usize, quote: char) -> Option<usize> {
    let mut chars = text[from..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == quote {
            return Some(from + i);
        }
    }
    None
}

/// An unquoted value runs from after `=` to the line's end or to a `#` that follows a
/// blank, without the blanks around it. An empty value sits right after the `=`.
fn unquoted_value(line: &str, after_eq: usize) -> Range<usize> {
    let rest = &line[after_eq..];
    let comment = rest.char_indices().find(|&(i, c)| c == '#' && rest[..i].ends_with([' ', '\t'])).map(|(i, _)| i);
    let body = &rest[..comment.unwrap_or(rest.len())];
    let trimmed = body.trim_matches([' ', '\t']);
    if trimmed.is_empty() {
        return after_eq..after_eq;
    }
    let start = after_eq + blank_len(body);
    start..start + trimmed.len()
}

/// Resolve the escapes the dotenv libraries resolve inside quotes: in double quotes
/// `\n \r \t \" \\` (others are kept as written), in single quotes only `\'` and `\\`.
fn unescape(inner: &str, quote: char) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match (quote, chars.next()) {
            ('"', Some('n')) => out.push('\n'),
            ('"', Some('r')) => out.push('\r'),
            ('"', Some('t')) => out.push('\t'),
            ('"', Some('"')) | ('\'', Some('\'')) => out.push(quote),
            (_, Some('\\')) => out.push('\\'),
            (_, Some(other)) => {
                out.push('\\');
                out.push(other);
            }
            (_, None) => out.push('\\'),
        }
    }
    out
}

/// Copy `bytes` (the old file) to `<name>.bak-<UTC timestamp>` beside `path`, mode 0600,
/// never overwriting an existing file.
fn write_backup(path: &Path, bytes: &[u8]) -> Result<PathBuf, HardenError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = file_name(path);
    let mut last_error = None;
    for n in 0..100 {
        let suffix = if n == 0 { String::new() } else { format!("-{n}") };
        let backup = path.with_file_name(format!("{name}.bak-{stamp}{suffix}"));
        match create_private(&backup) {
            Ok(mut file) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                written.map_err(|source| HardenError::Write {
                    path: backup.clone(),
                    action: "write the backup of the env file",
                    source,
                })?;
                return Ok(backup);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some((backup, e)),
            Err(source) => {
                return Err(HardenError::Write { path: backup, action: "create the backup of the env file", source })
            }
        }
    }
    let (path, source) = last_error.unwrap_or_else(|| (path.to_path_buf(), io::ErrorKind::AlreadyExists.into()));
    Err(HardenError::Write { path, action: "create the backup of the env file (too many backups this second)", source })
}

/// Replace `path` with `bytes`: write a temporary file in the same directory (mode 0600,
/// the old file's owner and group), flush it to disk, rename it over `path`, then flush
/// the directory.
fn replace_atomically(path: &Path, bytes: &[u8], old: &fs::Metadata) -> Result<(), HardenError> {
    let write_error = |action| move |source| HardenError::Write { path: path.to_path_buf(), action, source };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp =
        tempfile::Builder::new().prefix(&format!("{}.tmp-", file_name(path))).tempfile_in(dir).map_err(|source| {
            HardenError::Write {
                path: dir.to_path_buf(),
                action: "create a temporary file in the env file's directory",
                source,
            }
        })?;
    keep_owner(temp.as_file(), old)
        .map_err(write_error("give the new file the old one's owner (run as that user or as root)"))?;
    make_private(temp.as_file()).map_err(write_error("make the new file readable by its owner only"))?;
    temp.write_all(bytes).map_err(write_error("write the new env file"))?;
    temp.as_file().sync_all().map_err(write_error("flush the new env file to disk"))?;
    temp.persist(path).map_err(|e| write_error("replace the env file")(e.error))?;
    // The rename is done; a directory that cannot be flushed only weakens durability
    // across a power cut, so it is worth a warning, not an error that hides the rotation.
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        log::warn!("{}: could not flush the directory after replacing the env file: {e}", dir.display());
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| ".env".to_string(), |name| name.to_string_lossy().into_owned())
}

/// A new file at `path`, mode 0600; fails if something is already there.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    // The mode given at creation is filtered by the umask; set it again to be sure.
    make_private(&file)?;
    Ok(file)
}

#[cfg(unix)]
fn make_private(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(_file: &File) -> io::Result<()> {
    Ok(())
}

/// The application reads its env file as the user it runs as: when root rotates a file
/// that belongs to that user, the new file must belong to it too.
#[cfg(unix)]
fn keep_owner(file: &File, old: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let new = file.metadata()?;
    if (new.uid(), new.gid()) == (old.uid(), old.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()))
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _old: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

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

#[cfg(test)]
mod tests {
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
            rotate_secrets(&path, &["SECRET_KEY", "SESSION_SECRET", "API_TOKEN", "EMPTY"], DEFAULT_SECRET_LENGTH)
                .unwrap();
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
}
