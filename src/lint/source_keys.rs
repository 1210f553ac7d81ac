//! lint's checks of the source's keys and constraints, run in SQLite on the snapshot:
//! foreign-key orphans, unique keys that collide under a target collation, and rows
//! that break a CHECK constraint. Each finding carries sample rows by key.

use std::collections::HashMap;

use super::rowid_proof::{in_memory_keys, no_orphans_in_memory};
use super::{LintError, LintFinding, LintSample};
use crate::convert::shorten;
use crate::convert::ConvertContext;
use crate::job;
use crate::plan::{self, Level, Plan};
use crate::schema::{ForeignKey, SourceSchema, Table};
use crate::source::quote_sqlite;
use crate::target::Dialect;
use crate::types::ColumnType;
use crate::value::{SourceValue, Value};

/// The columns that name a row in samples: its primary key, or its rowid.
fn sample_key(t: &Table) -> Vec<String> {
    match &t.primary_key {
        Some(pk) => pk.columns.clone(),
        None => vec!["rowid".into()],
    }
}

/// The rows of `sql` as lint samples: the first `key_len` of the `shown` columns are the
/// row's key, the rest its values, each `column=value`.
fn sample_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    shown: &[String],
    key_len: usize,
    reason: &str,
) -> rusqlite::Result<Vec<LintSample>> {
    let mut st = conn.prepare(sql)?;
    let mut rows = st.query([])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        let parts: Vec<String> = shown
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}={}", r.get_ref(i).map_or("?".into(), |v| job::describe(SourceValue::from(v)))))
            .collect();
        found.push(LintSample {
            key: parts[..key_len].join(", "),
            value: parts[key_len..].join(", "),
            reason: reason.to_string(),
        });
    }
    Ok(found)
}

/// The foreign keys that `fk_orphans` checks: those of the `selected` tables whose
/// parent is selected too, as (child table, key), in schema order.
pub(super) fn fk_checks<'s>(
    schema: &'s SourceSchema,
    selected: &std::collections::BTreeSet<String>,
) -> Vec<(&'s Table, &'s ForeignKey)> {
    schema
        .tables
        .iter()
        .filter(|t| selected.contains(&t.name))
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .filter(|(_, fk)| selected.contains(&fk.parent_table) && fk.parent_columns.len() == fk.columns.len())
        .collect()
}

/// Foreign keys of the source whose child rows have no parent (SQLite does not check
/// keys unless `PRAGMA foreign_keys` was on when they were written).
pub(super) fn fk_orphans(
    conn: &rusqlite::Connection,
    schema: &SourceSchema,
    selected: &std::collections::BTreeSet<String>,
    dialect: Dialect,
    samples: usize,
) -> Result<Vec<LintFinding>, LintError> {
    let mut out = Vec::new();
    for (t, fks) in fk_checks_by_child(schema, selected) {
        out.extend(fk_orphans_of_child(conn, schema, t, &fks, dialect, samples)?);
    }
    // In the keys' order, as one check per key gives them.
    out.sort_by_key(|(k, _)| *k);
    Ok(out.into_iter().map(|(_, f)| f).collect())
}

/// `fk_checks`, the keys of one child table that `no_orphans_in_memory` may prove
/// together (one scan of the child checks them all), every other key alone (its SQL
/// lookups may run beside the others').
fn fk_checks_by_child<'s>(
    schema: &'s SourceSchema,
    selected: &std::collections::BTreeSet<String>,
) -> Vec<(&'s Table, Vec<(usize, &'s ForeignKey)>)> {
    let mut out: Vec<(&Table, Vec<(usize, &ForeignKey)>)> = Vec::new();
    let checks: Vec<(usize, (&Table, &ForeignKey))> = fk_checks(schema, selected).into_iter().enumerate().collect();
    for group in checks.chunk_by(|a, b| std::ptr::eq(a.1 .0, b.1 .0)) {
        let t = group[0].1 .0;
        let fks: Vec<&ForeignKey> = group.iter().map(|(_, (_, fk))| *fk).collect();
        let (together, alone): (Vec<_>, Vec<_>) = group
            .iter()
            .map(|(k, _)| *k)
            .zip(in_memory_keys(schema, t, &fks))
            .partition(|(_, (_, parent))| parent.is_some());
        if !together.is_empty() {
            out.push((t, together.into_iter().map(|(k, (fk, _))| (k, fk)).collect()));
        }
        out.extend(alone.into_iter().map(|(k, (fk, _))| (t, vec![(k, fk)])));
    }
    out
}

