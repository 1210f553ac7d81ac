//! Foreign keys proven in memory: a child table's keys on its parents' rowids are
//! checked against the parents' rowids held in bitsets (or sorted lists), in one scan of
//! the child, instead of one B-tree lookup per child row and key. What it cannot prove
//! (`false`), `source_keys` asks SQLite, which counts and samples the orphans.

use std::collections::BTreeMap;

use crate::schema::{ForeignKey, SourceSchema, Table};
use crate::source::quote_sqlite;

/// The most parent rows whose rowids `no_orphans_in_memory` holds (8 bytes each).
const MAX_PARENT_ROWIDS: u64 = 4_000_000;

/// The rowids of a parent table, held to answer "is there a parent row with this id".
enum Rowids {
    /// One bit per id from `min`: for ids without large gaps (the usual case).
    Bits { min: i64, bits: Vec<u64> },
    /// Sorted ids, searched.
    Sorted(Vec<i64>),
}

impl Rowids {
    fn new(mut ids: Vec<i64>) -> Rowids {
        // A table scan returns rowids in order; sort anyway, it costs nothing then.
        if !ids.is_sorted() {
            ids.sort_unstable();
        }
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else { return Rowids::Sorted(ids) };
        let span = u64::try_from(i128::from(max) - i128::from(min) + 1).unwrap_or(u64::MAX);
        if span / 64 > ids.len() as u64 + 64 {
            return Rowids::Sorted(ids);
        }
        let mut bits = vec![0u64; usize::try_from(span.div_ceil(64)).unwrap_or(0)];
        for id in ids {
            let at = id.abs_diff(min);
            bits[(at / 64) as usize] |= 1 << (at % 64);
        }
        Rowids::Bits { min, bits }
    }

    fn contains(&self, id: i64) -> bool {
        match self {
            Rowids::Sorted(ids) => ids.binary_search(&id).is_ok(),
            Rowids::Bits { min, bits } => {
                id >= *min && {
                    let at = id.abs_diff(*min);
                    usize::try_from(at / 64).ok().and_then(|w| bits.get(w)).is_some_and(|w| w & (1 << (at % 64)) != 0)
                }
            }
        }
    }
}

/// For each of `fks` (keys of `child`), its parent when `no_orphans_in_memory` may prove
/// the key: one column, on the parent's rowid alias, a parent with no more rows than the
/// child; and the parents' rows together at most `MAX_PARENT_ROWIDS` (their rowids are
/// held at once), the first keys first.
pub(super) fn in_memory_keys<'s>(
    schema: &'s SourceSchema,
    child: &Table,
    fks: &[&'s ForeignKey],
) -> Vec<(&'s ForeignKey, Option<&'s Table>)> {
    let mut held: Vec<&str> = Vec::new();
    let mut rows = 0u64;
    fks.iter()
        .map(|fk| {
            let ([_], [parent_column]) = (fk.columns.as_slice(), fk.parent_columns.as_slice()) else {
                return (*fk, None);
            };
            let parent = schema.tables.iter().find(|p| p.name == fk.parent_table).filter(|p| {
                p.rowid_alias().is_some_and(|a| a.name.eq_ignore_ascii_case(parent_column))
                    && p.row_count <= child.row_count
            });
            let parent = parent.filter(|p| {
                if held.contains(&p.name.as_str()) {
                    return true;
                }
                if rows.saturating_add(p.row_count) > MAX_PARENT_ROWIDS {
                    return false;
                }
                rows += p.row_count;
                held.push(p.name.as_str());
                true
            });
            (*fk, parent)
        })
        .collect()
}

