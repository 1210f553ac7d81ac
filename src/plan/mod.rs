//! The plan: how a source schema lands in one target dialect, decided before anything
//! is written.
//!
//! `build` turns a `SourceSchema` and the user's overrides into a `Plan`: tables in FK
//! tiers, the mapping of every column with the rule that chose it, the exact DDL in
//! the order it runs (tables; after the data: indexes, foreign keys, identity resets,
//! views), the objects left out and why, and every finding a consultant should read.
//! Planning reads no server and writes nothing.

mod columns;
mod ddl;
mod logic;
pub mod names;
pub mod tiers;

/// The type mapping moved to `crate::mapping` (the source reader needs it too); this
/// path stays for callers that still name it here.
use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::Config;
use crate::schema::{SourceSchema, Table};
use crate::target::{Dialect, SqlDialect};
use crate::types::{ColumnType, EpochUnit};

pub use columns::plan_columns;

pub use crate::check::Level;

/// Something the plan wants a person to read: a decision made from the data, an object
/// left out, a name shortened, a problem that stops the migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct Finding {
    pub level: Level,
    /// Stable identifier of the kind of finding (`name_shortened`, `fk_left_out`, …).
    pub code: String,
    /// Where: `table`, `table.column`, `index name`, …
    pub object: String,
    pub message: String,
}

impl Finding {
    pub fn new(level: Level, code: &str, object: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding { level, code: code.into(), object: object.into(), message: message.into() }
    }
}

/// When a statement runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the data: schema and tables (primary keys included).
    Tables,
    /// After the data.
    Indexes,
    ForeignKeys,
    IdentityResets,
    /// CHECK constraints, translated, each after the loaded rows are checked against it.
    Checks,
    Views,
}

impl Phase {
    pub fn title(self) -> &'static str {
        match self {
            Phase::Tables => "tables (before the data)",
            Phase::Indexes => "indexes and unique constraints (after the data)",
            Phase::ForeignKeys => "foreign keys (after the data)",
            Phase::IdentityResets => "identity / AUTO_INCREMENT resets (after the data)",
            Phase::Checks => "CHECK constraints, translated (after the data)",
            Phase::Views => "views, translated (after the data)",
        }
    }
}

pub use crate::target::PlannedObject;
pub use logic::check_body;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Statement {
    pub phase: Phase,
    /// The object the statement creates or changes (target name).
    pub object: String,
    pub sql: String,
    /// A failure is a warning, not an error (views translated from SQLite's SQL).
    pub best_effort: bool,
    /// For a statement that adds several objects in one (MariaDB's `ALTER TABLE t ADD …,
    /// ADD …`): the part before the clauses, so that a subset can be run.
    #[serde(skip)]
    #[schemars(skip)]
    pub head: Option<String>,
    /// What the statement creates, one part per object, as the target's catalog names it:
    /// `--resume` reads the catalog to run only what is missing. Empty before the data.
    #[serde(skip)]
    #[schemars(skip)]
    pub parts: Vec<Part>,
}

/// One object a post-load statement creates, and the SQL that creates it alone (a whole
/// statement, or a clause after `Statement::head`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub object: PlannedObject,
    pub clause: String,
}

