//! SQLite's SQL (view bodies, CHECK expressions, index expressions) translated into
//! PostgreSQL's or MariaDB's, type-aware.
//!
//! The text is parsed with the `sqlparser` crate's SQLite dialect: it is the one maintained
//! Rust parser that knows SQLite's quoting (`[x]`, `` `x` ``, `"x"`), `GLOB`, `LIMIT a, b`,
//! window functions and `==`, and it gives a typed tree rather than tokens, which is what
//! name resolution and typing need. We do not use its printer: this module prints the
//! target's SQL itself, so that every node it does not know is a reasoned refusal
//! ([`Untranslatable`]) instead of SQLite's spelling sent to a server that reads it
//! differently.
//!
//! Every name is resolved against the source schema exactly as SQLite does — a column
//! belongs to one relation of the FROM clause (case-insensitively, within that relation
//! only) — and printed as that relation's *target* name, always quoted. Each expression
//! carries the planned target type of what it reads ([`Ty`]), and that type decides the
//! rewrites: a boolean compared with 0/1, a TEXT column compared with a number, a
//! timestamp formatted as SQLite's text, `datetime()` and its modifiers, `LIKE`'s case
//! rules. Engine spellings live behind the [`Flavor`] trait (`postgres.rs`, `mariadb.rs`).
//!
//! Owns: the translation only. Where the result runs (post-load), and what happens when a
//! view cannot be translated (`--views`), belong to `plan` and `copy`.

mod dates;
mod expr;
mod flavor;
mod functions;
mod mariadb;
mod postgres;
mod query;
mod scope;
mod typed;

use std::fmt;

use sqlparser::ast::Statement as Ast;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

pub use flavor::Flavor;

use crate::target::Dialect;
use crate::types::ColumnType;

/// What an expression is in the target, as far as the translation needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Null,
    Bool,
    Int,
    Real,
    Decimal,
    Text,
    Timestamp,
    /// A timestamp column whose SQLite text was a bare date (`YYYY-MM-DD`, Northwind's
    /// order dates): SQLite compares that text with a date-time's text, not with its value.
    DayStamp,
    Date,
    Time,
    Bytes,
    Json,
    /// UUID and the other types that read as text.
    Other,
    Unknown,
}

impl Ty {
    pub fn of(ty: &ColumnType) -> Ty {
        match ty {
            ColumnType::Boolean => Ty::Bool,
            ColumnType::Integer { .. } => Ty::Int,
            ColumnType::Double | ColumnType::Float4 => Ty::Real,
            ColumnType::Decimal { .. } => Ty::Decimal,
            ColumnType::Varchar { .. } | ColumnType::Char { .. } | ColumnType::Text => Ty::Text,
            ColumnType::Timestamp { .. } => Ty::Timestamp,
            ColumnType::Date => Ty::Date,
            ColumnType::Time => Ty::Time,
            ColumnType::Bytes => Ty::Bytes,
            ColumnType::Json => Ty::Json,
            _ => Ty::Other,
        }
    }

    pub fn is_number(self) -> bool {
        matches!(self, Ty::Int | Ty::Real | Ty::Decimal)
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, Ty::Timestamp | Ty::DayStamp | Ty::Date | Ty::Time)
    }

    pub fn is_text(self) -> bool {
        matches!(self, Ty::Text | Ty::Json | Ty::Other)
    }

    /// SQLite's `typeof()` of a non-NULL value of this type once it is in the target.
    fn sqlite_typeof(self) -> Option<&'static str> {
        Some(match self {
            Ty::Int | Ty::Bool => "integer",
            Ty::Real | Ty::Decimal => "real",
            Ty::Text | Ty::Json | Ty::Other | Ty::Timestamp | Ty::DayStamp | Ty::Date | Ty::Time => "text",
            Ty::Bytes => "blob",
            Ty::Null | Ty::Unknown => return None,
        })
    }
}

/// One column of a relation a query can read.
#[derive(Debug, Clone)]
pub struct Column {
    pub source: String,
    pub target: String,
    pub ty: Ty,
}

