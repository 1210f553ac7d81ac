//! After the data: indexes, foreign keys (MariaDB: after cutover's own orphan check),
//! identity resets and views (create mode), or counters and catalog foreign keys
//! (existing mode). On `--resume` the target's catalog says what already ran.

use super::progress::Progress;
use super::state::State;
use super::{MigrateError, MigrateOptions, SchemaMode};
use crate::job::TableJob;
use crate::plan::{self, Phase, Plan};
use crate::report::MigrationReport;
use crate::schema::SourceSchema;
use crate::target::conn::TargetConn;
use crate::types::ColumnType;

/// Create mode, after the data: indexes, foreign keys, identity resets (errors stop the
/// run), then views (a failure is a warning that names the view and quotes the server).
pub(super) async fn post_load(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    conns: &mut [TargetConn],
    state: &mut State,
    report: &mut MigrationReport,
) -> Result<(), MigrateError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    let post: Vec<&plan::Statement> = plan.statements.iter().filter(|s| s.phase != Phase::Tables).collect();
    // MariaDB validates a new foreign key only by copying the whole table (ALGORITHM=COPY);
    // with checks off it adds it in place. cutover checks every such key itself first, so
    // no orphan hides behind FOREIGN_KEY_CHECKS=0.
    let engine = conn.dialect().engine();
    // An engine that adds keys with its checks off gets cutover's own orphan check first.
    let checks_off = engine.foreign_key_checks_sql(false);
    let own_fk_check = checks_off.is_some();
    // Lint's orphan check ran on this run's snapshot before anything was written, and found
    // none; every row of it was loaded, none set aside: the target holds the same keys, so
    // asking the server again would only repeat it (on a resume, earlier runs loaded part).
    let proven = !opts.resume
        && report.tables.iter().all(|t| t.rows_rejected == 0)
        && !report.findings.iter().any(|f| f.code == "fk_orphans");
    if let Some(off) = checks_off {
        conn.execute(off).await?;
    }
    let schema = plan.target_schema.as_deref();
    for (i, st) in post.iter().enumerate().skip(state.post_load_next) {
        super::stop_if_interrupted(
            &format!("after the data, before the post-load statement for {}", st.object),
            report,
        )?;
        // A run killed after a statement ran but before the state file recorded it left
        // some of it in the target: the catalog says what is there, and only the rest runs.
        let missing = if opts.resume { missing_parts(conn, schema, st).await? } else { st.parts.iter().collect() };
        if missing.is_empty() && !st.parts.is_empty() {
            state.post_load_next = i + 1;
            state.save(&opts.state_file)?;
            continue;
        }
        if own_fk_check && st.phase == Phase::ForeignKeys && !proven {
            check_orphans_before_fks(conn, plan, st, &missing).await?;
        }
        if st.phase == Phase::Checks {
            if let Some(violations) = check_violations(conn, plan, st).await? {
                if st.best_effort {
                    report.warnings.push(violations);
                    state.post_load_next = i + 1;
                    state.save(&opts.state_file)?;
                    continue;
                }
                return Err(MigrateError::Load { message: violations, report: Box::new(report.clone()) });
            }
        }
        let sql = if missing.len() == st.parts.len() { st.sql.clone() } else { st.sql_for(&missing) };
        crate::fault!("post_load::before_statement");
        match conn.execute(&sql).await {
            Ok(()) => crate::fault!("post_load::after_statement"),
            Err(e) if st.best_effort => report.warnings.push(format!(
                "{} {} was not created: {e}; the SQL it tried: {}",
                if st.phase == Phase::Views { "view" } else { "check" },
                st.object,
                st.sql
            )),
            Err(e) => return Err(MigrateError::Target(e)),
        }
        state.post_load_next = i + 1;
        state.save(&opts.state_file)?;
    }
    if let Some(on) = engine.foreign_key_checks_sql(true) {
        conn.execute(on).await?;
    }
    Ok(())
}

