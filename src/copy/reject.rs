//! The reject file (`--on-error reject`): one JSON line per row that did not convert,
//! written 0600, and the first rejects listed in the report.

use std::io::Write;
use std::path::PathBuf;

use super::{MigrateError, MigrateOptions, OnError};
use crate::job::orphans::FkRejects;
use crate::report::Reject;

/// Rejects listed in the report (all of them are in the reject file).
const MAX_LISTED_REJECTS: usize = 1000;

/// The reject file (JSON lines) and the rejects listed in the report.
pub(super) struct RejectSink {
    pub(super) file: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
    pub(super) listed: Vec<Reject>,
    pub(super) total: u64,
    /// Of `total`, rows set aside for a foreign key.
    pub(super) orphans_written: u64,
    /// Rows set aside for a foreign key (reject mode, create mode), found before the copy.
    pub(super) orphans: std::sync::Arc<FkRejects>,
}

impl RejectSink {
    /// `done`: on `--resume`, the tables an earlier run committed; the file keeps only
    /// their rejects (a table that was rolled back is read again, and sets its rows aside
    /// again).
    pub(super) fn open(opts: &MigrateOptions, done: &[&str]) -> Result<RejectSink, MigrateError> {
        if opts.on_error == OnError::Reject && opts.reject_file.is_none() && !opts.dry_run {
            return Err(MigrateError::Refused(
                "--on-error reject needs --reject-file FILE to write the bad rows to".into(),
            ));
        }
        let file = match (&opts.reject_file, opts.dry_run) {
            (Some(p), false) => {
                // On --resume the committed tables' rejects are kept; the file grows.
                let kept = if opts.resume { kept_rejects(p, done) } else { String::new() };
                use std::os::unix::fs::OpenOptionsExt;
                // Rejected rows are the client's data: the owner's only.
                let f = std::fs::OpenOptions::new()
                    .mode(0o600)
                    .create(true)
                    .write(true)
                    .truncate(true)
                    .open(p)
                    .map_err(|e| MigrateError::Io { path: p.clone(), reason: e.to_string() })?;
                let mut w = std::io::BufWriter::new(f);
                w.write_all(kept.as_bytes())
                    .map_err(|e| MigrateError::Io { path: p.clone(), reason: e.to_string() })?;
                Some((p.clone(), w))
            }
            _ => None,
        };
        Ok(RejectSink { file, listed: Vec::new(), total: 0, orphans_written: 0, orphans: Default::default() })
    }

    pub(super) fn write(&mut self, r: Reject) -> Result<(), String> {
        self.total += 1;
        if r.kind == crate::job::orphans::KIND {
            self.orphans_written += 1;
        }
        if let Some((path, f)) = self.file.as_mut() {
            let line = serde_json::to_string(&r).map_err(|e| e.to_string())?;
            writeln!(f, "{line}").map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if self.listed.len() < MAX_LISTED_REJECTS {
            self.listed.push(r);
        }
        Ok(())
    }

    /// Write what is buffered to the file: before a table's verdict, so that the rows it set
    /// aside are on disk before the state file can record the table as committed.
    pub(super) fn flush(&mut self) -> Result<(), String> {
        match self.file.as_mut() {
            Some((path, f)) => f.flush().map_err(|e| format!("{}: {e}", path.display())),
            None => Ok(()),
        }
    }

    pub(super) fn finish(&mut self) -> Result<(), MigrateError> {
        if let Some((path, f)) = self.file.as_mut() {
            f.flush().map_err(|e| MigrateError::Io { path: path.clone(), reason: e.to_string() })?;
        }
        Ok(())
    }
}

/// The lines of an earlier run's reject file that belong to a committed table: whole
/// JSON lines only (a kill may have cut the last one).
fn kept_rejects(path: &std::path::Path, done: &[&str]) -> String {
    let Ok(text) = std::fs::read_to_string(path) else { return String::new() };
    text.split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("table").and_then(|t| t.as_str()).map(|t| done.contains(&t)))
                .unwrap_or(false)
        })
        .collect()
}
