//! The two levels: `count` (row counts only) and `checksum` (a first pass hashing
//! both sides at once, then narrowing the segments that differ).

use super::*;
use crate::source::longest_first;

/// Level checksum: both sides hashed at once, then the differing segments read again to name the rows.
pub(super) async fn checksum_level(
    opts: &VerifyOptions<'_>,
    source: Source,
    conns: Vec<TargetConn>,
    schema_ref: Option<&str>,
    specs: &[Spec],
    verdicts: &mut [TableVerdict],
    progress: Arc<Progress>,
) -> Result<(Source, Vec<TargetConn>), VerifyError> {
    progress.phase("reading and hashing every row on both sides");
    let (src, tgt, source, mut conns) = first_pass(source, conns, schema_ref, specs.to_vec(), progress.clone()).await?;
    for (i, spec) in specs.iter().enumerate() {
        let v = verdicts.iter_mut().find(|v| v.table == spec.job.source_name);
        let Some(v) = v else { continue };
        let (s, t) = (&src[i], &tgt[i]);
        v.rows_rejected = s.rejected;
        v.rejects = s.rejects.clone();
        v.rows_target = t.sums.rows;
        v.checksum_source = s.sums.checksum();
        v.checksum_target = t.sums.checksum();
        // The two sides are read at the same time: the table took as long as the slower one.
        v.seconds = s.seconds.max(t.seconds);
        v.status = if s.sums == t.sums {
            "match".into()
        } else if s.sums.rows != t.sums.rows {
            "count mismatch".into()
        } else {
            "content mismatch".into()
        };
    }
    let mismatched: Vec<usize> = (0..specs.len()).filter(|i| src[*i].sums != tgt[*i].sums).collect();
    if !mismatched.is_empty() {
        progress.phase("narrowing the differences down to rows");
    }
    for i in mismatched {
        let spec = &specs[i];
        let mut segs = src[i].sums.differing(&tgt[i].sums);
        let total_segs = segs.len();
        // Keep memory bounded: narrow the first segments that fit the row limit.
        let mut budget = 0u64;
        let mut cut = segs.len();
        for (k, s) in segs.iter().enumerate() {
            budget += src[i].sums.segments[*s].0.max(tgt[i].sums.segments[*s].0);
            if budget > NARROW_ROW_LIMIT && k > 0 {
                cut = k;
                break;
            }
        }
        segs.truncate(cut);
        let only: BTreeSet<usize> = segs.iter().copied().collect();
        let s_side = source_side(source.connection(), spec, Some(&only), &progress).map_err(VerifyError::SourceRead)?;
        let Some(conn) = conns.first_mut() else { break };
        let t_side = target_side(conn, schema_ref, spec, Some(&only)).await?;
        let diffs = diff_rows(spec, s_side.kept, t_side.kept);
        if let Some(v) = verdicts.iter_mut().find(|v| v.table == spec.job.source_name) {
            v.diffs_total = diffs.len() as u64;
            v.diffs = diffs.into_iter().take(opts.max_diffs).collect();
            if cut < total_segs {
                v.diffs_note = Some(format!(
                    "more than {NARROW_ROW_LIMIT} rows differ: rows were listed from {cut} of the {total_segs} differing segments; the total is a lower bound"
                ));
            }
        }
    }
    Ok((source, conns))
}

/// Level count: the target's count against the source's, less the rows the migration rejected.
pub(super) async fn count_level(
    conns: &mut [TargetConn],
    schema_ref: Option<&str>,
    specs: &[Spec],
    verdicts: &mut [TableVerdict],
    state: Option<&State>,
) -> Result<(), VerifyError> {
    let Some(conn) = conns.first_mut() else { return Ok(()) };
    for spec in specs {
        let n = conn.count(schema_ref, &spec.job.target_name).await?;
        let Some(v) = verdicts.iter_mut().find(|v| v.table == spec.job.source_name) else { continue };
        v.rows_target = n;
        let rejected = state.and_then(|s| s.tables.get(&spec.job.source_name)).map_or(0, |t| t.rows_rejected);
        if n + rejected != v.rows_source {
            v.status = "count mismatch".into();
        }
    }
    Ok(())
}

