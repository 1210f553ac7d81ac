//! The state file at the start of a run (fresh, or the one `--resume` continues, checked
//! against the source snapshot and the target), and which finished tables a resume skips.

use std::collections::BTreeMap;

use super::state::{self, State, TableStatus};
use super::{MigrateError, MigrateOptions, SchemaMode};
use crate::job::TableJob;
use crate::plan::Plan;
use crate::report::{MigrationReport, TableReport};
use crate::schema::SourceSchema;
use crate::target::conn::TargetConn;
use crate::target::url::same_target;

/// The state this run records, and the state file of an earlier run into the same target
/// that this run starts over from (`--restart`, or a finished run), checked once connected.
pub(super) struct Prepared {
    pub(super) state: State,
    pub(super) earlier: Option<State>,
}

pub(super) fn prepare_state(
    opts: &MigrateOptions,
    schema: &SourceSchema,
    report: &mut MigrationReport,
) -> Result<Prepared, MigrateError> {
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
        post_load_done: Vec::new(),
        created_views: Some(Vec::new()),
        finished: false,
        on_error: Some(format!("{:?}", opts.on_error).to_lowercase()),
        tables: BTreeMap::new(),
    };
    if opts.dry_run {
        return Ok(Prepared { state: fresh(), earlier: None });
    }
    // A kill between writing the temporary file and renaming it leaves the former behind.
    state::remove_stale_temporaries(&opts.state_file);
    let exists = opts.state_file.exists();
    if opts.resume && !exists {
        // The state file is written before the first change to the target: a run killed
        // before that changed nothing, and this one starts from the beginning (tables that
        // exist all the same are refused below, as in any fresh run).
        report.warnings.push(format!(
            "--resume: no state file {}: the run it continues stopped before it changed the target; starting from the beginning",
            opts.state_file.display()
        ));
        return Ok(Prepared { state: fresh(), earlier: None });
    }
    if !exists {
        if opts.restart {
            report.warnings.push(format!(
                "--restart: no state file {}: there is no recorded run to start over; starting from the beginning",
                opts.state_file.display()
            ));
        }
        return Ok(Prepared { state: fresh(), earlier: None });
    }
    let st = State::load(&opts.state_file)?;
    if !same_target(&st.target, &report.target) {
        if opts.resume || opts.restart {
            return Err(MigrateError::Refused(format!(
                "--{}: {} records a run into {}, not {}; pass that target, or the state file of this one with --state FILE",
                if opts.resume { "resume" } else { "restart" },
                opts.state_file.display(),
                st.target,
                report.target
            )));
        }
        if !st.finished {
            return Err(MigrateError::Refused(format!(
                "{} records an unfinished run into another target, {}; finish that one first (--resume with its --to), or give this run its own state file with --state FILE",
                opts.state_file.display(),
                st.target
            )));
        }
        // A finished run into another target: this one is a run of its own.
        return Ok(Prepared { state: fresh(), earlier: None });
    }
    if opts.restart {
        return Ok(Prepared { state: fresh(), earlier: Some(st) });
    }
    if opts.resume {
        if st.source_fingerprint != schema.fingerprint {
            return Err(MigrateError::Refused(format!(
                "--resume: the source changed since the run recorded in {} (fingerprint {} then, {} now); start again with --restart (it {})",
                opts.state_file.display(),
                st.source_fingerprint,
                schema.fingerprint,
                what_restart_does(&st)
            )));
        }
        let earlier = st.finished.then(|| st.clone());
        let mut st = st;
        if opts.on_error == super::OnError::Reject {
            // Rows this run sets aside are not expected in the target either.
            st.on_error = Some("reject".into());
        }
        return Ok(Prepared { state: st, earlier });
    }
    if !st.finished {
        return Err(MigrateError::Refused(format!(
            "{} records an unfinished run into {}; continue it with --resume, or start over with --restart (it {}); or {}",
            opts.state_file.display(),
            st.target,
            what_restart_does(&st),
            by_hand(&st, &opts.state_file)
        )));
    }
    // Written once the run has passed its checks and starts to change the target.
    Ok(Prepared { state: fresh(), earlier: Some(st) })
}

