//! Queries: WITH, SELECT, compound SELECTs, FROM and JOIN, ORDER BY and LIMIT, and the
//! scopes that resolve every column name to one relation.

use sqlparser::ast::{
    Distinct, Expr, GroupByExpr, Join, JoinConstraint, JoinOperator, LimitClause, ObjectName, ObjectNamePart, OrderBy,
    OrderByExpr, OrderByKind, OrderBySort, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    SetOperator, SetQuantifier, TableFactor, TableWithJoins,
};

use super::scope::{Bound, Scope, Translator};
use super::typed::Typed;
use super::{Catalog, Column, Flavor, Relation, Result, Ty, Untranslatable};

fn unsupported<T>(construct: &str, why: &str) -> Result<T> {
    Err(Untranslatable::new(construct, why))
}

/// The last part of a name (`main.t` → `t`), refusing other schemas.
fn object_name(name: &ObjectName) -> Result<String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Ok(i.value.clone()),
            ObjectNamePart::Function(_) => unsupported(&name.to_string(), "a table function"),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [t] => Ok(t.clone()),
        [s, t] if s.eq_ignore_ascii_case("main") => Ok(t.clone()),
        _ => unsupported(&name.to_string(), "a name in an attached or temporary database"),
    }
}

impl<'a> Translator<'a> {
    pub(crate) fn new(catalog: &'a Catalog, f: &'a dyn Flavor, schema: Option<&'a str>) -> Translator<'a> {
        Translator {
            catalog,
            f,
            schema,
            volatile: Vec::new(),
            ctes: Vec::new(),
            derived: 0,
            grouping: None,
            aggregate_depth: 0,
        }
    }

    /// An expression over one table (CHECK, index expression, partial index WHERE).
    pub(crate) fn expression_over(&mut self, e: &Expr, table: &str, condition: bool) -> Result<String> {
        let rel = self
            .catalog
            .find(table)
            .ok_or_else(|| Untranslatable::new(table, "the table is not in the migration"))?
            .clone();
        let mut scope = Scope::new(None);
        scope.rels.push(Bound {
            qualifier: rel.source.clone(),
            printed: self.f.quote(&rel.target),
            columns: rel.columns.clone(),
            rowid: rel.rowid.clone(),
        });
        let t = self.expr(e, &scope)?;
        Ok(if condition { self.cond(&t) } else { t.sql })
    }

    /// A query: its SQL and its output columns.
    pub(super) fn query(&mut self, q: &Query, parent: Option<&Scope>) -> Result<(String, Vec<Column>)> {
        if q.fetch.is_some() || !q.locks.is_empty() || q.for_clause.is_some() || !q.pipe_operators.is_empty() {
            return unsupported(&q.to_string(), "a clause SQLite does not have");
        }
        let ctes_before = self.ctes.len();
        let grouping = self.grouping.take();
        let depth = std::mem::take(&mut self.aggregate_depth);
        let mut sql = String::new();
        if let Some(with) = &q.with {
            if with.recursive {
                return unsupported("WITH RECURSIVE", "recursive common table expressions are not translated yet");
            }
            let mut parts = Vec::new();
            for cte in &with.cte_tables {
                let (body, mut cols) = self.query(&cte.query, parent)?;
                let name = cte.alias.name.value.clone();
                let mut head = self.f.quote(&name);
                if !cte.alias.columns.is_empty() {
                    let names: Vec<String> = cte.alias.columns.iter().map(|c| c.name.value.clone()).collect();
                    for (c, n) in cols.iter_mut().zip(&names) {
                        c.source = n.clone();
                        c.target = n.clone();
                    }
                    let quoted: Vec<String> = names.iter().map(|n| self.f.quote(n)).collect();
                    head = format!("{head} ({})", quoted.join(", "));
                }
                parts.push(format!("{head} AS ({body})"));
                self.ctes.push(Relation {
                    source: name.clone(),
                    target: name,
                    columns: cols,
                    rowid: None,
                    is_view: true,
                });
            }
            sql.push_str(&format!("WITH {} ", parts.join(", ")));
        }
        let (body, cols) = match q.body.as_ref() {
            SetExpr::Select(s) => self.select(s, parent, q.order_by.as_ref())?,
            other => {
                let (body, cols) = self.set_expr(other, parent)?;
                match &q.order_by {
                    Some(ob) => (self.order_compound(&body, &cols, ob)?, cols),
                    None => (body, cols),
                }
            }
        };
        sql.push_str(&body);
        if let Some(limit) = &q.limit_clause {
            if q.order_by.is_none() {
                self.volatile.push("LIMIT without ORDER BY: which rows is up to each engine".into());
            }
            sql.push_str(&self.limit(limit, parent)?);
        }
        self.ctes.truncate(ctes_before);
        self.grouping = grouping;
        self.aggregate_depth = depth;
        Ok((sql, cols))
    }

    fn set_expr(&mut self, body: &SetExpr, parent: Option<&Scope>) -> Result<(String, Vec<Column>)> {
        match body {
            SetExpr::Select(s) => self.select(s, parent, None),
            SetExpr::Query(q) => {
                let (sql, cols) = self.query(q, parent)?;
                Ok((format!("({sql})"), cols))
            }
            SetExpr::SetOperation { left, op, set_quantifier, right } => {
                let (l, cols) = self.set_expr(left, parent)?;
                let (r, _) = self.set_expr(right, parent)?;
                let op = match op {
                    SetOperator::Union => "UNION",
                    SetOperator::Except => "EXCEPT",
                    SetOperator::Intersect => "INTERSECT",
                    SetOperator::Minus => return unsupported("MINUS", "not SQLite"),
                };
                let q = match set_quantifier {
                    SetQuantifier::All => " ALL",
                    SetQuantifier::None | SetQuantifier::Distinct => "",
                    _ => return unsupported(&format!("{op} BY NAME"), "not SQLite"),
                };
                Ok((format!("{l} {op}{q} {r}"), cols))
            }
            SetExpr::Values(v) => {
                let scope = Scope::new(parent);
                let mut rows = Vec::new();
                let mut cols = Vec::new();
                for row in &v.rows {
                    let mut items = Vec::new();
                    for (i, e) in row.iter().enumerate() {
                        let t = self.expr(e, &scope)?;
                        if rows.is_empty() {
                            let n = format!("column{}", i + 1);
                            cols.push(Column { source: n.clone(), target: n, ty: t.ty });
                        }
                        items.push(t.sql);
                    }
                    rows.push(format!("({})", items.join(", ")));
                }
                Ok((format!("VALUES {}", rows.join(", ")), cols))
            }
            other => unsupported(&other.to_string(), "not a query SQLite runs in a view"),
        }
    }

    /// ORDER BY over a compound SELECT: the keys name output columns, so the compound is
    /// read as a derived table and ordered outside it (both engines allow only bare names
    /// after a UNION, and PostgreSQL needs a collation on text keys).
    fn order_compound(&mut self, body: &str, cols: &[Column], ob: &OrderBy) -> Result<String> {
        let mut scope = Scope::new(None);
        let printed = self.f.quote("compound");
        scope.rels.push(Bound {
            qualifier: "compound".into(),
            printed: printed.clone(),
            columns: cols.iter().map(|c| Column { target: c.source.clone(), ..c.clone() }).collect(),
            rowid: None,
        });
        let keys = self.order_keys(ob, &scope, cols)?;
        Ok(format!("SELECT * FROM ({body}) AS {printed} ORDER BY {keys}"))
    }

    fn order_keys(&mut self, ob: &OrderBy, scope: &Scope, out: &[Column]) -> Result<String> {
        let OrderByKind::Expressions(items) = &ob.kind else {
            return unsupported("ORDER BY ALL", "not SQLite");
        };
        let keys: Vec<String> = items.iter().map(|o| self.order_key(o, scope, out)).collect::<Result<_>>()?;
        Ok(keys.join(", "))
    }

    fn order_key(&mut self, o: &OrderByExpr, scope: &Scope, out: &[Column]) -> Result<String> {
        let desc = match o.options.sort {
            Some(OrderBySort::Desc) => true,
            Some(OrderBySort::Using(_)) => return unsupported("ORDER BY … USING", "not SQLite"),
            _ => false,
        };
        // ORDER BY 2: the second output column.
        let t = match &o.expr {
            Expr::Value(v) => match &v.value {
                sqlparser::ast::Value::Number(n, _) => {
                    let ty =
                        n.parse::<usize>().ok().and_then(|i| out.get(i.wrapping_sub(1))).map_or(Ty::Unknown, |c| c.ty);
                    Typed::new(n.clone(), ty)
                }
                _ => self.expr(&o.expr, scope)?,
            },
            // A bare name is an output alias first in ORDER BY.
            Expr::Identifier(i) => match scope.alias(&i.value) {
                Some(t) => Typed::new(self.f.quote(&i.value), t.ty),
                None => self.expr(&o.expr, scope)?,
            },
            _ => self.expr(&o.expr, scope)?,
        };
        let mut key = self.f.order_key(&t.sql, t.ty, desc);
        if let Some(nulls_first) = o.options.nulls_first {
            key = format!(
                "{} NULLS {}",
                key.trim_end_matches(" NULLS FIRST").trim_end_matches(" NULLS LAST"),
                if nulls_first { "FIRST" } else { "LAST" }
            );
        }
        Ok(key)
    }

    fn limit(&mut self, limit: &LimitClause, parent: Option<&Scope>) -> Result<String> {
        let scope = Scope::new(parent);
        let (limit, offset) = match limit {
            LimitClause::LimitOffset { limit, offset, limit_by } => {
                if !limit_by.is_empty() {
                    return unsupported("LIMIT BY", "not SQLite");
                }
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            LimitClause::OffsetCommaLimit { offset, limit } => (Some(limit), Some(offset)),
        };
        let mut s = String::new();
        if let Some(l) = limit {
            let t = self.expr(l, &scope)?;
            let negative = t.sql.trim_start().starts_with('-');
            s.push_str(&format!(" LIMIT {}", if negative { self.f.no_limit().to_string() } else { t.sql }));
        }
        if let Some(o) = offset {
            s.push_str(&format!(" OFFSET {}", self.expr(o, &scope)?.sql));
        }
        Ok(s)
    }

    fn select(
        &mut self,
        s: &Select,
        parent: Option<&Scope>,
        order_by: Option<&OrderBy>,
    ) -> Result<(String, Vec<Column>)> {
        if s.top.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.connect_by.is_empty()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || s.qualify.is_some()
            || s.exclude.is_some()
        {
            return unsupported(&s.to_string(), "a clause SQLite does not have");
        }
        if !s.named_window.is_empty() {
            return unsupported(
                "WINDOW name AS (…)",
                "named windows are not translated yet; write the window in OVER (…)",
            );
        }
        let mut scope = Scope::new(parent);
        let from = self.from(&s.from, &mut scope)?;
        // The projection once for its aliases (WHERE and GROUP BY may use them), then
        // again with the GROUP BY keys known.
        self.projection(&s.projection, &mut scope)?;
        let selection = match &s.selection {
            Some(w) => {
                let t = self.expr(w, &scope)?;
                Some(self.cond(&t))
            }
            None => None,
        };
        let keys: Vec<String> = match &s.group_by {
            GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => exprs
                .iter()
                .map(|e| match e {
                    Expr::Value(_) => Ok(e.to_string()),
                    _ => self.expr(e, &scope).map(|t| t.sql),
                })
                .collect::<Result<_>>()?,
            _ => return unsupported("GROUP BY ALL / ROLLUP", "not SQLite"),
        };
        if !keys.is_empty() {
            self.grouping = Some(keys.clone());
        }
        scope.aliases.clear();
        let (items, cols) = self.projection(&s.projection, &mut scope)?;
        let mut sql = String::from("SELECT ");
        match &s.distinct {
            Some(Distinct::Distinct) => sql.push_str("DISTINCT "),
            Some(Distinct::On(_)) => return unsupported("DISTINCT ON", "not SQLite"),
            Some(Distinct::All) | None => {}
        }
        sql.push_str(&items.join(", "));
        if !from.is_empty() {
            sql.push_str(&format!(" FROM {from}"));
        }
        if let Some(w) = selection {
            sql.push_str(&format!(" WHERE {w}"));
        }
        if !keys.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
        }
        if let Some(h) = &s.having {
            let t = self.expr(h, &scope)?;
            sql.push_str(&format!(" HAVING {}", self.cond(&t)));
        }
        if let Some(ob) = order_by {
            sql.push_str(&format!(" ORDER BY {}", self.order_keys(ob, &scope, &cols)?));
        }
        self.grouping = None;
        Ok((sql, cols))
    }

    fn projection(&mut self, items: &[SelectItem], scope: &mut Scope) -> Result<(Vec<String>, Vec<Column>)> {
        let mut out = Vec::new();
        let mut cols = Vec::new();
        for item in items {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let t = self.expr(e, scope)?;
                    let name = match e {
                        Expr::Identifier(i) => i.value.clone(),
                        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()).unwrap_or_default(),
                        other => other.to_string(),
                    };
                    cols.push(Column { source: name.clone(), target: name, ty: t.ty });
                    out.push(t.sql);
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let t = self.expr(expr, scope)?;
                    out.push(format!("{} AS {}", t.sql, self.f.quote(&alias.value)));
                    cols.push(Column { source: alias.value.clone(), target: alias.value.clone(), ty: t.ty });
                    scope.aliases.push((alias.value.clone(), t));
                }
                SelectItem::Wildcard(opts) => {
                    if opts.opt_exclude.is_some() || opts.opt_except.is_some() || opts.opt_replace.is_some() {
                        return unsupported("SELECT * EXCEPT/REPLACE", "not SQLite");
                    }
                    out.push("*".into());
                    for b in &scope.rels {
                        cols.extend(b.columns.iter().map(|c| Column {
                            source: c.source.clone(),
                            target: c.target.clone(),
                            ty: c.ty,
                        }));
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                    let q = object_name(name)?;
                    let Some(b) = scope.relation(&q) else {
                        return unsupported(&format!("{q}.*"), "no such table in the FROM clause");
                    };
                    out.push(format!("{}.*", b.printed));
                    cols.extend(b.columns.iter().cloned());
                }
                other => return unsupported(&other.to_string(), "not SQLite"),
            }
        }
        Ok((out, cols))
    }

    /// FROM: every relation is bound first (so that ON may name any of them), then printed.
    fn from(&mut self, from: &[TableWithJoins], scope: &mut Scope) -> Result<String> {
        let mut factors = Vec::new();
        for twj in from {
            self.bind(&twj.relation, scope, &mut factors)?;
            for j in &twj.joins {
                self.bind(&j.relation, scope, &mut factors)?;
            }
        }
        let mut next = 0;
        let mut parts = Vec::new();
        for twj in from {
            parts.push(self.print_joined(twj, scope, &factors, &mut next)?);
        }
        // A comma is a cross join; MariaDB gives the comma a lower precedence than JOIN.
        Ok(parts.join(" CROSS JOIN "))
    }

    fn bind(&mut self, factor: &TableFactor, scope: &mut Scope, factors: &mut Vec<String>) -> Result<()> {
        match factor {
            TableFactor::Table { name, alias, args, .. } => {
                if args.is_some() {
                    return unsupported(&factor.to_string(), "table-valued functions are not translated");
                }
                let table = object_name(name)?;
                let (rel, printed_table) = if let Some(c) =
                    self.ctes.iter().rev().find(|c| c.source.eq_ignore_ascii_case(&table))
                {
                    (c.clone(), self.f.quote(&c.target))
                } else if let Some(r) = self.catalog.find(&table) {
                    (r.clone(), self.f.table_ref(self.schema, &r.target))
                } else {
                    return unsupported(&table, "no such table or view in the migration (skipped, virtual or missing)");
                };
                let (qualifier, printed, sql) = match alias {
                    Some(a) => {
                        if !a.columns.is_empty() {
                            return unsupported(&a.to_string(), "column aliases on a table are not SQLite");
                        }
                        let p = self.f.quote(&a.name.value);
                        (a.name.value.clone(), p.clone(), format!("{printed_table} AS {p}"))
                    }
                    None => (rel.source.clone(), self.f.quote(&rel.target), printed_table),
                };
                scope.rels.push(Bound { qualifier, printed, columns: rel.columns.clone(), rowid: rel.rowid.clone() });
                factors.push(sql);
            }
            TableFactor::Derived { lateral, subquery, alias, .. } => {
                if *lateral {
                    return unsupported("LATERAL", "not SQLite");
                }
                let (body, cols) = self.query(subquery, scope.parent)?;
                self.derived += 1;
                let name = alias.as_ref().map_or_else(|| format!("subquery{}", self.derived), |a| a.name.value.clone());
                let p = self.f.quote(&name);
                scope.rels.push(Bound { qualifier: name, printed: p.clone(), columns: cols, rowid: None });
                factors.push(format!("({body}) AS {p}"));
            }
            TableFactor::NestedJoin { table_with_joins, alias } => {
                if alias.is_some() {
                    return unsupported(&factor.to_string(), "an alias on a parenthesised join");
                }
                self.bind(&table_with_joins.relation, scope, factors)?;
                for j in &table_with_joins.joins {
                    self.bind(&j.relation, scope, factors)?;
                }
            }
            other => return unsupported(&other.to_string(), "not a table SQLite reads in a view"),
        }
        Ok(())
    }

    fn print_factor(
        &mut self,
        factor: &TableFactor,
        scope: &Scope,
        factors: &[String],
        next: &mut usize,
    ) -> Result<String> {
        match factor {
            TableFactor::NestedJoin { table_with_joins, .. } => {
                Ok(format!("({})", self.print_joined(table_with_joins, scope, factors, next)?))
            }
            _ => {
                let s = factors.get(*next).cloned().unwrap_or_default();
                *next += 1;
                Ok(s)
            }
        }
    }

    fn print_joined(
        &mut self,
        twj: &TableWithJoins,
        scope: &Scope,
        factors: &[String],
        next: &mut usize,
    ) -> Result<String> {
        let mut sql = self.print_factor(&twj.relation, scope, factors, next)?;
        for j in &twj.joins {
            let right = self.print_factor(&j.relation, scope, factors, next)?;
            sql.push_str(&self.join(j, &right, scope)?);
        }
        Ok(sql)
    }

    fn join(&mut self, j: &Join, right: &str, scope: &Scope) -> Result<String> {
        let (kind, constraint) = match &j.join_operator {
            JoinOperator::Join(c) | JoinOperator::Inner(c) => ("JOIN", c),
            JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => ("LEFT JOIN", c),
            JoinOperator::Right(c) | JoinOperator::RightOuter(c) => ("RIGHT JOIN", c),
            JoinOperator::FullOuter(c) => {
                if !self.f.supports_full_join() {
                    return unsupported("FULL OUTER JOIN", &format!("{} has no full outer join", self.f.name()));
                }
                ("FULL JOIN", c)
            }
            JoinOperator::CrossJoin(c) => ("CROSS JOIN", c),
            other => return unsupported(&format!("{other:?}"), "not a SQLite join"),
        };
        Ok(match constraint {
            JoinConstraint::On(e) => {
                let t = self.expr(e, scope)?;
                let kind = if kind == "CROSS JOIN" { "JOIN" } else { kind };
                format!(" {kind} {right} ON {}", self.cond(&t))
            }
            JoinConstraint::Using(cols) => {
                let names: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        let n = object_name(c)?;
                        Ok(scope.column(self.f, None, &n).map_or_else(|| self.f.quote(&n), |t| t.sql))
                    })
                    .collect::<Result<_>>()?;
                format!(" {kind} {right} USING ({})", names.join(", "))
            }
            JoinConstraint::Natural => format!(" NATURAL {kind} {right}"),
            // `a JOIN b` without ON is a cross join in SQLite.
            JoinConstraint::None if kind == "JOIN" || kind == "CROSS JOIN" => format!(" CROSS JOIN {right}"),
            JoinConstraint::None => format!(" {kind} {right} ON TRUE"),
            JoinConstraint::UsingAlias(..) => return unsupported("USING … AS", "not SQLite"),
        })
    }
}
