//! The whole go-live day in one run: `cutover golive` migrates, verifies every row,
//! hardens and asks the gate, in that order, stopping at the first stage that fails with
//! what was done and how to go on; at the end (or at the stop) it writes a Markdown
//! go-live report for the client's records.
//!
//! Each stage is the same library call its own command makes; golive only sequences
//! them and keeps their reports. Running golive again after a stop continues: a finished
//! migration recorded in the state file is not redone (an unfinished one is resumed),
//! and hardening steps already applied have nothing left to do.

use std::path::PathBuf;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::Config;
use crate::copy::progress::ProgressMode;
use crate::copy::state::State;
use crate::copy::{self, MigrateOptions, OnError, SchemaMode};
use crate::gate::{self, GateOptions, GateReport};
use crate::harden::profile::Profile;
use crate::harden::run::{self as harden, HardenOptions, HardenReport};
use crate::plan::Level;
use crate::report::MigrationReport;
use crate::target::url::TargetUrl;
use crate::verify::{self, VerifyLevel, VerifyOptions, VerifyReport};

pub struct GoliveOptions<'a> {
    pub source: PathBuf,
    pub target: TargetUrl,
    pub config: &'a Config,
    pub target_schema: Option<String>,
    pub profile: Profile,
    pub env_file: Option<PathBuf>,
    pub state_file: PathBuf,
    pub verify_report: PathBuf,
    pub journal: PathBuf,
    pub jobs: usize,
    pub progress: ProgressMode,
    pub fail_level: Level,
}

