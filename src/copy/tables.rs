//! The target's tables before the data: created from the plan (create mode, refusing
//! tables that already exist), or matched by name against the catalog (existing mode,
//! refusing a schema that does not fit, emptying tables only with `--truncate`).

use super::progress::Progress;
use super::state::{State, TableState, TableStatus};
use super::{MigrateError, MigrateOptions, OnError, SchemaMode};
use crate::job::{create_jobs, existing_job, TableJob};
use crate::plan::{Phase, Plan};
use crate::schema::SourceSchema;
use crate::source::Source;
use crate::target::conn::TargetConn;

/// Create mode: check that no planned table exists (unless this run created it), create the rest.
pub(super) async fn create_tables(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    state: &mut State,
    progress: &Progress,
) -> Result<Vec<TableJob>, MigrateError> {
    progress.phase("creating tables");
    let schema_ref = plan.target_schema.as_deref();
    let mut existing = Vec::new();
    if let Some(conn) = conns.first_mut() {
        for tp in &plan.tables {
            let ours = state.tables.get(&tp.source_name).is_some_and(|t| t.created_by_cutover);
            if conn.table_exists(schema_ref, &tp.target_name).await? && !ours {
                existing.push(tp.target_name.clone());
            }
        }
    }
    if !existing.is_empty() {
        return Err(MigrateError::Refused(format!(
            "the target already has table(s) {}, and the state file {} does not record them as created by cutover; cutover never drops or fills tables it did not create: drop them, migrate into an empty database or schema (--target-schema), or use --schema existing (when cutover did create them, pass the state file of that run with --state FILE)",
            existing.join(", "),
            opts.state_file.display()
        )));
    }
    for st in plan.statements.iter().filter(|s| s.phase == Phase::Tables) {
        let Some(conn) = conns.first_mut() else { break };
        let is_table = plan.tables.iter().find(|t| t.target_name == st.object);
        if let Some(tp) = is_table {
            let recorded = state.tables.get(&tp.source_name).filter(|t| t.created_by_cutover);
            if recorded.is_some() && conn.table_exists(schema_ref, &tp.target_name).await? {
                if recorded.is_some_and(|t| t.status == TableStatus::Done) {
                    continue;
                }
                // Unfinished and ours: re-create it, so a type changed in cutover.toml since takes effect.
                if !opts.dry_run {
                    conn.execute(&format!("DROP TABLE {}", conn.table_ref(schema_ref, &tp.target_name))).await?;
                }
            }
        }
        // Recorded before it is created: a run killed right after CREATE TABLE still knows the table is its own.
        if let Some(tp) = is_table {
            state.tables.insert(tp.source_name.clone(), TableState::pending(&tp.target_name, true));
            if !opts.dry_run {
                state.save(&opts.state_file)?;
            }
        }
        if !opts.dry_run {
            conn.execute(&st.sql).await?;
            if is_table.is_some() {
                crate::fault!("copy::after_create");
            }
        }
    }
    if !opts.dry_run {
        state.save(&opts.state_file)?;
    }
    Ok(create_jobs(plan, schema, opts.target.dialect)?)
}

