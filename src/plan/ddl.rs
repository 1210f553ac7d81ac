//! Indexes, foreign keys and the DDL text of a plan, in the order it runs.

use std::collections::BTreeMap;

use super::names::Namespace;
use super::{Finding, ForeignKeyPlan, IndexPlan, Level, Part, Phase, Plan, PlannedObject, Statement, TablePlan};
use crate::schema::{SourceSchema, Table};
use crate::target::mariadb::{BYTES_PER_CHAR, MAX_KEY_BYTES, MAX_KEY_CHARS};
use crate::target::{Dialect, SqlDialect};
use crate::translate::{self, Catalog, Column, Relation, Ty};
use crate::types::ColumnType;

/// Names a fragment of one table may use: its columns (target names) and every table.
fn table_known(tp: &TablePlan, all: &[TablePlan]) -> BTreeMap<String, String> {
    let mut known: BTreeMap<String, String> =
        all.iter().map(|t| (t.source_name.to_lowercase(), t.target_name.clone())).collect();
    for c in &tp.columns {
        known.insert(c.source_name.to_lowercase(), c.target_name.clone());
    }
    known
}

/// One planned table alone (its index expressions read only it).
fn table_catalog(tp: &TablePlan) -> Catalog {
    let columns = tp
        .columns
        .iter()
        .map(|c| Column { source: c.source_name.clone(), target: c.target_name.clone(), ty: Ty::of(&c.ty) })
        .collect();
    Catalog {
        relations: vec![Relation {
            source: tp.source_name.clone(),
            target: tp.target_name.clone(),
            columns,
            rowid: tp.identity.as_ref().map(|i| i.column.clone()),
            is_view: false,
        }],
    }
}

/// Key bytes MariaDB counts for one key part.
fn key_bytes(ty: &ColumnType) -> u32 {
    match ty {
        ColumnType::Varchar { length } | ColumnType::Char { length } => length * BYTES_PER_CHAR,
        ColumnType::Text => MAX_KEY_CHARS * BYTES_PER_CHAR,
        ColumnType::Bytes | ColumnType::Json => MAX_KEY_BYTES,
        ColumnType::Decimal { precision: Some(p), .. } => p / 2 + 1,
        ColumnType::Uuid => 16,
        _ => 8,
    }
}

