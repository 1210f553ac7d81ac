//! After the data: the checks create mode's post-load work (`overlap`) runs before a
//! statement (rows breaking a CHECK, MariaDB's orphan check before a foreign key), and
//! existing mode's counters and catalog foreign keys.

use super::progress::Progress;
use super::{MigrateError, MigrateOptions, SchemaMode};
use crate::job::TableJob;
use crate::plan::{self, Plan};
use crate::report::MigrationReport;
use crate::schema::SourceSchema;
use crate::target::conn::TargetConn;
use crate::types::ColumnType;

/// The progress phase of the work after the data.
pub(super) const PHASE: &str = "after the data: indexes, foreign keys, identity resets, views";

/// Before a CHECK constraint is added: the loaded rows that break it, in words (table,
/// keys, the check), or None when every row holds.
pub(super) async fn check_violations(
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
    let Some(tp) = plan.tables.iter().find(|tp| tp.target_name == st.object) else { return Ok(()) };
    for fk in &tp.foreign_keys {
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

/// Existing mode, after the data: the catalog's foreign keys checked when the load ran
/// with checks off, then the counters raised (create mode: `overlap`).
#[allow(clippy::too_many_arguments)]
pub(super) async fn run(
    opts: &MigrateOptions<'_>,
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    jobs: &[TableJob],
    fk_checks_off: bool,
    report: &mut MigrationReport,
    progress: &Progress,
) -> Result<(), MigrateError> {
    if opts.dry_run || opts.schema_mode != SchemaMode::Existing {
        return Ok(());
    }
    super::stop_if_interrupted("after the data, before indexes and foreign keys", report)?;
    progress.phase(PHASE);
    if fk_checks_off {
        check_catalog_fks(conns, jobs).await?;
    }
    reset_sequences(conns, plan.target_schema.as_deref(), jobs, schema).await
}
