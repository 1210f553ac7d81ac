//! The logic that lives in the source database, planned for the target: views (in
//! dependency order) and CHECK constraints, translated from SQLite's SQL by `translate`
//! against the plan's own names and types.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{known_names, Finding, Level, Phase, Plan, PlannedObject, Statement, TablePlan};
use crate::config::LogicPolicy;
use crate::schema::SourceSchema;
use crate::source::sqltext;
use crate::target::SqlDialect;
use crate::translate::{self, Catalog, Column, Relation, Ty};
use crate::types::ColumnType;

/// What the translator may read: the planned tables, with their target names and planned
/// types (and, from the source's statistics, which timestamp columns held bare dates).
fn catalog(plan: &Plan, schema: &SourceSchema) -> Catalog {
    let relations = plan
        .tables
        .iter()
        .map(|tp| Relation {
            source: tp.source_name.clone(),
            target: tp.target_name.clone(),
            columns: tp
                .columns
                .iter()
                .map(|c| {
                    let stats = schema
                        .tables
                        .iter()
                        .find(|t| t.name == tp.source_name)
                        .and_then(|t| t.column(&c.source_name))
                        .map(|sc| &sc.stats);
                    let bare_dates = stats.is_some_and(|s| {
                        s.texts > 0 && s.integers == 0 && s.reals == 0 && s.max_text_chars.is_some_and(|n| n <= 10)
                    });
                    let ty = match Ty::of(&c.ty) {
                        Ty::Timestamp if bare_dates => Ty::DayStamp,
                        ty => ty,
                    };
                    Column { source: c.source_name.clone(), target: c.target_name.clone(), ty }
                })
                .collect(),
            rowid: tp.identity.as_ref().map(|i| i.column.clone()),
            is_view: false,
        })
        .collect();
    Catalog { relations }
}

/// The source's views, translated for the target, dependencies first. A view that cannot
/// be translated is a finding that names the construct (an error under `--views strict`).
pub(super) fn views(
    plan: &Plan,
    schema: &SourceSchema,
    engine: &dyn SqlDialect,
    findings: &mut Vec<Finding>,
) -> Vec<Statement> {
    if plan.views == LogicPolicy::Skip {
        if !schema.views.is_empty() {
            findings.push(Finding::new(
                Level::Info,
                "views_skipped",
                "views",
                format!("{} views left out (--views skip)", schema.views.len()),
            ));
        }
        return Vec::new();
    }
    let Some(flavor) = translate::flavor(plan.dialect) else { return sqlite_views(plan, schema, engine, findings) };
    let schema_name = plan.target_schema.as_deref();
    let strict = plan.views == LogicPolicy::Strict;
    let level = if strict { Level::Error } else { Level::Warning };
    let mut catalog = catalog(plan, schema);
    let mut out = Vec::new();
    for v in ordered_views(schema) {
        if let Some(err) = &v.error {
            findings.push(Finding::new(
                Level::Warning,
                "view_left_out",
                &v.name,
                format!("SQLite itself cannot run this view ({err}); left out"),
            ));
            continue;
        }
        match translate::view(&v.sql, &v.name, &v.columns, &catalog, flavor, schema_name) {
            Ok(t) => {
                catalog.relations.push(Relation {
                    source: v.name.clone(),
                    target: v.name.clone(),
                    columns: t.columns,
                    rowid: None,
                    is_view: true,
                });
                let created = PlannedObject::View { name: v.name.clone() };
                out.push(super::one(Phase::Views, &v.name, t.sql, !strict, created));
            }
            Err(e) => findings.push(Finding::new(
                level,
                "view_not_translated",
                &v.name,
                format!(
                    "{}: {}; {}. SQLite's SQL: {}",
                    e.construct,
                    e.why,
                    if strict { "the run stops (--views strict)" } else { "the view is left out" },
                    one_line(&v.sql)
                ),
            )),
        }
    }
    out
}

/// The body of `CHECK (body)`.
pub fn check_body(check: &str) -> &str {
    let s = check.trim();
    let s = s.strip_prefix("CHECK").or_else(|| s.strip_prefix("check")).unwrap_or(s).trim();
    s.strip_prefix('(').and_then(|b| b.strip_suffix(')')).unwrap_or(s)
}

/// The source's CHECK constraints, translated, added after the data (create mode). A check
/// that cannot be translated is a finding naming it (an error under `--checks strict`).
pub(super) fn checks(
    plan: &Plan,
    schema: &SourceSchema,
    engine: &dyn SqlDialect,
    findings: &mut Vec<Finding>,
) -> Vec<Statement> {
    let Some(flavor) = translate::flavor(plan.dialect) else { return Vec::new() };
    let strict = plan.checks == LogicPolicy::Strict;
    let catalog = catalog(plan, schema);
    let mut out = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.tables.iter().find(|t| t.name == tp.source_name) else { continue };
        for (i, check) in t.check_constraints.iter().enumerate() {
            let object = format!("{} on {}", check, t.name);
            if plan.checks == LogicPolicy::Skip {
                findings.push(Finding::new(
                    Level::Info,
                    "check_skipped",
                    &t.name,
                    format!("{check} left out (--checks skip)"),
                ));
                continue;
            }
            match translate::expression(check_body(check), &t.name, &catalog, flavor, true) {
                Ok(condition) => {
                    let name = super::names::fit(&format!("{}_check{}", tp.target_name, i + 1), engine.name_limit());
                    let tref = engine.table_ref(plan.target_schema.as_deref(), &tp.target_name);
                    let sql = format!("ALTER TABLE {tref} ADD CONSTRAINT {} CHECK ({condition})", engine.quote(&name));
                    let created = PlannedObject::Check { table: tp.target_name.clone(), name, condition };
                    out.push(super::one(Phase::Checks, &object, sql, !strict, created));
                }
                Err(e) => findings.push(Finding::new(
                    if strict { Level::Error } else { Level::Warning },
                    "check_not_translated",
                    &t.name,
                    format!(
                        "{check}: {}: {}; {}",
                        e.construct,
                        e.why,
                        if strict { "the run stops (--checks strict)" } else { "the check is left out" }
                    ),
                )),
            }
        }
    }
    out
}

