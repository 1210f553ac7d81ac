//! Ordering tables into load tiers by their foreign keys.
//!
//! Tier 0 holds tables without parents; a table's tier is one more than its highest
//! parent's. Self-references do not count. Cycles between tables are found (strongly
//! connected components), and broken deterministically: a depth-first walk of the cycle
//! from its alphabetically first table, following parents in name order, marks each
//! edge that closes a loop as deferred — that foreign key is added after the load.
//! The same input always gives the same tiers and the same deferred keys.

use std::collections::{BTreeMap, BTreeSet};

/// A parent edge: `child` has a foreign key (its `fk` number) to `parent`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub child: String,
    pub parent: String,
    pub fk: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    /// Table names per tier, each tier sorted by name.
    pub tiers: Vec<Vec<String>>,
    /// Each cycle's tables (sorted) and the edges deferred to break it.
    pub cycles: Vec<(Vec<String>, Vec<Edge>)>,
}

pub fn order(tables: &[String], edges: &[Edge]) -> Ordering {
    let names: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
    let mut parents: BTreeMap<&str, Vec<&Edge>> = names.iter().map(|n| (*n, Vec::new())).collect();
    for e in edges {
        if e.child != e.parent && names.contains(e.child.as_str()) && names.contains(e.parent.as_str()) {
            if let Some(list) = parents.get_mut(e.child.as_str()) {
                list.push(e);
            }
        }
    }
    for list in parents.values_mut() {
        list.sort();
    }

    let mut deferred: BTreeSet<&Edge> = BTreeSet::new();
    let mut cycles = Vec::new();
    for scc in strongly_connected(&parents) {
        if scc.len() < 2 {
            continue;
        }
        let members: BTreeSet<&str> = scc.iter().copied().collect();
        let mut broken = Vec::new();
        let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 = on the walk, 2 = done
        for start in &members {
            break_cycles(start, &parents, &members, &mut state, &mut broken);
        }
        broken.sort();
        deferred.extend(broken.iter().copied());
        cycles.push((members.iter().map(|s| s.to_string()).collect(), broken.into_iter().cloned().collect()));
    }
    cycles.sort();

    let mut tier: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &names {
        tier_of(n, &parents, &deferred, &mut tier);
    }
    let depth = tier.values().copied().max().map_or(0, |m| m + 1);
    let mut tiers = vec![Vec::new(); depth];
    for (name, t) in tier {
        tiers[t].push(name.to_string());
    }
    Ordering { tiers, cycles }
}

fn break_cycles<'a>(
    node: &'a str,
    parents: &BTreeMap<&'a str, Vec<&'a Edge>>,
    members: &BTreeSet<&'a str>,
    state: &mut BTreeMap<&'a str, u8>,
    broken: &mut Vec<&'a Edge>,
) {
    if state.contains_key(node) {
        return;
    }
    state.insert(node, 1);
    for e in parents.get(node).into_iter().flatten() {
        let p = e.parent.as_str();
        if !members.contains(p) {
            continue;
        }
        match state.get(p) {
            Some(1) => broken.push(e),
            Some(_) => {}
            None => break_cycles(p, parents, members, state, broken),
        }
    }
    state.insert(node, 2);
}

fn tier_of<'a>(
    node: &'a str,
    parents: &BTreeMap<&'a str, Vec<&'a Edge>>,
    deferred: &BTreeSet<&'a Edge>,
    memo: &mut BTreeMap<&'a str, usize>,
) -> usize {
    if let Some(t) = memo.get(node) {
        return *t;
    }
    // Provisional value guards against any cycle that was not broken (cannot happen).
    memo.insert(node, 0);
    let t = parents
        .get(node)
        .into_iter()
        .flatten()
        .filter(|e| !deferred.contains(*e))
        .map(|e| tier_of(e.parent.as_str(), parents, deferred, memo) + 1)
        .max()
        .unwrap_or(0);
    memo.insert(node, t);
    t
}

/// Tarjan's algorithm, iterating nodes and edges in name order so results are stable.
fn strongly_connected<'a>(parents: &BTreeMap<&'a str, Vec<&'a Edge>>) -> Vec<Vec<&'a str>> {
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(v: &'a str, g: &BTreeMap<&'a str, Vec<&'a Edge>>, s: &mut State<'a>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for e in g.get(v).into_iter().flatten() {
            let w = e.parent.as_str();
            if !s.index.contains_key(w) {
                visit(w, g, s);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            comp.sort();
            s.out.push(comp);
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in parents.keys() {
        if !s.index.contains_key(v) {
            visit(v, parents, &mut s);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(child: &str, parent: &str, fk: i64) -> Edge {
        Edge { child: child.into(), parent: parent.into(), fk }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chain_with_self_reference() {
        let tables = names(&["invoice", "customer", "employee", "line"]);
        let edges = vec![
            e("invoice", "customer", 0),
            e("customer", "employee", 0),
            e("employee", "employee", 0),
            e("line", "invoice", 0),
        ];
        let o = order(&tables, &edges);
        assert_eq!(o.tiers, vec![names(&["employee"]), names(&["customer"]), names(&["invoice"]), names(&["line"])]);
        assert!(o.cycles.is_empty());
    }

    #[test]
    fn sakila_store_staff_cycle_is_broken_deterministically() {
        let tables = names(&["address", "staff", "store"]);
        let edges =
            vec![e("store", "staff", 0), e("store", "address", 1), e("staff", "store", 0), e("staff", "address", 1)];
        let o = order(&tables, &edges);
        assert_eq!(o.cycles.len(), 1);
        assert_eq!(o.cycles[0].0, names(&["staff", "store"]));
        // The walk starts at `staff`, goes to `store`, whose edge back to `staff` closes the loop.
        assert_eq!(o.cycles[0].1, vec![e("store", "staff", 0)]);
        assert_eq!(o.tiers, vec![names(&["address"]), names(&["store"]), names(&["staff"])]);
        // Same answer whatever order the input comes in.
        let mut rev = edges.clone();
        rev.reverse();
        let mut tables_rev = tables.clone();
        tables_rev.reverse();
        assert_eq!(order(&tables_rev, &rev), o);
    }

    #[test]
    fn three_way_cycle_and_unknown_parents() {
        let tables = names(&["a", "b", "c", "d"]);
        let edges = vec![e("a", "b", 0), e("b", "c", 0), e("c", "a", 0), e("d", "c", 0), e("d", "missing", 1)];
        let o = order(&tables, &edges);
        assert_eq!(o.cycles.len(), 1);
        assert_eq!(o.cycles[0].1.len(), 1);
        let total: usize = o.tiers.iter().map(Vec::len).sum();
        assert_eq!(total, 4);
        // Every remaining edge points to a strictly lower tier.
        let tier_of = |n: &str| o.tiers.iter().position(|t| t.iter().any(|x| x == n)).unwrap();
        for ed in edges.iter().filter(|ed| ed.parent != "missing" && !o.cycles[0].1.contains(ed)) {
            assert!(tier_of(&ed.child) > tier_of(&ed.parent), "{ed:?}");
        }
    }
}
