//! MariaDB (and MySQL 8): InnoDB, utf8mb4, strict types; text in keys must be sized.

pub mod catalog;
pub mod conn;
pub mod server_checks;
pub mod text;

use super::{CollationSettings, Dialect, NameLimit, PlannedObject, SqlDialect, StoredRange};
use crate::schema::Collation;
use crate::types::{ColumnType, IntWidth};

pub struct MariaDb;

/// InnoDB's limit on the bytes of one index key (DYNAMIC row format).
pub const MAX_KEY_BYTES: u32 = 3072;
/// Bytes per character in utf8mb4.
pub const BYTES_PER_CHAR: u32 = 4;
/// Longest VARCHAR that fits a whole key by itself.
pub const MAX_KEY_CHARS: u32 = MAX_KEY_BYTES / BYTES_PER_CHAR;
/// Row limit for the in-row parts of all columns (BLOB/TEXT count only a pointer).
pub const MAX_ROW_BYTES: u32 = 65_535;

impl SqlDialect for MariaDb {
    fn dialect(&self) -> Dialect {
        Dialect::MariaDb
    }

    fn quote(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }

    fn name_limit(&self) -> NameLimit {
        NameLimit::Chars(64)
    }

    fn table_ref(&self, _schema: Option<&str>, table: &str) -> String {
        // The database in the URL is the schema; tables are never qualified.
        self.quote(table)
    }

    fn render_type(&self, ty: &ColumnType) -> String {
        match ty {
            ColumnType::Boolean => "TINYINT(1)".into(),
            ColumnType::Integer { width, unsigned } => {
                let base = match width {
                    IntWidth::I8 => "TINYINT",
                    IntWidth::I16 => "SMALLINT",
                    IntWidth::I24 => "MEDIUMINT",
                    IntWidth::I32 => "INT",
                    IntWidth::I64 => "BIGINT",
                };
                if *unsigned {
                    format!("{base} UNSIGNED")
                } else {
                    base.into()
                }
            }
            ColumnType::Double => "DOUBLE".into(),
            ColumnType::Decimal { precision: Some(p), scale } => format!("DECIMAL({p},{})", scale.unwrap_or(0)),
            // The planner sizes unconstrained decimals from the data; this is the fallback.
            ColumnType::Decimal { .. } => "DECIMAL(65,30)".into(),
            ColumnType::Varchar { length } => format!("VARCHAR({length})"),
            ColumnType::Char { length } => format!("CHAR({length})"),
            ColumnType::Text => "LONGTEXT".into(),
            ColumnType::Timestamp { .. } => "DATETIME(6)".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Time => "TIME(6)".into(),
            ColumnType::Json => "JSON".into(),
            ColumnType::Bytes => "LONGBLOB".into(),
            ColumnType::Uuid => "UUID".into(),
            // Existing mode only (from the catalog); a plan never holds the PostgreSQL-only ones.
            ColumnType::Float4 => "FLOAT".into(),
            ColumnType::Inet4 => "INET4".into(),
            ColumnType::Inet6 => "INET6".into(),
            ColumnType::Year => "YEAR".into(),
            ColumnType::Bit => "BIT(1)".into(),
            ColumnType::Interval
            | ColumnType::Inet
            | ColumnType::Cidr
            | ColumnType::Macaddr
            | ColumnType::TimeTz
            | ColumnType::Enum
            | ColumnType::Set => "VARCHAR(255)".into(),
            ColumnType::Array { .. } => "JSON".into(),
        }
    }

    fn identity_column(&self, column: &str, ty: &ColumnType) -> String {
        let ty = if matches!(ty, ColumnType::Integer { .. }) { self.render_type(ty) } else { "BIGINT".into() };
        format!("{} {ty} NOT NULL AUTO_INCREMENT", self.quote(column))
    }

    fn string_literal(&self, s: &str) -> String {
        // Backslash is an escape character in MariaDB strings unless NO_BACKSLASH_ESCAPES.
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    }

    fn current_default(&self, keyword: &str, ty: &ColumnType) -> Option<String> {
        // SQLite's CURRENT_* are UTC; MariaDB's are session-local, so use the UTC functions.
        match (keyword, ty) {
            ("CURRENT_TIMESTAMP", ColumnType::Timestamp { .. }) => Some("(UTC_TIMESTAMP(6))".into()),
            ("CURRENT_DATE", ColumnType::Date) => Some("(UTC_DATE())".into()),
            ("CURRENT_TIME", ColumnType::Time) => Some("(UTC_TIME())".into()),
            _ => None,
        }
    }

    fn collation(&self, c: &Collation, settings: &CollationSettings) -> Option<String> {
        Some(match c {
            Collation::Binary | Collation::Other(_) => settings.binary.clone(),
            Collation::Nocase => settings.nocase.clone(),
            Collation::Rtrim => settings.rtrim.clone(),
        })
    }

    fn reset_identity(&self, table_ref: &str, _column: &str, next: i64) -> Option<String> {
        Some(format!("ALTER TABLE {table_ref} AUTO_INCREMENT = {next}"))
    }

