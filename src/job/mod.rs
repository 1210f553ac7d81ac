//! How one table is read from the source and written to the target: the `TableJob`
//! (its SELECT in the snapshot, target columns and their types, how a row is named in
//! messages), built from the plan (create mode) or from the target's catalog (existing
//! mode), and the conversion of one source row. Shared by `copy` (which moves the rows),
//! `lint` (which reads every value before anything is written) and `verify` (which reads
//! both sides). Architecture invariant: nothing here touches a target connection.

use std::collections::BTreeSet;

use crate::convert::{convert, ConvertContext};
use crate::plan::{Plan, TablePlan};
use crate::report::Reject;
use crate::schema::{SourceSchema, Table};
use crate::source::quote_sqlite;
use crate::target::conn::CatalogColumn;
use crate::target::{Dialect, ValueLimit};
use crate::types::{ColumnType, EpochUnit};
use crate::value::{SourceValue, Value};

pub mod orphans;

/// A table selection or a plan that cannot be turned into jobs: a usage error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

/// How one table is read and written.
#[derive(Clone)]
pub(crate) struct TableJob {
    pub(crate) source_name: String,
    pub(crate) target_name: String,
    pub(crate) tier: usize,
    pub(crate) rows_source: u64,
    /// SELECT of the source columns, in target column order (key columns first when rowid is needed).
    pub(crate) select: String,
    /// Target column names, parallel to `types`.
    pub(crate) columns: Vec<String>,
    pub(crate) source_columns: Vec<String>,
    pub(crate) types: Vec<(ColumnType, ConvertContext)>,
    pub(crate) not_null: Vec<bool>,
    /// How to name a row in messages: the columns (by index into the select) and their names.
    pub(crate) key: KeySpec,
    /// Empty the table inside the load transaction first.
    pub(crate) truncate: bool,
    /// Columns before the data in each row read (1 when the rowid comes first).
    pub(crate) offset: usize,
    /// Fractional-second digits each column keeps (existing MariaDB DATETIME(0..5) / TIME(0..5)
    /// columns keep fewer than 6; a value with more is rejected, never cut).
    pub(crate) fraction_digits: Vec<u32>,
    /// What each existing target column checks beyond its type: enum labels, byte limits,
    /// MariaDB's TIMESTAMP range (empty rules in create mode).
    pub(crate) rules: Vec<ColumnRule>,
    /// A name that reads the rowid and the smallest and largest rowid of the snapshot;
    /// None for a WITHOUT ROWID table, an empty one, or one whose columns take every alias.
    pub(crate) rowids: Option<(String, i64, i64)>,
    /// The select's ORDER BY clause (the end of `select`), so that a range can go before it.
    pub(crate) select_order: String,
    /// Which rowid range of its table this job reads, when the table is split.
    pub(crate) part: Option<Part>,
}

/// One rowid range of a table split over several connections: part `index` of `of`, of a
/// table of `rows_total` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) index: usize,
    pub(crate) of: usize,
    pub(crate) rows_total: u64,
}

impl TableJob {
    /// The job split into `n` consecutive rowid ranges of equal width (the first and the
    /// last open-ended, so that every row is read whatever the statistics said); itself
    /// alone when it cannot be split.
    pub(crate) fn split(&self, n: usize) -> Vec<TableJob> {
        let Some((rowid, first, last)) = &self.rowids else { return vec![self.clone()] };
        let Some(head) = self.select.strip_suffix(&self.select_order) else { return vec![self.clone()] };
        let span = i128::from(*last) - i128::from(*first) + 1;
        if n < 2 || span < n as i128 {
            return vec![self.clone()];
        }
        let bound = |k: usize| i128::from(*first) + span * k as i128 / n as i128;
        (0..n)
            .map(|k| {
                let range = match k {
                    0 => format!("{rowid} < {}", bound(1)),
                    k if k == n - 1 => format!("{rowid} >= {}", bound(k)),
                    k => format!("{rowid} >= {} AND {rowid} < {}", bound(k), bound(k + 1)),
                };
                let share = self.rows_source / n as u64 + u64::from(k == 0) * (self.rows_source % n as u64);
                TableJob {
                    select: format!("{head} WHERE {range}{}", self.select_order),
                    rows_source: share,
                    part: Some(Part { index: k, of: n, rows_total: self.rows_source }),
                    // Parts load side by side into one table: none may empty it (create
                    // mode's tables are new or dropped and created again when unfinished).
                    truncate: false,
                    ..self.clone()
                }
            })
            .collect()
    }
}

