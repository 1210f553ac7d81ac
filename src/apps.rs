//! Application frameworks in create mode: which one built the SQLite file (from its
//! bookkeeping tables, or `app = "…"` in cutover.toml), and the column conventions that
//! give the application the types it expects on the target, each a rule with an id that
//! `plan` shows and a column override in cutover.toml replaces.
//!
//! What the SQLite file cannot say stays an assumption stated in the plan, never a silent
//! guess: a Django `bigint` may be a DurationField (`type = "interval"` says so), and a
//! `decimal` has lost its scale to SQLite's NUMERIC affinity.

use crate::schema::{Column, SourceSchema, Table};
use crate::target::Dialect;
use crate::types::{ColumnType, IntWidth};

/// A framework whose conventions cutover knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    Django,
    Sqlalchemy,
    Rails,
    Laravel,
}

impl App {
    pub fn name(self) -> &'static str {
        match self {
            App::Django => "django",
            App::Sqlalchemy => "sqlalchemy",
            App::Rails => "rails",
            App::Laravel => "laravel",
        }
    }
}

/// The framework of a source, and why cutover thinks so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub app: Option<App>,
    pub why: String,
}

/// `app = "django" | "sqlalchemy" | "rails" | "laravel" | "none"` from the config wins;
/// else the bookkeeping tables decide.
pub fn detect(schema: &SourceSchema, configured: Option<&str>) -> Result<Detected, String> {
    if let Some(name) = configured {
        let app = match name {
            "django" => Some(App::Django),
            "sqlalchemy" => Some(App::Sqlalchemy),
            "rails" => Some(App::Rails),
            "laravel" => Some(App::Laravel),
            "none" => None,
            other => {
                return Err(format!(
                    "app = {other:?} in cutover.toml is not a framework cutover knows; use django, sqlalchemy, rails, laravel or none"
                ))
            }
        };
        return Ok(Detected { app, why: format!("app = \"{name}\" in cutover.toml") });
    }
    let has = |name: &str| schema.table(name).is_some();
    let laravel_migrations =
        schema.table("migrations").is_some_and(|t| t.column("migration").is_some() && t.column("batch").is_some());
    let found = if has("django_migrations") && has("django_content_type") {
        Some((App::Django, "tables django_migrations and django_content_type"))
    } else if has("alembic_version") {
        Some((App::Sqlalchemy, "table alembic_version, Alembic's bookkeeping"))
    } else if has("schema_migrations") && has("ar_internal_metadata") {
        Some((App::Rails, "tables schema_migrations and ar_internal_metadata"))
    } else if laravel_migrations {
        Some((App::Laravel, "table migrations with columns migration and batch"))
    } else {
        None
    };
    Ok(match found {
        Some((app, why)) => Detected { app: Some(app), why: why.to_string() },
        None => Detected { app: None, why: "no framework's bookkeeping tables".into() },
    })
}

/// A convention's choice for one column: the type, the rule id, and why.
pub struct Convention {
    pub ty: ColumnType,
    pub rule: &'static str,
    pub reason: String,
    /// The engine's spelling where it is not the type's usual one (PostgreSQL `json`,
    /// MariaDB `TEXT` and `BLOB`: what SQLAlchemy writes).
    pub spelling: Option<&'static str>,
}

impl Convention {
    fn new(ty: ColumnType, rule: &'static str, reason: impl Into<String>) -> Self {
        Convention { ty, rule, reason: reason.into(), spelling: None }
    }
}

fn declared(c: &Column) -> (String, Vec<u32>) {
    (crate::mapping::base_name(&c.declared_type), crate::types::type_args(&c.declared_type))
}

/// Every non-NULL value of the column is a UUID's text (32 hex digits or 8-4-4-4-12).
fn holds_uuids(c: &Column) -> bool {
    c.stats.uuid_texts == c.stats.non_null()
}

/// True when the table's CHECK constraints call json_valid() on this column.
fn json_checked(t: &Table, c: &Column) -> bool {
    let name = c.name.to_ascii_lowercase();
    t.check_constraints.iter().any(|check| {
        let lower = check.to_ascii_lowercase().replace(['"', '`', '[', ']', ' '], "");
        lower.contains(&format!("json_valid({name})"))
    })
}

