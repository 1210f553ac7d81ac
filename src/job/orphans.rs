//! Rows that reject mode sets aside because of a foreign key: a child row whose parent is
//! missing in the source, or whose parent row is itself set aside (it did not convert, or
//! it is an orphan in turn). The target's foreign key would refuse such a row after the
//! data, so `migrate --on-error reject` puts it in the reject file with the key named,
//! and `verify` expects it absent, as it expects rows that do not convert to be.
//!
//! Computed from the source snapshot and the plan's foreign keys alone, so the copy and a
//! later verification find the same rows. The referenced values of every kept parent row
//! are held in memory (the tables that are parents of a key, and the keys of their
//! children); nothing is read when the plan has no foreign key.

use std::collections::{HashMap, HashSet};

use super::{convert_row, describe, row_key, TableJob};
use crate::plan::Plan;
use crate::report::Reject;
use crate::value::{SourceValue, Value};

/// The kind of a reject set aside for a foreign key.
pub const KIND: &str = "fk_orphan";

/// The rows to set aside, by source table and row key (as `row_key` names it).
#[derive(Debug, Default, Clone)]
pub struct FkRejects {
    by_table: HashMap<String, HashMap<String, Reject>>,
}

impl FkRejects {
    pub fn is_empty(&self) -> bool {
        self.by_table.values().all(HashMap::is_empty)
    }

    /// The number of rows set aside.
    pub fn len(&self) -> usize {
        self.by_table.values().map(HashMap::len).sum()
    }

    /// The rows of one table to set aside (None when there are none).
    pub(crate) fn of(&self, table: &str) -> Option<&HashMap<String, Reject>> {
        self.by_table.get(table).filter(|m| !m.is_empty())
    }
}

/// One foreign key of the plan between two jobs: column indexes on both sides.
struct Key {
    name: String,
    child: usize,
    child_cols: Vec<usize>,
    parent: usize,
    parent_cols: Vec<usize>,
}

/// What the scan keeps of one converted row.
struct Row {
    key: String,
    /// Per foreign key where this table is the child: the referencing values (None: one is NULL).
    refs: Vec<Option<Vec<String>>>,
    /// Per foreign key where this table is the parent: the referenced values.
    ids: Vec<Vec<String>>,
    raw: Vec<Vec<String>>,
}

/// Find the rows to set aside among `jobs` (the tables this run loads or verifies).
pub(crate) fn find(conn: &rusqlite::Connection, plan: &Plan, jobs: &[TableJob]) -> Result<FkRejects, String> {
    let keys = keys_of(plan, jobs);
    if keys.is_empty() {
        return Ok(FkRejects::default());
    }
    let involved: HashSet<usize> = keys.iter().flat_map(|k| [k.child, k.parent]).collect();
    let mut rows: HashMap<usize, Vec<Row>> = HashMap::new();
    let mut set_aside: HashMap<usize, HashSet<String>> = HashMap::new();
    for &j in &involved {
        let (kept, failed) = scan(conn, &jobs[j], j, &keys)?;
        rows.insert(j, kept);
        set_aside.insert(j, failed);
    }
    let mut out = FkRejects::default();
    // Until nothing changes: a row set aside can orphan its own children.
    loop {
        let mut changed = false;
        for (k, key) in keys.iter().enumerate() {
            let parent_pos = keys_before(&keys, key.parent, k);
            let parent_rows = &rows[&key.parent];
            let parent_out = &set_aside[&key.parent];
            let kept: HashSet<&Vec<String>> =
                parent_rows.iter().filter(|r| !parent_out.contains(&r.key)).map(|r| &r.ids[parent_pos]).collect();
            let all: HashSet<&Vec<String>> = parent_rows.iter().map(|r| &r.ids[parent_pos]).collect();
            let child_pos = keys_before_as_child(&keys, key.child, k);
            let mut found = Vec::new();
            for r in &rows[&key.child] {
                let Some(values) = &r.refs[child_pos] else { continue };
                if kept.contains(values) || set_aside[&key.child].contains(&r.key) {
                    continue;
                }
                found.push((r.key.clone(), reject(jobs, key, &r.key, &r.raw[child_pos], all.contains(values))));
            }
            for (row, rej) in found {
                changed = true;
                set_aside.entry(key.child).or_default().insert(row.clone());
                out.by_table.entry(jobs[key.child].source_name.clone()).or_default().insert(row, rej);
            }
        }
        if !changed {
            break;
        }
    }
    Ok(out)
}