/// A table or view of the source, with its target name and columns.
#[derive(Debug, Clone)]
pub struct Relation {
    pub source: String,
    pub target: String,
    pub columns: Vec<Column>,
    /// The column that `rowid` names (an INTEGER PRIMARY KEY), if any.
    pub rowid: Option<String>,
    /// A view: the translated view is read, not a table.
    pub is_view: bool,
}

/// Every relation a translated statement may read.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub relations: Vec<Relation>,
}

impl Catalog {
    /// A relation by its SQLite name (SQLite's names are case-insensitive).
    pub fn find(&self, name: &str) -> Option<&Relation> {
        self.relations
            .iter()
            .find(|r| r.source == name)
            .or_else(|| self.relations.iter().find(|r| r.source.eq_ignore_ascii_case(name)))
    }
}

/// A construct that has no faithful equivalent in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    /// The construct, as SQLite spells it (`printf()`, `datetime(…, 'localtime')`).
    pub construct: String,
    /// Why it is not translated.
    pub why: String,
}

impl Untranslatable {
    pub fn new(construct: impl Into<String>, why: impl Into<String>) -> Untranslatable {
        Untranslatable { construct: construct.into(), why: why.into() }
    }
}

impl fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.construct, self.why)
    }
}

pub type Result<T> = std::result::Result<T, Untranslatable>;

/// A translated view.
#[derive(Debug, Clone)]
pub struct TranslatedView {
    /// `CREATE VIEW … AS …` in the target's SQL.
    pub sql: String,
    /// The view's columns (SQLite's names) with their types in the target.
    pub columns: Vec<Column>,
    /// Why the view's rows depend on the moment or on an unordered LIMIT (not comparable).
    pub volatile: Vec<String>,
}

/// The translator for one target engine.
pub fn flavor(dialect: Dialect) -> Option<&'static dyn Flavor> {
    match dialect {
        Dialect::Postgres => Some(&postgres::Postgres),
        Dialect::MariaDb => Some(&mariadb::MariaDb),
        Dialect::Sqlite => None,
    }
}

fn parse(sql: &str) -> Result<Vec<Ast>> {
    Parser::parse_sql(&SQLiteDialect {}, sql)
        .map_err(|e| Untranslatable::new("the SQL text", format!("cutover's SQLite parser cannot read it ({e})")))
}

/// Translate one `CREATE VIEW` statement. `columns` are the names SQLite gives the view's
/// columns; the target view gets exactly these names.
pub fn view(
    sql: &str,
    name: &str,
    columns: &[String],
    catalog: &Catalog,
    flavor: &dyn Flavor,
    schema: Option<&str>,
) -> Result<TranslatedView> {
    let statements = parse(sql)?;
    let Some(Ast::CreateView(cv)) = statements.first() else {
        return Err(Untranslatable::new("the SQL text", "it is not a CREATE VIEW statement"));
    };
    let mut t = scope::Translator::new(catalog, flavor, schema);
    let (body, out) = t.query(&cv.query, None)?;
    let tys: Vec<Ty> = out.iter().map(|c| c.ty).collect();
    let columns: Vec<Column> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Column {
            source: c.clone(),
            target: c.clone(),
            ty: if tys.len() == columns.len() { tys[i] } else { Ty::Unknown },
        })
        .collect();
    let list: Vec<String> = columns.iter().map(|c| flavor.quote(&c.target)).collect();
    let create = format!("CREATE VIEW {} ({}) AS {body}", flavor.table_ref(schema, name), list.join(", "));
    Ok(TranslatedView { sql: create, columns, volatile: t.volatile })
}

/// Translate an expression over one table (a CHECK constraint, an index expression, a
/// partial index's WHERE), in boolean context when `condition`.
pub fn expression(sql: &str, table: &str, catalog: &Catalog, flavor: &dyn Flavor, condition: bool) -> Result<String> {
    let e = Parser::new(&SQLiteDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Untranslatable::new(sql, format!("cutover's SQLite parser cannot read it ({e})")))?;
    let mut t = scope::Translator::new(catalog, flavor, None);
    t.expression_over(&e, table, condition)
}

/// An expression the translator does not handle: which construct, and why.
fn unsupported<T>(construct: impl Into<String>, why: impl Into<String>) -> Result<T> {
    Err(Untranslatable::new(construct, why))
}

#[cfg(test)]
mod tests;