/// Before a CHECK constraint is added: the loaded rows that break it, in words (table,
/// keys, the check), or None when every row holds.
async fn check_violations(
    conn: &mut TargetConn,
    plan: &Plan,
    st: &plan::Statement,
) -> Result<Option<String>, MigrateError> {
    let Some(plan::PlannedObject::Check { table, condition, .. }) = st.parts.first().map(|p| &p.object) else {
        return Ok(None);
    };
    let engine = conn.dialect().engine();
    let tref = engine.table_ref(plan.target_schema.as_deref(), table);
    let count = conn.scalar(&format!("SELECT count(*) FROM {tref} WHERE NOT ({condition})")).await?;
    if count == 0 {
        return Ok(None);
    }
    let key = plan.tables.iter().find(|t| &t.target_name == table).map(|t| t.primary_key.clone()).unwrap_or_default();
    let keys = if key.is_empty() {
        String::new()
    } else {
        let cols: Vec<String> = key.iter().map(|c| engine.quote(c)).collect();
        let rows =
            conn.text_rows(&format!("SELECT {} FROM {tref} WHERE NOT ({condition}) LIMIT 5", cols.join(", "))).await?;
        let shown: Vec<String> = rows
            .iter()
            .map(|r| r.iter().map(|v| v.clone().unwrap_or_else(|| "NULL".into())).collect::<Vec<_>>().join(", "))
            .collect();
        format!(" (key {}: {})", key.join(", "), shown.join("; "))
    };
    Ok(Some(format!(
        "check {} was not created: {count} loaded row(s) of table {table} break it{keys}; the check in the target's SQL: {condition}",
        st.object
    )))
}

/// The parts of a post-load statement that the target's catalog does not hold yet.
pub(super) async fn missing_parts<'a>(
    conn: &mut TargetConn,
    schema: Option<&str>,
    st: &'a plan::Statement,
) -> Result<Vec<&'a plan::Part>, MigrateError> {
    let mut missing = Vec::new();
    for part in &st.parts {
        if !conn.has_object(schema, &part.object).await? {
            missing.push(part);
        }
    }
    Ok(missing)
}

/// MariaDB, before a statement that adds foreign keys with checks off: every key it adds
/// must hold (cutover's own orphan check), else the run stops naming the rows.
pub(super) async fn check_orphans_before_fks(
    conn: &mut TargetConn,
    plan: &Plan,
    st: &plan::Statement,
    adding: &[&plan::Part],
) -> Result<(), MigrateError> {
    let adds = |name: &str| {
        adding.iter().any(|p| matches!(&p.object, plan::PlannedObject::ForeignKey { name: n, .. } if n == name))
    };
    // One statement adds the foreign keys of the table it names.
    let table = plan.tables.iter().find(|tp| tp.target_name == st.object);
    for (tp, fk) in table.iter().flat_map(|tp| tp.foreign_keys.iter().map(move |f| (*tp, f))) {
        if !adds(&fk.name) {
            continue;
        }
        let check = FkCheck {
            name: &fk.name,
            child: &tp.target_name,
            columns: &fk.columns,
            parent: &fk.parent_table,
            parent_columns: &fk.parent_columns,
            key: &tp.primary_key,
        };
        if let Some(message) = orphans(conn, plan.target_schema.as_deref(), &check).await? {
            return Err(MigrateError::Refused(message));
        }
    }
    Ok(())
}

/// Existing mode, MariaDB, after a load with checks off: every foreign key (read from
/// information_schema) of the loaded tables must hold; then checks go back on.
pub(super) async fn check_catalog_fks(conns: &mut [TargetConn], jobs: &[TableJob]) -> Result<(), MigrateError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    let sep = '\u{1f}';
    let rows = conn
        .strings(&format!(
            "SELECT CAST(CONCAT_WS('\u{1e}', CONSTRAINT_NAME, TABLE_NAME, \
             GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}'), REFERENCED_TABLE_NAME, \
             GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}')) AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
             GROUP BY CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME"
        ))
        .await?;
    let mut problems = Vec::new();
    for r in rows {
        let f: Vec<&str> = r.split('\u{1e}').collect();
        let [name, child, cols, parent, pcols] = f[..] else { continue };
        if !jobs.iter().any(|j| j.target_name == child || j.target_name == parent) {
            continue;
        }
        let columns: Vec<String> = cols.split(sep).map(String::from).collect();
        let parent_columns: Vec<String> = pcols.split(sep).map(String::from).collect();
        let check = FkCheck { name, child, columns: &columns, parent, parent_columns: &parent_columns, key: &[] };
        if let Some(m) = orphans(conn, None, &check).await? {
            problems.push(m);
        }
    }
    for c in conns.iter_mut() {
        if let Some(on) = c.dialect().engine().foreign_key_checks_sql(true) {
            c.execute(on).await?;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Refused(problems.join("\n")))
    }
}

/// One foreign key to check for orphans, by target names.
pub(super) struct FkCheck<'a> {
    name: &'a str,
    child: &'a str,
    columns: &'a [String],
    parent: &'a str,
    parent_columns: &'a [String],
    /// The child's primary key, to name orphan rows (the FK columns when empty).
    key: &'a [String],
}