pub(super) fn plan_indexes(
    t: &Table,
    tp: &TablePlan,
    engine: &dyn SqlDialect,
    ns: &mut Namespace,
    dialect: Dialect,
    findings: &mut Vec<Finding>,
) -> Vec<IndexPlan> {
    let all = std::slice::from_ref(tp);
    let known = table_known(tp, all);
    let booleans = super::logic::boolean_columns(all);
    let mut out = Vec::new();
    for idx in &t.indexes {
        let object = format!("index {} on {}", idx.name, t.name);
        if idx.partial.is_some() && !engine.supports_partial_indexes() {
            findings.push(Finding::new(
                if idx.unique { Level::Warning } else { Level::Info },
                "index_left_out",
                &object,
                format!(
                    "partial index (WHERE {}) is not supported by {dialect}; left out{}",
                    idx.partial.as_deref().unwrap_or(""),
                    if idx.unique { ": its uniqueness will not be enforced" } else { "" }
                ),
            ));
            continue;
        }
        if idx.has_expressions() && !engine.supports_expression_indexes() {
            findings.push(Finding::new(
                Level::Warning,
                "index_left_out",
                &object,
                format!("expression index is not supported by {dialect}; left out"),
            ));
            continue;
        }
        // Expressions and partial WHERE clauses are translated like views (the embedded
        // SQLite target reads SQLite's SQL and only re-quotes).
        let flavor = translate::flavor(dialect);
        let catalog = table_catalog(tp);
        let translate_sql = |sql: &str, condition: bool| match flavor {
            Some(f) => translate::expression(sql, &t.name, &catalog, f, condition),
            None => Ok(super::logic::requote(sql, &known, engine, &booleans)),
        };
        let mut parts = Vec::new();
        let mut untranslated = None;
        for ic in &idx.columns {
            match (&ic.name, &ic.expression) {
                (Some(name), _) => match tp.column(name) {
                    Some(m) => parts.push((engine.quote(&m.target_name), Some(m.ty), ic.descending)),
                    None => parts.push((engine.quote(name), None, ic.descending)),
                },
                (None, expr) => match translate_sql(expr.as_deref().unwrap_or(""), false) {
                    Ok(sql) => parts.push((format!("({sql})"), None, ic.descending)),
                    Err(e) => untranslated = Some(e),
                },
            }
        }
        let partial = match idx.partial.as_deref().map(|w| translate_sql(w, true)).transpose() {
            Ok(p) => p,
            Err(e) => {
                untranslated = Some(e);
                None
            }
        };
        if let Some(e) = untranslated {
            findings.push(Finding::new(
                Level::Warning,
                "index_left_out",
                &object,
                format!(
                    "{}: {}; the index is left out{}",
                    e.construct,
                    e.why,
                    if idx.unique { " and its uniqueness is not enforced" } else { "" }
                ),
            ));
            continue;
        }
        let prefixes =
            if engine.needs_key_prefixes() { mariadb_prefixes(&parts, engine) } else { vec![None; parts.len()] };
        if prefixes.iter().any(Option::is_some) && idx.unique {
            findings.push(Finding::new(
                Level::Warning,
                "unique_on_prefix",
                &object,
                "MariaDB can index only a prefix of these columns: uniqueness is enforced on the prefix",
            ));
        }
        let keys: Vec<String> = parts
            .iter()
            .zip(prefixes)
            .map(|((k, _, desc), prefix)| {
                let mut s = k.clone();
                if let Some(p) = prefix {
                    s.push_str(&format!("({p})"));
                }
                if *desc {
                    s.push_str(" DESC");
                }
                s
            })
            .collect();
        let named = t.named_uniques.iter().find(|(_, cols)| {
            cols.len() == idx.columns.len()
                && cols.iter().zip(idx.column_names()).all(|(a, b)| a.eq_ignore_ascii_case(b))
        });
        let wanted = match named {
            // `CONSTRAINT uq_client_vat UNIQUE (…)`: a later migration drops it by that name.
            Some((name, _)) if idx.name.starts_with("sqlite_autoindex_") => name.clone(),
            _ if idx.name.starts_with("sqlite_autoindex_") => {
                let cols: Vec<&str> = idx.column_names();
                format!("{}_{}_key", tp.target_name, cols.join("_"))
            }
            _ => idx.name.clone(),
        };
        let target_name = ns.unique(&wanted, engine.name_limit());
        if target_name != wanted && (!idx.name.starts_with("sqlite_autoindex_") || named.is_some()) {
            findings.push(Finding::new(
                Level::Info,
                "index_renamed",
                &object,
                format!("index renamed to {target_name:?} (length limit or a name already taken in the target)"),
            ));
        }
        let constraint = idx.unique
            && (idx.constraint || idx.name.starts_with("sqlite_autoindex_"))
            && partial.is_none()
            && !idx.has_expressions()
            && idx.columns.iter().all(|c| !c.descending);
        out.push(IndexPlan {
            source_name: idx.name.clone(),
            target_name,
            unique: idx.unique,
            constraint,
            keys,
            partial,
        });
    }
    out
}

