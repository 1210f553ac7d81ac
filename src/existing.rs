//! Existing mode's checks against the live target, before anything is emptied or written.
//!
//! In existing mode the application's migrations built the target, so its own
//! definitions decide what a row may hold, not cutover's plan: column types (read from
//! the catalog into each `TableJob`: NOT NULL, VARCHAR(n) in characters, TEXT byte
//! limits, enum labels, fractional seconds), unique keys under the columns' real
//! collations (MariaDB's `_ci` and PAD SPACE, PostgreSQL's citext or nondeterministic
//! collations) and the CHECK constraints the target has. Rather than re-implement the
//! server's comparison rules, the key and CHECK columns of every row are loaded into a
//! TEMPORARY table created from the target table's own column definitions, and the
//! server itself is asked for duplicates and violations there. `migrate --schema
//! existing` runs this before `--truncate` empties anything; `lint --schema existing`
//! runs it without writing.

use std::collections::BTreeMap;

use crate::job::{self, TableJob};
use crate::lint::{LintFinding, LintSample};
use crate::plan::Level;
use crate::schema::{SourceSchema, Table};
use crate::source::Source;
use crate::target::conn::{TargetConn, TargetError};
use crate::types::ColumnType;
use crate::value::Value;

#[derive(Debug, thiserror::Error)]
pub enum PrecheckError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("reading table {table} of the source: {reason}")]
    Read { table: String, reason: String },
}

/// A unique key, CHECK constraint or foreign key of a target table that the server evaluates.
struct Rule {
    name: String,
    /// Target column names the rule reads.
    columns: Vec<String>,
    kind: RuleKind,
}

enum RuleKind {
    Unique,
    Check(String),
    /// The parent table and its referenced columns; `temp` is the parent's job when this
    /// run loads it (its rows are then in that job's temporary table), None when the
    /// parent stays as the target has it.
    ForeignKey {
        parent: String,
        parent_columns: Vec<String>,
        temp: Option<usize>,
    },
}

/// Rows read for the server's checks: each row's key (for messages) and the values of
/// the rule columns.
struct Loaded {
    columns: Vec<String>,
    keys: Vec<String>,
    rows: Vec<Vec<Value>>,
}

fn temp_name(n: usize) -> String {
    format!("cutover_precheck_{n}")
}

/// Every finding of the checks of `jobs` against the target's catalog: values the target's
/// columns refuse, unique-key collisions, CHECK violations and foreign-key orphans. The
/// rows of every job are loaded (their rule columns) into temporary tables first, so that a
/// foreign key to a table of this run is checked against that table's new rows.
pub(crate) async fn precheck(
    source: &Source,
    schema: &SourceSchema,
    jobs: &[TableJob],
    conn: &mut TargetConn,
    schema_ref: Option<&str>,
    samples: usize,
    set_aside: bool,
) -> Result<Vec<LintFinding>, PrecheckError> {
    let mut rules: Vec<Vec<Rule>> = Vec::new();
    for job in jobs {
        let table = schema.table(&job.source_name);
        rules.push(match table {
            Some(t) => rules_of(conn, schema_ref, job, t).await?,
            None => Vec::new(),
        });
    }
    // The columns each job's temporary table holds: its own rules' and those its children's
    // foreign keys reference.
    let mut columns: Vec<Vec<String>> =
        rules.iter().map(|r| r.iter().flat_map(|r| r.columns.clone()).collect()).collect();
    for table_rules in rules.iter_mut() {
        for rule in table_rules.iter_mut() {
            let RuleKind::ForeignKey { parent, parent_columns, temp } = &mut rule.kind else { continue };
            if let Some(p) = jobs.iter().position(|j| &j.target_name == parent) {
                if parent_columns.iter().all(|c| jobs[p].columns.contains(c)) {
                    *temp = Some(p);
                    columns[p].extend(parent_columns.iter().cloned());
                }
            }
        }
    }
    // A foreign key to a table of this run whose referenced columns it does not write: the
    // load fills them with defaults, which cutover cannot judge; left to the server.
    for r in rules.iter_mut() {
        r.retain(|rule| match &rule.kind {
            RuleKind::ForeignKey { parent, temp: None, .. } => !jobs.iter().any(|j| &j.target_name == parent),
            _ => true,
        });
    }
    let mut findings = Vec::new();
    let mut loaded = Vec::new();
    let mut made = Vec::new();
    for (n, job) in jobs.iter().enumerate() {
        let mut cols: Vec<String> = Vec::new();
        for c in &columns[n] {
            if !cols.contains(c) {
                cols.push(c.clone());
            }
        }
        let (mut found, rows) = scan(source, job, cols, samples, set_aside)?;
        findings.append(&mut found);
        if !rows.columns.is_empty() {
            load_temp(conn, schema_ref, job, &rows, n).await?;
            made.push(n);
        }
        loaded.push(rows);
    }
    for (n, job) in jobs.iter().enumerate() {
        if !loaded[n].columns.is_empty() {
            findings.extend(ask_the_server(conn, schema_ref, job, &rules[n], &loaded[n], n, samples).await?);
        }
    }
    let engine = conn.dialect().engine();
    for n in made {
        let (_, drop) = engine.temp_copy_sql("", &temp_name(n), &[]);
        conn.execute(&drop).await?;
    }
    Ok(findings)
}

