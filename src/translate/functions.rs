//! Function calls: the scalar, aggregate and window functions of SQLite, their
//! arguments translated, each written the way the target spells it.

use sqlparser::ast::{
    DuplicateTreatment, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArguments,
    ObjectNamePart, WindowType,
};

use super::scope::{Scope, Translator};
use super::typed::Typed;
use super::{dates, unsupported, Result, Ty, Untranslatable};

impl Translator<'_> {
    pub(super) fn function(&mut self, func: &Function, scope: &Scope) -> Result<Typed> {
        let name = match func.name.0.as_slice() {
            [ObjectNamePart::Identifier(i)] => i.value.to_ascii_lowercase(),
            _ => return unsupported(func.name.to_string(), "a qualified function name"),
        };
        let argc = match &func.args {
            FunctionArguments::List(l) => l.args.len(),
            _ => 0,
        };
        let aggregate = func.over.is_none()
            && (matches!(name.as_str(), "count" | "sum" | "total" | "avg" | "group_concat" | "string_agg")
                || (matches!(name.as_str(), "min" | "max") && argc == 1));
        if aggregate {
            self.aggregate_depth += 1;
        }
        let args = self.function_args(func, scope);
        if aggregate {
            self.aggregate_depth -= 1;
        }
        let (args, distinct, star, order) = args?;
        self.function_call(func, &name, args, distinct, star, order, scope)
    }

    #[allow(clippy::type_complexity)]
    fn function_args(&mut self, func: &Function, scope: &Scope) -> Result<(Vec<Typed>, bool, bool, Vec<String>)> {
        let mut distinct = false;
        let mut order = Vec::new();
        let mut star = false;
        let mut args = Vec::new();
        match &func.args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(_) => return unsupported(func.to_string(), "not SQLite"),
            FunctionArguments::List(list) => {
                distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
                for a in &list.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(self.expr(e, scope)?),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => star = true,
                        _ => return unsupported(func.to_string(), "a named or wildcard argument"),
                    }
                }
                for c in &list.clauses {
                    match c {
                        FunctionArgumentClause::OrderBy(items) => {
                            for o in items {
                                let t = self.expr(&o.expr, scope)?;
                                let desc = matches!(o.options.sort, Some(sqlparser::ast::OrderBySort::Desc));
                                order.push(self.f.order_key(&t.sql, t.ty, desc));
                            }
                        }
                        other => return unsupported(other.to_string(), "not SQLite"),
                    }
                }
            }
        }
        if !func.within_group.is_empty()
            || func.null_treatment.is_some()
            || !matches!(func.parameters, FunctionArguments::None)
        {
            return unsupported(func.to_string(), "not SQLite");
        }
        Ok((args, distinct, star, order))
    }

    #[allow(clippy::too_many_arguments)]
    fn function_call(
        &mut self,
        func: &Function,
        name: &str,
        mut args: Vec<Typed>,
        distinct: bool,
        mut star: bool,
        order: Vec<String>,
        scope: &Scope,
    ) -> Result<Typed> {
        // FILTER (WHERE c): the argument becomes CASE WHEN c THEN x END (both engines).
        if let Some(filter) = &func.filter {
            let c = self.expr(filter, scope)?;
            let c = self.cond(&c);
            if star {
                star = false;
                args.push(Typed::new("1", Ty::Int));
            }
            for a in &mut args {
                a.sql = format!("CASE WHEN {c} THEN {} END", a.sql);
            }
        }
        // MariaDB's lag()/lead() take no default: it applies when no row is that far away.
        let default = if matches!(name, "lag" | "lead") && args.len() == 3 && !self.f.lag_lead_default() {
            args.pop()
        } else {
            None
        };
        let call = Call { name, args, distinct, star, order };
        let mut t = self.call(&call)?;
        if let Some(over) = &func.over {
            let WindowType::WindowSpec(w) = over else {
                return unsupported("OVER name", "named windows are not translated yet");
            };
            let mut parts = Vec::new();
            if !w.partition_by.is_empty() {
                let p: Vec<String> =
                    w.partition_by.iter().map(|e| self.expr(e, scope).map(|t| t.sql)).collect::<Result<_>>()?;
                parts.push(format!("PARTITION BY {}", p.join(", ")));
            }
            if !w.order_by.is_empty() {
                let mut keys = Vec::new();
                for o in &w.order_by {
                    let k = self.expr(&o.expr, scope)?;
                    let desc = matches!(o.options.sort, Some(sqlparser::ast::OrderBySort::Desc));
                    keys.push(self.f.order_key(&k.sql, k.ty, desc));
                }
                parts.push(format!("ORDER BY {}", keys.join(", ")));
            }
            if let Some(frame) = &w.window_frame {
                let frame = match &frame.end_bound {
                    Some(end) => format!("{} BETWEEN {} AND {end}", frame.units, frame.start_bound),
                    None => format!("{} {}", frame.units, frame.start_bound),
                };
                parts.push(frame);
            }
            if name == "group_concat" && !self.f.lag_lead_default() {
                return unsupported("group_concat() OVER (…)", "MariaDB's GROUP_CONCAT is not a window function");
            }
            let window = parts.join(" ");
            t.sql = format!("{} OVER ({window})", t.sql);
            if let Some(d) = default {
                let frame = if name == "lag" {
                    "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
                } else {
                    "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"
                };
                let offset = call.args.get(1).map_or("1".to_string(), |o| o.sql.clone());
                t.sql = format!(
                    "CASE WHEN count(*) OVER ({window} {frame}) > {offset} THEN {} ELSE {} END",
                    t.sql,
                    self.unify(&[Typed::new(t.sql.clone(), t.ty), d])[1]
                );
            }
        }
        Ok(t)
    }

    pub(super) fn call(&mut self, c: &Call) -> Result<Typed> {
        let f = self.f;
        let a = &c.args;
        let arg = |i: usize| {
            a.get(i).cloned().ok_or_else(|| Untranslatable::new(format!("{}()", c.name), "too few arguments"))
        };
        let d = if c.distinct { "DISTINCT " } else { "" };
        let n = a.len();
        Ok(match (c.name, n) {
            ("count", _) if c.star => Typed::new("count(*)", Ty::Int),
            ("count", 1) => Typed::new(format!("count({d}{})", a[0].sql), Ty::Int),
            ("sum", 1) => {
                let x = self.number(&a[0], "sum()")?;
                Typed::new(format!("sum({d}{})", x.sql), x.ty)
            }
            ("total", 1) => {
                let x = self.number(&a[0], "total()")?;
                Typed::new(f.total(&x.sql, c.distinct), Ty::Real)
            }
            ("avg", 1) => {
                let x = self.number(&a[0], "avg()")?;
                Typed::new(f.avg(&x.sql, c.distinct), Ty::Real)
            }
            ("max" | "min", 1) => {
                let x = &a[0];
                let inner = if x.ty.is_text() { f.binary_text(&x.sql) } else { x.sql.clone() };
                Typed::new(format!("{}({d}{inner})", c.name), x.ty)
            }
            ("max" | "min", _) if n >= 2 => {
                let ty = Self::unified_ty(a);
                Typed::new(f.extreme(c.name == "max", &self.unify(a)), ty)
            }
            ("group_concat" | "string_agg", 1 | 2) => {
                let sep = if n == 2 { self.text(&a[1]) } else { f.string(",") };
                let order =
                    if c.order.is_empty() { String::new() } else { format!(" ORDER BY {}", c.order.join(", ")) };
                Typed::new(f.group_concat(&self.text(&a[0]), &sep, c.distinct, &order), Ty::Text)
            }
            ("coalesce" | "ifnull", _) if n >= 2 => {
                let ty = Self::unified_ty(a);
                Typed::new(format!("COALESCE({})", self.unify(a).join(", ")), ty)
            }
            ("nullif", 2) => {
                let (x, y) = self.align(&a[0], &a[1], false)?;
                Typed::new(format!("NULLIF({x}, {y})"), a[0].ty)
            }
            ("iif" | "if", 2 | 3) => {
                let cond = self.cond(&a[0]);
                let results: Vec<Typed> = a[1..].to_vec();
                let ty = Self::unified_ty(&results);
                let p = self.unify(&results);
                let otherwise = p.get(1).map(|e| format!(" ELSE {e}")).unwrap_or_default();
                Typed::new(format!("CASE WHEN {cond} THEN {}{otherwise} END", p[0]), ty)
            }
            ("concat", _) if n >= 1 => {
                let parts: Vec<String> = a.iter().map(|t| self.text(t)).collect();
                Typed::new(f.concat_skipping_nulls(&parts), Ty::Text)
            }
            ("concat_ws", _) if n >= 2 => {
                let parts: Vec<String> = a.iter().map(|t| self.text(t)).collect();
                Typed::new(format!("CONCAT_WS({})", parts.join(", ")), Ty::Text)
            }
            ("substr" | "substring", 2 | 3) => {
                let x = self.text(&arg(0)?);
                let start = self.number(&a[1], "substr()")?.sql;
                let len = a.get(2).map(|l| self.number(l, "substr()").map(|t| t.sql)).transpose()?;
                Typed::new(f.substr(&x, &start, len.as_deref()), Ty::Text)
            }
            ("instr", 2) => Typed::new(f.instr(&self.text(&a[0]), &self.text(&a[1])), Ty::Int),
            ("length", 1) => {
                let x = &a[0];
                if x.ty == Ty::Bytes {
                    Typed::new(f.byte_length(&x.sql), Ty::Int)
                } else {
                    Typed::new(f.char_length(&self.text(x)), Ty::Int)
                }
            }
            ("octet_length", 1) => Typed::new(f.byte_length(&self.text(&a[0])), Ty::Int),
            ("lower" | "upper", 1) => {
                Typed::new(format!("{}({})", c.name.to_ascii_uppercase(), self.text(&a[0])), Ty::Text)
            }
            ("trim" | "ltrim" | "rtrim", 1 | 2) => {
                let chars = a.get(1).map(|t| self.text(t));
                Typed::new(f.trim(c.name, &self.text(&a[0]), chars.as_deref())?, Ty::Text)
            }
            ("replace", 3) => {
                let p: Vec<String> = a.iter().map(|t| self.text(t)).collect();
                Typed::new(format!("REPLACE({})", p.join(", ")), Ty::Text)
            }
            ("round", 1 | 2) => {
                let x = self.number(&a[0], "round()")?;
                let digits = a.get(1).map_or_else(|| "0".to_string(), |t| t.sql.clone());
                Typed::new(f.round(&x.sql, &digits), Ty::Real)
            }
            ("abs", 1) => {
                let x = self.number(&a[0], "abs()")?;
                Typed::new(format!("ABS({})", x.sql), x.ty)
            }
            ("sign", 1) => {
                let x = self.number(&a[0], "sign()")?;
                Typed::new(
                    format!("CAST(SIGN({}) AS {})", x.sql, if f.strict_booleans() { "integer" } else { "SIGNED" }),
                    Ty::Int,
                )
            }
            ("typeof", 1) => {
                let x = &a[0];
                match x.ty.sqlite_typeof() {
                    Some(name) => {
                        Typed::new(format!("CASE WHEN {} IS NULL THEN 'null' ELSE '{name}' END", x.sql), Ty::Text)
                    }
                    None if x.ty == Ty::Null => Typed::new("'null'", Ty::Text),
                    None => return unsupported("typeof()", "the type of this expression is not known before it runs"),
                }
            }
            // A JSON column holds only valid JSON in the target (its type checks it).
            ("json_valid", 1) if a[0].ty == Ty::Json => Typed::new(
                format!("CASE WHEN {} IS NULL THEN NULL ELSE {} END", a[0].sql, f.bool_literal(true)),
                Ty::Bool,
            ),
            ("json_valid", 1) if !f.strict_booleans() => Typed::new(format!("JSON_VALID({})", a[0].sql), Ty::Int),
            ("random", 0) => {
                self.volatile.push("random()".into());
                Typed::new(f.random(), Ty::Int)
            }
            (
                "row_number" | "rank" | "dense_rank" | "cume_dist" | "percent_rank" | "ntile" | "lag" | "lead"
                | "first_value" | "last_value" | "nth_value",
                _,
            ) => {
                let p: Vec<String> = a.iter().map(|t| t.sql.clone()).collect();
                let ty = match c.name {
                    "cume_dist" | "percent_rank" => Ty::Real,
                    "lag" | "lead" | "first_value" | "last_value" | "nth_value" => {
                        a.first().map_or(Ty::Unknown, |t| t.ty)
                    }
                    _ => Ty::Int,
                };
                Typed::new(format!("{}({})", c.name, p.join(", ")), ty)
            }
            ("date" | "time" | "datetime" | "julianday" | "unixepoch" | "strftime", _) => dates::call(self, c.name, a)?,
            ("current_timestamp" | "current_date" | "current_time", 0) => dates::current(self, c.name)?,
            (other, _) => {
                return unsupported(
                    format!("{other}() with {n} argument{}", if n == 1 { "" } else { "s" }),
                    format!("no known equivalent on {}", f.name()),
                )
            }
        })
    }
}

/// A function call, its arguments translated.
pub(super) struct Call<'c> {
    pub(super) name: &'c str,
    pub(super) args: Vec<Typed>,
    pub(super) distinct: bool,
    pub(super) star: bool,
    pub(super) order: Vec<String>,
}
