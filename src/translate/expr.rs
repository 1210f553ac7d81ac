//! Expressions: names, literals, operators with SQLite's type rules, CASE, CAST, LIKE,
//! GLOB and subqueries (function calls: `functions.rs`).

use sqlparser::ast::{BinaryOperator, CastKind, Expr, InTarget, UnaryOperator, Value};

use super::functions::Call;
use super::scope::{Scope, Translator};
use super::typed::{arith_ty, bool_word, looks_like_datetime, Lit, Typed};
use super::{dates, unsupported, Result, Ty, Untranslatable};

impl Translator<'_> {
    /// A value in a condition: SQLite's "non-zero is true".
    pub(super) fn cond(&self, t: &Typed) -> String {
        match t.ty {
            Ty::Bool | Ty::Null | Ty::Unknown => t.sql.clone(),
            _ => self.f.truth(&t.sql),
        }
    }

    /// A column of this query in a grouped SELECT: as SQLite reads it when it is neither
    /// a GROUP BY key nor inside an aggregate (a "bare" column, any row of the group).
    fn grouped(&self, t: Typed, here: bool) -> Typed {
        match &self.grouping {
            Some(keys) if here && self.aggregate_depth == 0 && !keys.contains(&t.sql) => {
                Typed { sql: self.f.bare_column(&t.sql), ..t }
            }
            _ => t,
        }
    }

    /// A value where text is needed, as SQLite's text.
    pub(super) fn text(&self, t: &Typed) -> String {
        match (&t.lit, t.ty) {
            (Some(Lit::Str(s)), ty) if ty != Ty::Text => self.f.string(s),
            _ => self.f.to_text(&t.sql, t.ty),
        }
    }

    /// A value where a number is needed, as SQLite's arithmetic reads it.
    pub(super) fn number(&self, t: &Typed, construct: &str) -> Result<Typed> {
        Ok(match t.ty {
            ty if ty.is_text() && self.f.strict_booleans() => Typed::new(self.f.text_to_number(&t.sql), Ty::Decimal),
            ty if ty.is_text() => Typed::new(t.sql.clone(), Ty::Real),
            Ty::Bool => Typed::new(self.f.bool_as_int(&t.sql), Ty::Int),
            Ty::Timestamp | Ty::Date | Ty::Time => {
                return unsupported(
                    construct,
                    "arithmetic on a date: SQLite computes with the leading number of its text; use julianday() or date modifiers",
                )
            }
            _ => t.clone(),
        })
    }

    /// The two sides of a comparison, made comparable the way SQLite compares them.
    pub(super) fn align(&self, l: &Typed, r: &Typed, ordering: bool) -> Result<(String, String)> {
        let f = self.f;
        let (lt, rt) = (l.ty, r.ty);
        // Booleans against 0/1 or SQLite's boolean words.
        let zero_one = |t: &Typed| match &t.lit {
            Some(Lit::Num(n)) => n == "0" || n == "1",
            Some(Lit::Str(s)) => bool_word(s).is_some(),
            Some(Lit::Null) => true,
            None => false,
        };
        if lt == Ty::Bool && rt != Ty::Bool {
            if f.strict_booleans() && !zero_one(r) && (rt.is_number() || rt == Ty::Unknown) {
                return Ok((f.bool_as_int(&l.sql), r.sql.clone()));
            }
            return Ok((l.sql.clone(), self.as_bool_side(r)));
        }
        if rt == Ty::Bool && lt != Ty::Bool {
            let (b, a) = self.align(r, l, ordering)?;
            return Ok((a, b));
        }
        // A TEXT value against a number: SQLite compares a number literal as text, and a
        // numeric column's value as a number.
        if lt.is_text() && rt.is_number() {
            return Ok(match &r.lit {
                Some(Lit::Num(n)) => (l.sql.clone(), f.string(n)),
                _ => (self.number(l, "comparison")?.sql, r.sql.clone()),
            });
        }
        if rt.is_text() && lt.is_number() {
            let (b, a) = self.align(r, l, ordering)?;
            return Ok((a, b));
        }
        // A bare date (a DATE, or a timestamp SQLite held as YYYY-MM-DD) against a
        // date-time: SQLite compares their texts, and '1997-01-01' < '1997-01-01 00:00:00'.
        let bare = |t: Ty| matches!(t, Ty::Date | Ty::DayStamp);
        if (bare(lt) && rt == Ty::Timestamp) || (lt == Ty::Timestamp && bare(rt)) {
            return Ok((f.binary_text(&self.text(l)), f.binary_text(&self.text(r))));
        }
        if bare(lt) && r.str_lit().is_some_and(|s| s.len() > 10) {
            return Ok((f.binary_text(&self.text(l)), f.binary_text(&r.sql)));
        }
        if bare(rt) && l.str_lit().is_some_and(|s| s.len() > 10) {
            return Ok((f.binary_text(&l.sql), f.binary_text(&self.text(r))));
        }
        // A date against text: compared as dates when the text is a date, else as text.
        if lt.is_temporal() && (rt.is_text() || rt.is_number()) {
            return Ok(match r.str_lit() {
                Some(s) if looks_like_datetime(s) || lt == Ty::Time => (l.sql.clone(), r.sql.clone()),
                _ => (f.binary_text(&self.text(l)), f.binary_text(&self.text(r))),
            });
        }
        if rt.is_temporal() && (lt.is_text() || lt.is_number()) {
            let (b, a) = self.align(r, l, ordering)?;
            return Ok((a, b));
        }
        if ordering && lt.is_text() && rt.is_text() {
            return Ok((f.binary_text(&l.sql), f.binary_text(&r.sql)));
        }
        Ok((l.sql.clone(), r.sql.clone()))
    }

    /// The other side of a comparison with a boolean: 0/1 and SQLite's boolean words as
    /// the target's booleans.
    fn as_bool_side(&self, other: &Typed) -> String {
        let f = self.f;
        let word = match &other.lit {
            Some(Lit::Num(n)) if n == "0" || n == "1" => Some(n == "1"),
            Some(Lit::Str(s)) => bool_word(s),
            _ => None,
        };
        match word {
            Some(v) if f.strict_booleans() => f.bool_literal(v),
            Some(v) => (if v { "1" } else { "0" }).into(),
            None => other.sql.clone(),
        }
    }

    fn compare(&self, l: &Typed, op: &str, r: &Typed) -> Result<Typed> {
        let ordering = !matches!(op, "=" | "<>");
        let (a, b) = self.align(l, r, ordering)?;
        Ok(Typed::new(format!("{a} {op} {b}"), Ty::Bool))
    }

    /// Values that must share one type in the target (CASE branches, COALESCE arguments).
    pub(super) fn unify(&self, items: &[Typed]) -> Vec<String> {
        let known: Vec<Ty> = items.iter().map(|t| t.ty).filter(|t| !matches!(t, Ty::Null | Ty::Unknown)).collect();
        let first = known.first().copied();
        let same = known.iter().all(|t| Some(*t) == first || (t.is_number() && first.is_some_and(Ty::is_number)));
        if same {
            return items.iter().map(|t| t.sql.clone()).collect();
        }
        let any_text = known.iter().any(|t| t.is_text() || t.is_temporal());
        items
            .iter()
            .map(|t| {
                if any_text {
                    if t.ty.is_text() || t.lit == Some(Lit::Null) {
                        t.sql.clone()
                    } else {
                        self.text(t)
                    }
                } else if t.ty == Ty::Bool {
                    self.f.bool_as_int(&t.sql)
                } else {
                    t.sql.clone()
                }
            })
            .collect()
    }

    pub(super) fn unified_ty(items: &[Typed]) -> Ty {
        let known: Vec<Ty> = items.iter().map(|t| t.ty).filter(|t| !matches!(t, Ty::Null | Ty::Unknown)).collect();
        match known.first() {
            None => Ty::Unknown,
            Some(first) if known.iter().all(|t| t == first) => *first,
            _ if known.iter().any(|t| t.is_text() || t.is_temporal()) => Ty::Text,
            _ if known.iter().all(|t| t.is_number() || *t == Ty::Bool) => known.iter().copied().fold(Ty::Int, arith_ty),
            _ => Ty::Unknown,
        }
    }

    pub(super) fn expr(&mut self, e: &Expr, scope: &Scope) -> Result<Typed> {
        match e {
            Expr::Identifier(i) => {
                if let Some((t, here)) = scope.resolve(self.f, None, &i.value) {
                    return Ok(self.grouped(t, here));
                }
                if let Some(t) = scope.alias(&i.value) {
                    return Ok(Typed { sql: format!("({})", t.sql), ..t.clone() });
                }
                // SQLite reads a double-quoted name that names nothing as a string.
                if i.quote_style == Some('"') {
                    return Ok(Typed::lit(self.f.string(&i.value), Ty::Text, Lit::Str(i.value.clone())));
                }
                match i.value.to_ascii_lowercase().as_str() {
                    "true" => Ok(Typed::lit("1", Ty::Int, Lit::Num("1".into()))),
                    "false" => Ok(Typed::lit("0", Ty::Int, Lit::Num("0".into()))),
                    "current_timestamp" | "current_date" | "current_time" => {
                        dates::current(self, &i.value.to_ascii_lowercase())
                    }
                    _ => unsupported(&i.value, "no such column in the tables the query reads"),
                }
            }
            Expr::CompoundIdentifier(parts) => {
                let names: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
                let (q, c) = match names.as_slice() {
                    [q, c] => (*q, *c),
                    [s, q, c] if s.eq_ignore_ascii_case("main") => (*q, *c),
                    _ => return unsupported(e.to_string(), "a name in another database"),
                };
                scope
                    .resolve(self.f, Some(q), c)
                    .map(|(t, here)| self.grouped(t, here))
                    .ok_or_else(|| Untranslatable::new(e.to_string(), "no such column in the tables the query reads"))
            }
            Expr::Value(v) => self.value(&v.value),
            Expr::Nested(inner) => {
                let t = self.expr(inner, scope)?;
                Ok(Typed { sql: format!("({})", t.sql), ..t })
            }
            Expr::IsNull(x) => Ok(Typed::new(format!("{} IS NULL", self.expr(x, scope)?.sql), Ty::Bool)),
            Expr::IsNotNull(x) => Ok(Typed::new(format!("{} IS NOT NULL", self.expr(x, scope)?.sql), Ty::Bool)),
            Expr::IsTrue(x) | Expr::IsNotTrue(x) | Expr::IsFalse(x) | Expr::IsNotFalse(x) => {
                let t = self.expr(x, scope)?;
                let what = match e {
                    Expr::IsTrue(_) => "IS TRUE",
                    Expr::IsNotTrue(_) => "IS NOT TRUE",
                    Expr::IsFalse(_) => "IS FALSE",
                    _ => "IS NOT FALSE",
                };
                Ok(Typed::new(format!("({}) {what}", self.cond(&t)), Ty::Bool))
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                let (l, r) = (self.expr(a, scope)?, self.expr(b, scope)?);
                let (x, y) = self.align(&l, &r, false)?;
                let negated = matches!(e, Expr::IsDistinctFrom(..));
                Ok(Typed::new(self.f.null_safe_equal(&x, &y, negated), Ty::Bool))
            }
            Expr::BinaryOp { left, op, right } => self.binary(left, op, right, scope),
            Expr::UnaryOp { op, expr } => {
                let t = self.expr(expr, scope)?;
                match op {
                    UnaryOperator::Not => Ok(Typed::new(format!("NOT ({})", self.cond(&t)), Ty::Bool)),
                    UnaryOperator::Minus | UnaryOperator::Plus => {
                        let sign = if *op == UnaryOperator::Minus { "-" } else { "+" };
                        if let Some(Lit::Num(n)) = &t.lit {
                            let n = format!("{sign}{n}").replace("+", "").replace("--", "");
                            return Ok(Typed::lit(n.clone(), t.ty, Lit::Num(n)));
                        }
                        let n = self.number(&t, "unary minus")?;
                        Ok(Typed::new(format!("{sign}{}", n.sql), n.ty))
                    }
                    UnaryOperator::BitwiseNot => Ok(Typed::new(format!("~{}", t.sql), Ty::Int)),
                    other => unsupported(other.to_string(), "not SQLite"),
                }
            }
            Expr::Between { expr, negated, low, high } => {
                let (x, lo, hi) = (self.expr(expr, scope)?, self.expr(low, scope)?, self.expr(high, scope)?);
                let (a1, l) = self.align(&x, &lo, true)?;
                let (a2, h) = self.align(&x, &hi, true)?;
                let not = if *negated { "NOT " } else { "" };
                if a1 == a2 {
                    Ok(Typed::new(format!("{a1} {not}BETWEEN {l} AND {h}"), Ty::Bool))
                } else {
                    Ok(Typed::new(format!("{not}({a1} >= {l} AND {a2} <= {h})"), Ty::Bool))
                }
            }
            Expr::In { expr, target, negated, .. } => self.in_list(expr, target, *negated, scope),
            Expr::Like { negated, expr, pattern, escape_char, any } => {
                if *any {
                    return unsupported("LIKE ANY", "not SQLite");
                }
                self.like(expr, pattern, escape_char.as_deref(), *negated, scope)
            }
            Expr::Case { operand, conditions, else_result, .. } => {
                let op = operand.as_ref().map(|o| self.expr(o, scope)).transpose()?;
                let mut whens = Vec::new();
                let mut results = Vec::new();
                for c in conditions {
                    let w = self.expr(&c.condition, scope)?;
                    let cond = match &op {
                        Some(o) => self.compare(o, "=", &w)?.sql,
                        None => self.cond(&w),
                    };
                    whens.push(cond);
                    results.push(self.expr(&c.result, scope)?);
                }
                if let Some(e) = else_result {
                    results.push(self.expr(e, scope)?);
                }
                let ty = Self::unified_ty(&results);
                let printed = self.unify(&results);
                let mut sql = String::from("CASE");
                for (w, r) in whens.iter().zip(&printed) {
                    sql.push_str(&format!(" WHEN {w} THEN {r}"));
                }
                if else_result.is_some() {
                    if let Some(r) = printed.last() {
                        sql.push_str(&format!(" ELSE {r}"));
                    }
                }
                sql.push_str(" END");
                Ok(Typed::new(sql, ty))
            }
            Expr::Cast { kind, expr, data_type, format } => {
                if format.is_some() || !matches!(kind, CastKind::Cast) {
                    return unsupported(e.to_string(), "not SQLite's CAST");
                }
                let t = self.expr(expr, scope)?;
                let to = affinity(&data_type.to_string());
                let sql = self.f.cast(&t.sql, t.ty, to);
                Ok(Typed::new(sql, if to == Ty::Decimal { Ty::Real } else { to }))
            }
            Expr::Function(func) => self.function(func, scope),
            Expr::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.expr(expr, scope)?];
                for e in [substring_from, substring_for].into_iter().flatten() {
                    args.push(self.expr(e, scope)?);
                }
                self.call(&Call { name: "substr", args, distinct: false, star: false, order: Vec::new() })
            }
            Expr::Trim { expr, trim_where: None, trim_what: None, trim_characters } => {
                let mut args = vec![self.expr(expr, scope)?];
                for c in trim_characters.iter().flatten() {
                    args.push(self.expr(c, scope)?);
                }
                self.call(&Call { name: "trim", args, distinct: false, star: false, order: Vec::new() })
            }
            Expr::Exists { subquery, negated } => {
                let (sql, _) = self.query(subquery, Some(scope))?;
                let not = if *negated { "NOT " } else { "" };
                Ok(Typed::new(format!("{not}EXISTS ({sql})"), Ty::Bool))
            }
            Expr::Subquery(q) => {
                let (sql, cols) = self.query(q, Some(scope))?;
                Ok(Typed::new(format!("({sql})"), cols.first().map_or(Ty::Unknown, |c| c.ty)))
            }
            Expr::Collate { expr, collation } => {
                let t = self.expr(expr, scope)?;
                match collation.to_string().to_ascii_uppercase().as_str() {
                    "BINARY" => Ok(Typed::new(self.f.binary_text(&t.sql), t.ty)),
                    other => {
                        unsupported(format!("COLLATE {other}"), "only COLLATE BINARY is translated in an expression")
                    }
                }
            }
            other => unsupported(other.to_string(), "this construct is not translated"),
        }
    }

    fn value(&self, v: &Value) -> Result<Typed> {
        Ok(match v {
            Value::Number(n, _) => {
                let ty = if n.contains(['.', 'e', 'E']) { Ty::Real } else { Ty::Int };
                Typed::lit(n.clone(), ty, Lit::Num(n.clone()))
            }
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                Typed::lit(self.f.string(s), Ty::Text, Lit::Str(s.clone()))
            }
            Value::Boolean(b) => {
                let n = if *b { "1" } else { "0" };
                Typed::lit(n, Ty::Int, Lit::Num(n.into()))
            }
            Value::Null => Typed::lit("NULL", Ty::Null, Lit::Null),
            Value::HexStringLiteral(h) => Typed::new(self.f.blob_literal(h), Ty::Bytes),
            other => return unsupported(other.to_string(), "not a SQLite literal"),
        })
    }

    fn binary(&mut self, left: &Expr, op: &BinaryOperator, right: &Expr, scope: &Scope) -> Result<Typed> {
        let l = self.expr(left, scope)?;
        let r = self.expr(right, scope)?;
        let cmp = |s: &Self, o: &str| s.compare(&l, o, &r);
        match op {
            BinaryOperator::And | BinaryOperator::Or => {
                let word = if *op == BinaryOperator::And { "AND" } else { "OR" };
                Ok(Typed::new(format!("{} {word} {}", self.cond(&l), self.cond(&r)), Ty::Bool))
            }
            BinaryOperator::Eq => cmp(self, "="),
            BinaryOperator::NotEq => cmp(self, "<>"),
            BinaryOperator::Lt => cmp(self, "<"),
            BinaryOperator::Gt => cmp(self, ">"),
            BinaryOperator::LtEq => cmp(self, "<="),
            BinaryOperator::GtEq => cmp(self, ">="),
            BinaryOperator::Plus | BinaryOperator::Minus | BinaryOperator::Multiply => {
                let sym = match op {
                    BinaryOperator::Plus => "+",
                    BinaryOperator::Minus => "-",
                    _ => "*",
                };
                let (a, b) = (self.number(&l, sym)?, self.number(&r, sym)?);
                Ok(Typed::new(format!("{} {sym} {}", a.sql, b.sql), arith_ty(a.ty, b.ty)))
            }
            BinaryOperator::Divide => {
                let (a, b) = (self.number(&l, "/")?, self.number(&r, "/")?);
                let ty = arith_ty(a.ty, b.ty);
                let sql = if ty == Ty::Int { self.f.int_divide(&a.sql, &b.sql) } else { self.f.divide(&a.sql, &b.sql) };
                Ok(Typed::new(sql, if ty == Ty::Int { Ty::Int } else { Ty::Real }))
            }
            BinaryOperator::Modulo => {
                let (a, b) = (self.number(&l, "%")?, self.number(&r, "%")?);
                let ai = self.f.cast(&a.sql, a.ty, Ty::Int);
                let bi = self.f.cast(&b.sql, b.ty, Ty::Int);
                Ok(Typed::new(format!("{ai} % NULLIF({bi}, 0)"), Ty::Int))
            }
            BinaryOperator::StringConcat => Ok(Typed::new(self.f.concat(&[self.text(&l), self.text(&r)]), Ty::Text)),
            BinaryOperator::BitwiseAnd | BinaryOperator::BitwiseOr => {
                let sym = if *op == BinaryOperator::BitwiseAnd { "&" } else { "|" };
                Ok(Typed::new(format!("{} {sym} {}", l.sql, r.sql), Ty::Int))
            }
            BinaryOperator::Glob => {
                let Some(p) = r.str_lit() else {
                    return unsupported(
                        "GLOB with a pattern that is not a constant",
                        "only constant patterns are turned into regular expressions",
                    );
                };
                Ok(Typed::new(self.f.regex_match(&self.text(&l), &glob_regex(p)), Ty::Bool))
            }
            other => unsupported(format!("operator {other}"), "not translated"),
        }
    }

    fn in_list(&mut self, expr: &Expr, target: &InTarget, negated: bool, scope: &Scope) -> Result<Typed> {
        let x = self.expr(expr, scope)?;
        let not = if negated { "NOT " } else { "" };
        match target {
            InTarget::List(items) => {
                let mut lefts = Vec::new();
                let mut rights = Vec::new();
                for i in items {
                    let t = self.expr(i, scope)?;
                    let (a, b) = self.align(&x, &t, false)?;
                    lefts.push(a);
                    rights.push(b);
                }
                if lefts.iter().all(|a| Some(a) == lefts.first()) {
                    let left = lefts.first().cloned().unwrap_or_else(|| x.sql.clone());
                    Ok(Typed::new(format!("{left} {not}IN ({})", rights.join(", ")), Ty::Bool))
                } else {
                    let each: Vec<String> = lefts.iter().zip(&rights).map(|(a, b)| format!("{a} = {b}")).collect();
                    Ok(Typed::new(format!("{not}({})", each.join(" OR ")), Ty::Bool))
                }
            }
            InTarget::Subquery(q) => {
                let (sql, cols) = self.query(q, Some(scope))?;
                let inner = cols.first().map_or(Ty::Unknown, |c| c.ty);
                let left = if x.ty == Ty::Bool && inner != Ty::Bool { self.f.bool_as_int(&x.sql) } else { x.sql };
                Ok(Typed::new(format!("{left} {not}IN ({sql})"), Ty::Bool))
            }
            _ => unsupported("IN table", "not translated"),
        }
    }

    fn like(
        &mut self,
        expr: &Expr,
        pattern: &Expr,
        escape: Option<&Expr>,
        negated: bool,
        scope: &Scope,
    ) -> Result<Typed> {
        let x = self.expr(expr, scope)?;
        let p = self.expr(pattern, scope)?;
        let esc = escape.map(|e| self.expr(e, scope)).transpose()?;
        // SQLite's LIKE has no escape character unless told; the targets' default is `\`.
        let pat = match (p.str_lit(), &esc) {
            (Some(s), None) if s.contains('\\') => self.f.string(&s.replace('\\', "\\\\")),
            _ => self.text(&p),
        };
        let sql = self.f.like(&self.text(&x), &pat, esc.as_ref().map(|e| e.sql.as_str()), negated);
        Ok(Typed::new(sql, Ty::Bool))
    }
}

/// SQLite's type affinity of a CAST's type name.
fn affinity(name: &str) -> Ty {
    let n = name.to_ascii_uppercase();
    if n.contains("INT") {
        Ty::Int
    } else if n.contains("CHAR") || n.contains("CLOB") || n.contains("TEXT") {
        Ty::Text
    } else if n.contains("BLOB") || n.is_empty() {
        Ty::Bytes
    } else if n.contains("REAL") || n.contains("FLOA") || n.contains("DOUB") {
        Ty::Real
    } else {
        Ty::Decimal
    }
}

/// A GLOB pattern as an anchored regular expression.
pub(super) fn glob_regex(p: &str) -> String {
    let mut out = String::from("^");
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                // A `]` first in the set is a member.
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    if c == '\\' || c == '[' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push(']');
            }
            c if "\\.+()|{}^$".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('$');
    out
}
