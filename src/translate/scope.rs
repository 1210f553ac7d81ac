//! The translator's state, and the scopes that resolve every column name to one relation
//! (its own query's first, then the enclosing ones').

use super::typed::Typed;
use super::{Catalog, Column, Flavor, Relation};

pub(crate) struct Translator<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) f: &'a dyn Flavor,
    pub(super) schema: Option<&'a str>,
    /// Why the rows depend on the moment or on an unordered LIMIT.
    pub(super) volatile: Vec<String>,
    /// Common table expressions in scope.
    pub(super) ctes: Vec<Relation>,
    pub(super) derived: usize,
    /// The GROUP BY keys of the SELECT being printed: a column outside them and outside
    /// any aggregate is one SQLite reads "bare", from one row of the group.
    pub(super) grouping: Option<Vec<String>>,
    pub(super) aggregate_depth: usize,
}

/// A relation bound in a FROM clause.
#[derive(Debug, Clone)]
pub(super) struct Bound {
    /// The name a qualified column uses (alias or table name, SQLite's spelling).
    pub(super) qualifier: String,
    /// The qualifier as the target spells it.
    pub(super) printed: String,
    pub(super) columns: Vec<Column>,
    pub(super) rowid: Option<String>,
}

/// The relations and output aliases visible at one point of a query.
pub(super) struct Scope<'s> {
    pub(super) rels: Vec<Bound>,
    pub(super) parent: Option<&'s Scope<'s>>,
    /// Output column aliases and their translated expressions.
    pub(super) aliases: Vec<(String, Typed)>,
}

impl<'s> Scope<'s> {
    pub(super) fn new(parent: Option<&'s Scope<'s>>) -> Scope<'s> {
        Scope { rels: Vec::new(), parent, aliases: Vec::new() }
    }

    /// A column by optional qualifier and name, here or in an enclosing query.
    pub(super) fn column(&self, f: &dyn Flavor, qualifier: Option<&str>, name: &str) -> Option<Typed> {
        self.resolve(f, qualifier, name).map(|(t, _)| t)
    }

    /// A column, and whether it belongs to this query (not an enclosing one).
    pub(super) fn resolve(&self, f: &dyn Flavor, qualifier: Option<&str>, name: &str) -> Option<(Typed, bool)> {
        let rowid = ["rowid", "_rowid_", "oid"].iter().any(|r| r.eq_ignore_ascii_case(name));
        for b in &self.rels {
            if qualifier.is_some_and(|q| !q.eq_ignore_ascii_case(&b.qualifier)) {
                continue;
            }
            let found = b
                .columns
                .iter()
                .find(|c| c.source == name)
                .or_else(|| b.columns.iter().find(|c| c.source.eq_ignore_ascii_case(name)))
                .or_else(|| {
                    if rowid {
                        b.rowid.as_ref().and_then(|r| b.columns.iter().find(|c| &c.target == r))
                    } else {
                        None
                    }
                });
            if let Some(c) = found {
                let sql = match qualifier {
                    Some(_) => format!("{}.{}", b.printed, f.quote(&c.target)),
                    None => f.quote(&c.target),
                };
                return Some((Typed::new(sql, c.ty), true));
            }
        }
        self.parent.and_then(|p| p.column(f, qualifier, name)).map(|t| (t, false))
    }

    pub(super) fn alias(&self, name: &str) -> Option<&Typed> {
        self.aliases.iter().find(|(a, _)| a.eq_ignore_ascii_case(name)).map(|(_, t)| t)
    }

    pub(super) fn relation(&self, qualifier: &str) -> Option<&Bound> {
        self.rels.iter().find(|b| b.qualifier.eq_ignore_ascii_case(qualifier))
    }
}
