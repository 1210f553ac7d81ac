//! `harden --undo RUN`: a recorded run taken back, newest change first, each step in
//! one transaction, the journal marking what is undone so an interrupted undo resumes.
//! Every change is taken back only as far as the target still holds it (a column, an
//! index that is already gone is left alone): a step journaled before a stop may not
//! have been applied, and an undo stopped midway is run again.

#[allow(unused_imports)]
use super::*;

/// What `--undo` did.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct UndoReport {
    pub run_id: String,
    pub target: String,
    /// One line per change taken back, newest first.
    pub undone: Vec<String>,
    /// Changes that could not be taken back (a `sql` step without `undo`).
    pub not_undone: Vec<String>,
}

impl UndoReport {
    pub fn render(&self) -> String {
        let mut out = format!("harden --undo {} on {}\n", self.run_id, self.target);
        for u in &self.undone {
            out.push_str(&format!("  undone: {u}\n"));
        }
        for u in &self.not_undone {
            out.push_str(&format!("  NOT undone: {u}\n"));
        }
        out
    }
}

/// Take back one recorded run, newest change first.
pub async fn undo(
    target: &TargetUrl,
    target_schema: Option<&str>,
    journal_path: &Path,
    run_id: &str,
) -> Result<UndoReport, RunError> {
    if !journal_path.exists() {
        return Err(RunError::Profile(format!(
            "no journal at {}: pass --journal FILE, the journal the hardening run wrote",
            journal_path.display()
        )));
    }
    let mut journal = Journal::load(journal_path)?;
    let Some(run) = journal.runs.iter().find(|r| r.run_id == run_id).cloned() else {
        let ids: Vec<&str> = journal.runs.iter().map(|r| r.run_id.as_str()).collect();
        return Err(RunError::Profile(format!(
            "{}: no run {run_id} (runs recorded: {})",
            journal_path.display(),
            if ids.is_empty() { "none".to_string() } else { ids.join(", ") }
        )));
    };
    if let Some(at) = &run.undone_at {
        return Err(RunError::Profile(format!("run {run_id} was already undone at {at}")));
    }
    if !crate::target::url::same_target(&run.target, &target.to_string()) {
        return Err(RunError::Profile(format!(
            "run {run_id} changed {}, not {target}; pass the same --to",
            run.target
        )));
    }
    require_sqlite_file(target)?;
    let mut conn = TargetConn::connect(target).await?;
    let mut report = UndoReport { run_id: run_id.into(), target: target.to_string(), ..Default::default() };
    for (step_index, step) in run.steps.iter().enumerate().rev() {
        if step.undone {
            continue;
        }
        conn.execute("BEGIN").await?;
        for change in step.changes.iter().rev() {
            match undo_change(&mut conn, target_schema, &step.title, change).await? {
                Some(done) => report.undone.push(done),
                None => report.not_undone.push(format!("step {}: the profile gives no undo SQL", step.title)),
            }
            crate::fault!("undo::after_change");
        }
        conn.commit().await?;
        crate::fault!("undo::after_commit");
        if let Some(s) = journal.run_mut(run_id).and_then(|r| r.steps.get_mut(step_index)) {
            s.undone = true;
        }
        journal.save(journal_path)?;
    }
    if let Some(r) = journal.run_mut(run_id) {
        r.undone_at = Some(crate::copy::state::now());
    }
    journal.save(journal_path)?;
    Ok(report)
}

/// Take back one change; None when it cannot be (a `sql` step without `undo`).
async fn undo_change(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step_title: &str,
    change: &Change,
) -> Result<Option<String>, RunError> {
    let dialect = conn.dialect();
    let e = dialect.engine();
    Ok(Some(match change {
        Change::RowsUpdated { table, key_columns, columns, rows } => {
            let tref = conn.table_ref(schema, table);
            for r in rows {
                let set: Vec<String> = columns
                    .iter()
                    .zip(&r.before)
                    .map(|(c, v)| {
                        format!("{} = {}", e.quote(c), v.as_deref().map_or("NULL".into(), |v| e.string_literal(v)))
                    })
                    .collect();
                let sql = format!(
                    "UPDATE {tref} SET {} WHERE {}",
                    set.join(", "),
                    key_condition(dialect, key_columns, &r.key)
                );
                conn.execute(&sql).await?;
            }
            format!("{} row(s) of {table} restored ({})", rows.len(), columns.join(", "))
        }
        Change::RowInserted { table, column, value, password_file } => {
            conn.execute(&format!(
                "DELETE FROM {} WHERE {} = {}",
                conn.table_ref(schema, table),
                e.quote(column),
                e.string_literal(value)
            ))
            .await?;
            if let Some(p) = password_file.as_ref().filter(|p| p.exists()) {
                std::fs::remove_file(p).map_err(|source| HardenError::Write {
                    path: p.clone(),
                    action: "remove",
                    source,
                })?;
            }
            format!("{table} row {column}={value} deleted (and its password file)")
        }
        Change::EnvReplaced { path, .. } => {
            undo_file(change)?;
            format!("{} restored to its state before the run", path.display())
        }
        Change::EnvCreated { path } if !path.exists() => {
            format!("{} was not there (nothing to remove)", path.display())
        }
        Change::EnvCreated { path } => {
            undo_file(change)?;
            format!("{} removed (the run had created it)", path.display())
        }
        Change::ColumnAdded { table, column } => {
            if !conn.columns(schema, table).await?.iter().any(|c| &c.name == column) {
                return Ok(Some(format!("column {table}.{column} was not there (nothing to drop)")));
            }
            conn.execute(&format!("ALTER TABLE {} DROP COLUMN {}", conn.table_ref(schema, table), e.quote(column)))
                .await?;
            format!("column {table}.{column} dropped")
        }
        Change::IndexCreated { table, index } => {
            if !has_index(conn, schema, table, index).await? {
                return Ok(Some(format!("index {index} was not there (nothing to drop)")));
            }
            conn.execute(&e.drop_index_sql(schema, table, index)).await?;
            format!("index {index} dropped")
        }
        Change::IndexReplaced { table, index, columns } => {
            if has_index(conn, schema, table, index).await? {
                return Ok(Some(format!("index {index} is there (nothing to create again)")));
            }
            conn.execute(&super::sql::create_index(conn, schema, table, index, columns)).await?;
            format!("index {index} that the server had replaced created again")
        }
        Change::ExtensionCreated { extension } => {
            conn.execute(&format!("DROP EXTENSION IF EXISTS {}", e.quote(extension))).await?;
            format!("extension {extension} dropped")
        }
        Change::SqlApplied { undo: Some(sql) } => {
            conn.execute(sql).await?;
            format!("step {}: undo SQL run", step_title)
        }
        Change::SessionsRevoked { tables, .. } => {
            format!("the record that sessions in {} were revoked is taken back", tables.join(", "))
        }
        Change::SqlApplied { undo: None } => return Ok(None),
    }))
}

/// Whether `table` has an index called `index`.
async fn has_index(conn: &mut TargetConn, schema: Option<&str>, table: &str, index: &str) -> Result<bool, RunError> {
    Ok(conn.index_columns(schema).await?.iter().any(|(t, i, _)| t == table && i == index))
}