/// The SQL of `fk_orphans_of` looks each child row's parent up in the parent's B-tree:
/// for a parent with no more rows than the child, reading the parent's rowids into
/// memory and the child's key columns once is several times cheaper (the checks before
/// a migrate's load of the benchmark file are mostly these lookups), and one scan of the
/// child serves all its keys. For each of `fks`: true when that proves every child row
/// has its parent; false when it cannot say (a key of several columns or not on the
/// parent's rowid, a value that is not an integer, whose match SQLite decides by
/// affinity) or finds an orphan: the SQL then counts and samples.
pub(super) fn no_orphans_in_memory(
    conn: &rusqlite::Connection,
    schema: &SourceSchema,
    child: &Table,
    fks: &[&ForeignKey],
) -> rusqlite::Result<Vec<bool>> {
    use rusqlite::types::ValueRef;
    let q = quote_sqlite;
    let mut proven = vec![false; fks.len()];
    // Per parent table, its rowids (None: a value that is not an integer).
    let mut parents: BTreeMap<&str, Option<Rowids>> = BTreeMap::new();
    // (index into fks, child column, parent table) of the keys checked here.
    let mut checked: Vec<(usize, &str, &str)> = Vec::new();
    for (k, (fk, parent)) in in_memory_keys(schema, child, fks).into_iter().enumerate() {
        let Some(parent) = parent else { continue };
        let Some(alias) = parent.rowid_alias() else { continue };
        if let std::collections::btree_map::Entry::Vacant(e) = parents.entry(parent.name.as_str()) {
            let mut ids = Vec::with_capacity(usize::try_from(parent.row_count).unwrap_or(0));
            let mut st = conn.prepare(&format!("SELECT {} FROM {}", q(&alias.name), q(&parent.name)))?;
            let mut rows = st.query([])?;
            let mut integers = true;
            while let Some(r) = rows.next()? {
                // `INTEGER PRIMARY KEY DESC` is no rowid alias to SQLite: any value may be there.
                match r.get_ref(0)? {
                    ValueRef::Integer(id) => ids.push(id),
                    _ => {
                        integers = false;
                        break;
                    }
                }
            }
            e.insert(integers.then(|| Rowids::new(ids)));
        }
        if parents.get(parent.name.as_str()).is_some_and(Option::is_some) {
            checked.push((k, fk.columns[0].as_str(), parent.name.as_str()));
        }
    }
    if checked.is_empty() {
        return Ok(proven);
    }
    let ids: Vec<&Rowids> = checked
        .iter()
        .map(|(_, _, p)| parents.get(p).and_then(Option::as_ref).expect("only keys whose parent's rowids were read"))
        .collect();
    let columns: Vec<String> = checked.iter().map(|(_, c, _)| q(c)).collect();
    let mut holds = vec![true; checked.len()];
    let mut st = conn.prepare(&format!("SELECT {} FROM {}", columns.join(", "), q(&child.name)))?;
    let mut rows = st.query([])?;
    let mut left = checked.len();
    while let Some(r) = rows.next()? {
        for (c, ok) in holds.iter_mut().enumerate().filter(|(_, ok)| **ok) {
            match r.get_ref(c)? {
                ValueRef::Null => {}
                ValueRef::Integer(id) if ids[c].contains(id) => {}
                _ => {
                    *ok = false;
                    left -= 1;
                }
            }
        }
        if left == 0 {
            break;
        }
    }
    for ((k, _, _), ok) in checked.iter().zip(holds) {
        proven[*k] = ok;
    }
    Ok(proven)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rowids_in_bits_and_sorted_answer_alike() {
        let dense: Vec<i64> = (-70..200).filter(|i| i % 3 != 0).collect();
        let sparse = vec![i64::MIN, -5, 0, 7, 1_000_000_000_000, i64::MAX];
        let bits = Rowids::new(dense.clone());
        assert!(matches!(bits, Rowids::Bits { .. }));
        assert!(matches!(Rowids::new(sparse.clone()), Rowids::Sorted(_)));
        for id in -300..300 {
            assert_eq!(bits.contains(id), dense.contains(&id), "{id}");
        }
        let sorted = Rowids::new(sparse.iter().rev().copied().collect());
        for id in [i64::MIN, i64::MIN + 1, -5, -4, 0, 7, 8, 1_000_000_000_000, i64::MAX - 1, i64::MAX] {
            assert_eq!(sorted.contains(id), sparse.contains(&id), "{id}");
        }
        assert!(!Rowids::new(Vec::new()).contains(0));
    }
}