/// The framework's convention for a column, when one applies. The rowid column (`is_alias`)
/// keeps its identity; only SQLAlchemy's `Integer` narrows it.
pub fn convention(
    app: Option<App>,
    t: &Table,
    c: &Column,
    current: &ColumnType,
    is_alias: bool,
    dialect: Dialect,
) -> Option<Convention> {
    let (base, args) = declared(c);
    if is_alias {
        return (app == Some(App::Sqlalchemy) && base == "INTEGER" && alias_fits_i32(t)).then(|| {
            Convention::new(
                ColumnType::Integer { width: IntWidth::I32, unsigned: false },
                "sqlalchemy_integer",
                "INTEGER PRIMARY KEY: SQLAlchemy writes INTEGER for an Integer key, and every id (and the table's counter) fits: integer (assumed; see the note)",
            )
        });
    }
    if json_checked(t, c) && current.is_string() {
        return Some(Convention::new(
            ColumnType::Json,
            "app_json_valid",
            format!("{}: CHECK (json_valid({})) marks a JSON column", c.declared_type, c.name),
        ));
    }
    let uuid_sized = |n: u32| matches!(base.as_str(), "CHAR" | "VARCHAR" | "CHARACTER") && args == [n];
    match app? {
        App::Django => {
            if uuid_sized(32) && holds_uuids(c) {
                return Some(Convention::new(
                    ColumnType::Uuid,
                    "django_uuid",
                    format!("{}: Django keeps a UUIDField as 32 hex digits; every value is one", c.declared_type),
                ));
            }
            if uuid_sized(39) && c.stats.ip_texts == c.stats.non_null() {
                return Some(Convention::new(
                    ColumnType::Inet,
                    "django_inet",
                    format!(
                        "{}: Django keeps a GenericIPAddressField as char(39) on SQLite and inet on PostgreSQL; every value is an address",
                        c.declared_type
                    ),
                ));
            }
            if base == "DATETIME" && matches!(current, ColumnType::Timestamp { .. }) {
                return Some(Convention::new(
                    ColumnType::Timestamp { tz: true },
                    "django_datetime",
                    format!(
                        "{}: Django with USE_TZ = True (its default) stores UTC: timestamptz (assumed; set type = \"timestamp\" in cutover.toml when the project has USE_TZ = False)",
                        c.declared_type
                    ),
                ));
            }
        }
        App::Sqlalchemy => return sqlalchemy(c, &base, current, dialect, uuid_sized(32)),
        App::Rails => {
            let idish = c.name == "id" || c.name.ends_with("_id");
            if (uuid_sized(36) || base == "UUID") && idish && holds_uuids(c) && c.stats.non_null() > 0 {
                return Some(Convention::new(
                    ColumnType::Uuid,
                    "rails_uuid",
                    format!("{}: a Rails uuid key stored as text; every value is one", c.declared_type),
                ));
            }
        }
        App::Laravel => {
            // Laravel's MySQL grammar writes DATETIME and TIMESTAMP without fractions, and
            // Eloquent parses 'Y-m-d H:i:s': a DATETIME(6) prints `.000000` it cannot read.
            if base == "DATETIME"
                && dialect == Dialect::MariaDb
                && *current == (ColumnType::Timestamp { tz: false })
                && c.stats.texts_with_fraction == 0
                && c.stats.texts_with_offset == 0
                && c.stats.texts == c.stats.non_null()
            {
                return Some(Convention {
                    spelling: Some("DATETIME"),
                    ..Convention::new(
                        ColumnType::Timestamp { tz: false },
                        "laravel_datetime",
                        "datetime: Laravel's timestamps and dateTime are whole seconds on MariaDB (Eloquent reads 'Y-m-d H:i:s'), and no value has a fraction: DATETIME",
                    )
                });
            }
            if base == "TINYINT"
                && args == [1]
                && c.stats.min_integer.unwrap_or(0) >= 0
                && c.stats.max_integer.unwrap_or(0) <= 1
            {
                return Some(Convention::new(
                    ColumnType::Boolean,
                    "laravel_boolean",
                    "tinyint(1): Laravel's boolean; every value is 0 or 1",
                ));
            }
            if uuid_sized(36) && holds_uuids(c) && c.stats.non_null() > 0 {
                return Some(Convention::new(
                    ColumnType::Uuid,
                    "laravel_uuid",
                    format!("{}: Laravel's uuid(); every value is one", c.declared_type),
                ));
            }
        }
    }
    None
}