impl Statement {
    /// The statement that creates only `parts` (a subset of `self.parts`).
    pub fn sql_for(&self, parts: &[&Part]) -> String {
        match &self.head {
            Some(head) => {
                format!("{head} {}", parts.iter().map(|p| p.clause.as_str()).collect::<Vec<_>>().join(", "))
            }
            None => parts.iter().map(|p| p.clause.as_str()).collect::<Vec<_>>().join("; "),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Plan {
    pub dialect: Dialect,
    /// The framework whose conventions apply (`django`, `sqlalchemy`, `rails`, `laravel`),
    /// and why cutover thinks so.
    pub framework: Option<String>,
    pub framework_reason: String,
    /// PostgreSQL schema the tables go into.
    pub target_schema: Option<String>,
    pub source_fingerprint: String,
    pub tiers: Vec<TierPlan>,
    pub cycles: Vec<CyclePlan>,
    pub tables: Vec<TablePlan>,
    pub left_out: Vec<LeftOut>,
    pub findings: Vec<Finding>,
    /// What happens to views and CHECK constraints (`--views`, `--checks`).
    pub views: crate::config::LogicPolicy,
    pub checks: crate::config::LogicPolicy,
    pub statements: Vec<Statement>,
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Error)
    }

    pub fn table(&self, source_name: &str) -> Option<&TablePlan> {
        self.tables.iter().find(|t| t.source_name == source_name)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TierPlan {
    pub tier: usize,
    pub tables: Vec<String>,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CyclePlan {
    pub tables: Vec<String>,
    /// Foreign keys added only after every table of the cycle is loaded.
    pub deferred: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LeftOut {
    /// `view`, `trigger`, `virtual table`, `shadow table`, `table`.
    pub kind: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TablePlan {
    pub source_name: String,
    pub target_name: String,
    pub tier: usize,
    pub rows: u64,
    pub columns: Vec<ColumnMapping>,
    /// Target names of the primary key columns.
    pub primary_key: Vec<String>,
    pub identity: Option<Identity>,
    pub indexes: Vec<IndexPlan>,
    pub foreign_keys: Vec<ForeignKeyPlan>,
}

impl TablePlan {
    pub fn column(&self, source_name: &str) -> Option<&ColumnMapping> {
        self.columns.iter().find(|c| c.source_name == source_name)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ColumnMapping {
    pub source_name: String,
    pub target_name: String,
    pub declared_type: String,
    /// The neutral type every value is converted to.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// The type as the target spells it.
    pub target_type: String,
    /// The id of the mapping rule that chose the type (`override` for cutover.toml).
    pub rule: String,
    /// Why, in words, including what the data showed when the data decided.
    pub reason: String,
    pub nullable: bool,
    /// The DEFAULT expression in the target dialect.
    pub default: Option<String>,
    pub collation: Option<String>,
    /// Unit of integers in a date/time column.
    pub epoch_unit: Option<EpochUnit>,
    /// An enum column's labels (`labels` in cutover.toml); a value must be one of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// The statement that creates the enum's type first (PostgreSQL `CREATE TYPE`); it runs
    /// with the table's CREATE, in one transaction.
    #[serde(skip)]
    pub create_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Identity {
    pub column: String,
    /// The value the counter is set to after the load.
    pub next_value: i64,
    pub autoincrement: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IndexPlan {
    pub source_name: String,
    pub target_name: String,
    pub unique: bool,
    /// A UNIQUE constraint in the source (not a CREATE UNIQUE INDEX): created as a
    /// constraint where the engine tells the two apart, so that an application's later
    /// migration finds (and drops) a constraint by that name.
    #[serde(default)]
    pub constraint: bool,
    /// Target column names or expressions, with DESC and MariaDB key prefixes as written.
    pub keys: Vec<String>,
    pub partial: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ForeignKeyPlan {
    pub name: String,
    pub columns: Vec<String>,
    pub parent_table: String,
    pub parent_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
    pub deferrable: bool,
    /// Part of a cycle: must be added after every table of the cycle is loaded.
    pub breaks_cycle: bool,
}

/// What the planner needs besides the source schema.
#[derive(Debug, Clone)]
pub struct PlanOptions<'a> {
    pub dialect: Dialect,
    pub target_schema: Option<String>,
    pub config: &'a Config,
    /// Tables left out by `--tables` / `--exclude`.
    pub excluded: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cutover.toml names table {0:?}, which the source does not have (tables are matched by their exact SQLite name)")]
    UnknownTable(String),
    #[error("cutover.toml names column {column:?} of table {table:?}, which the table does not have")]
    UnknownColumn { table: String, column: String },
    #[error("{0}")]
    Config(String),
}

/// The tables this run plans; the rest are recorded as left out, with why.
fn selected_tables<'a>(schema: &'a SourceSchema, opts: &PlanOptions, left_out: &mut Vec<LeftOut>) -> Vec<&'a Table> {
    schema
        .tables
        .iter()
        .filter(|t| {
            let skip = opts.config.table(&t.name).is_some_and(|c| c.skip);
            if skip {
                left_out.push(LeftOut {
                    kind: "table".into(),
                    name: t.name.clone(),
                    reason: "skip = true in cutover.toml".into(),
                });
            } else if opts.excluded.contains(&t.name) {
                left_out.push(LeftOut {
                    kind: "table".into(),
                    name: t.name.clone(),
                    reason: "not selected by --tables / --exclude".into(),
                });
            }
            !skip && !opts.excluded.contains(&t.name)
        })
        .collect()
}

/// The tables in foreign-key tiers (tier 0 has no parents), and each cycle with the keys
/// that break it (added after the load, and said so in a finding).
fn tiers_and_cycles(
    selected: &[&Table],
    tables: &mut [TablePlan],
    findings: &mut Vec<Finding>,
) -> (Vec<TierPlan>, Vec<CyclePlan>) {
    let selected_names: BTreeSet<&str> = selected.iter().map(|t| t.name.as_str()).collect();
    let edges: Vec<tiers::Edge> = selected
        .iter()
        .flat_map(|t| {
            t.foreign_keys.iter().filter(|fk| selected_names.contains(fk.parent_table.as_str())).map(|fk| tiers::Edge {
                child: t.name.clone(),
                parent: fk.parent_table.clone(),
                fk: fk.id,
            })
        })
        .collect();
    let names_list: Vec<String> = selected.iter().map(|t| t.name.clone()).collect();
    let ordering = tiers::order(&names_list, &edges);
    let mut cycles = Vec::new();
    for (members, broken) in &ordering.cycles {
        let mut deferred = Vec::new();
        for e in broken {
            let Some(src) = selected.iter().find(|t| t.name == e.child) else {
                continue;
            };
            let Some(fk) = src.foreign_keys.iter().find(|fk| fk.id == e.fk) else {
                continue;
            };
            deferred.push(fk.describe(&src.name));
            if let Some(tp) = tables.iter_mut().find(|tp| tp.source_name == e.child) {
                let child_cols: Vec<String> =
                    fk.columns.iter().filter_map(|c| tp.column(c).map(|m| m.target_name.clone())).collect();
                for f in tp.foreign_keys.iter_mut().filter(|f| f.columns == child_cols) {
                    f.breaks_cycle = true;
                }
            }
        }
        findings.push(Finding::new(
            Level::Warning,
            "fk_cycle",
            members.join(" <-> "),
            format!(
                "foreign keys form a cycle between {}; broken by adding {} after the load",
                members.join(", "),
                deferred.join("; ")
            ),
        ));
        cycles.push(CyclePlan { tables: members.clone(), deferred });
    }
    let mut tier_plans = Vec::new();
    for (i, tier_tables) in ordering.tiers.iter().enumerate() {
        let mut rows = 0;
        let mut targets = Vec::new();
        for name in tier_tables {
            if let Some(tp) = tables.iter_mut().find(|tp| &tp.source_name == name) {
                tp.tier = i;
                rows += tp.rows;
                targets.push(tp.source_name.clone());
            }
        }
        tier_plans.push(TierPlan { tier: i, tables: targets, rows });
    }
    (tier_plans, cycles)
}

/// Plan the migration of `schema` into `opts.dialect`.
pub fn build(schema: &SourceSchema, opts: &PlanOptions) -> Result<Plan, PlanError> {
    check_overrides(schema, opts.config)?;
    let engine = opts.dialect.engine();
    let target_schema = engine.default_schema().map(|d| opts.target_schema.clone().unwrap_or_else(|| d.to_string()));
    let mut findings = Vec::new();
    let mut left_out = Vec::new();
    let detected = crate::apps::detect(schema, opts.config.app.as_deref()).map_err(PlanError::Config)?;
    if let Some(app) = detected.app {
        findings.push(Finding::new(
            Level::Info,
            "framework",
            "source",
            format!(
                "a {} application ({}): its column conventions apply (rules app_*/{}_*); set app = \"none\" in cutover.toml to turn them off",
                app.name(),
                detected.why,
                app.name()
            ),
        ));
    }
    let selected = selected_tables(schema, opts, &mut left_out);
    report_left_out(schema, &mut left_out);

    let mut relation_names = names::Namespace::default();
    let mut tables: Vec<TablePlan> = Vec::new();
    // One note per assumption, naming every column it applies to.
    let mut assumed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for t in &selected {
        let wanted = opts.config.table(&t.name).and_then(|c| c.name.clone()).unwrap_or_else(|| t.name.clone());
        let target_name = fit_name(&wanted, engine, &format!("table {}", t.name), &mut findings);
        if let Some(first) = relation_names.claim(&target_name, &format!("table {}", t.name)) {
            findings.push(Finding::new(
                Level::Error,
                "name_collision",
                &t.name,
                format!("table {:?} would be named {target_name:?} in the target, which {first} already uses; rename one in cutover.toml ([tables.\"{}\"] name = \"...\")", t.name, t.name),
            ));
        }
        let columns = plan_columns(t, engine, opts.config, detected.app, target_schema.as_deref(), &mut findings);
        for a in crate::apps::assumptions(detected.app, t, opts.dialect) {
            // An override says what the file could not: no need to assume then.
            if opts.config.column(&t.name, &a.column).is_none_or(|o| o.type_.is_none()) {
                assumed.entry(a.text).or_default().push(format!("{}.{}", t.name, a.column));
            }
        }
        tables.push(TablePlan {
            source_name: t.name.clone(),
            target_name,
            tier: 0,
            rows: t.row_count,
            primary_key: Vec::new(),
            identity: None,
            columns,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        });
    }

    for (text, columns) in assumed {
        findings.push(Finding::new(Level::Info, "app_assumption", columns.join(", "), text));
    }
    columns::follow_parent_integers(&selected, &mut tables, opts.config, engine);
    if engine.folding_collations() {
        columns::size_mariadb_keys(&selected, &mut tables, &mut findings);
    }
    for (t, tp) in selected.iter().zip(tables.iter_mut()) {
        plan_keys(t, tp, &mut findings);
    }
    let mut index_names = names::Namespace::default();
    if engine.index_names_share_relations() {
        // PostgreSQL indexes share one namespace with tables and views.
        index_names = relation_names;
    }
    let mut fk_names = names::Namespace::default();
    for (t, tp) in selected.iter().zip(0..) {
        let (idx, fks) = {
            let this = &tables[tp];
            let idx = ddl::plan_indexes(t, this, engine, &mut index_names, opts.dialect, &mut findings);
            let fks = ddl::plan_foreign_keys(t, this, &selected, &tables, engine, &mut fk_names, &mut findings);
            (idx, fks)
        };
        tables[tp].indexes = idx;
        tables[tp].foreign_keys = fks;
        if engine.index_names_per_table() {
            index_names = names::Namespace::default();
        }
    }

    if engine.folding_collations() {
        ddl::align_fk_collations(&mut tables, &mut findings);
    }

    let (tier_plans, cycles) = tiers_and_cycles(&selected, &mut tables, &mut findings);
    tables.sort_by(|a, b| (a.tier, &a.source_name).cmp(&(b.tier, &b.source_name)));

    let mut plan = Plan {
        dialect: opts.dialect,
        framework: detected.app.map(|a| a.name().to_string()),
        framework_reason: detected.why.clone(),
        target_schema,
        source_fingerprint: schema.fingerprint.clone(),
        tiers: tier_plans,
        cycles,
        tables,
        left_out,
        findings,
        views: opts.config.views.unwrap_or_default(),
        checks: opts.config.checks.unwrap_or_default(),
        statements: Vec::new(),
    };
    let mut extra = Vec::new();
    plan.statements = ddl::statements(&plan, schema, engine, &mut extra);
    plan.findings.extend(extra);
    plan.findings.sort_by(|a, b| b.level.cmp(&a.level).then(a.object.cmp(&b.object)).then(a.code.cmp(&b.code)));
    Ok(plan)
}

/// Fit a name to the engine's limit, reporting when it had to be shortened.
fn fit_name(wanted: &str, engine: &dyn SqlDialect, what: &str, findings: &mut Vec<Finding>) -> String {
    let fitted = names::fit(wanted, engine.name_limit());
    if fitted != wanted {
        findings.push(Finding::new(
            Level::Warning,
            "name_shortened",
            what,
            format!("name is longer than {} allows; shortened to {fitted:?}", engine.dialect()),
        ));
    }
    fitted
}

fn check_overrides(schema: &SourceSchema, config: &Config) -> Result<(), PlanError> {
    for (name, t) in &config.tables {
        let Some(table) = schema.table(name) else {
            return Err(PlanError::UnknownTable(name.clone()));
        };
        for col in t.columns.keys() {
            if table.column(col).is_none() {
                return Err(PlanError::UnknownColumn { table: name.clone(), column: col.clone() });
            }
        }
    }
    Ok(())
}

fn report_left_out(schema: &SourceSchema, left_out: &mut Vec<LeftOut>) {
    for v in &schema.virtual_tables {
        left_out.push(LeftOut {
            kind: "virtual table".into(),
            name: v.name.clone(),
            reason: format!(
                "virtual table (module {}) has no equivalent in the target; rebuild it there (e.g. a full-text or spatial index)",
                if v.module.is_empty() { "unknown" } else { &v.module }
            ),
        });
        for s in &v.shadow_tables {
            left_out.push(LeftOut {
                kind: "shadow table".into(),
                name: s.clone(),
                reason: format!("internal storage of virtual table {}", v.name),
            });
        }
    }
    for t in &schema.triggers {
        left_out.push(LeftOut {
            kind: "trigger".into(),
            name: t.name.clone(),
            reason: format!(
                "trigger on {}: not moved (SQLite trigger bodies do not run on the target); re-create its logic there if the application needs it. Its SQL: {}",
                t.table,
                t.sql.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        });
    }
}

/// Primary key and identity of one table.
fn plan_keys(t: &Table, tp: &mut TablePlan, findings: &mut Vec<Finding>) {
    let Some(pk) = &t.primary_key else {
        findings.push(Finding::new(
            Level::Info,
            "no_primary_key",
            &t.name,
            "table has no primary key: clustered targets (Galera) need one, and verify compares it as a multiset",
        ));
        return;
    };
    tp.primary_key = pk.columns.iter().filter_map(|c| tp.column(c).map(|m| m.target_name.clone())).collect();
    if pk.rowid_alias {
        if let Some(m) = tp.columns.iter().find(|m| m.source_name == pk.columns[0]) {
            let highest = t.max_rowid.unwrap_or(0).max(t.sequence.unwrap_or(0));
            let next = highest.saturating_add(1).max(1);
            tp.identity =
                Some(Identity { column: m.target_name.clone(), next_value: next, autoincrement: pk.autoincrement });
        }
    }
}

/// Table names of a plan keyed by lower-case source name, then column names, for re-quoting SQL.
pub(crate) fn known_names(plan: &Plan, schema: &SourceSchema) -> BTreeMap<String, String> {
    let mut known = BTreeMap::new();
    for tp in &plan.tables {
        for c in &tp.columns {
            known.entry(c.source_name.to_lowercase()).or_insert_with(|| c.target_name.clone());
        }
    }
    for tp in &plan.tables {
        known.insert(tp.source_name.to_lowercase(), tp.target_name.clone());
    }
    for v in &schema.views {
        known.insert(v.name.to_lowercase(), v.name.clone());
    }
    known
}

/// A statement that creates one object.
pub(super) fn one(phase: Phase, object: &str, sql: String, best_effort: bool, created: PlannedObject) -> Statement {
    let parts = vec![Part { object: created, clause: sql.clone() }];
    Statement { phase, object: object.to_string(), sql, best_effort, head: None, parts }
}
