//! Reading the embedded SQLite target's catalog (`sqlite_schema` and its pragmas).

use crate::target::{PlannedObject, SqlDialect};

fn lit(s: &str) -> String {
    super::Sqlite.string_literal(s)
}

pub(super) fn table_exists(table: &str) -> String {
    format!("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = {}", lit(table))
}

pub(super) fn referencing(table: &str) -> String {
    format!(
        "SELECT DISTINCT m.name, f.\"table\" FROM sqlite_schema m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" = {} ORDER BY 1",
        lit(table)
    )
}

pub(super) fn tables() -> String {
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
        .to_string()
}

pub(super) fn primary_key(table: &str) -> String {
    format!("SELECT name FROM pragma_table_info({}) WHERE pk > 0 ORDER BY pk", lit(table))
}

pub(super) fn foreign_keys(sep: char) -> String {
    format!(
        "SELECT m.name, group_concat(f.\"from\", '{sep}') FROM sqlite_schema m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' GROUP BY m.name, f.id ORDER BY 1, 2"
    )
}

pub(super) fn indexes(sep: char) -> String {
    format!(
        "SELECT m.name, il.name, (SELECT group_concat(COALESCE(ii.name, '?'), '{sep}') FROM pragma_index_info(il.name) ii) \
         FROM sqlite_schema m, pragma_index_list(m.name) il WHERE m.type = 'table' ORDER BY 1, 2"
    )
}

pub(super) fn object_exists(object: &PlannedObject) -> Option<String> {
    Some(match object {
        PlannedObject::Index { table, name } => format!(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = {} AND name = {}",
            lit(table),
            lit(name)
        ),
        // SQLite declares foreign keys inside CREATE TABLE: they exist with the table.
        PlannedObject::ForeignKey { table, .. } => table_exists(table),
        PlannedObject::View { name } => {
            format!("SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = {}", lit(name))
        }
        PlannedObject::Counter { .. } | PlannedObject::Check { .. } => return None,
    })
}
