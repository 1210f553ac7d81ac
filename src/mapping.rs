//! The type mapping, as data: rules read top to bottom, the first that matches a
//! column's declared type wins. `cutover types` prints this table and
//! `docs/type-mapping.md` is generated from it, so the docs cannot drift from the code.
//!
//! A rule yields an engine-neutral `ColumnType`; each engine spells it (`target`).
//! Some rules defer to the data (`Decide::*`); the planner then reads the column's
//! statistics and says in the plan what it saw and what it chose.
//!
//! The table sits below both of its readers: the source reader (`source`) gathers
//! statistics only for the columns whose rule defers to the data, and the planner
//! (`plan`) chooses each column's type by it. Neither depends on the other for it.

use crate::schema::{Column, ColumnStats};
use crate::types::{ColumnType, EpochUnit};

/// How a rule recognises a declared type. Names are compared on the upper-cased
/// declared type with its `(…)` arguments removed.
#[derive(Debug, Clone, Copy)]
pub enum Match {
    /// `INTEGER PRIMARY KEY` in a rowid table.
    RowidAlias,
    /// The base name is exactly one of these.
    Name(&'static [&'static str]),
    /// The base name is one of these and the type has arguments `(p[,s])` / `(n)`.
    NameWithArgs(&'static [&'static str]),
    /// The base name contains one of these (SQLite's affinity rules work this way).
    Contains(&'static [&'static str]),
    /// No declared type at all.
    Empty,
    /// Anything not matched above.
    Otherwise,
}

/// What the rule maps to.
#[derive(Debug, Clone, Copy)]
pub enum Decide {
    Fixed(ColumnType),
    /// `decimal(p,s)` from the declared arguments.
    DecimalArgs,
    /// `varchar(n)` from the declared argument.
    VarcharArgs,
    /// A date/time type; `timestamptz` when the data carries offsets; integers are epochs.
    Temporal(ColumnType),
    /// Chosen from the storage classes the column actually holds.
    ByData,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub matches: Match,
    pub decide: Decide,
    /// Declared types this rule catches, for the docs.
    pub examples: &'static str,
    pub note: &'static str,
}

const BIGINT: ColumnType = ColumnType::BIGINT;

