//! The engine-neutral column types of a plan.
//!
//! The type mapping (`mapping`) turns a SQLite declared type into one of these;
//! each target engine renders it in its own dialect (`target`), and the conversion
//! rules (`convert`) turn source values into values of this type. Overrides in
//! `cutover.toml` are written in the same vocabulary (`FromStr`), so one override
//! serves every dialect.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Width of an integer column. Create mode always plans `I64`; existing mode reads the
/// real width from the target's catalog so that out-of-range values are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntWidth {
    I8,
    I16,
    I24,
    I32,
    I64,
}

impl IntWidth {
    /// Inclusive range of a signed or unsigned integer of this width (unsigned 64-bit is
    /// capped at i64::MAX because SQLite integers are signed 64-bit).
    pub fn range(self, unsigned: bool) -> (i64, i64) {
        let bits: u32 = match self {
            IntWidth::I8 => 8,
            IntWidth::I16 => 16,
            IntWidth::I24 => 24,
            IntWidth::I32 => 32,
            IntWidth::I64 => 64,
        };
        if unsigned {
            let max = if bits == 64 { i64::MAX } else { (1i64 << bits) - 1 };
            (0, max)
        } else if bits == 64 {
            (i64::MIN, i64::MAX)
        } else {
            (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
        }
    }
}

/// Unit of integers stored in a date/time column (unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EpochUnit {
    #[default]
    S,
    Ms,
    Us,
}

/// A target column type, independent of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnType {
    Boolean,
    Integer {
        width: IntWidth,
        unsigned: bool,
    },
    Double,
    /// `precision`/`scale` absent means unconstrained (PostgreSQL `numeric`).
    Decimal {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Varchar {
        length: u32,
    },
    Char {
        length: u32,
    },
    Text,
    /// `tz`: the data carries offsets; values are normalised to UTC.
    Timestamp {
        tz: bool,
    },
    Date,
    Time,
    Json,
    Bytes,
    Uuid,
    // The types below come only from an existing target's catalog (`--schema existing`):
    // the frameworks create them, cutover's own plans do not (yet).
    /// A 4-byte float (PostgreSQL `real`, MariaDB `FLOAT`): a value must round-trip exactly.
    Float4,
    /// PostgreSQL `interval`: months, days and microseconds.
    Interval,
    /// PostgreSQL `inet`: an IPv4 or IPv6 address with an optional prefix length.
    Inet,
    /// PostgreSQL `cidr`: a network, its host bits zero.
    Cidr,
    /// MariaDB `INET4`: an IPv4 address.
    Inet4,
    /// MariaDB `INET6`: an IPv6 address (IPv4 addresses are stored IPv4-mapped).
    Inet6,
    /// PostgreSQL `macaddr`: a 6-byte MAC address.
    Macaddr,
    /// PostgreSQL `time with time zone`: a time of day and a UTC offset.
    TimeTz,
    /// A label of the column's enum type (PostgreSQL `CREATE TYPE … AS ENUM`, MariaDB
    /// `ENUM(…)`); the labels come with the column (`job::ColumnRule::Labels`).
    Enum,
    /// MariaDB `SET(…)`: labels joined by commas.
    Set,
    /// MariaDB `YEAR`: 1901 to 2155, or 0.
    Year,
    /// A single bit (PostgreSQL `bit(1)`, MariaDB `BIT(1)`), read like a boolean.
    Bit,
    /// A one-dimensional PostgreSQL array, from a JSON array in the source.
    Array {
        element: ArrayElement,
    },
}

/// The element type of a PostgreSQL array column cutover writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArrayElement {
    Boolean,
    Smallint,
    Integer,
    Bigint,
    Double,
    Numeric,
    Text,
    Varchar(u32),
    Uuid,
}

impl ArrayElement {
    /// The neutral type each element converts to.
    pub fn neutral(self) -> ColumnType {
        let int = |width| ColumnType::Integer { width, unsigned: false };
        match self {
            ArrayElement::Boolean => ColumnType::Boolean,
            ArrayElement::Smallint => int(IntWidth::I16),
            ArrayElement::Integer => int(IntWidth::I32),
            ArrayElement::Bigint => int(IntWidth::I64),
            ArrayElement::Double => ColumnType::Double,
            ArrayElement::Numeric => ColumnType::Decimal { precision: None, scale: None },
            ArrayElement::Text => ColumnType::Text,
            ArrayElement::Varchar(length) => ColumnType::Varchar { length },
            ArrayElement::Uuid => ColumnType::Uuid,
        }
    }

