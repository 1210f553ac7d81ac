//! What a step will do, planned from the target's current state: the list of actions
//! that `--check` reports and `harden` applies.

#[allow(unused_imports)]
use super::*;

/// What a step will do, read from the target's current state.
#[derive(Debug, Clone)]
pub(super) enum Action {
    /// Set `set` on the rows named by `rows` (their keys), whose old values are recorded.
    Update {
        table: String,
        key_columns: Vec<String>,
        set: Vec<(String, String)>,
        rows: Vec<RowBefore>,
        what: String,
    },
    /// Insert the production admin: the password is generated at apply time.
    CreateAdmin {
        table: String,
        username_column: String,
        username: String,
        columns: Vec<(String, String)>,
    },
    /// Rotate these keys of the env file (creating it from the template when missing).
    Rotate {
        path: PathBuf,
        keys: Vec<String>,
        length: usize,
        template: Option<PathBuf>,
        reasons: Vec<String>,
    },
    AddColumn {
        table: String,
        column: String,
        definition: String,
    },
    CreateIndex {
        table: String,
        index: String,
        columns: Vec<String>,
    },
    CreateExtension {
        extension: String,
    },
    Sql {
        apply: String,
        undo: Option<String>,
    },
    /// Record in the journal the fingerprint of the secret that the env file holds now,
    /// as the one under which `tables` were revoked in this target.
    RecordRevocation {
        path: PathBuf,
        keys: Vec<String>,
        tables: Vec<String>,
    },
}

impl Action {
    pub(super) fn describe(&self) -> String {
        match self {
            Action::Update { what, rows, .. } => format!("{what}: {} row(s)", rows.len()),
            Action::CreateAdmin { table, username, .. } => {
                format!("insert {username} into {table} (password generated and written to the password file only)")
            }
            Action::Rotate { path, keys, reasons, template, .. } => {
                let created = match (path.exists(), template) {
                    (true, _) => String::new(),
                    (false, Some(t)) => format!("; the file does not exist yet: it is created from {}", t.display()),
                    (false, None) => "; the file does not exist yet: it is created".into(),
                };
                format!("new value for {} in {} ({}){created}", keys.join(", "), path.display(), reasons.join("; "))
            }
            Action::AddColumn { table, column, definition } => format!("add column {table}.{column} {definition}"),
            Action::CreateIndex { table, index, columns } => {
                format!("create index {index} on {table} ({})", columns.join(", "))
            }
            Action::CreateExtension { extension } => format!("create extension {extension}"),
            // Not the SQL itself: a profile may create a role with its password there.
            Action::Sql { apply, .. } => format!("run the step's apply SQL ({} characters)", apply.chars().count()),
            Action::RecordRevocation { tables, .. } => format!(
                "record in the journal: {} revoked in this target under the current secret (its fingerprint only)",
                tables.join(", ")
            ),
        }
    }
}
