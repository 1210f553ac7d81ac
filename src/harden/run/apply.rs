//! Applying a planned step: one transaction where the engine allows, each change
//! journaled with the values before; files (the env file, the password file) written
//! 0600 and put back if the step fails. The journal is written ahead: a change that no
//! ROLLBACK takes back (a file; DDL on MariaDB) before it is made, the whole step before
//! its COMMIT (unconfirmed), confirmed after; so a run killed anywhere has recorded
//! everything it may have changed, and `--undo` takes it back.

#[allow(unused_imports)]
use super::*;

pub(super) async fn apply_step(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step: &Step,
    actions: &[Action],
    journal: &mut Journal,
    run_id: &str,
    journal_path: &Path,
) -> Result<(), RunError> {
    let fail = |e: RunError| match e {
        RunError::Target(t) => RunError::Step { step: step.title(), reason: t.to_string() },
        other => other,
    };
    let mut wal = StepJournal::open(journal, journal_path, run_id, step);
    conn.execute("BEGIN").await?;
    let mut done = Done::default();
    let result = async {
        for a in actions {
            apply_action(conn, schema, step, a, &mut done, &mut wal).await?;
            crate::fault!("harden::after_action");
        }
        Ok::<(), RunError>(())
    }
    .await;
    if let Err(e) = result {
        conn.rollback().await;
        // A file written before the failure is put back, so that nothing is half done.
        for c in done.files.iter().rev() {
            let _ = undo_file(c);
        }
        // MariaDB commits DDL as it runs: what the step did before it failed stays, so it
        // stays in the journal for --undo; elsewhere the rollback took everything back.
        let kept = if conn.dialect().engine().transactional_ddl() { Vec::new() } else { done.changes };
        wal.stopped_by_error(kept)?;
        return Err(fail(e));
    }
    // Journaled before the COMMIT: a stop between the two leaves the step recorded.
    wal.record(done.all(&[]))?;
    crate::fault!("harden::before_commit");
    conn.commit().await?;
    crate::fault!("harden::after_commit");
    wal.confirm()
}

/// What a step changed so far: in the target, and in files (taken back first by undo).
#[derive(Default)]
pub(super) struct Done {
    changes: Vec<Change>,
    files: Vec<Change>,
}

impl Done {
    /// Everything so far, then `next` (what the action about to run will change).
    fn all(&self, next: &[Change]) -> Vec<Change> {
        self.changes.iter().chain(&self.files).chain(next).cloned().collect()
    }
}

/// The step's record in the journal, written ahead of what it records.
pub(super) struct StepJournal<'a> {
    journal: &'a mut Journal,
    path: &'a Path,
    run_id: &'a str,
    index: Option<usize>,
    saved: bool,
}

