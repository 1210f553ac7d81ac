//! The checks that come from the hardening profile's steps: for each step, whether what
//! it does is in place in the target now — demo rows inactive, the admin present and
//! active with a hash in the application's format, secrets strong, version columns,
//! indexes and extensions present, each SQL step's check at 0. They read the target
//! and the env file, never write.

use std::collections::BTreeSet;

use super::settings::truthiness;
use super::{capped, Check, EnvState, Status};
use crate::harden::pattern;
use std::path::Path;

use crate::harden::journal::{secret_fingerprint, Journal};
use crate::harden::profile::{HashFormat, Invalidate, Profile, Step};
use crate::harden::{weakness, EnvFile};
use crate::target::conn::{TargetConn, TargetError};
use crate::target::Dialect;

/// The check that what an old secret signed is revoked in this target.
pub(super) const SESSIONS_REVOKED: &str = "sessions_revoked";

/// `sessions_revoked`: the journal records that the sessions (tokens, …) of this target
/// were revoked under the secret the env file holds now, and no row of an `invalidate`
/// table is left unrevoked. A rotation recorded for another target does not count.
pub(super) async fn sessions_revoked(
    ctx: &mut Ctx<'_>,
    keys: &[String],
    invalidate: &[Invalidate],
    journal_path: &Path,
    target: &str,
) -> Check {
    let id = SESSIONS_REVOKED;
    let tables: Vec<&str> = invalidate.iter().map(|i| i.table.as_str()).collect();
    let hint = format!(
        "run `cutover harden` on this target (its rotate_secret step revokes what the old secret signed in {} and records it in the journal {})",
        tables.join(", "),
        journal_path.display()
    );
    let env = match ctx.env.file_or(id) {
        Ok(env) => env,
        Err(check) => return check,
    };
    let current = secret_fingerprint(env, keys);
    let journal = match Journal::load(journal_path) {
        Ok(j) => j,
        Err(e) => return Check::unreadable(id, &format!("the journal {}", journal_path.display()), e),
    };
    let mut evidence = vec![format!("current secret: fingerprint {current}")];
    match journal.revoked_under(target) {
        None => {
            return Check::fail(
                id,
                format!("no hardening run recorded revoking the sessions in {} of this target", tables.join(", ")),
            )
            .hint(hint)
            .evidence(evidence)
        }
        Some(fp) if fp != current => {
            evidence.push(format!("journal: revoked under fingerprint {fp}"));
            return Check::fail(
                id,
                format!(
                    "sessions in {} were revoked under an earlier secret; the env file's secret changed since",
                    tables.join(", ")
                ),
            )
            .hint(hint)
            .evidence(evidence);
        }
        Some(_) => evidence.push("journal: revoked under the current secret".into()),
    }
    let dialect = ctx.dialect();
    let mut left = Vec::new();
    for inv in invalidate {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {}",
            ctx.table_ref(&inv.table),
            crate::harden::run::not_revoked_condition(dialect, inv)
        );
        let sql = sql.replacen("count(*)", &format!("CAST(count(*) AS {})", dialect.engine().bigint_cast()), 1);
        match ctx.conn.scalar(&sql).await {
            Ok(0) => evidence.push(format!("{}: every row revoked", inv.table)),
            Ok(n) => left.push(format!("{}: {n} row(s) not revoked", inv.table)),
            Err(e) => return Check::refused(id, &format!("the rows of {}", inv.table), &e),
        }
    }
    if !left.is_empty() {
        return Check::fail(id, format!("signed by the old secret and still valid: {}", left.join("; ")))
            .hint(hint)
            .evidence(evidence);
    }
    Check::new(id, Status::Pass, format!("what the old secret signed in {} is revoked", tables.join(", ")))
        .evidence(evidence)
}

/// What the step checks read.
pub(super) struct Ctx<'a> {
    pub conn: &'a mut TargetConn,
    pub schema: Option<&'a str>,
    pub env: &'a EnvState,
    pub profile: &'a Profile,
}

/// Items listed in the evidence before `… and N more`.
const MAX_LISTED: usize = 50;