/// A column's checks beyond its neutral type.
#[derive(Clone, Default)]
pub(crate) struct ColumnRule {
    /// The enum's (or SET's) labels; a value must be one of them, exactly.
    pub(crate) labels: Option<std::sync::Arc<Vec<String>>>,
    pub(crate) limit: ValueLimit,
}

impl ColumnRule {
    /// Nothing to check beyond the type.
    pub(crate) fn is_plain(&self) -> bool {
        self.labels.is_none() && self.limit == ValueLimit::None
    }
}

#[derive(Clone)]
pub(crate) enum KeySpec {
    /// The SELECT's first column is the rowid.
    Rowid,
    /// Primary key columns: (index in the row, name).
    Columns(Vec<(usize, String)>),
}

/// Tables left out by `--tables` / `--exclude` globs.
pub(crate) fn select_tables(
    schema: &SourceSchema,
    include: &[String],
    exclude: &[String],
) -> Result<BTreeSet<String>, JobError> {
    for pattern in include.iter().chain(exclude) {
        if !schema.tables.iter().any(|t| glob(pattern, &t.name)) {
            return Err(JobError(format!(
                "--tables/--exclude pattern {pattern:?} matches no table of the source; `cutover inspect` lists them"
            )));
        }
    }
    Ok(schema
        .tables
        .iter()
        .filter(|t| {
            (!include.is_empty() && !include.iter().any(|p| glob(p, &t.name)))
                || exclude.iter().any(|p| glob(p, &t.name))
        })
        .map(|t| t.name.clone())
        .collect())
}

/// `*` and `?` globs, case-sensitive, as table names are.
pub fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Create mode: how each planned table is read and written, from the plan's own types.
pub(crate) fn create_jobs(plan: &Plan, schema: &SourceSchema, dialect: Dialect) -> Result<Vec<TableJob>, JobError> {
    plan.tables
        .iter()
        .map(|tp| {
            let t =
                schema.table(&tp.source_name).ok_or_else(|| JobError(format!("table {} vanished", tp.source_name)))?;
            let columns: Vec<(String, String, ColumnType, EpochUnit, bool)> = tp
                .columns
                .iter()
                .map(|c| {
                    (c.source_name.clone(), c.target_name.clone(), c.ty, c.epoch_unit.unwrap_or_default(), !c.nullable)
                })
                .collect();
            let mut job = job_for(t, tp, &columns, dialect, true);
            // A planned DATETIME without fractions (a framework's) refuses a value with one.
            job.fraction_digits = tp.columns.iter().map(|c| dialect.engine().fraction_digits(&c.target_type)).collect();
            // What the planned spelling holds beyond the neutral type (a framework's MariaDB
            // `TEXT` keeps 65,535 bytes; an enum's labels).
            job.rules = tp
                .columns
                .iter()
                .map(|c| ColumnRule {
                    labels: c.labels.clone().map(std::sync::Arc::new),
                    limit: dialect.engine().value_limit(&c.target_type),
                })
                .collect();
            Ok(job)
        })
        .collect()
}

