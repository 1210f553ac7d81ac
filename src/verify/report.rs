//! The verification report: per table the counts, both checksums and the rows that
//! differ; in the target the foreign-key orphans and identity positions; whether the
//! source changed since the migration. Printed by tier for people, written as JSON
//! (`--json`, `--report FILE`, schema/verify.schema.json) for scripts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::plan::Finding;
use crate::report::Reject;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct VerifyReport {
    pub source: String,
    /// Fingerprint of the source snapshot this verification read.
    pub source_fingerprint: String,
    /// Target URL with its password replaced by ***.
    pub target: String,
    pub server_version: String,
    /// `count` or `checksum`.
    pub level: String,
    /// `create` or `existing`: how the columns were matched and typed.
    pub schema_mode: String,
    pub started_at: String,
    pub seconds: f64,
    pub tables: Vec<TableVerdict>,
    pub foreign_keys: Vec<FkVerdict>,
    pub identities: Vec<IdentityVerdict>,
    /// Create mode: every index, unique index, foreign key and identity counter the plan
    /// adds after the data, looked up in the target's catalog (empty in existing mode).
    #[serde(default)]
    pub post_load: Vec<PostLoadVerdict>,
    /// Create mode: every view of the source, its rows in SQLite against the target's.
    #[serde(default)]
    pub views: Vec<ViewVerdict>,
    /// Source changed since the migration, tables that could not be read, and the like.
    pub findings: Vec<Finding>,
    /// True when every table, foreign key, identity and post-load object matched.
    pub ok: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TableVerdict {
    pub table: String,
    pub target_table: String,
    pub tier: usize,
    /// `match`, `count mismatch`, `content mismatch`, `missing in target`, `not comparable`.
    pub status: String,
    pub rows_source: u64,
    /// Source rows that do not convert (the migration put them in its reject file, or
    /// would have stopped on them); they are not expected in the target.
    pub rows_rejected: u64,
    pub rows_target: u64,
    /// Order-independent content checksums (hex), source side and target side; empty at level count.
    pub checksum_source: String,
    pub checksum_target: String,
    /// True when the table has no primary key: rows are compared as a multiset.
    pub multiset: bool,
    /// Rows that differ, at most --max-diffs listed.
    pub diffs: Vec<RowDiff>,
    /// All differences found, listed or not.
    pub diffs_total: u64,
    /// Set when the search for differing rows was cut short (too many rows differ).
    pub diffs_note: Option<String>,
    /// Some of the source rows that do not convert.
    pub rejects: Vec<Reject>,
    /// Why the table could not be compared, for `not comparable`.
    pub problem: Option<String>,
    pub seconds: f64,
}

impl TableVerdict {
    pub fn matches(&self) -> bool {
        self.status == "match"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RowDiff {
    /// `missing` (in the source, not in the target), `extra` (in the target only), `different`.
    pub kind: String,
    /// The row's key (`id=42`), the source rowid, or for extra rows of a table without a key, its values.
    pub key: String,
    pub columns: Vec<ColumnDiff>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ColumnDiff {
    pub column: String,
    /// The value the migration meant to write, shortened.
    pub source: String,
    /// The value the target holds, shortened.
    pub target: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FkVerdict {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub parent_table: String,
    pub parent_columns: Vec<String>,
    /// Rows whose key (all parts non-NULL) has no parent row.
    pub orphans: u64,
    /// Keys of some orphan rows.
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IdentityVerdict {
    pub table: String,
    pub column: String,
    /// Largest value in the column (0 when empty).
    pub max_value: i64,
    /// The value the sequence / AUTO_INCREMENT counter hands out next.
    pub next_value: i64,
    pub ok: bool,
    /// The source's `sqlite_sequence` for this column (AUTOINCREMENT tables): the largest id
    /// SQLite ever handed out, deleted rows included; the next value must be above it too.
    #[serde(default)]
    pub sqlite_sequence: Option<i64>,
}

/// One view: its rows in SQLite and in the target, compared as multisets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ViewVerdict {
    pub view: String,
    /// `match`, `rows differ`, `missing in target`, `not comparable` (its rows depend on
    /// the moment or on an unfixed order) or `not migrated` (the plan leaves it out).
    pub status: String,
    pub rows_source: u64,
    pub rows_target: u64,
    /// Why it is not comparable or not migrated, or a row that differs.
    pub reason: String,
}

impl ViewVerdict {
    /// A difference is a view that is missing or returns other rows.
    pub fn ok(&self) -> bool {
        !matches!(self.status.as_str(), "rows differ" | "missing in target")
    }
}

/// One object the plan creates after the data, and whether the target's catalog holds it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PostLoadVerdict {
    /// `index`, `unique index`, `foreign key` or `identity counter`.
    pub kind: String,
    pub table: String,
    /// The index or key name; for a counter, its column and the value it must hand out at least.
    pub name: String,
    pub present: bool,
}

impl VerifyReport {
    pub fn render(&self) -> String {
        use crate::output::{table, thousands};
        let mut out = format!(
            "verify ({}) {} -> {}{}\n",
            self.level,
            self.source,
            self.target,
            if self.server_version.is_empty() { String::new() } else { format!(" ({})", self.server_version) }
        );
        let mut grid = vec![vec![
            "tier".to_string(),
            "table".into(),
            "source".into(),
            "rejected".into(),
            "target".into(),
            "checksum".into(),
            "result".into(),
        ]];
        for t in &self.tables {
            grid.push(vec![
                t.tier.to_string(),
                t.table.clone(),
                thousands(t.rows_source),
                thousands(t.rows_rejected),
                thousands(t.rows_target),
                if t.checksum_target.is_empty() { "-".into() } else { t.checksum_target.clone() },
                if t.matches() { "ok".into() } else { t.status.to_uppercase() },
            ]);
        }
        out.push_str(&table(&grid));
        self.render_differences(&mut out);
        self.render_rejects(&mut out);
        self.render_target_checks(&mut out);
        for f in &self.findings {
            out.push_str(&format!("{:?}: {}: {}\n", f.level, f.object, f.message).to_lowercase_first());
        }
        let bad = self.tables.iter().filter(|t| !t.matches()).count();
        let n = self.tables.len() as u64;
        out.push_str(&format!(
            "\n{}: {} {}, {} match, {} differ ({:.2} s)\n",
            if self.ok { "VERIFIED" } else { "MISMATCH" },
            n,
            crate::output::plural(n, "table", "tables"),
            self.tables.len() - bad,
            bad,
            self.seconds
        ));
        out
    }

    /// Each table that differs, with the rows that differ.
    fn render_differences(&self, out: &mut String) {
        use crate::output::thousands;
        for t in self.tables.iter().filter(|t| !t.matches()) {
            let renamed =
                if t.target_table == t.table { String::new() } else { format!(" (target {})", t.target_table) };
            out.push_str(&format!("\n{}{renamed}: {}", t.table, t.status));
            if let Some(p) = &t.problem {
                out.push_str(&format!(": {p}"));
            }
            out.push('\n');
            if t.status != "missing in target" && t.status != "not comparable" {
                out.push_str(&format!(
                    "  source {} rows ({} do not convert), target {} rows\n",
                    thousands(t.rows_source),
                    thousands(t.rows_rejected),
                    thousands(t.rows_target)
                ));
            }
            for d in &t.diffs {
                match d.kind.as_str() {
                    "different" => {
                        out.push_str(&format!("  different {}:\n", d.key));
                        for c in &d.columns {
                            out.push_str(&format!("    {}: source {} target {}\n", c.column, c.source, c.target));
                        }
                    }
                    "missing" => out.push_str(&format!("  missing in target: {}\n", d.key)),
                    _ => out.push_str(&format!("  extra in target: {}\n", d.key)),
                }
            }
            let listed = t.diffs.len() as u64;
            if t.diffs_total > listed {
                out.push_str(&format!(
                    "  … and {} more difference(s) (--max-diffs lists more)\n",
                    thousands(t.diffs_total - listed)
                ));
            }
            if let Some(n) = &t.diffs_note {
                out.push_str(&format!("  note: {n}\n"));
            }
        }
    }

    /// Rows of the source that do not convert (not differences).
    fn render_rejects(&self, out: &mut String) {
        use crate::output::thousands;
        let rejected: u64 = self.tables.iter().map(|t| t.rows_rejected).sum();
        if rejected > 0 {
            let orphans =
                self.tables.iter().flat_map(|t| t.rejects.iter()).any(|r| r.kind == crate::job::orphans::KIND);
            let why = if orphans {
                "do not convert, or point to a parent row that is missing or rejected,"
            } else {
                "do not convert"
            };
            out.push_str(&format!(
                "\n{} source row(s) {why} and are not expected in the target (the migration's reject file holds them):\n",
                thousands(rejected)
            ));
            if self.level == "count" {
                out.push_str("  (counted from the state file; --level checksum lists them)\n");
            }
            for r in self.tables.iter().flat_map(|t| t.rejects.iter()).take(10) {
                out.push_str(&format!("  {} {} {}: {} ({})\n", r.table, r.key, r.column, r.value, r.reason));
            }
        }
    }

    /// Foreign-key orphans and identity counters in the target.
    fn render_target_checks(&self, out: &mut String) {
        use crate::output::thousands;
        let orphaned: Vec<&FkVerdict> = self.foreign_keys.iter().filter(|f| f.orphans > 0).collect();
        out.push_str(&format!(
            "\nforeign keys: {} checked, {} with orphan rows\n",
            self.foreign_keys.len(),
            orphaned.len()
        ));
        for f in orphaned {
            out.push_str(&format!(
                "  {} ({}.{} -> {}.{}): {} orphan row(s), e.g. {}\n",
                f.name,
                f.table,
                f.columns.join(","),
                f.parent_table,
                f.parent_columns.join(","),
                thousands(f.orphans),
                f.samples.join("; ")
            ));
        }
        self.render_post_load(out);
        self.render_views(out);
        let behind: Vec<&IdentityVerdict> = self.identities.iter().filter(|i| !i.ok).collect();
        out.push_str(&format!(
            "identity / AUTO_INCREMENT: {} checked, {} behind the largest key or sqlite_sequence\n",
            self.identities.len(),
            behind.len()
        ));
        for i in behind {
            match i.sqlite_sequence.filter(|s| *s >= i.next_value && *s > i.max_value) {
                Some(seq) => out.push_str(&format!(
                    "  {}.{}: next value {} but the source's sqlite_sequence is {seq}; new rows would reuse the id of a row deleted before the move\n",
                    i.table, i.column, i.next_value
                )),
                None => out.push_str(&format!(
                    "  {}.{}: next value {} but the largest is {}; the next insert would fail or reuse a key\n",
                    i.table, i.column, i.next_value, i.max_value
                )),
            }
        }
    }
}

impl VerifyReport {
    /// Views: how many return SQLite's rows, and each that does not or cannot be compared.
    fn render_views(&self, out: &mut String) {
        if self.views.is_empty() {
            return;
        }
        let matching = self.views.iter().filter(|v| v.status == "match").count();
        out.push_str(&format!("views: {} compared, {matching} return SQLite's rows\n", self.views.len()));
        for v in self.views.iter().filter(|v| v.status != "match") {
            let rows = if v.status == "rows differ" {
                format!(" ({} rows in SQLite, {} in the target)", v.rows_source, v.rows_target)
            } else {
                String::new()
            };
            out.push_str(&format!("  {}: {}{rows}: {}\n", v.view, v.status, v.reason));
        }
    }

    /// The planned indexes, keys and counters that the target lacks (nothing when it has
    /// them all: the JSON report lists every one checked).
    fn render_post_load(&self, out: &mut String) {
        let missing: Vec<&PostLoadVerdict> = self.post_load.iter().filter(|p| !p.present).collect();
        if missing.is_empty() {
            return;
        }
        out.push_str(&format!(
            "after the data: {} planned indexes, keys and counters checked, {} missing\n",
            self.post_load.len(),
            missing.len()
        ));
        for p in &missing {
            out.push_str(&format!("  missing {} {} on {}\n", p.kind, p.name, p.table));
        }
        out.push_str(
            "  a migration stopped in its post-load phase finishes with the same migrate command and --resume; an object dropped since is created again by its statement in `cutover plan SOURCE --to URL`\n",
        );
    }
}

trait LowerFirst {
    fn to_lowercase_first(self) -> String;
}

impl LowerFirst for String {
    fn to_lowercase_first(self) -> String {
        let mut c = self.chars();
        match c.next() {
            Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
            None => self,
        }
    }
}
