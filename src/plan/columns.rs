//! Column mapping: the rule that matches each declared type, what the data says where
//! the declared type leaves the choice open, the user's overrides, collations and
//! defaults; and MariaDB's sizing of text that sits in a key.

use std::collections::{BTreeMap, BTreeSet};

use super::names::Namespace;
use super::{fit_name, ColumnMapping, Finding, Level, TablePlan};
use crate::config::Config;
use crate::convert::{convert, ConvertContext};
use crate::mapping::{self, Decide};
use crate::schema::{Collation, Column, Table};
use crate::source::sqltext::{self, TokenKind};
use crate::target::mariadb::{BYTES_PER_CHAR, MAX_KEY_CHARS, MAX_ROW_BYTES};
use crate::target::{Dialect, SqlDialect};
use crate::types::{ColumnType, EpochUnit};
use crate::value::SourceValue;

/// Map every column of one table.
pub fn plan_columns(
    t: &Table,
    engine: &dyn SqlDialect,
    config: &Config,
    app: Option<crate::apps::App>,
    schema: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Vec<ColumnMapping> {
    let mut names = Namespace::default();
    let alias = t.rowid_alias().map(|c| c.name.clone());
    let mut out = Vec::new();
    for c in &t.columns {
        let over = config.column(&t.name, &c.name);
        let object = format!("{}.{}", t.name, c.name);
        let wanted = over.and_then(|o| o.name.clone()).unwrap_or_else(|| c.name.clone());
        let target_name = fit_name(&wanted, engine, &format!("column {object}"), findings);
        if let Some(first) = names.claim(&target_name, &c.name) {
            findings.push(Finding::new(
                Level::Error,
                "name_collision",
                &object,
                format!(
                    "column {:?} would be named {target_name:?} in the target, which column {first:?} already uses; rename one in cutover.toml ([tables.\"{}\".columns.\"{}\"] name = \"...\")",
                    c.name, t.name, c.name
                ),
            ));
        }
        let is_alias = alias.as_deref() == Some(c.name.as_str());
        let before = findings.len();
        let decision = decide_type(t, c, is_alias, engine.dialect(), findings);
        let (mut ty, mut rule, mut reason, mut epoch_unit) = decision;
        let mut spelling = None;
        if let Some(conv) =
            crate::apps::convention(app, t, c, &ty, is_alias, engine.dialect()).filter(|c| engine.creates(&c.ty))
        {
            // The framework's convention replaces the rule's choice (and what the data said of it).
            findings.truncate(before);
            (ty, rule, reason) = (conv.ty, conv.rule.to_string(), conv.reason);
            spelling = conv.spelling.map(str::to_string);
        }
        if let Some(o) = over {
            if let Some(Ok(forced)) = o.type_.as_deref().map(str::parse::<ColumnType>) {
                reason = format!("cutover.toml sets type = \"{forced}\" (the rule `{rule}` chose {ty})");
                // What the data said about the rule's choice no longer applies.
                findings.truncate(before);
                if !engine.creates(&forced) {
                    findings.push(Finding::new(
                        Level::Error,
                        "override_type_unsupported",
                        &object,
                        format!("cutover.toml sets type = \"{forced}\", which {} has no column type for; choose another type for this target", engine.product()),
                    ));
                }
                ty = forced;
                rule = "override".into();
                spelling = None;
            }
            if let Some(unit) = o.epoch_unit {
                epoch_unit = Some(unit);
            }
        }
        if is_alias && !matches!(ty, ColumnType::Integer { .. }) {
            findings.push(Finding::new(
                Level::Warning,
                "identity_overridden",
                &object,
                "the rowid column is no longer an integer, so it is not an identity column",
            ));
        }
        let labels = over.and_then(|o| o.labels.clone()).filter(|_| ty == ColumnType::Enum);
        let mut create_type = None;
        if let Some(l) = &labels {
            // cutover.toml's check made sure an enum has its labels.
            let name = over.and_then(|o| o.enum_name.clone()).unwrap_or_else(|| format!("{}_{}", t.name, c.name));
            if let Some((spelled, create)) = engine.enum_type(schema, &name, l) {
                spelling = Some(spelled);
                create_type = create;
            }
        }
        let collation = collation_for(c, &ty, engine, config, &object, findings);
        let default = default_for(c, &ty, engine, epoch_unit, &object, findings);
        if let Some(g) = &c.generated {
            findings.push(Finding::new(
                Level::Warning,
                "generated_column",
                &object,
                format!(
                    "{} generated column ({}) is copied as a plain column with its current values; re-create the expression on the target if the application relies on it",
                    if g.stored { "stored" } else { "virtual" },
                    g.expression.as_deref().unwrap_or("expression unreadable")
                ),
            ));
        }
        let in_pk = t.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name));
        out.push(ColumnMapping {
            source_name: c.name.clone(),
            target_name,
            declared_type: c.declared_type.clone(),
            target_type: spelling.unwrap_or_else(|| engine.render_type(&ty)),
            ty,
            rule,
            reason,
            nullable: !(c.not_null || in_pk),
            default,
            collation,
            epoch_unit,
            labels,
            create_type,
        });
    }
    out
}