pub(super) async fn check(ctx: &mut Ctx<'_>, step: &Step, id: String) -> Check {
    match step {
        Step::Deactivate { table, match_column, flag, inactive_value, values, .. } => {
            deactivated(ctx, id, step, table, match_column, flag, *inactive_value, values).await
        }
        Step::CreateAdmin { table, username_column, username, password_column, format, flag, .. } => {
            admin_present(ctx, id, table, username_column, username, password_column, *format, flag).await
        }
        Step::RotateSecret { keys, insecure, .. } => secrets_strong(ctx, id, keys, insecure),
        Step::VersionColumns { tables, column, index, .. } => version_columns(ctx, id, tables, column, *index).await,
        Step::FkIndexes { .. } => fk_indexes(ctx, id).await,
        Step::Index { table, columns, .. } => index(ctx, id, table, columns).await,
        Step::Extensions { extensions, .. } => extensions_present(ctx, id, extensions).await,
        Step::Sql { check, .. } => sql_check(ctx, id, check).await,
    }
}

impl Ctx<'_> {
    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    fn quote(&self, name: &str) -> String {
        self.dialect().engine().quote(name)
    }

    fn table_ref(&self, table: &str) -> String {
        self.conn.table_ref(self.schema, table)
    }

    /// A column expression read as text, whatever its type.
    fn as_text(&self, column: &str) -> String {
        format!("CAST({} AS {})", self.quote(column), self.dialect().engine().text_cast())
    }

    /// Whether two names are the same identifier: exact on PostgreSQL (quoted names keep
    /// their case), ignoring ASCII case on MariaDB and SQLite.
    fn same_name(&self, a: &str, b: &str) -> bool {
        if self.dialect().engine().case_sensitive_identifiers() {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    }

    /// The column names of a table; empty when the table does not exist.
    async fn columns(&mut self, table: &str) -> Result<Vec<String>, TargetError> {
        Ok(self.conn.columns(self.schema, table).await?.into_iter().map(|c| c.name).collect())
    }

    /// Whether `table` has every column of `wanted`: `Err` is the check to report when not.
    async fn require_columns(&mut self, id: &str, hint: &str, table: &str, wanted: &[&str]) -> Result<(), Check> {
        let columns = self
            .columns(table)
            .await
            .map_err(|e| Check::refused(id, &format!("the columns of table {table}"), &e).hint(hint.to_string()))?;
        if columns.is_empty() {
            return Err(Check::fail(id, format!("table {table} does not exist in the target"))
                .hint(format!("check the table name in the hardening profile; {hint}")));
        }
        let missing: Vec<&str> =
            wanted.iter().filter(|w| !columns.iter().any(|c| self.same_name(c, w))).copied().collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Check::fail(id, format!("table {table} has no column {}", missing.join(", ")))
                .hint(format!("check the column names in the hardening profile; {hint}")))
        }
    }

    /// Every index as (table, columns).
    async fn indexes(&mut self) -> Result<Vec<(String, Vec<String>)>, TargetError> {
        Ok(self.conn.index_columns(self.schema).await?.into_iter().map(|(t, _, c)| (t, c)).collect())
    }

    /// Whether some index of `table` starts with `columns` (in any order among themselves
    /// when `any_order`).
    fn has_index(&self, indexes: &[(String, Vec<String>)], table: &str, columns: &[String], any_order: bool) -> bool {
        indexes.iter().filter(|(t, _)| self.same_name(t, table)).any(|(_, cols)| {
            if cols.len() < columns.len() {
                return false;
            }
            let lead = &cols[..columns.len()];
            if any_order {
                columns.iter().all(|c| lead.iter().any(|l| self.same_name(l, c)))
            } else {
                lead.iter().zip(columns).all(|(l, c)| self.same_name(l, c))
            }
        })
    }
}

// ---------------------------------------------------------------- deactivate

