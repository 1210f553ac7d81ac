//! Target engines: one module per engine behind one small trait.
//!
//! The plan is engine-neutral; everything that differs between PostgreSQL, MariaDB and
//! the embedded SQLite target — identifier quoting and length limits, how a neutral
//! `ColumnType` is spelled, literals, identity columns and counters, collations,
//! whether foreign keys can be added after the load — is a method of `SqlDialect`.
//! Defaults hold for most engines; each engine overrides what it does differently.
//! The engine is chosen from the target URL's scheme (`url`).

pub mod conn;
pub mod engine;
pub mod error;
pub mod mariadb;
pub mod postgres;
pub mod readback;
pub mod server_checks;
pub mod sqlite;
pub mod url;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::dialect::Dialect;
use crate::schema::Collation;
use crate::types::ColumnType;
use crate::value::Value;

impl Dialect {
    /// What this engine does differently (`SqlDialect`), defined here beside the engines.
    pub fn engine(self) -> &'static dyn SqlDialect {
        match self {
            Dialect::Postgres => &postgres::Postgres,
            Dialect::MariaDb => &mariadb::MariaDb,
            Dialect::Sqlite => &sqlite::Sqlite,
        }
    }
}

/// An object of the target's catalog that the plan creates after the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedObject {
    Index {
        table: String,
        name: String,
    },
    ForeignKey {
        table: String,
        name: String,
    },
    /// The identity / AUTO_INCREMENT counter of `column` hands out `next` or more.
    Counter {
        table: String,
        column: String,
        next: i64,
    },
    View {
        name: String,
    },
    /// A CHECK constraint; `condition` is its translated expression, which the loaded rows
    /// are checked against before the constraint is added.
    Check {
        table: String,
        name: String,
        condition: String,
    },
}

/// The dates or timestamps a column stores, inclusive, as (year, month, day); years are
/// astronomical (year 0 is 1 BC), as in chrono and SQLite. `says` is the limit in words.
#[derive(Debug, Clone, Copy)]
pub struct StoredRange {
    pub lo: (i32, u32, u32),
    pub hi: (i32, u32, u32),
    pub says: &'static str,
}

/// What an SQLite target keeps: 4-digit years.
pub const SQLITE_RANGE: StoredRange = StoredRange {
    lo: (0, 1, 1),
    hi: (9999, 12, 31),
    says: "an SQLite target keeps 4-digit years, 0000-01-01 to 9999-12-31",
};

/// How long an identifier may be, and in what unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameLimit {
    Bytes(usize),
    Chars(usize),
    Unlimited,
}

/// Collation choices a user can set in cutover.toml (`[mariadb]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollationSettings {
    /// MariaDB collation for SQLite BINARY (the default) text columns.
    #[serde(default = "default_binary")]
    pub binary: String,
    /// MariaDB collation for SQLite NOCASE columns.
    #[serde(default = "default_nocase")]
    pub nocase: String,
    /// MariaDB collation for SQLite RTRIM columns.
    #[serde(default = "default_rtrim")]
    pub rtrim: String,
}

fn default_binary() -> String {
    "utf8mb4_nopad_bin".into()
}
fn default_nocase() -> String {
    "utf8mb4_general_nopad_ci".into()
}
fn default_rtrim() -> String {
    "utf8mb4_bin".into()
}

impl Default for CollationSettings {
    fn default() -> Self {
        CollationSettings { binary: default_binary(), nocase: default_nocase(), rtrim: default_rtrim() }
    }
}

/// Everything that differs between target engines when writing DDL.
pub trait SqlDialect: Sync {
    fn dialect(&self) -> Dialect;