impl<'a> StepJournal<'a> {
    /// A new, unconfirmed record of `step` in the run (in memory until something is recorded).
    fn open(journal: &'a mut Journal, path: &'a Path, run_id: &'a str, step: &Step) -> StepJournal<'a> {
        let index = journal.run_mut(run_id).map(|run| {
            run.steps.push(StepRecord {
                title: step.title(),
                kind: step.kind().into(),
                changes: Vec::new(),
                undone: false,
                unconfirmed: true,
            });
            run.steps.len() - 1
        });
        StepJournal { journal, path, run_id, index, saved: false }
    }

    fn record_mut(&mut self) -> Option<&mut StepRecord> {
        let index = self.index?;
        self.journal.run_mut(self.run_id).and_then(|r| r.steps.get_mut(index))
    }

    /// The step's changes so far (made, or about to be made), saved.
    fn record(&mut self, changes: Vec<Change>) -> Result<(), JournalError> {
        if let Some(r) = self.record_mut() {
            r.changes = changes;
        }
        self.saved = true;
        self.journal.save(self.path)
    }

    /// The step committed.
    fn confirm(mut self) -> Result<(), RunError> {
        if let Some(r) = self.record_mut() {
            r.unconfirmed = false;
        }
        Ok(self.journal.save(self.path)?)
    }

    /// The step failed and was rolled back; `kept` is what stayed in the target anyway.
    fn stopped_by_error(mut self, kept: Vec<Change>) -> Result<(), RunError> {
        let title = self.record_mut().map(|r| format!("{} (stopped by an error)", r.title));
        match (kept.is_empty(), self.index) {
            (false, Some(_)) => {
                if let Some(r) = self.record_mut() {
                    r.title = title.unwrap_or_default();
                    r.changes = kept;
                    r.unconfirmed = false;
                }
            }
            (true, Some(index)) => {
                if let Some(run) = self.journal.run_mut(self.run_id) {
                    run.steps.remove(index);
                }
                if !self.saved {
                    return Ok(());
                }
            }
            (_, None) => return Ok(()),
        }
        Ok(self.journal.save(self.path)?)
    }
}

/// Whether an action changes something that a ROLLBACK does not take back: a file, or
/// DDL on an engine that commits it as it runs (MariaDB).
fn lasting(conn: &TargetConn, action: &Action) -> bool {
    let ddl = matches!(action, Action::AddColumn { .. } | Action::CreateIndex { .. } | Action::Sql { .. });
    matches!(action, Action::Rotate { .. } | Action::CreateAdmin { .. })
        || ddl && !conn.dialect().engine().transactional_ddl()
}

/// What an action will change, journaled before it runs when its change lasts. An index
/// may make InnoDB drop one of its own that served a foreign key: every index it could
/// replace is recorded too (undo creates such an index again only when it is missing).
async fn expected(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step: &Step,
    action: &Action,
) -> Result<Vec<Change>, RunError> {
    Ok(match action {
        Action::AddColumn { table, column, .. } => {
            vec![Change::ColumnAdded { table: table.clone(), column: column.clone() }]
        }
        Action::CreateIndex { table, index, columns } => {
            let mut out = vec![Change::IndexCreated { table: table.clone(), index: index.clone() }];
            for (t, name, cols) in conn.index_columns(schema).await? {
                if &t == table && cols.len() <= columns.len() && columns[..cols.len()] == cols[..] {
                    out.push(Change::IndexReplaced { table: t, index: name, columns: cols });
                }
            }
            out
        }
        Action::Sql { undo, .. } => vec![Change::SqlApplied { undo: undo.clone() }],
        Action::CreateAdmin { table, username_column, username, .. } => match step {
            Step::CreateAdmin { password_file, .. } => vec![Change::RowInserted {
                table: table.clone(),
                column: username_column.clone(),
                value: username.clone(),
                password_file: Some(absolute(password_file)),
            }],
            _ => Vec::new(),
        },
        // Journaled by rotate_env itself, between the backup and the replacement.
        _ => Vec::new(),
    })
}

pub(super) async fn apply_action(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step: &Step,
    action: &Action,
    done: &mut Done,
    wal: &mut StepJournal<'_>,
) -> Result<(), RunError> {
    if lasting(conn, action) {
        let next = expected(conn, schema, step, action).await?;
        if !next.is_empty() {
            wal.record(done.all(&next))?;
        }
    }
    let changes = &mut done.changes;
    let dialect = conn.dialect();
    let e = dialect.engine();
    match action {
        Action::Update { table, key_columns, set, rows, .. } => {
            let assignments: Vec<String> = set.iter().map(|(c, lit)| format!("{} = {lit}", e.quote(c))).collect();
            let tref = conn.table_ref(schema, table);
            for r in rows {
                let sql = format!(
                    "UPDATE {tref} SET {} WHERE {}",
                    assignments.join(", "),
                    key_condition(dialect, key_columns, &r.key)
                );
                conn.execute(&sql).await?;
            }
            changes.push(Change::RowsUpdated {
                table: table.clone(),
                key_columns: key_columns.clone(),
                columns: set.iter().map(|(c, _)| c.clone()).collect(),
                rows: rows.clone(),
            });
        }
        Action::CreateAdmin { table, username_column, username, columns } => {
            let Some(change) = insert_admin(conn, schema, step, table, username_column, username, columns).await?
            else {
                return Ok(());
            };
            changes.push(change);
        }
        Action::Rotate { path, keys, length, template, .. } => {
            let so_far = done.all(&[]);
            let change = rotate_env(path, keys, *length, template, |change| {
                let mut changes = so_far;
                changes.push(change);
                wal.record(changes)
            })?;
            done.files.push(change);
            crate::fault!("harden::after_file");
        }
        Action::AddColumn { table, column, definition } => {
            conn.execute(&format!(
                "ALTER TABLE {} ADD COLUMN {} {definition}",
                conn.table_ref(schema, table),
                e.quote(column)
            ))
            .await?;
            changes.push(Change::ColumnAdded { table: table.clone(), column: column.clone() });
        }
        Action::CreateIndex { table, index, columns } => {
            let before = conn.index_columns(schema).await?;
            conn.execute(&super::sql::create_index(conn, schema, table, index, columns)).await?;
            changes.push(Change::IndexCreated { table: table.clone(), index: index.clone() });
            // InnoDB drops the index it made for a foreign key once another index serves it.
            let after = conn.index_columns(schema).await?;
            for (t, name, cols) in before {
                if &t == table && !after.iter().any(|(t2, n2, _)| t2 == &t && n2 == &name) {
                    changes.push(Change::IndexReplaced { table: t, index: name, columns: cols });
                }
            }
        }
        Action::CreateExtension { extension } => {
            conn.execute(&format!("CREATE EXTENSION IF NOT EXISTS {}", e.quote(extension))).await?;
            changes.push(Change::ExtensionCreated { extension: extension.clone() });
        }
        Action::Sql { apply, undo } => {
            conn.execute(apply).await?;
            changes.push(Change::SqlApplied { undo: undo.clone() });
        }
        Action::RecordRevocation { path, keys, tables } => {
            // After this step's rotation (if any): the secret the file holds now.
            let env = EnvFile::read(path)?;
            let secret_fingerprint = journal::secret_fingerprint(&env, keys);
            changes.push(Change::SessionsRevoked { tables: tables.clone(), secret_fingerprint });
        }
    }
    Ok(())
}

/// Insert the production admin with a generated password, hashed in the application's
/// format; the password goes to the 0600 password file only. None when `step` is not the
/// admin step.
async fn insert_admin(
    conn: &mut TargetConn,
    schema: Option<&str>,
    step: &Step,
    table: &String,
    username_column: &String,
    username: &str,
    columns: &[(String, String)],
) -> Result<Option<Change>, RunError> {
    let dialect = conn.dialect();
    let e = dialect.engine();
    let Step::CreateAdmin { password_column, format, cost, iterations, password_length, password_file, flag, .. } =
        step
    else {
        return Ok(None);
    };
    let password = password::generate_password(password_length.unwrap_or(24))?;
    let hash = password::hash_password(password.expose(), format.format(*cost, *iterations))?;
    let mut cols: Vec<(String, String)> =
        vec![(username_column.clone(), e.string_literal(username)), (password_column.clone(), e.string_literal(&hash))];
    if !flag.is_empty() && !columns.iter().any(|(c, _)| c == flag) {
        cols.push((flag.clone(), bool_literal(dialect, true)));
    }
    cols.extend(columns.iter().filter(|(c, _)| c != username_column && c != password_column).cloned());
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        conn.table_ref(schema, table),
        cols.iter().map(|(c, _)| e.quote(c)).collect::<Vec<_>>().join(", "),
        cols.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", ")
    );
    conn.execute(&sql).await.map_err(|err| RunError::Step {
        step: step.title(),
        reason: format!("inserting the admin into {table}: {}", redact(&err.to_string(), &hash)),
    })?;
    write_secret_file(password_file, password.expose())?;
    crate::fault!("harden::after_file");
    Ok(Some(Change::RowInserted {
        table: table.clone(),
        column: username_column.clone(),
        value: username.to_string(),
        password_file: Some(absolute(password_file)),
    }))
}