/// SQL text on one line, for a message.
fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The embedded SQLite target reads SQLite's SQL: views are re-quoted only.
fn sqlite_views(
    plan: &Plan,
    schema: &SourceSchema,
    engine: &dyn SqlDialect,
    findings: &mut Vec<Finding>,
) -> Vec<Statement> {
    let schema_name = plan.target_schema.as_deref();
    let mut out = Vec::new();
    let known = known_names(plan, schema);
    let booleans = boolean_columns(&plan.tables);
    for v in ordered_views(schema) {
        match view_body(&v.sql) {
            Some((columns, body)) => {
                let cols = columns.map(|c| format!(" {}", requote(&c, &known, engine, &booleans))).unwrap_or_default();
                let sql = format!(
                    "CREATE VIEW {}{cols} AS {}",
                    engine.table_ref(schema_name, &v.name),
                    requote(body.trim(), &known, engine, &booleans)
                );
                let created = PlannedObject::View { name: v.name.clone() };
                out.push(super::one(Phase::Views, &v.name, sql, true, created));
            }
            None => findings.push(Finding::new(
                Level::Warning,
                "view_left_out",
                &v.name,
                "the view's SQL could not be read; left out",
            )),
        }
    }
    out
}

/// Views ordered so that a view comes after the views it reads from.
fn ordered_views(schema: &SourceSchema) -> Vec<&crate::schema::View> {
    let mut remaining: Vec<&crate::schema::View> = schema.views.iter().collect();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let before = remaining.len();
        let mut i = 0;
        while i < remaining.len() {
            let v = remaining[i];
            let words: Vec<String> =
                sqltext::tokenize(&v.sql).iter().filter_map(|t| t.ident()).map(|s| s.to_lowercase()).collect();
            let waits = remaining.iter().any(|o| o.name != v.name && words.contains(&o.name.to_lowercase()));
            if waits {
                i += 1;
            } else {
                out.push(remaining.remove(i));
            }
        }
        if remaining.len() == before {
            out.append(&mut remaining);
        }
    }
    out
}

/// The optional column list and the SELECT of a CREATE VIEW statement.
fn view_body(sql: &str) -> Option<(Option<String>, &str)> {
    let tokens = sqltext::tokenize(sql);
    let mut offset = 0;
    let mut depth = 0usize;
    let mut seen_view = false;
    let mut columns_start = None;
    let mut columns = None;
    for t in &tokens {
        let start = offset;
        offset += t.text.len();
        if t.is_word("VIEW") {
            seen_view = true;
            continue;
        }
        if !seen_view {
            continue;
        }
        if t.is_punct("(") {
            if depth == 0 {
                columns_start = Some(start);
            }
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                columns = columns_start.map(|s| sql[s..offset].to_string());
            }
        } else if depth == 0 && t.is_word("AS") {
            return Some((columns, &sql[offset..]));
        }
    }
    None
}

/// Re-quote an SQLite SQL fragment for the target, with names mapped to their target names.
pub(super) fn requote(
    sql: &str,
    known: &BTreeMap<String, String>,
    engine: &dyn SqlDialect,
    booleans: &HashSet<String>,
) -> String {
    let map: HashMap<String, String> = known.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if engine.strict_booleans() {
        sqltext::requote_booleans(sql, &map, &|n| engine.quote(n), booleans)
    } else {
        sqltext::requote(sql, &map, &|n| engine.quote(n))
    }
}

/// Lower-case source names of the boolean columns of some tables.
pub(super) fn boolean_columns<'a>(tables: impl IntoIterator<Item = &'a TablePlan>) -> HashSet<String> {
    tables
        .into_iter()
        .flat_map(|t| t.columns.iter())
        .filter(|c| c.ty == ColumnType::Boolean)
        .map(|c| c.source_name.to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_bodies() {
        let (cols, body) = view_body("CREATE VIEW [Order Subtotals] AS SELECT OrderID, Sum(x) AS s FROM t").unwrap();
        assert!(cols.is_none());
        assert_eq!(body.trim(), "SELECT OrderID, Sum(x) AS s FROM t");
        let (cols, body) = view_body("CREATE VIEW v (a, b) AS SELECT 1, 2").unwrap();
        assert_eq!(cols.as_deref(), Some("(a, b)"));
        assert_eq!(body.trim(), "SELECT 1, 2");
    }
}
