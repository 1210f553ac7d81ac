//! Create mode, the work after the data, overlapped with the load: a table's own
//! statements (indexes and unique constraints, its identity reset, its CHECK constraints)
//! run as soon as its data is committed, on connections of their own, while other tables
//! still load; its foreign keys once it and every parent table are finished; views last,
//! in the plan's order, when everything else is done.
//!
//! Locks never wait in a circle: a table's own statements touch only that table, which no
//! writer holds any more; a foreign key runs only after its child's and its parents' own
//! statements are done, and never beside another that touches one of its tables (the
//! server locks the child and the parents while it checks the rows), so on PostgreSQL
//! foreign keys on separate tables are checked at the same time. MariaDB's ALTER TABLE
//! may lock more tables than the key's own: there they run one at a time. Every statement that runs is recorded in the
//! state file at once (`post_load_done`); on `--resume` the target's catalog also says
//! what a run killed between a statement and its record had already created.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::post_load::{check_orphans_before_fks, check_violations, missing_parts};
use super::state::State;
use super::MigrateError;
use crate::plan::{self, Phase, Plan};
use crate::target::conn::TargetConn;
use crate::target::PlannedObject;

/// The channel of committed tables to the post-load work (`None` says the load is
/// over), and the post-load work's answer: a statement failed, so the run will fail and
/// the load may stop now instead of at its end (the reader checks between batches).
#[derive(Clone)]
pub(super) struct Committed {
    tx: mpsc::UnboundedSender<Option<String>>,
    failed: Arc<AtomicBool>,
}

impl Committed {
    /// Tell the post-load work that `table` is committed (`None`: the load is over).
    pub(super) fn send(&self, table: Option<String>) {
        // Gone: the post-load work stopped, and its outcome says why.
        let _ = self.tx.send(table);
    }

    /// A post-load statement failed: the run fails whatever the load does.
    pub(super) fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

/// The run's state, shared by the writers (a table committed) and the post-load tasks (a
/// statement ran), each saving the state file under the lock.
pub(super) type SharedState = Arc<Mutex<State>>;

/// What the post-load tasks share.
struct Ctx {
    plan: Plan,
    /// The plan's statements after the data, in its order (their indexes are the state's).
    statements: Vec<plan::Statement>,
    state: SharedState,
    state_file: PathBuf,
    resume: bool,
    /// MariaDB adds foreign keys with its checks off: cutover checks for orphans itself
    /// first, unless lint proved on this run's snapshot that there are none.
    own_fk_check: bool,
}

/// A piece of work, run on one connection: statements in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Work {
    /// One of a table's own statements (by index): a large table's indexes build at once.
    Own(usize, String),
    /// One foreign-key statement (by index).
    ForeignKey(usize),
    /// The views, and any statement that names no table.
    Last,
}

/// What the post-load work did: warnings (best-effort statements that failed), the first
/// error, and the connections, given back.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) warnings: Vec<String>,
    pub(super) error: Option<MigrateError>,
    pub(super) conns: Vec<TargetConn>,
}

/// The options of the post-load work.
pub(super) struct Options {
    pub(super) state_file: PathBuf,
    pub(super) resume: bool,
    /// Lint proved there are no orphan rows (see `Ctx::own_fk_check`).
    pub(super) orphans_proven: bool,
}

