//! Reading PostgreSQL's catalog: the SQL that lists tables, keys, indexes and the objects
//! cutover creates after the data, and the neutral type of each catalog type (existing mode).

use crate::target::{PlannedObject, SqlDialect};
use crate::types::type_args;
use crate::types::{ColumnType, IntWidth};

fn lit(s: &str) -> String {
    super::Postgres.string_literal(s)
}

fn schema_lit(schema: Option<&str>) -> String {
    lit(schema.unwrap_or("public"))
}

pub(super) fn table_exists(schema: Option<&str>, table: &str) -> String {
    format!(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
        schema_lit(schema),
        lit(table)
    )
}

pub(super) fn referencing(schema: Option<&str>, table: &str) -> String {
    format!(
        "SELECT DISTINCT c.relname::text, p.relname::text FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = p.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = {} AND p.relname = {} ORDER BY 1",
        schema_lit(schema),
        lit(table)
    )
}

pub(super) fn tables(schema: Option<&str>) -> String {
    format!(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = {} AND table_type = 'BASE TABLE' ORDER BY 1",
        schema_lit(schema)
    )
}

pub(super) fn primary_key(schema: Option<&str>, table: &str) -> String {
    format!(
        "SELECT a.attname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE i.indisprimary AND n.nspname = {} AND c.relname = {} ORDER BY k.ord",
        schema_lit(schema),
        lit(table)
    )
}

pub(super) fn foreign_keys(schema: Option<&str>, sep: char) -> String {
    format!(
        "SELECT c.relname::text, string_agg(a.attname::text, '{sep}' ORDER BY k.ord) \
         FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN LATERAL unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord) ON true \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE f.contype = 'f' AND n.nspname = {} GROUP BY f.oid, c.relname ORDER BY 1, 2",
        schema_lit(schema)
    )
}

pub(super) fn indexes(schema: Option<&str>, sep: char) -> String {
    format!(
        "SELECT c.relname::text, ic.relname::text, string_agg(COALESCE(a.attname::text, '?'), '{sep}' ORDER BY k.ord) \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE n.nspname = {} GROUP BY c.relname, ic.relname ORDER BY 1, 2",
        schema_lit(schema)
    )
}

pub(super) fn unique_keys(schema: Option<&str>, table: &str, sep: char) -> String {
    format!(
        "SELECT ic.relname::text, string_agg(a.attname::text, '{sep}' ORDER BY k.ord) \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts \
         AND n.nspname = {} AND c.relname = {} GROUP BY ic.relname ORDER BY 1",
        schema_lit(schema),
        lit(table)
    )
}

pub(super) fn foreign_keys_of(schema: Option<&str>, table: &str, sep: char) -> String {
    let cols = |rel: &str, keys: &str| {
        format!(
            "(SELECT string_agg(a.attname::text, '{sep}' ORDER BY k.ord) FROM unnest(co.{keys}) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = co.{rel} AND a.attnum = k.attnum)"
        )
    };
    format!(
        "SELECT co.conname::text, {}, pc.relname::text, {} \
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_class pc ON pc.oid = co.confrelid \
         WHERE co.contype = 'f' AND n.nspname = {} AND c.relname = {} ORDER BY 1",
        cols("conrelid", "conkey"),
        cols("confrelid", "confkey"),
        schema_lit(schema),
        lit(table)
    )
}

pub(super) fn checks(schema: Option<&str>, table: &str, sep: char) -> String {
    format!(
        "SELECT co.conname::text, pg_get_constraintdef(co.oid), \
         (SELECT string_agg(a.attname::text, '{sep}') FROM pg_attribute a WHERE a.attrelid = co.conrelid AND a.attnum = ANY (co.conkey)) \
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE co.contype = 'c' AND n.nspname = {} AND c.relname = {} ORDER BY 1",
        schema_lit(schema),
        lit(table)
    )
}

pub(super) fn object_exists(schema: Option<&str>, object: &PlannedObject) -> Option<String> {
    let s = schema_lit(schema);
    Some(match object {
        PlannedObject::Index { table, name } => format!(
            "SELECT count(*) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = {s} AND t.relname = {} AND ic.relname = {}",
            lit(table),
            lit(name)
        ),
        PlannedObject::ForeignKey { table, name } => format!(
            "SELECT count(*) FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE co.contype = 'f' AND n.nspname = {s} AND t.relname = {} AND co.conname = {}",
            lit(table),
            lit(name)
        ),
        PlannedObject::View { name } => {
            format!("SELECT count(*) FROM pg_views WHERE schemaname = {s} AND viewname = {}", lit(name))
        }
        PlannedObject::Check { table, name, .. } => format!(
            "SELECT count(*) FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE co.contype = 'c' AND n.nspname = {s} AND t.relname = {} AND co.conname = {}",
            lit(table),
            lit(name)
        ),
        PlannedObject::Counter { .. } => return None,
    })
}

