//! Both sides hashed the same way: every row's canonical bytes to 64 bits, summed per
//! segment (count and wrapping sum), the source through the conversion rules and the
//! target through its engine's read-back.

use super::*;

/// Count and wrapping sum of row hashes of each segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sums {
    pub(super) rows: u64,
    pub(super) segments: Vec<(u64, u64)>,
}

impl Sums {
    pub(super) fn new() -> Sums {
        Sums { rows: 0, segments: vec![(0, 0); SEGMENTS] }
    }

    pub(super) fn add(&mut self, segment: usize, row_hash: u64) {
        self.rows += 1;
        let s = &mut self.segments[segment];
        s.0 += 1;
        s.1 = s.1.wrapping_add(row_hash);
    }

    pub(super) fn checksum(&self) -> String {
        let mut bytes = Vec::with_capacity(SEGMENTS * 16);
        for (n, s) in &self.segments {
            bytes.extend_from_slice(&n.to_le_bytes());
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        format!("{:016x}", canon::hash(&bytes))
    }

    pub(super) fn differing(&self, other: &Sums) -> Vec<usize> {
        (0..SEGMENTS).filter(|i| self.segments[*i] != other.segments[*i]).collect()
    }
}

/// A row kept while narrowing: its key bytes, hash, label and values.
pub(super) struct Kept {
    pub(super) key: Vec<u8>,
    pub(super) hash: u64,
    pub(super) label: String,
    pub(super) values: Vec<Value>,
}

/// What one side of one table produced.
pub(super) struct Side {
    pub(super) sums: Sums,
    /// Wall time of reading this side of the table.
    pub(super) seconds: f64,
    pub(super) rejected: u64,
    pub(super) rejects: Vec<Reject>,
    pub(super) kept: Vec<Kept>,
}

/// Hash a converted row: (segment, row hash). `buf` is left holding the key's canonical
/// bytes (empty without a key), which the caller copies only for the rows it keeps.
pub(super) fn digest(spec: &Spec, values: &[Value], buf: &mut Vec<u8>) -> (usize, u64) {
    canon::row_bytes(buf, values, &spec.types, 0..spec.types.len());
    let row_hash = canon::hash(buf);
    let seg_hash = if spec.key.is_empty() {
        buf.clear();
        row_hash
    } else {
        canon::row_bytes(buf, values, &spec.types, spec.key.iter().copied());
        canon::hash(buf)
    };
    (usize::try_from(seg_hash % SEGMENTS as u64).unwrap_or(0), row_hash)
}

/// Read one table of the source through the conversion rules. With `only`, keep the rows
/// of those segments.
pub(super) fn source_side(
    conn: &rusqlite::Connection,
    spec: &Spec,
    only: Option<&BTreeSet<usize>>,
    progress: &Progress,
) -> Result<Side, String> {
    let job = &spec.job;
    let fail = |e: rusqlite::Error| format!("reading table {} of the source: {e}", job.source_name);
    let mut st = conn.prepare(&job.select).map_err(fail)?;
    let mut rows = st.query([]).map_err(fail)?;
    let mut side = Side { sums: Sums::new(), seconds: 0.0, rejected: 0, rejects: Vec::new(), kept: Vec::new() };
    let mut buf = Vec::with_capacity(256);
    let mut seen = 0u64;
    while let Some(row) = rows.next().map_err(fail)? {
        seen += 1;
        if seen % 8_192 == 0 {
            progress.rows(&job.source_name, 8_192);
            if crate::interrupt::requested().is_some() {
                return Err(format!("interrupted while reading table {} of the source", job.source_name));
            }
        }
        let values = match job::convert_row(row, job) {
            Ok(v) => match spec.set_aside.as_ref().and_then(|m| m.get(&job::row_key(row, job))) {
                // Set aside by the migration for a foreign key: not expected in the target.
                Some(reject) => {
                    side.rejected += 1;
                    if side.rejects.len() < MAX_REJECT_SAMPLES {
                        side.rejects.push(reject.clone());
                    }
                    continue;
                }
                None => v,
            },
            Err(reject) => {
                side.rejected += 1;
                if side.rejects.len() < MAX_REJECT_SAMPLES {
                    side.rejects.push(*reject);
                }
                continue;
            }
        };
        let (seg, hash) = digest(spec, &values, &mut buf);
        side.sums.add(seg, hash);
        if only.is_some_and(|o| o.contains(&seg)) {
            let label = match &job.key {
                KeySpec::Rowid => job::row_key(row, job),
                KeySpec::Columns(_) => key_label(spec, &values),
            };
            side.kept.push(Kept { key: buf.clone(), hash, label, values });
        }
    }
    Ok(side)
}

/// Read one table back from the target. With `only`, keep the rows of those segments.
pub(super) async fn target_side(
    conn: &mut TargetConn,
    schema: Option<&str>,
    spec: &Spec,
    only: Option<&BTreeSet<usize>>,
) -> Result<Side, TargetError> {
    let mut side = Side { sums: Sums::new(), seconds: 0.0, rejected: 0, rejects: Vec::new(), kept: Vec::new() };
    let mut buf = Vec::with_capacity(256);
    let mut on_row = |values: Vec<Value>| {
        let (seg, hash) = digest(spec, &values, &mut buf);
        side.sums.add(seg, hash);
        if only.is_some_and(|o| o.contains(&seg)) {
            let label = if spec.key.is_empty() { values_label(spec, &values) } else { key_label(spec, &values) };
            side.kept.push(Kept { key: buf.clone(), hash, label, values });
        }
    };
    conn.read_rows(schema, &spec.job.target_name, &spec.job.columns, &spec.types, &mut on_row).await?;
    Ok(side)
}