/// A foreign key's integer column takes its parent's integer type (a framework's
/// `integer` key, or an override of it), so both sides match as the ORM declared them:
/// wider always, narrower only when every value fits. Columns with an override keep it.
pub fn follow_parent_integers(selected: &[&Table], tables: &mut [TablePlan], config: &Config, engine: &dyn SqlDialect) {
    let parent_type = |tables: &[TablePlan], table: &str, column: &str| {
        tables.iter().find(|p| p.source_name == table).and_then(|p| p.column(column)).map(|m| m.ty)
    };
    // Until nothing changes: a chain of keys (a -> b -> c) settles from its root.
    for _ in 0..=selected.len() {
        let mut changed = false;
        for (t, i) in selected.iter().zip(0..) {
            for fk in t.foreign_keys.iter().filter(|f| f.columns.len() == 1 && f.parent_columns.len() == 1) {
                let (child, parent) = (&fk.columns[0], &fk.parent_columns[0]);
                if config.column(&t.name, child).is_some_and(|o| o.type_.is_some()) {
                    continue;
                }
                let Some(ColumnType::Integer { width, unsigned: false }) =
                    parent_type(tables, &fk.parent_table, parent)
                else {
                    continue;
                };
                let Some(c) = t.column(child) else { continue };
                if t.rowid_alias().is_some_and(|a| a.name == c.name) {
                    continue;
                }
                let Some(m) = tables[i].columns.iter_mut().find(|m| m.source_name == *child) else { continue };
                let ColumnType::Integer { width: own, unsigned: false } = m.ty else { continue };
                if own == width {
                    continue;
                }
                let (min, max) = width.range(false);
                let s = &c.stats;
                let fits = s.min_integer.is_none_or(|v| v >= min) && s.max_integer.is_none_or(|v| v <= max);
                if own.range(false).1 > max && !fits {
                    continue;
                }
                let ty = ColumnType::Integer { width, unsigned: false };
                m.reason = format!(
                    "{}: the foreign key to {}.{parent} takes the parent's type, {ty} (the rule `{}` chose {})",
                    m.declared_type, fk.parent_table, m.rule, m.ty
                );
                m.rule = "fk_follows_parent".into();
                m.ty = ty;
                m.target_type = engine.render_type(&ty);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

type Decision = (ColumnType, String, String, Option<EpochUnit>);

/// The rule's choice, adjusted by what the data holds.
fn decide_type(t: &Table, c: &Column, is_alias: bool, dialect: Dialect, findings: &mut Vec<Finding>) -> Decision {
    let rule = mapping::rule_for(c, is_alias);
    let s = &c.stats;
    let object = format!("{}.{}", t.name, c.name);
    let declared = if c.declared_type.is_empty() { "(no type)".to_string() } else { c.declared_type.clone() };
    let mut reason = format!("{declared}: rule {}", rule.id);
    let mut epoch_unit = None;
    let mut ty = match rule.decide {
        Decide::Fixed(ty) => ty,
        Decide::DecimalArgs => {
            let args = mapping::type_args(&c.declared_type);
            let p = args.first().copied().unwrap_or(0);
            let sc = args.get(1).copied().unwrap_or(0);
            if p == 0 || sc > p || p > 1000 {
                findings.push(Finding::new(
                    Level::Warning,
                    "bad_decimal_args",
                    &object,
                    format!("declared {declared} is not a valid precision/scale; planned as unconstrained decimal"),
                ));
                ColumnType::Decimal { precision: None, scale: None }
            } else {
                ColumnType::Decimal { precision: Some(p), scale: Some(sc) }
            }
        }
        Decide::VarcharArgs => match mapping::type_args(&c.declared_type).first() {
            Some(n) if *n > 0 => ColumnType::Varchar { length: *n },
            _ => ColumnType::Text,
        },
        Decide::Temporal(ty) => ty,
        Decide::ByData => {
            let (ty, why) = mapping::type_from_data(s);
            reason = format!("{declared}: rule {}; {why}", rule.id);
            if s.non_null() == 0 {
                findings.push(Finding::new(
                    Level::Info,
                    "type_from_no_data",
                    &object,
                    format!("declared {declared} says nothing and the column holds no values: planned as text"),
                ));
            }
            ty
        }
    };
    if let Decide::Temporal(_) = rule.decide {
        if ty == (ColumnType::Timestamp { tz: false }) && s.texts_with_offset > 0 {
            ty = ColumnType::Timestamp { tz: true };
            reason.push_str(&format!(
                "; {} values carry a UTC offset: timestamptz, offsets converted to UTC",
                s.texts_with_offset
            ));
        }
        if s.integers > 0 {
            let unit = mapping::epoch_unit_for(s);
            epoch_unit = Some(unit);
            let largest = s.max_integer.unwrap_or(0);
            findings.push(Finding::new(
                Level::Warning,
                "epoch_integers",
                &object,
                format!(
                    "{} of {} values are integers, read as unix epoch {} (largest {largest}); set epoch_unit in cutover.toml if that is wrong",
                    s.integers,
                    s.non_null(),
                    unit_name(unit)
                ),
            ));
            reason.push_str(&format!("; integers are epoch {}", unit_name(unit)));
        }
    }
    if rule.id == "int_affinity" && s.fractional_reals > 0 {
        findings.push(Finding::new(
            Level::Warning,
            "fractions_in_integer_column",
            &object,
            format!("declared {declared} but holds {} REAL values with a fraction: planned as double so that nothing is lost", s.fractional_reals),
        ));
        reason.push_str(&format!("; holds {} fractional REAL values: double", s.fractional_reals));
        ty = ColumnType::Double;
    }
    if s.blobs > 0 && s.blobs == s.non_null() && !matches!(ty, ColumnType::Bytes | ColumnType::Uuid) && !ty.is_string()
    {
        findings.push(Finding::new(
            Level::Warning,
            "blobs_in_typed_column",
            &object,
            format!("declared {declared} but every value is a BLOB: planned as bytes"),
        ));
        reason.push_str("; every value is a BLOB: bytes");
        ty = ColumnType::Bytes;
    }
    if dialect.engine().sizes_unbounded_decimals() {
        ty = size_mariadb_decimal(ty, c, &object, &mut reason, findings);
    }
    (ty, rule.id.to_string(), reason, epoch_unit)
}

fn unit_name(u: EpochUnit) -> &'static str {
    match u {
        EpochUnit::S => "seconds",
        EpochUnit::Ms => "milliseconds",
        EpochUnit::Us => "microseconds",
    }
}

/// MariaDB has no unconstrained DECIMAL: size it from the data; cap what it cannot hold.
fn size_mariadb_decimal(
    ty: ColumnType,
    c: &Column,
    object: &str,
    reason: &mut String,
    findings: &mut Vec<Finding>,
) -> ColumnType {
    match ty {
        ColumnType::Decimal { precision: None, .. } => {
            let (int_digits, frac) = match (c.stats.max_integer_digits, c.stats.max_fraction_digits) {
                (Some(i), Some(f)) if c.stats.non_null() > 0 => (i, f),
                _ => (28, 10),
            };
            let scale = frac.min(30);
            let precision = (int_digits + scale).clamp(1, 65);
            findings.push(Finding::new(
                Level::Warning,
                "decimal_sized_from_data",
                object,
                if c.stats.non_null() > 0 {
                    format!("NUMERIC without precision: MariaDB needs one; DECIMAL({precision},{scale}) fits every value (widest: {int_digits} integer digits, {frac} decimals); set type in cutover.toml to leave room")
                } else {
                    format!("NUMERIC without precision and no data to size it from: DECIMAL({precision},{scale}); set type in cutover.toml")
                },
            ));
            reason.push_str(&format!("; MariaDB DECIMAL({precision},{scale}) sized from the data"));
            ColumnType::Decimal { precision: Some(precision), scale: Some(scale) }
        }
        ColumnType::Decimal { precision: Some(p), scale: Some(s) } if p > 65 || s > 30 => {
            let (np, ns) = (p.min(65), s.min(30));
            findings.push(Finding::new(
                Level::Warning,
                "decimal_capped",
                object,
                format!("DECIMAL({p},{s}) exceeds MariaDB's DECIMAL(65,30): planned DECIMAL({np},{ns})"),
            ));
            ColumnType::Decimal { precision: Some(np), scale: Some(ns) }
        }
        other => other,
    }
}

fn collation_for(
    c: &Column,
    ty: &ColumnType,
    engine: &dyn SqlDialect,
    config: &Config,
    object: &str,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    if !ty.is_string() {
        return None;
    }
    if let Collation::Other(name) = &c.collation {
        findings.push(Finding::new(
            Level::Warning,
            "unknown_collation",
            object,
            format!("column uses the application-defined collation {name:?}, which the target does not have; it compares as BINARY there"),
        ));
    }
    if !engine.has_nocase_collation() && matches!(c.collation, Collation::Nocase | Collation::Rtrim) {
        findings.push(Finding::new(
            Level::Warning,
            "collation_not_kept",
            object,
            format!(
                "COLLATE {} has no built-in PostgreSQL equivalent: comparisons, ORDER BY and unique keys become case- and space-sensitive (consider citext or a nondeterministic ICU collation)",
                if c.collation == Collation::Nocase { "NOCASE" } else { "RTRIM" }
            ),
        ));
    }
    let settings = &config.mariadb.collations;
    if engine.folding_collations() && c.collation == Collation::Nocase && settings.nocase.contains("general") {
        findings.push(Finding::new(
            Level::Warning,
            "nocase_folds_accents",
            object,
            format!(
                "COLLATE NOCASE becomes {}, which also treats accented letters as equal ('José' = 'Jose'), unlike SQLite's ASCII-only NOCASE; a unique key may reject rows SQLite accepted. Set [mariadb.collations] nocase in cutover.toml to choose another",
                settings.nocase
            ),
        ));
    }
    engine.collation(&c.collation, settings)
}

/// The target DEFAULT for a column: literals go through the same conversion as data.
fn default_for(
    c: &Column,
    ty: &ColumnType,
    engine: &dyn SqlDialect,
    epoch_unit: Option<EpochUnit>,
    object: &str,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let text = c.default.as_deref()?;
    let literal = match parse_default(text) {
        DefaultExpr::Null => return None,
        DefaultExpr::Current(keyword) => {
            let d = engine.current_default(&keyword, ty);
            if d.is_none() {
                findings.push(Finding::new(
                    Level::Warning,
                    "default_left_out",
                    object,
                    format!("DEFAULT {keyword} has no equivalent for a {ty} column in {}; left out", engine.dialect()),
                ));
            }
            return d;
        }
        DefaultExpr::Expression => {
            findings.push(Finding::new(
                Level::Warning,
                "default_left_out",
                object,
                format!("DEFAULT {text} is a SQLite expression that cutover does not translate; left out (the application or a trigger must supply the value)"),
            ));
            return None;
        }
        DefaultExpr::Literal(v) => v,
    };
    let ctx = ConvertContext { dialect: engine.dialect(), epoch_unit: epoch_unit.unwrap_or_default() };
    let source = match &literal {
        Lit::Int(i) => SourceValue::Integer(*i),
        Lit::Real(f) => SourceValue::Real(*f),
        Lit::Text(s) => SourceValue::Text(s.as_bytes()),
        Lit::Blob(b) => SourceValue::Blob(b),
    };
    match convert(source, ty, &ctx) {
        Ok(v) => Some(engine.literal(&v)),
        Err(e) => {
            findings.push(Finding::new(
                Level::Warning,
                "default_left_out",
                object,
                format!("DEFAULT {text} does not convert to {ty}: {e}; left out"),
            ));
            None
        }
    }
}

#[derive(Debug, PartialEq)]
enum Lit {
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Debug, PartialEq)]
enum DefaultExpr {
    Null,
    Literal(Lit),
    Current(String),
    Expression,
}

/// Read a DEFAULT as SQLite stores it: a literal (possibly signed or parenthesised),
/// CURRENT_TIMESTAMP/DATE/TIME, NULL, or an expression cutover does not translate.
fn parse_default(text: &str) -> DefaultExpr {
    let mut toks: Vec<_> = sqltext::tokenize(text)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokenKind::Space | TokenKind::Comment))
        .collect();
    while toks.len() >= 2 && toks[0].is_punct("(") && toks[toks.len() - 1].is_punct(")") {
        toks = toks[1..toks.len() - 1].to_vec();
    }
    let (negative, rest) = match toks.first() {
        Some(t) if t.is_punct("-") => (true, &toks[1..]),
        Some(t) if t.is_punct("+") => (false, &toks[1..]),
        _ => (false, &toks[..]),
    };
    let [t] = rest else {
        return DefaultExpr::Expression;
    };
    match t.kind {
        TokenKind::Number => {
            let sign = if negative { "-" } else { "" };
            let s = format!("{sign}{}", t.text);
            if let Ok(i) = s.parse::<i64>() {
                DefaultExpr::Literal(Lit::Int(i))
            } else if let Some(h) = t.text.strip_prefix("0x").or_else(|| t.text.strip_prefix("0X")) {
                i64::from_str_radix(h, 16)
                    .map_or(DefaultExpr::Expression, |i| DefaultExpr::Literal(Lit::Int(if negative { -i } else { i })))
            } else {
                s.parse::<f64>().map_or(DefaultExpr::Expression, |f| DefaultExpr::Literal(Lit::Real(f)))
            }
        }
        _ if negative => DefaultExpr::Expression,
        TokenKind::String if t.text.starts_with(['x', 'X']) => {
            let hex = &t.text[2..t.text.len().saturating_sub(1)];
            let bytes: Option<Vec<u8>> =
                (0..hex.len() / 2).map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()).collect();
            bytes.map_or(DefaultExpr::Expression, |b| DefaultExpr::Literal(Lit::Blob(b)))
        }
        // SQLite reads a double-quoted word in DEFAULT as a string when no column has that name.
        TokenKind::String | TokenKind::QuotedIdent => DefaultExpr::Literal(Lit::Text(sqltext::unquote(t.text))),
        TokenKind::Word => match t.text.to_ascii_uppercase().as_str() {
            "NULL" => DefaultExpr::Null,
            "TRUE" => DefaultExpr::Literal(Lit::Int(1)),
            "FALSE" => DefaultExpr::Literal(Lit::Int(0)),
            k @ ("CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME") => DefaultExpr::Current(k.to_string()),
            _ => DefaultExpr::Expression,
        },
        _ => DefaultExpr::Expression,
    }
}

