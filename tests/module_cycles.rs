//! The modules depend on each other in one direction only. A cycle between two
//! top-level modules (`convert` -> `target` -> `convert`) means neither can be read,
//! tested or moved without the other; a cycle between two files of one module folder
//! is the same knot on a smaller scale.
//!
//! This test reads every `src/**/*.rs`, collects the paths that name another module
//! (`use crate::x::…`, `use crate::{x, y}`, inline `crate::x::f()`, `super::file::…`),
//! and fails listing each cycle with the lines that make it. No parser crate: comments
//! and literals are blanked out, then paths are read from the tokens that remain.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles between top-level modules that are known and being worked on. Each entry is
/// a debt: remove it when the cycle is gone (the test fails while a stale entry stays).
const ALLOWED_CYCLES: &[(&str, &str)] = &[];

/// One source file: its module path (`src/convert/text.rs` -> `["convert", "text"]`,
/// `src/target/mod.rs` -> `["target"]`) and its text.
struct SourceFile {
    display: String,
    module: Vec<String>,
    text: String,
}

/// A reference from one file to a module path, with the line it is on.
struct Reference {
    line: usize,
    path: Vec<String>,
}

/// `from` depends on `to` because of `file:line`.
#[derive(Clone)]
struct Edge {
    from: String,
    to: String,
    site: String,
}

#[test]
fn top_level_modules_have_no_cycles() {
    let files = read_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let modules: BTreeSet<String> = files.iter().map(|f| f.module[0].clone()).collect();
    let mut edges = Vec::new();
    for f in &files {
        for r in references(f) {
            let to = &r.path[0];
            if to != &f.module[0] && modules.contains(to) {
                edges.push(Edge {
                    from: f.module[0].clone(),
                    to: to.clone(),
                    site: format!("{}:{}", f.display, r.line),
                });
            }
        }
    }
    let cycles = cycles(&edges);
    let allowed: Vec<BTreeSet<String>> =
        ALLOWED_CYCLES.iter().map(|(a, b)| [a.to_string(), b.to_string()].into_iter().collect()).collect();
    let forbidden: Vec<&BTreeSet<String>> = cycles.iter().filter(|c| !allowed.contains(c)).collect();
    assert!(
        forbidden.is_empty(),
        "cycles between top-level modules (move what both sides need below both, or invert the call):\n{}",
        describe(&forbidden, &edges)
    );
    let stale: Vec<&(&str, &str)> =
        ALLOWED_CYCLES.iter().zip(&allowed).filter(|(_, set)| !cycles.contains(set)).map(|(pair, _)| pair).collect();
    assert!(stale.is_empty(), "no longer a cycle, remove it from ALLOWED_CYCLES: {stale:?}");
}

#[test]
fn files_of_one_module_folder_have_no_cycles() {
    let files = read_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    // Files directly in a folder, by folder: the folder's own root (`mod.rs` or
    // `convert.rs`) declares and re-exports them, so only edges between siblings count.
    let mut siblings: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.module.len() >= 2) {
        let (name, folder) = f.module.split_last().expect("at least two segments");
        siblings.entry(folder.to_vec()).or_default().insert(name.clone());
    }
    let mut edges: BTreeMap<Vec<String>, Vec<Edge>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.module.len() >= 2) {
        let (name, folder) = f.module.split_last().expect("at least two segments");
        for r in references(f) {
            let Some(to) = r.path.strip_prefix(folder).and_then(|rest| rest.first()) else { continue };
            if to != name && siblings[folder].contains(to) {
                let site = format!("{}:{}", f.display, r.line);
                edges.entry(folder.to_vec()).or_default().push(Edge { from: name.clone(), to: to.clone(), site });
            }
        }
    }
    let mut report = String::new();
    for (folder, edges) in &edges {
        let found = cycles(edges);
        if !found.is_empty() {
            report.push_str(&format!(
                "in src/{}/:\n{}",
                folder.join("/"),
                describe(&found.iter().collect::<Vec<_>>(), edges)
            ));
        }
    }
    assert!(report.is_empty(), "cycles between files of one module folder:\n{report}");
}

