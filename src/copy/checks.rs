//! Before anything is written: lint's cheap checks (source foreign-key orphans, unique
//! keys that would collide under the target's collation), which stop a strict run.

use super::{MigrateError, MigrateOptions, OnError};
use crate::plan::{self, Plan};
use crate::schema::SourceSchema;
use crate::source::Source;

/// Lint's cheap checks (source FK orphans, unique keys colliding under the target's
/// collation) before anything is written: an error stops the run unless `--on-error
/// reject` (or a dry run, which reports them). Returned as report findings.
pub(super) fn lint_first(
    opts: &MigrateOptions<'_>,
    source: &Source,
    schema: &SourceSchema,
    plan: &Plan,
) -> Result<Vec<plan::Finding>, MigrateError> {
    if opts.schema_mode == super::SchemaMode::Existing {
        // The target's own keys, collations and foreign keys decide: `existing::precheck`
        // checks them once the catalog is read, before anything is emptied.
        return Ok(Vec::new());
    }
    let found = crate::lint::cheap_checks(source, schema, plan, 3).map_err(|e| MigrateError::Refused(e.to_string()))?;
    let errors: Vec<String> = found
        .iter()
        .filter(|f| f.level == plan::Level::Error)
        .map(|f| {
            let at = f.samples.iter().map(|s| s.key.as_str()).collect::<Vec<_>>().join("; ");
            format!(
                "{}.{}: {} (e.g. {at})",
                f.table.as_deref().unwrap_or("?"),
                f.column.as_deref().unwrap_or("?"),
                f.message
            )
        })
        .collect();
    let broken_checks: Vec<&String> = errors.iter().filter(|e| e.contains("(--checks strict)")).collect();
    if !broken_checks.is_empty() && !opts.dry_run {
        return Err(MigrateError::Untranslatable(format!(
            "the source has rows that break a CHECK constraint, and --checks strict was asked for; nothing was written:\n  {}\nrun `cutover lint` for every row; fix them in the source, or run with --checks best-effort (the check is then left out)",
            broken_checks.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
        )));
    }
    if !errors.is_empty() && opts.on_error == OnError::Strict && !opts.dry_run {
        return Err(MigrateError::Refused(format!(
            "the source has rows that the target's keys would refuse; nothing was written:\n  {}\nrun `cutover lint` for every row; fix them in the source and run again. (--on-error reject --reject-file FILE goes ahead anyway: it sets aside the rows whose parent row is missing, with the foreign key named; a unique key that collides is still refused by the target after the data is loaded)",
            errors.join("\n  ")
        )));
    }
    Ok(found
        .into_iter()
        .map(|f| {
            let object = match (&f.table, &f.column) {
                (Some(t), Some(c)) => format!("{t}.{c}"),
                (Some(t), None) => t.clone(),
                _ => String::new(),
            };
            plan::Finding::new(f.level, &f.code, object, f.message)
        })
        .collect())
}