/// MariaDB key prefixes so that each index stays within the 3072-byte key limit.
fn mariadb_prefixes(parts: &[(String, Option<ColumnType>, bool)], engine: &dyn SqlDialect) -> Vec<Option<u32>> {
    let mut prefixes: Vec<Option<u32>> = parts
        .iter()
        .map(|(_, ty, _)| match ty {
            Some(ty) if !engine.indexable(ty) => {
                Some(if matches!(ty, ColumnType::Text) { MAX_KEY_CHARS } else { MAX_KEY_BYTES })
            }
            _ => None,
        })
        .collect();
    let total: u32 = parts.iter().map(|(_, ty, _)| ty.as_ref().map_or(8, key_bytes)).sum();
    if total > MAX_KEY_BYTES {
        let strings: Vec<usize> = parts
            .iter()
            .enumerate()
            .filter(|(_, (_, ty, _))| {
                ty.as_ref().is_some_and(|t| t.is_string() || matches!(t, ColumnType::Bytes | ColumnType::Json))
            })
            .map(|(i, _)| i)
            .collect();
        let fixed: u32 = parts
            .iter()
            .enumerate()
            .filter(|(i, _)| !strings.contains(i))
            .map(|(_, (_, ty, _))| ty.as_ref().map_or(8, key_bytes))
            .sum();
        if let Some(each) = u32::try_from(strings.len())
            .ok()
            .and_then(|n| MAX_KEY_BYTES.saturating_sub(fixed).checked_div(n))
            .map(|b| b / BYTES_PER_CHAR)
        {
            for i in strings {
                prefixes[i] = Some(each.max(1));
            }
        }
    }
    prefixes
}

pub(super) fn plan_foreign_keys(
    t: &Table,
    tp: &TablePlan,
    selected: &[&Table],
    tables: &[TablePlan],
    engine: &dyn SqlDialect,
    ns: &mut Namespace,
    findings: &mut Vec<Finding>,
) -> Vec<ForeignKeyPlan> {
    let mut out = Vec::new();
    for fk in &t.foreign_keys {
        let what = fk.describe(&t.name);
        let left_out = |findings: &mut Vec<Finding>, why: String| {
            findings.push(Finding::new(
                Level::Warning,
                "fk_left_out",
                &t.name,
                format!("foreign key {what} left out: {why}"),
            ));
        };
        let Some((parent, pp)) = selected.iter().zip(tables).find(|(p, _)| p.name == fk.parent_table) else {
            left_out(
                findings,
                format!("table {:?} is not migrated (it does not exist, is virtual, or is skipped)", fk.parent_table),
            );
            continue;
        };
        if fk.parent_columns.is_empty() || fk.parent_columns.len() != fk.columns.len() {
            left_out(
                findings,
                "the parent columns cannot be determined (the parent has no primary key and the constraint names none)"
                    .into(),
            );
            continue;
        }
        let same = |a: &[String], b: &[&str]| {
            a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.eq_ignore_ascii_case(y)))
        };
        let unique_parent = parent
            .primary_key
            .as_ref()
            .is_some_and(|pk| same(&fk.parent_columns, &pk.columns.iter().map(String::as_str).collect::<Vec<_>>()))
            || parent.indexes.iter().any(|i| {
                i.unique && i.partial.is_none() && !i.has_expressions() && same(&fk.parent_columns, &i.column_names())
            });
        if !unique_parent {
            left_out(findings, "the parent columns have no primary key or unique index (SQLite reports \"foreign key mismatch\" for this when foreign_keys is on)".into());
            continue;
        }
        let mut cols = Vec::new();
        let mut pcols = Vec::new();
        let mut bad = None;
        for (c, p) in fk.columns.iter().zip(&fk.parent_columns) {
            let child = tp.columns.iter().find(|m| m.source_name.eq_ignore_ascii_case(c));
            let par = pp.columns.iter().find(|m| m.source_name.eq_ignore_ascii_case(p));
            match (child, par) {
                (Some(cm), Some(pm)) => {
                    if !engine.fk_types_compatible(&cm.ty, &pm.ty) {
                        bad = Some(format!(
                            "{c} is {} but {}.{p} is {}; the target requires matching types",
                            cm.ty, fk.parent_table, pm.ty
                        ));
                    }
                    cols.push(cm.target_name.clone());
                    pcols.push(pm.target_name.clone());
                }
                _ => bad = Some(format!("column {c} or {}.{p} does not exist", fk.parent_table)),
            }
        }
        if let Some(why) = bad {
            left_out(findings, why);
            continue;
        }
        let action = |a: &str, which: &str, findings: &mut Vec<Finding>| {
            if engine.supports_fk_action(a) {
                a.to_ascii_uppercase()
            } else {
                findings.push(Finding::new(
                    Level::Warning,
                    "fk_action_changed",
                    &t.name,
                    format!(
                        "foreign key {what}: ON {which} {a} is not supported by {}; NO ACTION instead",
                        engine.dialect()
                    ),
                ));
                "NO ACTION".into()
            }
        };
        let on_delete = action(&fk.on_delete, "DELETE", findings);
        let on_update = action(&fk.on_update, "UPDATE", findings);
        let named = t.named_foreign_keys.iter().find(|(_, c)| {
            c.len() == fk.columns.len() && c.iter().zip(&fk.columns).all(|(a, b)| a.eq_ignore_ascii_case(b))
        });
        let wanted = match named {
            Some((n, _)) => n.clone(),
            None => format!("{}_{}_fkey", tp.target_name, cols.join("_")),
        };
        let name = ns.unique(&wanted, engine.name_limit());
        if named.is_some() && name != wanted {
            findings.push(Finding::new(
                Level::Info,
                "constraint_renamed",
                &t.name,
                format!("foreign key {wanted:?} renamed to {name:?} (length limit or a name already taken in the target); a migration that drops it by name must use the new one"),
            ));
        }
        out.push(ForeignKeyPlan {
            name,
            columns: cols,
            parent_table: pp.target_name.clone(),
            parent_columns: pcols,
            on_delete,
            on_update,
            deferrable: fk.deferrable,
            breaks_cycle: false,
        });
    }
    out
}