/// The plan's foreign keys whose both tables are among the jobs, by column index.
fn keys_of(plan: &Plan, jobs: &[TableJob]) -> Vec<Key> {
    let mut keys = Vec::new();
    for tp in &plan.tables {
        let Some(child) = jobs.iter().position(|j| j.target_name == tp.target_name) else { continue };
        for fk in &tp.foreign_keys {
            let Some(parent) = jobs.iter().position(|j| j.target_name == fk.parent_table) else { continue };
            let child_cols: Option<Vec<usize>> =
                fk.columns.iter().map(|c| jobs[child].columns.iter().position(|k| k == c)).collect();
            let parent_cols: Option<Vec<usize>> =
                fk.parent_columns.iter().map(|c| jobs[parent].columns.iter().position(|k| k == c)).collect();
            if let (Some(child_cols), Some(parent_cols)) = (child_cols, parent_cols) {
                keys.push(Key { name: fk.name.clone(), child, child_cols, parent, parent_cols });
            }
        }
    }
    keys
}

/// The position of key `k` among the keys whose parent is `table` (the index into `Row::ids`).
fn keys_before(keys: &[Key], table: usize, k: usize) -> usize {
    keys[..k].iter().filter(|x| x.parent == table).count()
}

/// The position of key `k` among the keys whose child is `table` (the index into `Row::refs`).
fn keys_before_as_child(keys: &[Key], table: usize, k: usize) -> usize {
    keys[..k].iter().filter(|x| x.child == table).count()
}

/// Read one table through the conversion rules: every row with its key values, and the
/// keys of the rows that do not convert (the copy rejects those itself).
fn scan(
    conn: &rusqlite::Connection,
    job: &TableJob,
    j: usize,
    keys: &[Key],
) -> Result<(Vec<Row>, HashSet<String>), String> {
    let fail = |e: rusqlite::Error| format!("reading table {} of the source: {e}", job.source_name);
    let mut st = conn.prepare(&job.select).map_err(fail)?;
    let mut rows = st.query([]).map_err(fail)?;
    let mut kept = Vec::new();
    let mut failed = HashSet::new();
    while let Some(row) = rows.next().map_err(fail)? {
        let key = row_key(row, job);
        let values = match convert_row(row, job) {
            Ok(values) => values,
            Err(_) => {
                // Set aside by the copy itself; its key values still say whose parent it is.
                failed.insert(key.clone());
                let all: Vec<usize> = (0..job.columns.len()).collect();
                super::convert_columns(row, job, &all)
            }
        };
        let as_child = keys.iter().filter(|k| k.child == j);
        let refs = as_child
            .clone()
            .map(|k| {
                let v: Vec<&Value> = k.child_cols.iter().map(|c| &values[*c]).collect();
                (!v.iter().any(|x| **x == Value::Null)).then(|| v.iter().map(|x| canonical(x)).collect())
            })
            .collect();
        let raw = as_child
            .map(|k| {
                k.child_cols
                    .iter()
                    .map(|c| row.get_ref(*c + job.offset).map(|v| describe(SourceValue::from(v))).unwrap_or_default())
                    .collect()
            })
            .collect();
        let ids = keys
            .iter()
            .filter(|k| k.parent == j)
            .map(|k| k.parent_cols.iter().map(|c| canonical(&values[*c])).collect())
            .collect();
        kept.push(Row { key, refs, ids, raw });
    }
    Ok((kept, failed))
}

/// A converted value as the target's key compares it: integers and decimals by their
/// number, text as it is.
fn canonical(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.normalize().to_string(),
        Value::Text(s) => format!("t:{s}"),
        other => format!("{other:?}"),
    }
}

fn reject(jobs: &[TableJob], key: &Key, row: &str, raw: &[String], parent_exists: bool) -> Reject {
    let child = &jobs[key.child];
    let parent = &jobs[key.parent];
    let cols: Vec<&str> = key.child_cols.iter().map(|c| child.source_columns[*c].as_str()).collect();
    let pcols: Vec<&str> = key.parent_cols.iter().map(|c| parent.source_columns[*c].as_str()).collect();
    let fk = format!("{} ({}) -> {} ({})", child.source_name, cols.join(", "), parent.source_name, pcols.join(", "));
    let why = if parent_exists {
        format!("its {} row is set aside too (it did not convert, or its own parent is missing)", parent.source_name)
    } else {
        format!("no {} row has {} = {} in the source", parent.source_name, pcols.join(", "), raw.join(", "))
    };
    Reject {
        table: child.source_name.clone(),
        key: row.to_string(),
        column: cols.join(", "),
        value: raw.join(", "),
        kind: KIND.into(),
        reason: format!("foreign key {} ({fk}): {why}; the target's key would refuse the row", key.name),
        foreign_key: Some(key.name.clone()),
    }
}
