//! The embedded target: a new SQLite file with canonical values, for demos, tests and
//! quick rehearsals with no server.

pub mod catalog;
pub mod conn;

use super::{CollationSettings, Dialect, NameLimit, PlannedObject, SqlDialect};
use crate::schema::Collation;
use crate::types::ColumnType;
use crate::value::Value;

pub struct Sqlite;

impl SqlDialect for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn name_limit(&self) -> NameLimit {
        NameLimit::Unlimited
    }

    fn table_ref(&self, _schema: Option<&str>, table: &str) -> String {
        self.quote(table)
    }

    fn render_type(&self, ty: &ColumnType) -> String {
        // Declared types that give each value the affinity that keeps it canonical.
        match ty {
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Integer { .. } => "INTEGER".into(),
            ColumnType::Double => "REAL".into(),
            ColumnType::Decimal { precision: Some(p), scale } => format!("DECIMAL({p},{})", scale.unwrap_or(0)),
            ColumnType::Decimal { .. } => "DECIMAL".into(),
            ColumnType::Varchar { length } => format!("VARCHAR({length})"),
            ColumnType::Char { length } => format!("CHAR({length})"),
            ColumnType::Text => "TEXT".into(),
            ColumnType::Timestamp { .. } => "DATETIME".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Time => "TIME".into(),
            ColumnType::Json => "JSON".into(),
            ColumnType::Bytes => "BLOB".into(),
            ColumnType::Uuid => "UUID".into(),
            ColumnType::Float4 => "REAL".into(),
            ColumnType::Year | ColumnType::Bit => "INTEGER".into(),
            ColumnType::Interval
            | ColumnType::Inet
            | ColumnType::Cidr
            | ColumnType::Inet4
            | ColumnType::Inet6
            | ColumnType::Macaddr
            | ColumnType::TimeTz
            | ColumnType::Enum
            | ColumnType::Set
            | ColumnType::Array { .. } => "TEXT".into(),
        }
    }

    fn identity_column(&self, column: &str, _ty: &ColumnType) -> String {
        format!("{} INTEGER", self.quote(column))
    }

    fn literal(&self, v: &Value) -> String {
        match v {
            Value::Bool(b) => i32::from(*b).to_string(),
            other => super::standard_literal(other, &|s| self.string_literal(s)),
        }
    }

    fn current_default(&self, keyword: &str, _ty: &ColumnType) -> Option<String> {
        Some(keyword.to_string())
    }

    fn collation(&self, c: &Collation, _settings: &CollationSettings) -> Option<String> {
        match c {
            Collation::Binary => None,
            Collation::Nocase => Some("NOCASE".into()),
            Collation::Rtrim => Some("RTRIM".into()),
            // An application-defined collation does not exist in a fresh file; the planner warns.
            Collation::Other(_) => None,
        }
    }

    fn reset_identity(&self, table_ref: &str, _column: &str, next: i64) -> Option<String> {
        // Only AUTOINCREMENT tables keep a counter; the planner calls this for those only.
        let name = table_ref.trim_matches('"').replace("\"\"", "\"");
        // SQLite itself keeps one row per table once rows were inserted: raise that row
        // (never lower it), or add it; safe to run twice.
        let (name, seq) = (self.string_literal(&name), next - 1);
        Some(format!(
            "UPDATE sqlite_sequence SET seq = max(seq, {seq}) WHERE name = {name}; \
             INSERT INTO sqlite_sequence (name, seq) SELECT {name}, {seq} \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {name})"
        ))
    }

    fn inline_foreign_keys(&self) -> bool {
        true
    }

    fn product(&self) -> &'static str {
        "SQLite"
    }

    /// SQLite stores any value in any column: every pair may reference each other.
    fn fk_types_compatible(&self, _child: &ColumnType, _parent: &ColumnType) -> bool {
        true
    }

    /// The rowid alias itself, which is the primary key.
    fn identity_definition(&self, column: &str, _ty: &ColumnType, autoincrement: bool) -> (String, bool) {
        (
            format!("{} INTEGER PRIMARY KEY{}", self.quote(column), if autoincrement { " AUTOINCREMENT" } else { "" }),
            true,
        )
    }

    fn identity_spelling(&self) -> &'static str {
        "INTEGER PRIMARY KEY"
    }

    fn without_rowid_option(&self) -> &'static str {
        " WITHOUT ROWID"
    }

    fn counter_only_for_autoincrement(&self) -> bool {
        true
    }

    fn validates_keys_when_added(&self) -> bool {
        false
    }

    fn single_writer(&self) -> bool {
        true
    }

    fn table_exists_sql(&self, _schema: Option<&str>, table: &str) -> String {
        catalog::table_exists(table)
    }

    fn tables_sql(&self, _schema: Option<&str>) -> String {
        catalog::tables()
    }

    fn referencing_sql(&self, _schema: Option<&str>, table: &str) -> String {
        catalog::referencing(table)
    }

    /// One table per DROP TABLE (the target runs with foreign_keys off).
    fn drop_tables_sql(&self, table_refs: &[String]) -> Vec<String> {
        table_refs.iter().map(|t| format!("DROP TABLE {t}")).collect()
    }

    fn primary_key_sql(&self, _schema: Option<&str>, table: &str) -> String {
        catalog::primary_key(table)
    }

    fn foreign_keys_sql(&self, _schema: Option<&str>, sep: char) -> String {
        catalog::foreign_keys(sep)
    }

    fn indexes_sql(&self, _schema: Option<&str>, sep: char) -> String {
        catalog::indexes(sep)
    }

    fn object_exists_sql(&self, _schema: Option<&str>, object: &PlannedObject) -> Option<String> {
        catalog::object_exists(object)
    }

    /// An existing SQLite target's declared types read as PostgreSQL spells the same names
    /// (`integer`, `text`, `boolean`, …); anything else is refused.
    fn neutral_type(&self, catalog_type: &str) -> Option<ColumnType> {
        super::postgres::catalog::neutral_type(catalog_type)
    }
}