/// MariaDB requires equal collations on both sides of a foreign key: give the child the parent's.
pub(super) fn align_fk_collations(tables: &mut [TablePlan], findings: &mut Vec<Finding>) {
    let mut changes = Vec::new();
    for (ti, tp) in tables.iter().enumerate() {
        for fk in &tp.foreign_keys {
            let Some(pp) = tables.iter().find(|p| p.target_name == fk.parent_table) else {
                continue;
            };
            for (c, p) in fk.columns.iter().zip(&fk.parent_columns) {
                let cm = tp.columns.iter().position(|m| &m.target_name == c);
                let pm = pp.columns.iter().find(|m| &m.target_name == p);
                if let (Some(ci), Some(pm)) = (cm, pm) {
                    if tp.columns[ci].collation != pm.collation {
                        changes.push((
                            ti,
                            ci,
                            pm.collation.clone(),
                            format!("{}.{}", tp.source_name, tp.columns[ci].source_name),
                            fk.parent_table.clone(),
                        ));
                    }
                }
            }
        }
    }
    for (ti, ci, coll, object, parent) in changes {
        findings.push(Finding::new(
            Level::Info,
            "fk_collation_aligned",
            &object,
            format!(
                "collation set to {:?} to match the referenced column in {parent} (MariaDB requires equal collations)",
                coll.as_deref().unwrap_or("default")
            ),
        ));
        tables[ti].columns[ci].collation = coll;
    }
}