/// Build the read/write description of one table.
pub(crate) fn job_for(
    t: &Table,
    tp: &TablePlan,
    columns: &[(String, String, ColumnType, EpochUnit, bool)],
    dialect: Dialect,
    truncate: bool,
) -> TableJob {
    let rowid = !t.without_rowid && t.primary_key.is_none();
    let mut select_cols: Vec<String> = Vec::new();
    if rowid {
        let alias = ["rowid", "_rowid_", "oid"].into_iter().find(|a| t.column(a).is_none()).unwrap_or("rowid");
        select_cols.push(alias.to_string());
    }
    let offset = usize::from(rowid);
    select_cols.extend(columns.iter().map(|c| quote_sqlite(&c.0)));
    let key = match &t.primary_key {
        Some(pk) if !rowid => KeySpec::Columns(
            pk.columns
                .iter()
                .filter_map(|k| columns.iter().position(|c| &c.0 == k).map(|i| (i + offset, k.clone())))
                .collect(),
        ),
        _ => KeySpec::Rowid,
    };
    let order = if rowid || t.rowid_alias().is_some() {
        format!(" ORDER BY {}", if rowid { select_cols[0].clone() } else { "rowid".into() })
    } else {
        String::new()
    };
    let rowid_name = ["rowid", "_rowid_", "oid"].into_iter().find(|a| t.column(a).is_none());
    let rowids = match (t.without_rowid, rowid_name, t.min_rowid, t.max_rowid) {
        (false, Some(name), Some(first), Some(last)) => Some((name.to_string(), first, last)),
        _ => None,
    };
    TableJob {
        source_name: t.name.clone(),
        target_name: tp.target_name.clone(),
        tier: tp.tier,
        rows_source: t.row_count,
        select: format!("SELECT {} FROM {}{order}", select_cols.join(", "), quote_sqlite(&t.name)),
        select_order: order,
        rowids,
        part: None,
        columns: columns.iter().map(|c| c.1.clone()).collect(),
        source_columns: columns.iter().map(|c| c.0.clone()).collect(),
        types: columns.iter().map(|c| (c.2, ConvertContext { dialect, epoch_unit: c.3 })).collect(),
        not_null: columns.iter().map(|c| c.4).collect(),
        key,
        truncate,
        offset,
        fraction_digits: vec![6; columns.len()],
        rules: vec![ColumnRule::default(); columns.len()],
    }
}