/// New values for `keys` in the env file (created from the template when missing),
/// written atomically with a backup; the change that `--undo` takes back, handed to
/// `journal` before the file is created or replaced.
fn rotate_env(
    path: &Path,
    keys: &[String],
    length: usize,
    template: &Option<PathBuf>,
    journal: impl FnOnce(Change) -> Result<(), JournalError>,
) -> Result<Change, RunError> {
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    if !path.exists() {
        let text = match template {
            Some(s) => std::fs::read(s).map_err(|source| HardenError::Read { path: s.clone(), source })?,
            None => Vec::new(),
        };
        let change = Change::EnvCreated { path: absolute(path) };
        journal(change.clone())?;
        write_secret_file(path, &String::from_utf8_lossy(&text))?;
        // A file created here and not rotated is taken away again: nothing half done.
        let rotation = envfile::rotate_secrets(path, &refs, length).inspect_err(|_| {
            let _ = std::fs::remove_file(path);
        })?;
        // The backup of the file just created from the sample is not needed.
        let _ = std::fs::remove_file(&rotation.backup);
        Ok(change)
    } else {
        let mode = std::fs::metadata(path).ok().map(|m| {
            use std::os::unix::fs::PermissionsExt;
            m.permissions().mode() & 0o7777
        });
        // The real file behind a symbolic link, by an absolute path: undo must
        // restore that file, from whatever directory it runs in.
        let mut recorded = None;
        let mut journal_error = None;
        let rotation = envfile::rotate_secrets_then(path, &refs, length, |real, backup| {
            let change = Change::EnvReplaced { path: absolute(real), backup: absolute(backup), mode };
            recorded = Some(change.clone());
            journal(change).map_err(|e| {
                let source = std::io::Error::other(e.to_string());
                journal_error = Some(e);
                HardenError::Write { path: real.to_path_buf(), action: "journal the rotation of", source }
            })
        });
        if let Some(e) = journal_error {
            return Err(e.into());
        }
        let rotation = rotation?;
        Ok(recorded.unwrap_or_else(|| Change::EnvReplaced {
            path: absolute(&rotation.path),
            backup: absolute(&rotation.backup),
            mode,
        }))
    }
}

