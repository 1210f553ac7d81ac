//! `--restart`: start a migration over, into a target that an earlier run (recorded in
//! the state file) wrote to. In create mode it drops exactly the tables that run created
//! (and the views it recorded creating after them), once it has checked that no other
//! table of the target references them; in existing mode the tables were the
//! application's, and they are emptied again as `--truncate` does (the CLI turns it on).

use super::state::State;
use super::{MigrateError, MigrateOptions, SchemaMode};
use crate::plan::{Phase, Plan};
use crate::report::MigrationReport;
use crate::target::conn::TargetConn;
use crate::target::PlannedObject;

pub(super) async fn start_over(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    conn: &mut TargetConn,
    earlier: &State,
    report: &mut MigrationReport,
) -> Result<(), MigrateError> {
    if opts.schema_mode == SchemaMode::Existing {
        report.warnings.push(format!(
            "--restart: the run recorded in {} is started over; the selected tables are emptied first, as with --truncate",
            opts.state_file.display()
        ));
        return Ok(());
    }
    let schema_ref = plan.target_schema.as_deref();
    let mut ours = Vec::new();
    for (_, name) in earlier.created_tables() {
        if conn.table_exists(schema_ref, &name).await? {
            ours.push(name);
        }
    }
    let outside = referencing_from_outside(conn, schema_ref, &ours).await?;
    if !outside.is_empty() {
        return Err(MigrateError::Refused(format!(
            "--restart would drop tables that other tables of the target reference: {}; nothing was dropped. Those tables are not cutover's (the run in {} did not create them): drop their foreign keys or the tables themselves first, or migrate into an empty database",
            outside.join("; "),
            opts.state_file.display()
        )));
    }
    let views = if earlier.post_load_started() {
        drop_our_views(conn, plan, schema_ref, earlier.created_views.as_deref()).await?
    } else {
        Vec::new()
    };
    if !ours.is_empty() {
        let refs: Vec<String> = ours.iter().map(|t| conn.table_ref(schema_ref, t)).collect();
        for sql in conn.dialect().engine().drop_tables_sql(&refs) {
            conn.execute(&sql).await.map_err(|e| {
                // PostgreSQL refuses to drop a table that a view selects from.
                let why = if e.reason().contains("depend on") {
                    " The object that depends on them is not cutover's (the run did not record creating it), so it was left alone: drop it yourself, or migrate into an empty database, and run again"
                } else {
                    " Nothing else was dropped; fix the cause and run again"
                };
                let views = if views.is_empty() {
                    String::new()
                } else {
                    format!(" The view(s) that run had created were dropped first: {}.", views.join(", "))
                };
                MigrateError::Refused(format!(
                    "--restart could not drop the table(s) the run recorded in {} had created ({}): {e}.{views}{why}",
                    opts.state_file.display(),
                    ours.join(", ")
                ))
            })?;
        }
    }
    let views = if views.is_empty() {
        String::new()
    } else {
        format!(" and the view(s) it had created ({})", views.join(", "))
    };
    report.warnings.push(format!(
        "--restart: dropped the {} table(s) the run recorded in {} had created ({}){views}; starting over",
        ours.len(),
        opts.state_file.display(),
        if ours.is_empty() { "none was left".to_string() } else { ours.join(", ") }
    ));
    Ok(())
}

/// `child references parent` for every foreign key of a table outside `tables` to one of them.
async fn referencing_from_outside(
    conn: &mut TargetConn,
    schema_ref: Option<&str>,
    tables: &[String],
) -> Result<Vec<String>, MigrateError> {
    let mut found = Vec::new();
    for t in tables {
        let sql = conn.dialect().engine().referencing_sql(schema_ref, t);
        for row in conn.text_rows(&sql).await? {
            let [Some(child), Some(parent)] = &row[..] else { continue };
            if !tables.contains(child) {
                found.push(format!("{child} references {parent}"));
            }
        }
    }
    Ok(found)
}

/// Drop the views the earlier run created (they depend on the tables to drop), those
/// that still exist, and say which; a view of the same name that the run did not create (the user's, whose
/// `CREATE VIEW` made cutover's fail) stays. `None`: a state file of an earlier version,
/// which does not say, and every view of the plan that exists is taken for cutover's.
async fn drop_our_views(
    conn: &mut TargetConn,
    plan: &Plan,
    schema_ref: Option<&str>,
    created: Option<&[String]>,
) -> Result<Vec<String>, MigrateError> {
    let names: Vec<&String> = match created {
        Some(views) => views.iter().collect(),
        None => plan.statements.iter().filter(|s| s.phase == Phase::Views).map(|s| &s.object).collect(),
    };
    let mut dropped = Vec::new();
    // Last created first: a view that selects from another goes before it.
    for name in names.into_iter().rev() {
        let view = PlannedObject::View { name: name.clone() };
        if conn.has_object(schema_ref, &view).await? {
            conn.execute(&format!("DROP VIEW {}", conn.table_ref(schema_ref, name))).await.map_err(|e| {
                MigrateError::Refused(format!(
                    "--restart could not drop view {name}, which the earlier run created: {e}; no table was dropped{}. Drop what depends on the view yourself and run again",
                    if dropped.is_empty() { String::new() } else { format!(" (views dropped: {})", dropped.join(", ")) }
                ))
            })?;
            dropped.push(name.clone());
        }
    }
    Ok(dropped)
}