/// Existing mode: match each planned table to the target's catalog by column name, then
/// check every row against the target's own definitions (`existing::precheck`) before
/// `--truncate` empties anything.
#[allow(clippy::too_many_arguments)]
pub(super) async fn existing_tables(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    source: &Source,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    state: &State,
    progress: &Progress,
    findings: &mut Vec<crate::plan::Finding>,
) -> Result<Vec<TableJob>, MigrateError> {
    progress.phase("reading the target's catalog");
    let schema_ref = plan.target_schema.as_deref();
    let Some(conn) = conns.first_mut() else {
        return Err(MigrateError::Refused(
            "--schema existing needs a target to read; a dry run into a new SQLite file has none".into(),
        ));
    };
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    // Tables this run loads (a --resume leaves out the ones done before).
    let mut to_load = Vec::new();
    let mut edges = Vec::new();
    let mut non_empty = Vec::new();
    let mut all_tables = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.table(&tp.source_name) else { continue };
        if !conn.table_exists(schema_ref, &tp.target_name).await? {
            problems.push(format!("table {} does not exist in the target", tp.target_name));
            continue;
        }
        let catalog = conn.columns(schema_ref, &tp.target_name).await?;
        let mut job = match existing_job(t, tp, &catalog, opts.target.dialect, opts.ignore_missing_columns) {
            Ok(job) => Some(job),
            Err(mut p) => {
                problems.append(&mut p);
                None
            }
        };
        let done_before =
            opts.resume && state.tables.get(&tp.source_name).is_some_and(|t| t.status == TableStatus::Done);
        let rows = if done_before { 0 } else { conn.count(schema_ref, &tp.target_name).await? };
        if !done_before {
            all_tables.push(conn.table_ref(schema_ref, &tp.target_name));
        }
        if rows > 0 && !opts.truncate {
            problems.push(format!(
                "target table {} already holds {rows} {} (pass --truncate to empty it first)",
                tp.target_name,
                crate::output::plural(rows, "row", "rows")
            ));
        }
        if rows > 0 {
            non_empty.push(conn.table_ref(schema_ref, &tp.target_name));
        }
        for fk in &tp.foreign_keys {
            edges.push((tp.source_name.clone(), fk.parent_table.clone()));
        }
        if let Some(job) = job.take() {
            if !done_before {
                to_load.push(job.clone());
            }
            jobs.push(job);
        }
    }
    if !problems.is_empty() {
        return Err(MigrateError::Refused(format!(
            "the target schema does not match the source:\n  {}",
            problems.join("\n  ")
        )));
    }
    progress.phase("checking every row against the target's own definitions");
    let found =
        crate::existing::precheck(source, schema, &to_load, conn, schema_ref, 5, opts.on_error == OnError::Reject)
            .await
            .map_err(|e| match e {
                crate::existing::PrecheckError::Target(t) => MigrateError::Target(t),
                other => MigrateError::Refused(other.to_string()),
            })?;
    // Values that do not convert are set aside in reject mode; keys, CHECKs and foreign
    // keys that the server would refuse (a child of a set-aside row included) stop the run
    // in either mode.
    let blocking: Vec<crate::lint::LintFinding> = found
        .iter()
        .filter(|f| {
            opts.on_error == OnError::Strict
                || matches!(f.code.as_str(), "unique_collision" | "check_violation" | "fk_orphans")
        })
        .cloned()
        .collect();
    if !blocking.is_empty() && !opts.dry_run {
        return Err(MigrateError::Refused(format!(
            "the source does not fit the target's own definitions; nothing was emptied or written:\n{}\n`cutover lint SOURCE --to URL --schema existing` lists every row; fix them and run again",
            crate::existing::render(&blocking).trim_end()
        )));
    }
    for f in found {
        let object = match (&f.table, &f.column) {
            (Some(t), Some(c)) => format!("{t}.{c}"),
            (Some(t), None) => t.clone(),
            _ => String::new(),
        };
        findings.push(crate::plan::Finding::new(f.level, &f.code, object, f.message));
    }
    if !non_empty.is_empty() {
        let holding = conn.outside_references(&all_tables).await?;
        if !holding.is_empty() {
            return Err(MigrateError::Refused(format!(
                "--truncate would leave rows of tables outside the migration pointing to nothing: {}; nothing was emptied or written: empty those tables first, or include them in the migration",
                holding.join("; ")
            )));
        }
    }
    if !non_empty.is_empty() && !opts.dry_run {
        // All at once: PostgreSQL truncates tables that reference each other only together.
        progress.phase("emptying the target tables (--truncate)");
        // InnoDB refuses TRUNCATE of a referenced table: the engine empties them so that
        // every foreign key stays checked (no FOREIGN_KEY_CHECKS=0).
        conn.empty_tables(&all_tables).await?;
    }
    tiers_by_target_keys(conn, schema_ref, &mut jobs).await?;
    Ok(jobs)
}

/// Existing mode loads tier by tier because the target checks its foreign keys while the
/// rows arrive; the target may have keys the source does not declare, so a table goes to
/// a tier after every parent its target foreign keys name (cycles keep the plan's tiers).
async fn tiers_by_target_keys(
    conn: &mut TargetConn,
    schema_ref: Option<&str>,
    jobs: &mut [TableJob],
) -> Result<(), MigrateError> {
    let engine = conn.dialect().engine();
    let mut parents: Vec<Vec<usize>> = Vec::new();
    for job in jobs.iter() {
        let rows = conn.text_rows(&engine.foreign_keys_of_sql(schema_ref, &job.target_name, '\u{1f}')).await?;
        parents.push(
            rows.iter()
                .filter_map(|r| r.get(2).cloned().flatten())
                .filter_map(|p| jobs.iter().position(|j| j.target_name == p))
                .collect(),
        );
    }
    // Longest path from a root, relaxed at most once per table (a cycle stops growing).
    for _ in 0..jobs.len() {
        let mut changed = false;
        for i in 0..jobs.len() {
            let needed = parents[i].iter().filter(|p| **p != i).map(|p| jobs[*p].tier + 1).max().unwrap_or(0);
            if needed > jobs[i].tier {
                jobs[i].tier = needed;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(())
}

/// The tables before the data, and the jobs that load them, in tier order: created
/// (create mode) or read and matched from the catalog (existing mode).
#[allow(clippy::too_many_arguments)]
pub(super) async fn prepare(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    source: &Source,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    state: &mut State,
    progress: &Progress,
    findings: &mut Vec<crate::plan::Finding>,
) -> Result<Vec<TableJob>, MigrateError> {
    let mut jobs = match opts.schema_mode {
        SchemaMode::Create => create_tables(opts, plan, schema, conns, state, progress).await?,
        SchemaMode::Existing => existing_tables(opts, plan, source, schema, conns, state, progress, findings).await?,
    };
    jobs.sort_by(|a, b| (a.tier, &a.source_name).cmp(&(b.tier, &b.source_name)));
    Ok(jobs)
}

/// Existing mode on an engine without deferrable keys (MariaDB) enforces the target's
/// foreign keys while loading, tier by tier; a cycle or a table that references itself
/// cannot load that way, so only then are checks off for the load sessions, and cutover
/// checks every foreign key of the loaded tables afterwards. True when they are off.
pub(super) async fn foreign_key_checks_off(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    conns: &mut [TargetConn],
) -> Result<bool, MigrateError> {
    let Some(off) = opts.target.dialect.engine().foreign_key_checks_sql(false) else { return Ok(false) };
    let needed = opts.schema_mode == SchemaMode::Existing
        && (!plan.cycles.is_empty()
            || plan.tables.iter().any(|tp| tp.foreign_keys.iter().any(|fk| fk.parent_table == tp.target_name)))
        && !opts.dry_run;
    if needed {
        for c in conns.iter_mut() {
            c.execute(off).await?;
        }
    }
    Ok(needed)
}