/// What the first pass gives back: both sides' sums, and the source and connections to read again.
pub(super) type Pass = (Vec<Side>, Vec<Side>, Source, Vec<TargetConn>);

/// Both sides at once: the source's connection, and the extra readers of its snapshot
/// that the machine's cores allow, each read the next source table of a queue (longest
/// first), while each target connection reads the next table of its own queue.
pub(super) async fn first_pass(
    source: Source,
    conns: Vec<TargetConn>,
    schema_ref: Option<&str>,
    specs: Vec<Spec>,
    progress: Arc<Progress>,
) -> Result<Pass, VerifyError> {
    let specs = Arc::new(specs);
    let n = specs.len();
    // The overall bar (terminal) or the rows every 5 s (plain) follow the source side.
    progress.overall(n as u64, specs.iter().map(|s| s.job.rows_source).sum());
    let src_specs = specs.clone();
    let src_progress = progress.clone();
    let source_task = tokio::task::spawn_blocking(move || {
        // Extra readers are proven to see the source's snapshot, or there are none.
        let mut extras = source.readers_for(n).map_err(|e| e.to_string())?;
        let costs: Vec<u64> = src_specs.iter().map(|s| s.job.rows_source).collect();
        let read = crate::source::spread(source.connection(), &mut extras, &longest_first(&costs), |conn, i| {
            let spec = &src_specs[i];
            let t0 = Instant::now();
            src_progress.table_started_as(&spec.job.source_name, spec.job.rows_source, "reading and hashing");
            let mut side = source_side(conn, spec, None, &src_progress)?;
            side.seconds = t0.elapsed().as_secs_f64();
            src_progress.table_read(&spec.job.source_name, side.sums.rows, side.rejected, side.seconds);
            Ok::<Side, String>(side)
        });
        drop(extras);
        // In table order, whichever connection read them: the first error is a serial run's.
        let sides = read.into_iter().map(|(_, side)| side).collect::<Result<Vec<Side>, String>>()?;
        src_progress.overall_done();
        Ok((sides, source))
    });
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| specs[*b].job.rows_source.cmp(&specs[*a].job.rows_source));
    let queue = Arc::new(Mutex::new(order.into_iter().collect::<VecDeque<usize>>()));
    let schema_owned = schema_ref.map(str::to_string);
    let mut workers = Vec::new();
    for mut conn in conns {
        let queue = queue.clone();
        let specs = specs.clone();
        let schema = schema_owned.clone();
        workers.push(tokio::spawn(async move {
            let mut done: Vec<(usize, Side)> = Vec::new();
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(i) = next else { break };
                let t0 = Instant::now();
                match target_side(&mut conn, schema.as_deref(), &specs[i], None).await {
                    Ok(mut side) => {
                        side.seconds = t0.elapsed().as_secs_f64();
                        done.push((i, side))
                    }
                    Err(e) => return (conn, Err(e)),
                }
            }
            (conn, Ok(done))
        }));
    }
    let mut conns_back = Vec::new();
    let mut target: Vec<Option<Side>> = (0..n).map(|_| None).collect();
    let mut failure = None;
    for w in workers {
        let (conn, result) = w.await.map_err(|e| VerifyError::Internal(format!("a target reader stopped: {e}")))?;
        conns_back.push(conn);
        match result {
            Ok(done) => {
                for (i, side) in done {
                    target[i] = Some(side);
                }
            }
            Err(e) => failure = Some(e),
        }
    }
    let (sides, source) = match source_task.await {
        Ok(Ok(x)) => x,
        Ok(Err(m)) => return Err(VerifyError::SourceRead(m)),
        Err(e) => return Err(VerifyError::Internal(format!("the source reader stopped: {e}"))),
    };
    if let Some(e) = failure {
        return Err(VerifyError::Target(e));
    }
    let target: Vec<Side> = target
        .into_iter()
        .map(|s| s.ok_or_else(|| VerifyError::Internal("a table was not read back".into())))
        .collect::<Result<_, _>>()?;
    Ok((sides, target, source, conns_back))
}