    /// Quote an identifier (always: names are kept exactly as in SQLite).
    fn quote(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn name_limit(&self) -> NameLimit;

    /// The schema-qualified name of a table.
    fn table_ref(&self, schema: Option<&str>, table: &str) -> String {
        match schema {
            Some(s) => format!("{}.{}", self.quote(s), self.quote(table)),
            None => self.quote(table),
        }
    }

    /// The engine's spelling of a neutral column type.
    fn render_type(&self, ty: &ColumnType) -> String;

    /// The column clause that makes an integer primary key generate its own values.
    fn identity_column(&self, column: &str, ty: &ColumnType) -> String;

    /// A string literal.
    fn string_literal(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// A literal of a converted value, for DEFAULT clauses.
    fn literal(&self, v: &Value) -> String {
        standard_literal(v, &|s| self.string_literal(s))
    }

    /// The DEFAULT expression for SQLite's CURRENT_TIMESTAMP / CURRENT_DATE / CURRENT_TIME
    /// on a column of this type (SQLite's are UTC), or None when the engine cannot express it.
    fn current_default(&self, keyword: &str, ty: &ColumnType) -> Option<String>;

    /// The COLLATE clause for a text column, if the engine needs one.
    fn collation(&self, c: &Collation, settings: &CollationSettings) -> Option<String>;

    /// Statement that sets the next generated value of an identity column.
    fn reset_identity(&self, table_ref: &str, column: &str, next: i64) -> Option<String>;

    /// Table options appended after the column list.
    fn table_options(&self) -> &'static str {
        ""
    }

    /// True when foreign keys must be declared inside CREATE TABLE (SQLite cannot add them later).
    fn inline_foreign_keys(&self) -> bool {
        false
    }

    /// True when the engine can index a column of this neutral type without a prefix length.
    fn indexable(&self, _ty: &ColumnType) -> bool {
        true
    }

    fn supports_partial_indexes(&self) -> bool {
        true
    }

    fn supports_expression_indexes(&self) -> bool {
        true
    }

    /// Statements every session runs before cutover's own (strictness, encoding).
    fn session_setup(&self) -> &'static [&'static str] {
        &[]
    }

    /// ON DELETE / ON UPDATE actions the engine supports, as SQLite spells them.
    fn supports_fk_action(&self, _action: &str) -> bool {
        true
    }