/// A catalog type without its arguments: `timestamp(3) without time zone` → `timestamp
/// without time zone`, `character varying(20)` → `character varying`.
fn base_name(pg: &str) -> String {
    match (pg.find('('), pg.find(')')) {
        (Some(o), Some(c)) if c > o => format!("{}{}", &pg[..o], &pg[c + 1..]).trim().to_string(),
        _ => pg.trim().to_string(),
    }
}

/// Fractional-second digits a timestamp, time or interval column keeps (its declared
/// precision; 6 without one).
pub fn fraction_digits(pg: &str) -> u32 {
    let base = base_name(pg);
    let temporal = base.starts_with("timestamp") || base.starts_with("time ") || base.starts_with("interval");
    if temporal && pg.contains('(') {
        return type_args(pg).first().copied().unwrap_or(6).min(6);
    }
    6
}

pub fn unsupported_because(pg: &str) -> Option<&'static str> {
    match base_name(pg).as_str() {
        "money" => Some("money rounds to the currency of the server's lc_monetary and prints with its symbol; change the column to numeric(19,2) in the application's migration"),
        b if b.ends_with("[]") => Some("cutover writes one-dimensional arrays of boolean, smallint, integer, bigint, double precision, numeric (without a scale), text, varchar(n) and uuid; an array of another element type (numeric(p,s) or char(n) would round or pad each element) is not written"),
        "bit" | "bit varying" => Some("only bit(1) is read (as a boolean)"),
        "timetz" => None,
        _ => None,
    }
}

/// The element of a one-dimensional array type cutover writes (`integer` of `integer[]`);
/// a numeric with a scale or a char(n) would round or pad each element, so not those.
pub fn array_element(pg: &str) -> Option<crate::types::ArrayElement> {
    use crate::types::ArrayElement as A;
    Some(match pg.trim() {
        "boolean" => A::Boolean,
        "smallint" => A::Smallint,
        "integer" => A::Integer,
        "bigint" => A::Bigint,
        "double precision" => A::Double,
        "numeric" => A::Numeric,
        "text" | "character varying" => A::Text,
        "uuid" => A::Uuid,
        other => match other.strip_prefix("character varying(").and_then(|r| r.strip_suffix(')')) {
            Some(n) => A::Varchar(n.parse().ok()?),
            None => return None,
        },
    })
}

/// The neutral type of a PostgreSQL catalog type (`format_type` output).
pub fn neutral_type(pg: &str) -> Option<ColumnType> {
    if let Some(element) = pg.strip_suffix("[]") {
        return array_element(element).map(|element| ColumnType::Array { element });
    }
    let args = type_args(pg);
    let base_owned = base_name(pg);
    let base = base_owned.as_str();
    if base.starts_with("interval") {
        // `interval`, `interval day to second`, …: the fields restriction rounds, so only plain ones.
        return (base == "interval").then_some(ColumnType::Interval);
    }
    let int = |width| Some(ColumnType::Integer { width, unsigned: false });
    match base {
        "boolean" => Some(ColumnType::Boolean),
        "smallint" => int(IntWidth::I16),
        "integer" => int(IntWidth::I32),
        "bigint" => int(IntWidth::I64),
        "double precision" => Some(ColumnType::Double),
        "numeric" => Some(ColumnType::Decimal {
            precision: args.first().copied(),
            scale: args.first().map(|_| args.get(1).copied().unwrap_or(0)),
        }),
        "character varying" => Some(args.first().map_or(ColumnType::Text, |n| ColumnType::Varchar { length: *n })),
        "character" => Some(ColumnType::Char { length: args.first().copied().unwrap_or(1) }),
        "text" | "citext" => Some(ColumnType::Text),
        "bytea" => Some(ColumnType::Bytes),
        "timestamp without time zone" => Some(ColumnType::Timestamp { tz: false }),
        "timestamp with time zone" => Some(ColumnType::Timestamp { tz: true }),
        "date" => Some(ColumnType::Date),
        "time without time zone" => Some(ColumnType::Time),
        "json" | "jsonb" => Some(ColumnType::Json),
        "uuid" => Some(ColumnType::Uuid),
        "real" => Some(ColumnType::Float4),
        "inet" => Some(ColumnType::Inet),
        "cidr" => Some(ColumnType::Cidr),
        "macaddr" => Some(ColumnType::Macaddr),
        "time with time zone" => Some(ColumnType::TimeTz),
        "bit" if args.first() == Some(&1) => Some(ColumnType::Bit),
        _ => None,
    }
}
