//! Running a hardening profile against a target: check what each step would change,
//! apply it (one transaction per step where the engine allows), journal the values
//! before, re-check, and take a run back with `--undo`.
//!
//! Every step is planned first as a list of `Action`s read from the target's current
//! state; an empty list means the step has nothing to do, which is what makes a second
//! run a no-op and what `--check` reports. Identifiers are quoted by the target's
//! dialect and every value is written as a literal encoded by it.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use super::envfile::{self, EnvFile};
use super::journal::{self, Change, Journal, JournalError, RowBefore, Run, StepRecord};
use super::password;
use super::pattern;
use super::profile::{Invalidate, Profile, Step};
use super::HardenError;
use crate::target::conn::{TargetConn, TargetError};
use crate::target::url::TargetUrl;
use crate::target::Dialect;

pub struct HardenOptions {
    pub target: TargetUrl,
    pub target_schema: Option<String>,
    pub profile: Profile,
    /// The env file (from the command line or the profile).
    pub env_file: Option<PathBuf>,
    pub journal: PathBuf,
    /// Change nothing; report what would change.
    pub check: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Secret(#[from] HardenError),
    /// The profile does not fit the target; nothing was changed.
    #[error("{0}")]
    Profile(String),
    #[error("step {step}: {reason}")]
    Step { step: String, reason: String },
    /// SIGINT / SIGTERM between two steps: the steps applied are in the journal.
    #[error("stopped before step {step} ({}); the steps applied so far are recorded in the journal: run harden again to apply the rest (done steps find nothing to do), or take them back with --undo", signal.name())]
    Interrupted { signal: crate::interrupt::Interrupted, step: String },
}

impl RunError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, RunError::Profile(_))
    }
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct HardenReport {
    pub target: String,
    /// The journal's id of this run (None with --check, or when nothing changed).
    pub run_id: Option<String>,
    pub check_only: bool,
    pub steps: Vec<StepReport>,
    /// True when something was (or, with --check, would be) changed.
    pub changed: bool,
    pub journal: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StepReport {
    pub title: String,
    pub kind: String,
    /// `nothing to do`, `changed`, `would change`, `skipped`.
    pub status: String,
    /// What was (or would be) changed, one line each; never a secret.
    pub changes: Vec<String>,
}

impl HardenReport {
    pub fn render(&self) -> String {
        let mut out = format!(
            "{} {}\n",
            if self.check_only { "harden --check (nothing changed):" } else { "harden:" },
            self.target
        );
        for s in &self.steps {
            out.push_str(&format!("  [{}] {}: {}\n", s.kind, s.title, s.status));
            for c in &s.changes {
                out.push_str(&format!("      {c}\n"));
            }
        }
        match (&self.run_id, self.check_only, self.changed) {
            (_, true, true) => out.push_str("\nchanges are needed; run without --check to apply them\n"),
            (_, true, false) | (None, false, _) => out.push_str("\nnothing to change: the target is hardened\n"),
            (Some(id), false, _) => out.push_str(&format!(
                "\nrun {id} recorded in {}; take it back with:\n  {}\n",
                self.journal,
                undo_command(id, &self.journal, &self.target)
            )),
        }
        out
    }
}

/// The command that takes run `id` back. A target whose password is hidden (`***`) is
/// left for the user to fill in, so that the printed command is never wrong.
pub fn undo_command(id: &str, journal: &str, target: &str) -> String {
    let to = if target.contains("***") {
        "'<the target URL, with its password>'".to_string()
    } else {
        format!("'{target}'")
    };
    format!("cutover harden --undo {id} --journal '{journal}' --to {to}")
}

/// A `sqlite://` target must be a file that exists: connecting would create an empty one.
fn require_sqlite_file(target: &TargetUrl) -> Result<(), RunError> {
    match target.sqlite_path() {
        Some(p) if !p.exists() => Err(RunError::Profile(format!(
            "the target SQLite file {} does not exist; pass the file the migration wrote (--to sqlite://PATH)",
            p.display()
        ))),
        _ => Ok(()),
    }
}

/// What a step will do, read from the target's current state.
#[derive(Debug, Clone)]
enum Action {
    /// Set `set` on the rows named by `rows` (their keys), whose old values are recorded.
    Update {
        table: String,
        key_columns: Vec<String>,
        set: Vec<(String, String)>,
        rows: Vec<RowBefore>,
        what: String,
    },
    /// Insert the production admin: the password is generated at apply time.
    CreateAdmin {
        table: String,
        username_column: String,
        username: String,
        columns: Vec<(String, String)>,
    },
    /// Rotate these keys of the env file (creating it from the template when missing).
    Rotate {
        path: PathBuf,
        keys: Vec<String>,
        length: usize,
        template: Option<PathBuf>,
        reasons: Vec<String>,
    },
    AddColumn {
        table: String,
        column: String,
        definition: String,
    },
    CreateIndex {
        table: String,
        index: String,
        columns: Vec<String>,
    },
    CreateExtension {
        extension: String,
    },
    Sql {
        apply: String,
        undo: Option<String>,
    },
    /// Record in the journal the fingerprint of the secret that the env file holds now,
    /// as the one under which `tables` were revoked in this target.
    RecordRevocation {
        path: PathBuf,
        keys: Vec<String>,
        tables: Vec<String>,
    },
}

impl Action {
    fn describe(&self) -> String {
        match self {
            Action::Update { what, rows, .. } => format!("{what}: {} row(s)", rows.len()),
            Action::CreateAdmin { table, username, .. } => {
                format!("insert {username} into {table} (password generated and written to the password file only)")
            }
            Action::Rotate { path, keys, reasons, template, .. } => {
                let created = match (path.exists(), template) {
                    (true, _) => String::new(),
                    (false, Some(t)) => format!("; the file does not exist yet: it is created from {}", t.display()),
                    (false, None) => "; the file does not exist yet: it is created".into(),
                };
                format!("new value for {} in {} ({}){created}", keys.join(", "), path.display(), reasons.join("; "))
            }
            Action::AddColumn { table, column, definition } => format!("add column {table}.{column} {definition}"),
            Action::CreateIndex { table, index, columns } => {
                format!("create index {index} on {table} ({})", columns.join(", "))
            }
            Action::CreateExtension { extension } => format!("create extension {extension}"),
            // Not the SQL itself: a profile may create a role with its password there.
            Action::Sql { apply, .. } => format!("run the step's apply SQL ({} characters)", apply.chars().count()),
            Action::RecordRevocation { tables, .. } => format!(
                "record in the journal: {} revoked in this target under the current secret (its fingerprint only)",
                tables.join(", ")
            ),
        }
    }
}

/// Run (or check) a profile.
pub async fn harden(opts: &HardenOptions) -> Result<HardenReport, RunError> {
    require_sqlite_file(&opts.target)?;
    let mut conn = TargetConn::connect(&opts.target).await?;
    let schema = opts.target_schema.as_deref();
    validate(&mut conn, schema, &opts.profile, opts.env_file.as_deref()).await?;
    let mut report = HardenReport {
        target: opts.target.to_string(),
        check_only: opts.check,
        journal: opts.journal.display().to_string(),
        ..Default::default()
    };
    let mut journal = if opts.check { Journal::default() } else { Journal::load(&opts.journal)? };
    let run_id = journal::new_run_id();
    let mut recorded = false;
    for step in &opts.profile.steps {
        if let Some(signal) = crate::interrupt::requested() {
            if recorded {
                journal.save(&opts.journal)?;
            }
            return Err(RunError::Interrupted { signal, step: step.title() });
        }
        let actions = plan_step(&mut conn, schema, opts, step).await?;
        let status = match (actions.is_empty(), opts.check) {
            (true, _) => "nothing to do",
            (false, true) => "would change",
            (false, false) => "changed",
        };
        let mut sr = StepReport {
            title: step.title(),
            kind: step.kind().into(),
            status: status.into(),
            changes: actions.iter().map(Action::describe).collect(),
        };
        if step_skipped(&conn, step) {
            sr.status = "skipped".into();
            sr.changes = vec![format!("{} has no extensions; this step is for PostgreSQL", conn.dialect())];
        }
        report.changed |= !actions.is_empty();
        if !opts.check && !actions.is_empty() {
            if !recorded {
                journal.runs.push(Run {
                    run_id: run_id.clone(),
                    target: opts.target.to_string(),
                    started_at: crate::copy::state::now(),
                    finished: false,
                    undone_at: None,
                    steps: Vec::new(),
                });
                recorded = true;
            }
            apply_step(&mut conn, schema, step, &actions, &mut journal, &run_id, &opts.journal).await?;
            // Re-check: a step that still has work after it ran did not do what it says.
            let again = plan_step(&mut conn, schema, opts, step).await?;
            if !again.is_empty() {
                return Err(RunError::Step {
                    step: step.title(),
                    reason: format!(
                        "still needed after it was applied: {}",
                        again.iter().map(Action::describe).collect::<Vec<_>>().join("; ")
                    ),
                });
            }
        }
        report.steps.push(sr);
    }
    if recorded {
        if let Some(run) = journal.run_mut(&run_id) {
            run.finished = true;
        }
        journal.save(&opts.journal)?;
        report.run_id = Some(run_id);
    }
    Ok(report)
}

fn step_skipped(conn: &TargetConn, step: &Step) -> bool {
    matches!(step, Step::Extensions { .. }) && conn.dialect() != Dialect::Postgres
}

/// Every table and column the profile names must exist before anything changes.
async fn validate(
    conn: &mut TargetConn,
    schema: Option<&str>,
    profile: &Profile,
    env_file: Option<&Path>,
) -> Result<(), RunError> {
    let mut problems = Vec::new();
    let need = |table: &str, columns: Vec<&str>, step: String| {
        (table.to_string(), columns.iter().map(|c| c.to_string()).collect::<Vec<_>>(), step)
    };
    let mut wanted = Vec::new();
    let mut deactivated: Vec<(&str, &str, &[String])> = Vec::new();
    for (i, step) in profile.steps.iter().enumerate() {
        let at = format!("step {} ({})", i + 1, step.title());
        match step {
            Step::Deactivate { table, match_column, flag, values, .. } => {
                wanted.push(need(table, vec![match_column, flag], at));
                deactivated.push((table, match_column, values));
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
    let here = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
    for (key, file) in [("sample_env", &profile.sample_env), ("env_template", &profile.env_template)] {
        if let Some(f) = file.as_ref().filter(|f| std::fs::File::open(f).is_err()) {
            problems.push(format!(
                "{key} {}: cannot read it (relative paths in a profile are read from the current directory, {here})",
                f.display()
            ));
        }
    }
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
                if admin_missing && password_file.exists() {
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
            Step::Extensions { extensions, .. } if conn.dialect() == Dialect::Postgres => {
                for e in extensions {
                    let lit = conn.dialect().engine().string_literal(e);
                    let available = conn
                        .scalar(&format!("SELECT count(*) FROM pg_available_extensions WHERE name = {lit}"))
                        .await?;
                    if available == 0 {
                        problems.push(format!(
                            "{at}: the server has no extension {e} to install; install its package on the database server (contrib extensions on Debian: postgresql-contrib)"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
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
    // The new admin must not be one of the accounts the profile deactivates.
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
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::Profile(format!(
            "the hardening profile does not fit the target; nothing was changed:\n  {}",
            problems.join("\n  ")
        )))
    }
}

/// A flag's text as a boolean: `1`, `t`, `true`, `yes` (any case) are true.
fn truthy(text: Option<&str>) -> Option<bool> {
    let t = text?.trim().to_ascii_lowercase();
    Some(matches!(t.as_str(), "1" | "t" | "true" | "yes" | "on"))
}

fn bool_literal(dialect: Dialect, b: bool) -> String {
    match (dialect, b) {
        (Dialect::Postgres, true) => "TRUE".into(),
        (Dialect::Postgres, false) => "FALSE".into(),
        (_, true) => "1".into(),
        (_, false) => "0".into(),
    }
}

/// A profile value as a SQL literal of the target (`"now"` is the current UTC time).
fn toml_literal(dialect: Dialect, v: &toml::Value) -> String {
    let engine = dialect.engine();
    match v {
        toml::Value::String(s) if s == "now" => {
            engine.string_literal(&chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string())
        }
        toml::Value::String(s) => engine.string_literal(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => bool_literal(dialect, *b),
        other => engine.string_literal(&other.to_string()),
    }
}

fn text_cast(dialect: Dialect, expr: &str) -> String {
    match dialect {
        Dialect::MariaDb => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The rows of `table` (key and `columns` as text) that `filter` selects in Rust.
async fn rows_where(
    conn: &mut TargetConn,
    schema: Option<&str>,
    table: &str,
    columns: &[String],
    where_sql: Option<&str>,
) -> Result<(Vec<String>, Vec<(Vec<String>, Vec<Option<String>>)>), RunError> {
    let dialect = conn.dialect();
    let q = |c: &str| dialect.engine().quote(c);
    let key = conn.primary_key(schema, table).await?;
    if key.is_empty() {
        return Err(RunError::Profile(format!(
            "table {table} has no primary key: cutover names each changed row by its key to undo it; add a primary key first"
        )));
    }
    let select: Vec<String> = key.iter().chain(columns).map(|c| text_cast(dialect, &q(c))).collect();
    let sql = format!(
        "SELECT {} FROM {}{}",
        select.join(", "),
        conn.table_ref(schema, table),
        where_sql.map(|w| format!(" WHERE {w}")).unwrap_or_default()
    );
    let rows = conn
        .text_rows(&sql)
        .await?
        .into_iter()
        .map(|r| {
            let (k, v) = r.split_at(key.len());
            (k.iter().map(|x| x.clone().unwrap_or_default()).collect(), v.to_vec())
        })
        .collect();
    Ok((key, rows))
}

async fn plan_step(
    conn: &mut TargetConn,
    schema: Option<&str>,
    opts: &HardenOptions,
    step: &Step,
) -> Result<Vec<Action>, RunError> {
    let dialect = conn.dialect();
    match step {
        Step::Deactivate { table, match_column, flag, inactive_value, values, .. } => {
            let (key, rows) = rows_where(conn, schema, table, &[match_column.clone(), flag.clone()], None).await?;
            let hits: Vec<RowBefore> = rows
                .into_iter()
                .filter(|(_, v)| v[0].as_deref().is_some_and(|m| pattern::matches_any(values, m)))
                .filter(|(_, v)| truthy(v[1].as_deref()) != Some(*inactive_value))
                .map(|(k, v)| RowBefore { key: k, before: vec![v[1].clone()] })
                .collect();
            if hits.is_empty() {
                return Ok(vec![]);
            }
            Ok(vec![Action::Update {
                table: table.clone(),
                key_columns: key,
                set: vec![(flag.clone(), bool_literal(dialect, *inactive_value))],
                what: format!("set {table}.{flag} = {inactive_value} where {match_column} matches the demo list"),
                rows: hits,
            }])
        }
        Step::CreateAdmin { table, username_column, username, flag, columns, .. } => {
            let flag_cols: Vec<String> = if flag.is_empty() { vec![] } else { vec![flag.clone()] };
            let cond =
                format!("{} = {}", dialect.engine().quote(username_column), dialect.engine().string_literal(username));
            let (key, rows) = rows_where(conn, schema, table, &flag_cols, Some(&cond)).await?;
            match rows.first() {
                None => {
                    let cols = columns.iter().map(|(c, v)| (c.clone(), toml_literal(dialect, v))).collect();
                    Ok(vec![Action::CreateAdmin {
                        table: table.clone(),
                        username_column: username_column.clone(),
                        username: username.clone(),
                        columns: cols,
                    }])
                }
                Some((k, v)) if !flag.is_empty() && truthy(v[0].as_deref()) != Some(true) => Ok(vec![Action::Update {
                    table: table.clone(),
                    key_columns: key,
                    set: vec![(flag.clone(), bool_literal(dialect, true))],
                    what: format!("reactivate the admin {username} ({table}.{flag} = true)"),
                    rows: vec![RowBefore { key: k.clone(), before: v.clone() }],
                }]),
                Some(_) => Ok(vec![]),
            }
        }
        Step::RotateSecret { keys, length, insecure, invalidate, .. } => {
            plan_rotation(conn, schema, opts, keys, *length, insecure, invalidate).await
        }
        Step::VersionColumns { tables, column, definition, index, .. } => {
            let all = if tables.is_empty() { conn.tables(schema).await? } else { tables.clone() };
            let indexes = conn.index_columns(schema).await?;
            let mut out = Vec::new();
            for t in all {
                let has = conn.columns(schema, &t).await?.iter().any(|c| &c.name == column);
                if !has {
                    out.push(Action::AddColumn {
                        table: t.clone(),
                        column: column.clone(),
                        definition: definition.clone(),
                    });
                }
                if *index && !indexes.iter().any(|(it, _, cols)| it == &t && cols.first() == Some(column)) {
                    let cols = vec![column.clone()];
                    out.push(Action::CreateIndex { index: index_name(&t, &cols), table: t, columns: cols });
                }
            }
            Ok(out)
        }
        Step::FkIndexes { .. } => {
            let fks = conn.foreign_key_columns(schema).await?;
            let indexes = conn.index_columns(schema).await?;
            let mut out: Vec<Action> = Vec::new();
            for (t, cols) in fks {
                let covered = indexes
                    .iter()
                    .any(|(it, _, ic)| it == &t && ic.len() >= cols.len() && ic[..cols.len()] == cols[..]);
                let planned = out.iter().any(
                    |a| matches!(a, Action::CreateIndex { table, columns, .. } if table == &t && columns == &cols),
                );
                if !covered && !planned {
                    out.push(Action::CreateIndex { index: index_name(&t, &cols), table: t, columns: cols });
                }
            }
            Ok(out)
        }
        Step::Index { table, columns, index_name: name, .. } => {
            let indexes = conn.index_columns(schema).await?;
            let covered = indexes
                .iter()
                .any(|(it, _, ic)| it == table && ic.len() >= columns.len() && ic[..columns.len()] == columns[..]);
            if covered {
                return Ok(vec![]);
            }
            let index = name.clone().unwrap_or_else(|| index_name(table, columns));
            Ok(vec![Action::CreateIndex { table: table.clone(), index, columns: columns.clone() }])
        }
        Step::Extensions { extensions, .. } => {
            if dialect != Dialect::Postgres {
                return Ok(vec![]);
            }
            let mut out = Vec::new();
            for e in extensions {
                let lit = dialect.engine().string_literal(e);
                if conn.scalar(&format!("SELECT count(*) FROM pg_extension WHERE extname = {lit}")).await? > 0 {
                    continue;
                }
                if conn.scalar(&format!("SELECT count(*) FROM pg_available_extensions WHERE name = {lit}")).await? == 0
                {
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
        Step::Sql { check, apply, undo, .. } => {
            let n = sql_count(conn, check)
                .await
                .map_err(|e| RunError::Step { step: step.title(), reason: format!("its check query failed: {e}") })?;
            Ok(if n > 0 { vec![Action::Sql { apply: apply.clone(), undo: undo.clone() }] } else { vec![] })
        }
    }
}

/// The number a `sql` step's check query returns (any integer type; NULL or no row is 0).
async fn sql_count(conn: &mut TargetConn, check: &str) -> Result<i64, String> {
    let rows = conn.text_rows(check).await.map_err(|e| e.to_string())?;
    match rows.first().and_then(|r| r.first()) {
        None | Some(None) => Ok(0),
        Some(Some(text)) => text
            .trim()
            .parse::<i64>()
            .or_else(|_| text.trim().parse::<f64>().map(|f| f as i64))
            .map_err(|_| format!("it returned {text:?}, not a number")),
    }
}

/// `idx_<table>_<columns>`, shortened with a hash when longer than every engine allows.
fn index_name(table: &str, columns: &[String]) -> String {
    let name = format!("idx_{table}_{}", columns.join("_"));
    if name.len() <= 60 {
        return name;
    }
    let h = crate::hash::fnv1a64(name.as_bytes()) & 0xffff_ffff;
    let mut cut = 50;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{h:08x}", &name[..cut])
}

#[allow(clippy::too_many_arguments)]
async fn plan_rotation(
    conn: &mut TargetConn,
    schema: Option<&str>,
    opts: &HardenOptions,
    keys: &[String],
    length: Option<usize>,
    insecure: &[String],
    invalidate: &[Invalidate],
) -> Result<Vec<Action>, RunError> {
    let Some(path) = opts.env_file.clone() else {
        return Err(RunError::Profile(
            "a rotate_secret step needs the env file: pass --env-file FILE or set env_file in the profile".into(),
        ));
    };
    let sample = opts.profile.sample_env.clone();
    let mut known: Vec<String> = insecure.to_vec();
    if let Some(s) = &sample {
        let env = EnvFile::read(s)?;
        known.extend(env.keys().filter_map(|k| env.get(k)).filter(|v| !v.is_empty()));
    }
    let known_refs: Vec<&str> = known.iter().map(String::as_str).collect();
    let template = opts.profile.env_template.clone();
    let current = if path.exists() {
        Some(EnvFile::read(&path)?)
    } else if let Some(t) = &template {
        Some(EnvFile::read(t)?)
    } else {
        None
    };
    let mut weak = Vec::new();
    let mut reasons = Vec::new();
    for k in keys {
        let value = current.as_ref().and_then(|e| e.get(k));
        let why = match value.as_deref() {
            None | Some("") => Some("missing"),
            Some(v) => envfile::weakness(v, &known_refs),
        };
        if let Some(why) = why {
            weak.push(k.clone());
            reasons.push(format!("{k}: {why}"));
        }
    }
    // Revocation depends on the target, not on this run: sessions of a target are revoked
    // once under each secret, whichever run rotated it (another target's run may have).
    let revoked = Journal::load(&opts.journal)?.revoked_under(&opts.target.to_string()).map(String::from);
    let mut out = Vec::new();
    if weak.is_empty() {
        let current_fingerprint = current.as_ref().map(|env| journal::secret_fingerprint(env, keys));
        if invalidate.is_empty() || revoked.is_some() && revoked == current_fingerprint {
            return Ok(vec![]);
        }
    } else {
        out.push(Action::Rotate {
            path: path.clone(),
            keys: weak,
            length: length.unwrap_or(envfile::DEFAULT_SECRET_LENGTH),
            template,
            reasons,
        });
    }
    let dialect = conn.dialect();
    for inv in invalidate {
        let set: Vec<(String, String)> = inv.set.iter().map(|(c, v)| (c.clone(), toml_literal(dialect, v))).collect();
        let cond = not_revoked_condition(dialect, inv);
        let cols: Vec<String> = set.iter().map(|(c, _)| c.clone()).collect();
        let (key, rows) = rows_where(conn, schema, &inv.table, &cols, Some(&cond)).await?;
        if rows.is_empty() {
            continue;
        }
        out.push(Action::Update {
            table: inv.table.clone(),
            key_columns: key,
            what: format!("invalidate what the old secret signed in {}", inv.table),
            set,
            rows: rows.into_iter().map(|(k, v)| RowBefore { key: k, before: v }).collect(),
        });
    }
    if !invalidate.is_empty() {
        let tables = invalidate.iter().map(|i| i.table.clone()).collect();
        out.push(Action::RecordRevocation { path, keys: keys.to_vec(), tables });
    }
    Ok(out)
}

/// The rows of an `invalidate` table not yet revoked: a `set` column not at its value
/// (NULL counts as not set), within the profile's `where`.
pub(crate) fn not_revoked_condition(dialect: Dialect, inv: &Invalidate) -> String {
    let not_set: Vec<String> = inv
        .set
        .iter()
        .map(|(c, v)| {
            let q = dialect.engine().quote(c);
            format!("({q} IS NULL OR {q} <> {})", toml_literal(dialect, v))
        })
        .collect();
    let cond = format!("({})", not_set.join(" OR "));
    match &inv.where_ {
        Some(w) => format!("{cond} AND ({w})"),
        None => cond,
    }
}

/// `key1 = 'a' AND key2 = 'b'` for one row.
fn key_condition(dialect: Dialect, key_columns: &[String], key: &[String]) -> String {
    let e = dialect.engine();
    key_columns
        .iter()
        .zip(key)
        .map(|(c, v)| format!("{} = {}", e.quote(c), e.string_literal(v)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

async fn apply_step(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step: &Step,
    actions: &[Action],
    journal: &mut Journal,
    run_id: &str,
    journal_path: &Path,
) -> Result<(), RunError> {
    let fail = |e: RunError| match e {
        RunError::Target(t) => RunError::Step { step: step.title(), reason: t.to_string() },
        other => other,
    };
    conn.execute("BEGIN").await?;
    let mut changes = Vec::new();
    let mut files_written: Vec<Change> = Vec::new();
    let result = async {
        for a in actions {
            apply_action(conn, schema, step, a, &mut changes, &mut files_written).await?;
        }
        Ok::<(), RunError>(())
    }
    .await;
    if let Err(e) = result {
        conn.rollback().await;
        // MariaDB commits DDL as it runs: what the step did before it failed stays, so it
        // goes into the journal for --undo.
        if conn.dialect() == Dialect::MariaDb && !changes.is_empty() {
            if let Some(run) = journal.run_mut(run_id) {
                let title = format!("{} (stopped by an error)", step.title());
                run.steps.push(StepRecord { title, kind: step.kind().into(), changes, undone: false });
            }
            journal.save(journal_path)?;
        }
        // A file written before the failure is put back, so that nothing is half done.
        for c in files_written.iter().rev() {
            let _ = undo_file(c);
        }
        return Err(fail(e));
    }
    conn.commit().await?;
    changes.extend(files_written);
    if let Some(run) = journal.run_mut(run_id) {
        run.steps.push(StepRecord { title: step.title(), kind: step.kind().into(), changes, undone: false });
    }
    journal.save(journal_path)?;
    Ok(())
}

async fn apply_action(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step: &Step,
    action: &Action,
    changes: &mut Vec<Change>,
    files: &mut Vec<Change>,
) -> Result<(), RunError> {
    let dialect = conn.dialect();
    let e = dialect.engine();
    match action {
        Action::Update { table, key_columns, set, rows, .. } => {
            let assignments: Vec<String> = set.iter().map(|(c, lit)| format!("{} = {lit}", e.quote(c))).collect();
            let tref = conn.table_ref(schema, table);
            for r in rows {
                let sql = format!(
                    "UPDATE {tref} SET {} WHERE {}",
                    assignments.join(", "),
                    key_condition(dialect, key_columns, &r.key)
                );
                conn.execute(&sql).await?;
            }
            changes.push(Change::RowsUpdated {
                table: table.clone(),
                key_columns: key_columns.clone(),
                columns: set.iter().map(|(c, _)| c.clone()).collect(),
                rows: rows.clone(),
            });
        }
        Action::CreateAdmin { table, username_column, username, columns } => {
            let Step::CreateAdmin {
                password_column,
                format,
                cost,
                iterations,
                password_length,
                password_file,
                flag,
                ..
            } = step
            else {
                return Ok(());
            };
            let password = password::generate_password(password_length.unwrap_or(24))?;
            let hash = password::hash_password(password.expose(), format.format(*cost, *iterations))?;
            let mut cols: Vec<(String, String)> = vec![
                (username_column.clone(), e.string_literal(username)),
                (password_column.clone(), e.string_literal(&hash)),
            ];
            if !flag.is_empty() && !columns.iter().any(|(c, _)| c == flag) {
                cols.push((flag.clone(), bool_literal(dialect, true)));
            }
            cols.extend(columns.iter().filter(|(c, _)| c != username_column && c != password_column).cloned());
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                conn.table_ref(schema, table),
                cols.iter().map(|(c, _)| e.quote(c)).collect::<Vec<_>>().join(", "),
                cols.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", ")
            );
            conn.execute(&sql).await.map_err(|err| RunError::Step {
                step: step.title(),
                reason: format!("inserting the admin into {table}: {}", redact(&err.to_string(), &hash)),
            })?;
            write_secret_file(password_file, password.expose())?;
            changes.push(Change::RowInserted {
                table: table.clone(),
                column: username_column.clone(),
                value: username.clone(),
                password_file: Some(absolute(password_file)),
            });
        }
        Action::Rotate { path, keys, length, template, .. } => {
            if !path.exists() {
                let text = match template {
                    Some(s) => std::fs::read(s).map_err(|source| HardenError::Read { path: s.clone(), source })?,
                    None => Vec::new(),
                };
                write_secret_file(path, &String::from_utf8_lossy(&text))?;
                files.push(Change::EnvCreated { path: absolute(path) });
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                let rotation = envfile::rotate_secrets(path, &refs, *length)?;
                // The backup of the file just created from the sample is not needed.
                let _ = std::fs::remove_file(&rotation.backup);
            } else {
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                let mode = std::fs::metadata(path).ok().map(|m| {
                    use std::os::unix::fs::PermissionsExt;
                    m.permissions().mode() & 0o7777
                });
                let rotation = envfile::rotate_secrets(path, &refs, *length)?;
                // The real file behind a symbolic link, by an absolute path: undo must
                // restore that file, from whatever directory it runs in.
                files.push(Change::EnvReplaced {
                    path: absolute(&rotation.path),
                    backup: absolute(&rotation.backup),
                    mode,
                });
            }
        }
        Action::AddColumn { table, column, definition } => {
            conn.execute(&format!(
                "ALTER TABLE {} ADD COLUMN {} {definition}",
                conn.table_ref(schema, table),
                e.quote(column)
            ))
            .await?;
            changes.push(Change::ColumnAdded { table: table.clone(), column: column.clone() });
        }
        Action::CreateIndex { table, index, columns } => {
            let cols: Vec<String> = columns.iter().map(|c| e.quote(c)).collect();
            let before = conn.index_columns(schema).await?;
            conn.execute(&format!(
                "CREATE INDEX {} ON {} ({})",
                e.quote(index),
                conn.table_ref(schema, table),
                cols.join(", ")
            ))
            .await?;
            changes.push(Change::IndexCreated { table: table.clone(), index: index.clone() });
            // InnoDB drops the index it made for a foreign key once another index serves it.
            let after = conn.index_columns(schema).await?;
            for (t, name, cols) in before {
                if &t == table && !after.iter().any(|(t2, n2, _)| t2 == &t && n2 == &name) {
                    changes.push(Change::IndexReplaced { table: t, index: name, columns: cols });
                }
            }
        }
        Action::CreateExtension { extension } => {
            conn.execute(&format!("CREATE EXTENSION IF NOT EXISTS {}", e.quote(extension))).await?;
            changes.push(Change::ExtensionCreated { extension: extension.clone() });
        }
        Action::Sql { apply, undo } => {
            conn.execute(apply).await?;
            changes.push(Change::SqlApplied { undo: undo.clone() });
        }
        Action::RecordRevocation { path, keys, tables } => {
            // After this step's rotation (if any): the secret the file holds now.
            let env = EnvFile::read(path)?;
            let secret_fingerprint = journal::secret_fingerprint(&env, keys);
            changes.push(Change::SessionsRevoked { tables: tables.clone(), secret_fingerprint });
        }
    }
    Ok(())
}

/// A server message with a value it may quote (a password hash) cut out.
fn redact(message: &str, secret: &str) -> String {
    message.replace(secret, "***")
}

/// Write a file only its owner can read (0600), atomically: the admin password or a new env file.
fn write_secret_file(path: &Path, text: &str) -> Result<(), HardenError> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let err = |source: std::io::Error| HardenError::Write { path: path.to_path_buf(), action: "write", source };
    let mut tmp = tempfile::Builder::new().prefix(".cutover-secret").tempfile_in(dir).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    if !text.is_empty() && !text.ends_with('\n') {
        tmp.write_all(b"\n").map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Take a file change back: restore the env file byte for byte from its backup, or
/// remove a file the run created.
fn undo_file(change: &Change) -> Result<(), HardenError> {
    match change {
        Change::EnvReplaced { path, backup, mode } => {
            let bytes = std::fs::read(backup).map_err(|source| HardenError::Read { path: backup.clone(), source })?;
            write_bytes_0600(path, &bytes)?;
            if let Some(mode) = mode {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode)).map_err(|source| {
                    HardenError::Write { path: path.clone(), action: "restore the permissions of", source }
                })?;
            }
            Ok(())
        }
        Change::EnvCreated { path } => std::fs::remove_file(path).map_err(|source| HardenError::Write {
            path: path.clone(),
            action: "remove",
            source,
        }),
        _ => Ok(()),
    }
}

/// `path` made absolute against the current directory (symbolic links kept as they are).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn write_bytes_0600(path: &Path, bytes: &[u8]) -> Result<(), HardenError> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let err = |source: std::io::Error| HardenError::Write { path: path.to_path_buf(), action: "restore", source };
    let mut tmp = tempfile::Builder::new().prefix(".cutover-restore").tempfile_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

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
    if run.target != target.to_string() {
        return Err(RunError::Profile(format!(
            "run {run_id} changed {}, not {target}; pass the same --to",
            run.target
        )));
    }
    require_sqlite_file(target)?;
    let mut conn = TargetConn::connect(target).await?;
    let dialect = conn.dialect();
    let e = dialect.engine();
    let mut report = UndoReport { run_id: run_id.into(), target: target.to_string(), ..Default::default() };
    for (step_index, step) in run.steps.iter().enumerate().rev() {
        if step.undone {
            continue;
        }
        conn.execute("BEGIN").await?;
        for change in step.changes.iter().rev() {
            let done = match change {
                Change::RowsUpdated { table, key_columns, columns, rows } => {
                    let tref = conn.table_ref(target_schema, table);
                    for r in rows {
                        let set: Vec<String> = columns
                            .iter()
                            .zip(&r.before)
                            .map(|(c, v)| {
                                format!(
                                    "{} = {}",
                                    e.quote(c),
                                    v.as_deref().map_or("NULL".into(), |v| e.string_literal(v))
                                )
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
                        conn.table_ref(target_schema, table),
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
                Change::EnvCreated { path } => {
                    undo_file(change)?;
                    format!("{} removed (the run had created it)", path.display())
                }
                Change::ColumnAdded { table, column } => {
                    conn.execute(&format!(
                        "ALTER TABLE {} DROP COLUMN {}",
                        conn.table_ref(target_schema, table),
                        e.quote(column)
                    ))
                    .await?;
                    format!("column {table}.{column} dropped")
                }
                Change::IndexCreated { table, index } => {
                    let sql = match dialect {
                        Dialect::MariaDb => {
                            format!("DROP INDEX {} ON {}", e.quote(index), conn.table_ref(target_schema, table))
                        }
                        _ => format!("DROP INDEX {}", conn.table_ref(target_schema, index)),
                    };
                    conn.execute(&sql).await?;
                    format!("index {index} dropped")
                }
                Change::IndexReplaced { table, index, columns } => {
                    let cols: Vec<String> = columns.iter().map(|c| e.quote(c)).collect();
                    conn.execute(&format!(
                        "CREATE INDEX {} ON {} ({})",
                        e.quote(index),
                        conn.table_ref(target_schema, table),
                        cols.join(", ")
                    ))
                    .await?;
                    format!("index {index} that the server had replaced created again")
                }
                Change::ExtensionCreated { extension } => {
                    conn.execute(&format!("DROP EXTENSION IF EXISTS {}", e.quote(extension))).await?;
                    format!("extension {extension} dropped")
                }
                Change::SqlApplied { undo: Some(sql) } => {
                    conn.execute(sql).await?;
                    format!("step {}: undo SQL run", step.title)
                }
                Change::SessionsRevoked { tables, .. } => {
                    format!("the record that sessions in {} were revoked is taken back", tables.join(", "))
                }
                Change::SqlApplied { undo: None } => {
                    report.not_undone.push(format!("step {}: the profile gives no undo SQL", step.title));
                    continue;
                }
            };
            report.undone.push(done);
        }
        conn.commit().await?;
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