    /// The statement that turns the session's foreign-key checks off (`on` = false) or
    /// back on, for an engine that validates a new foreign key only by copying the whole
    /// table (MariaDB): cutover checks orphans itself, then adds keys with checks off.
    /// None: the engine validates keys itself when they are added.
    fn foreign_key_checks_sql(&self, _on: bool) -> Option<&'static str> {
        None
    }

    /// Session settings before values are read back as text for `verify` (PostgreSQL:
    /// shortest round-trip doubles, ISO dates, hex bytea).
    fn readback_session_setup(&self) -> &'static [&'static str] {
        &[]
    }

    /// The type to CAST any expression to so that it reads as text.
    fn text_cast(&self) -> &'static str {
        "TEXT"
    }

    /// The type to CAST an integer expression to so that it reads as a 64-bit integer.
    fn bigint_cast(&self) -> &'static str {
        "BIGINT"
    }

    /// A boolean literal for a flag column (1 / 0 where the flag is an integer type).
    fn bool_literal(&self, b: bool) -> &'static str {
        if b {
            "1"
        } else {
            "0"
        }
    }

    /// True when DDL runs inside a transaction that a rollback takes back (MariaDB
    /// commits each DDL statement itself).
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// The statement that drops an index of a table.
    fn drop_index_sql(&self, schema: Option<&str>, _table: &str, index: &str) -> String {
        format!("DROP INDEX {}", self.table_ref(schema, index))
    }

    /// The queries (count of installed, count of available) for an extension, on an
    /// engine that has extensions (PostgreSQL); None elsewhere.
    fn extension_sql(&self, _name: &str) -> Option<(String, String)> {
        None
    }

    /// The schema tables go into when none is given (PostgreSQL: `public`); None for an
    /// engine without schemas inside a database.
    fn default_schema(&self) -> Option<&'static str> {
        None
    }

    /// True when index names share one namespace with tables and views (PostgreSQL).
    fn index_names_share_relations(&self) -> bool {
        false
    }

    /// True when index names need only be unique per table (MariaDB).
    fn index_names_per_table(&self) -> bool {
        false
    }

    /// True when one ALTER TABLE adds all indexes (or all foreign keys) of a table in one
    /// pass over it, cheaper than one statement each (MariaDB).
    fn groups_alter_table(&self) -> bool {
        false
    }

    /// True when foreign keys can be DEFERRABLE INITIALLY DEFERRED.
    fn supports_deferrable_fks(&self) -> bool {
        true
    }

    /// True when only AUTOINCREMENT tables keep a counter (SQLite hands out max(rowid) + 1).
    fn counter_only_for_autoincrement(&self) -> bool {
        false
    }

    /// True when the engine checks existing rows when a foreign key is created (SQLite
    /// does not: an orphan would go in silently, so lint only warns there).
    fn validates_keys_when_added(&self) -> bool {
        true
    }

    /// True when the target's text collations fold case or accents, so that unique keys
    /// distinct in SQLite may collide (MariaDB's utf8mb4 collations).
    fn folding_collations(&self) -> bool {
        false
    }

    /// True when quoted identifiers keep their case, so names compare exactly (PostgreSQL).
    fn case_sensitive_identifiers(&self) -> bool {
        false
    }

    /// True when booleans are their own type that does not compare with 0 / 1 (PostgreSQL).
    fn strict_booleans(&self) -> bool {
        false
    }

    /// The server's usual port; None for an engine that is a file (SQLite).
    fn default_port(&self) -> Option<u16> {
        None
    }

    /// True when a URL without a database means the database named like the user (libpq).
    fn default_database_is_user(&self) -> bool {
        false
    }

    /// The product name in messages (`PostgreSQL`, `MariaDB`, `SQLite`).
    fn product(&self) -> &'static str;

    /// The timestamps a column of this engine stores.
    fn timestamp_range(&self) -> StoredRange {
        SQLITE_RANGE
    }

    /// The dates a column of this engine stores.
    fn date_range(&self) -> StoredRange {
        SQLITE_RANGE
    }

    /// True when text may hold U+0000 (PostgreSQL's may not).
    fn text_allows_nul(&self) -> bool {
        true
    }

    /// True when a double column stores NaN and infinities (MariaDB's does not).
    fn stores_non_finite_doubles(&self) -> bool {
        true
    }

    /// True when a DECIMAL without (p,s) must be given a size from the data (MariaDB's
    /// default would be DECIMAL(10,0) and round).
    fn sizes_unbounded_decimals(&self) -> bool {
        false
    }

    /// True when SQLite's NOCASE and RTRIM collations have a built-in equivalent.
    fn has_nocase_collation(&self) -> bool {
        true
    }

    /// True when text and blob key parts need a prefix length (MariaDB).
    fn needs_key_prefixes(&self) -> bool {
        false
    }

    /// Whether a foreign key from a child column of type `child` may reference a parent
    /// column of type `parent` (equal types, or text to text, by default).
    fn fk_types_compatible(&self, child: &ColumnType, parent: &ColumnType) -> bool {
        use ColumnType::*;
        match (child, parent) {
            (a, b) if a == b => true,
            (a, b) if a.is_string() && b.is_string() => true,
            (Integer { .. }, Integer { .. }) => true,
            (Decimal { .. }, Decimal { .. }) | (Timestamp { .. }, Timestamp { .. }) => true,
            _ => false,
        }
    }

    /// The column definition of an identity (rowid alias) column of the planned integer
    /// type in CREATE TABLE, given whether the source declared AUTOINCREMENT, and whether
    /// it is the primary key by itself (then no separate PRIMARY KEY clause follows).
    fn identity_definition(&self, column: &str, ty: &ColumnType, _autoincrement: bool) -> (String, bool) {
        (self.identity_column(column, ty), false)
    }

    /// The identity column's spelling in the type-mapping table of the docs.
    fn identity_spelling(&self) -> &'static str;

    /// Table options for a source table declared WITHOUT ROWID.
    fn without_rowid_option(&self) -> &'static str {
        ""
    }

    /// True when adding a foreign key locks only its child and parent tables, so keys
    /// that share no table may be added at the same time (PostgreSQL). MariaDB's ALTER
    /// TABLE may also lock the tables of the keys already there: one at a time there.
    fn foreign_keys_lock_only_their_tables(&self) -> bool {
        false
    }

    /// True when the engine takes one writer at a time (the embedded SQLite file).
    fn single_writer(&self) -> bool {
        false
    }

    // Reading the catalog: each engine's own SQL, in its folder's `catalog.rs`.

    /// `SELECT count(*)` of tables named `table` in the schema (0 or 1).
    fn table_exists_sql(&self, schema: Option<&str>, table: &str) -> String;
    /// One text column: the base tables of the schema, by name.
    fn tables_sql(&self, schema: Option<&str>) -> String;
    /// One text column: the primary key columns of a table, in key order.
    fn primary_key_sql(&self, schema: Option<&str>, table: &str) -> String;
    /// (table, columns joined by `sep`) of every foreign key of the schema.
    fn foreign_keys_sql(&self, schema: Option<&str>, sep: char) -> String;
    /// (table, index, columns joined by `sep`) of every index of the schema.
    fn indexes_sql(&self, schema: Option<&str>, sep: char) -> String;
    /// (child table, parent table) of every foreign key of the schema whose parent is `table`.
    fn referencing_sql(&self, schema: Option<&str>, table: &str) -> String;
    /// The statements that drop these tables (qualified names, children first), whose
    /// foreign keys point only among them (`--restart` checked that): one `DROP TABLE`
    /// by default, which the engine resolves among the tables it names.
    fn drop_tables_sql(&self, table_refs: &[String]) -> Vec<String> {
        vec![format!("DROP TABLE {}", table_refs.join(", "))]
    }
    /// `SELECT count(*)` of the catalog entries of a planned object (None for counters,
    /// which are read through the connection).
    fn object_exists_sql(&self, schema: Option<&str>, object: &PlannedObject) -> Option<String>;
    /// The neutral type of a type as the catalog prints it (existing mode); None when
    /// cutover cannot write it exactly yet.
    fn neutral_type(&self, catalog_type: &str) -> Option<ColumnType>;
    /// Fractional-second digits a column of this catalog type keeps.
    fn fraction_digits(&self, _catalog_type: &str) -> u32 {
        6
    }
    /// (index name, columns joined by `sep`) of every unique key of one table (the primary
    /// key too), leaving out partial and expression indexes. None by default: the
    /// embedded SQLite target is not checked this way.
    fn unique_keys_sql(&self, _schema: Option<&str>, _table: &str, _sep: char) -> String {
        "SELECT NULL, NULL WHERE 1 = 0".into()
    }
    /// (constraint name, CHECK expression, the columns it reads joined by `sep` or NULL
    /// when the catalog does not say) of every CHECK constraint of one table.
    fn checks_sql(&self, _schema: Option<&str>, _table: &str, _sep: char) -> String {
        "SELECT NULL, NULL, NULL WHERE 1 = 0".into()
    }
    /// (constraint name, columns joined by `sep`, parent table, parent columns joined by
    /// `sep`) of every foreign key of one table, in key order.
    fn foreign_keys_of_sql(&self, _schema: Option<&str>, _table: &str, _sep: char) -> String {
        "SELECT NULL, NULL, NULL, NULL WHERE 1 = 0".into()
    }
    /// The bare boolean expression of a CHECK constraint as `checks_sql` returns it.
    fn check_expression(&self, clause: &str) -> String {
        clause.to_string()
    }
    /// (CREATE, DROP) of a temporary table `temp` with a BIGINT `cutover_row` column and
    /// `columns` as the target table `table_ref` defines them (type, collation), no rows.
    fn temp_copy_sql(&self, table_ref: &str, temp: &str, columns: &[String]) -> (String, String) {
        let cols = columns.iter().map(|c| self.quote(c)).collect::<Vec<_>>().join(", ");
        let t = self.quote(temp);
        (
            format!("CREATE TEMPORARY TABLE {t} AS SELECT CAST(NULL AS BIGINT) AS cutover_row, {cols} FROM {table_ref} WHERE 1 = 0"),
            format!("DROP TABLE IF EXISTS {t}"),
        )
    }
    /// True when a plan may create a column of this type (the PostgreSQL-only types are
    /// refused for another engine; enums and sets come only from an existing catalog).
    fn creates(&self, ty: &ColumnType) -> bool {
        default_creates(ty)
    }

    /// A planned enum column (`type = "enum"` with its labels): the column's type as the
    /// engine spells it, and the statement that creates the type first where the engine
    /// needs one (PostgreSQL's `CREATE TYPE`). None where the engine has no enum.
    fn enum_type(&self, _schema: Option<&str>, _name: &str, _labels: &[String]) -> Option<(String, Option<String>)> {
        None
    }

    /// True when a UNIQUE constraint and a unique index are different catalog objects
    /// (PostgreSQL), so a source constraint is added as a constraint.
    fn unique_constraints(&self) -> bool {
        false
    }

    /// What to do when rows collide under a unique key of an existing target.
    fn collision_hint(&self) -> &'static str {
        "the target compares these values as equal (its column's collation or type): change the column in the application's migration, or fix the rows in the source"
    }
    /// How to widen a date/time column that keeps fewer fractional digits.
    fn widen_fraction_hint(&self) -> &'static str {
        "widen the column to keep microseconds"
    }
    /// A limit of a catalog type that its neutral type does not carry (byte lengths,
    /// MariaDB's TIMESTAMP range), checked value by value before anything is written.
    fn value_limit(&self, _catalog_type: &str) -> ValueLimit {
        ValueLimit::None
    }
    /// Why a catalog type that `neutral_type` refuses is refused, and what to do instead,
    /// when there is more to say than "not supported".
    fn unsupported_because(&self, _catalog_type: &str) -> Option<&'static str> {
        None
    }
}

