//! The engine-neutral model of a SQLite database's schema, as the source reader found it.
//!
//! Everything cutover knows about the source lives here: tables with their columns,
//! keys, indexes and foreign keys, the per-column statistics that data-dependent type
//! decisions read, and the objects that do not migrate (views are re-created best
//! effort; triggers and virtual tables are reported). The planner reads this model;
//! nothing here talks to a database.

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourceSchema {
    /// Ordinary tables, in the order SQLite lists them (by name).
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub triggers: Vec<Trigger>,
    /// Virtual tables (FTS, R*Tree, ...) with their shadow tables; left out of a migration.
    pub virtual_tables: Vec<VirtualTable>,
    /// SQLite library version that read the file.
    pub sqlite_version: String,
    /// Identifies the snapshot that was read: changes when the file's content changes.
    pub fingerprint: String,
}

impl SourceSchema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub without_rowid: bool,
    pub strict: bool,
    /// Unique constraints and indexes (not the primary key's own automatic index).
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    /// CHECK constraints found in the CREATE TABLE text (not migrated; reported).
    pub check_constraints: Vec<String>,
    /// Named UNIQUE constraints (name, columns): the target keeps these names.
    pub named_uniques: Vec<(String, Vec<String>)>,
    /// Named FOREIGN KEY constraints (name, child columns): the target keeps these names.
    pub named_foreign_keys: Vec<(String, Vec<String>)>,
    /// The primary key's constraint name, when the source names it.
    pub named_primary_key: Option<String>,
    pub row_count: u64,
    /// Largest rowid (or integer primary key), when the table has rowids.
    pub max_rowid: Option<i64>,
    /// Smallest rowid (or integer primary key), when the table has rowids.
    pub min_rowid: Option<i64>,
    /// The table's counter in `sqlite_sequence` (AUTOINCREMENT tables).
    pub sequence: Option<i64>,
    /// The CREATE TABLE statement as SQLite stores it.
    pub sql: String,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The rowid alias column (`INTEGER PRIMARY KEY` in a rowid table), if any.
    pub fn rowid_alias(&self) -> Option<&Column> {
        let pk = self.primary_key.as_ref()?;
        if pk.rowid_alias {
            self.column(&pk.columns[0])
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Column {
    pub name: String,
    /// The declared type as written (`NVARCHAR(40)`, `integer auto_increment`, or empty).
    pub declared_type: String,
    pub not_null: bool,
    /// The DEFAULT expression as SQLite stores it (`'abc'`, `0`, `CURRENT_TIMESTAMP`, `(expr)`).
    pub default: Option<String>,
    pub collation: Collation,
    pub generated: Option<Generated>,
    pub stats: ColumnStats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Collation {
    Binary,
    Nocase,
    Rtrim,
    /// An application-defined collation (e.g. Anki's `unicase`).
    Other(String),
}

impl Collation {
    pub fn from_sqlite(name: &str) -> Collation {
        match name.to_ascii_uppercase().as_str() {
            "BINARY" => Collation::Binary,
            "NOCASE" => Collation::Nocase,
            "RTRIM" => Collation::Rtrim,
            _ => Collation::Other(name.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Generated {
    pub stored: bool,
    /// The generation expression, when it could be read from the CREATE TABLE text.
    pub expression: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PrimaryKey {
    pub columns: Vec<String>,
    /// `INTEGER PRIMARY KEY` in a rowid table: the column is the rowid.
    pub rowid_alias: bool,
    pub autoincrement: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// True when the index comes from a UNIQUE constraint in CREATE TABLE.
    pub constraint: bool,
    pub columns: Vec<IndexColumn>,
    /// The WHERE clause of a partial index.
    pub partial: Option<String>,
}

impl Index {
    pub fn has_expressions(&self) -> bool {
        self.columns.iter().any(|c| c.name.is_none())
    }

    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().filter_map(|c| c.name.as_deref()).collect()
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IndexColumn {
    /// The column, or None for an expression.
    pub name: Option<String>,
    /// The expression text, for expression indexes.
    pub expression: Option<String>,
    pub descending: bool,
    pub collation: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ForeignKey {
    /// SQLite's number of the constraint within its table.
    pub id: i64,
    pub columns: Vec<String>,
    pub parent_table: String,
    /// Parent columns; when the constraint names none, the parent's primary key.
    pub parent_columns: Vec<String>,
    pub on_update: String,
    pub on_delete: String,
    pub deferrable: bool,
}

impl ForeignKey {
    /// `child(cols) -> parent(cols)`, for messages.
    pub fn describe(&self, table: &str) -> String {
        format!("{}({}) -> {}({})", table, self.columns.join(", "), self.parent_table, self.parent_columns.join(", "))
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct View {
    pub name: String,
    pub sql: String,
    /// The view's column names as SQLite names them (`SELECT *` on the view).
    pub columns: Vec<String>,
    /// Why SQLite itself cannot run the view (an unknown function, a missing table), if so.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub sql: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VirtualTable {
    pub name: String,
    /// The module (`fts5`, `rtree`, ...).
    pub module: String,
    pub shadow_tables: Vec<String>,
}

/// What the data in one column looks like; read in one pass per table.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ColumnStats {
    pub nulls: u64,
    pub integers: u64,
    pub reals: u64,
    pub texts: u64,
    pub blobs: u64,
    /// REAL values with a fractional part.
    pub fractional_reals: u64,
    /// Longest TEXT value, in characters.
    pub max_text_chars: Option<u64>,
    pub min_integer: Option<i64>,
    pub max_integer: Option<i64>,
    /// TEXT values that end with a UTC offset or `Z` after a time (date/time columns only).
    pub texts_with_offset: u64,
    /// TEXT values with a fraction of a second after a time (date/time columns only).
    pub texts_with_fraction: u64,
    /// Digits before / after the decimal point of the widest value (NUMERIC columns only).
    pub max_integer_digits: Option<u32>,
    pub max_fraction_digits: Option<u32>,
    /// TEXT values that are a UUID's text: 32 hex digits, or 8-4-4-4-12.
    pub uuid_texts: u64,
    /// TEXT values that are an IPv4 or IPv6 address (CHAR(39) columns only).
    pub ip_texts: u64,
    /// Longest TEXT or BLOB value in bytes, and the values a 4-byte float would not keep
    /// (the float4 rule), for the FLOAT, SMALLINT, TEXT and BLOB columns of an Alembic
    /// database (None elsewhere: not read).
    pub max_bytes: Option<u64>,
    pub float4_inexact: Option<u64>,
}

impl ColumnStats {
    pub fn non_null(&self) -> u64 {
        self.integers + self.reals + self.texts + self.blobs
    }

    /// How many storage classes other than NULL the column holds.
    pub fn storage_classes(&self) -> usize {
        [self.integers, self.reals, self.texts, self.blobs].iter().filter(|n| **n > 0).count()
    }
}