/// The foreign keys `fks` of table `t` whose child rows have no parent, each finding
/// with its key's number (the keys come numbered, so that findings can be put in the
/// keys' order whichever check found them).
fn fk_orphans_of_child(
    conn: &rusqlite::Connection,
    schema: &SourceSchema,
    t: &Table,
    fks: &[(usize, &ForeignKey)],
    dialect: Dialect,
    samples: usize,
) -> Result<Vec<(usize, LintFinding)>, LintError> {
    let read = |e: rusqlite::Error| LintError::Read { table: t.name.clone(), reason: e.to_string() };
    let keys: Vec<&ForeignKey> = fks.iter().map(|(_, fk)| *fk).collect();
    let proven = no_orphans_in_memory(conn, schema, t, &keys).map_err(read)?;
    let mut out = Vec::new();
    for ((k, fk), proven) in fks.iter().zip(proven) {
        if !proven {
            out.extend(fk_orphans_of(conn, t, fk, dialect, samples)?.map(|f| (*k, f)));
        }
    }
    Ok(out)
}

/// The child rows of table `t` without a parent under foreign key `fk`, if any.
fn fk_orphans_of(
    conn: &rusqlite::Connection,
    t: &Table,
    fk: &ForeignKey,
    dialect: Dialect,
    samples: usize,
) -> Result<Option<LintFinding>, LintError> {
    let read = |e: rusqlite::Error| LintError::Read { table: t.name.clone(), reason: e.to_string() };
    let q = quote_sqlite;
    let mut cond: Vec<String> = fk.columns.iter().map(|c| format!("c.{} IS NOT NULL", q(c))).collect();
    let join: Vec<String> =
        fk.columns.iter().zip(&fk.parent_columns).map(|(c, p)| format!("p.{} = c.{}", q(p), q(c))).collect();
    cond.push(format!("NOT EXISTS (SELECT 1 FROM {} p WHERE {})", q(&fk.parent_table), join.join(" AND ")));
    let from = format!("FROM {} c WHERE {}", q(&t.name), cond.join(" AND "));
    let n: i64 = conn.query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0)).map_err(read)?;
    if n == 0 {
        return Ok(None);
    }
    let key = sample_key(t);
    let shown: Vec<String> = key.iter().chain(fk.columns.iter().filter(|c| !key.contains(c))).cloned().collect();
    let select = shown
        .iter()
        .map(|c| if c == "rowid" { "c.rowid".to_string() } else { format!("c.{}", q(c)) })
        .collect::<Vec<_>>()
        .join(", ");
    let reason = format!("no {} row with {}", fk.parent_table, fk.parent_columns.join(", "));
    let sql = format!("SELECT {select} {from} LIMIT {samples}");
    let found = sample_rows(conn, &sql, &shown, key.len(), &reason).map_err(read)?;
    // The embedded SQLite target does not check keys when they are created.
    let level = if dialect.engine().validates_keys_when_added() { Level::Error } else { Level::Warning };
    Ok(Some(LintFinding {
        level,
        code: "fk_orphans".into(),
        table: Some(t.name.clone()),
        column: Some(fk.columns.join(",")),
        count: u64::try_from(n).unwrap_or(0),
        message: format!(
            "{n} row(s) reference a {} row that does not exist ({} -> {}.{}); {}",
            fk.parent_table,
            fk.columns.join(","),
            fk.parent_table,
            fk.parent_columns.join(","),
            if level == Level::Error {
                "the target's foreign key will refuse them"
            } else {
                "SQLite does not check keys, so they will load, and stay orphans"
            }
        ),
        hint: "add the missing parent rows, set the column to NULL, or delete the orphan rows in the source".into(),
        samples: found,
    }))
}