/// A limit of an existing target column beyond its neutral type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueLimit {
    #[default]
    None,
    /// At most this many bytes (MariaDB TEXT and BLOB types, VARBINARY(n)).
    MaxBytes(u64),
    /// Exactly this many bytes (MariaDB BINARY(n), which pads a shorter value with zeros).
    ExactBytes(u64),
    /// MariaDB TIMESTAMP: 1970-01-01 00:00:01 to 2038-01-19 03:14:07.999999 UTC.
    UnixTimestamp,
}

/// The types every engine's plan may create (see `SqlDialect::creates`).
pub(crate) fn default_creates(ty: &ColumnType) -> bool {
    !matches!(
        ty,
        ColumnType::Interval
            | ColumnType::Inet
            | ColumnType::Cidr
            | ColumnType::Macaddr
            | ColumnType::TimeTz
            | ColumnType::Enum
            | ColumnType::Set
            | ColumnType::Inet4
            | ColumnType::Inet6
            | ColumnType::Year
            | ColumnType::Bit
            | ColumnType::Array { .. }
    )
}

/// An interval in ISO 8601 (`P1M2DT3.000004S`), as PostgreSQL reads it back.
pub fn interval_iso(v: &Value) -> String {
    let Value::Interval { months, days, micros } = v else { return String::new() };
    let secs = micros / 1_000_000;
    let frac = (micros % 1_000_000).abs();
    let sign = if *micros < 0 && secs == 0 { "-" } else { "" };
    format!("P{months}M{days}DT{sign}{secs}.{frac:06}S")
}

