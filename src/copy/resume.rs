//! The state file at the start of a run (fresh, or the one `--resume` continues, checked
//! against the source snapshot and the target), and which finished tables a resume skips.

use std::collections::BTreeMap;

use super::state::{self, State, TableStatus};
use super::{MigrateError, MigrateOptions};
use crate::job::TableJob;
use crate::report::{MigrationReport, TableReport};
use crate::schema::SourceSchema;
use crate::target::conn::TargetConn;

pub(super) fn prepare_state(
    opts: &MigrateOptions,
    schema: &SourceSchema,
    report: &mut MigrationReport,
) -> Result<State, MigrateError> {
    let fresh = || State {
        version: state::VERSION,
        source: report.source.clone(),
        source_fingerprint: schema.fingerprint.clone(),
        target: report.target.clone(),
        schema_mode: report.schema_mode.clone(),
        started_at: state::now(),
        updated_at: state::now(),
        connection_encrypted: None,
        post_load_next: 0,
        finished: false,
        tables: BTreeMap::new(),
    };
    if opts.dry_run {
        return Ok(fresh());
    }
    let exists = opts.state_file.exists();
    if opts.resume && !exists {
        // The state file is written before the first change to the target: a run killed
        // before that changed nothing, and this one starts from the beginning (tables that
        // exist all the same are refused below, as in any fresh run).
        report.warnings.push(format!(
            "--resume: no state file {}: the run it continues stopped before it changed the target; starting from the beginning",
            opts.state_file.display()
        ));
        return Ok(fresh());
    }
    if opts.resume {
        let st = State::load(&opts.state_file)?;
        if st.source_fingerprint != schema.fingerprint {
            return Err(MigrateError::Refused(format!(
                "--resume: the source changed since the run recorded in {} (fingerprint {} then, {} now); start again without --resume into an empty target",
                opts.state_file.display(),
                st.source_fingerprint,
                schema.fingerprint
            )));
        }
        if st.target != report.target {
            return Err(MigrateError::Refused(format!(
                "--resume: {} records a run into {}, not {}",
                opts.state_file.display(),
                st.target,
                report.target
            )));
        }
        return Ok(st);
    }
    if exists {
        let st = State::load(&opts.state_file)?;
        if !st.finished {
            return Err(MigrateError::Refused(format!(
                "{} records an unfinished run into {}; continue it with --resume, or delete the file to start over",
                opts.state_file.display(),
                st.target
            )));
        }
    }
    // Written once the run has passed its checks and starts to change the target.
    Ok(fresh())
}

/// The status of a table a resumed run found done, with its count checked.
pub const SKIPPED: &str = "skipped (done earlier)";

/// On resume, a table recorded as done whose target count still matches is skipped.
pub(super) async fn resumable(
    opts: &MigrateOptions<'_>,
    conns: &mut [TargetConn],
    schema: Option<&str>,
    state: &State,
    job: &TableJob,
) -> Result<Option<TableReport>, MigrateError> {
    if !opts.resume {
        return Ok(None);
    }
    let Some(ts) = state.tables.get(&job.source_name).filter(|t| t.status == TableStatus::Done) else {
        return Ok(None);
    };
    let Some(conn) = conns.first_mut() else { return Ok(None) };
    let n = conn.count(schema, &job.target_name).await?;
    if n != ts.rows_written {
        return Ok(None);
    }
    Ok(Some(TableReport {
        table: job.source_name.clone(),
        target_table: job.target_name.clone(),
        tier: job.tier,
        rows_source: job.rows_source,
        // This run neither read nor wrote it: the totals count only what this run did.
        rows_read: 0,
        rows_written: 0,
        rows_rejected: 0,
        seconds: 0.0,
        status: SKIPPED.into(),
        count_checked: true,
    }))
}
