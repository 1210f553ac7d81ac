//! Fail points: the step boundaries where a crash must lose nothing, named once.
//!
//! Recovery is a property to prove, not to hope for: tests/faults.rs stops the real
//! binary at each of these points in turn (on PostgreSQL, MariaDB and the SQLite
//! target), resumes, and compares the target with the source. The points are compiled
//! in only with the `failpoints` cargo feature (the `fail` crate), armed by the
//! `FAILPOINTS` environment variable (`name=return`, or `name=2*off->return` for the
//! third hit), and a point that fires ends the process at once with `abort` — as a
//! SIGKILL would, without unwinding, closing connections or flushing anything (a panic
//! inside a tokio task would not even end the run). Without the feature `fault!`
//! expands to nothing.
//!
//! Every point is listed in `POINTS`, which the test matrix iterates: a point added to
//! the code must be added here too (a test checks both ways).

/// Which command a fail point stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `cutover migrate` (continued with `--resume`).
    Migrate,
    /// `cutover harden` (continued by running it again, or taken back with `--undo`).
    Harden,
    /// `cutover harden --undo RUN` (continued by running the same undo again).
    Undo,
}

/// One fail point: its stable name, the command it stops, and where it sits.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub name: &'static str,
    pub stage: Stage,
    pub at: &'static str,
}

const fn point(name: &'static str, stage: Stage, at: &'static str) -> Point {
    Point { name, stage, at }
}

/// Every fail point, in the order a run meets them.
pub const POINTS: &[Point] = &[
    point("copy::after_create", Stage::Migrate, "after the CREATE TABLE of each table (create mode)"),
    point("copy::before_commit", Stage::Migrate, "a table's rows loaded and counted, before its COMMIT"),
    point("copy::after_commit", Stage::Migrate, "a table committed, before the state file records it"),
    point(
        "post_load::before_statement",
        Stage::Migrate,
        "before each post-load statement (index, key, reset, view; existing mode: each counter raised)",
    ),
    point("post_load::after_statement", Stage::Migrate, "a post-load statement ran, before the state file records it"),
    point("state::before_rename", Stage::Migrate, "the new state file written and synced, before its rename"),
    point("state::after_rename", Stage::Migrate, "right after the state file's rename"),
    point("harden::before_step", Stage::Harden, "a step planned, before anything of it is applied"),
    point("harden::after_action", Stage::Harden, "after each action of a step (MariaDB commits DDL here)"),
    point("harden::after_file", Stage::Harden, "after a file of a step is written (env file, password file)"),
    point("harden::before_commit", Stage::Harden, "a step's actions done and journaled, before its COMMIT"),
    point("harden::after_commit", Stage::Harden, "a step committed, before the journal confirms it"),
    point("journal::before_rename", Stage::Harden, "the new journal written and synced, before its rename"),
    point("journal::after_rename", Stage::Harden, "right after the journal's rename"),
    point("undo::after_change", Stage::Undo, "after each change an undo takes back, before the step's COMMIT"),
    point("undo::after_commit", Stage::Undo, "an undone step committed, before the journal records it"),
];

/// The point called `name`.
pub fn find(name: &str) -> Option<&'static Point> {
    POINTS.iter().find(|p| p.name == name)
}

/// A fail point: with the `failpoints` feature, `FAILPOINTS=NAME=return` ends the
/// process here (`abort`); without it, nothing. `CUTOVER_FAULT_TRACE=1` prints every
/// point reached, so that a test can count the hits of each.
#[macro_export]
#[doc(hidden)]
#[cfg(feature = "failpoints")]
macro_rules! fault {
    ($name:literal) => {{
        $crate::faults::reached($name);
        fail::fail_point!($name, |_| $crate::faults::fired($name));
    }};
}

#[macro_export]
#[doc(hidden)]
#[cfg(not(feature = "failpoints"))]
macro_rules! fault {
    ($name:literal) => {{}};
}

/// Arm the points named in `FAILPOINTS` for the whole run (main keeps the guard).
#[cfg(feature = "failpoints")]
pub fn setup() -> fail::FailScenario<'static> {
    fail::FailScenario::setup()
}

/// Print the point when tracing (`CUTOVER_FAULT_TRACE=1`); a point outside `POINTS` is a bug.
#[cfg(feature = "failpoints")]
pub fn reached(name: &str) {
    debug_assert!(find(name).is_some(), "fail point {name} is not listed in faults::POINTS");
    if std::env::var_os("CUTOVER_FAULT_TRACE").is_some() {
        eprintln!("fault point reached: {name}");
    }
}

/// The armed point fired: say which, then end the process as a crash would.
#[cfg(feature = "failpoints")]
pub fn fired(name: &str) -> ! {
    eprintln!("fault point fired: {name}; aborting");
    std::process::abort()
}