/// Start the post-load work on `conns`: it runs a table's statements once `Some(table)`
/// arrives on the returned sender (its data is committed, or was by an earlier run), and
/// the views once `None` arrives (every table is loaded). Senders dropped without `None`
/// (the load failed): the work under way finishes, nothing more starts.
pub(super) fn start(
    plan: &Plan,
    state: SharedState,
    conns: Vec<TargetConn>,
    options: Options,
) -> (Committed, tokio::task::JoinHandle<Outcome>) {
    let engine = plan.dialect.engine();
    let ctx = Ctx {
        plan: plan.clone(),
        statements: plan.statements.iter().filter(|s| s.phase != Phase::Tables).cloned().collect(),
        state,
        state_file: options.state_file,
        resume: options.resume,
        own_fk_check: engine.foreign_key_checks_sql(false).is_some() && !options.orphans_proven,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let failed = Arc::new(AtomicBool::new(false));
    let handle = tokio::spawn(schedule(Arc::new(ctx), conns, rx, failed.clone()));
    (Committed { tx, failed }, handle)
}

/// The table a statement belongs to (its parts name it), None for a view.
fn table_of(st: &plan::Statement) -> Option<&str> {
    match &st.parts.first()?.object {
        PlannedObject::Index { table, .. }
        | PlannedObject::ForeignKey { table, .. }
        | PlannedObject::Counter { table, .. }
        | PlannedObject::Check { table, .. } => Some(table),
        PlannedObject::View { .. } => None,
    }
}

/// The parent tables of the foreign keys a statement adds (target names).
fn parents_of(plan: &Plan, st: &plan::Statement) -> Vec<String> {
    let mut out = Vec::new();
    for part in &st.parts {
        let PlannedObject::ForeignKey { table, name } = &part.object else { continue };
        let fks = plan.tables.iter().filter(|t| &t.target_name == table).flat_map(|t| t.foreign_keys.iter());
        for fk in fks.filter(|fk| &fk.name == name) {
            if !out.contains(&fk.parent_table) {
                out.push(fk.parent_table.clone());
            }
        }
    }
    out
}

/// Which statements are waiting, running and done.
struct Queue {
    /// Each table's own statements, in the plan's order.
    tables: Vec<(String, Vec<usize>)>,
    /// Foreign-key statements: index, child table, parent tables.
    foreign_keys: Vec<(usize, String, Vec<String>)>,
    last: Vec<usize>,
    committed: BTreeSet<String>,
    started: BTreeSet<usize>,
    /// Own statements not finished yet, per table.
    remaining: std::collections::BTreeMap<String, usize>,
    finished: BTreeSet<String>,
    fk_started: BTreeSet<usize>,
    /// The tables of the foreign keys being added now (child and parents).
    fk_locked: BTreeSet<String>,
    /// Foreign keys on separate tables may be added at once (see
    /// `foreign_keys_lock_only_their_tables`); otherwise one at a time.
    fk_side_by_side: bool,
    fk_running: usize,
    fk_done: usize,
    last_started: bool,
}

impl Queue {
    fn new(ctx: &Ctx) -> Queue {
        let mut q = Queue {
            tables: Vec::new(),
            foreign_keys: Vec::new(),
            last: Vec::new(),
            committed: BTreeSet::new(),
            started: BTreeSet::new(),
            remaining: std::collections::BTreeMap::new(),
            finished: BTreeSet::new(),
            fk_started: BTreeSet::new(),
            fk_locked: BTreeSet::new(),
            fk_side_by_side: ctx.plan.dialect.engine().foreign_keys_lock_only_their_tables(),
            fk_running: 0,
            fk_done: 0,
            last_started: false,
        };
        for (i, st) in ctx.statements.iter().enumerate() {
            match table_of(st) {
                None => q.last.push(i),
                Some(t) if st.phase == Phase::ForeignKeys => {
                    q.foreign_keys.push((i, t.to_string(), parents_of(&ctx.plan, st)))
                }
                Some(t) => match q.tables.iter_mut().find(|(name, _)| name == t) {
                    Some((_, ids)) => ids.push(i),
                    None => q.tables.push((t.to_string(), vec![i])),
                },
            }
        }
        q.remaining = q.tables.iter().map(|(t, ids)| (t.clone(), ids.len())).collect();
        q
    }

    /// A table is finished when its data is committed and its own statements ran.
    fn is_finished(&self, table: &str) -> bool {
        self.committed.contains(table)
            && (self.finished.contains(table) || !self.tables.iter().any(|(name, _)| name == table))
    }

    /// The next piece of work that may start now, with its statements.
    fn next(&mut self, load_done: bool) -> Option<(Work, Vec<usize>)> {
        let ready = self
            .tables
            .iter()
            .filter(|(t, _)| self.committed.contains(t))
            .find_map(|(t, ids)| ids.iter().find(|i| !self.started.contains(i)).map(|i| (*i, t.clone())));
        if let Some((i, table)) = ready {
            self.started.insert(i);
            return Some((Work::Own(i, table), vec![i]));
        }
        let ready = self.foreign_keys.iter().find(|(i, child, parents)| {
            !self.fk_started.contains(i)
                && (self.fk_side_by_side || self.fk_running == 0)
                && std::iter::once(child).chain(parents).all(|t| self.is_finished(t) && !self.fk_locked.contains(t))
        });
        if let Some((i, child, parents)) = ready {
            let i = *i;
            self.fk_locked.extend(std::iter::once(child).chain(parents).cloned());
            self.fk_started.insert(i);
            self.fk_running += 1;
            return Some((Work::ForeignKey(i), vec![i]));
        }
        let rest_done =
            self.tables.iter().all(|(t, _)| self.finished.contains(t)) && self.fk_done == self.foreign_keys.len();
        if load_done && rest_done && !self.last_started {
            self.last_started = true;
            return Some((Work::Last, self.last.clone()));
        }
        None
    }

    fn done(&mut self, work: &Work) {
        match work {
            Work::Own(_, t) => {
                let left = self.remaining.get_mut(t).map(|n| {
                    *n = n.saturating_sub(1);
                    *n
                });
                if left == Some(0) {
                    self.finished.insert(t.clone());
                }
            }
            Work::ForeignKey(i) => {
                if let Some((_, child, parents)) = self.foreign_keys.iter().find(|(j, _, _)| j == i) {
                    for t in std::iter::once(child).chain(parents) {
                        self.fk_locked.remove(t);
                    }
                }
                self.fk_running -= 1;
                self.fk_done += 1;
            }
            Work::Last => {}
        }
    }
}

type Joined = (TargetConn, Work, Result<Vec<String>, MigrateError>);

async fn schedule(
    ctx: Arc<Ctx>,
    mut conns: Vec<TargetConn>,
    mut committed: mpsc::UnboundedReceiver<Option<String>>,
    failed: Arc<AtomicBool>,
) -> Outcome {
    let mut queue = Queue::new(&ctx);
    let mut outcome = Outcome::default();
    let mut load_done = false;
    // The load ended without saying it finished: nothing more starts.
    let mut load_failed = false;
    let mut running: JoinSet<Joined> = JoinSet::new();
    if let Some(off) = ctx.plan.dialect.engine().foreign_key_checks_sql(false) {
        for c in conns.iter_mut() {
            if let Err(e) = c.execute(off).await {
                outcome.error = Some(e.into());
            }
        }
    }
    loop {
        if outcome.error.is_some() {
            failed.store(true, Ordering::Relaxed);
        }
        while outcome.error.is_none() && !load_failed && !conns.is_empty() {
            let Some((work, ids)) = queue.next(load_done) else { break };
            let Some(conn) = conns.pop() else { break };
            let ctx = ctx.clone();
            running.spawn(async move {
                let mut conn = conn;
                let result = run_statements(&ctx, &mut conn, &ids).await;
                (conn, work, result)
            });
        }
        if running.is_empty() && (load_done || load_failed || outcome.error.is_some()) {
            break;
        }
        tokio::select! {
            table = committed.recv(), if !load_done && !load_failed => match table {
                Some(Some(t)) => {
                    queue.committed.insert(t);
                }
                Some(None) => load_done = true,
                None => load_failed = true,
            },
            Some(joined) = running.join_next(), if !running.is_empty() => match joined {
                Ok((conn, work, result)) => {
                    conns.push(conn);
                    queue.done(&work);
                    match result {
                        Ok(warnings) => outcome.warnings.extend(warnings),
                        Err(e) => {
                            outcome.error.get_or_insert(e);
                        }
                    }
                }
                Err(e) => {
                    outcome.error.get_or_insert(MigrateError::Load {
                        message: format!("a post-load task failed: {e}"),
                        report: Box::default(),
                    });
                }
            },
        }
    }
    if let Some(on) = ctx.plan.dialect.engine().foreign_key_checks_sql(true) {
        for c in conns.iter_mut() {
            if let Err(e) = c.execute(on).await {
                outcome.error.get_or_insert(e.into());
            }
        }
    }
    outcome.conns = conns;
    outcome
}

/// Run statements in order on one connection, each recorded in the state file once it ran:
/// the warnings of best-effort statements that failed, or the first error.
async fn run_statements(ctx: &Ctx, conn: &mut TargetConn, ids: &[usize]) -> Result<Vec<String>, MigrateError> {
    let schema = ctx.plan.target_schema.as_deref();
    let mut warnings = Vec::new();
    for &i in ids {
        let st = &ctx.statements[i];
        if lock(&ctx.state)?.post_load_ran(i) {
            continue;
        }
        if let Some(signal) = crate::interrupt::requested() {
            let at = format!("after the data, before the post-load statement for {}", st.object);
            return Err(MigrateError::Interrupted { signal, at, report: Box::default() });
        }
        // A run killed after a statement ran but before the state file recorded it left
        // some of it in the target: the catalog says what is there, and only the rest runs.
        let missing = if ctx.resume { missing_parts(conn, schema, st).await? } else { st.parts.iter().collect() };
        if missing.is_empty() && !st.parts.is_empty() {
            record(ctx, i)?;
            continue;
        }
        if ctx.own_fk_check && st.phase == Phase::ForeignKeys {
            check_orphans_before_fks(conn, &ctx.plan, st, &missing).await?;
        }
        if st.phase == Phase::Checks {
            if let Some(violations) = check_violations(conn, &ctx.plan, st).await? {
                if !st.best_effort {
                    return Err(MigrateError::Load { message: violations, report: Box::default() });
                }
                warnings.push(violations);
                record(ctx, i)?;
                continue;
            }
        }
        let sql = if missing.len() == st.parts.len() { st.sql.clone() } else { st.sql_for(&missing) };
        // A view is listed as cutover's before it is created and struck off if that fails,
        // so that a run killed right after creating it still knows it (`--restart`).
        let view = (st.phase == Phase::Views).then_some(st.object.as_str());
        if let Some(v) = view {
            note_view(ctx, v, true)?;
        }
        crate::fault!("post_load::before_statement");
        match conn.execute(&sql).await {
            Ok(()) => crate::fault!("post_load::after_statement"),
            Err(e) => {
                if let Some(v) = view {
                    note_view(ctx, v, false)?;
                }
                if !st.best_effort {
                    return Err(MigrateError::Target(e));
                }
                warnings.push(format!(
                    "{} {} was not created: {e}; the SQL it tried: {}",
                    if view.is_some() { "view" } else { "check" },
                    st.object,
                    st.sql
                ));
            }
        }
        record(ctx, i)?;
    }
    Ok(warnings)
}

/// The shared state, locked (poisoned only if a writer panicked while holding it).
pub(super) fn lock(state: &SharedState) -> Result<std::sync::MutexGuard<'_, State>, MigrateError> {
    state.lock().map_err(|_| MigrateError::Refused("internal error: the state lock is poisoned".into()))
}

/// List view `name` as cutover's (`created`), or strike it off, in the state file at once.
fn note_view(ctx: &Ctx, name: &str, created: bool) -> Result<(), MigrateError> {
    let mut st = lock(&ctx.state)?;
    if created {
        st.record_view(name);
    } else {
        st.forget_view(name);
    }
    Ok(st.save(&ctx.state_file)?)
}

/// Statement `i` ran: say so in the state file at once.
fn record(ctx: &Ctx, i: usize) -> Result<(), MigrateError> {
    let mut st = lock(&ctx.state)?;
    st.record_post_load(i);
    Ok(st.save(&ctx.state_file)?)
}