/// One check of `key_checks`.
enum KeyCheck<'s> {
    /// Foreign keys of one child table, numbered in `fk_checks` order.
    Orphans(&'s Table, Vec<(usize, &'s ForeignKey)>),
    Collisions(UniqueCheck<'s>),
    Violations(&'s Table, &'s String),
}

impl KeyCheck<'_> {
    fn table(&self) -> &Table {
        match self {
            KeyCheck::Orphans(t, _) | KeyCheck::Violations(t, _) => t,
            KeyCheck::Collisions(u) => u.table,
        }
    }
}

/// `fk_orphans`, then `unique_collisions`, then `check_violations` over the plan's
/// tables, each check a scan of its own table, spread over `main` and `extras` (readers
/// of the same snapshot), largest table first. The findings, and the first error, are
/// those of one connection running them in that order.
pub(super) fn key_checks(
    main: &rusqlite::Connection,
    extras: &mut [rusqlite::Connection],
    schema: &SourceSchema,
    plan: &Plan,
    samples: usize,
) -> Result<Vec<LintFinding>, LintError> {
    let jobs = key_check_list(schema, plan);
    let costs: Vec<u64> = jobs.iter().map(|j| j.table().row_count).collect();
    let order = crate::source::longest_first(&costs);
    let results = crate::source::spread(main, extras, &order, |conn, i| match &jobs[i] {
        KeyCheck::Orphans(t, fks) => fk_orphans_of_child(conn, schema, t, fks, plan.dialect, samples),
        // After every key's finding, in the checks' order.
        KeyCheck::Collisions(u) => {
            Ok(unique_collisions_of(conn, u, samples)?.map(|f| (usize::MAX, f)).into_iter().collect())
        }
        KeyCheck::Violations(t, check) => {
            Ok(check_violations_of(conn, t, check, plan, samples)?.map(|f| (usize::MAX, f)).into_iter().collect())
        }
    });
    let mut out = Vec::new();
    for (_, found) in results {
        out.extend(found?);
    }
    // Foreign keys in their order (one check may cover several keys of a table); the
    // sort is stable, so the other checks keep theirs.
    out.sort_by_key(|(k, _)| *k);
    Ok(out.into_iter().map(|(_, f)| f).collect())
}

/// The checks `key_checks` runs, in their serial order.
fn key_check_list<'s>(schema: &'s SourceSchema, plan: &Plan) -> Vec<KeyCheck<'s>> {
    let selected = plan.tables.iter().map(|t| t.source_name.clone()).collect();
    let mut jobs: Vec<KeyCheck<'s>> =
        fk_checks_by_child(schema, &selected).into_iter().map(|(t, fks)| KeyCheck::Orphans(t, fks)).collect();
    jobs.extend(unique_checks(schema, plan).into_iter().map(KeyCheck::Collisions));
    jobs.extend(check_checks(schema, plan).into_iter().map(|(t, c)| KeyCheck::Violations(t, c)));
    jobs
}

/// How many checks `key_checks` runs.
pub(super) fn key_check_count(schema: &SourceSchema, plan: &Plan) -> usize {
    key_check_list(schema, plan).len()
}

/// How a target collation compares strings, for the collision check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Folding {
    case: bool,
    pad: bool,
}

/// The folding of a MariaDB collation name (`utf8mb4_general_nopad_ci`, `utf8mb4_bin`):
/// `_ci` ignores case (and, approximated here by case only, accents); a collation
/// without NOPAD ignores trailing spaces.
fn folding(collation: &str) -> Folding {
    let c = collation.to_ascii_lowercase();
    Folding { case: c.ends_with("_ci"), pad: !c.contains("nopad") }
}

