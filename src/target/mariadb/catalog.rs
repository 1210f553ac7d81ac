//! Reading MariaDB's catalog (information_schema of the URL's database): the SQL that
//! lists tables, keys, indexes and the objects cutover creates after the data, and the
//! neutral type of each `COLUMN_TYPE` (existing mode).

use crate::target::{PlannedObject, SqlDialect};
use crate::types::type_args;
use crate::types::{ColumnType, IntWidth};

fn lit(s: &str) -> String {
    super::MariaDb.string_literal(s)
}

pub(super) fn table_exists(table: &str) -> String {
    format!(
        "SELECT CAST(count(*) AS SIGNED) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {}",
        lit(table)
    )
}

pub(super) fn tables() -> String {
    "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1".to_string()
}

pub(super) fn primary_key(table: &str) -> String {
    format!(
        "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
        lit(table)
    )
}

pub(super) fn foreign_keys(sep: char) -> String {
    format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}') AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
         GROUP BY TABLE_NAME, CONSTRAINT_NAME ORDER BY 1, 2"
    )
}

pub(super) fn indexes(sep: char) -> String {
    format!(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR '{sep}') AS CHAR) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME ORDER BY 1, 2"
    )
}

pub(super) fn object_exists(object: &PlannedObject) -> Option<String> {
    Some(match object {
        PlannedObject::Index { table, name } => format!(
            "SELECT CAST(count(*) AS SIGNED) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} AND INDEX_NAME = {}",
            lit(table),
            lit(name)
        ),
        PlannedObject::ForeignKey { table, name } => format!(
            "SELECT CAST(count(*) AS SIGNED) FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {} AND CONSTRAINT_NAME = {}",
            lit(table),
            lit(name)
        ),
        PlannedObject::View { name } => format!(
            "SELECT CAST(count(*) AS SIGNED) FROM information_schema.VIEWS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
            lit(name)
        ),
        PlannedObject::Counter { .. } => return None,
    })
}

/// The neutral type of a MariaDB / MySQL `COLUMN_TYPE` (`int(11) unsigned`, `tinyint(1)`, …).
/// FLOAT, ENUM, SET, BIT, YEAR and spatial types are refused: cutover would have to round
/// or pick, and it never does either silently.
pub fn neutral_type(column_type: &str) -> Option<ColumnType> {
    let t = column_type.to_ascii_lowercase();
    let args = type_args(&t);
    let base = t.split(['(', ' ']).next().unwrap_or(&t).trim();
    let unsigned = t.contains("unsigned");
    let int = |width| Some(ColumnType::Integer { width, unsigned });
    match base {
        "tinyint" if args.first() == Some(&1) && !unsigned => Some(ColumnType::Boolean),
        "bool" | "boolean" => Some(ColumnType::Boolean),
        "tinyint" => int(IntWidth::I8),
        "smallint" => int(IntWidth::I16),
        "mediumint" => int(IntWidth::I24),
        "int" | "integer" => int(IntWidth::I32),
        "bigint" => int(IntWidth::I64),
        "double" | "real" => Some(ColumnType::Double),
        "decimal" | "numeric" => Some(ColumnType::Decimal {
            precision: Some(args.first().copied().unwrap_or(10)),
            scale: Some(args.get(1).copied().unwrap_or(0)),
        }),
        "varchar" => Some(ColumnType::Varchar { length: args.first().copied().unwrap_or(255) }),
        "char" => Some(ColumnType::Char { length: args.first().copied().unwrap_or(1) }),
        // TEXT types hold bytes, not characters: strict mode makes the server refuse, never cut, a longer value.
        "tinytext" | "text" | "mediumtext" | "longtext" => Some(ColumnType::Text),
        "json" => Some(ColumnType::Json),
        "tinyblob" | "blob" | "mediumblob" | "longblob" | "binary" | "varbinary" => Some(ColumnType::Bytes),
        "datetime" | "timestamp" => Some(ColumnType::Timestamp { tz: false }),
        "date" => Some(ColumnType::Date),
        "time" => Some(ColumnType::Time),
        "uuid" => Some(ColumnType::Uuid),
        _ => None,
    }
}

/// Fractional-second digits a DATETIME / TIMESTAMP / TIME column keeps (its declared
/// precision, 0 when none); 6 for every other type.
pub fn fraction_digits(catalog_type: &str) -> u32 {
    let t = catalog_type.to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or(&t).trim();
    if matches!(base, "datetime" | "timestamp" | "time") {
        return type_args(&t).first().copied().unwrap_or(0).min(6);
    }
    6
}