/// The target's unique keys and CHECK constraints on columns this job writes. A key whose
/// columns are all integers or booleans, and that the source declares unique too, compares
/// the same everywhere and is left out.
async fn rules_of(
    conn: &mut TargetConn,
    schema_ref: Option<&str>,
    job: &TableJob,
    table: &Table,
) -> Result<Vec<Rule>, TargetError> {
    let engine = conn.dialect().engine();
    let sep = '\u{1f}';
    let written = |c: &str| job.columns.iter().position(|k| k == c);
    let mut rules = Vec::new();
    for row in conn.text_rows(&engine.unique_keys_sql(schema_ref, &job.target_name, sep)).await? {
        let [Some(name), Some(cols)] = &row[..] else { continue };
        let columns: Vec<String> = cols.split(sep).map(str::to_string).collect();
        let Some(idx) = columns.iter().map(|c| written(c)).collect::<Option<Vec<usize>>>() else { continue };
        let exact = idx.iter().all(|i| {
            matches!(
                job.types[*i].0,
                ColumnType::Integer { .. } | ColumnType::Boolean | ColumnType::Bit | ColumnType::Year
            )
        });
        let source_cols: Vec<&str> = idx.iter().map(|i| job.source_columns[*i].as_str()).collect();
        if exact && source_declares_unique(table, &source_cols) {
            continue;
        }
        rules.push(Rule { name: name.clone(), columns, kind: RuleKind::Unique });
    }
    for row in conn.text_rows(&engine.checks_sql(schema_ref, &job.target_name, sep)).await? {
        let [Some(name), Some(clause), cols] = &row[..] else { continue };
        let columns: Vec<String> = match cols {
            Some(c) => c.split(sep).map(str::to_string).collect(),
            None => job.columns.iter().filter(|c| mentions(clause, c, engine.quote(c).as_str())).cloned().collect(),
        };
        if columns.is_empty() || columns.iter().any(|c| written(c).is_none()) {
            continue;
        }
        rules.push(Rule { name: name.clone(), columns, kind: RuleKind::Check(clause.clone()) });
    }
    for row in conn.text_rows(&engine.foreign_keys_of_sql(schema_ref, &job.target_name, sep)).await? {
        let [Some(name), Some(cols), Some(parent), Some(parent_cols)] = &row[..] else { continue };
        let columns: Vec<String> = cols.split(sep).map(str::to_string).collect();
        if columns.iter().any(|c| written(c).is_none()) {
            continue;
        }
        let parent_columns = parent_cols.split(sep).map(str::to_string).collect();
        rules.push(Rule {
            name: name.clone(),
            columns,
            kind: RuleKind::ForeignKey { parent: parent.clone(), parent_columns, temp: None },
        });
    }
    Ok(rules)
}

/// True when the CHECK text names the column (quoted, or as a bare word).
fn mentions(clause: &str, column: &str, quoted: &str) -> bool {
    if clause.contains(quoted) {
        return true;
    }
    clause.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == column)
}

fn source_declares_unique(t: &Table, columns: &[&str]) -> bool {
    let same = |cols: Vec<&str>| {
        let mut a = cols;
        let mut b = columns.to_vec();
        a.sort_unstable();
        b.sort_unstable();
        a == b
    };
    t.primary_key.as_ref().is_some_and(|pk| same(pk.columns.iter().map(String::as_str).collect()))
        || t.indexes.iter().any(|ix| {
            ix.unique
                && ix.partial.is_none()
                && !ix.has_expressions()
                && same(ix.columns.iter().filter_map(|c| c.name.as_deref()).collect())
        })
}