    /// PostgreSQL's name of the element type, as `format_type` prints it before `[]`.
    pub fn pg_name(self) -> String {
        match self {
            ArrayElement::Boolean => "boolean".into(),
            ArrayElement::Smallint => "smallint".into(),
            ArrayElement::Integer => "integer".into(),
            ArrayElement::Bigint => "bigint".into(),
            ArrayElement::Double => "double precision".into(),
            ArrayElement::Numeric => "numeric".into(),
            ArrayElement::Text => "text".into(),
            ArrayElement::Varchar(n) => format!("character varying({n})"),
            ArrayElement::Uuid => "uuid".into(),
        }
    }
}

impl ColumnType {
    pub const BIGINT: ColumnType = ColumnType::Integer { width: IntWidth::I64, unsigned: false };

    /// True for the string family (varchar, char, text), the types that carry a collation.
    pub fn is_string(&self) -> bool {
        matches!(self, ColumnType::Varchar { .. } | ColumnType::Char { .. } | ColumnType::Text)
    }

    /// Maximum length in characters, for the bounded string types.
    pub fn max_chars(&self) -> Option<u32> {
        match self {
            ColumnType::Varchar { length } | ColumnType::Char { length } => Some(*length),
            _ => None,
        }
    }
}

impl fmt::Display for ColumnType {
    /// The neutral spelling, the same one `FromStr` and `cutover.toml` accept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Integer { width, unsigned } => {
                let name = match width {
                    IntWidth::I8 => "tinyint",
                    IntWidth::I16 => "smallint",
                    IntWidth::I24 => "mediumint",
                    IntWidth::I32 => "integer",
                    IntWidth::I64 => "bigint",
                };
                f.write_str(name)?;
                if *unsigned {
                    f.write_str(" unsigned")?;
                }
                Ok(())
            }
            ColumnType::Double => f.write_str("double"),
            ColumnType::Decimal { precision: Some(p), scale } => {
                write!(f, "decimal({p},{})", scale.unwrap_or(0))
            }
            ColumnType::Decimal { .. } => f.write_str("decimal"),
            ColumnType::Varchar { length } => write!(f, "varchar({length})"),
            ColumnType::Char { length } => write!(f, "char({length})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Timestamp { tz: false } => f.write_str("timestamp"),
            ColumnType::Timestamp { tz: true } => f.write_str("timestamptz"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Bytes => f.write_str("bytes"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Float4 => f.write_str("float4"),
            ColumnType::Interval => f.write_str("interval"),
            ColumnType::Inet => f.write_str("inet"),
            ColumnType::Cidr => f.write_str("cidr"),
            ColumnType::Inet4 => f.write_str("inet4"),
            ColumnType::Inet6 => f.write_str("inet6"),
            ColumnType::Macaddr => f.write_str("macaddr"),
            ColumnType::TimeTz => f.write_str("timetz"),
            ColumnType::Enum => f.write_str("enum"),
            ColumnType::Set => f.write_str("set"),
            ColumnType::Year => f.write_str("year"),
            ColumnType::Bit => f.write_str("bit(1)"),
            ColumnType::Array { element } => write!(f, "{}[]", element.pg_name()),
        }
    }
}

/// One spelling of every kind of neutral type, as `Display` writes it (for tests and docs).
pub const NEUTRAL_SPELLINGS: [&str; 19] = [
    "boolean",
    "tinyint",
    "smallint unsigned",
    "mediumint",
    "integer",
    "bigint",
    "double",
    "decimal",
    "decimal(10,2)",
    "varchar(20)",
    "char(3)",
    "text",
    "timestamp",
    "timestamptz",
    "date",
    "time",
    "json",
    "bytes",
    "uuid",
];

/// An override type in `cutover.toml` that cutover does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown column type `{0}`; use one of: boolean, tinyint, smallint, mediumint, integer, bigint (each optionally `unsigned`), double, float4, decimal, decimal(p,s), varchar(n), char(n), text, timestamp, timestamptz, date, time, json, bytes, uuid, or on PostgreSQL interval, inet, cidr, macaddr, timetz")]
pub struct UnknownType(pub String);

