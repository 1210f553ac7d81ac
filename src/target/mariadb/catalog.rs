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

pub(super) fn referencing(table: &str) -> String {
    format!(
        "SELECT DISTINCT CAST(TABLE_NAME AS CHAR), CAST(REFERENCED_TABLE_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = {} ORDER BY 1",
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

pub(super) fn unique_keys(table: &str, sep: char) -> String {
    format!(
        "SELECT CAST(INDEX_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR '{sep}') AS CHAR) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} AND NON_UNIQUE = 0 \
         GROUP BY INDEX_NAME ORDER BY 1",
        lit(table)
    )
}

pub(super) fn foreign_keys_of(table: &str, sep: char) -> String {
    format!(
        "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}') AS CHAR), \
         CAST(REFERENCED_TABLE_NAME AS CHAR), \
         CAST(GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR '{sep}') AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} \
         AND REFERENCED_TABLE_NAME IS NOT NULL AND REFERENCED_TABLE_SCHEMA = DATABASE() \
         GROUP BY CONSTRAINT_NAME, REFERENCED_TABLE_NAME ORDER BY 1",
        lit(table)
    )
}

/// The columns a CHECK reads are not in the catalog: they are found in its text.
pub(super) fn checks(table: &str) -> String {
    format!(
        "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR), NULL \
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {} ORDER BY 1",
        lit(table)
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
        PlannedObject::Check { table, name, .. } => format!(
            "SELECT CAST(count(*) AS SIGNED) FROM information_schema.CHECK_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {} AND CONSTRAINT_NAME = {}",
            lit(table),
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
        // FLOAT(M,D) rounds to D decimals, FLOAT(p) with p > 24 is a DOUBLE.
        "float" if args.len() == 2 => None,
        "float" if args.first().is_some_and(|p| *p > 24) => Some(ColumnType::Double),
        "float" => Some(ColumnType::Float4),
        "year" => Some(ColumnType::Year),
        "bit" if args.first().copied().unwrap_or(1) == 1 => Some(ColumnType::Bit),
        "inet4" => Some(ColumnType::Inet4),
        "inet6" => Some(ColumnType::Inet6),
        "enum" => Some(ColumnType::Enum),
        "set" => Some(ColumnType::Set),
        _ => None,
    }
}

pub fn unsupported_because(column_type: &str) -> Option<&'static str> {
    let t = column_type.to_ascii_lowercase();
    match t.split(['(', ' ']).next().unwrap_or(&t) {
        "float" => Some("FLOAT(M,D) rounds every value to D decimals; change it to DECIMAL(M,D) or DOUBLE in the application's migration"),
        "bit" => Some("only BIT(1) is read (as a boolean)"),
        "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring" | "multipolygon"
        | "geometrycollection" => Some("spatial types are not written; leave the table out with --exclude"),
        _ => None,
    }
}

/// Byte limits of the TEXT and BLOB types and VARBINARY(n); BINARY(n) pads to n bytes;
/// TIMESTAMP holds 1970 to 2038.
pub fn value_limit(column_type: &str) -> crate::target::ValueLimit {
    use crate::target::ValueLimit;
    let t = column_type.to_ascii_lowercase();
    let n = type_args(&t).first().map(|n| u64::from(*n));
    match t.split(['(', ' ']).next().unwrap_or(&t) {
        "tinytext" | "tinyblob" => ValueLimit::MaxBytes(255),
        "text" | "blob" => ValueLimit::MaxBytes(65_535),
        "mediumtext" | "mediumblob" => ValueLimit::MaxBytes(16_777_215),
        "varbinary" => n.map_or(ValueLimit::None, ValueLimit::MaxBytes),
        "binary" => ValueLimit::ExactBytes(n.unwrap_or(1)),
        "timestamp" => ValueLimit::UnixTimestamp,
        _ => ValueLimit::None,
    }
}

/// The labels of `enum('a','b''c')` / `set(…)` as the catalog prints them (quotes doubled).
pub fn labels(column_type: &str) -> Option<Vec<String>> {
    let lower = column_type.to_ascii_lowercase();
    let inner = if lower.starts_with("enum(") || lower.starts_with("set(") {
        &column_type[column_type.find('(')? + 1..column_type.rfind(')')?]
    } else {
        return None;
    };
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        match chars.next() {
            None => break,
            Some('\'') => {
                let mut label = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            label.push('\'');
                        }
                        Some('\'') | None => break,
                        Some('\\') => label.extend(chars.next()),
                        Some(c) => label.push(c),
                    }
                }
                out.push(label);
            }
            Some(_) => {}
        }
    }
    Some(out)
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
