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
/// No server is touched: `--to URL` only chooses the dialect. With `--schema existing`
/// (a target the application's migrations built) lint reads the live target's catalog
/// instead and checks every row against it as `migrate --schema existing` will: column
/// types, NOT NULL, lengths, enum labels, unique keys under the target columns' own
/// collations and its CHECK constraints, asking the server (in TEMPORARY tables; nothing
/// is written). Exit 0 when there is no error-level finding, 1 when there is, 2 on a
/// usage error, 3 when the source or the target cannot be read.
///
/// Examples: `cutover lint client.sqlite --dialect mariadb`;
/// `cutover lint client.sqlite --to mariadb://app@db:3306/shop --schema existing`
#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub source: SourceOpts,
    #[command(flatten)]
    pub target: TargetOpts,
    /// Samples listed per finding.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub samples: usize,
    /// `create`: check against the types cutover would create; `existing`: against the
    /// live target's own tables (needs --to URL).
    #[arg(long = "schema", value_enum, default_value = "create")]
    pub schema_mode: crate::copy::SchemaMode,
    /// Allow a URL that names a server's own database (postgres, mysql, …) with --schema existing.
    #[arg(long)]
    pub allow_system_database: bool,
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
    let (dialect, url) = resolve_target(&args.target, &resolved.config)?;
    let opts = LintOptions {
        source: resolved.source.clone(),
        dialect,
        config: &resolved.config,
        target_schema: args.target.target_schema.clone().or_else(|| resolved.config.target_schema.clone()),
        include: args.tables.clone(),
        exclude: args.exclude.clone(),
        samples: args.samples,
    };
    let classify = |e: lint::LintError| {
        if e.is_refusal() {
            CliError::Usage(e.into())
        } else {
            CliError::Runtime(e.into())
        }
    };
    let report = match args.schema_mode {
        crate::copy::SchemaMode::Create => lint::lint(&opts).map_err(classify)?,
        crate::copy::SchemaMode::Existing => {
            let Some(url) = url else {
                return Err(super::usage(
                    "--schema existing reads the target's own tables: give its URL with --to (or `target` in cutover.toml)",
                ));
            };
            if !args.allow_system_database {
                url.check_database().map_err(|e| CliError::Usage(e.into()))?;
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| CliError::Runtime(e.into()))?;
            runtime.block_on(crate::existing::lint_existing(&opts, &url)).map_err(classify)?
        }
    };
    if args.output.json {
        json(&report)?;
    } else {
        write_stdout(&report.render())?;
    }
    Ok(if report.has_errors() { Outcome::ChecksFailed } else { Outcome::Success })
}