/// Rows of the child whose key (all parts non-NULL, as MATCH SIMPLE) has no parent row:
/// None when there are none, else a message naming the key, the count and some rows.
/// MariaDB SQL (CAST … AS CHAR, CONCAT_WS): PostgreSQL validates keys itself when they are added.
pub(super) async fn orphans(
    conn: &mut TargetConn,
    schema: Option<&str>,
    fk: &FkCheck<'_>,
) -> Result<Option<String>, MigrateError> {
    let engine = conn.dialect().engine();
    let q = |c: &str| engine.quote(c);
    let mut cond: Vec<String> = fk.columns.iter().map(|c| format!("c.{} IS NOT NULL", q(c))).collect();
    let join: Vec<String> =
        fk.columns.iter().zip(fk.parent_columns).map(|(c, p)| format!("p.{} = c.{}", q(p), q(c))).collect();
    cond.push(format!(
        "NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
        conn.table_ref(schema, fk.parent),
        join.join(" AND ")
    ));
    let from = format!("FROM {} c WHERE {}", conn.table_ref(schema, fk.child), cond.join(" AND "));
    let n = conn.scalar(&format!("SELECT CAST(count(*) AS SIGNED) {from}")).await?;
    if n == 0 {
        return Ok(None);
    }
    let shown = if fk.key.is_empty() { fk.columns } else { fk.key };
    let parts: Vec<String> = shown
        .iter()
        .chain(fk.columns.iter().filter(|c| !shown.contains(c)))
        .map(|c| {
            format!("'{}=', COALESCE(CAST(c.{} AS CHAR), 'NULL')", c.replace('\'', "''").replace('\\', "\\\\"), q(c))
        })
        .collect();
    let samples =
        conn.strings(&format!("SELECT CONCAT_WS(', ', CONCAT({})) {from} LIMIT 5", parts.join(", ', ', "))).await?;
    Ok(Some(format!(
        "foreign key {} ({}.{} -> {}.{}): {n} row(s) of {} reference a {} row that does not exist, e.g. {}; \
         cutover never adds a key that does not hold: fix those rows in the target and in the source (the same change on both sides) and run again with --resume, or fix the source and migrate into an empty database",
        fk.name,
        fk.child,
        fk.columns.join(","),
        fk.parent,
        fk.parent_columns.join(","),
        fk.child,
        fk.parent,
        samples.join("; ")
    )))
}

/// Existing mode: move every sequence / identity / AUTO_INCREMENT counter of the loaded
/// tables above the largest key, and for the source's rowid alias column above its
/// `sqlite_sequence` too (ids of rows deleted before the move are never handed out again).
pub(super) async fn reset_sequences(
    conns: &mut [TargetConn],
    schema: Option<&str>,
    jobs: &[TableJob],
    source: &SourceSchema,
) -> Result<(), MigrateError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    for j in jobs {
        let table = source.table(&j.source_name);
        let alias = table.and_then(|t| t.rowid_alias()).map(|c| c.name.as_str());
        let floor = table.and_then(|t| t.sequence).unwrap_or(0);
        let integer_columns = j
            .columns
            .iter()
            .zip(&j.source_columns)
            .zip(&j.types)
            .filter(|(_, (t, _))| matches!(t, ColumnType::Integer { .. }));
        for ((target_column, source_column), _) in integer_columns {
            let floor = if Some(source_column.as_str()) == alias { floor } else { 0 };
            crate::fault!("post_load::before_statement");
            conn.raise_counter(schema, &j.target_name, target_column, floor).await?;
            crate::fault!("post_load::after_statement");
        }
    }
    Ok(())
}

/// The post-load phase of the run's mode, then the state file says the run is finished.
#[allow(clippy::too_many_arguments)]
pub(super) async fn run(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    jobs: &[TableJob],
    fk_checks_off: bool,
    state: &mut State,
    report: &mut MigrationReport,
    progress: &Progress,
) -> Result<(), MigrateError> {
    if opts.dry_run {
        return Ok(());
    }
    super::stop_if_interrupted("after the data, before indexes and foreign keys", report)?;
    progress.phase("after the data: indexes, foreign keys, identity resets, views");
    match opts.schema_mode {
        SchemaMode::Create => post_load(opts, plan, conns, state, report).await?,
        SchemaMode::Existing => {
            if fk_checks_off {
                check_catalog_fks(conns, jobs).await?;
            }
            reset_sequences(conns, plan.target_schema.as_deref(), jobs, schema).await?
        }
    }
    state.finished = true;
    state.save(&opts.state_file)?;
    Ok(())
}