/// Every rowid and the AUTOINCREMENT counter fit a 32-bit integer.
fn alias_fits_i32(t: &Table) -> bool {
    let fits = |v: Option<i64>| v.is_none_or(|v| i32::try_from(v).is_ok());
    fits(t.min_rowid) && fits(t.max_rowid) && fits(t.sequence)
}

/// Every value is an integer in `min..=max` (an empty column fits).
fn integers_within(c: &Column, min: i64, max: i64) -> bool {
    let s = &c.stats;
    s.reals == 0
        && s.texts == 0
        && s.blobs == 0
        && s.min_integer.is_none_or(|v| v >= min)
        && s.max_integer.is_none_or(|v| v <= max)
}

/// SQLAlchemy's types as its SQLite dialect wrote them, given the types its PostgreSQL and
/// MariaDB dialects write, so that `alembic check` finds the model's types on the target.
fn sqlalchemy(c: &Column, base: &str, current: &ColumnType, dialect: Dialect, char32: bool) -> Option<Convention> {
    let s = &c.stats;
    let mariadb = dialect == Dialect::MariaDb;
    if char32 && holds_uuids(c) {
        return Some(Convention::new(
            ColumnType::Uuid,
            "sqlalchemy_uuid",
            format!("{}: SQLAlchemy's Uuid on SQLite is CHAR(32) hex; every value is one", c.declared_type),
        ));
    }
    if base == "INTEGER" && *current == ColumnType::BIGINT && integers_within(c, i32::MIN.into(), i32::MAX.into()) {
        return Some(Convention::new(
            ColumnType::Integer { width: IntWidth::I32, unsigned: false },
            "sqlalchemy_integer",
            "INTEGER: SQLAlchemy writes INTEGER for Integer (BIGINT for BigInteger), and every value fits: integer, so `alembic check` sees the model's type",
        ));
    }
    if base == "SMALLINT" && integers_within(c, i16::MIN.into(), i16::MAX.into()) {
        return Some(Convention::new(
            ColumnType::Integer { width: IntWidth::I16, unsigned: false },
            "sqlalchemy_smallint",
            "SMALLINT: SQLAlchemy's SmallInteger, and every value fits: smallint",
        ));
    }
    if base == "JSON" && matches!(current, ColumnType::Json) && dialect == Dialect::Postgres {
        return Some(Convention {
            spelling: Some("json"),
            ..Convention::new(
                ColumnType::Json,
                "sqlalchemy_json",
                "JSON: SQLAlchemy's JSON is json on PostgreSQL (JSONB is its own type): json, the text kept as written",
            )
        });
    }
    if !mariadb {
        return None;
    }
    // MariaDB: SQLAlchemy's Float is FLOAT (4 bytes), Text TEXT and LargeBinary BLOB
    // (65,535 bytes); cutover's own choices (DOUBLE, LONGTEXT, LONGBLOB) hold more.
    if base == "FLOAT" && *current == ColumnType::Double && s.float4_inexact == Some(0) {
        return Some(Convention::new(
            ColumnType::Float4,
            "sqlalchemy_float",
            "FLOAT: SQLAlchemy's Float is a 4-byte FLOAT on MariaDB, and every value survives one exactly",
        ));
    }
    let small = s.max_bytes.is_some_and(|n| n <= 65_535);
    if base == "TEXT" && *current == ColumnType::Text && small {
        return Some(Convention {
            spelling: Some("TEXT"),
            ..Convention::new(
                ColumnType::Text,
                "sqlalchemy_text",
                "TEXT: SQLAlchemy's Text is TEXT on MariaDB, and every value fits its 65,535 bytes",
            )
        });
    }
    if base == "BLOB" && *current == ColumnType::Bytes && small {
        return Some(Convention {
            spelling: Some("BLOB"),
            ..Convention::new(
                ColumnType::Bytes,
                "sqlalchemy_blob",
                "BLOB: SQLAlchemy's LargeBinary is BLOB on MariaDB, and every value fits its 65,535 bytes",
            )
        });
    }
    None
}

