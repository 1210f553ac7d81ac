//! Application frameworks in create mode: which one built the SQLite file (from its
//! bookkeeping tables, or `app = "…"` in cutover.toml), and the column conventions that
//! give the application the types it expects on the target, each a rule with an id that
//! `plan` shows and a column override in cutover.toml replaces.
//!
//! What the SQLite file cannot say stays an assumption stated in the plan, never a silent
//! guess: a Django `bigint` may be a DurationField (`type = "interval"` says so), and a
//! `decimal` has lost its scale to SQLite's NUMERIC affinity.

use crate::schema::{Column, SourceSchema, Table};
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
        Some((App::Sqlalchemy, "table alembic_version (Alembic's migrations)"))
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

/// The framework's convention for a column, when one applies (the rowid column keeps its
/// identity rule).
pub fn convention(app: Option<App>, t: &Table, c: &Column, current: &ColumnType, is_alias: bool) -> Option<Convention> {
    if is_alias {
        return None;
    }
    let (base, args) = declared(c);
    if json_checked(t, c) && current.is_string() {
        return Some(Convention {
            ty: ColumnType::Json,
            rule: "app_json_valid",
            reason: format!("{}: CHECK (json_valid({})) marks a JSON column", c.declared_type, c.name),
        });
    }
    let uuid_sized = |n: u32| matches!(base.as_str(), "CHAR" | "VARCHAR" | "CHARACTER") && args == [n];
    let app = app?;
    match app {
        App::Django => {
            if uuid_sized(32) && holds_uuids(c) {
                return Some(Convention {
                    ty: ColumnType::Uuid,
                    rule: "django_uuid",
                    reason: format!(
                        "{}: Django keeps a UUIDField as 32 hex digits; every value is one",
                        c.declared_type
                    ),
                });
            }
            if uuid_sized(39) && c.stats.ip_texts == c.stats.non_null() {
                return Some(Convention {
                    ty: ColumnType::Inet,
                    rule: "django_inet",
                    reason: format!(
                        "{}: Django keeps a GenericIPAddressField as char(39) on SQLite and inet on PostgreSQL; every value is an address",
                        c.declared_type
                    ),
                });
            }
            if base == "DATETIME" && matches!(current, ColumnType::Timestamp { .. }) {
                return Some(Convention {
                    ty: ColumnType::Timestamp { tz: true },
                    rule: "django_datetime",
                    reason: format!(
                        "{}: Django with USE_TZ = True (its default) stores UTC: timestamptz (assumed; set type = \"timestamp\" in cutover.toml when the project has USE_TZ = False)",
                        c.declared_type
                    ),
                });
            }
        }
        App::Sqlalchemy => {
            if uuid_sized(32) && holds_uuids(c) {
                return Some(Convention {
                    ty: ColumnType::Uuid,
                    rule: "sqlalchemy_uuid",
                    reason: format!(
                        "{}: SQLAlchemy's Uuid on SQLite is CHAR(32) hex; every value is one",
                        c.declared_type
                    ),
                });
            }
            let fits_i32 = c.stats.min_integer.unwrap_or(0) >= i64::from(i32::MIN)
                && c.stats.max_integer.unwrap_or(0) <= i64::from(i32::MAX)
                && c.stats.reals == 0
                && c.stats.texts == 0;
            // Keys stay bigint: a foreign key needs the same type on both sides, and the
            // identity columns cutover creates are bigint.
            let in_key = t.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name))
                || t.foreign_keys.iter().any(|f| f.columns.contains(&c.name))
                || t.indexes.iter().any(|i| i.unique && i.column_names().contains(&c.name.as_str()));
            if base == "INTEGER" && *current == ColumnType::BIGINT && fits_i32 && !in_key {
                return Some(Convention {
                    ty: ColumnType::Integer { width: IntWidth::I32, unsigned: false },
                    rule: "sqlalchemy_integer",
                    reason: "INTEGER: SQLAlchemy writes INTEGER for Integer (BIGINT for BigInteger), and every value fits: integer, so `alembic check` sees the model's type".into(),
                });
            }
        }
        App::Rails => {
            let idish = c.name == "id" || c.name.ends_with("_id");
            if (uuid_sized(36) || base == "UUID") && idish && holds_uuids(c) && c.stats.non_null() > 0 {
                return Some(Convention {
                    ty: ColumnType::Uuid,
                    rule: "rails_uuid",
                    reason: format!("{}: a Rails uuid key stored as text; every value is one", c.declared_type),
                });
            }
        }
        App::Laravel => {
            if base == "TINYINT"
                && args == [1]
                && c.stats.min_integer.unwrap_or(0) >= 0
                && c.stats.max_integer.unwrap_or(0) <= 1
            {
                return Some(Convention {
                    ty: ColumnType::Boolean,
                    rule: "laravel_boolean",
                    reason: "tinyint(1): Laravel's boolean; every value is 0 or 1".into(),
                });
            }
            if uuid_sized(36) && holds_uuids(c) && c.stats.non_null() > 0 {
                return Some(Convention {
                    ty: ColumnType::Uuid,
                    rule: "laravel_uuid",
                    reason: format!("{}: Laravel's uuid(); every value is one", c.declared_type),
                });
            }
        }
    }
    None
}

/// What the SQLite file of this framework cannot say about a table's columns, as
/// (column, message) for the plan's notes: each says what was assumed and the override.
pub fn assumptions(app: Option<App>, t: &Table) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if app != Some(App::Django) {
        return out;
    }
    let in_key = |c: &Column| {
        t.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name))
            || t.foreign_keys.iter().any(|f| f.columns.contains(&c.name))
    };
    for c in &t.columns {
        let (base, args) = declared(c);
        if base == "BIGINT" && !in_key(c) {
            out.push((
                c.name.clone(),
                format!(
                    "Django stores a DurationField and a BigIntegerField alike as bigint (microseconds for a duration): planned as bigint; if {}.{} is a DurationField, set type = \"interval\" for it in cutover.toml (PostgreSQL)",
                    t.name, c.name
                ),
            ));
        }
        if base == "DECIMAL" && args.is_empty() {
            out.push((
                c.name.clone(),
                format!(
                    "Django's decimal_places is not in the SQLite file (its NUMERIC affinity dropped trailing zeros): {}.{} is planned without a scale; set type = \"decimal(p,s)\" from the model's max_digits and decimal_places, or move it in existing mode (the app's migrations carry the scale)",
                    t.name, c.name
                ),
            ));
        }
    }
    out
}
