//! Checks in the target beyond the rows: foreign-key orphans, identity counters (above
//! the largest key and the source's `sqlite_sequence`), the post-load objects of the
//! plan, and whether the source changed since the migration's snapshot.

use super::*;

/// Orphan rows of every planned foreign key between tables present in the target.
pub(super) async fn foreign_keys(
    conn: &mut TargetConn,
    plan: &Plan,
    schema: Option<&str>,
    present: &BTreeSet<String>,
) -> Result<Vec<FkVerdict>, VerifyError> {
    let dialect = conn.dialect();
    let q = |c: &str| dialect.engine().quote(c);
    let cast = |e: String| format!("CAST({e} AS {})", dialect.engine().text_cast());
    let mut out = Vec::new();
    for tp in plan.tables.iter().filter(|t| present.contains(&t.target_name)) {
        for fk in tp.foreign_keys.iter().filter(|f| present.contains(&f.parent_table)) {
            let mut cond: Vec<String> = fk.columns.iter().map(|c| format!("c.{} IS NOT NULL", q(c))).collect();
            let join: Vec<String> =
                fk.columns.iter().zip(&fk.parent_columns).map(|(c, p)| format!("p.{} = c.{}", q(p), q(c))).collect();
            cond.push(format!(
                "NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
                conn.table_ref(schema, &fk.parent_table),
                join.join(" AND ")
            ));
            let from = format!("FROM {} c WHERE {}", conn.table_ref(schema, &tp.target_name), cond.join(" AND "));
            let count_sql = format!("SELECT CAST(count(*) AS {}) {from}", dialect.engine().bigint_cast());
            let orphans = u64::try_from(conn.scalar(&count_sql).await?).unwrap_or(0);
            let mut samples = Vec::new();
            if orphans > 0 {
                let shown = if tp.primary_key.is_empty() { &fk.columns } else { &tp.primary_key };
                let parts: Vec<String> = shown
                    .iter()
                    .map(|c| {
                        let lit = dialect.engine().string_literal(&format!("{c}="));
                        format!("{lit} || COALESCE({}, 'NULL')", cast(format!("c.{}", q(c))))
                    })
                    .collect();
                samples = conn.strings(&format!("SELECT {} {from} LIMIT 5", parts.join(" || ', ' || "))).await?;
            }
            out.push(FkVerdict {
                name: fk.name.clone(),
                table: tp.target_name.clone(),
                columns: fk.columns.clone(),
                parent_table: fk.parent_table.clone(),
                parent_columns: fk.parent_columns.clone(),
                orphans,
                samples,
            });
        }
    }
    Ok(out)
}

/// The identity / AUTO_INCREMENT counter of every table that has one must be above its
/// largest key, and above the source's `sqlite_sequence` (SQLite never reuses the id of a
/// deleted row; neither may the target).
pub(super) async fn identities(
    conn: &mut TargetConn,
    plan: &Plan,
    source: &SourceSchema,
    specs: &[Spec],
    schema: Option<&str>,
    mode: SchemaMode,
) -> Result<Vec<IdentityVerdict>, VerifyError> {
    let dialect = conn.dialect();
    let engine = dialect.engine();
    let mut out = Vec::new();
    for spec in specs {
        let Some(tp) = plan.table(&spec.job.source_name) else { continue };
        let source_table = source.table(&spec.job.source_name);
        let alias = source_table.and_then(|t| t.rowid_alias()).map(|c| c.name.clone());
        let (column, source_column) = match (&tp.identity, mode) {
            (Some(id), SchemaMode::Create) => (id.column.clone(), alias.clone()),
            // Existing mode: a single integer primary key column may have a sequence.
            (_, SchemaMode::Existing) if spec.key.len() == 1 => {
                let i = spec.key[0];
                if !matches!(spec.types[i], ColumnType::Integer { .. }) {
                    continue;
                }
                (spec.job.columns[i].clone(), spec.job.source_columns.get(i).cloned())
            }
            _ => continue,
        };
        let sqlite_sequence =
            source_table.and_then(|t| t.sequence).filter(|_| alias.is_some() && source_column == alias);
        let tref = conn.table_ref(schema, &tp.target_name);
        let max_sql =
            format!("SELECT CAST(COALESCE(max({}), 0) AS {}) FROM {tref}", engine.quote(&column), engine.bigint_cast());
        let Some(next) = conn.next_counter(schema, &tp.target_name, &column).await? else { continue };
        let max_value = conn.scalar(&max_sql).await?;
        out.push(IdentityVerdict {
            table: tp.target_name.clone(),
            column,
            max_value,
            next_value: next,
            ok: next > max_value && next > sqlite_sequence.unwrap_or(0),
            sqlite_sequence,
        });
    }
    Ok(out)
}