fn fold(s: &str, f: Folding) -> String {
    let s = if f.pad { s.trim_end_matches(' ') } else { s };
    if f.case {
        s.to_lowercase()
    } else {
        s.to_string()
    }
}

/// The CHECK constraints that `check_violations` checks, as (table, check), in plan
/// order: none when checks are skipped or the target is SQLite.
pub(super) fn check_checks<'s>(schema: &'s SourceSchema, plan: &Plan) -> Vec<(&'s Table, &'s String)> {
    if plan.checks == crate::config::LogicPolicy::Skip || plan.dialect == Dialect::Sqlite {
        return Vec::new();
    }
    plan.tables
        .iter()
        .filter_map(|tp| schema.table(&tp.source_name))
        .flat_map(|t| t.check_constraints.iter().map(move |c| (t, c)))
        .collect()
}

/// Rows of the source that break one of their table's CHECK constraints (SQLite lets them
/// in when a check was added later, or with `ignore_check_constraints`): the check is not
/// created on the target (best-effort), or the run is refused (`--checks strict`).
pub(super) fn check_violations(
    conn: &rusqlite::Connection,
    schema: &SourceSchema,
    plan: &Plan,
    samples: usize,
) -> Result<Vec<LintFinding>, LintError> {
    let mut out = Vec::new();
    for (t, check) in check_checks(schema, plan) {
        out.extend(check_violations_of(conn, t, check, plan, samples)?);
    }
    Ok(out)
}

/// The rows of table `t` that break `check`, if any.
pub(super) fn check_violations_of(
    conn: &rusqlite::Connection,
    t: &Table,
    check: &str,
    plan: &Plan,
    samples: usize,
) -> Result<Option<LintFinding>, LintError> {
    let q = quote_sqlite;
    let body = plan::check_body(check);
    let read = |e: rusqlite::Error| LintError::Read { table: t.name.clone(), reason: e.to_string() };
    let from = format!("FROM {} WHERE NOT ({body})", q(&t.name));
    let n: i64 = conn.query_row(&format!("SELECT count(*) {from}"), [], |r| r.get(0)).map_err(read)?;
    if n == 0 {
        return Ok(None);
    }
    let key = sample_key(t);
    let words: Vec<String> = crate::source::sqltext::tokenize(body).iter().filter_map(|t| t.ident()).collect();
    let columns: Vec<String> = t
        .columns
        .iter()
        .filter(|c| words.iter().any(|w| w.eq_ignore_ascii_case(&c.name)))
        .map(|c| c.name.clone())
        .collect();
    let shown: Vec<String> = key.iter().chain(columns.iter().filter(|c| !key.contains(c))).cloned().collect();
    let select = shown.iter().map(|c| if c == "rowid" { "rowid".into() } else { q(c) }).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT {select} {from} LIMIT {samples}");
    let found = sample_rows(conn, &sql, &shown, key.len(), &format!("breaks {check}")).map_err(read)?;
    let strict = plan.checks == crate::config::LogicPolicy::Strict;
    Ok(Some(LintFinding {
        level: if strict { Level::Error } else { Level::Warning },
        code: "check_violated".into(),
        table: Some(t.name.clone()),
        column: Some(columns.join(",")),
        count: u64::try_from(n).unwrap_or(0),
        message: format!(
            "{n} row(s) break {check}; {}",
            if strict {
                "the migration refuses to start (--checks strict)"
            } else {
                "the check will not be created on the target"
            }
        ),
        hint: "fix the rows in the source, or drop the check there if the application no longer means it".into(),
        samples: found,
    }))
}

/// A unique key (or primary key) that `unique_collisions` checks: its table, what it
/// is (`primary key`, `unique index NAME`), its columns and how the target compares each.
pub(super) struct UniqueCheck<'s> {
    pub(super) table: &'s Table,
    what: String,
    columns: Vec<String>,
    forms: Vec<KeyForm>,
}

