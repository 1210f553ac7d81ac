//! `cutover types`: print the type-mapping rules (docs/type-mapping.md is this output).

use clap::Args;

use super::{write_stdout, CliError, Outcome};

/// Print the type-mapping rules, first match wins, as a Markdown table.
///
/// Each rule maps a SQLite declared type to an engine-neutral type, spelled here for
/// each target. Override any column in cutover.toml:
/// `[tables."name".columns."col"] type = "decimal(12,2)"`.
#[derive(Debug, Args)]
pub struct TypesArgs {}

pub fn run(_args: TypesArgs) -> Result<Outcome, CliError> {
    write_stdout(&crate::mapping::rules_markdown())?;
    Ok(Outcome::Success)
}