/// Size text in MariaDB keys, and keep each table's row under MariaDB's row limit.
pub fn size_mariadb_keys(selected: &[&Table], tables: &mut [TablePlan], findings: &mut Vec<Finding>) {
    let mut keyed: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for t in selected {
        let set = keyed.entry(t.name.as_str()).or_default();
        if let Some(pk) = &t.primary_key {
            set.extend(pk.columns.iter().cloned());
        }
        for idx in t.indexes.iter().filter(|i| i.partial.is_none() && !i.has_expressions()) {
            set.extend(idx.column_names().into_iter().map(String::from));
        }
        for fk in &t.foreign_keys {
            set.extend(fk.columns.iter().cloned());
        }
    }
    for t in selected {
        for fk in &t.foreign_keys {
            if let Some(parent) = keyed.get_mut(fk.parent_table.as_str()) {
                parent.extend(fk.parent_columns.iter().cloned());
            }
        }
    }
    for (t, tp) in selected.iter().zip(tables.iter_mut()) {
        let keys = keyed.get(t.name.as_str()).cloned().unwrap_or_default();
        for (c, m) in t.columns.iter().zip(tp.columns.iter_mut()) {
            if !keys.contains(&c.name) {
                continue;
            }
            let longest = c.stats.max_text_chars.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
            let declared = match m.ty {
                ColumnType::Text => None,
                ColumnType::Varchar { length } if length > MAX_KEY_CHARS => Some(length),
                _ => continue,
            };
            if longest > MAX_KEY_CHARS {
                findings.push(Finding::new(
                    Level::Warning,
                    "key_prefix",
                    format!("{}.{}", t.name, c.name),
                    format!("text of up to {longest} characters in a key: MariaDB indexes only the first {MAX_KEY_CHARS} characters (3072-byte key limit)"),
                ));
                continue;
            }
            let size = longest.max(1).next_power_of_two().clamp(32, MAX_KEY_CHARS);
            let size = declared.map_or(size, |d| size.min(d));
            let was = m.target_type.clone();
            m.ty = ColumnType::Varchar { length: size };
            m.target_type = format!("VARCHAR({size})");
            m.reason.push_str(&format!(
                "; in a key: VARCHAR({size}) sized from the data (longest value {longest} characters)"
            ));
            findings.push(Finding::new(
                Level::Warning,
                "key_text_sized",
                format!("{}.{}", t.name, c.name),
                format!("{was} column in a key: MariaDB needs a bounded type; planned VARCHAR({size}) from the data (longest value {longest} characters)"),
            ));
        }
        fit_row(t, tp, &keys, findings);
    }
}

