//! Planning each step kind: what it would change in the target now (empty: nothing to do).

#[allow(unused_imports)]
use super::*;

/// What a step would change in the target now.
pub(super) async fn plan_step(
    conn: &mut TargetConn,
    schema: Option<&str>,
    opts: &HardenOptions,
    step: &Step,
) -> Result<Vec<Action>, RunError> {
    match step {
        Step::Deactivate { table, match_column, flag, inactive_value, values, .. } => {
            deactivate(conn, schema, table, match_column, flag, *inactive_value, values).await
        }
        Step::CreateAdmin { table, username_column, username, flag, columns, .. } => {
            admin(conn, schema, table, username_column, username, flag, columns).await
        }
        Step::RotateSecret { keys, length, insecure, invalidate, .. } => {
            plan_rotation(conn, schema, opts, keys, *length, insecure, invalidate).await
        }
        Step::VersionColumns { tables, column, definition, index, .. } => {
            version_columns(conn, schema, tables, column, definition, *index).await
        }
        Step::FkIndexes { .. } => fk_indexes(conn, schema).await,
        Step::Index { table, columns, index_name: name, .. } => index(conn, schema, table, columns, name).await,
        Step::Extensions { extensions, .. } => extensions_to_create(conn, step, extensions).await,
        Step::Sql { check, apply, undo, .. } => {
            let n = sql_count(conn, check)
                .await
                .map_err(|e| RunError::Step { step: step.title(), reason: format!("its check query failed: {e}") })?;
            Ok(if n > 0 { vec![Action::Sql { apply: apply.clone(), undo: undo.clone() }] } else { vec![] })
        }
    }
}

/// `deactivate`: the rows whose match column matches a pattern and whose flag is not yet set.
async fn deactivate(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    match_column: &str,
    flag: &str,
    inactive_value: bool,
    values: &[String],
) -> Result<Vec<Action>, RunError> {
    let dialect = conn.dialect();
    let (key, rows) = rows_where(conn, schema, table, &[match_column.to_string(), flag.to_string()], None).await?;
    let hits: Vec<RowBefore> = rows
        .into_iter()
        .filter(|(_, v)| v[0].as_deref().is_some_and(|m| pattern::matches_any(values, m)))
        .filter(|(_, v)| truthy(v[1].as_deref()) != Some(inactive_value))
        .map(|(k, v)| RowBefore { key: k, before: vec![v[1].clone()] })
        .collect();
    if hits.is_empty() {
        return Ok(vec![]);
    }
    Ok(vec![Action::Update {
        table: table.to_string(),
        key_columns: key,
        set: vec![(flag.to_string(), bool_literal(dialect, inactive_value))],
        what: format!("set {table}.{flag} = {inactive_value} where {match_column} matches the demo list"),
        rows: hits,
    }])
}

/// `create_admin`: insert the admin, or reactivate it when its flag is off.
async fn admin(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    username_column: &str,
    username: &str,
    flag: &str,
    columns: &std::collections::BTreeMap<String, toml::Value>,
) -> Result<Vec<Action>, RunError> {
    let dialect = conn.dialect();
    let flag_cols: Vec<String> = if flag.is_empty() { vec![] } else { vec![flag.to_string()] };
    let cond = format!("{} = {}", dialect.engine().quote(username_column), dialect.engine().string_literal(username));
    let (key, rows) = rows_where(conn, schema, table, &flag_cols, Some(&cond)).await?;
    Ok(match rows.first() {
        None => {
            let cols = columns.iter().map(|(c, v)| (c.clone(), toml_literal(dialect, v))).collect();
            vec![Action::CreateAdmin {
                table: table.to_string(),
                username_column: username_column.to_string(),
                username: username.to_string(),
                columns: cols,
            }]
        }
        Some((k, v)) if !flag.is_empty() && truthy(v[0].as_deref()) != Some(true) => vec![Action::Update {
            table: table.to_string(),
            key_columns: key,
            set: vec![(flag.to_string(), bool_literal(dialect, true))],
            what: format!("reactivate the admin {username} ({table}.{flag} = true)"),
            rows: vec![RowBefore { key: k.clone(), before: v.clone() }],
        }],
        Some(_) => vec![],
    })
}

/// `version_columns`: the column on each table that lacks it, and its index when asked.
async fn version_columns(
    conn: &mut TargetConn,
    schema: Option<&str>,
    tables: &[String],
    column: &String,
    definition: &str,
    index: bool,
) -> Result<Vec<Action>, RunError> {
    let all = if tables.is_empty() { conn.tables(schema).await? } else { tables.to_vec() };
    let indexes = conn.index_columns(schema).await?;
    let mut out = Vec::new();
    for t in all {
        let has = conn.columns(schema, &t).await?.iter().any(|c| &c.name == column);
        if !has {
            out.push(Action::AddColumn {
                table: t.clone(),
                column: column.clone(),
                definition: definition.to_string(),
            });
        }
        if index && !indexes.iter().any(|(it, _, cols)| it == &t && cols.first() == Some(column)) {
            let cols = vec![column.clone()];
            out.push(Action::CreateIndex { index: index_name(&t, &cols), table: t, columns: cols });
        }
    }
    Ok(out)
}

/// `fk_indexes`: an index for every foreign-key column set that no index starts with.
async fn fk_indexes(conn: &mut TargetConn, schema: Option<&str>) -> Result<Vec<Action>, RunError> {
    let fks = conn.foreign_key_columns(schema).await?;
    let indexes = conn.index_columns(schema).await?;
    let mut out: Vec<Action> = Vec::new();
    for (t, cols) in fks {
        let covered =
            indexes.iter().any(|(it, _, ic)| it == &t && ic.len() >= cols.len() && ic[..cols.len()] == cols[..]);
        let planned = out
            .iter()
            .any(|a| matches!(a, Action::CreateIndex { table, columns, .. } if table == &t && columns == &cols));
        if !covered && !planned {
            out.push(Action::CreateIndex { index: index_name(&t, &cols), table: t, columns: cols });
        }
    }
    Ok(out)
}

/// `index`: the profile's index, unless an index already starts with its columns.
async fn index(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &String,
    columns: &[String],
    name: &Option<String>,
) -> Result<Vec<Action>, RunError> {
    let indexes = conn.index_columns(schema).await?;
    let covered = indexes
        .iter()
        .any(|(it, _, ic)| it == table && ic.len() >= columns.len() && ic[..columns.len()] == columns[..]);
    if covered {
        return Ok(vec![]);
    }
    let index = name.clone().unwrap_or_else(|| index_name(table, columns));
    Ok(vec![Action::CreateIndex { table: table.clone(), index, columns: columns.to_vec() }])
}

/// `extensions`: those not installed yet, on an engine that has extensions.
async fn extensions_to_create(
    conn: &mut TargetConn,
    step: &Step,
    extensions: &[String],
) -> Result<Vec<Action>, RunError> {
    let engine = conn.dialect().engine();
    let mut out = Vec::new();
    for e in extensions {
        let Some((installed, available)) = engine.extension_sql(e) else { return Ok(vec![]) };
        if conn.scalar(&installed).await? > 0 {
            continue;
        }
        if conn.scalar(&available).await? == 0 {
            return Err(RunError::Step {
                step: step.title(),
                reason: format!(
                    "the server has no extension {e} to install; install its package on the database server (for contrib extensions on Debian: postgresql-contrib) and run again"
                ),
            });
        }
        out.push(Action::CreateExtension { extension: e.clone() });
    }
    Ok(out)
}
