//! Every command example in README.md and docs/ runs, and prints what the docs show.
//!
//! An example is a fenced block with lines that start with `$ ` (a command), each followed
//! by its output. The line just before the fence says what to do with it:
//!
//! - `<!-- example: run -->`: run it in a fresh folder;
//! - `<!-- example: run; setup: SHELL -->`: run SHELL there first (its output is not
//!   compared), e.g. a migration whose result the example reads;
//! - `<!-- example: skip: REASON -->`: not run, and why.
//!
//! A block with a `$ cutover` line and none of these fails the test, so a new example
//! cannot go unchecked. Each run gets a new folder holding a copy of `fixtures/` (so
//! `fixtures/demo/demo.sql` works as written) beside a link `../shared` to the shared
//! corpus; every database `docs_*` named in a server URL of the block or its setup is
//! dropped and created empty first (PostgreSQL, MariaDB). Commands run through bash with
//! stderr joined to stdout, `cutover` on the PATH; `echo $?` prints the last exit code.
//! Output is compared line by line after placeholders replace what changes from run to
//! run (timings, rates, dates, run ids, server versions, the folder) and runs of spaces
//! become one (column widths follow the numbers); a `...` line in the docs matches any
//! lines. Run one file with `DOC_EXAMPLES=docs/lint.md cargo nextest run --test doc_examples`;
//! `DOC_EXAMPLES_TRY=1` also runs the examples that have no directive yet.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use cutover::target::Dialect;
use regex::Regex;
use sqlx::{Connection, Executor};

struct Example {
    file: String,
    line: usize,
    directive: Directive,
    /// (command, expected output lines)
    steps: Vec<(String, Vec<String>)>,
}

enum Directive {
    Run { setup: Option<String> },
    Skip,
    Missing,
}

/// The markdown files whose examples are checked.
fn documents() -> Vec<PathBuf> {
    let root = repo();
    let mut files = vec![root.join("README.md")];
    let mut stack = vec![root.join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md") && !p.ends_with("docs/cli.md") {
                files.push(p);
            }
        }
    }
    files.sort();
    if let Ok(only) = std::env::var("DOC_EXAMPLES") {
        files.retain(|f| f.ends_with(&only));
    }
    files
}

fn examples_in(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let file = path.strip_prefix(repo()).unwrap_or(path).display().to_string();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("```") {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        while end < lines.len() && !lines[end].starts_with("```") {
            end += 1;
        }
        let body = &lines[start + 1..end.min(lines.len())];
        if body.iter().any(|l| l.starts_with("$ cutover")) {
            let directive = lines[..start]
                .iter()
                .rev()
                .take_while(|l| !l.trim().is_empty() || l.is_empty())
                .take(2)
                .find_map(|l| l.trim().strip_prefix("<!-- example:").and_then(|r| r.strip_suffix("-->")))
                .map(|d| {
                    let d = d.trim();
                    if d.starts_with("skip") {
                        Directive::Skip
                    } else {
                        let setup = d.split_once("setup:").map(|(_, s)| s.trim().to_string());
                        Directive::Run { setup }
                    }
                })
                .unwrap_or(Directive::Missing);
            out.push(Example { file: file.clone(), line: start + 1, directive, steps: steps(body) });
        }
        i = end + 1;
    }
    out
}

/// The commands of a block (a trailing `\` joins the next line) and the lines after each.
fn steps(body: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if let Some(cmd) = body[k].strip_prefix("$ ") {
            let mut cmd = cmd.to_string();
            while cmd.ends_with('\\') && k + 1 < body.len() {
                cmd.pop();
                k += 1;
                cmd.push_str(body[k].trim_start());
            }
            steps.push((cmd, Vec::new()));
        } else if let Some(last) = steps.last_mut() {
            last.1.push(body[k].to_string());
        }
        k += 1;
    }
    steps
}

/// Server databases `docs_*` named in URLs of the text.
fn databases(text: &str) -> Vec<(Dialect, String)> {
    let re = Regex::new(r"(postgres(?:ql)?|mysql|mariadb)://[^/\s]*/(docs_[A-Za-z0-9_]+)").unwrap();
    let mut out: Vec<(Dialect, String)> = Vec::new();
    for c in re.captures_iter(text) {
        let dialect = if c[1].starts_with("postgres") { Dialect::Postgres } else { Dialect::MariaDb };
        let entry = (dialect, c[2].to_string());
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

async fn fresh_database(dialect: Dialect, name: &str) {
    let url = server_url(dialect);
    let statements = match dialect {
        Dialect::Postgres => {
            vec![format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"), format!("CREATE DATABASE \"{name}\"")]
        }
        _ => {
            vec![format!("DROP DATABASE IF EXISTS `{name}`"), format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4")]
        }
    };
    match dialect {
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
            for s in statements {
                c.execute(s.as_str()).await.unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap_or_else(|e| panic!("MariaDB: {e}"));
            for s in statements {
                c.execute(s.as_str()).await.unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
    }
}

/// A new folder with `fixtures/` copied in and `../shared` beside it.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let work = outer.path().join("work");
    std::fs::create_dir(&work).unwrap();
    copy_dir(&repo().join("fixtures"), &work.join("fixtures"));
    let shared = repo().join("../shared");
    std::os::unix::fs::symlink(shared.canonicalize().unwrap_or(shared), outer.path().join("shared")).unwrap();
    (outer, work)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&p, to.join(entry.file_name())).unwrap();
        }
    }
}