/// A server message with a value it may quote (a password hash) cut out.
pub(super) fn redact(message: &str, secret: &str) -> String {
    message.replace(secret, "***")
}

/// Write a file only its owner can read (0600), atomically: the admin password or a new env file.
pub(super) fn write_secret_file(path: &Path, text: &str) -> Result<(), HardenError> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let err = |source: std::io::Error| HardenError::Write { path: path.to_path_buf(), action: "write", source };
    let mut tmp = tempfile::Builder::new().prefix(".cutover-secret").tempfile_in(dir).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    if !text.is_empty() && !text.ends_with('\n') {
        tmp.write_all(b"\n").map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Take a file change back: restore the env file byte for byte from its backup, or
/// remove a file the run created.
pub(super) fn undo_file(change: &Change) -> Result<(), HardenError> {
    match change {
        Change::EnvReplaced { path, backup, mode } => {
            let bytes = std::fs::read(backup).map_err(|source| HardenError::Read { path: backup.clone(), source })?;
            write_bytes_0600(path, &bytes)?;
            if let Some(mode) = mode {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode)).map_err(|source| {
                    HardenError::Write { path: path.clone(), action: "restore the permissions of", source }
                })?;
            }
            Ok(())
        }
        Change::EnvCreated { path } => std::fs::remove_file(path).map_err(|source| HardenError::Write {
            path: path.clone(),
            action: "remove",
            source,
        }),
        _ => Ok(()),
    }
}

/// `path` made absolute against the current directory (symbolic links kept as they are).
pub(super) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub(super) fn write_bytes_0600(path: &Path, bytes: &[u8]) -> Result<(), HardenError> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let err = |source: std::io::Error| HardenError::Write { path: path.to_path_buf(), action: "restore", source };
    let mut tmp = tempfile::Builder::new().prefix(".cutover-restore").tempfile_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