impl FromStr for ColumnType {
    type Err = UnknownType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase();
        let unknown = || UnknownType(s.trim().to_string());
        let (base, args) = match norm.find('(') {
            Some(i) if norm.ends_with(')') => {
                let inner = &norm[i + 1..norm.len() - 1];
                let args: Result<Vec<u32>, _> = inner.split(',').map(|a| a.trim().parse::<u32>()).collect();
                (norm[..i].trim().to_string(), args.map_err(|_| unknown())?)
            }
            Some(_) => return Err(unknown()),
            None => (norm.clone(), Vec::new()),
        };
        let (base, unsigned) = match base.strip_suffix(" unsigned") {
            Some(b) => (b.trim().to_string(), true),
            None => (base, false),
        };
        let int = |width| Ok(ColumnType::Integer { width, unsigned });
        match (base.as_str(), args.as_slice()) {
            ("boolean" | "bool", []) => Ok(ColumnType::Boolean),
            ("tinyint", []) => int(IntWidth::I8),
            ("smallint", []) => int(IntWidth::I16),
            ("mediumint", []) => int(IntWidth::I24),
            ("integer" | "int", []) => int(IntWidth::I32),
            ("bigint", []) => int(IntWidth::I64),
            ("double" | "double precision" | "float8" | "real", []) if !unsigned => Ok(ColumnType::Double),
            ("decimal" | "numeric", []) => Ok(ColumnType::Decimal { precision: None, scale: None }),
            ("decimal" | "numeric", [p]) if *p > 0 => Ok(ColumnType::Decimal { precision: Some(*p), scale: Some(0) }),
            ("decimal" | "numeric", [p, s]) if *p > 0 && s <= p => {
                Ok(ColumnType::Decimal { precision: Some(*p), scale: Some(*s) })
            }
            ("varchar", [n]) if *n > 0 => Ok(ColumnType::Varchar { length: *n }),
            ("char", [n]) if *n > 0 => Ok(ColumnType::Char { length: *n }),
            ("text", []) => Ok(ColumnType::Text),
            ("timestamp" | "datetime", []) => Ok(ColumnType::Timestamp { tz: false }),
            ("timestamptz", []) => Ok(ColumnType::Timestamp { tz: true }),
            ("date", []) => Ok(ColumnType::Date),
            ("time", []) => Ok(ColumnType::Time),
            ("json" | "jsonb", []) => Ok(ColumnType::Json),
            ("bytes" | "blob" | "bytea", []) => Ok(ColumnType::Bytes),
            ("uuid", []) => Ok(ColumnType::Uuid),
            // PostgreSQL only (a plan for another engine refuses them).
            ("interval", []) => Ok(ColumnType::Interval),
            ("inet", []) => Ok(ColumnType::Inet),
            ("cidr", []) => Ok(ColumnType::Cidr),
            ("macaddr", []) => Ok(ColumnType::Macaddr),
            ("timetz", []) => Ok(ColumnType::TimeTz),
            ("float4", []) => Ok(ColumnType::Float4),
            // With its labels beside it in cutover.toml (`labels = [...]`).
            ("enum", []) => Ok(ColumnType::Enum),
            _ => Err(unknown()),
        }
    }
}

/// The numeric arguments of a declared type: `NUMERIC(10, 2)` -> [10, 2].
pub fn type_args(declared: &str) -> Vec<u32> {
    let (Some(open), Some(close)) = (declared.find('('), declared.rfind(')')) else {
        return Vec::new();
    };
    if close < open {
        return Vec::new();
    }
    declared[open + 1..close].split(',').filter_map(|a| a.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_spelling_round_trips() {
        for s in NEUTRAL_SPELLINGS {
            let t: ColumnType = s.parse().unwrap();
            assert_eq!(t.to_string(), *s, "{s}");
        }
    }

    #[test]
    fn unknown_and_malformed_types_are_rejected() {
        for s in ["varchar", "varchar(x)", "decimal(2,3)", "decimal(0)", "money", "text(", "double unsigned"] {
            assert!(s.parse::<ColumnType>().is_err(), "{s} should be rejected");
        }
    }

    #[test]
    fn integer_ranges() {
        assert_eq!(IntWidth::I8.range(false), (-128, 127));
        assert_eq!(IntWidth::I8.range(true), (0, 255));
        assert_eq!(IntWidth::I24.range(false), (-8_388_608, 8_388_607));
        assert_eq!(IntWidth::I32.range(true), (0, 4_294_967_295));
        assert_eq!(IntWidth::I64.range(false), (i64::MIN, i64::MAX));
    }
}