/// The DDL of a plan, in execution order.
pub(super) fn statements(
    plan: &Plan,
    schema: &SourceSchema,
    engine: &dyn SqlDialect,
    findings: &mut Vec<Finding>,
) -> Vec<Statement> {
    let schema_name = plan.target_schema.as_deref();
    let mut out = Vec::new();
    let push = |out: &mut Vec<Statement>, phase, object: &str, sql: String, best_effort| {
        out.push(Statement { phase, object: object.to_string(), sql, best_effort, head: None, parts: Vec::new() });
    };
    // One ALTER TABLE that adds several objects.
    let push_alter = |out: &mut Vec<Statement>, phase, table: &str, head: String, parts: Vec<Part>| {
        let clauses: Vec<&str> = parts.iter().map(|p| p.clause.as_str()).collect();
        let sql = format!("{head} {}", clauses.join(", "));
        out.push(Statement { phase, object: table.to_string(), sql, best_effort: false, head: Some(head), parts });
    };
    if let Some(s) = schema_name.filter(|s| *s != "public") {
        push(&mut out, Phase::Tables, s, format!("CREATE SCHEMA IF NOT EXISTS {}", engine.quote(s)), false);
    }
    for tp in &plan.tables {
        let source = schema.table(&tp.source_name);
        push(&mut out, Phase::Tables, &tp.target_name, create_table(tp, plan, source, engine), false);
    }
    // MariaDB builds every index of one ALTER TABLE in one pass over the table, and adds
    // all its foreign keys (with checks off, after cutover's own orphan check) in one
    // statement: one statement per table instead of one per index or key.
    let grouped = engine.groups_alter_table();
    for tp in plan.tables.iter().filter(|_| grouped) {
        let tref = engine.table_ref(schema_name, &tp.target_name);
        let adds: Vec<Part> = tp
            .indexes
            .iter()
            .map(|idx| Part {
                object: PlannedObject::Index { table: tp.target_name.clone(), name: idx.target_name.clone() },
                clause: format!(
                    "ADD {}INDEX {} ({})",
                    if idx.unique { "UNIQUE " } else { "" },
                    engine.quote(&idx.target_name),
                    idx.keys.join(", ")
                ),
            })
            .collect();
        if !adds.is_empty() {
            push_alter(&mut out, Phase::Indexes, &tp.target_name, format!("ALTER TABLE {tref}"), adds);
        }
    }
    if grouped && !engine.inline_foreign_keys() {
        for tp in &plan.tables {
            let tref = engine.table_ref(schema_name, &tp.target_name);
            let adds: Vec<Part> = tp
                .foreign_keys
                .iter()
                .map(|fk| Part {
                    object: PlannedObject::ForeignKey { table: tp.target_name.clone(), name: fk.name.clone() },
                    clause: format!("ADD CONSTRAINT {} {}", engine.quote(&fk.name), fk_clause(fk, plan, engine)),
                })
                .collect();
            if !adds.is_empty() {
                push_alter(&mut out, Phase::ForeignKeys, &tp.target_name, format!("ALTER TABLE {tref}"), adds);
            }
        }
    }
    for tp in plan.tables.iter().filter(|_| !grouped) {
        let tref = engine.table_ref(schema_name, &tp.target_name);
        for idx in &tp.indexes {
            let mut sql = if idx.constraint && engine.unique_constraints() {
                format!(
                    "ALTER TABLE {tref} ADD CONSTRAINT {} UNIQUE ({})",
                    engine.quote(&idx.target_name),
                    idx.keys.join(", ")
                )
            } else {
                format!(
                    "CREATE {}INDEX {} ON {tref} ({})",
                    if idx.unique { "UNIQUE " } else { "" },
                    engine.quote(&idx.target_name),
                    idx.keys.join(", ")
                )
            };
            if let Some(w) = &idx.partial {
                sql.push_str(&format!(" WHERE {w}"));
            }
            let created = PlannedObject::Index { table: tp.target_name.clone(), name: idx.target_name.clone() };
            out.push(super::one(Phase::Indexes, &idx.target_name, sql, false, created));
        }
    }
    if !grouped && !engine.inline_foreign_keys() {
        for tp in &plan.tables {
            let tref = engine.table_ref(schema_name, &tp.target_name);
            for fk in &tp.foreign_keys {
                let sql = format!(
                    "ALTER TABLE {tref} ADD CONSTRAINT {} {}",
                    engine.quote(&fk.name),
                    fk_clause(fk, plan, engine)
                );
                let created = PlannedObject::ForeignKey { table: tp.target_name.clone(), name: fk.name.clone() };
                out.push(super::one(Phase::ForeignKeys, &fk.name, sql, false, created));
            }
        }
    }
    out.extend(identity_resets(plan, engine));
    out.extend(super::logic::checks(plan, schema, engine, findings));
    out.extend(super::logic::views(plan, schema, engine, findings));
    out
}

