//! The migration report: every table's rows read, written and rejected, time and
//! throughput, the count check, and what happened after the load. Printed as a table
//! by tier for people, written as JSON (`--report FILE`, schema/report.schema.json)
//! for scripts.

use schemars::JsonSchema;
use serde::Serialize;

use crate::plan::Finding;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct MigrationReport {
    pub source: String,
    pub source_fingerprint: String,
    /// Target URL with its password replaced by ***.
    pub target: String,
    /// The target server's product and version as read at connect time (`MariaDB 10.11.19`).
    pub server_version: String,
    /// Whether the connections to the target were encrypted (TLS); null for an sqlite:// file.
    pub connection_encrypted: Option<bool>,
    pub schema_mode: String,
    pub dry_run: bool,
    pub started_at: String,
    pub seconds: f64,
    /// Wall time of the copy phase (creating tables, reading, converting and loading rows).
    pub load_seconds: f64,
    /// Wall time after the data: indexes, foreign keys (and their orphan checks), identity resets, views.
    pub post_load_seconds: f64,
    pub tables: Vec<TableReport>,
    /// Post-load statements that failed but do not stop the migration (views).
    pub warnings: Vec<String>,
    pub findings: Vec<Finding>,
    /// Values that did not convert (dry run and reject mode), at most 1000 listed.
    pub rejects: Vec<Reject>,
    pub rejects_total: u64,
    /// Of `rejects_total`, rows set aside because a foreign key would refuse them (kind
    /// `fk_orphan`: the parent row is missing in the source, or was itself set aside).
    pub rejects_fk_orphans: u64,
    /// True when every table was copied and its count checked.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TableReport {
    pub table: String,
    pub target_table: String,
    pub tier: usize,
    pub rows_source: u64,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    pub seconds: f64,
    /// `ok`, `skipped (done earlier)` (a resumed run found it done; its counts are 0 here:
    /// this run read and wrote none of it), `not committed`, `dry run`.
    pub status: String,
    /// Target count equals rows read minus rejected.
    pub count_checked: bool,
    /// Connections the table's rows loaded over at once (rowid ranges of a large table); 1
    /// for most tables, 0 when this run did not load it.
    #[serde(default)]
    pub parts: usize,
}

/// One row set aside, as written to the reject file: a value that did not convert, or
/// (kind `fk_orphan`) a row whose parent row is missing in the source or set aside.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, JsonSchema)]
pub struct Reject {
    pub table: String,
    /// The row's key: `id=42`, `rowid=7`, or the primary key columns.
    pub key: String,
    pub column: String,
    /// The value, shortened.
    pub value: String,
    pub kind: String,
    pub reason: String,
    /// Kind `fk_orphan`: the name of the foreign key (as the plan creates it) that would refuse the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_key: Option<String>,
}

impl MigrationReport {
    pub fn render(&self) -> String {
        use crate::output::{plural, table, thousands};
        let mut grid = vec![vec![
            "tier".to_string(),
            "table".into(),
            "read".into(),
            "written".into(),
            "rejected".into(),
            "time".into(),
            "rows/s".into(),
            "count".into(),
        ]];
        for t in &self.tables {
            if t.status.starts_with("skipped") {
                let dash = || "-".to_string();
                grid.push(vec![
                    t.tier.to_string(),
                    t.table.clone(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    t.status.clone(),
                ]);
                continue;
            }
            let rate = if t.seconds > 0.0 { thousands((t.rows_read as f64 / t.seconds) as u64) } else { "-".into() };
            grid.push(vec![
                t.tier.to_string(),
                t.table.clone(),
                thousands(t.rows_read),
                thousands(t.rows_written),
                thousands(t.rows_rejected),
                format!("{:.2}s", t.seconds),
                rate,
                if t.count_checked { "ok".into() } else { t.status.clone() },
            ]);
        }
        let read: u64 = self.tables.iter().map(|t| t.rows_read).sum();
        let written: u64 = self.tables.iter().map(|t| t.rows_written).sum();
        let mut out = format!(
            "{}{} -> {}{}\n",
            if self.dry_run { "DRY RUN (nothing written): " } else { "" },
            self.source,
            self.target,
            if self.server_version.is_empty() { String::new() } else { format!(" ({})", self.server_version) }
        );
        if self.connection_encrypted == Some(false) {
            out.push_str("note: the connection to the target was not encrypted (add sslmode=verify-full to the URL)\n");
        }
        out.push_str(&table(&grid));
        let tables = self.tables.len() as u64;
        let earlier = self.tables.iter().filter(|t| t.status.starts_with("skipped")).count() as u64;
        // A resumed run with every table done earlier loaded nothing: no rate, no load time.
        let times = if earlier == tables && tables > 0 {
            format!("in {:.2} s (nothing left to load; after the data {:.2} s)", self.seconds, self.post_load_seconds)
        } else {
            format!(
                "in {:.2} s ({} rows/s; load {:.2} s, after the data {:.2} s)",
                self.seconds,
                if self.seconds > 0.0 { thousands((read as f64 / self.seconds) as u64) } else { "-".into() },
                self.load_seconds,
                self.post_load_seconds
            )
        };
        out.push_str(&format!(
            "\n{} {}{}, {} {} read, {} written, {} rejected {times}\n",
            thousands(tables),
            plural(tables, "table", "tables"),
            if earlier > 0 { format!(" ({earlier} done earlier)") } else { String::new() },
            thousands(read),
            plural(read, "row", "rows"),
            thousands(written),
            thousands(self.tables.iter().map(|t| t.rows_rejected).sum::<u64>().max(self.rejects_total)),
        ));
        if self.rejects_fk_orphans > 0 {
            out.push_str(&format!(
                "{} of the rejected rows point to a parent row that is missing in the source or rejected itself (kind fk_orphan, with the foreign key named in the reject file)\n",
                thousands(self.rejects_fk_orphans)
            ));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        if self.dry_run && !self.rejects.is_empty() {
            out.push_str(&format!(
                "\n{} {} would not convert:\n",
                thousands(self.rejects_total),
                plural(self.rejects_total, "value", "values")
            ));
            for r in self.rejects.iter().take(50) {
                out.push_str(&format!("  {} {} {}: {} ({})\n", r.table, r.key, r.column, r.value, r.reason));
            }
        }
        out
    }
}
