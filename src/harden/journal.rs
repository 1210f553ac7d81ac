//! The hardening journal: for every run of `cutover harden`, what each step changed and
//! the values before, so that `harden --undo RUN_ID` restores them exactly. One JSON
//! file (default `.cutover/<target>/journal.json`), written atomically before and after every
//! step (and before each change that commits on its own), mode 0600. It never holds a
//! password, a password hash or a secret: rows are named by their primary key, env
//! files by the path of their backup.

use std::io::Write;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Journal {
    pub runs: Vec<Run>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Run {
    /// `h20261202T150405Z-1a2b`: the id `--undo` takes.
    pub run_id: String,
    /// The target, password redacted.
    pub target: String,
    pub started_at: String,
    pub finished: bool,
    /// Set when `--undo` took this run back.
    pub undone_at: Option<String>,
    pub steps: Vec<StepRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StepRecord {
    pub title: String,
    pub kind: String,
    pub changes: Vec<Change>,
    /// Set once `--undo` has taken this step back (an interrupted undo resumes after it).
    #[serde(default)]
    pub undone: bool,
    /// Set while the step is applied: each change is journaled before it is made (a file,
    /// DDL that commits as it runs) and the whole step before its COMMIT, so a run stopped
    /// at any moment has recorded everything it may have changed. Cleared once the step
    /// committed. `--undo` takes such a step back as far as the target holds it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

/// One change, with what `--undo` needs to take it back.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Columns set on rows named by their primary key; `before` is each row's old values
    /// as text (None for NULL), in `columns` order.
    RowsUpdated {
        table: String,
        key_columns: Vec<String>,
        columns: Vec<String>,
        rows: Vec<RowBefore>,
    },
    /// A row inserted; undo deletes the row whose `column` is `value`.
    RowInserted {
        table: String,
        column: String,
        value: String,
        password_file: Option<PathBuf>,
    },
    /// The env file was replaced; `backup` holds the old bytes. `path` is the real file
    /// (absolute, symbolic links resolved); `mode` its permission bits before.
    EnvReplaced {
        path: PathBuf,
        backup: PathBuf,
        #[serde(default)]
        mode: Option<u32>,
    },
    /// The env file did not exist and was created.
    EnvCreated {
        path: PathBuf,
    },
    ColumnAdded {
        table: String,
        column: String,
    },
    IndexCreated {
        table: String,
        index: String,
    },
    /// MariaDB dropped an index of its own when a new one could serve a foreign key
    /// instead; undo creates it again before dropping the new one.
    IndexReplaced {
        table: String,
        index: String,
        columns: Vec<String>,
    },
    ExtensionCreated {
        extension: String,
    },
    /// A `sql` step ran; `undo` is the profile's undo SQL (None: cannot be undone).
    SqlApplied {
        undo: Option<String>,
    },
    /// What the secret signed in these tables was revoked in this run's target while the
    /// env file held the secret with this fingerprint (`secret_fingerprint`: a hash, never
    /// the value). Harden and the gate compare it with the current secret's.
    SessionsRevoked {
        tables: Vec<String>,
        secret_fingerprint: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RowBefore {
    pub key: Vec<String>,
    pub before: Vec<Option<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: cannot read the journal: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: cannot write the journal: {reason}")]
    Write { path: PathBuf, reason: String },
}

impl Journal {
    /// The journal at `path`, or an empty one when the file does not exist yet.
    pub fn load(path: &Path) -> Result<Journal, JournalError> {
        // A run killed between writing the temporary file and renaming it left it behind.
        crate::copy::state::remove_temporaries_beside(path, ".cutover-journal");
        if !path.exists() {
            return Ok(Journal::default());
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| JournalError::Read { path: path.into(), reason: e.to_string() })?;
        serde_json::from_str(&text).map_err(|e| JournalError::Read { path: path.into(), reason: e.to_string() })
    }

    /// Write atomically (temporary file in the same folder, fsync, rename), mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), JournalError> {
        let err = |e: std::io::Error| JournalError::Write { path: path.into(), reason: e.to_string() };
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| JournalError::Write { path: path.into(), reason: e.to_string() })?;
        crate::workspace::create_parent(path).map_err(err)?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new().prefix(".cutover-journal").tempfile_in(dir).map_err(err)?;
        tmp.write_all(text.as_bytes()).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        crate::fault!("journal::before_rename");
        tmp.persist(path).map_err(|e| err(e.error))?;
        crate::fault!("journal::after_rename");
        Ok(())
    }

    /// Password files that a step stopped before its COMMIT was confirmed may have written
    /// (runs not undone): the admin they were for may not exist.
    pub fn unconfirmed_password_files(&self) -> Vec<&Path> {
        self.runs
            .iter()
            .filter(|r| r.undone_at.is_none())
            .flat_map(|r| r.steps.iter().filter(|s| s.unconfirmed && !s.undone))
            .flat_map(|s| s.changes.iter())
            .filter_map(|c| match c {
                Change::RowInserted { password_file: Some(p), .. } => Some(p.as_path()),
                _ => None,
            })
            .collect()
    }

    pub fn run_mut(&mut self, run_id: &str) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.run_id == run_id)
    }

    /// The fingerprint of the secret under which sessions in `target` (the URL as
    /// `Display` shows it, password hidden) were last revoked, by a step not undone since.
    pub fn revoked_under(&self, target: &str) -> Option<&str> {
        self.runs
            .iter()
            .filter(|r| crate::target::url::same_target(&r.target, target) && r.undone_at.is_none())
            // A step stopped before its COMMIT was confirmed may not have revoked anything.
            .flat_map(|r| r.steps.iter().filter(|s| !s.undone && !s.unconfirmed))
            .flat_map(|s| s.changes.iter())
            .filter_map(|c| match c {
                Change::SessionsRevoked { secret_fingerprint, .. } => Some(secret_fingerprint.as_str()),
                _ => None,
            })
            .next_back()
    }
}

/// A fingerprint of the values of `keys` in an env file: SHA-256 over the key names and
/// values, cut to 16 hex digits. It says whether the secret changed, and cannot give the
/// secret back (the values are random and long once rotated).
pub fn secret_fingerprint(env: &super::EnvFile, keys: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"cutover secret fingerprint v1\0");
    for k in keys {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(env.get(k).unwrap_or_default().as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A new run id: the UTC time and four random hex digits.
pub fn new_run_id() -> String {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    format!("h{}-{:02x}{:02x}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ"), b[0], b[1])
}