/// How the day ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Every stage passed and the gate says GO.
    Go,
    /// Verification found a difference, or the gate said NO-GO (exit 1).
    ChecksFailed,
    /// A stage refused its input: configuration, profile, non-empty target (exit 2).
    Refused,
    /// A stage could not run: connection, I/O, a value that does not convert (exit 3).
    Failed,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stage {
    /// `migrate`, `verify`, `harden`, `gate`.
    pub name: String,
    /// `done`, `skipped`, `failed`, `not run`.
    pub status: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GoliveReport {
    pub source: String,
    pub target: String,
    pub started_at: String,
    pub seconds: f64,
    pub stages: Vec<Stage>,
    pub ending: Ending,
    /// What to do next when the run stopped before GO.
    pub next: Option<String>,
    pub migration: Option<MigrationReport>,
    pub verification: Option<VerifyReport>,
    pub hardening: Option<HardenReport>,
    pub gate: Option<GateReport>,
}

impl GoliveReport {
    fn stage(&mut self, name: &str, status: &str, summary: impl Into<String>) {
        self.stages.push(Stage { name: name.into(), status: status.into(), summary: summary.into() });
    }

    fn stop(mut self, ending: Ending, next: String) -> GoliveReport {
        for name in ["migrate", "verify", "harden", "gate"] {
            if !self.stages.iter().any(|s| s.name == name) {
                self.stage(name, "not run", "");
            }
        }
        self.ending = ending;
        self.next = Some(next);
        self
    }

    /// The summary for people: one line per stage, then the verdict and what to do next.
    pub fn render(&self) -> String {
        let mut out = format!("golive {} -> {}\n", self.source, self.target);
        for s in &self.stages {
            out.push_str(&format!("  {:<8} {:<8} {}\n", s.name, s.status, s.summary));
        }
        out.push_str(&format!(
            "\n{} ({:.1} s)\n",
            match self.ending {
                Ending::Go => "GO: migrated, verified, hardened, and the gate says GO".to_string(),
                Ending::ChecksFailed => "NO-GO: a check failed".to_string(),
                Ending::Refused | Ending::Failed => "STOPPED: a stage could not complete".to_string(),
            },
            self.seconds
        ));
        if let Some(n) = &self.next {
            out.push_str(&format!("next: {n}\n"));
        }
        out
    }
}

/// Run the day. Errors of a stage end the run as a report with `ending` set, never as an
/// `Err`, so that the Markdown report is written either way.
pub async fn golive(opts: &GoliveOptions<'_>) -> GoliveReport {
    let started = Instant::now();
    let mut r = GoliveReport {
        source: opts.source.display().to_string(),
        target: opts.target.to_string(),
        started_at: crate::copy::state::now(),
        seconds: 0.0,
        stages: Vec::new(),
        ending: Ending::Go,
        next: None,
        migration: None,
        verification: None,
        hardening: None,
        gate: None,
    };
    let again = "fix the cause and run the same golive command again: finished stages are not redone";
    // A profile mistake the gate would find only at the end must stop the day before it starts.
    if let Err(e) = gate::check_level_ids(&opts.profile) {
        r.stage("profile", "failed", format!("the profile's [gate] levels: {e}"));
        r.seconds = started.elapsed().as_secs_f64();
        return r.stop(Ending::Refused, "fix the hardening profile and run golive again; nothing was changed".into());
    }
    // 1. migrate (or resume, or skip when the state file records a finished run into this target).
    let state = State::load(&opts.state_file).ok();
    let done_before = state
        .as_ref()
        .is_some_and(|s| s.finished && crate::target::url::same_target(&s.target, &opts.target.to_string()));
    if let Some(st) = state.as_ref().filter(|_| done_before) {
        // Not redone, but still there: a database dropped and created again since is said so.
        if let Err(e) = copy::check_finished_migration(&migrate_options(opts, false), st).await {
            let ending = if e.is_refusal() { Ending::Refused } else { Ending::Failed };
            r.stage("migrate", "failed", e.to_string());
            r.seconds = started.elapsed().as_secs_f64();
            return r.stop(
                ending,
                format!(
                    "start the migration over (`cutover migrate … --state {} --restart`, or delete {} when the tables are gone), then run golive again",
                    opts.state_file.display(),
                    opts.state_file.display()
                ),
            );
        }
        r.stage(
            "migrate",
            "skipped",
            format!("already done: {} records a finished migration", opts.state_file.display()),
        );
    } else if let Some(stop) = migrate_stage(opts, state.as_ref(), &mut r, started, again).await {
        return stop;
    }
    // 2. verify every row — before hardening changes rows on purpose. When this target was
    // already verified and then hardened (a run after a stop at the gate), the report of
    // that verification stands: verifying again would see hardening's own changes.
    if let Some((why, v)) = verified_then_hardened(opts) {
        // Rows counted again: a table changed since (beyond the rows hardening inserted)
        // stops the day, as a new verification would.
        match counts_since(opts, &v).await {
            Ok(changed) if changed.is_empty() => {
                r.stage("verify", "skipped", format!("{why}; row counts unchanged since"));
                r.verification = Some(v);
            }
            Ok(changed) => {
                r.stage(
                    "verify",
                    "failed",
                    format!("row counts changed since the verification: {}", changed.join(", ")),
                );
                r.verification = Some(v);
                r.seconds = started.elapsed().as_secs_f64();
                return r.stop(
                    Ending::ChecksFailed,
                    "the target changed after it was verified: find out why, then take the hardening back (cutover harden --undo) and run golive again".into(),
                );
            }
            Err(e) => {
                r.stage("verify", "failed", e);
                r.seconds = started.elapsed().as_secs_f64();
                return r.stop(Ending::Failed, again.into());
            }
        }
    } else if let Some(stop) = verify_stage(opts, &mut r, started, again).await {
        return stop;
    }
    // 3. harden.
    if let Some(stop) = harden_stage(opts, &mut r, started, again).await {
        return stop;
    }
    // 4. gate.
    if let Some(stop) = gate_stage(opts, &mut r, started, again).await {
        return stop;
    }
    r.seconds = started.elapsed().as_secs_f64();
    r
}

/// The migration golive runs: create mode, strict, the whole source.
fn migrate_options<'a>(opts: &GoliveOptions<'a>, resume: bool) -> MigrateOptions<'a> {
    MigrateOptions {
        source: opts.source.clone(),
        target: opts.target.clone(),
        config: opts.config,
        target_schema: opts.target_schema.clone(),
        schema_mode: SchemaMode::Create,
        jobs: opts.jobs,
        truncate: false,
        on_error: OnError::Strict,
        reject_file: None,
        state_file: opts.state_file.clone(),
        resume,
        restart: false,
        dry_run: false,
        include: Vec::new(),
        exclude: Vec::new(),
        ignore_missing_columns: false,
        progress: opts.progress,
    }
}