fn shell(dir: &Path, command: &str) -> (i32, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cutover"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("{command} 2>&1"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What changes from run to run, replaced by placeholders; runs of spaces made one.
fn normalize(text: &str, dir: &Path) -> Vec<String> {
    let dir = dir.display().to_string();
    let rules: Vec<(Regex, &str)> = [
        (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?", "<DATE>"),
        (r"\d{8}T\d{6}Z?", "<DATE>"),
        (r"h<DATE>-[0-9a-f]{4}", "<RUN>"),
        (r"\(PostgreSQL [^()]*(\([^()]*\))?\)", "(PostgreSQL <V>)"),
        (r"\(MariaDB [^()]*\)", "(MariaDB <V>)"),
        (r"\(SQLite [0-9.]+\)", "(SQLite <V>)"),
        (r"\b\d+(\.\d+)? ?(s|ms)\b", "<T>s"),
        (r"[\d,]+ rows/s", "<N> rows/s"),
        (r"<T>s +[\d,]+ ", "<T>s <N> "),
        (r"<T>s +- ", "<T>s <N> "),
    ]
    .iter()
    .map(|(p, r)| (Regex::new(p).unwrap(), *r))
    .collect();
    text.lines()
        .map(|l| {
            let mut s = l.replace(&dir, "<TMP>");
            for (re, to) in &rules {
                s = re.replace_all(&s, *to).into_owned();
            }
            s.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// The expected lines (with `...` matching any lines) against the actual ones; None when
/// they match, else where they part.
fn compare(expected: &[String], actual: &[String]) -> Option<String> {
    let segments: Vec<&[String]> = expected.split(|l| l == "...").collect();
    let mut at = 0;
    for (n, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            continue;
        }
        let anchored = n == 0;
        let found = if anchored {
            (actual.len() >= seg.len() && actual[..seg.len()] == **seg).then_some(0)
        } else if actual.len() < seg.len() {
            None
        } else {
            (at..=actual.len() - seg.len()).find(|i| actual[*i..*i + seg.len()] == **seg)
        };
        match found {
            Some(i) => at = i + seg.len(),
            None => {
                let first_bad = seg.iter().find(|l| !actual.contains(l)).unwrap_or(&seg[0]);
                return Some(format!("the docs' line {first_bad:?} is not printed (in that order)"));
            }
        }
    }
    let open_end = expected.last().is_some_and(|l| l == "...");
    (!open_end && at != actual.len() && !expected.is_empty())
        .then(|| format!("more lines are printed than the docs show, from {:?}", actual.get(at)))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_example_in_the_docs_prints_what_the_docs_show() {
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut skipped = 0;
    for doc in documents() {
        for ex in examples_in(&doc) {
            let place = format!("{}:{}", ex.file, ex.line);
            let setup = match &ex.directive {
                // Trying out: examples without a directive run too (`DOC_EXAMPLES_TRY=1`).
                Directive::Missing if std::env::var_os("DOC_EXAMPLES_TRY").is_some() => None,
                Directive::Missing => {
                    failures.push(format!(
                        "{place}: an example without `<!-- example: run -->` or `<!-- example: skip: why -->` on the line before it"
                    ));
                    continue;
                }
                Directive::Skip => {
                    skipped += 1;
                    continue;
                }
                Directive::Run { setup } => setup.clone(),
            };
            ran += 1;
            let all: String = ex.steps.iter().map(|s| s.0.clone()).chain(setup.clone()).collect::<Vec<_>>().join("\n");
            for (dialect, name) in databases(&all) {
                fresh_database(dialect, &name).await;
            }
            let (_keep, dir) = workspace();
            if let Some(setup) = &setup {
                let (code, out) = shell(&dir, setup);
                if code != 0 {
                    failures.push(format!("{place}: the setup `{setup}` exited {code}:\n{out}"));
                    continue;
                }
            }
            let mut last = 0;
            for (cmd, expected) in &ex.steps {
                let (code, out) = if cmd.trim() == "echo $?" { (last, last.to_string()) } else { shell(&dir, cmd) };
                if cmd.trim() != "echo $?" {
                    last = code;
                }
                let want = normalize(&expected.join("\n"), &dir);
                let got = normalize(&out, &dir);
                if let Some(why) = compare(&want, &got) {
                    failures.push(format!(
                        "{place}: `{cmd}`: {why}\n--- the docs show (normalized):\n{}\n--- printed (normalized):\n{}",
                        want.join("\n"),
                        got.join("\n")
                    ));
                    break;
                }
            }
        }
    }
    eprintln!("doc examples: {ran} run, {skipped} skipped with a reason, {} failed", failures.len());
    assert!(failures.is_empty(), "{} example(s) do not match:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn placeholders_and_wildcards() {
    let dir = Path::new("/tmp/x");
    let n = |s: &str| normalize(s, dir);
    assert_eq!(
        n("  0     products  3     0        1         0.00s  79,702  dry run"),
        n("  0  products  3  0  1  0.01s  221  dry run")
    );
    assert_eq!(n("in 0.03 s (86 rows/s; load 0.03 s)"), n("in 1.50 s (1,234 rows/s; load 0.2 s)"));
    assert_eq!(n("-> x (PostgreSQL 15.20 (Debian 15.20-0+deb12u1))"), n("-> x (PostgreSQL 16.1)"));
    let exp = n("a\n...\nc\nd");
    assert!(compare(&exp, &n("a\nb\nb\nc\nd")).is_none());
    assert!(compare(&exp, &n("a\nc\nd\ne")).is_some(), "trailing lines must be shown or elided");
    assert!(compare(&n("a\n..."), &n("a\nz")).is_none());
    assert!(compare(&n("x"), &n("a\nx")).is_some(), "the first line is anchored");
}