/// The mapping rules, first match wins.
pub const RULES: &[Rule] = &[
    Rule {
        id: "rowid_alias",
        matches: Match::RowidAlias,
        decide: Decide::Fixed(BIGINT),
        examples: "INTEGER PRIMARY KEY, INTEGER PRIMARY KEY AUTOINCREMENT",
        note: "identity / AUTO_INCREMENT; the counter is reset above the largest key (and above sqlite_sequence)",
    },
    Rule {
        id: "boolean",
        matches: Match::Name(&["BOOLEAN", "BOOL"]),
        decide: Decide::Fixed(ColumnType::Boolean),
        examples: "BOOLEAN, BOOL",
        note: "values 0/1, '0'/'1', 'true'/'false', 't'/'f', 'yes'/'no'",
    },
    Rule {
        id: "datetime",
        matches: Match::Name(&["DATETIME", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE", "SMALLDATETIME", "DATETIME2"]),
        decide: Decide::Temporal(ColumnType::Timestamp { tz: false }),
        examples: "DATETIME, TIMESTAMP",
        note: "timestamptz when the data carries UTC offsets (converted to UTC); integers are unix epochs, unit from their size",
    },
    Rule {
        id: "date",
        matches: Match::Name(&["DATE"]),
        decide: Decide::Temporal(ColumnType::Date),
        examples: "DATE",
        note: "'YYYY-MM-DD'",
    },
    Rule {
        id: "time",
        matches: Match::Name(&["TIME"]),
        decide: Decide::Temporal(ColumnType::Time),
        examples: "TIME",
        note: "'HH:MM[:SS[.ffffff]]'",
    },
    Rule {
        id: "json",
        matches: Match::Name(&["JSON", "JSONB"]),
        decide: Decide::Fixed(ColumnType::Json),
        examples: "JSON",
        note: "validated; jsonb on PostgreSQL",
    },
    Rule {
        id: "uuid",
        matches: Match::Name(&["UUID", "GUID", "UNIQUEIDENTIFIER"]),
        decide: Decide::Fixed(ColumnType::Uuid),
        examples: "UUID, GUID",
        note: "text 8-4-4-4-12 or a 16-byte blob",
    },
    Rule {
        id: "decimal_ps",
        matches: Match::NameWithArgs(&["NUMERIC", "DECIMAL", "DEC", "NUMBER"]),
        decide: Decide::DecimalArgs,
        examples: "NUMERIC(10,2), DECIMAL(5,2)",
        note: "exact: REAL through its shortest round-trip text, rounded to the scale; overflow is an error",
    },
    Rule {
        id: "decimal",
        matches: Match::Name(&["NUMERIC", "DECIMAL", "DEC", "NUMBER", "MONEY"]),
        decide: Decide::Fixed(ColumnType::Decimal { precision: None, scale: None }),
        examples: "NUMERIC, DECIMAL",
        note: "numeric on PostgreSQL; on MariaDB DECIMAL(p,s) sized from the data, with a warning",
    },
    Rule {
        id: "geometry",
        matches: Match::Name(&["GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "CIRCULARSTRING", "COMPOUNDCURVE", "CURVEPOLYGON", "MULTICURVE", "MULTISURFACE", "CURVE", "SURFACE"]),
        decide: Decide::Fixed(ColumnType::Bytes),
        examples: "GEOMETRY, POINT, POLYGON (GeoPackage)",
        note: "GeoPackage binary geometry, copied as bytes",
    },
    Rule {
        id: "varchar_n",
        matches: Match::Contains(&["CHAR"]),
        decide: Decide::VarcharArgs,
        examples: "VARCHAR(n), CHAR(n), NVARCHAR(n), CHARACTER(n), VARYING CHARACTER(n)",
        note: "varchar(n) (never blank-padded char); without (n): text",
    },
    Rule {
        id: "int_affinity",
        matches: Match::Contains(&["INT"]),
        decide: Decide::Fixed(BIGINT),
        examples: "INT, INTEGER, BIGINT, TINYINT, SMALLINT UNSIGNED, MEDIUMINT",
        note: "bigint: SQLite integers are 64-bit whatever the declared width; double when the column holds fractions",
    },
    Rule {
        id: "text_affinity",
        matches: Match::Contains(&["CLOB", "TEXT"]),
        decide: Decide::Fixed(ColumnType::Text),
        examples: "TEXT, CLOB, LONGTEXT",
        note: "text / LONGTEXT (VARCHAR sized from the data when MariaDB must index it)",
    },
    Rule {
        id: "blob_affinity",
        matches: Match::Contains(&["BLOB", "BYTEA", "BINARY"]),
        decide: Decide::Fixed(ColumnType::Bytes),
        examples: "BLOB, VARBINARY",
        note: "bytea / LONGBLOB; TEXT values keep their bytes",
    },
    Rule {
        id: "real_affinity",
        matches: Match::Contains(&["REAL", "FLOA", "DOUB"]),
        decide: Decide::Fixed(ColumnType::Double),
        examples: "REAL, DOUBLE, DOUBLE PRECISION, FLOAT",
        note: "double precision / DOUBLE (never float4)",
    },
    Rule {
        id: "no_type",
        matches: Match::Empty,
        decide: Decide::ByData,
        examples: "(no declared type)",
        note: "from the data: text if any text, else bigint, double or bytes",
    },
    Rule {
        id: "numeric_affinity",
        matches: Match::Otherwise,
        decide: Decide::ByData,
        examples: "ENUM, YEAR, SET, anything else",
        note: "SQLite's NUMERIC affinity; from the data: text if any text, else bigint, double or bytes",
    },
];

/// The upper-cased declared type without `(…)` arguments, spaces collapsed.
pub fn base_name(declared: &str) -> String {
    let upper = declared.to_ascii_uppercase();
    let without_args = match upper.find('(') {
        Some(i) => {
            let close = upper[i..].find(')').map_or(upper.len(), |j| i + j + 1);
            format!("{} {}", &upper[..i], &upper[close..])
        }
        None => upper,
    };
    without_args.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub use crate::types::type_args;

/// The first rule that matches a column.
pub fn rule_for(column: &Column, is_rowid_alias: bool) -> &'static Rule {
    let base = base_name(&column.declared_type);
    let has_args = !type_args(&column.declared_type).is_empty();
    let names_match = |names: &[&str]| {
        // Qualifiers like UNSIGNED or a COLLATE-less collation (`text nocase`) follow the name.
        names.iter().any(|n| {
            base == *n
                || base
                    .strip_prefix(n)
                    .is_some_and(|rest| rest.starts_with(' ') && !n.contains(' ') && !rest.trim().starts_with("WITH"))
        })
    };
    RULES
        .iter()
        .find(|r| match r.matches {
            Match::RowidAlias => is_rowid_alias,
            Match::Name(names) => names_match(names),
            Match::NameWithArgs(names) => has_args && names_match(names),
            Match::Contains(parts) => parts.iter().any(|p| base.contains(p)),
            Match::Empty => base.is_empty(),
            Match::Otherwise => true,
        })
        .unwrap_or(&RULES[RULES.len() - 1])
}

/// The type a column's data calls for, when the declared type leaves it open.
pub fn type_from_data(stats: &ColumnStats) -> (ColumnType, String) {
    let classes = describe_classes(stats);
    if stats.non_null() == 0 {
        return (ColumnType::Text, "no data to decide from: text".into());
    }
    if stats.texts > 0 {
        (ColumnType::Text, format!("holds {classes}: text"))
    } else if stats.blobs > 0 && stats.integers + stats.reals == 0 {
        (ColumnType::Bytes, format!("holds {classes}: bytes"))
    } else if stats.blobs > 0 {
        (ColumnType::Bytes, format!("holds {classes}: bytes (numbers would not survive as another type)"))
    } else if stats.reals > 0 {
        (ColumnType::Double, format!("holds {classes}: double"))
    } else {
        (ColumnType::BIGINT, format!("holds {classes}: bigint"))
    }
}

/// "120 integer, 3 real" — the non-null storage classes of a column.
pub fn describe_classes(s: &ColumnStats) -> String {
    let parts: Vec<String> = [("integer", s.integers), ("real", s.reals), ("text", s.texts), ("blob", s.blobs)]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    if parts.is_empty() {
        "only NULLs".into()
    } else {
        parts.join(", ")
    }
}

/// The epoch unit that makes a date/time column's integers land in a plausible range.
pub fn epoch_unit_for(stats: &ColumnStats) -> EpochUnit {
    let largest = stats.min_integer.unwrap_or(0).unsigned_abs().max(stats.max_integer.unwrap_or(0).unsigned_abs());
    // Seconds reach 1e11 only after the year 5000; milliseconds reach 1e14 after 5000 too.
    if largest < 100_000_000_000 {
        EpochUnit::S
    } else if largest < 100_000_000_000_000 {
        EpochUnit::Ms
    } else {
        EpochUnit::Us
    }
}

/// The markdown table of the rules, for `cutover types` and docs/type-mapping.md.
pub fn rules_markdown() -> String {
    use crate::target::Dialect;
    let mut out = String::from(
        "| # | rule | declared types | PostgreSQL | MariaDB | SQLite target | notes |\n|---|---|---|---|---|---|---|\n",
    );
    for (i, r) in RULES.iter().enumerate() {
        let render = |d: Dialect| match r.decide {
            Decide::Fixed(ty) | Decide::Temporal(ty) => {
                if r.id == "rowid_alias" {
                    d.engine().identity_spelling().to_string()
                } else {
                    d.engine().render_type(&ty)
                }
            }
            Decide::DecimalArgs => d
                .engine()
                .render_type(&ColumnType::Decimal { precision: Some(10), scale: Some(2) })
                .replace("10,2", "p,s"),
            Decide::VarcharArgs => d.engine().render_type(&ColumnType::Varchar { length: 1 }).replace('1', "n"),
            Decide::ByData => "from the data".to_string(),
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} | {} |\n",
            i + 1,
            r.id,
            r.examples,
            render(Dialect::Postgres),
            render(Dialect::MariaDb),
            render(Dialect::Sqlite),
            r.note
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Collation;

    fn col(declared: &str) -> Column {
        Column {
            name: "c".into(),
            declared_type: declared.into(),
            not_null: false,
            default: None,
            collation: Collation::Binary,
            generated: None,
            stats: ColumnStats::default(),
        }
    }

    #[test]
    fn declared_types_pick_the_documented_rule() {
        let cases = [
            ("BOOLEAN", "boolean"),
            ("bool", "boolean"),
            ("DATETIME", "datetime"),
            ("timestamp", "datetime"),
            ("DATE", "date"),
            ("TIME", "time"),
            ("JSON", "json"),
            ("UUID", "uuid"),
            ("NUMERIC(10,2)", "decimal_ps"),
            ("DECIMAL(5, 2)", "decimal_ps"),
            ("numeric(20, 6)", "decimal_ps"),
            ("NUMERIC", "decimal"),
            ("DECIMAL", "decimal"),
            ("POINT", "geometry"),
            ("MULTIPOLYGON", "geometry"),
            ("NVARCHAR(40)", "varchar_n"),
            ("character(20)", "varchar_n"),
            ("VARCHAR", "varchar_n"),
            ("INTEGER", "int_affinity"),
            ("TINYINT UNSIGNED", "int_affinity"),
            ("integer auto_increment", "int_affinity"),
            ("intege", "int_affinity"),
            ("short integer", "int_affinity"),
            ("TEXT", "text_affinity"),
            ("text nocase", "text_affinity"),
            ("CLOB", "text_affinity"),
            ("BLOB", "blob_affinity"),
            ("REAL", "real_affinity"),
            ("double precision", "real_affinity"),
            ("FLOAT", "real_affinity"),
            ("", "no_type"),
            ("ENUM", "numeric_affinity"),
            ("YEAR", "numeric_affinity"),
        ];
        for (declared, rule) in cases {
            assert_eq!(rule_for(&col(declared), false).id, rule, "{declared:?}");
        }
        assert_eq!(rule_for(&col("INTEGER"), true).id, "rowid_alias");
    }

    #[test]
    fn type_arguments() {
        assert_eq!(type_args("NUMERIC(10, 2)"), vec![10, 2]);
        assert_eq!(type_args("NVARCHAR(160)"), vec![160]);
        assert!(type_args("TEXT").is_empty());
        assert_eq!(base_name("numeric(20, 6)"), "NUMERIC");
        assert_eq!(base_name("  smallint   unsigned "), "SMALLINT UNSIGNED");
    }

    #[test]
    fn data_decides_open_types() {
        let s = |i, r, t, b| ColumnStats { integers: i, reals: r, texts: t, blobs: b, ..Default::default() };
        assert_eq!(type_from_data(&s(5, 0, 0, 0)).0, ColumnType::BIGINT);
        assert_eq!(type_from_data(&s(5, 2, 0, 0)).0, ColumnType::Double);
        assert_eq!(type_from_data(&s(5, 2, 1, 0)).0, ColumnType::Text);
        assert_eq!(type_from_data(&s(0, 0, 0, 3)).0, ColumnType::Bytes);
        assert_eq!(type_from_data(&s(0, 0, 0, 0)).0, ColumnType::Text);
    }

    #[test]
    fn epoch_units_follow_magnitude() {
        let s = |max| ColumnStats { min_integer: Some(0), max_integer: Some(max), ..Default::default() };
        assert_eq!(epoch_unit_for(&s(1_700_000_000)), EpochUnit::S);
        assert_eq!(epoch_unit_for(&s(1_700_000_000_000)), EpochUnit::Ms);
        assert_eq!(epoch_unit_for(&s(1_700_000_000_000_000)), EpochUnit::Us);
    }
}