/// Existing mode: match one source table to its target table's catalog columns by name
/// (exact, then ignoring ASCII case); each value is converted to the catalog's real type.
/// Err lists every column that does not match.
pub(crate) fn existing_job(
    t: &Table,
    tp: &TablePlan,
    catalog: &[CatalogColumn],
    dialect: Dialect,
    ignore_missing_columns: bool,
) -> Result<TableJob, Vec<String>> {
    let mut problems = Vec::new();
    let mut columns = Vec::new();
    let mut fractions = Vec::new();
    let mut rules = Vec::new();
    // Target columns a source column matched by name, whether or not their type is supported.
    let mut matched: Vec<&str> = Vec::new();
    for c in &t.columns {
        let m = tp.column(&c.name).map_or(c.name.as_str(), |m| m.target_name.as_str());
        let found =
            catalog.iter().find(|k| k.name == m).or_else(|| catalog.iter().find(|k| k.name.eq_ignore_ascii_case(m)));
        matched.extend(found.map(|k| k.name.as_str()));
        match found {
            Some(k) => match dialect
                .engine()
                .neutral_type(&k.type_name)
                .or_else(|| k.labels.as_ref().map(|_| ColumnType::Enum))
            {
                Some(ty) => {
                    let unit = tp.column(&c.name).and_then(|m| m.epoch_unit).unwrap_or_default();
                    columns.push((c.name.clone(), k.name.clone(), ty, unit, !k.nullable));
                    fractions.push(dialect.engine().fraction_digits(&k.type_name));
                    rules.push(ColumnRule {
                        labels: k.labels.clone().map(std::sync::Arc::new),
                        limit: dialect.engine().value_limit(&k.type_name),
                    });
                }
                None => problems.push(unsupported(&tp.target_name, &k.name, &k.type_name, dialect)),
            },
            None if ignore_missing_columns => {}
            None => problems.push(format!(
                "source column {}.{} has no column in the target (pass --ignore-missing-columns to leave it out)",
                t.name, c.name
            )),
        }
    }
    for k in catalog.iter().filter(|k| !k.nullable && !k.has_default) {
        if !matched.contains(&k.name.as_str()) {
            problems.push(format!(
                "target column {}.{} is NOT NULL without a default, and the source has no such column",
                tp.target_name, k.name
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut job = job_for(t, tp, &columns, dialect, false);
    job.fraction_digits = fractions;
    job.rules = rules;
    Ok(job)
}

/// Why an existing column's type is refused, and how to go on.
fn unsupported(table: &str, column: &str, type_name: &str, dialect: Dialect) -> String {
    let why = dialect.engine().unsupported_because(type_name).unwrap_or(
        "cutover writes only the types it can convert exactly (docs/type-mapping.md lists them for existing targets)",
    );
    format!(
        "{table}.{column}: the target column's type {type_name} is not supported: {why}. To go on, change the column's type in the application's migration, or leave the table out with --exclude '{table}'"
    )
}

/// Convert one source row into target values, or say which value did not convert.
pub(crate) fn convert_row(row: &rusqlite::Row<'_>, job: &TableJob) -> Result<Vec<Value>, Box<Reject>> {
    let offset = job.offset;
    let mut out = Vec::with_capacity(job.types.len());
    for (c, (ty, ctx)) in job.types.iter().enumerate() {
        let raw = row.get_ref(c + offset).map(SourceValue::from).unwrap_or(SourceValue::Null);
        let value = convert(raw, ty, ctx).map_err(|e| {
            Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: describe(raw),
                kind: e.kind().to_string(),
                reason: e.to_string(),
                foreign_key: None,
            })
        })?;
        if let Some(cut) = fraction_cut(&value, job.fraction_digits[c]) {
            return Err(Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: describe(raw),
                kind: "fraction_lost".into(),
                reason: format!(
                    "the target column keeps {} fractional second digit(s); {cut} would be cut ({})",
                    job.fraction_digits[c],
                    ctx.dialect.engine().widen_fraction_hint()
                ),
                foreign_key: None,
            }));
        }
        let mut value = value;
        let rule = &job.rules[c];
        if let Some(reject) = (!rule.is_plain()).then(|| apply_rule(&mut value, rule, job.types[c].0)).flatten() {
            return Err(Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: describe(raw),
                kind: reject.0.into(),
                reason: format!("{} {}", describe(raw), reject.1),
                foreign_key: None,
            }));
        }
        if matches!(value, Value::Null) && job.not_null[c] {
            return Err(Box::new(Reject {
                table: job.source_name.clone(),
                key: row_key(row, job),
                column: job.source_columns[c].clone(),
                value: "NULL".into(),
                kind: "null_in_not_null".into(),
                reason: "NULL in a NOT NULL column".into(),
                foreign_key: None,
            }));
        }
        out.push(value);
    }
    Ok(out)
}

/// (kind, reason) when a converted value breaks its column's rule. A SET value is put
/// in the column's order without repeats, as the server stores it (the same set).
pub(crate) fn apply_rule(v: &mut Value, rule: &ColumnRule, ty: ColumnType) -> Option<(&'static str, String)> {
    if let (Some(labels), Value::Text(s)) = (&rule.labels, &*v) {
        match crate::convert::check_labels(s, labels, ty == ColumnType::Set) {
            Err(reason) => return Some(("not_a_label", reason)),
            Ok(Some(ordered)) => *v = Value::Text(ordered),
            Ok(None) => {}
        }
    }
    let v = &*v;
    let bytes = match v {
        Value::Text(s) | Value::Json(s) => Some(s.len() as u64),
        Value::Bytes(b) => Some(b.len() as u64),
        _ => None,
    };
    match (rule.limit, bytes, v) {
        (ValueLimit::MaxBytes(max), Some(n), _) if n > max => Some((
            "too_many_bytes",
            format!("is {n} bytes long; the target column holds at most {max} bytes (widen it, e.g. TEXT to MEDIUMTEXT)"),
        )),
        (ValueLimit::ExactBytes(len), Some(n), _) if n != len => Some((
            "too_many_bytes",
            format!("is {n} bytes long; the target column is BINARY({len}), which pads or refuses any other length (make it VARBINARY({len}))"),
        )),
        (ValueLimit::UnixTimestamp, _, Value::Timestamp(t)) => unix_range(&t.and_utc()),
        (ValueLimit::UnixTimestamp, _, Value::TimestampTz(t)) => unix_range(t),
        _ => None,
    }
}