/// An array's elements as plain text, each as `element` says (None for NULL).
fn array_elements(v: &Value) -> Vec<Option<String>> {
    let Value::Array(items) = v else { return Vec::new() };
    items
        .iter()
        .map(|e| match e {
            Value::Null => None,
            Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format!("{f:?}")),
            Value::Decimal(d) => Some(d.to_string()),
            Value::Text(s) | Value::Json(s) => Some(s.clone()),
            Value::Uuid(u) => Some(format_uuid(*u)),
            other => Some(standard_literal(other, &|s| s.to_string())),
        })
        .collect()
}

/// An array in PostgreSQL's text form, every element quoted: `{"1","a \"b\"",NULL}`.
pub fn array_pg_text(v: &Value) -> String {
    let parts: Vec<String> = array_elements(v)
        .into_iter()
        .map(|e| match e {
            None => "NULL".to_string(),
            Some(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// An array as JSON text (numbers and booleans bare, the rest as strings).
pub fn array_json(v: &Value) -> String {
    let Value::Array(items) = v else { return String::new() };
    let parts: Vec<String> = items
        .iter()
        .zip(array_elements(v))
        .map(|(item, text)| match (item, text) {
            (_, None) => "null".to_string(),
            (Value::Bool(_) | Value::Int(_) | Value::Decimal(_), Some(t)) => t,
            (Value::Float(f), Some(t)) if f.is_finite() => t,
            (_, Some(t)) => serde_json::to_string(&t).unwrap_or_default(),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

/// The SQL-standard spelling of a value, with the engine's own string literals.
pub fn standard_literal(v: &Value, string: &dyn Fn(&str) -> String) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_finite() => format!("{f:?}"),
        Value::Float(f) => string(&f.to_string()),
        Value::Decimal(d) => d.to_string(),
        Value::Text(s) | Value::Json(s) => string(s),
        Value::Bytes(b) => format!("X'{}'", hex(b)),
        Value::Timestamp(t) => string(&t.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
        Value::TimestampTz(t) => string(&t.format("%Y-%m-%d %H:%M:%S%.f+00:00").to_string()),
        Value::Date(d) => string(&d.format("%Y-%m-%d").to_string()),
        Value::Time(t) => string(&t.format("%H:%M:%S%.f").to_string()),
        Value::Uuid(u) => string(&format_uuid(*u)),
        Value::Interval { .. } => string(&interval_iso(v)),
        Value::Array(_) => string(&array_pg_text(v)),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn format_uuid(u: u128) -> String {
    let h = format!("{u:032x}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_quotes_hostile_names() {
        let hostile = "we\"ird `name` [x] 'y'";
        assert_eq!(Dialect::Postgres.engine().quote(hostile), "\"we\"\"ird `name` [x] 'y'\"");
        assert_eq!(Dialect::MariaDb.engine().quote(hostile), "`we\"ird ``name`` [x] 'y'`");
        assert_eq!(Dialect::Sqlite.engine().quote(hostile), "\"we\"\"ird `name` [x] 'y'\"");
    }

    #[test]
    fn mariadb_string_literals_escape_backslashes() {
        assert_eq!(Dialect::MariaDb.engine().string_literal("a\\'b"), "'a\\\\''b'");
        assert_eq!(Dialect::Postgres.engine().string_literal("a\\'b"), "'a\\''b'");
    }

    #[test]
    fn uuid_format() {
        assert_eq!(format_uuid(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef), "01234567-89ab-cdef-0123-456789abcdef");
    }
}