/// The checker itself: it sees `use` groups, inline paths and `super::` chains, ignores
/// comments and literals, and reports a cycle it is given.
#[test]
fn the_checker_finds_paths_and_cycles() {
    let text = r##"
//! Mentions crate::docs only in a comment.
use crate::{alpha, beta::{self, Thing}, gamma::*};
use super::sibling::f;
fn g() { crate::delta::run(); let s = "crate::in_a_string"; let r = r#"crate::raw"#; }
/* crate::block /* nested */ crate::still_comment */
pub(crate) fn h<'a>(x: &'a str) -> char { 'c' }
mod tests { use super::*; use super::super::testkit::T; }
"##;
    let file = SourceFile { display: "x".into(), module: vec!["m".into(), "file".into()], text: text.into() };
    let got: BTreeSet<String> = references(&file).into_iter().map(|r| r.path.join("::")).collect();
    let want: BTreeSet<String> =
        ["alpha", "beta", "beta::Thing", "gamma", "m::sibling::f", "delta::run", "m::file", "m::testkit::T"]
            .into_iter()
            .map(String::from)
            .collect();
    assert_eq!(got, want);

    let edge = |from: &str, to: &str| Edge { from: from.into(), to: to.into(), site: String::new() };
    let found = cycles(&[edge("a", "b"), edge("b", "c"), edge("c", "a"), edge("c", "d")]);
    assert_eq!(found, vec![["a", "b", "c"].into_iter().map(String::from).collect::<BTreeSet<_>>()]);
    assert!(cycles(&[edge("a", "b"), edge("b", "c")]).is_empty());
}

fn read_sources(src: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    collect_rs(src, &mut paths);
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(src).expect("under src");
        let mut module: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        let last = module.pop().expect("a file name");
        if module.is_empty() && (last == "lib.rs" || last == "main.rs") {
            continue; // the crate root and the binary: above every module
        }
        if last != "mod.rs" {
            module.push(last.trim_end_matches(".rs").to_string());
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files.push(SourceFile { display: format!("src/{}", rel.display()), module, text });
    }
    assert!(!files.is_empty(), "no source files under {}", src.display());
    files
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Dollar,
    Other,
}

/// The tokens of `text` that matter for paths, each with its line; comments, string,
/// char and byte literals are skipped.
fn tokenize(text: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines = |from: usize, to: usize| chars[from..to].iter().filter(|c| **c == '\n').count();
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let start = i;
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if c == '"' {
            i = skip_string(&chars, i + 1);
        } else if (c == 'r' || (c == 'b' && next == Some('r'))) && raw_string_start(&chars, i).is_some() {
            i = skip_raw_string(&chars, raw_string_start(&chars, i).expect("checked"));
        } else if c == 'b' && next == Some('"') {
            i = skip_string(&chars, i + 2);
        } else if c == '\'' || (c == 'b' && next == Some('\'')) {
            i = skip_char_or_lifetime(&chars, if c == 'b' { i + 1 } else { i });
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push((Tok::Ident(chars[start..i].iter().collect()), line));
        } else if c == ':' && next == Some(':') {
            toks.push((Tok::PathSep, line));
            i += 2;
        } else {
            let tok = match c {
                '{' => Some(Tok::Open),
                '}' => Some(Tok::Close),
                ',' => Some(Tok::Comma),
                '*' => Some(Tok::Star),
                '$' => Some(Tok::Dollar),
                c if c.is_whitespace() => None,
                _ => Some(Tok::Other),
            };
            toks.extend(tok.map(|t| (t, line)));
            i += 1;
        }
        line += count_lines(start, i.min(chars.len()));
    }
    toks
}

fn skip_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// From just after the opening quote to just after the closing one.
fn skip_string(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// At `r"`, `r#"`, `br#"`…: the index of the opening quote and the number of `#`s.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None; // inside an identifier such as `bar"`
    }
    let mut j = i + if chars[i] == 'b' { 2 } else { 1 };
    let hashes_from = j;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((j, j - hashes_from))
}