#[allow(clippy::too_many_arguments)]
async fn deactivated(
    ctx: &mut Ctx<'_>,
    id: String,
    step: &Step,
    table: &str,
    match_column: &str,
    flag: &str,
    inactive_value: bool,
    values: &[String],
) -> Check {
    let hint = format!(
        "run `cutover harden` (step `{}`), or set {flag} = {inactive_value} on those rows of {table}; the rows are kept",
        step.title()
    );
    if let Err(check) = ctx.require_columns(&id, &hint, table, &[match_column, flag]).await {
        return check;
    }
    let sql = format!("SELECT {}, {} FROM {}", ctx.as_text(match_column), ctx.as_text(flag), ctx.table_ref(table));
    let rows = match ctx.conn.text_rows(&sql).await {
        Ok(rows) => rows,
        Err(e) => return Check::refused(id, &format!("table {table}"), &e).hint(hint),
    };
    let mut matched = 0usize;
    let mut active = Vec::new();
    for row in &rows {
        let Some(value) = row.first().cloned().flatten() else { continue };
        if !pattern::matches_any(values, &value) {
            continue;
        }
        matched += 1;
        let state = row.get(1).cloned().flatten();
        if state.as_deref().and_then(truthiness) != Some(inactive_value) {
            active.push(format!("{value} ({flag} = {})", state.as_deref().unwrap_or("NULL")));
        }
    }
    if active.is_empty() {
        return Check::pass(id, format!("none of the {matched} row(s) of {table} matching the demo values is active"))
            .hint(hint)
            .evidence(vec![format!("{table}.{match_column} matched against {}", values.join(", "))]);
    }
    Check::fail(id, format!("{} demo row(s) of {table} still active: {}", active.len(), short_list(&active, 8)))
        .hint(hint)
        .evidence(capped(active, MAX_LISTED))
}

/// The first `max` items, comma-separated, then `…`.
fn short_list(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).map(|i| i.split(" (").next().unwrap_or(i)).collect::<Vec<_>>().join(", ");
    if items.len() > max {
        s.push_str(", …");
    }
    s
}

// ---------------------------------------------------------------- create_admin

#[allow(clippy::too_many_arguments)]
async fn admin_present(
    ctx: &mut Ctx<'_>,
    id: String,
    table: &str,
    username_column: &str,
    username: &str,
    password_column: &str,
    format: HashFormat,
    flag: &str,
) -> Check {
    let hint = format!("run `cutover harden` to create the production admin {username:?} in {table}");
    let mut wanted = vec![username_column, password_column];
    if !flag.is_empty() {
        wanted.push(flag);
    }
    if let Err(check) = ctx.require_columns(&id, &hint, table, &wanted).await {
        return check;
    }
    let engine = ctx.dialect().engine();
    let flag_expr = if flag.is_empty() { "NULL".to_string() } else { ctx.as_text(flag) };
    let sql = format!(
        "SELECT {flag_expr}, {} FROM {} WHERE {} = {}",
        ctx.as_text(password_column),
        ctx.table_ref(table),
        ctx.quote(username_column),
        engine.string_literal(username)
    );
    let rows = match ctx.conn.text_rows(&sql).await {
        Ok(rows) => rows,
        Err(e) => return Check::refused(id, &format!("table {table}"), &e).hint(hint),
    };
    let Some(row) = rows.first() else {
        return Check::fail(id, format!("no admin: {table} has no row with {username_column} = {username:?}"))
            .hint(hint);
    };
    let mut problems = Vec::new();
    let mut evidence = vec![format!("{table}: {username_column} = {username:?}")];
    if !flag.is_empty() {
        let state = row.first().cloned().flatten();
        if state.as_deref().and_then(truthiness) == Some(true) {
            evidence.push(format!("{flag} = {}", state.as_deref().unwrap_or("NULL")));
        } else {
            problems.push(format!("{flag} is {}, not active", state.as_deref().unwrap_or("NULL")));
        }
    }
    let name = format.format(None, None).name();
    let hash = row.get(1).cloned().flatten().unwrap_or_default();
    if hash.starts_with(format.prefix()) {
        evidence.push(format!("{password_column}: a {name} hash ({} characters)", hash.chars().count()));
    } else {
        // Never the hash itself: only that it is not of the format, and its length.
        problems.push(format!(
            "{password_column} is not a {name} hash (it does not start with {:?}; {} characters)",
            format.prefix(),
            hash.chars().count()
        ));
    }
    if problems.is_empty() {
        Check::pass(id, format!("admin {username:?} is present and active with a {name} password hash"))
            .hint(hint)
            .evidence(evidence)
    } else {
        Check::fail(id, format!("admin {username:?}: {}", problems.join("; ")))
            .hint(format!("run `cutover harden` again, or fix the row of {username:?} in {table}"))
            .evidence(evidence)
    }
}

// ---------------------------------------------------------------- rotate_secret

