//! `cutover plan`: the exact DDL and column mapping for one target, before any write.

use clap::Args;

use super::output::{json, write_stdout};
use super::{read_source, resolve_source, resolve_target, CliError, Outcome, OutputOpts, SourceOpts, TargetOpts};
use crate::output::{plural, table, thousands};
use crate::plan::{self, Level, Phase, Plan, PlanOptions};

/// Show how the source will land in a target: tables by tier, the type of every column
/// and the rule that chose it, warnings, and the exact DDL in the order it runs
/// (tables; after the data: indexes, foreign keys, identity resets, views).
///
/// `--dialect` needs no server. Exits 1 when the plan has errors (e.g. two names that
/// collide in the target), 0 otherwise.
/// Example: `cutover plan fixtures/demo/demo.sql --dialect mariadb`
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub source: SourceOpts,
    #[command(flatten)]
    pub target: TargetOpts,
    /// Print only the DDL, as a SQL script.
    #[arg(long, conflicts_with = "json")]
    pub ddl: bool,
    #[command(flatten)]
    pub output: OutputOpts,
}

pub fn run(args: PlanArgs) -> Result<Outcome, CliError> {
    let resolved = resolve_source(&args.source)?;
    let (dialect, url) = resolve_target(&args.target, &resolved.config)?;
    let schema = read_source(&resolved.source, crate::source::StatsScope::Decisions)?;
    let opts = PlanOptions {
        dialect,
        target_schema: args.target.target_schema.clone().or_else(|| resolved.config.target_schema.clone()),
        config: &resolved.config,
        excluded: Default::default(),
    };
    let plan = plan::build(&schema, &opts).map_err(|e| CliError::Usage(e.into()))?;
    if args.output.json {
        json(&plan)?;
    } else if args.ddl {
        write_stdout(&ddl_script(&plan))?;
    } else {
        let target = url.map_or_else(|| dialect.to_string(), |u| u.to_string());
        write_stdout(&render(&plan, &resolved.source.display().to_string(), &target))?;
    }
    Ok(if plan.has_errors() { Outcome::ChecksFailed } else { Outcome::Success })
}

/// The DDL as a script, one statement per `;`, with phase headings as comments.
pub fn ddl_script(plan: &Plan) -> String {
    let mut out = String::new();
    let mut phase: Option<Phase> = None;
    for s in &plan.statements {
        if phase != Some(s.phase) {
            out.push_str(&format!("\n-- {}\n", s.phase.title()));
            phase = Some(s.phase);
        }
        out.push_str(&s.sql);
        out.push_str(";\n");
    }
    out
}

fn render(plan: &Plan, source: &str, target: &str) -> String {
    let rows: u64 = plan.tiers.iter().map(|t| t.rows).sum();
    let mut out = format!(
        "{source} -> {target}{}\n  {} {} in {} {}, {} {}\n",
        plan.target_schema.as_deref().map(|s| format!(" (schema {s})")).unwrap_or_default(),
        plan.tables.len(),
        plural(plan.tables.len() as u64, "table", "tables"),
        plan.tiers.len(),
        plural(plan.tiers.len() as u64, "tier", "tiers"),
        thousands(rows),
        plural(rows, "row", "rows")
    );
    for tier in &plan.tiers {
        let n = tier.tables.len() as u64;
        out.push_str(&format!(
            "\nTier {} · {n} {} · {} {}\n",
            tier.tier,
            plural(n, "table", "tables"),
            thousands(tier.rows),
            plural(tier.rows, "row", "rows")
        ));
        for name in &tier.tables {
            let Some(tp) = plan.table(name) else { continue };
            let renamed =
                if tp.target_name != tp.source_name { format!(" -> {}", tp.target_name) } else { String::new() };
            out.push_str(&format!(
                "  {}{renamed} ({} {})\n",
                tp.source_name,
                thousands(tp.rows),
                plural(tp.rows, "row", "rows")
            ));
            let mut grid = Vec::new();
            for c in &tp.columns {
                let identity = tp.identity.as_ref().is_some_and(|i| i.column == c.target_name);
                let ty = if identity {
                    format!("{} identity (next {})", c.target_type, tp.identity.as_ref().map_or(1, |i| i.next_value))
                } else {
                    c.target_type.clone()
                };
                let declared = if c.declared_type.is_empty() { "-".to_string() } else { c.declared_type.clone() };
                grid.push(vec![format!("  {}", c.source_name), declared, format!("-> {ty}"), c.rule.clone()]);
            }
            out.push_str(&table(&grid));
        }
    }
    if !plan.left_out.is_empty() {
        out.push_str("\nLeft out:\n");
        for l in &plan.left_out {
            out.push_str(&format!("  {} {}: {}\n", l.kind, l.name, l.reason));
        }
    }
    if !plan.findings.is_empty() {
        let count = |l| plan.findings.iter().filter(|f| f.level == l).count();
        out.push_str(&format!(
            "\nFindings: {} errors, {} warnings, {} notes\n",
            count(Level::Error),
            count(Level::Warning),
            count(Level::Info)
        ));
        for f in &plan.findings {
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Info => "note",
            };
            out.push_str(&format!("  {level:<7} {:<24} {}: {}\n", f.code, f.object, f.message));
        }
    }
    out.push_str("\nDDL, in the order it runs:\n");
    out.push_str(&ddl_script(plan));
    out
}