fn skip_raw_string(chars: &[char], (quote, hashes): (usize, usize)) -> usize {
    let mut i = quote + 1;
    while i < chars.len() {
        if chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// At a `'`: a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) is skipped whole; a lifetime
/// (`'a`) only its quote.
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    if chars.get(i + 1) == Some(&'\\') {
        let mut j = i + 2;
        while j < chars.len() && chars[j] != '\'' {
            j += 1;
        }
        return j + 1;
    }
    if chars.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    i + 1
}

/// Every path starting with `crate::`, `super::` or `self::` in `file`, made absolute
/// (`super::` counts the inline `mod x { … }` blocks it is written in).
fn references(file: &SourceFile) -> Vec<Reference> {
    let toks = tokenize(&file.text);
    let mut out = Vec::new();
    // Brace depths at which inline modules opened, innermost last.
    let mut inline_mods: Vec<(usize, String)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if inline_mods.last().is_some_and(|(d, _)| *d == depth) {
                    inline_mods.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Open, _))) = (toks.get(i + 1), toks.get(i + 2)) {
                    inline_mods.push((depth, name.clone()));
                }
            }
            Tok::Ident(first) if matches!(toks.get(i + 1), Some((Tok::PathSep, _))) => {
                let after_sep_or_dollar = i > 0 && matches!(toks[i - 1].0, Tok::PathSep | Tok::Dollar);
                let here: Vec<String> =
                    file.module.iter().cloned().chain(inline_mods.iter().map(|(_, n)| n.clone())).collect();
                if let (false, Some((base, next))) = (after_sep_or_dollar, path_base(&toks, i, first, &here)) {
                    let line = toks[i].1;
                    let mut paths = Vec::new();
                    i = path_tree(&toks, next, base, &mut paths);
                    out.extend(paths.into_iter().filter(|p| !p.is_empty()).map(|path| Reference { line, path }));
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// At `crate::`, `self::` or a chain of `super::`: the absolute module path it stands
/// for and the index of the `::` after it. `None` for any other path.
fn path_base(toks: &[(Tok, usize)], i: usize, first: &str, here: &[String]) -> Option<(Vec<String>, usize)> {
    match first {
        "crate" => Some((Vec::new(), i + 1)),
        "self" => Some((here.to_vec(), i + 1)),
        "super" => {
            let mut ups = 1;
            let mut j = i + 1;
            while toks.get(j + 1).is_some_and(|t| t.0 == Tok::Ident("super".into()))
                && toks.get(j + 2).is_some_and(|t| t.0 == Tok::PathSep)
            {
                ups += 1;
                j += 2;
            }
            Some((here[..here.len().saturating_sub(ups)].to_vec(), j))
        }
        _ => None,
    }
}

/// Read `::a::b`, `::{a, b::{self, c}}`, `::*` from `i` (at a `::`) on, pushing each
/// path it names onto `out`; returns the index after the path.
fn path_tree(toks: &[(Tok, usize)], mut i: usize, mut base: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    while toks.get(i).is_some_and(|t| t.0 == Tok::PathSep) {
        match toks.get(i + 1).map(|t| &t.0) {
            Some(Tok::Ident(name)) => {
                base.push(name.clone());
                i += 2;
            }
            Some(Tok::Open) => return path_group(toks, i + 2, base, out),
            Some(Tok::Star) => {
                out.push(base);
                return i + 2;
            }
            _ => break,
        }
    }
    out.push(base);
    i
}

/// The items of a `{ … }` group, from just after its `{` to just after its `}`.
fn path_group(toks: &[(Tok, usize)], mut i: usize, base: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    while let Some((tok, _)) = toks.get(i) {
        match tok {
            Tok::Close => return i + 1,
            Tok::Comma => i += 1,
            Tok::Star => {
                out.push(base.clone());
                i += 1;
            }
            Tok::Ident(name) if name == "self" => {
                out.push(base.clone());
                i += 1;
            }
            Tok::Ident(name) => {
                let mut item = base.clone();
                item.push(name.clone());
                i = path_tree(toks, i + 1, item, out);
            }
            _ => i += 1, // `as` renames and anything unexpected
        }
    }
    i
}

/// The sets of nodes that reach each other (strongly connected components of more than
/// one node), found by repeated reachability: the graphs here have a few dozen nodes.
fn cycles(edges: &[Edge]) -> Vec<BTreeSet<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges {
        next.entry(&e.from).or_default().insert(&e.to);
    }
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start];
        while let Some(n) = todo.pop() {
            for m in next.get(n).into_iter().flatten() {
                if seen.insert(*m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&str, BTreeSet<&str>> = next.keys().map(|n| (*n, reach(n))).collect();
    let mut found: Vec<BTreeSet<String>> = Vec::new();
    for (n, from_n) in &reachable {
        if !from_n.contains(n) {
            continue;
        }
        let component: BTreeSet<String> =
            from_n.iter().filter(|m| reachable.get(*m).is_some_and(|r| r.contains(n))).map(|m| m.to_string()).collect();
        if component.len() > 1 && !found.contains(&component) {
            found.push(component);
        }
    }
    found
}

/// Each cycle with the edges inside it and where they come from (first three sites).
fn describe(cycles: &[&BTreeSet<String>], edges: &[Edge]) -> String {
    let mut out = String::new();
    for c in cycles {
        out.push_str(&format!("  cycle {{{}}}:\n", c.iter().cloned().collect::<Vec<_>>().join(", ")));
        let mut sites: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for e in edges.iter().filter(|e| c.contains(&e.from) && c.contains(&e.to)) {
            sites.entry((&e.from, &e.to)).or_default().push(&e.site);
        }
        for ((from, to), mut at) in sites {
            at.dedup();
            let more = if at.len() > 3 { format!(" and {} more", at.len() - 3) } else { String::new() };
            out.push_str(&format!("    {from} -> {to}: {}{more}\n", at[..at.len().min(3)].join(", ")));
        }
    }
    out
}
