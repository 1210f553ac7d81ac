//! The state file: the record of one switch, written after every table so that a run
//! killed at any moment can be resumed (`--resume`). It holds the source fingerprint,
//! the redacted target, and each table's status and counts. Written atomically
//! (temporary file, fsync, rename), readable by its owner only.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    /// Not started, or started and not committed: redone on resume.
    Pending,
    /// Committed with its count checked.
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TableState {
    pub status: TableStatus,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    /// True when cutover created this table (create mode): only such tables are ever emptied on resume.
    pub created_by_cutover: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct State {
    pub version: u32,
    pub source: String,
    pub source_fingerprint: String,
    /// The target URL with its password replaced by ***.
    pub target: String,
    pub schema_mode: String,
    pub started_at: String,
    pub updated_at: String,
    /// Whether the run's connections to the target were encrypted (TLS); null for a file.
    #[serde(default)]
    pub connection_encrypted: Option<bool>,
    /// Index of the first post-load statement (indexes, FKs, resets, views) not yet run.
    pub post_load_next: usize,
    pub finished: bool,
    pub tables: BTreeMap<String, TableState>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot read the state file: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: cannot write the state file: {reason}")]
    Write { path: PathBuf, reason: String },
}

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl State {
    pub fn load(path: &Path) -> Result<State, StateError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| StateError::Read { path: path.into(), reason: e.to_string() })?;
        serde_json::from_str(&text).map_err(|e| StateError::Read { path: path.into(), reason: e.to_string() })
    }

    pub fn save(&mut self, path: &Path) -> Result<(), StateError> {
        self.updated_at = now();
        let err = |e: std::io::Error| StateError::Write { path: path.into(), reason: e.to_string() };
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| StateError::Write { path: path.into(), reason: e.to_string() })?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new().prefix(".cutover-state").tempfile_in(dir).map_err(err)?;
        tmp.write_all(text.as_bytes()).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        crate::fault!("state::before_rename");
        tmp.persist(path).map_err(|e| err(e.error))?;
        crate::fault!("state::after_rename");
        Ok(())
    }
}
