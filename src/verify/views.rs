//! Every view's rows, SQLite against the target (create mode): a translated view must
//! return what SQLite returns. Rows are compared as multisets of canonical texts: NULL;
//! numbers by value (nine significant digits, text that reads as a number included: SQLite
//! computes in doubles, the targets partly in decimals); dates and date-times as
//! `YYYY-MM-DD HH:MM:SS` (a bare date is midnight); booleans as 1/0 where the target column
//! is a boolean; other text exactly. A view whose rows depend on the moment or on an order
//! nobody fixed ('now', random(), LIMIT without ORDER BY, group_concat() without ORDER BY)
//! is listed as not comparable, with the reason.

use rusqlite::types::ValueRef;

use super::report::ViewVerdict;
use super::VerifyError;
use crate::plan::{Phase, Plan};
use crate::schema::SourceSchema;
use crate::source::{quote_sqlite, Source};
use crate::target::conn::TargetConn;

/// Why a view's rows are not comparable, if they are not.
pub fn volatile(sql: &str) -> Option<String> {
    let s = sql.to_ascii_lowercase();
    let mut why = Vec::new();
    if s.contains("'now'")
        || s.contains("current_timestamp")
        || s.contains("current_date")
        || s.contains("current_time")
    {
        why.push("it reads the current time");
    }
    if s.contains("random(") {
        why.push("it calls random()");
    }
    if s.contains(" limit ") && !s.contains("order by") {
        why.push("LIMIT without ORDER BY: which rows is up to each engine");
    }
    if s.split("group_concat(").skip(1).any(|rest| !rest.split(')').next().unwrap_or("").contains("order by")) {
        why.push("group_concat() without ORDER BY: the order of its parts is up to each engine");
    }
    (!why.is_empty()).then(|| why.join("; "))
}

fn canonical(v: Option<&str>, is_bool: bool) -> String {
    let Some(s) = v else { return "NULL".into() };
    let t = s.trim();
    if is_bool {
        match t.to_ascii_lowercase().as_str() {
            "1" | "t" | "true" | "yes" | "y" | "on" => return "1".into(),
            "0" | "f" | "false" | "no" | "n" | "off" => return "0".into(),
            _ => {}
        }
    }
    let lower = t.to_ascii_lowercase();
    if !t.is_empty() && lower != "nan" && !lower.contains("inf") {
        if let Ok(n) = t.parse::<f64>() {
            return if n == 0.0 { "0".into() } else { format!("{n:.8e}") };
        }
    }
    let dt = t.replace('T', " ");
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(&dt, f) {
            return d.format("%Y-%m-%d %H:%M:%S").to_string();
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.format("%Y-%m-%d 00:00:00").to_string();
    }
    s.to_string()
}

fn sqlite_rows(source: &Source, view: &str, bools: &[bool]) -> Result<Vec<Vec<String>>, String> {
    let conn = source.connection();
    let mut st = conn.prepare(&format!("SELECT * FROM {}", quote_sqlite(view))).map_err(|e| e.to_string())?;
    let n = st.column_count();
    let mut rows = st.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            let b = bools.get(i).copied().unwrap_or(false);
            row.push(match r.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => "NULL".into(),
                ValueRef::Integer(v) => canonical(Some(&v.to_string()), b),
                ValueRef::Real(v) => canonical(Some(&v.to_string()), b),
                ValueRef::Text(t) => canonical(Some(&String::from_utf8_lossy(t)), b),
                ValueRef::Blob(x) => x.iter().map(|b| format!("{b:02X}")).collect(),
            });
        }
        out.push(row);
    }
    out.sort();
    Ok(out)
}

/// Compare every view of the source that the plan creates.
pub(super) async fn compare(
    source: &Source,
    conn: &mut TargetConn,
    plan: &Plan,
    schema: &SourceSchema,
) -> Result<Vec<ViewVerdict>, VerifyError> {
    let mut out = Vec::new();
    let target_schema = plan.target_schema.as_deref();
    let engine = conn.dialect().engine();
    for v in schema.views.iter().filter(|v| v.error.is_none()) {
        let verdict = |status: &str, reason: String| ViewVerdict {
            view: v.name.clone(),
            status: status.into(),
            rows_source: 0,
            rows_target: 0,
            reason,
        };
        if !plan.statements.iter().any(|s| s.phase == Phase::Views && s.object == v.name) {
            out.push(verdict("not migrated", "the plan leaves it out (see the migration's warnings)".into()));
            continue;
        }
        if let Some(why) = volatile(&v.sql) {
            out.push(verdict("not comparable", why));
            continue;
        }
        let columns = conn.columns(target_schema, &v.name).await?;
        if columns.is_empty() {
            out.push(verdict("missing in target", "the target has no such view".into()));
            continue;
        }
        let bools: Vec<bool> = columns
            .iter()
            .map(|c| matches!(c.type_name.to_ascii_lowercase().as_str(), "boolean" | "tinyint(1)"))
            .collect();
        let expected = match sqlite_rows(source, &v.name, &bools) {
            Ok(r) => r,
            Err(e) => {
                out.push(verdict("not comparable", format!("SQLite cannot read it: {e}")));
                continue;
            }
        };
        let sql = format!("SELECT * FROM {}", engine.table_ref(target_schema, &v.name));
        let mut actual: Vec<Vec<String>> = match conn.text_rows(&sql).await {
            Ok(rows) => rows
                .iter()
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .map(|(i, x)| {
                            let b = bools.get(i).copied().unwrap_or(false);
                            match x.as_deref() {
                                Some(h) if h.starts_with("\\x") => h[2..].to_ascii_uppercase(),
                                other => canonical(other, b),
                            }
                        })
                        .collect()
                })
                .collect(),
            Err(e) => {
                out.push(verdict("rows differ", format!("the target cannot read it: {e}")));
                continue;
            }
        };
        actual.sort();
        let status = if expected == actual { "match" } else { "rows differ" };
        let reason = if expected == actual {
            String::new()
        } else {
            let first =
                expected.iter().find(|r| !actual.contains(r)).or_else(|| actual.iter().find(|r| !expected.contains(r)));
            format!("e.g. {:?}", first.cloned().unwrap_or_default())
        };
        out.push(ViewVerdict {
            view: v.name.clone(),
            status: status.into(),
            rows_source: expected.len() as u64,
            rows_target: actual.len() as u64,
            reason,
        });
    }
    Ok(out)
}
