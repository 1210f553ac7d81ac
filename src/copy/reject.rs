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
    pub(super) fn open(opts: &MigrateOptions) -> Result<RejectSink, MigrateError> {
        if opts.on_error == OnError::Reject && opts.reject_file.is_none() && !opts.dry_run {
            return Err(MigrateError::Refused(
                "--on-error reject needs --reject-file FILE to write the bad rows to".into(),
            ));
        }
        let file = match (&opts.reject_file, opts.dry_run) {
            (Some(p), false) => {
                // On --resume the earlier run's rejects are kept: the file grows.
                use std::os::unix::fs::OpenOptionsExt;
                // Rejected rows are the client's data: the owner's only.
                let f = std::fs::OpenOptions::new()
                    .mode(0o600)
                    .create(true)
                    .write(true)
                    .append(opts.resume)
                    .truncate(!opts.resume)
                    .open(p)
                    .map_err(|e| MigrateError::Io { path: p.clone(), reason: e.to_string() })?;
                Some((p.clone(), std::io::BufWriter::new(f)))
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

    pub(super) fn finish(&mut self) -> Result<(), MigrateError> {
        if let Some((path, f)) = self.file.as_mut() {
            f.flush().map_err(|e| MigrateError::Io { path: path.clone(), reason: e.to_string() })?;
        }
        Ok(())
    }
}