/// Stage 1: the migration, resumed when the state file records an unfinished one.
/// Some(report) when the day stops here.
async fn migrate_stage(
    opts: &GoliveOptions<'_>,
    state: Option<&State>,
    r: &mut GoliveReport,
    started: Instant,
    again: &str,
) -> Option<GoliveReport> {
    let resume = state.is_some_and(|s| !s.finished);
    let mopts = migrate_options(opts, resume);
    match copy::migrate(&mopts).await {
        Ok(m) => {
            let rows: u64 = m.tables.iter().map(|t| t.rows_written).sum();
            r.stage(
                "migrate",
                "done",
                format!(
                    "{} tables, {} rows{} in {:.1} s",
                    m.tables.len(),
                    crate::output::thousands(rows),
                    if resume { " (resumed)" } else { "" },
                    m.seconds
                ),
            );
            r.migration = Some(m);
        }
        Err(e) => {
            let ending = if e.is_refusal() { Ending::Refused } else { Ending::Failed };
            r.stage("migrate", "failed", e.to_string());
            r.seconds = started.elapsed().as_secs_f64();
            return Some(
                r.clone().stop(ending, format!("{again} (the migration resumes from {})", opts.state_file.display())),
            );
        }
    }
    None
}

/// Stage 3: the profile's steps, journaled. Some(report) when the day stops here.
async fn harden_stage(
    opts: &GoliveOptions<'_>,
    r: &mut GoliveReport,
    started: Instant,
    again: &str,
) -> Option<GoliveReport> {
    let hopts = HardenOptions {
        target: opts.target.clone(),
        target_schema: opts.target_schema.clone(),
        profile: opts.profile.clone(),
        env_file: opts.env_file.clone(),
        journal: opts.journal.clone(),
        check: false,
    };
    match harden::harden(&hopts).await {
        Ok(h) => {
            let changed = h.steps.iter().filter(|s| s.status == "changed").count();
            let summary = match &h.run_id {
                Some(id) => format!(
                    "{changed} of {} steps changed something; run {id} (undo: {})",
                    h.steps.len(),
                    harden::undo_command(id, &h.journal, &h.target)
                ),
                None => format!("{} steps, nothing left to change", h.steps.len()),
            };
            r.stage("harden", "done", summary);
            r.hardening = Some(h);
        }
        Err(e) => {
            let ending = if e.is_refusal() { Ending::Refused } else { Ending::Failed };
            r.stage("harden", "failed", e.to_string());
            r.seconds = started.elapsed().as_secs_f64();
            return Some(
                r.clone()
                    .stop(ending, format!("{again}; steps already applied are recorded in {}", opts.journal.display())),
            );
        }
    }
    None
}

/// Stage 4: every go-live check. Some(report) when the gate says NO-GO or cannot run.
async fn gate_stage(
    opts: &GoliveOptions<'_>,
    r: &mut GoliveReport,
    started: Instant,
    again: &str,
) -> Option<GoliveReport> {
    let gopts = GateOptions {
        target: opts.target.clone(),
        target_schema: opts.target_schema.clone(),
        profile: opts.profile.clone(),
        env_file: opts.env_file.clone(),
        state_file: opts.state_file.clone(),
        verify_report: opts.verify_report.clone(),
        journal: opts.journal.clone(),
        fail_level: opts.fail_level,
    };
    match gate::gate(&gopts).await {
        Ok(g) => {
            let go = g.go;
            let blocking: Vec<&str> = g.checks.iter().filter(|c| c.blocking).map(|c| c.id.as_str()).collect();
            let summary = if go { g.verdict() } else { format!("{}: {}", g.verdict(), blocking.join(", ")) };
            r.stage("gate", if go { "done" } else { "failed" }, summary);
            r.gate = Some(g);
            r.seconds = started.elapsed().as_secs_f64();
            if !go {
                return Some(r.clone().stop(
                    Ending::ChecksFailed,
                    "fix each failing check (the gate section lists its hint), then run golive again".into(),
                ));
            }
        }
        Err(e) => {
            r.stage("gate", "failed", e.to_string());
            r.seconds = started.elapsed().as_secs_f64();
            return Some(r.clone().stop(Ending::Failed, again.into()));
        }
    }
    None
}

