//! `rotate_secret`: weak or missing secrets get new values, and what the old secret
//! signed is revoked in this target once per secret (the journal records under which).

#[allow(unused_imports)]
use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) async fn plan_rotation(
    conn: &mut TargetConn,
    schema: Option<&str>,
    opts: &HardenOptions,
    keys: &[String],
    length: Option<usize>,
    insecure: &[String],
    invalidate: &[Invalidate],
) -> Result<Vec<Action>, RunError> {
    let Some(path) = opts.env_file.clone() else {
        return Err(RunError::Profile(
            "a rotate_secret step needs the env file: pass --env-file FILE or set env_file in the profile".into(),
        ));
    };
    let sample = opts.profile.sample_env.clone();
    let mut known: Vec<String> = insecure.to_vec();
    if let Some(s) = &sample {
        let env = EnvFile::read(s)?;
        known.extend(env.keys().filter_map(|k| env.get(k)).filter(|v| !v.is_empty()));
    }
    let known_refs: Vec<&str> = known.iter().map(String::as_str).collect();
    let template = opts.profile.env_template.clone();
    let current = if path.exists() {
        Some(EnvFile::read(&path)?)
    } else if let Some(t) = &template {
        Some(EnvFile::read(t)?)
    } else {
        None
    };
    let mut weak = Vec::new();
    let mut reasons = Vec::new();
    for k in keys {
        let value = current.as_ref().and_then(|e| e.get(k));
        let why = match value.as_deref() {
            None | Some("") => Some("missing"),
            Some(v) => envfile::weakness(v, &known_refs),
        };
        if let Some(why) = why {
            weak.push(k.clone());
            reasons.push(format!("{k}: {why}"));
        }
    }
    // Revocation depends on the target, not on this run: sessions of a target are revoked
    // once under each secret, whichever run rotated it (another target's run may have).
    let revoked = Journal::load(&opts.journal)?.revoked_under(&opts.target.to_string()).map(String::from);
    let mut out = Vec::new();
    if weak.is_empty() {
        let current_fingerprint = current.as_ref().map(|env| journal::secret_fingerprint(env, keys));
        if invalidate.is_empty() || revoked.is_some() && revoked == current_fingerprint {
            return Ok(vec![]);
        }
    } else {
        out.push(Action::Rotate {
            path: path.clone(),
            keys: weak,
            length: length.unwrap_or(envfile::DEFAULT_SECRET_LENGTH),
            template,
            reasons,
        });
    }
    let dialect = conn.dialect();
    for inv in invalidate {
        let set: Vec<(String, String)> = inv.set.iter().map(|(c, v)| (c.clone(), toml_literal(dialect, v))).collect();
        let cond = not_revoked_condition(dialect, inv);
        let cols: Vec<String> = set.iter().map(|(c, _)| c.clone()).collect();
        let (key, rows) = rows_where(conn, schema, &inv.table, &cols, Some(&cond)).await?;
        if rows.is_empty() {
            continue;
        }
        out.push(Action::Update {
            table: inv.table.clone(),
            key_columns: key,
            what: format!("invalidate what the old secret signed in {}", inv.table),
            set,
            rows: rows.into_iter().map(|(k, v)| RowBefore { key: k, before: v }).collect(),
        });
    }
    if !invalidate.is_empty() {
        let tables = invalidate.iter().map(|i| i.table.clone()).collect();
        out.push(Action::RecordRevocation { path, keys: keys.to_vec(), tables });
    }
    Ok(out)
}