/// Create mode: every index, unique index, foreign key and identity counter that the
/// plan adds after the data, on tables present in the target, looked up in its catalog
/// (the same lookup `migrate --resume` uses to find what already ran). Views are best
/// effort in the migration, so a missing one is not a difference.
pub(super) async fn post_load(
    conn: &mut TargetConn,
    plan: &Plan,
    schema: Option<&str>,
    present: &BTreeSet<String>,
) -> Result<Vec<PostLoadVerdict>, VerifyError> {
    let unique = |table: &str, name: &str| {
        plan.tables
            .iter()
            .filter(|t| t.target_name == table)
            .flat_map(|t| t.indexes.iter())
            .any(|i| i.target_name == name && i.unique)
    };
    let mut out = Vec::new();
    let parts = plan.statements.iter().filter(|s| s.phase != plan::Phase::Tables).flat_map(|s| s.parts.iter());
    for part in parts {
        let (kind, table, name) = match &part.object {
            plan::PlannedObject::Index { table, name } => {
                (if unique(table, name) { "unique index" } else { "index" }, table, name.clone())
            }
            plan::PlannedObject::ForeignKey { table, name } => ("foreign key", table, name.clone()),
            plan::PlannedObject::Counter { table, column, next } => {
                ("identity counter", table, format!("{column} (next {next} or more)"))
            }
            plan::PlannedObject::View { .. } | plan::PlannedObject::Check { .. } => continue,
        };
        if !present.contains(table) {
            continue;
        }
        let found = match &part.object {
            // A counter that exists but is behind is the identity check's difference
            // ("behind the largest key"), not a missing post-load object.
            plan::PlannedObject::Counter { table, column, .. } => {
                conn.next_counter(schema, table, column).await?.is_some()
            }
            other => conn.has_object(schema, other).await?,
        };
        out.push(PostLoadVerdict { kind: kind.into(), table: table.clone(), name, present: found });
    }
    Ok(out)
}

/// Compare the snapshot with the migration's, and say which tables now differ.
pub(super) fn source_changed(
    report: &mut VerifyReport,
    state: &State,
    schema: &SourceSchema,
    verdicts: &[TableVerdict],
) {
    if state.source_fingerprint == schema.fingerprint {
        return;
    }
    let differing: Vec<&str> = verdicts.iter().filter(|v| !v.matches()).map(|v| v.table.as_str()).collect();
    report.findings.push(Finding::new(
        Level::Warning,
        "source_changed",
        &report.source,
        format!(
            "the source changed since the migration's snapshot (fingerprint {} then, {} now); {}",
            state.source_fingerprint,
            schema.fingerprint,
            if differing.is_empty() {
                "no table's content differs from the target (a VACUUM or a change undone)".to_string()
            } else {
                format!("tables whose content now differs from the target: {}", differing.join(", "))
            }
        ),
    ));
}

/// A finished migration recorded for this target whose every loaded table is now missing
/// or empty: the database was dropped and created again (or emptied) since. Said once,
/// with the fix, above the tables that each differ.
pub(super) fn target_lost(report: &mut VerifyReport, state: &State, verdicts: &[TableVerdict], target: &str) {
    if !state.finished || !crate::target::url::same_target(&state.target, target) {
        return;
    }
    let loaded: Vec<&TableVerdict> = verdicts
        .iter()
        .filter(|v| {
            state
                .tables
                .get(&v.table)
                .is_some_and(|t| t.status == crate::copy::state::TableStatus::Done && t.rows_written > 0)
        })
        .collect();
    let lost = loaded.iter().all(|v| v.status == "missing in target" || v.rows_target == 0);
    if loaded.is_empty() || !lost {
        return;
    }
    report.findings.push(Finding::new(
        Level::Warning,
        "target_lost",
        &report.target,
        format!(
            "the state file records a migration into this target that finished at {}, but all {} table(s) it loaded are missing or empty now: the database was dropped and created again, or emptied. Migrate again (`cutover migrate … --restart`), then verify",
            state.updated_at,
            loaded.len()
        ),
    ));
}
