//! Before any change: the profile checked against the target (tables, columns, keys,
//! files, extensions, names); a profile that does not fit is refused whole.

#[allow(unused_imports)]
use super::*;

/// A table and the columns a step needs in it, and the step (for messages).
type Wanted = (String, Vec<String>, String);

/// Every table and column the profile names must exist before anything changes.
pub(super) async fn validate(
    conn: &mut TargetConn,
    schema: Option<&str>,
    profile: &Profile,
    env_file: Option<&Path>,
    stale_password_files: &[PathBuf],
) -> Result<(), RunError> {
    let mut problems = Vec::new();
    let wanted = wanted_columns(profile, &mut problems);
    let here = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
    readable_files(profile, &here, &mut problems);
    step_inputs(conn, schema, profile, env_file, stale_password_files, &here, &mut problems).await?;
    tables_and_columns(conn, schema, profile, wanted, &mut problems).await?;
    admin_not_deactivated(profile, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::Profile(format!(
            "the hardening profile does not fit the target; nothing was changed:\n  {}",
            problems.join("\n  ")
        )))
    }
}

/// The tables and columns each step needs (and the steps' own limits).
fn wanted_columns(profile: &Profile, problems: &mut Vec<String>) -> Vec<Wanted> {
    let need = |table: &str, columns: Vec<&str>, step: String| {
        (table.to_string(), columns.iter().map(|c| c.to_string()).collect::<Vec<_>>(), step)
    };
    let mut wanted = Vec::new();
    for (i, step) in profile.steps.iter().enumerate() {
        let at = format!("step {} ({})", i + 1, step.title());
        match step {
            Step::Deactivate { table, match_column, flag, .. } => {
                wanted.push(need(table, vec![match_column, flag], at));
            }
            Step::CreateAdmin { table, username_column, password_column, flag, columns, password_length, .. } => {
                let mut cols = vec![username_column.as_str(), password_column.as_str()];
                if !flag.is_empty() {
                    cols.push(flag);
                }
                cols.extend(columns.keys().map(String::as_str));
                wanted.push(need(table, cols, at.clone()));
                if password_length.is_some_and(|n| n < 16) {
                    problems.push(format!("{at}: password_length must be at least 16"));
                }
            }
            Step::RotateSecret { invalidate, length, .. } => {
                for inv in invalidate {
                    wanted.push(need(&inv.table, inv.set.keys().map(String::as_str).collect(), at.clone()));
                }
                if length.is_some_and(|n| n < envfile::MIN_SECRET_LENGTH) {
                    problems.push(format!("{at}: length must be at least {}", envfile::MIN_SECRET_LENGTH));
                }
            }
            Step::VersionColumns { tables, .. } => {
                for t in tables {
                    wanted.push(need(t, vec![], at.clone()));
                }
            }
            Step::Index { table, columns, .. } => {
                wanted.push(need(table, columns.iter().map(String::as_str).collect(), at));
            }
            Step::FkIndexes { .. } | Step::Extensions { .. } | Step::Sql { .. } => {}
        }
    }
    wanted
}

/// The profile's sample and template env files must be readable.
fn readable_files(profile: &Profile, here: &str, problems: &mut Vec<String>) {
    for (key, file) in [("sample_env", &profile.sample_env), ("env_template", &profile.env_template)] {
        if let Some(f) = file.as_ref().filter(|f| std::fs::File::open(f).is_err()) {
            problems.push(format!(
                "{key} {}: cannot read it (relative paths in a profile are read from the current directory, {here})",
                f.display()
            ));
        }
    }
}