    fn table_options(&self) -> &'static str {
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    }

    fn indexable(&self, ty: &ColumnType) -> bool {
        !matches!(ty, ColumnType::Text | ColumnType::Bytes | ColumnType::Json)
    }

    fn supports_partial_indexes(&self) -> bool {
        false
    }

    fn supports_expression_indexes(&self) -> bool {
        false
    }

    fn session_setup(&self) -> &'static [&'static str] {
        // Strict: errors instead of clamped integers, cut strings or zero dates.
        // PIPES_AS_CONCAT keeps SQLite's `||` in views a concatenation.
        &[
            "SET NAMES utf8mb4",
            // TIMESTAMP columns then store the UTC wall-clock time cutover writes, unchanged.
            "SET time_zone = '+00:00'",
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT'",
        ]
    }

    fn supports_fk_action(&self, action: &str) -> bool {
        // InnoDB parses SET DEFAULT but rejects it.
        !action.eq_ignore_ascii_case("SET DEFAULT")
    }

    fn default_port(&self) -> Option<u16> {
        Some(3306)
    }

    fn product(&self) -> &'static str {
        "MariaDB"
    }

    fn timestamp_range(&self) -> StoredRange {
        StoredRange {
            lo: (1000, 1, 1),
            hi: (9999, 12, 31),
            says: "MariaDB DATETIME holds 1000-01-01 00:00:00 to 9999-12-31 23:59:59.999999",
        }
    }

    fn date_range(&self) -> StoredRange {
        StoredRange { lo: (1000, 1, 1), hi: (9999, 12, 31), says: "MariaDB DATE holds 1000-01-01 to 9999-12-31" }
    }

    fn stores_non_finite_doubles(&self) -> bool {
        false
    }

    fn sizes_unbounded_decimals(&self) -> bool {
        true
    }

    fn needs_key_prefixes(&self) -> bool {
        true
    }

    /// InnoDB wants the same integer, decimal and datetime types on both sides.
    fn fk_types_compatible(&self, child: &ColumnType, parent: &ColumnType) -> bool {
        child == parent || (child.is_string() && parent.is_string())
    }

    fn identity_spelling(&self) -> &'static str {
        "BIGINT AUTO_INCREMENT"
    }

    fn index_names_per_table(&self) -> bool {
        true
    }

    fn groups_alter_table(&self) -> bool {
        true
    }

    fn supports_deferrable_fks(&self) -> bool {
        false
    }

    fn folding_collations(&self) -> bool {
        true
    }

    fn transactional_ddl(&self) -> bool {
        false
    }

    fn drop_index_sql(&self, schema: Option<&str>, table: &str, index: &str) -> String {
        format!("DROP INDEX {} ON {}", self.quote(index), self.table_ref(schema, table))
    }

    fn text_cast(&self) -> &'static str {
        "CHAR"
    }

    fn bigint_cast(&self) -> &'static str {
        "SIGNED"
    }

    fn foreign_key_checks_sql(&self, on: bool) -> Option<&'static str> {
        Some(if on { "SET SESSION foreign_key_checks = 1" } else { "SET SESSION foreign_key_checks = 0" })
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

    /// InnoDB checks each dropped parent against its children one table at a time, so a
    /// cycle among the tables would refuse; the keys among them go with them.
    fn drop_tables_sql(&self, table_refs: &[String]) -> Vec<String> {
        vec![
            "SET SESSION foreign_key_checks = 0".into(),
            format!("DROP TABLE {}", table_refs.join(", ")),
            "SET SESSION foreign_key_checks = 1".into(),
        ]
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

    fn neutral_type(&self, catalog_type: &str) -> Option<ColumnType> {
        catalog::neutral_type(catalog_type)
    }

    fn fraction_digits(&self, catalog_type: &str) -> u32 {
        catalog::fraction_digits(catalog_type)
    }

    fn unique_keys_sql(&self, _schema: Option<&str>, table: &str, sep: char) -> String {
        catalog::unique_keys(table, sep)
    }

    fn checks_sql(&self, _schema: Option<&str>, table: &str, _sep: char) -> String {
        catalog::checks(table)
    }

    fn foreign_keys_of_sql(&self, _schema: Option<&str>, table: &str, sep: char) -> String {
        catalog::foreign_keys_of(table, sep)
    }

    fn temp_copy_sql(&self, table_ref: &str, temp: &str, columns: &[String]) -> (String, String) {
        let cols = columns.iter().map(|c| self.quote(c)).collect::<Vec<_>>().join(", ");
        let t = self.quote(temp);
        // CREATE … SELECT keeps each column's type, character set and collation.
        (
            format!("CREATE TEMPORARY TABLE {t} (cutover_row BIGINT) SELECT {cols} FROM {table_ref} LIMIT 0"),
            format!("DROP TEMPORARY TABLE IF EXISTS {t}"),
        )
    }

    fn creates(&self, ty: &ColumnType) -> bool {
        matches!(ty, ColumnType::Float4 | ColumnType::Enum) || super::default_creates(ty)
    }

    fn enum_type(&self, _schema: Option<&str>, _name: &str, labels: &[String]) -> Option<(String, Option<String>)> {
        let labels: Vec<String> = labels.iter().map(|l| self.string_literal(l)).collect();
        Some((format!("ENUM({})", labels.join(",")), None))
    }

    fn collision_hint(&self) -> &'static str {
        "MariaDB's _ci collations compare case-insensitively and PAD SPACE ones ignore trailing spaces: make the column utf8mb4_bin (or utf8mb4_nopad_bin) in the application's migration, or fix the rows in the source"
    }

    fn widen_fraction_hint(&self) -> &'static str {
        "widen it to DATETIME(6) / TIME(6)"
    }

    fn value_limit(&self, catalog_type: &str) -> super::ValueLimit {
        catalog::value_limit(catalog_type)
    }

    fn unsupported_because(&self, catalog_type: &str) -> Option<&'static str> {
        catalog::unsupported_because(catalog_type)
    }
}
