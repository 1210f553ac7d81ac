//! `migration_verified`: the migration into this target finished and a verification of
//! it found everything equal. Read from the verify report (`cutover verify --report`)
//! and the migration's state file; the gate does not verify again (that reads every
//! row of both sides).

use std::path::Path;

use super::settings::same_database;
use super::{Check, GateOptions};
use crate::copy::state::{State, TableStatus};
use crate::target::url::TargetUrl;

const ID: &str = "migration_verified";

pub(super) fn verified(opts: &GateOptions, target: &str) -> Check {
    let hint = format!(
        "run `cutover verify SOURCE --to URL --state {} --report {}` after the migration, and fix what it reports",
        opts.state_file.display(),
        opts.verify_report.display()
    );
    let mut evidence = Vec::new();
    let state = read_state(&opts.state_file, target, &mut evidence);
    if let Some(problem) = state.as_ref().and_then(unfinished) {
        return Check::fail(ID, problem)
            .hint("finish the migration first: `cutover migrate … --resume`, then `cutover verify … --report FILE`")
            .evidence(evidence);
    }
    let report = match read_report(&opts.verify_report) {
        Ok(r) => r,
        Err(problem) => return Check::fail(ID, problem).hint(hint).evidence(evidence),
    };
    evidence.push(format!(
        "verify report {}: ok = {}, target {}, started {}, {} table(s)",
        opts.verify_report.display(),
        report.ok,
        report.target,
        report.started_at,
        report.tables
    ));
    if !report.ok {
        return Check::fail(ID, format!("the verify report {} records differences", opts.verify_report.display()))
            .hint("read the report (`cutover verify` prints the rows that differ), fix the target, and verify again")
            .evidence(evidence);
    }
    if !same_target(&report.target, target, &opts.target) {
        return Check::fail(
            ID,
            format!("the verify report {} is for {}, not for this target", opts.verify_report.display(), report.target),
        )
        .hint(hint)
        .evidence(evidence);
    }
    if let Some(state) = &state {
        if state.target == report.target && state.source_fingerprint != report.source_fingerprint {
            return Check::fail(
                ID,
                format!(
                    "the verify report read source snapshot {} but the migration loaded {}; the source changed between them",
                    report.source_fingerprint, state.source_fingerprint
                ),
            )
            .hint(hint)
            .evidence(evidence);
        }
    }
    Check::pass(ID, format!("verified: every table matched ({})", report.started_at)).hint(hint).evidence(evidence)
}

/// The state file when it exists and names this target; what was found goes to `evidence`.
fn read_state(path: &Path, target: &str, evidence: &mut Vec<String>) -> Option<State> {
    if !path.exists() {
        evidence.push(format!("state file {}: does not exist", path.display()));
        return None;
    }
    match State::load(path) {
        Ok(state) => {
            evidence.push(format!(
                "state file {}: target {}, {}, source {}",
                path.display(),
                state.target,
                if state.finished { "finished" } else { "unfinished" },
                state.source_fingerprint
            ));
            // A state file of another migration says nothing about this target.
            (state.target == target).then_some(state)
        }
        Err(e) => {
            evidence.push(format!("state file: {e}"));
            None
        }
    }
}

fn unfinished(state: &State) -> Option<String> {
    if state.finished {
        return None;
    }
    let done = state.tables.values().filter(|t| t.status == TableStatus::Done).count();
    Some(format!(
        "the migration into this target is unfinished: {done} of {} tables done (state file, started {})",
        state.tables.len(),
        state.started_at
    ))
}

/// The parts of a verify report the gate reads.
struct Report {
    ok: bool,
    target: String,
    source_fingerprint: String,
    started_at: String,
    tables: usize,
}

fn read_report(path: &Path) -> Result<Report, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("no verify report: {} does not exist", path.display()))
        }
        Err(e) => return Err(format!("cannot read the verify report {}: {e}", path.display())),
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a verify report (not JSON: {e})", path.display()))?;
    let text_of = |key: &str| json.get(key).and_then(serde_json::Value::as_str).map(str::to_string);
    let (Some(ok), Some(target)) = (json.get("ok").and_then(serde_json::Value::as_bool), text_of("target")) else {
        return Err(format!("{} is not a verify report (no `ok` and `target`)", path.display()));
    };
    Ok(Report {
        ok,
        target,
        source_fingerprint: text_of("source_fingerprint").unwrap_or_default(),
        started_at: text_of("started_at").unwrap_or_default(),
        tables: json.get("tables").and_then(serde_json::Value::as_array).map_or(0, Vec::len),
    })
}

/// The report names this target: the same redacted URL, or one for the same engine,
/// host, port and database (`postgresql://` for `postgres://`, a default port written out).
fn same_target(reported: &str, target: &str, url: &TargetUrl) -> bool {
    reported == target || same_database(reported, url).is_ok()
}
