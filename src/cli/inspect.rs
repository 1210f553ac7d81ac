//! `cutover inspect`: what is in a SQLite database, before any decision is made.

use clap::Args;
use schemars::JsonSchema;
use serde::Serialize;

use super::output::{json, write_stdout};
use super::{read_source, resolve_source, CliError, Outcome, OutputOpts, SourceOpts};
use crate::mapping::describe_classes;
use crate::output::{table, thousands};
use crate::plan::tiers;
use crate::schema::SourceSchema;

/// Show what a SQLite database holds: tables by FK tier with rows, keys and foreign
/// keys, cycles, and the objects that will not migrate (triggers, virtual tables) and why.
///
/// Reads the file read-only, in one consistent snapshot; needs no server.
/// Example: `cutover inspect fixtures/demo/demo.sql`
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub source: SourceOpts,
    #[command(flatten)]
    pub output: OutputOpts,
}

/// The machine-readable form of `inspect` (schema/inspect.schema.json).
#[derive(Debug, Serialize, JsonSchema)]
pub struct InspectReport {
    pub source: String,
    /// The application framework its bookkeeping tables show (`django`, `sqlalchemy`,
    /// `rails`, `laravel`), and why; create mode applies its conventions.
    pub framework: Option<String>,
    pub framework_reason: String,
    pub tiers: Vec<Vec<String>>,
    pub cycles: Vec<Cycle>,
    pub problems: Vec<Problem>,
    pub schema: SourceSchema,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Cycle {
    pub tables: Vec<String>,
    pub broken_by_deferring: Vec<String>,
}

/// A property of the data that the plan will have to decide on or that will not convert.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Problem {
    pub object: String,
    pub message: String,
}

pub fn report(path: &str, schema: SourceSchema) -> InspectReport {
    let names: Vec<String> = schema.tables.iter().map(|t| t.name.clone()).collect();
    let edges: Vec<tiers::Edge> = schema
        .tables
        .iter()
        .flat_map(|t| {
            t.foreign_keys.iter().map(|fk| tiers::Edge {
                child: t.name.clone(),
                parent: fk.parent_table.clone(),
                fk: fk.id,
            })
        })
        .collect();
    let order = tiers::order(&names, &edges);
    let cycles = order
        .cycles
        .iter()
        .map(|(members, broken)| Cycle {
            tables: members.clone(),
            broken_by_deferring: broken
                .iter()
                .filter_map(|e| {
                    let t = schema.table(&e.child)?;
                    t.foreign_keys.iter().find(|fk| fk.id == e.fk).map(|fk| fk.describe(&t.name))
                })
                .collect(),
        })
        .collect();
    let detected =
        crate::apps::detect(&schema, None).unwrap_or(crate::apps::Detected { app: None, why: String::new() });
    InspectReport {
        source: path.to_string(),
        framework: detected.app.map(|a| a.name().to_string()),
        framework_reason: detected.why,
        tiers: order.tiers,
        cycles,
        problems: problems(&schema),
        schema,
    }
}

fn problems(schema: &SourceSchema) -> Vec<Problem> {
    let mut out = Vec::new();
    for t in &schema.tables {
        for fk in &t.foreign_keys {
            if schema.table(&fk.parent_table).is_none() {
                out.push(Problem {
                    object: t.name.clone(),
                    message: format!("foreign key {} points to a table that does not exist", fk.describe(&t.name)),
                });
            }
        }
        for c in &t.columns {
            let s = &c.stats;
            let numeric_mix = s.texts == 0 && s.blobs == 0;
            if s.storage_classes() > 1 && !numeric_mix {
                out.push(Problem {
                    object: format!("{}.{}", t.name, c.name),
                    message: format!(
                        "declared {:?} but holds mixed storage classes: {}",
                        c.declared_type,
                        describe_classes(s)
                    ),
                });
            }
        }
    }
    out
}

pub fn run(args: InspectArgs) -> Result<Outcome, CliError> {
    let resolved = resolve_source(&args.source)?;
    let schema = read_source(&resolved.source, crate::source::StatsScope::All)?;
    let r = report(&resolved.source.display().to_string(), schema);
    if args.output.json {
        json(&r)?;
    } else {
        write_stdout(&render(&r))?;
    }
    Ok(Outcome::Success)
}

fn render(r: &InspectReport) -> String {
    let s = &r.schema;
    let rows: u64 = s.tables.iter().map(|t| t.row_count).sum();
    let mut out = format!(
        "{}\n  {} tables, {} rows, {} tiers; {} views, {} triggers, {} virtual tables\n  SQLite {} · snapshot {}\n\n",
        r.source,
        s.tables.len(),
        thousands(rows),
        r.tiers.len(),
        s.views.len(),
        s.triggers.len(),
        s.virtual_tables.len(),
        s.sqlite_version,
        s.fingerprint
    );
    if let Some(app) = &r.framework {
        out.insert_str(
            out.len() - 1,
            &format!(
                "  a {app} application ({}): create mode applies its conventions (`cutover plan` lists them)\n",
                r.framework_reason
            ),
        );
    }
    let mut grid =
        vec![vec!["tier".to_string(), "table".into(), "rows".into(), "primary key".into(), "foreign keys".into()]];
    for (i, tier) in r.tiers.iter().enumerate() {
        for name in tier {
            let Some(t) = s.table(name) else { continue };
            let pk = match &t.primary_key {
                Some(pk) if pk.rowid_alias => {
                    format!("{} (rowid{})", pk.columns[0], if pk.autoincrement { ", autoincrement" } else { "" })
                }
                Some(pk) => pk.columns.join(", ") + if t.without_rowid { " (without rowid)" } else { "" },
                None => "-".into(),
            };
            let fks = if t.foreign_keys.is_empty() {
                "-".to_string()
            } else {
                t.foreign_keys
                    .iter()
                    .map(|fk| format!("{} -> {}", fk.columns.join(","), fk.parent_table))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            grid.push(vec![i.to_string(), t.name.clone(), thousands(t.row_count), pk, fks]);
        }
    }
    out.push_str(&table(&grid));
    if !r.cycles.is_empty() {
        out.push_str("\nForeign-key cycles (the listed keys are added after the load):\n");
        for c in &r.cycles {
            out.push_str(&format!("  {}: {}\n", c.tables.join(" <-> "), c.broken_by_deferring.join("; ")));
        }
    }
    let mut not_migrated = Vec::new();
    for t in &s.triggers {
        not_migrated.push(format!(
            "  trigger {} on {}: trigger bodies do not run on the target; re-create the logic there if needed",
            t.name, t.table
        ));
    }
    for v in &s.virtual_tables {
        not_migrated.push(format!(
            "  virtual table {} ({}): no target equivalent; left out with its {} shadow tables",
            v.name,
            v.module,
            v.shadow_tables.len()
        ));
    }
    if !not_migrated.is_empty() {
        out.push_str("\nNot migrated:\n");
        out.push_str(&(not_migrated.join("\n") + "\n"));
    }
    if !s.views.is_empty() {
        out.push_str(&format!(
            "\nViews (translated into the target's SQL, created after the data): {}\n",
            s.views.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !r.problems.is_empty() {
        out.push_str("\nData to look at:\n");
        for p in &r.problems {
            out.push_str(&format!("  {}: {}\n", p.object, p.message));
        }
    }
    out
}