/// Convert every row as the load will (the job's types, NOT NULL, labels, byte limits,
/// fractional digits) and keep the values of the rule columns of the rows that convert.
/// `set_aside`: rows that do not convert will not load (reject mode), so they take no part
/// in the key, CHECK and foreign-key checks (a child of a set-aside parent is an orphan).
fn scan(
    source: &Source,
    job: &TableJob,
    columns: Vec<String>,
    samples: usize,
    set_aside: bool,
) -> Result<(Vec<LintFinding>, Loaded), PrecheckError> {
    let fail = |e: rusqlite::Error| PrecheckError::Read { table: job.source_name.clone(), reason: e.to_string() };
    let picks: Vec<usize> = columns.iter().filter_map(|c| job.columns.iter().position(|k| k == c)).collect();
    let mut loaded = Loaded { columns, keys: Vec::new(), rows: Vec::new() };
    let mut failures: BTreeMap<(String, String), (u64, Vec<LintSample>, String)> = BTreeMap::new();
    let mut st = source.connection().prepare(&job.select).map_err(fail)?;
    let mut rows = st.query([]).map_err(fail)?;
    while let Some(row) = rows.next().map_err(fail)? {
        let picked = match job::convert_row(row, job) {
            Ok(values) => Some(picks.iter().map(|i| values[*i].clone()).collect()),
            Err(r) => {
                let reason = for_existing(&r.reason);
                let entry = failures
                    .entry((r.column.clone(), r.kind.clone()))
                    .or_insert_with(|| (0, Vec::new(), reason.clone()));
                entry.0 += 1;
                if entry.1.len() < samples {
                    entry.1.push(LintSample { key: r.key.clone(), value: r.value.clone(), reason });
                }
                // The row's key and CHECK columns may still convert: they are judged too
                // (unless the row will be set aside).
                (!set_aside).then(|| job::convert_columns(row, job, &picks))
            }
        };
        if let (Some(values), false) = (picked, picks.is_empty()) {
            loaded.keys.push(job::row_key(row, job));
            loaded.rows.push(values);
        }
    }
    let findings = failures
        .into_iter()
        .map(|((column, kind), (count, samples, first))| LintFinding {
            level: Level::Error,
            code: kind.clone(),
            table: Some(job.source_name.clone()),
            column: Some(column),
            count,
            message: format!("{count} row(s) hold a value the target column refuses, e.g. {first}"),
            hint: "fix the values in the source, or change the target column in the application's migration; or migrate with --on-error reject --reject-file FILE to set those rows aside".into(),
            samples,
        })
        .collect();
    Ok((findings, loaded))
}

/// A conversion's reason without its advice to override the column type in cutover.toml,
/// which does not apply when the target's own columns decide the types.
fn for_existing(reason: &str) -> String {
    let Some(at) = reason.find("cutover.toml") else { return reason.to_string() };
    let head = &reason[..at];
    let cut = ["; ", " (", ", or "].iter().filter_map(|m| head.rfind(m)).max().unwrap_or(at);
    reason[..cut].to_string()
}

/// Load the rule columns into a TEMPORARY table made from the target's own column
/// definitions.
async fn load_temp(
    conn: &mut TargetConn,
    schema_ref: Option<&str>,
    job: &TableJob,
    loaded: &Loaded,
    n: usize,
) -> Result<(), TargetError> {
    let engine = conn.dialect().engine();
    let tref = conn.table_ref(schema_ref, &job.target_name);
    let (create, drop) = engine.temp_copy_sql(&tref, &temp_name(n), &loaded.columns);
    conn.execute(&drop).await?;
    conn.execute(&create).await?;
    let quoted_temp = engine.quote(&temp_name(n));
    let cols = loaded.columns.iter().map(|c| engine.quote(c)).collect::<Vec<_>>().join(", ");
    for (start, chunk) in loaded.rows.chunks(500).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let lits: Vec<String> = row.iter().map(|v| engine.literal(v)).collect();
                format!("({}, {})", start * 500 + i, lits.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {quoted_temp} (cutover_row, {cols}) VALUES {}", values.join(", "));
        conn.execute(&sql).await?;
    }
    Ok(())
}