/// Turn the widest non-key VARCHARs into LONGTEXT until the row fits MariaDB's row limit.
fn fit_row(t: &Table, tp: &mut TablePlan, keys: &BTreeSet<String>, findings: &mut Vec<Finding>) {
    let width = |m: &ColumnMapping| match m.ty {
        ColumnType::Varchar { length } | ColumnType::Char { length }
            if m.target_type.starts_with("VARCHAR") || m.target_type.starts_with("CHAR") =>
        {
            length * BYTES_PER_CHAR + 2
        }
        ColumnType::Text | ColumnType::Bytes | ColumnType::Json => 12,
        ColumnType::Decimal { precision: Some(p), .. } => p / 2 + 1,
        _ => 8,
    };
    // Leave room for the row header and NULL bitmap.
    let limit = MAX_ROW_BYTES - 1024;
    loop {
        let total: u32 = tp.columns.iter().map(width).sum();
        if total <= limit {
            return;
        }
        let widest = tp
            .columns
            .iter_mut()
            .filter(|m| m.target_type.starts_with("VARCHAR") && !keys.contains(&m.source_name))
            .max_by_key(|m| match m.ty {
                ColumnType::Varchar { length } => length,
                _ => 0,
            });
        let Some(m) = widest else { return };
        let was = m.target_type.clone();
        m.target_type = "LONGTEXT".into();
        m.reason.push_str("; LONGTEXT to fit MariaDB's 65,535-byte row limit (length still checked by cutover)");
        findings.push(Finding::new(
            Level::Warning,
            "row_too_wide",
            format!("{}.{}", t.name, m.source_name),
            format!("the table's VARCHAR columns exceed MariaDB's 65,535-byte row limit: {was} planned as LONGTEXT; cutover still checks the length, but the server will not enforce it"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_read_as_sqlite_reads_them() {
        assert_eq!(parse_default("0"), DefaultExpr::Literal(Lit::Int(0)));
        assert_eq!(parse_default("-1"), DefaultExpr::Literal(Lit::Int(-1)));
        assert_eq!(parse_default("(0)"), DefaultExpr::Literal(Lit::Int(0)));
        assert_eq!(parse_default("1.5"), DefaultExpr::Literal(Lit::Real(1.5)));
        assert_eq!(parse_default("'it''s'"), DefaultExpr::Literal(Lit::Text("it's".into())));
        assert_eq!(parse_default("\"\""), DefaultExpr::Literal(Lit::Text(String::new())));
        assert_eq!(parse_default("'\"0\"'"), DefaultExpr::Literal(Lit::Text("\"0\"".into())));
        assert_eq!(parse_default("TRUE"), DefaultExpr::Literal(Lit::Int(1)));
        assert_eq!(parse_default("NULL"), DefaultExpr::Null);
        assert_eq!(parse_default("X'00ff'"), DefaultExpr::Literal(Lit::Blob(vec![0, 255])));
        assert_eq!(parse_default("current_timestamp"), DefaultExpr::Current("CURRENT_TIMESTAMP".into()));
        assert_eq!(parse_default("(strftime('%Y-%m-%d %H:%M:%f','now'))"), DefaultExpr::Expression);
        assert_eq!(parse_default("(DATETIME('now','localtime'))"), DefaultExpr::Expression);
    }
}
