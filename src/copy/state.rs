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
    /// The table's name in the target (absent in state files of earlier versions: then
    /// the source name, which it is unless cutover.toml renamed or shortened it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_table: Option<String>,
}

impl TableState {
    /// A table not started yet.
    pub fn pending(target_table: &str, created_by_cutover: bool) -> TableState {
        TableState {
            status: TableStatus::Pending,
            rows_read: 0,
            rows_written: 0,
            rows_rejected: 0,
            created_by_cutover,
            target_table: Some(target_table.to_string()),
        }
    }
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
    /// Every post-load statement (indexes, FKs, resets, checks, views) before this index
    /// has run (state files of earlier versions record progress only this way).
    pub post_load_next: usize,
    /// The post-load statements that have run, by index in the plan's order after the data
    /// (they run out of order: a table's indexes as soon as its data is committed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_load_done: Vec<usize>,
    /// The views cutover created, by target name, in the order it created them: each is
    /// listed just before its `CREATE VIEW` runs and struck off if that fails (a view of
    /// the same name was there already, say). `--restart` drops these and no other view.
    /// Absent in state files of earlier versions, which do not say: then `--restart`
    /// drops every view of the plan that exists, as those versions did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_views: Option<Vec<String>>,
    pub finished: bool,
    /// `strict` or `reject` (`--on-error`); absent in state files of earlier versions.
    /// verify expects the rows a reject-mode run set aside for a foreign key to be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<String>,
    pub tables: BTreeMap<String, TableState>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot read the state file: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: cannot write the state file: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Remove temporary files that a run killed between writing and renaming left next to
/// `path` (`.cutover-state*` beside the state file): nothing reads them, and the rename
/// they were waiting for never happened.
pub fn remove_stale_temporaries(path: &Path) {
    remove_temporaries_beside(path, TEMP_PREFIX);
}

/// Temporary files with this prefix in the directory of `path`, older than a minute (a
/// second cutover writing beside it at this moment keeps its own).
pub fn remove_temporaries_beside(path: &Path, prefix: &str) {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(prefix) || name == prefix {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() >= 60);
        if old && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

const TEMP_PREFIX: &str = ".cutover-state";

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl State {
    /// Whether post-load statement `i` is recorded as run.
    pub fn post_load_ran(&self, i: usize) -> bool {
        i < self.post_load_next || self.post_load_done.binary_search(&i).is_ok()
    }

    /// Record post-load statement `i` as run.
    pub fn record_post_load(&mut self, i: usize) {
        if let Err(at) = self.post_load_done.binary_search(&i) {
            self.post_load_done.insert(at, i);
        }
    }

    /// List view `name` as created by cutover (nothing when the state file is of an
    /// earlier version, which keeps no such list).
    pub fn record_view(&mut self, name: &str) {
        if let Some(views) = self.created_views.as_mut().filter(|v| !v.iter().any(|n| n == name)) {
            views.push(name.to_string());
        }
    }

    /// Strike view `name` off the views cutover created: its `CREATE VIEW` failed.
    pub fn forget_view(&mut self, name: &str) {
        if let Some(views) = self.created_views.as_mut() {
            views.retain(|n| n != name);
        }
    }

    /// Whether any post-load statement ran (views of the plan may exist).
    pub fn post_load_started(&self) -> bool {
        self.post_load_next > 0 || !self.post_load_done.is_empty()
    }

    /// The target names of the tables cutover created in this run (create mode), by source name.
    pub fn created_tables(&self) -> Vec<(String, String)> {
        self.tables
            .iter()
            .filter(|(_, t)| t.created_by_cutover)
            .map(|(source, t)| (source.clone(), t.target_table.clone().unwrap_or_else(|| source.clone())))
            .collect()
    }

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
        crate::workspace::create_parent(path).map_err(err)?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(dir).map_err(err)?;
        tmp.write_all(text.as_bytes()).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        crate::fault!("state::before_rename");
        tmp.persist(path).map_err(|e| err(e.error))?;
        crate::fault!("state::after_rename");
        Ok(())
    }
}