/// What individual steps need: a password file's folder (and no file there yet), the
/// env file, a check query that runs, extensions the server has.
async fn step_inputs(
    conn: &mut TargetConn,
    schema: Option<&str>,
    profile: &Profile,
    env_file: Option<&Path>,
    stale_password_files: &[PathBuf],
    here: &str,
    problems: &mut Vec<String>,
) -> Result<(), RunError> {
    for (i, step) in profile.steps.iter().enumerate() {
        let at = format!("step {} ({})", i + 1, step.title());
        match step {
            Step::CreateAdmin { table, username_column, username, password_file, .. } => {
                let folder = password_file.parent().filter(|p| !p.as_os_str().is_empty());
                if folder.is_some_and(|f| !f.is_dir()) {
                    problems.push(format!(
                        "{at}: the folder of password_file {} does not exist (relative paths are read from {here})",
                        password_file.display()
                    ));
                }
                let admin_missing = conn.table_exists(schema, table).await?
                    && conn.columns(schema, table).await?.iter().any(|c| &c.name == username_column)
                    && conn
                        .text_rows(&format!(
                            "SELECT 1 FROM {} WHERE {} = {}",
                            conn.table_ref(schema, table),
                            conn.dialect().engine().quote(username_column),
                            conn.dialect().engine().string_literal(username)
                        ))
                        .await?
                        .is_empty();
                // A run stopped before its admin was committed may have left the file: the
                // journal says so, and the password in it opens nothing.
                let stale = stale_password_files.contains(&super::apply::absolute(password_file));
                if admin_missing && password_file.exists() && !stale {
                    problems.push(format!(
                        "{at}: password_file {} already exists; move it away first (cutover writes the new admin's password there once, and --undo removes it)",
                        password_file.display()
                    ));
                }
            }
            Step::RotateSecret { .. }
                if env_file
                    .is_some_and(|f| f.parent().filter(|p| !p.as_os_str().is_empty()).is_some_and(|p| !p.is_dir())) =>
            {
                problems.push(format!(
                    "{at}: the folder of the env file {} does not exist (relative paths are read from {here})",
                    env_file.map(|f| f.display().to_string()).unwrap_or_default()
                ))
            }
            Step::RotateSecret { .. } if env_file.is_none() => problems.push(format!(
                "{at}: rotate_secret needs the env file: pass --env-file FILE or set env_file in the profile"
            )),
            Step::Sql { check, .. } => {
                if let Err(e) = sql_count(conn, check).await {
                    problems.push(format!("{at}: its check query fails: {e}"));
                }
            }
            Step::Extensions { extensions, .. } => {
                for e in extensions {
                    let Some((_, available)) = conn.dialect().engine().extension_sql(e) else { continue };
                    if conn.scalar(&available).await? == 0 {
                        problems.push(format!(
                            "{at}: the server has no extension {e} to install; install its package on the database server (contrib extensions on Debian: postgresql-contrib)"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Each wanted table exists, with its columns, and a primary key where rows are changed.
async fn tables_and_columns(
    conn: &mut TargetConn,
    schema: Option<&str>,
    profile: &Profile,
    wanted: Vec<Wanted>,
    problems: &mut Vec<String>,
) -> Result<(), RunError> {
    // Rows a step changes are named by their primary key in the journal.
    let keyed: Vec<&str> = profile
        .steps
        .iter()
        .flat_map(|s| match s {
            Step::Deactivate { table, .. } | Step::CreateAdmin { table, .. } => vec![table.as_str()],
            Step::RotateSecret { invalidate, .. } => invalidate.iter().map(|i| i.table.as_str()).collect(),
            _ => vec![],
        })
        .collect();
    for (table, columns, at) in wanted {
        if !conn.table_exists(schema, &table).await? {
            problems.push(format!("{at}: the target has no table {table}"));
            continue;
        }
        if keyed.contains(&table.as_str()) && conn.primary_key(schema, &table).await?.is_empty() {
            problems.push(format!(
                "{at}: table {table} has no primary key; cutover names each changed row by its key so that --undo can restore it"
            ));
        }
        let catalog = conn.columns(schema, &table).await?;
        for c in columns {
            if !catalog.iter().any(|k| k.name == c) {
                let names: Vec<&str> = catalog.iter().map(|k| k.name.as_str()).collect();
                problems.push(format!("{at}: table {table} has no column {c} (it has: {})", names.join(", ")));
            }
        }
    }
    Ok(())
}

/// The new admin must not be one of the accounts the profile deactivates.
fn admin_not_deactivated(profile: &Profile, problems: &mut Vec<String>) {
    let deactivated: Vec<(&str, &str, &[String])> = profile
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Deactivate { table, match_column, values, .. } => {
                Some((table.as_str(), match_column.as_str(), values.as_slice()))
            }
            _ => None,
        })
        .collect();
    for step in &profile.steps {
        if let Step::CreateAdmin { table, username_column, username, .. } = step {
            for (t, col, values) in &deactivated {
                if t == table && col == username_column && pattern::matches_any(values, username) {
                    problems.push(format!(
                        "the production admin {username:?} matches a deactivate pattern of {table}.{col}: choose a client-specific name"
                    ));
                }
            }
        }
    }
}