/// Text inside a Markdown code span: no escaping but of the backtick itself.
fn code(s: &str) -> String {
    s.replace('`', "'")
}

/// The go-live report for the client's records: stages, tables by tier with their
/// counts and checksums, foreign keys and identities, each hardening step, the gate
/// matrix. Holds no secret (the reports it is made from hold none).
pub fn markdown(r: &GoliveReport) -> String {
    use crate::gate::render::md;
    let mut out = String::new();
    let verdict = match r.ending {
        Ending::Go => "**GO**",
        Ending::ChecksFailed => "**NO-GO**",
        _ => "**STOPPED**",
    };
    out.push_str(&format!(
        "# Go-live report\n\n- Source: `{}`\n- Target: `{}`\n- Date: {}\n- cutover {}\n- Result: {verdict} ({:.1} s)\n",
        code(&r.source),
        code(&r.target),
        r.started_at,
        env!("CARGO_PKG_VERSION"),
        r.seconds
    ));
    if let Some(n) = &r.next {
        out.push_str(&format!("- Next: {}\n", md(n)));
    }
    out.push_str("\n## Stages\n\n| stage | result | details |\n|---|---|---|\n");
    for s in &r.stages {
        out.push_str(&format!("| {} | {} | {} |\n", s.name, s.status, md(&s.summary)));
    }
    if let Some(v) = &r.verification {
        out.push_str(&format!(
            "\n## Tables by tier\n\nVerified at level {} on {}; source fingerprint `{}`.\n\n| tier | table | source rows | not converting | target rows | checksum | result |\n|---:|---|---:|---:|---:|---|---|\n",
            v.level, v.started_at, v.source_fingerprint
        ));
        for t in &v.tables {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | `{}` | {} |\n",
                t.tier,
                md(&t.table),
                t.rows_source,
                t.rows_rejected,
                t.rows_target,
                t.checksum_target,
                t.status
            ));
        }
        let orphaned = v.foreign_keys.iter().filter(|f| f.orphans > 0).count();
        let behind = v.identities.iter().filter(|i| !i.ok).count();
        out.push_str(&format!(
            "\nForeign keys checked: {} ({} with orphan rows). Identity / AUTO_INCREMENT counters checked: {} ({} behind the largest key).\n",
            v.foreign_keys.len(),
            orphaned,
            v.identities.len(),
            behind
        ));
    }
    if let Some(h) = &r.hardening {
        out.push_str("\n## Hardening\n\n");
        if let Some(id) = &h.run_id {
            out.push_str(&format!(
                "Run `{id}`, journal `{}`; undo: `{}`.\n\n",
                code(&h.journal),
                code(&harden::undo_command(id, &h.journal, &h.target))
            ));
        }
        out.push_str("| step | kind | result | changes |\n|---|---|---|---|\n");
        for s in &h.steps {
            let changes = if s.changes.len() > 6 {
                format!("{}; … {} more", s.changes[..6].join("; "), s.changes.len() - 6)
            } else {
                s.changes.join("; ")
            };
            out.push_str(&format!("| {} | {} | {} | {} |\n", md(&s.title), s.kind, s.status, md(&changes)));
        }
    }
    if let Some(g) = &r.gate {
        out.push_str("\n## Gate\n\n");
        // The gate's own report, its headings moved under this one's.
        for line in gate::render::markdown(g).lines() {
            if line.starts_with('#') {
                out.push_str("##");
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Why the verification of an earlier run stands: its report says every row matched
/// this target, and the journal records a hardening run on it since (not undone).
fn verified_then_hardened(opts: &GoliveOptions<'_>) -> Option<(String, VerifyReport)> {
    let text = std::fs::read_to_string(&opts.verify_report).ok()?;
    let v: VerifyReport = serde_json::from_str(&text).ok()?;
    let target = opts.target.to_string();
    if !v.ok || !crate::target::url::same_target(&v.target, &target) {
        return None;
    }
    // A run stopped halfway counts too: the steps it recorded did change rows.
    let journal = crate::harden::journal::Journal::load(&opts.journal).ok()?;
    let run = journal.runs.iter().rev().find(|r| {
        crate::target::url::same_target(&r.target, &target) && !r.steps.is_empty() && r.undone_at.is_none()
    })?;
    let why = format!(
        "verified on {} before hardening run {} ({}); the hardened target differs from the source on purpose",
        v.started_at,
        run.run_id,
        opts.verify_report.display()
    );
    Some((why, v))
}

/// Tables whose row count differs from the verification's, less the rows hardening
/// inserted (the admin): `table: N then, M now`.
async fn counts_since(opts: &GoliveOptions<'_>, v: &VerifyReport) -> Result<Vec<String>, String> {
    let journal = crate::harden::journal::Journal::load(&opts.journal).map_err(|e| e.to_string())?;
    let target = opts.target.to_string();
    let mut inserted: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for run in
        journal.runs.iter().filter(|r| crate::target::url::same_target(&r.target, &target) && r.undone_at.is_none())
    {
        for step in run.steps.iter().filter(|s| !s.undone) {
            for c in &step.changes {
                if let crate::harden::journal::Change::RowInserted { table, .. } = c {
                    *inserted.entry(table.as_str()).or_default() += 1;
                }
            }
        }
    }
    let mut conn = crate::target::conn::TargetConn::connect(&opts.target).await.map_err(|e| e.to_string())?;
    let mut changed = Vec::new();
    for t in &v.tables {
        let now = conn.count(opts.target_schema.as_deref(), &t.target_table).await.map_err(|e| e.to_string())?;
        let expected = t.rows_target + inserted.get(t.target_table.as_str()).copied().unwrap_or(0);
        if now != expected {
            changed.push(format!("{}: {} then, {now} now", t.table, expected));
        }
    }
    Ok(changed)
}

/// The verify stage: None when it passed, else the report to return.
async fn verify_stage(
    opts: &GoliveOptions<'_>,
    r: &mut GoliveReport,
    started: Instant,
    again: &str,
) -> Option<GoliveReport> {
    let vopts = VerifyOptions {
        source: opts.source.clone(),
        target: opts.target.clone(),
        config: opts.config,
        target_schema: opts.target_schema.clone(),
        schema_mode: None,
        level: VerifyLevel::Checksum,
        max_diffs: 20,
        jobs: opts.jobs,
        include: Vec::new(),
        exclude: Vec::new(),
        state_file: Some(opts.state_file.clone()),
        progress: opts.progress,
    };
    match verify::verify(&vopts).await {
        Ok(v) => {
            let written = serde_json::to_string_pretty(&v).map_err(|e| e.to_string()).and_then(|t| {
                crate::output::write_private(&opts.verify_report, &(t + "\n")).map_err(|e| e.to_string())
            });
            if let Err(e) = written {
                r.stage("verify", "failed", format!("{}: {e}", opts.verify_report.display()));
                r.seconds = started.elapsed().as_secs_f64();
                return Some(r.clone().stop(Ending::Failed, again.into()));
            }
            let differ = v.tables.iter().filter(|t| !t.matches()).count();
            let ok = v.ok;
            // Said only when it happens: the planned indexes, keys and counters the target lacks.
            let missing = match v.post_load.iter().filter(|p| !p.present).count() {
                0 => String::new(),
                n => format!("; {n} planned indexes, keys or counters missing"),
            };
            r.stage(
                "verify",
                if ok { "done" } else { "failed" },
                format!(
                    "{} tables, {} differ; {} foreign keys, {} with orphans{missing}; report {}",
                    v.tables.len(),
                    differ,
                    v.foreign_keys.len(),
                    v.foreign_keys.iter().filter(|f| f.orphans > 0).count(),
                    opts.verify_report.display()
                ),
            );
            r.verification = Some(v);
            if !ok {
                r.seconds = started.elapsed().as_secs_f64();
                return Some(r.clone().stop(
                    Ending::ChecksFailed,
                    format!(
                        "read {} (or run cutover verify) for the rows that differ; the hardening stage did not run",
                        opts.verify_report.display()
                    ),
                ));
            }
        }
        Err(e) => {
            let ending = if e.is_refusal() { Ending::Refused } else { Ending::Failed };
            r.stage("verify", "failed", e.to_string());
            r.seconds = started.elapsed().as_secs_f64();
            return Some(r.clone().stop(ending, again.into()));
        }
    }
    None
}