/// The run's created tables by their target names.
fn created_names(st: &State) -> Vec<String> {
    st.created_tables().into_iter().map(|(_, t)| t).collect()
}

/// What `--restart` does with the target of this state file.
fn what_restart_does(st: &State) -> String {
    let created = created_names(st);
    if st.schema_mode == "existing" || created.is_empty() {
        "empties the selected tables again, as --truncate does".into()
    } else {
        format!("drops the tables that run created: {}", created.join(", "))
    }
}

/// How to start over without `--restart`.
fn by_hand(st: &State, path: &std::path::Path) -> String {
    if st.schema_mode == "existing" || st.created_tables().is_empty() {
        format!("delete {} and run again with --truncate", path.display())
    } else {
        format!("drop those tables yourself and delete {} to start over", path.display())
    }
}

/// Once connected: a finished run recorded for this target is checked against the target
/// (its tables gone or emptied since means the database was dropped and created again),
/// and `--restart` clears what the earlier run wrote.
pub(super) async fn check_earlier_run(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    conns: &mut [TargetConn],
    earlier: Option<&State>,
    report: &mut MigrationReport,
) -> Result<(), MigrateError> {
    let (Some(st), Some(conn)) = (earlier, conns.first_mut()) else { return Ok(()) };
    if opts.restart {
        return super::restart::start_over(opts, plan, conn, st, report).await;
    }
    check_finished_run(opts, plan.target_schema.as_deref(), conn, st, &mut report.warnings).await
}

/// A finished run recorded for this target, against the target as it is now.
pub(super) async fn check_finished_run(
    opts: &MigrateOptions<'_>,
    schema_ref: Option<&str>,
    conn: &mut TargetConn,
    st: &State,
    warnings: &mut Vec<String>,
) -> Result<(), MigrateError> {
    if !st.finished {
        return Ok(());
    }
    let mut gone = Vec::new();
    let mut emptied = Vec::new();
    let mut still_there = Vec::new();
    for (source, t) in st.tables.iter().filter(|(_, t)| t.status == TableStatus::Done) {
        let name = t.target_table.clone().unwrap_or_else(|| source.clone());
        if !conn.table_exists(schema_ref, &name).await? {
            gone.push(name);
        } else if t.rows_written > 0 && conn.count(schema_ref, &name).await? == 0 {
            emptied.push(name);
        } else if t.created_by_cutover {
            still_there.push(name);
        }
    }
    let lost = !gone.is_empty() || !emptied.is_empty();
    let when = &st.updated_at;
    let path = opts.state_file.display();
    if opts.resume && lost {
        return Err(MigrateError::Refused(format!(
            "{path} records a migration into {} that finished at {when}, but the target has lost its data since: {}; the database was dropped and created again, or emptied. Start over with --restart instead of --resume (it {}), or delete {path} and run again without --resume",
            st.target,
            lost_tables(&gone, &emptied),
            what_restart_does(st),
        )));
    }
    if opts.resume || opts.schema_mode == SchemaMode::Existing {
        return Ok(());
    }
    if still_there.is_empty() && emptied.is_empty() {
        if !gone.is_empty() {
            warnings.push(format!(
                "{path} records a migration into this target that finished at {when}, whose tables are gone (the database was dropped and created again): this run starts over and replaces {path}"
            ));
        }
        return Ok(());
    }
    still_there.extend(emptied);
    Err(MigrateError::Refused(format!(
        "{path} records a migration into {} that finished at {when}; the tables it created are still in the target: {}. To check that migration, run `cutover verify`. To migrate again from the start, run the same command with --restart: it drops exactly the tables that run created (after checking that no other table references them) and starts over. Or drop them yourself and delete {path}",
        st.target,
        still_there.join(", "),
    )))
}

fn lost_tables(gone: &[String], emptied: &[String]) -> String {
    let mut parts = Vec::new();
    if !gone.is_empty() {
        parts.push(format!("missing: {}", gone.join(", ")));
    }
    if !emptied.is_empty() {
        parts.push(format!("empty: {}", emptied.join(", ")));
    }
    parts.join("; ")
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
        parts: 0,
    }))
}
