//! Running a hardening profile against a target: check what each step would change,
//! apply it (one transaction per step where the engine allows), journal the values
//! before, re-check, and take a run back with `--undo`.
//!
//! Every step is planned first as a list of `Action`s read from the target's current
//! state; an empty list means the step has nothing to do, which is what makes a second
//! run a no-op and what `--check` reports. Identifiers are quoted by the target's
//! dialect and every value is written as a literal encoded by it.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use super::envfile::{self, EnvFile};
use super::journal::{self, Change, Journal, JournalError, RowBefore, Run, StepRecord};
use super::password;
use super::pattern;
use super::profile::{Invalidate, Profile, Step};
use super::HardenError;
use crate::target::conn::{TargetConn, TargetError};
use crate::target::url::TargetUrl;
use crate::target::Dialect;

mod action;
mod apply;
mod plan;
mod rotation;
mod sql;
mod undo;
mod validate;

use action::Action;
use apply::apply_step;
use apply::undo_file;
use plan::plan_step;
use rotation::plan_rotation;
pub(crate) use sql::not_revoked_condition;
use sql::{bool_literal, index_name, key_condition, rows_where, sql_count, toml_literal, truthy};
pub use undo::{undo, UndoReport};
use validate::validate;

pub struct HardenOptions {
    pub target: TargetUrl,
    pub target_schema: Option<String>,
    pub profile: Profile,
    /// The env file (from the command line or the profile).
    pub env_file: Option<PathBuf>,
    pub journal: PathBuf,
    /// Change nothing; report what would change.
    pub check: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Secret(#[from] HardenError),
    /// The profile does not fit the target; nothing was changed.
    #[error("{0}")]
    Profile(String),
    #[error("step {step}: {reason}")]
    Step { step: String, reason: String },
    /// SIGINT / SIGTERM between two steps: the steps applied are in the journal.
    #[error("stopped before step {step} ({}); the steps applied so far are recorded in the journal: run harden again to apply the rest (done steps find nothing to do), or take them back with --undo", signal.name())]
    Interrupted { signal: crate::interrupt::Interrupted, step: String },
}

impl RunError {
    pub fn is_refusal(&self) -> bool {
        matches!(self, RunError::Profile(_))
    }
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct HardenReport {
    pub target: String,
    /// The journal's id of this run (None with --check, or when nothing changed).
    pub run_id: Option<String>,
    pub check_only: bool,
    pub steps: Vec<StepReport>,
    /// True when something was (or, with --check, would be) changed.
    pub changed: bool,
    pub journal: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StepReport {
    pub title: String,
    pub kind: String,
    /// `nothing to do`, `changed`, `would change`, `skipped`.
    pub status: String,
    /// What was (or would be) changed, one line each; never a secret.
    pub changes: Vec<String>,
}

impl HardenReport {
    pub fn render(&self) -> String {
        let mut out = format!(
            "{} {}\n",
            if self.check_only { "harden --check (nothing changed):" } else { "harden:" },
            self.target
        );
        for s in &self.steps {
            out.push_str(&format!("  [{}] {}: {}\n", s.kind, s.title, s.status));
            for c in &s.changes {
                out.push_str(&format!("      {c}\n"));
            }
        }
        match (&self.run_id, self.check_only, self.changed) {
            (_, true, true) => out.push_str("\nchanges are needed; run without --check to apply them\n"),
            (_, true, false) | (None, false, _) => out.push_str("\nnothing to change: the target is hardened\n"),
            (Some(id), false, _) => out.push_str(&format!(
                "\nrun {id} recorded in {}; take it back with:\n  {}\n",
                self.journal,
                undo_command(id, &self.journal, &self.target)
            )),
        }
        out
    }
}

/// The command that takes run `id` back. A target whose password is hidden (`***`) is
/// left for the user to fill in, so that the printed command is never wrong.
pub fn undo_command(id: &str, journal: &str, target: &str) -> String {
    let to = if target.contains("***") {
        "'<the target URL, with its password>'".to_string()
    } else {
        format!("'{target}'")
    };
    format!("cutover harden --undo {id} --journal '{journal}' --to {to}")
}

/// A `sqlite://` target must be a file that exists: connecting would create an empty one.
fn require_sqlite_file(target: &TargetUrl) -> Result<(), RunError> {
    match target.sqlite_path() {
        Some(p) if !p.exists() => Err(RunError::Profile(format!(
            "the target SQLite file {} does not exist; pass the file the migration wrote (--to sqlite://PATH)",
            p.display()
        ))),
        _ => Ok(()),
    }
}

/// Run (or check) a profile.
pub async fn harden(opts: &HardenOptions) -> Result<HardenReport, RunError> {
    require_sqlite_file(&opts.target)?;
    let mut conn = TargetConn::connect(&opts.target).await?;
    let schema = opts.target_schema.as_deref();
    let stale: Vec<PathBuf> =
        Journal::load(&opts.journal)?.unconfirmed_password_files().into_iter().map(Path::to_path_buf).collect();
    validate(&mut conn, schema, &opts.profile, opts.env_file.as_deref(), &stale).await?;
    let mut report = HardenReport {
        target: opts.target.to_string(),
        check_only: opts.check,
        journal: opts.journal.display().to_string(),
        ..Default::default()
    };
    let mut journal = if opts.check { Journal::default() } else { Journal::load(&opts.journal)? };
    let run_id = journal::new_run_id();
    let mut recorded = false;
    for step in &opts.profile.steps {
        if let Some(signal) = crate::interrupt::requested() {
            if recorded {
                journal.save(&opts.journal)?;
            }
            return Err(RunError::Interrupted { signal, step: step.title() });
        }
        let actions = plan_step(&mut conn, schema, opts, step).await?;
        let status = match (actions.is_empty(), opts.check) {
            (true, _) => "nothing to do",
            (false, true) => "would change",
            (false, false) => "changed",
        };
        let mut sr = StepReport {
            title: step.title(),
            kind: step.kind().into(),
            status: status.into(),
            changes: actions.iter().map(Action::describe).collect(),
        };
        if step_skipped(&conn, step) {
            sr.status = "skipped".into();
            sr.changes = vec![format!("{} has no extensions; this step is for PostgreSQL", conn.dialect())];
        }
        report.changed |= !actions.is_empty();
        if !opts.check && !actions.is_empty() {
            if !recorded {
                journal.runs.push(Run {
                    run_id: run_id.clone(),
                    target: opts.target.to_string(),
                    started_at: crate::copy::state::now(),
                    finished: false,
                    undone_at: None,
                    steps: Vec::new(),
                });
                recorded = true;
            }
            crate::fault!("harden::before_step");
            apply_step(&mut conn, schema, step, &actions, &mut journal, &run_id, &opts.journal).await?;
            // Re-check: a step that still has work after it ran did not do what it says.
            let again = plan_step(&mut conn, schema, opts, step).await?;
            if !again.is_empty() {
                return Err(RunError::Step {
                    step: step.title(),
                    reason: format!(
                        "still needed after it was applied: {}",
                        again.iter().map(Action::describe).collect::<Vec<_>>().join("; ")
                    ),
                });
            }
        }
        report.steps.push(sr);
    }
    if recorded {
        if let Some(run) = journal.run_mut(&run_id) {
            run.finished = true;
        }
        journal.save(&opts.journal)?;
        report.run_id = Some(run_id);
    }
    Ok(report)
}

fn step_skipped(conn: &TargetConn, step: &Step) -> bool {
    matches!(step, Step::Extensions { .. }) && conn.dialect().engine().extension_sql("").is_none()
}
