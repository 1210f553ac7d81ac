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
        "run `cutover verify SOURCE --to URL --state {} --report {}` (or `cutover migrate … --verify`, which writes the same report) after the migration, and fix what it reports",
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
        if crate::target::url::same_target(&state.target, &report.target)
            && state.source_fingerprint != report.source_fingerprint
        {
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
            crate::target::url::same_target(&state.target, target).then_some(state)
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
    crate::target::url::same_target(reported, target) || same_database(reported, url).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::Status;
    use crate::plan::Level;

    fn opts(dir: &Path, target: &str) -> GateOptions {
        GateOptions {
            target: TargetUrl::parse(target).unwrap(),
            target_schema: None,
            profile: Default::default(),
            env_file: None,
            state_file: dir.join("state.json"),
            verify_report: dir.join("verify.json"),
            journal: dir.join("journal.json"),
            fail_level: Level::Error,
        }
    }

    fn write_report(dir: &Path, ok: bool, target: &str, fingerprint: &str) {
        let report = serde_json::json!({
            "ok": ok, "target": target, "source_fingerprint": fingerprint,
            "started_at": "2024-06-02T20:00:00Z", "tables": [{}, {}],
        });
        std::fs::write(dir.join("verify.json"), report.to_string()).unwrap();
    }

    fn write_state(dir: &Path, target: &str, fingerprint: &str, finished: bool) {
        let state = serde_json::json!({
            "version": 1, "source": "demo.sql", "source_fingerprint": fingerprint, "target": target,
            "schema_mode": "create", "started_at": "2024-06-02T19:00:00Z", "updated_at": "2024-06-02T19:10:00Z",
            "post_load_next": 0, "finished": finished,
            "tables": {
                "a": { "status": "done", "rows_read": 1, "rows_written": 1, "rows_rejected": 0, "created_by_cutover": true },
                "b": { "status": "pending", "rows_read": 0, "rows_written": 0, "rows_rejected": 0, "created_by_cutover": true }
            }
        });
        std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    }

    fn check(dir: &Path, target: &str) -> Check {
        let o = opts(dir, target);
        verified(&o, &o.target.to_string())
    }

    #[test]
    fn a_matching_ok_report_passes_and_anything_else_fails_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let target = "postgres://app:pw@db.example:5432/prod";
        let shown = "postgres://app:***@db.example:5432/prod";
        let c = check(d, target);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("does not exist") && c.hint.contains("--report"), "{c:?}");

        write_report(d, true, shown, "fp1");
        assert_eq!(check(d, target).status, Status::Pass);
        // Another spelling of the same database is the same target.
        write_report(d, true, "postgresql://app@db.example/prod", "fp1");
        assert_eq!(check(d, target).status, Status::Pass);

        write_report(d, false, shown, "fp1");
        assert!(check(d, target).message.contains("records differences"));
        write_report(d, true, "postgres://app:***@db.example:5432/staging", "fp1");
        assert!(check(d, target).message.contains("not for this target"));

        write_report(d, true, shown, "fp1");
        write_state(d, shown, "fp2", true);
        assert!(check(d, target).message.contains("the source changed"));
        write_state(d, shown, "fp1", false);
        let c = check(d, target);
        assert!(c.message.contains("unfinished: 1 of 2 tables done"), "{c:?}");
        // A state file of another target is not this migration's.
        write_state(d, "sqlite://other.sqlite", "fp9", false);
        assert_eq!(check(d, target).status, Status::Pass);

        std::fs::write(d.join("verify.json"), "not json").unwrap();
        assert!(check(d, target).message.contains("not a verify report"));
    }
}
