//! `--restart`: start a migration over, into a target that an earlier run (recorded in
//! the state file) wrote to. In create mode it drops exactly the tables that run created
//! (and the views of the plan it created after them), once it has checked that no other
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
    if earlier.post_load_started() {
        drop_our_views(conn, plan, schema_ref).await?;
    }
    if !ours.is_empty() {
        let refs: Vec<String> = ours.iter().map(|t| conn.table_ref(schema_ref, t)).collect();
        for sql in conn.dialect().engine().drop_tables_sql(&refs) {
            conn.execute(&sql).await?;
        }
    }
    report.warnings.push(format!(
        "--restart: dropped the {} table(s) the run recorded in {} had created ({}); starting over",
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

/// The plan's views that exist: cutover created them after the data, and they depend on
/// the tables to drop.
async fn drop_our_views(conn: &mut TargetConn, plan: &Plan, schema_ref: Option<&str>) -> Result<(), MigrateError> {
    for st in plan.statements.iter().filter(|s| s.phase == Phase::Views) {
        let view = PlannedObject::View { name: st.object.clone() };
        if conn.has_object(schema_ref, &view).await? {
            conn.execute(&format!("DROP VIEW {}", conn.table_ref(schema_ref, &st.object))).await?;
        }
    }
    Ok(())
}