/// Something the SQLite file of a framework cannot say about a column: what was assumed
/// and the override, the same words for every column it applies to (`plan` lists the
/// columns under one note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumption {
    pub column: String,
    pub text: &'static str,
}

const DJANGO_DURATION: &str = "Django stores a DurationField and a BigIntegerField alike as bigint (microseconds for a duration): planned as bigint; for a DurationField set type = \"interval\" in cutover.toml";
const DJANGO_DECIMAL_PG: &str = "Django's decimal_places is not in the SQLite file (its NUMERIC affinity dropped trailing zeros): planned as numeric without a scale; set type = \"decimal(p,s)\" from the model's max_digits and decimal_places, or move the data in existing mode (the app's migrations carry the scale)";
const DJANGO_DECIMAL_MARIADB: &str = "Django's decimal_places is not in the SQLite file (its NUMERIC affinity dropped trailing zeros): sized from the digits the values hold; set type = \"decimal(p,s)\" from the model's max_digits and decimal_places, or move the data in existing mode (the app's migrations carry the scale)";
const LARAVEL_DECIMAL: &str = "Laravel's SQLite grammar writes decimal(p, s) as a bare numeric, so the precision and scale are not in the file: planned without them (PostgreSQL numeric; MariaDB sized from the digits the values hold); set type = \"decimal(p,s)\" from the migration's decimal('column', p, s)";
const SQLALCHEMY_KEY: &str = "SQLAlchemy writes INTEGER PRIMARY KEY for an Integer key, and for a BigInteger key given an Integer variant on SQLite (the usual way to keep SQLite's rowid): planned as integer; for a key the model declares BigInteger set type = \"bigint\" in cutover.toml (the foreign keys to it follow)";
const SQLALCHEMY_DATETIME: &str = "SQLAlchemy stores DateTime, DateTime(timezone=True) and Interval alike as DATETIME on SQLite: planned as timestamp; set type = \"timestamptz\" for a DateTime(timezone=True), type = \"interval\" for an Interval";
const SQLALCHEMY_UUID_MARIADB: &str = "SQLAlchemy 2.1 keeps a Uuid in MariaDB's UUID, 2.0 in CHAR(32): planned as UUID; with SQLAlchemy 2.0 set type = \"char(32)\" for each, and for the columns that refer to them";

/// What the SQLite file of this framework cannot say about a table's columns.
pub fn assumptions(app: Option<App>, t: &Table, dialect: Dialect) -> Vec<Assumption> {
    let mut out = Vec::new();
    let postgres = dialect == Dialect::Postgres;
    let in_key = |c: &Column| {
        t.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name))
            || t.foreign_keys.iter().any(|f| f.columns.contains(&c.name))
    };
    let alias = t.rowid_alias().map(|c| c.name.clone());
    for c in &t.columns {
        let (base, args) = declared(c);
        let text = match app {
            // On MariaDB Django's DurationField is a BIGINT too: nothing to assume there.
            Some(App::Django) if base == "BIGINT" && !in_key(c) && postgres => DJANGO_DURATION,
            Some(App::Django) if base == "DECIMAL" && args.is_empty() && postgres => DJANGO_DECIMAL_PG,
            Some(App::Django) if base == "DECIMAL" && args.is_empty() => DJANGO_DECIMAL_MARIADB,
            Some(App::Laravel) if base == "NUMERIC" && args.is_empty() => LARAVEL_DECIMAL,
            Some(App::Sqlalchemy)
                if alias.as_deref() == Some(c.name.as_str()) && base == "INTEGER" && alias_fits_i32(t) =>
            {
                SQLALCHEMY_KEY
            }
            Some(App::Sqlalchemy) if base == "DATETIME" && postgres => SQLALCHEMY_DATETIME,
            Some(App::Sqlalchemy)
                if !postgres
                    && matches!(base.as_str(), "CHAR" | "VARCHAR" | "CHARACTER")
                    && args == [32]
                    && holds_uuids(c) =>
            {
                SQLALCHEMY_UUID_MARIADB
            }
            _ => continue,
        };
        out.push(Assumption { column: c.name.clone(), text });
    }
    out
}