/// Ask the server for duplicates of each unique key, rows that fail each CHECK, and rows
/// whose foreign key points to no parent row (in the parent's new rows when this run
/// loads it, else in the target's table as it is).
async fn ask_the_server(
    conn: &mut TargetConn,
    schema_ref: Option<&str>,
    job: &TableJob,
    rules: &[Rule],
    loaded: &Loaded,
    n: usize,
    samples: usize,
) -> Result<Vec<LintFinding>, TargetError> {
    let engine = conn.dialect().engine();
    let quoted_temp = engine.quote(&temp_name(n));
    let text = engine.text_cast();
    let mut findings = Vec::new();
    for rule in rules {
        let at: Vec<usize> = rule.columns.iter().filter_map(|c| loaded.columns.iter().position(|k| k == c)).collect();
        let shown = |row: usize| -> String {
            at.iter()
                .map(|i| crate::convert::shorten(&engine.literal(&loaded.rows[row][*i]), 40))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let column = job.columns.iter().position(|c| c == &rule.columns[0]).map(|i| job.source_columns[i].clone());
        match &rule.kind {
            RuleKind::Unique => {
                let key = rule.columns.iter().map(|c| engine.quote(c)).collect::<Vec<_>>().join(", ");
                let not_null = rule
                    .columns
                    .iter()
                    .map(|c| format!("{} IS NOT NULL", engine.quote(c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let sql = format!(
                    "SELECT CAST(min(cutover_row) AS {text}), CAST(max(cutover_row) AS {text}), CAST(count(*) AS {text}) \
                     FROM {quoted_temp} WHERE {not_null} GROUP BY {key} HAVING count(*) > 1"
                );
                let groups = conn.text_rows(&sql).await?;
                let rows: u64 = groups.iter().filter_map(|g| g.get(2).cloned().flatten()?.parse::<u64>().ok()).sum();
                if groups.is_empty() {
                    continue;
                }
                let picked: Vec<LintSample> = groups
                    .iter()
                    .take(samples)
                    .filter_map(|g| {
                        let a: usize = g.first().cloned().flatten()?.parse().ok()?;
                        let b: usize = g.get(1).cloned().flatten()?.parse().ok()?;
                        Some(LintSample {
                            key: format!("{} and {}", loaded.keys.get(a)?, loaded.keys.get(b)?),
                            value: format!("{} / {}", shown(a), shown(b)),
                            reason: format!("one value under the target's unique key {}", rule.name),
                        })
                    })
                    .collect();
                findings.push(LintFinding {
                    level: Level::Error,
                    code: "unique_collision".into(),
                    table: Some(job.source_name.clone()),
                    column,
                    count: rows,
                    message: format!(
                        "{rows} row(s) in {} group(s) are one value of the target's unique key {} ({}) under its columns' own collation, and the load would fail on them",
                        groups.len(),
                        rule.name,
                        rule.columns.join(", ")
                    ),
                    hint: engine.collision_hint().into(),
                    samples: picked,
                });
            }
            RuleKind::ForeignKey { parent, parent_columns, temp } => {
                let parent_ref = match temp {
                    Some(p) => engine.quote(&temp_name(*p)),
                    None => conn.table_ref(schema_ref, parent),
                };
                let present = rule
                    .columns
                    .iter()
                    .map(|c| format!("c.{} IS NOT NULL", engine.quote(c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let matches = rule
                    .columns
                    .iter()
                    .zip(parent_columns)
                    .map(|(c, p)| format!("p.{} = c.{}", engine.quote(p), engine.quote(c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let sql = format!(
                    "SELECT CAST(c.cutover_row AS {text}) FROM {quoted_temp} c WHERE {present} \
                     AND NOT EXISTS (SELECT 1 FROM {parent_ref} p WHERE {matches}) ORDER BY c.cutover_row"
                );
                let bad = conn.text_rows(&sql).await?;
                if bad.is_empty() {
                    continue;
                }
                let picked = row_samples(&bad, samples, loaded, &shown, &format!("no row of {parent} has it"));
                let whose = if temp.is_some() { "the rows this run loads into" } else { "the target's table" };
                findings.push(LintFinding {
                    level: Level::Error,
                    code: "fk_orphans".into(),
                    table: Some(job.source_name.clone()),
                    column,
                    count: bad.len() as u64,
                    message: format!(
                        "{} row(s) point to no row of {whose} {parent} ({}); the target's foreign key {} would refuse them",
                        bad.len(),
                        parent_columns.join(", "),
                        rule.name
                    ),
                    hint: "load the parent rows too, fix or delete the orphan rows in the source, or leave the table out with --exclude".into(),
                    samples: picked,
                });
            }
            RuleKind::Check(clause) => {
                let expr = engine.check_expression(clause);
                let sql = format!(
                    "SELECT CAST(cutover_row AS {text}) FROM {quoted_temp} WHERE NOT ({expr}) ORDER BY cutover_row"
                );
                let bad = conn.text_rows(&sql).await?;
                if bad.is_empty() {
                    continue;
                }
                let picked = row_samples(&bad, samples, loaded, &shown, &format!("fails CHECK {}", rule.name));
                findings.push(LintFinding {
                    level: Level::Error,
                    code: "check_violation".into(),
                    table: Some(job.source_name.clone()),
                    column,
                    count: bad.len() as u64,
                    message: format!("{} row(s) fail the target's CHECK constraint {}: {expr}", bad.len(), rule.name),
                    hint: "fix the rows in the source, or change the constraint in the application's migration".into(),
                    samples: picked,
                });
            }
        }
    }
    Ok(findings)
}

/// `cutover lint --to URL --schema existing`: every table matched against the live
/// target's catalog, every row checked as `migrate --schema existing` would check it, and
/// the target's own foreign keys; nothing is written (the checks' TEMPORARY tables
/// live and die in lint's own session).
pub async fn lint_existing(
    opts: &crate::lint::LintOptions<'_>,
    url: &crate::target::url::TargetUrl,
) -> Result<crate::lint::LintReport, crate::lint::LintError> {
    use crate::lint::LintError;
    let started = std::time::Instant::now();
    let mut source = Source::open(&opts.source)?;
    let schema = source.snapshot()?;
    let plan = crate::lint::plan_for(opts, &schema)?;
    let mut conn = TargetConn::connect(url).await?;
    let schema_ref = plan.target_schema.as_deref();
    let mut findings = Vec::new();
    let mut jobs = Vec::new();
    for tp in &plan.tables {
        let Some(t) = schema.table(&tp.source_name) else { continue };
        let mismatch = |message: String| {
            LintFinding {
            level: Level::Error,
            code: "schema_mismatch".into(),
            table: Some(tp.source_name.clone()),
            column: None,
            count: 1,
            message,
            hint: "make the target's schema match (run the application's migrations against it), or leave the table out with --exclude".into(),
            samples: Vec::new(),
        }
        };
        if !conn.table_exists(schema_ref, &tp.target_name).await? {
            findings.push(mismatch(format!("table {} does not exist in the target", tp.target_name)));
            continue;
        }
        let catalog = conn.columns(schema_ref, &tp.target_name).await?;
        match job::existing_job(t, tp, &catalog, url.dialect, false) {
            Ok(j) => jobs.push(j),
            Err(problems) => findings.extend(problems.into_iter().map(mismatch)),
        }
    }
    let found =
        precheck(&source, &schema, &jobs, &mut conn, schema_ref, opts.samples, false).await.map_err(|e| match e {
            PrecheckError::Read { table, reason } => LintError::Read { table, reason },
            PrecheckError::Target(t) => LintError::Target(t),
        })?;
    findings.extend(found);
    source.release()?;
    let rows: u64 = jobs.iter().map(|j| j.rows_source).sum();
    let values: u64 = jobs.iter().map(|j| j.rows_source * j.columns.len() as u64).sum();
    let mut report = crate::lint::LintReport {
        source: opts.source.display().to_string(),
        dialect: format!("the existing {} target {}", url.dialect, url),
        tables: plan.tables.len(),
        rows_read: rows,
        values_read: values,
        findings,
        ..Default::default()
    };
    report.seconds = started.elapsed().as_secs_f64();
    report.finish();
    Ok(report)
}

/// The first `samples` rows of a query's `cutover_row` column as lint samples.
fn row_samples(
    rows: &[Vec<Option<String>>],
    samples: usize,
    loaded: &Loaded,
    shown: &dyn Fn(usize) -> String,
    reason: &str,
) -> Vec<LintSample> {
    rows.iter()
        .take(samples)
        .filter_map(|r| {
            let i: usize = r.first().cloned().flatten()?.parse().ok()?;
            Some(LintSample { key: loaded.keys.get(i)?.clone(), value: shown(i), reason: reason.to_string() })
        })
        .collect()
}

/// The findings as lint prints them, for a refusal's message.
pub fn render(findings: &[LintFinding]) -> String {
    findings.iter().map(LintFinding::render).collect()
}