/// How the target compares one column of a unique key, next to SQLite.
#[derive(Debug, Clone, Copy)]
enum KeyForm {
    /// As SQLite does: integers, floats, bytes, text under a collation that folds nothing.
    AsWritten,
    /// Text under a collation that folds case or trailing spaces.
    Folded(Folding),
    /// As the converted value: a decimal rounded to its scale, a date or time read from
    /// any of its spellings, a boolean from `1` or `'true'`, a UUID in either case.
    Converted(ColumnType, ConvertContext),
}

impl KeyForm {
    /// The planned column's form.
    fn of(column: &crate::plan::ColumnMapping, dialect: Dialect) -> KeyForm {
        match column.ty {
            ColumnType::Decimal { .. }
            | ColumnType::Boolean
            | ColumnType::Timestamp { .. }
            | ColumnType::Date
            | ColumnType::Time
            | ColumnType::Uuid => KeyForm::Converted(
                column.ty,
                ConvertContext { dialect, epoch_unit: column.epoch_unit.unwrap_or_default() },
            ),
            ty if ty.is_string() && dialect.engine().folding_collations() => {
                match column.collation.as_deref().map(folding) {
                    Some(f) if f.case || f.pad => KeyForm::Folded(f),
                    _ => KeyForm::AsWritten,
                }
            }
            _ => KeyForm::AsWritten,
        }
    }

    /// The value as the target's key compares it; None for a value that does not convert.
    fn key(&self, v: rusqlite::types::ValueRef<'_>, text: &str) -> Option<String> {
        match self {
            KeyForm::AsWritten => Some(text.to_string()),
            KeyForm::Folded(f) => Some(fold(text, *f)),
            KeyForm::Converted(ty, ctx) => match crate::convert::convert(SourceValue::from(v), ty, ctx) {
                Ok(Value::Decimal(d)) => Some(format!("{}", d.normalize())),
                Ok(other) => Some(format!("{other:?}")),
                // It will not load at all (its own finding): it collides with nothing.
                Err(_) => None,
            },
        }
    }
}

/// The keys whose values may collide under the target column's collation, in plan
/// order: none on a target whose collations do not fold.
pub(super) fn unique_checks<'s>(schema: &'s SourceSchema, plan: &Plan) -> Vec<UniqueCheck<'s>> {
    let mut out = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.table(&tp.source_name) else { continue };
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        if let Some(pk) = &t.primary_key {
            keys.push(("primary key".into(), pk.columns.clone()));
        }
        for ix in t.indexes.iter().filter(|i| i.unique && i.partial.is_none()) {
            let cols: Option<Vec<String>> = ix.columns.iter().map(|c| c.name.clone()).collect();
            if let Some(cols) = cols {
                keys.push((format!("unique index {}", ix.name), cols));
            }
        }
        for (what, columns) in keys {
            let forms: Vec<KeyForm> = columns
                .iter()
                .map(|c| tp.column(c).map_or(KeyForm::AsWritten, |m| KeyForm::of(m, plan.dialect)))
                .collect();
            // PostgreSQL's and SQLite's default collations are deterministic, and
            // integers, floats and bytes compare alike: nothing new collides.
            if forms.iter().all(|f| matches!(f, KeyForm::AsWritten)) {
                continue;
            }
            out.push(UniqueCheck { table: t, what, columns, forms });
        }
    }
    out
}

/// Unique keys (and primary keys) whose values are distinct in SQLite but equal under
/// the target column's collation (`Admin` / `admin` under a case-insensitive one).
pub(super) fn unique_collisions(
    conn: &rusqlite::Connection,
    schema: &SourceSchema,
    plan: &Plan,
    samples: usize,
) -> Result<Vec<LintFinding>, LintError> {
    let mut out = Vec::new();
    for check in unique_checks(schema, plan) {
        out.extend(unique_collisions_of(conn, &check, samples)?);
    }
    Ok(out)
}

/// The rows whose values of one key collide under the target's collation, if any.
pub(super) fn unique_collisions_of(
    conn: &rusqlite::Connection,
    check: &UniqueCheck<'_>,
    samples: usize,
) -> Result<Option<LintFinding>, LintError> {
    collisions_in(conn, check.table, &check.what, &check.columns, &check.forms, samples)
}