/// Identity / AUTO_INCREMENT counters set above the largest key and `sqlite_sequence`.
fn identity_resets(plan: &Plan, engine: &dyn SqlDialect) -> Vec<Statement> {
    let schema_name = plan.target_schema.as_deref();
    let mut out = Vec::new();
    for tp in &plan.tables {
        let Some(id) = &tp.identity else { continue };
        if engine.counter_only_for_autoincrement() && !id.autoincrement {
            continue;
        }
        let tref = engine.table_ref(schema_name, &tp.target_name);
        if let Some(sql) = engine.reset_identity(&tref, &id.column, id.next_value) {
            let created = PlannedObject::Counter {
                table: tp.target_name.clone(),
                column: id.column.clone(),
                next: id.next_value,
            };
            out.push(super::one(Phase::IdentityResets, &tp.target_name, sql, false, created));
        }
    }
    out
}

fn fk_clause(fk: &ForeignKeyPlan, plan: &Plan, engine: &dyn SqlDialect) -> String {
    let q = |cols: &[String]| cols.iter().map(|c| engine.quote(c)).collect::<Vec<_>>().join(", ");
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        q(&fk.columns),
        engine.table_ref(plan.target_schema.as_deref(), &fk.parent_table),
        q(&fk.parent_columns)
    );
    if fk.on_delete != "NO ACTION" {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete));
    }
    if fk.on_update != "NO ACTION" {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update));
    }
    if fk.deferrable && engine.supports_deferrable_fks() {
        s.push_str(" DEFERRABLE INITIALLY DEFERRED");
    }
    s
}

fn create_table(tp: &TablePlan, plan: &Plan, source: Option<&Table>, engine: &dyn SqlDialect) -> String {
    let identity = tp.identity.as_ref().map(|i| i.column.as_str());
    let mut defs = Vec::new();
    let mut identity_is_key = false;
    for m in &tp.columns {
        if Some(m.target_name.as_str()) == identity {
            let auto = tp.identity.as_ref().is_some_and(|i| i.autoincrement);
            let (def, is_key) = engine.identity_definition(&m.target_name, &m.ty, auto);
            defs.push(def);
            identity_is_key = is_key;
            continue;
        }
        let mut d = format!("{} {}", engine.quote(&m.target_name), m.target_type);
        if let Some(c) = &m.collation {
            d.push_str(&format!(" COLLATE {c}"));
        }
        if !m.nullable {
            d.push_str(" NOT NULL");
        }
        if let Some(def) = &m.default {
            d.push_str(&format!(" DEFAULT {def}"));
        }
        defs.push(d);
    }
    if !tp.primary_key.is_empty() && !identity_is_key {
        let cols: Vec<String> = tp.primary_key.iter().map(|c| engine.quote(c)).collect();
        // `CONSTRAINT pk_x PRIMARY KEY`: kept where the engine names primary keys.
        let name = source
            .and_then(|t| t.named_primary_key.as_ref())
            .filter(|_| engine.unique_constraints())
            .map(|n| format!("CONSTRAINT {} ", engine.quote(&super::names::fit(n, engine.name_limit()))))
            .unwrap_or_default();
        defs.push(format!("{name}PRIMARY KEY ({})", cols.join(", ")));
    }
    if engine.inline_foreign_keys() {
        for fk in &tp.foreign_keys {
            defs.push(fk_clause(fk, plan, engine));
        }
    }
    // An enum's type first, in the same statement text: PostgreSQL runs the two in one
    // transaction, so a stop leaves both or neither.
    let types: String = tp.columns.iter().filter_map(|m| m.create_type.as_ref()).map(|c| format!("{c};\n")).collect();
    let mut sql = format!(
        "{types}CREATE TABLE {} (\n  {}\n){}",
        engine.table_ref(plan.target_schema.as_deref(), &tp.target_name),
        defs.join(",\n  "),
        engine.table_options()
    );
    if source.is_some_and(|s| s.without_rowid) {
        sql.push_str(engine.without_rowid_option());
    }
    sql
}