fn secrets_strong(ctx: &Ctx<'_>, id: String, keys: &[String], insecure: &[String]) -> Check {
    let hint = "run `cutover harden` to give each weak or missing key a new random value (it also expires what the old one signed)";
    let env = match ctx.env.file_or(&id) {
        Ok(env) => env,
        Err(check) => {
            let first = check.hint.clone();
            return check.hint(format!("{first}; then {hint}"));
        }
    };
    let mut known_public: Vec<String> = insecure.to_vec();
    let mut notes = Vec::new();
    if let Some(sample) = &ctx.profile.sample_env {
        match EnvFile::read(sample) {
            Ok(file) => known_public.extend(file.keys().filter_map(|k| file.get(k))),
            Err(e) => {
                notes.push(format!("the sample env file could not be read, so its values were not compared: {e}"))
            }
        }
    }
    let known: Vec<&str> = known_public.iter().map(String::as_str).collect();
    let mut weak = Vec::new();
    let mut evidence = Vec::new();
    for key in keys {
        match env.get(key) {
            None => weak.push(format!("{key}: missing")),
            // Only the reason and the length: the value is the secret.
            Some(value) => match weakness(&value, &known) {
                Some(reason) => weak.push(format!("{key}: {reason} ({} characters)", value.chars().count())),
                None => evidence.push(format!("{key}: strong ({} characters)", value.chars().count())),
            },
        }
    }
    if !weak.is_empty() {
        let message = format!("weak or missing secret(s): {}", weak.join("; "));
        weak.extend(evidence);
        weak.extend(notes);
        return Check::fail(id, message).hint(hint).evidence(weak);
    }
    evidence.extend(notes.iter().cloned());
    if let Some(note) = notes.first() {
        return Check::new(id, Status::Warn, format!("{} key(s) look strong, but {note}", keys.len()))
            .hint("make the sample env file (sample_env in the profile) readable")
            .evidence(evidence);
    }
    Check::pass(id, format!("{} secret(s) present and strong", keys.len())).hint(hint).evidence(evidence)
}

// ---------------------------------------------------------------- version_columns

async fn version_columns(ctx: &mut Ctx<'_>, id: String, tables: &[String], column: &str, index: bool) -> Check {
    let hint = format!(
        "run `cutover harden` to add the optimistic-locking column {column}{}",
        if index { " and its index" } else { "" }
    );
    let tables = if tables.is_empty() {
        match ctx.conn.tables(ctx.schema).await {
            Ok(t) => t,
            Err(e) => return Check::refused(id, "the list of tables", &e).hint(hint),
        }
    } else {
        tables.to_vec()
    };
    let indexes = if index {
        match ctx.indexes().await {
            Ok(i) => i,
            Err(e) => return Check::refused(id, "the indexes", &e).hint(hint),
        }
    } else {
        Vec::new()
    };
    let mut problems = Vec::new();
    for table in &tables {
        let columns = match ctx.columns(table).await {
            Ok(c) => c,
            Err(e) => return Check::refused(id, &format!("the columns of table {table}"), &e).hint(hint),
        };
        if columns.is_empty() {
            problems.push(format!("{table}: no such table"));
        } else if !columns.iter().any(|c| ctx.same_name(c, column)) {
            problems.push(format!("{table}: no column {column}"));
        } else if index && !ctx.has_index(&indexes, table, &[column.to_string()], false) {
            problems.push(format!("{table}: no index starts with {column}"));
        }
    }
    if problems.is_empty() {
        return Check::pass(
            id,
            format!("{} table(s) have {column}{}", tables.len(), if index { ", indexed" } else { "" }),
        )
        .hint(hint)
        .evidence(vec![format!("tables: {}", tables.join(", "))]);
    }
    Check::fail(
        id,
        format!("{} of {} table(s) lack {column}: {}", problems.len(), tables.len(), short_list(&problems, 6)),
    )
    .hint(hint)
    .evidence(capped(problems, MAX_LISTED))
}

// ---------------------------------------------------------------- indexes

