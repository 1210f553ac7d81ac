//! `cutover lint`: every value that will not convert, and every other problem, before any write.

use clap::Args;

use super::output::{json, write_stdout};
use super::{resolve_source, resolve_target, CliError, Outcome, OutputOpts, SourceOpts, TargetOpts};
use crate::lint::{self, LintOptions};

/// Read every value of SOURCE against the planned target types and report, grouped by
/// kind, table and column with counts and samples (row key, value, reason, what to do):
/// values that will not convert (bad booleans, impossible dates, invalid JSON, text in
/// integer columns, out-of-range numbers, NaN/Infinity, NUL bytes, invalid UTF-8),
/// VARCHAR(n) and DECIMAL(p,s) overflow, foreign-key orphans, unique keys that collide
/// under the target's collation, mixed storage classes in a column, and every finding of
/// the plan (tables without a primary key, integers in date columns, names shortened or
/// colliding, triggers and virtual tables that will not migrate).
///
/// No server is touched: `--to URL` only chooses the dialect. Exit 0 when there is no
/// error-level finding, 1 when there is, 2 on a usage error, 3 when the source cannot be read.
///
/// Example: `cutover lint client.sqlite --dialect mariadb`
#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub source: SourceOpts,
    #[command(flatten)]
    pub target: TargetOpts,
    /// Samples listed per finding.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub samples: usize,
    /// Only these tables (glob patterns, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub tables: Vec<String>,
    /// Leave these tables out (glob patterns).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub output: OutputOpts,
}

pub fn run(args: LintArgs) -> Result<Outcome, CliError> {
    let resolved = resolve_source(&args.source)?;
    let (dialect, _) = resolve_target(&args.target, &resolved.config)?;
    let opts = LintOptions {
        source: resolved.source.clone(),
        dialect,
        config: &resolved.config,
        target_schema: args.target.target_schema.clone().or_else(|| resolved.config.target_schema.clone()),
        include: args.tables.clone(),
        exclude: args.exclude.clone(),
        samples: args.samples,
    };
    let report = lint::lint(&opts).map_err(|e| {
        if e.is_refusal() {
            CliError::Usage(e.into())
        } else {
            CliError::Runtime(e.into())
        }
    })?;
    if args.output.json {
        json(&report)?;
    } else {
        write_stdout(&report.render())?;
    }
    Ok(if report.has_errors() { Outcome::ChecksFailed } else { Outcome::Success })
}
