//! Naming the rows that differ: the rows of the differing segments on both sides,
//! matched by key, as missing, extra or different rows with the columns that differ.

use super::*;

pub(super) fn key_label(spec: &Spec, values: &[Value]) -> String {
    spec.key
        .iter()
        .map(|i| {
            let c = &spec.job.columns[*i];
            format!("{c}={}", values.get(*i).map_or("?".into(), |v| shown_value(c, v)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value in a listing: credentials by their length only.
pub(super) fn shown_value(column: &str, v: &Value) -> String {
    if canon::sensitive(column) {
        canon::hidden(v)
    } else {
        canon::display(v)
    }
}

pub(super) fn values_label(spec: &Spec, values: &[Value]) -> String {
    let shown: Vec<String> =
        spec.job.columns.iter().zip(values).take(4).map(|(c, v)| format!("{c}={}", shown_value(c, v))).collect();
    let more = if values.len() > 4 { ", …" } else { "" };
    format!("row ({}{more})", shown.join(", "))
}

/// Name the rows that differ between the kept rows of both sides.
pub(super) fn diff_rows(spec: &Spec, source: Vec<Kept>, target: Vec<Kept>) -> Vec<RowDiff> {
    let mut out = Vec::new();
    if spec.key.is_empty() {
        // Multiset: per row hash, the surplus of either side.
        let mut by_hash: HashMap<u64, (Vec<Kept>, Vec<Kept>)> = HashMap::new();
        for k in source {
            by_hash.entry(k.hash).or_default().0.push(k);
        }
        for k in target {
            by_hash.entry(k.hash).or_default().1.push(k);
        }
        let mut groups: Vec<(Vec<Kept>, Vec<Kept>)> = by_hash.into_values().collect();
        groups.sort_by(|a, b| natural_cmp(&label_of(a), &label_of(b)));
        for (mut s, mut t) in groups {
            let common = s.len().min(t.len());
            s.drain(..common);
            t.drain(..common);
            for k in s {
                let label = format!("{} {}", k.label, values_label(spec, &k.values));
                out.push(RowDiff { kind: "missing".into(), key: label, columns: Vec::new() });
            }
            for k in t {
                out.push(RowDiff { kind: "extra".into(), key: k.label, columns: Vec::new() });
            }
        }
        return out;
    }
    let mut target_by_key: HashMap<Vec<u8>, Vec<Kept>> = HashMap::new();
    for k in target {
        target_by_key.entry(k.key.clone()).or_default().push(k);
    }
    let mut source = source;
    source.sort_by(|a, b| natural_cmp(&a.label, &b.label));
    for s in source {
        match target_by_key.get_mut(&s.key).and_then(|v| if v.is_empty() { None } else { Some(v.remove(0)) }) {
            None => out.push(RowDiff { kind: "missing".into(), key: s.label, columns: Vec::new() }),
            Some(t) if t.hash != s.hash => {
                let columns = column_diffs(spec, &s, &t);
                out.push(RowDiff { kind: "different".into(), key: s.label, columns })
            }
            Some(_) => {}
        }
    }
    let mut extra: Vec<Kept> = target_by_key.into_values().flatten().collect();
    extra.sort_by(|a, b| natural_cmp(&a.label, &b.label));
    for t in extra {
        out.push(RowDiff { kind: "extra".into(), key: t.label, columns: Vec::new() });
    }
    out
}

/// Order labels as a person reads them: `id=2` before `id=10`.
pub(super) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (nx, ny) = (run(x), run(y));
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let trim = |d: &[u8]| -> usize { d.iter().take_while(|c| **c == b'0').count() };
                let (tx, ty) = (&dx[trim(dx)..], &dy[trim(dy)..]);
                let ord = tx.len().cmp(&ty.len()).then(tx.cmp(ty));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

pub(super) fn label_of(g: &(Vec<Kept>, Vec<Kept>)) -> String {
    g.0.first().or(g.1.first()).map(|k| k.label.clone()).unwrap_or_default()
}

pub(super) fn column_diffs(spec: &Spec, s: &Kept, t: &Kept) -> Vec<ColumnDiff> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut out = Vec::new();
    for (i, ty) in spec.types.iter().enumerate() {
        a.clear();
        b.clear();
        let (Some(sv), Some(tv)) = (s.values.get(i), t.values.get(i)) else { continue };
        canon::push(&mut a, sv, ty);
        canon::push(&mut b, tv, ty);
        if a != b {
            let column = spec.job.source_columns[i].clone();
            out.push(ColumnDiff { source: shown_value(&column, sv), target: shown_value(&column, tv), column });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sort_naturally() {
        let mut v = vec!["id=10", "id=2", "id=1", "rowid=3 row (a=1)"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["id=1", "id=2", "id=10", "rowid=3 row (a=1)"]);
    }
}