fn collisions_in(
    conn: &rusqlite::Connection,
    t: &crate::schema::Table,
    what: &str,
    cols: &[String],
    forms: &[KeyForm],
    samples: usize,
) -> Result<Option<LintFinding>, LintError> {
    let read = |e: rusqlite::Error| LintError::Read { table: t.name.clone(), reason: e.to_string() };
    let key = sample_key(t);
    let quote = |c: &String| if c == "rowid" { c.clone() } else { quote_sqlite(c) };
    let select = cols.iter().chain(&key).map(quote).collect::<Vec<_>>().join(", ");
    let mut st = conn.prepare(&format!("SELECT {select} FROM {}", quote_sqlite(&t.name))).map_err(read)?;
    let mut rows = st.query([]).map_err(read)?;
    // Folded key -> the rows (their key label, their values as written).
    let mut groups: HashMap<Vec<String>, Vec<(String, Vec<String>)>> = HashMap::new();
    while let Some(r) = rows.next().map_err(read)? {
        let mut raw = Vec::with_capacity(cols.len());
        let mut folded = Vec::with_capacity(cols.len());
        let mut has_null = false;
        for (i, form) in forms.iter().enumerate() {
            let v = r.get_ref(i).map_err(read)?;
            let text = match v {
                rusqlite::types::ValueRef::Null => {
                    has_null = true;
                    String::new()
                }
                rusqlite::types::ValueRef::Text(b) => String::from_utf8_lossy(b).into_owned(),
                other => job::describe(SourceValue::from(other)),
            };
            match form.key(v, &text) {
                Some(k) => folded.push(k),
                // A row that does not convert never reaches the target's key.
                None => has_null = true,
            }
            raw.push(text);
        }
        if has_null {
            continue;
        }
        let label = key
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let v = r.get_ref(cols.len() + k).map_or("?".into(), |v| job::describe(SourceValue::from(v)));
                format!("{name}={v}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        groups.entry(folded).or_default().push((label, raw));
    }
    let mut colliding: Vec<Vec<(String, Vec<String>)>> = groups.into_values().filter(|g| g.len() > 1).collect();
    if colliding.is_empty() {
        return Ok(None);
    }
    colliding.sort();
    let count = colliding.iter().map(|g| g.len() as u64).sum();
    let collation = forms.iter().any(|f| matches!(f, KeyForm::Folded(_)));
    let types = forms.iter().any(|f| matches!(f, KeyForm::Converted(..)));
    let equal = match (collation, types) {
        (true, true) => "under the target's collation and column types",
        (false, true) => "once converted to the target's column types (a decimal rounded to its scale, a date or time written two ways, a boolean as 1 and 'true', a UUID in two cases)",
        _ => "under the target's collation",
    };
    let short = if types { "in the target" } else { "under the target's collation" };
    let mut listed = Vec::new();
    for g in &colliding {
        for (label, raw) in g {
            let others: Vec<&str> = g.iter().filter(|o| &o.0 != label).map(|o| o.0.as_str()).collect();
            listed.push(LintSample {
                key: label.clone(),
                value: raw.iter().map(|v| format!("'{}'", shorten(v, 40))).collect::<Vec<_>>().join(", "),
                reason: format!("equal {short} to the row with {}", others.join("; ")),
            });
        }
    }
    listed.truncate(samples);
    Ok(Some(LintFinding {
        level: Level::Error,
        code: "unique_collision".into(),
        table: Some(t.name.clone()),
        column: Some(cols.join(",")),
        count,
        message: format!(
            "{count} row(s) in {} group(s) are distinct in SQLite but equal {equal} ({what}); the target will refuse the key (when the data loads, or when the index is added after it)",
            colliding.len()
        ),
        hint: if collation {
            "merge or rename the duplicates in the source, or choose a case-sensitive NO PAD collation (utf8mb4_nopad_bin) for the column in cutover.toml ([mariadb.collations])".into()
        } else {
            "merge the duplicates in the source (or, for decimals, give the column more decimal places in cutover.toml)".into()
        },
        samples: listed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collation_foldings() {
        assert_eq!(folding("utf8mb4_general_nopad_ci"), Folding { case: true, pad: false });
        assert_eq!(folding("utf8mb4_bin"), Folding { case: false, pad: true });
        assert_eq!(folding("utf8mb4_nopad_bin"), Folding { case: false, pad: false });
        assert_eq!(fold("Admin  ", folding("utf8mb4_unicode_ci")), "admin");
        assert_eq!(fold("JOSÉ", folding("utf8mb4_general_nopad_ci")), "josé");
    }

    /// The in-memory proof and SQLite's own lookups agree: every case the proof cannot
    /// settle goes to the SQL, and an orphan is always found, counted and sampled.
    #[test]
    fn orphans_in_memory_agree_with_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO parent (id, name) VALUES (-3, 'a'), (1, 'b'), (2, 'c'), (900000000000, 'd');
             -- children outnumber their parent, so the proof in memory is tried first
             CREATE TABLE clean (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
             INSERT INTO clean (parent_id) VALUES (1), (2), (NULL), (-3), (900000000000), (1);
             CREATE TABLE orphan (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
             INSERT INTO orphan (parent_id) VALUES (1), (2), (7), (NULL), (2), (2);
             -- text that SQLite compares as a number: not an orphan, but only the SQL knows
             CREATE TABLE texts (id INTEGER PRIMARY KEY, parent_id TEXT REFERENCES parent (id));
             INSERT INTO texts (parent_id) VALUES ('1'), ('2'), ('-3'), ('1'), ('2'), ('1');
             CREATE TABLE few (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
             INSERT INTO few (parent_id) VALUES (5);
             -- two keys of one child, read in one scan: the first holds, the second has an
             -- orphan in the last row, a text in the third key stops only that key's proof
             CREATE TABLE two (id INTEGER PRIMARY KEY, a INTEGER REFERENCES parent (id),
                               b INTEGER REFERENCES parent (id), c TEXT REFERENCES parent (id));
             INSERT INTO two (a, b, c) VALUES (1, 2, 1), (2, NULL, '2'), (-3, 1, 1), (1, 2, 2), (2, 8, NULL);",
        )
        .unwrap();
        drop(conn);
        let mut source = crate::source::Source::open(&path).unwrap();
        let schema = source.snapshot().unwrap();
        let table = |name: &str| schema.tables.iter().find(|t| t.name == name).unwrap();
        let proofs = |child: &str| {
            let t = table(child);
            let fks: Vec<&ForeignKey> = t.foreign_keys.iter().collect();
            no_orphans_in_memory(source.connection(), &schema, t, &fks).unwrap()
        };
        let proof = |child: &str| proofs(child)[0];
        let columns =
            |child: &str| -> Vec<String> { table(child).foreign_keys.iter().map(|f| f.columns.join(",")).collect() };
        assert_eq!(columns("two"), ["a", "b", "c"]);
        assert_eq!(proofs("two"), [true, false, false]);
        assert!(proof("clean"));
        assert!(!proof("orphan"));
        assert!(!proof("texts"));
        // fewer child rows than parent rows: one lookup each is cheaper, the proof is not tried
        assert!(!proof("few"));
        let all = schema.tables.iter().map(|t| t.name.clone()).collect();
        let found = fk_orphans(source.connection(), &schema, &all, Dialect::Postgres, 5).unwrap();
        let found: Vec<(String, u64, Vec<String>)> = found
            .into_iter()
            .map(|f| (f.table.unwrap(), f.count, f.samples.into_iter().map(|s| s.key).collect()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("few".to_string(), 1, vec!["id=1".to_string()]),
                ("orphan".to_string(), 1, vec!["id=3".to_string()]),
                ("two".to_string(), 1, vec!["id=5".to_string()])
            ]
        );
    }
}