fn unix_range(t: &chrono::DateTime<chrono::Utc>) -> Option<(&'static str, String)> {
    let s = t.timestamp();
    (!(1..=2_147_483_647).contains(&s)).then(|| {
        ("out_of_range", "is out of range: a MariaDB TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07.999999 UTC; change the column to DATETIME(6) in the application's migration".to_string())
    })
}

/// The converted values of the columns `picks` (indexes into the job's columns) of a row
/// whose other columns may not convert; a value that does not convert is NULL here (it
/// is reported on its own, and NULL neither collides in a key nor fails a CHECK).
pub(crate) fn convert_columns(row: &rusqlite::Row<'_>, job: &TableJob, picks: &[usize]) -> Vec<Value> {
    picks
        .iter()
        .map(|&c| {
            let (ty, ctx) = &job.types[c];
            let raw = row.get_ref(c + job.offset).map(SourceValue::from).unwrap_or(SourceValue::Null);
            let Ok(mut v) = convert(raw, ty, ctx) else { return Value::Null };
            if apply_rule(&mut v, &job.rules[c], *ty).is_some() {
                return Value::Null;
            }
            v
        })
        .collect()
}

/// The sub-second part a column with `digits` fractional digits would lose, if any.
fn fraction_cut(v: &Value, digits: u32) -> Option<String> {
    use chrono::Timelike;
    if digits >= 6 {
        return None;
    }
    let nanos = match v {
        Value::Timestamp(t) => t.nanosecond(),
        Value::TimestampTz(t) => t.nanosecond(),
        Value::Time(t) => t.nanosecond(),
        _ => return None,
    };
    let unit = 10u32.pow(9 - digits);
    (nanos % unit != 0).then(|| format!("0.{:09}", nanos).trim_end_matches('0').to_string())
}

pub(crate) fn describe(v: SourceValue) -> String {
    match v {
        SourceValue::Null => "NULL".into(),
        SourceValue::Integer(i) => i.to_string(),
        SourceValue::Real(f) => format!("{f:?}"),
        // Control characters escaped, invalid UTF-8 as \xNN: a reject file or report stays text.
        SourceValue::Text(_) => crate::convert::show(v),
        SourceValue::Blob(b) => format!("x'{}' ({} bytes)", crate::target::hex(&b[..b.len().min(16)]), b.len()),
    }
}

pub(crate) fn row_key(row: &rusqlite::Row<'_>, job: &TableJob) -> String {
    let show = |i: usize| row.get_ref(i).map(|v| describe(SourceValue::from(v))).unwrap_or_else(|_| "?".into());
    match &job.key {
        KeySpec::Rowid => format!("rowid={}", show(0)),
        KeySpec::Columns(cols) => {
            cols.iter().map(|(i, name)| format!("{name}={}", show(*i))).collect::<Vec<_>>().join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn globs() {
        assert!(super::glob("user*", "users"));
        assert!(super::glob("*_log", "audit_log"));
        assert!(super::glob("t?", "t1"));
        assert!(!super::glob("user*", "app_users"));
        assert!(super::glob("Order Details", "Order Details"));
    }
}