async fn fk_indexes(ctx: &mut Ctx<'_>, id: String) -> Check {
    let hint = "run `cutover harden` to index every foreign-key column set (a delete of a parent row otherwise scans the whole child table)";
    let fks = match ctx.conn.foreign_key_columns(ctx.schema).await {
        Ok(f) => f,
        Err(e) => return Check::refused(id, "the foreign keys", &e).hint(hint),
    };
    let indexes = match ctx.indexes().await {
        Ok(i) => i,
        Err(e) => return Check::refused(id, "the indexes", &e).hint(hint),
    };
    let keys: BTreeSet<(String, Vec<String>)> = fks.into_iter().collect();
    let missing: Vec<String> = keys
        .iter()
        .filter(|(table, cols)| !ctx.has_index(&indexes, table, cols, true))
        .map(|(table, cols)| format!("{table}({})", cols.join(", ")))
        .collect();
    if missing.is_empty() {
        return Check::pass(id, format!("all {} foreign-key column set(s) are indexed", keys.len())).hint(hint);
    }
    Check::fail(
        id,
        format!(
            "{} of {} foreign-key column set(s) have no index: {}",
            missing.len(),
            keys.len(),
            short_list(&missing, 6)
        ),
    )
    .hint(hint)
    .evidence(capped(missing, MAX_LISTED))
}

async fn index(ctx: &mut Ctx<'_>, id: String, table: &str, columns: &[String]) -> Check {
    let hint = format!("run `cutover harden` to create the index on {table}({})", columns.join(", "));
    let wanted: Vec<&str> = columns.iter().map(String::as_str).collect();
    if let Err(check) = ctx.require_columns(&id, &hint, table, &wanted).await {
        return check;
    }
    let indexes = match ctx.indexes().await {
        Ok(i) => i,
        Err(e) => return Check::refused(id, "the indexes", &e).hint(hint),
    };
    if ctx.has_index(&indexes, table, columns, false) {
        Check::pass(id, format!("an index on {table} starts with ({})", columns.join(", "))).hint(hint)
    } else {
        let existing: Vec<String> = indexes
            .iter()
            .filter(|(t, _)| ctx.same_name(t, table))
            .map(|(_, c)| format!("({})", c.join(", ")))
            .collect();
        Check::fail(id, format!("no index on {table} starts with ({})", columns.join(", "))).hint(hint).evidence(vec![
            format!("indexes of {table}: {}", if existing.is_empty() { "none".into() } else { existing.join(" ") }),
        ])
    }
}

// ---------------------------------------------------------------- extensions, sql

async fn extensions_present(ctx: &mut Ctx<'_>, id: String, wanted: &[String]) -> Check {
    let hint = "run `cutover harden` (CREATE EXTENSION needs a superuser or the database owner, with the extension's package installed on the server)";
    if ctx.dialect().engine().extension_sql("").is_none() {
        return Check::skip(id, format!("extensions are a PostgreSQL feature; this target is {}", ctx.dialect()))
            .hint(hint);
    }
    let installed = match ctx.conn.strings("SELECT extname::text FROM pg_extension ORDER BY 1").await {
        Ok(e) => e,
        Err(e) => return Check::refused(id, "pg_extension", &e).hint(hint),
    };
    let missing: Vec<&str> = wanted.iter().filter(|w| !installed.iter().any(|i| i == *w)).map(String::as_str).collect();
    let evidence = vec![format!("installed: {}", installed.join(", "))];
    if missing.is_empty() {
        Check::pass(id, format!("installed: {}", wanted.join(", "))).hint(hint).evidence(evidence)
    } else {
        Check::fail(id, format!("not installed: {}", missing.join(", "))).hint(hint).evidence(evidence)
    }
}

async fn sql_check(ctx: &mut Ctx<'_>, id: String, check: &str) -> Check {
    let hint = "run `cutover harden` to apply the step (its check query must return 0)";
    let rows = match ctx.conn.text_rows(check).await {
        Ok(rows) => rows,
        Err(e) => return Check::refused(id, "the step's check query", &e).hint(hint),
    };
    let cell = rows.first().and_then(|r| r.first()).cloned().flatten();
    let Some(text) = cell else {
        return Check::pass(id, "the check query returned no number (NULL or no row): nothing to do").hint(hint);
    };
    match text.trim().parse::<f64>() {
        Ok(n) if n > 0.0 => {
            Check::fail(id, format!("the check query returned {}: the step is still needed", text.trim()))
                .hint(hint)
                .evidence(vec![format!("check: {}", first_line(check))])
        }
        Ok(_) => Check::pass(id, format!("the check query returned {}", text.trim())).hint(hint),
        Err(_) => Check::unreadable(id, "a number from the step's check query", format!("it returned {text:?}"))
            .hint("make the check query return one number"),
    }
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or("")
}
