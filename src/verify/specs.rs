//! How each source table is compared: its `TableJob` (the copy's own, in create or
//! existing mode), the neutral types to read the target with, and its key columns.

use super::*;

/// One table as verify compares it.
#[derive(Clone)]
pub(super) struct Spec {
    pub(super) job: TableJob,
    pub(super) types: Vec<ColumnType>,
    /// Indexes of the primary key columns in a converted row; empty: compare as a multiset.
    pub(super) key: Vec<usize>,
    /// Rows a reject-mode migration set aside for a foreign key, by row key: not expected
    /// in the target, like rows that do not convert.
    pub(super) set_aside: Option<Arc<HashMap<String, Reject>>>,
}

/// The specs of the tables that exist in the target, and a verdict for every planned table.
pub(super) async fn table_specs(
    plan: &Plan,
    schema: &SourceSchema,
    conns: &mut [TargetConn],
    schema_ref: Option<&str>,
    mode: SchemaMode,
    state: Option<&State>,
) -> Result<(Vec<Spec>, Vec<TableVerdict>), VerifyError> {
    let Some(conn) = conns.first_mut() else { return Err(VerifyError::Internal("no target connection".into())) };
    let created = if mode == SchemaMode::Create { job::create_jobs(plan, schema, conn.dialect())? } else { Vec::new() };
    let mut specs = Vec::new();
    let mut verdicts = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.table(&tp.source_name) else { continue };
        let mut v = TableVerdict {
            table: tp.source_name.clone(),
            target_table: tp.target_name.clone(),
            tier: tp.tier,
            rows_source: t.row_count,
            multiset: t.primary_key.is_none(),
            ..Default::default()
        };
        if let Some(ts) = state.and_then(|s| s.tables.get(&tp.source_name)) {
            v.rows_rejected = ts.rows_rejected;
        }
        if !conn.table_exists(schema_ref, &tp.target_name).await? {
            v.status = "missing in target".into();
            verdicts.push(v);
            continue;
        }
        let job = match mode {
            SchemaMode::Create => created.iter().find(|j| j.source_name == tp.source_name).cloned(),
            SchemaMode::Existing => {
                let catalog = conn.columns(schema_ref, &tp.target_name).await?;
                match job::existing_job(t, tp, &catalog, conn.dialect(), true) {
                    Ok(j) => Some(j),
                    Err(problems) => {
                        v.status = "not comparable".into();
                        v.problem = Some(problems.join("; "));
                        None
                    }
                }
            }
        };
        let Some(job) = job else {
            verdicts.push(v);
            continue;
        };
        let key = match &job.key {
            KeySpec::Columns(cols) => cols.iter().map(|(i, _)| i - job.offset).collect(),
            KeySpec::Rowid => Vec::new(),
        };
        let types = job.types.iter().map(|(t, _)| *t).collect();
        v.status = "match".into();
        verdicts.push(v);
        specs.push(Spec { job, types, key, set_aside: None });
    }
    Ok((specs, verdicts))
}
