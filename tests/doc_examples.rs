//! Every command example in README.md and docs/ runs, and prints what the docs show.
//!
//! An example is a fenced block with lines that start with `$ ` (a command), each followed
//! by its output. The line just before the fence (or the one before that, after a blank
//! line) says what to do with it, as `<!-- example: … -->`:
//!
//! - `run`: run it in a fresh folder;
//! - `run; setup: SHELL`: run SHELL there first (its output is not compared), e.g. a
//!   migration whose result the example reads, a changed row, a corrupt file. `setup:`
//!   comes last: the rest of the line is the shell command;
//! - `run; files: A, B`: write the blocks marked `<!-- example: file: A -->` above in the
//!   same page (`PAGE.md:A` for another page of docs/) into the folder first, so that a
//!   file the page shows is the file the example uses;
//! - `run; continue`: in the folder, databases and shell session (`cd`, `export`, the
//!   last hardening run id) of the example before it; `run; aside`: in a fresh folder,
//!   and the next `continue` goes on from the example before this one; `run; session:
//!   NAME`: in those of the last example of the page with the same session name, whatever
//!   ran in between;
//! - `skip: REASON`: not run, and why.
//!
//! A block with a `$ cutover` line and none of these fails the test, so a new example
//! cannot go unchecked; a block with other `$ ` lines runs when it has a `run` directive.
//! Each fresh folder is `~/src/cutover` in a home of its own (`HOME` points there and is
//! printed as `/home/you`), holding a copy of `fixtures/` (so `fixtures/demo/demo.sql`
//! works as written) beside a link `../shared` to the shared corpus; setups also get
//! `CUTOVER_REPO` (this repository, for tests/apps) and `CUTOVER_APPS_PYTHON` (the Python
//! of scripts/apps-venv.sh). Every database `docs_*` named in a server URL of the block or
//! its setup is dropped and created empty first (PostgreSQL, MariaDB); one the block
//! creates itself (`psql … -c 'CREATE DATABASE docs_x'`) is only dropped. Pages run side
//! by side (`DOC_EXAMPLES_JOBS`, default 4), each with databases of its own: `docs_x` is
//! `docs_x__dN` while page N runs, and reads back as `docs_x`. Commands run through bash
//! with stderr joined to stdout, `cutover` on the PATH, one after the other as in one
//! shell (`cd` and `export` hold); `echo $?` prints the last exit code, and a hardening
//! run id in a command stands for the last one printed. Output is compared line by line
//! after placeholders replace what changes from run to run (timings, rates, RFC 3339
//! times, run ids, server versions, the home, `ls -l` owners, sizes and times) and runs
//! of spaces become one (column widths follow the numbers); a `...` line in the docs
//! matches any lines, and blank lines at the end do not count.
//!
//! Run one page with `DOC_EXAMPLES=docs/lint.md cargo nextest run --test doc_examples`;
//! `DOC_EXAMPLES_TRY=1` also runs the examples that have no directive yet, and
//! `DOC_EXAMPLES_TIMES=1` prints the time of each.

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
    /// Files written into the folder before the setup: (name, content).
    files: Vec<(String, String)>,
}

enum Directive {
    Run { setup: Option<String>, session: Session },
    Skip,
    Missing,
}

/// Where an example runs.
#[derive(Debug, Clone, PartialEq)]
enum Session {
    /// A fresh folder and empty databases (the default); examples that `continue` go on
    /// from it.
    New,
    /// `continue`: in the folder, databases and shell state of the example before it.
    Continue,
    /// `aside`: fresh, and the next `continue` goes on from the example before this one.
    Aside,
    /// `session: NAME`: in the folder, databases and shell state of the last example of
    /// this page with the same name (fresh for the first); the examples in between do not
    /// matter.
    Named(String),
}

/// What a `<!-- example: … -->` line says.
enum Said {
    Run { setup: Option<String>, session: Session, files: Vec<String> },
    Skip,
    File(String),
}

fn parse_directive(d: &str, place: &str) -> Said {
    let d = d.trim();
    if d.starts_with("skip") {
        return Said::Skip;
    }
    if let Some(name) = d.strip_prefix("file:") {
        return Said::File(name.trim().to_string());
    }
    let (head, setup) = match d.split_once("setup:") {
        Some((h, s)) => (h, Some(s.trim().to_string())),
        None => (d, None),
    };
    let mut session = Session::New;
    let mut files = Vec::new();
    for (n, part) in head.split(';').map(str::trim).filter(|p| !p.is_empty()).enumerate() {
        match part {
            "run" if n == 0 => {}
            "continue" => session = Session::Continue,
            "aside" => session = Session::Aside,
            _ => {
                if let Some(list) = part.strip_prefix("files:") {
                    files.extend(list.split(',').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()));
                } else if let Some(name) = part.strip_prefix("session:") {
                    session = Session::Named(name.trim().to_string());
                } else {
                    panic!("{place}: unknown example directive part {part:?} in {d:?}");
                }
            }
        }
    }
    Said::Run { setup, session, files }
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
    // Blocks marked `<!-- example: file: NAME -->`, for the examples after them.
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(fence) =
            lines[i].trim_start().strip_prefix("```").map(|_| lines[i].len() - lines[i].trim_start().len())
        else {
            i += 1;
            continue;
        };
        let start = i;
        let mut end = i + 1;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        // Lines of an indented block (in a list item) lose the fence's indentation.
        let body: Vec<&str> = lines[start + 1..end.min(lines.len())]
            .iter()
            .map(|l| {
                let cut = l.len() - l.trim_start_matches(' ').len();
                &l[cut.min(fence)..]
            })
            .collect();
        let place = format!("{file}:{}", start + 1);
        let said = lines[..start]
            .iter()
            .rev()
            .take_while(|l| !l.trim().is_empty() || l.is_empty())
            .take(2)
            .find_map(|l| l.trim().strip_prefix("<!-- example:").and_then(|r| r.strip_suffix("-->")))
            .map(|d| parse_directive(d, &place));
        if let Some(Said::File(name)) = &said {
            let content = body.iter().map(|l| format!("{l}\n")).collect::<String>();
            shown.retain(|(n, _)| n != name);
            shown.push((name.clone(), content));
        } else if body.iter().any(|l| l.starts_with("$ cutover"))
            || matches!(said, Some(Said::Run { .. })) && body.iter().any(|l| l.starts_with("$ "))
        {
            let (directive, files) = match said {
                Some(Said::Skip) => (Directive::Skip, Vec::new()),
                Some(Said::Run { setup, session, files }) => {
                    let files = files
                        .iter()
                        .map(|name| match name.split_once(".md:") {
                            // `lint.md:target.sql`: a file block of another page.
                            Some((doc, name)) => {
                                let other = path.with_file_name(format!("{doc}.md"));
                                shown_in(&other).into_iter().rev().find(|(n, _)| n == name).unwrap_or_else(|| {
                                    panic!("{place}: files: {doc}.md has no block marked `<!-- example: file: {name} -->`")
                                })
                            }
                            None => shown.iter().find(|(n, _)| n == name).cloned().unwrap_or_else(|| {
                                panic!("{place}: files: {name} is not a block marked `<!-- example: file: {name} -->` above")
                            }),
                        })
                        .collect();
                    (Directive::Run { setup, session }, files)
                }
                _ => (Directive::Missing, Vec::new()),
            };
            out.push(Example { file: file.clone(), line: start + 1, directive, steps: steps(&body), files });
        }
        i = end + 1;
    }
    out
}

/// The blocks of a page marked `<!-- example: file: NAME -->`: (name, content).
fn shown_in(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(name) = l.trim().strip_prefix("<!-- example: file:").and_then(|r| r.strip_suffix("-->")) else {
            continue;
        };
        let Some(open) = (i + 1..lines.len().min(i + 3)).find(|k| lines[*k].trim_start().starts_with("```")) else {
            continue;
        };
        let fence = lines[open].len() - lines[open].trim_start().len();
        let content: String = lines[open + 1..]
            .iter()
            .take_while(|l| !l.trim_start().starts_with("```"))
            .map(|l| format!("{}\n", &l[(l.len() - l.trim_start_matches(' ').len()).min(fence)..]))
            .collect();
        out.push((name.trim().to_string(), content));
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

/// Server databases `docs_*` named in URLs of the text, and whether to create them empty
/// (false: the block creates it itself with `CREATE DATABASE`, so it is only dropped).
fn databases(text: &str) -> Vec<(Dialect, String, bool)> {
    let url = Regex::new(r"(postgres(?:ql)?|mysql|mariadb)://[^/\s]*/(docs_[A-Za-z0-9_]+)").unwrap();
    let created = Regex::new(r"(?i)\b(psql|mariadb|mysql)\b.*create database [`\x22]?(docs_[A-Za-z0-9_]+)").unwrap();
    let mut out: Vec<(Dialect, String, bool)> = Vec::new();
    let dialect = |scheme: &str| {
        if scheme.starts_with("postgres") || scheme == "psql" {
            Dialect::Postgres
        } else {
            Dialect::MariaDb
        }
    };
    for line in text.lines() {
        for c in created.captures_iter(line) {
            out.retain(|(d, n, _)| !(*d == dialect(&c[1]) && n == &c[2]));
            out.push((dialect(&c[1]), c[2].to_string(), false));
        }
    }
    for c in url.captures_iter(text) {
        let (d, name) = (dialect(&c[1]), c[2].to_string());
        if !out.iter().any(|(d2, n, _)| *d2 == d && *n == name) {
            out.push((d, name, true));
        }
    }
    out
}

/// Drops the database, then creates it empty unless `create` is false.
async fn fresh_database(dialect: Dialect, name: &str, create: bool) {
    let url = server_url(dialect);
    let mut statements = match dialect {
        Dialect::Postgres => {
            vec![format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"), format!("CREATE DATABASE \"{name}\"")]
        }
        _ => {
            vec![format!("DROP DATABASE IF EXISTS `{name}`"), format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4")]
        }
    };
    if !create {
        statements.pop();
    }
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

/// A new folder `~/src/cutover` in a home of its own, with `fixtures/` copied in and
/// `../shared` beside it.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let work = outer.path().join("home/src/cutover");
    std::fs::create_dir_all(&work).unwrap();
    copy_dir(&repo().join("fixtures"), &work.join("fixtures"));
    let shared = repo().join("../shared");
    std::os::unix::fs::symlink(shared.canonicalize().unwrap_or(shared), work.with_file_name("shared")).unwrap();
    (outer, work)
}

/// The home of an example's folder `HOME/src/cutover`.
fn home_of(dir: &Path) -> &Path {
    dir.parent().and_then(Path::parent).unwrap_or(dir)
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
    let real_home = std::env::var("HOME").unwrap_or_default();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cutover"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(dir)
        .env("HOME", home_of(dir))
        .env("PATH", path)
        .env("NO_COLOR", "1")
        // For setups that build a target from the repository's own files (tests/apps).
        .env("CUTOVER_REPO", repo())
        // The Python of the frameworks' venv (scripts/apps-venv.sh), as tests/apps.rs finds it.
        .env("CUTOVER_APPS_PYTHON", apps_python(&real_home))
        .env("PYENV_ROOT", std::env::var("PYENV_ROOT").unwrap_or(format!("{real_home}/.pyenv")))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The venv's python that tests/apps.rs uses: CUTOVER_APPS_VENV, else
/// ~/.cache/cutover-apps-venv (scripts/apps-venv.sh makes it).
fn apps_python(real_home: &str) -> PathBuf {
    let venv = std::env::var_os("CUTOVER_APPS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(real_home).join(".cache/cutover-apps-venv"));
    venv.join("bin/python")
}

/// What changes from run to run, replaced by placeholders; runs of spaces made one;
/// blank lines at the end dropped (a block in the docs cannot show them).
fn normalize(text: &str, dir: &Path) -> Vec<String> {
    let home = home_of(dir).display().to_string();
    let page_db = Regex::new(r"\b(docs_[A-Za-z0-9_]+?)__d[0-9]+\b").unwrap();
    // In a target's folder name the database follows an underscore: `localhost_5432_docs_x__d3-…`.
    let folder_db = Regex::new(r"(_docs_[A-Za-z0-9_]+?)__d[0-9]+-").unwrap();
    let rules: Vec<(Regex, &str)> = [
        // `ls -l`: owner, group, size and time are the machine's; mode, links and name stay.
        (
            r"^([-dlcbps][-rwxsStT]{9}[.+@]?) +(\d+) +\S+ +\S+ +\d+ +[A-Z][a-z]{2} +\d{1,2} +(\d{2}:\d{2}|\d{4}) ",
            "$1 $2 <USER> <GROUP> <SIZE> <DATE> ",
        ),
        (r"^total \d+$", "total <N>"),
        // A target's folder of files: the hash of its identity follows the folder's path
        // and the page's database names.
        (r"(\.cutover/[A-Za-z0-9_.-]+?)-[0-9a-f]{8}\b", "$1-<ID>"),
        // JSON timings: `"seconds": 0.014967717`, `"load_seconds": 1.2`.
        (r#""([a-z_]*seconds)": [0-9.eE+-]+"#, r#""$1": <T>"#),
        // The times cutover stamps (RFC 3339 with a T); a date in the data, such as
        // '2023-02-30 08:15:00', stays as it is.
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?", "<DATE>"),
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
    let mut lines = text
        .lines()
        .map(|l| {
            let mut s = l.replace(&home, "/home/you");
            s = page_db.replace_all(&s, "$1").into_owned();
            s = folder_db.replace_all(&s, "$1-").into_owned();
            for (re, to) in &rules {
                s = re.replace_all(&s, *to).into_owned();
            }
            s.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect::<Vec<_>>();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
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
                // Where the docs part from the output: after the longest run of their lines
                // that is printed as it stands.
                let starts: Vec<usize> = if anchored { vec![0] } else { (at..actual.len()).collect() };
                let (start, matched) = starts
                    .into_iter()
                    .map(|i| (i, seg.iter().zip(&actual[i..]).take_while(|(a, b)| a == b).count()))
                    .max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))
                    .unwrap_or((at, 0));
                let printed = actual.get(start + matched).map_or("nothing more".to_string(), |l| format!("{l:?}"));
                return Some(format!(
                    "the docs' line {:?} is not printed (in that order); there it prints {printed}",
                    seg[matched]
                ));
            }
        }
    }
    let open_end = expected.last().is_some_and(|l| l == "...");
    (!open_end && at != actual.len() && !expected.is_empty())
        .then(|| format!("more lines are printed than the docs show, from {:?}", actual.get(at)))
}

#[test]
fn every_command_example_in_the_docs_prints_what_the_docs_show() {
    // Pages run side by side (their examples in order, one after the other): most of the
    // time goes to waiting for the servers. Each page gets databases of its own.
    let queue = std::sync::Mutex::new(documents().into_iter().enumerate().collect::<Vec<_>>());
    let jobs: usize = std::env::var("DOC_EXAMPLES_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(4);
    let mut results: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        // (The lock is let go before the page runs.)
                        let Some((n, doc)) = queue.lock().unwrap().pop() else { break };
                        done.push((n, run_document(&doc, n)));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    results.sort_by_key(|r| r.0);
    let failures: Vec<String> = results.iter().flat_map(|r| r.1.failures.clone()).collect();
    let ran: usize = results.iter().map(|r| r.1.ran).sum();
    let skipped: usize = results.iter().map(|r| r.1.skipped).sum();
    eprintln!("doc examples: {ran} run, {skipped} skipped with a reason, {} failed", failures.len());
    assert!(failures.is_empty(), "{} example(s) do not match:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[derive(Default)]
struct Outcome {
    failures: Vec<String>,
    ran: usize,
    skipped: usize,
}

/// The server databases a page names, `docs_X`, are `docs_X__dN` for page N while it runs
/// (so that pages can run side by side), and read back as `docs_X` in what is printed.
fn isolate(text: &str, page: usize) -> String {
    Regex::new(r"\bdocs_[A-Za-z0-9_]+").unwrap().replace_all(text, format!("${{0}}__d{page}").as_str()).into_owned()
}

/// Runs the examples of one page, in order.
fn run_document(doc: &Path, page: usize) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut outcome = Outcome::default();
    // The folder and databases of the last example run, for one that continues it, and
    // those of the named sessions.
    let mut previous: Option<Chain> = None;
    let mut sessions: std::collections::HashMap<String, Chain> = Default::default();
    // Every database the page made, dropped at the end when every example passed (kept
    // for a look when one failed).
    let mut made_here: Vec<(Dialect, String)> = Vec::new();
    for ex in examples_in(doc) {
        let place = format!("{}:{}", ex.file, ex.line);
        let (setup, session) = match &ex.directive {
            // Trying out: examples without a directive run too (`DOC_EXAMPLES_TRY=1`).
            Directive::Missing if std::env::var_os("DOC_EXAMPLES_TRY").is_some() => (None, Session::New),
            Directive::Missing => {
                outcome.failures.push(format!(
                    "{place}: an example without `<!-- example: run -->` or `<!-- example: skip: why -->` on the line before it"
                ));
                continue;
            }
            Directive::Skip => {
                outcome.skipped += 1;
                continue;
            }
            Directive::Run { setup, session } => (setup.as_deref().map(|s| isolate(s, page)), session.clone()),
        };
        let steps: Vec<(String, Vec<String>)> =
            ex.steps.iter().map(|(c, out)| (isolate(c, page), out.clone())).collect();
        outcome.ran += 1;
        let started = std::time::Instant::now();
        let fresh = || Chain { folder: workspace(), made: Vec::new(), carried: Vec::new(), run_id: None };
        // An example aside, or in a named session, leaves the chain to the next `continue`.
        let mut kept = None;
        let mut chain = match &session {
            Session::Continue => previous
                .take()
                .unwrap_or_else(|| panic!("{place}: `continue`, but no example ran before it in {}", ex.file)),
            Session::Named(name) => {
                kept = previous.take();
                sessions.remove(name).unwrap_or_else(fresh)
            }
            Session::Aside => {
                kept = previous.take();
                fresh()
            }
            Session::New => fresh(),
        };
        let all: String = steps.iter().map(|s| s.0.clone()).chain(setup.clone()).collect::<Vec<_>>().join("\n");
        for (dialect, name, create) in databases(&all) {
            if !chain.made.contains(&(dialect, name.clone())) {
                // Another session of the page still holds it: emptying it would break that one.
                let held = kept.iter().chain(sessions.values()).any(|c| c.made.contains(&(dialect, name.clone())));
                assert!(!held, "{place}: database {name} is held by a session of this page that later examples continue; name another");
                runtime.block_on(fresh_database(dialect, &name, create));
                if !made_here.contains(&(dialect, name.clone())) {
                    made_here.push((dialect, name.clone()));
                }
                chain.made.push((dialect, name));
            }
        }
        let dir = chain.folder.1.clone();
        for (name, content) in &ex.files {
            std::fs::write(dir.join(name), isolate(content, page)).unwrap();
        }
        if let Some(setup) = &setup {
            let prefix: String = chain.carried.iter().map(|c| format!("{c}\n")).collect();
            let (code, out) = shell(&dir, &format!("{prefix}{setup}"));
            chain.saw(&out);
            if code != 0 {
                outcome.failures.push(format!("{place}: the setup `{setup}` exited {code}:\n{out}"));
                keep(&session, chain, kept, &mut previous, &mut sessions);
                continue;
            }
        }
        if let Some(why) = run_steps(&dir, &steps, &mut chain.carried, &mut chain.run_id) {
            outcome.failures.push(format!("{place}: {why}"));
        }
        if std::env::var_os("DOC_EXAMPLES_TIMES").is_some() {
            eprintln!("{place}: {:.1} s", started.elapsed().as_secs_f64());
        }
        keep(&session, chain, kept, &mut previous, &mut sessions);
    }
    if outcome.failures.is_empty() {
        drop((previous, sessions));
        for (dialect, name) in made_here {
            runtime.block_on(fresh_database(dialect, &name, false));
        }
    }
    outcome
}

/// After an example: its chain is the one a `continue` goes on from, or its session's.
fn keep(
    session: &Session,
    chain: Chain,
    kept: Option<Chain>,
    previous: &mut Option<Chain>,
    sessions: &mut std::collections::HashMap<String, Chain>,
) {
    match session {
        Session::Named(name) => {
            sessions.insert(name.clone(), chain);
            *previous = kept;
        }
        Session::Aside => *previous = kept,
        Session::New | Session::Continue => *previous = Some(chain),
    }
}

/// The folder and databases of an example, the `cd` and `export` commands typed there
/// and the last hardening run id printed there, for the examples that continue it: one
/// shell session.
struct Chain {
    folder: (tempfile::TempDir, PathBuf),
    made: Vec<(Dialect, String)>,
    carried: Vec<String>,
    run_id: Option<String>,
}

impl Chain {
    fn saw(&mut self, output: &str) {
        if let Some(id) = last_run_id(output) {
            self.run_id = Some(id);
        }
    }
}

fn run_id_pattern() -> Regex {
    Regex::new(r"\bh\d{8}T\d{6}Z-[0-9a-f]{4}\b").unwrap()
}

/// The last hardening run id (`h20261202T152147Z-74de`) in the text.
fn last_run_id(text: &str) -> Option<String> {
    run_id_pattern().find_iter(text).last().map(|m| m.as_str().to_string())
}

/// Runs the commands of a block one after the other, as typed into one shell: an
/// `export` or `cd` (kept in `carried`) holds for the commands after it. A run id in a
/// command (the docs show the one of the run they recorded) stands for the last one
/// printed before it. None when each prints what the docs show.
fn run_steps(
    dir: &Path,
    steps: &[(String, Vec<String>)],
    carried: &mut Vec<String>,
    run_id: &mut Option<String>,
) -> Option<String> {
    let mut last = 0;
    for (cmd, expected) in steps {
        let (code, out) = if cmd.trim() == "echo $?" {
            (last, last.to_string())
        } else {
            let prefix: String = carried.iter().map(|c| format!("{c}\n")).collect();
            let typed = match run_id.as_deref() {
                Some(id) => run_id_pattern().replace_all(cmd, id).into_owned(),
                None => cmd.clone(),
            };
            let (code, out) = shell(dir, &format!("{prefix}{typed}"));
            if let Some(id) = last_run_id(&out) {
                *run_id = Some(id);
            }
            (code, out)
        };
        if cmd.trim() != "echo $?" {
            last = code;
        }
        if cmd.starts_with("export ") || cmd.starts_with("cd ") {
            carried.push(cmd.clone());
        }
        let want = normalize(&expected.join("\n"), dir);
        let got = normalize(&out, dir);
        if let Some(why) = compare(&want, &got) {
            return Some(format!(
                "`{cmd}`: {why}\n--- the docs show (normalized):\n{}\n--- printed (normalized):\n{}",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    None
}

#[test]
fn placeholders_and_wildcards() {
    let dir = Path::new("/tmp/x/home/src/cutover");
    let n = |s: &str| normalize(s, dir);
    assert_eq!(
        n("  0     products  3     0        1         0.00s  79,702  dry run"),
        n("  0  products  3  0  1  0.01s  221  dry run")
    );
    assert_eq!(n("in 0.03 s (86 rows/s; load 0.03 s)"), n("in 1.50 s (1,234 rows/s; load 0.2 s)"));
    assert_eq!(n("-> x (PostgreSQL 15.20 (Debian 15.20-0+deb12u1))"), n("-> x (PostgreSQL 16.1)"));
    assert_eq!(n(r#"  "seconds": 0.014967717,"#), n(r#"  "seconds": 2,"#));
    assert_eq!(n("verified on 2026-12-02T15:50:19Z before"), n("verified on 2027-01-01T00:00:00Z before"));
    assert_ne!(n("id=3: '2023-02-30 08:15:00'"), n("id=3: '2023-02-28 08:15:00'"), "a date in the data is compared");
    assert_eq!(n(r#""load_seconds": 1.5e-3}"#), n(r#""load_seconds": 0.2}"#));
    assert_ne!(n(r#""rows": 3,"#), n(r#""rows": 4,"#));
    assert_eq!(n("error: x\n  |\n\n"), n("error: x\n  |"), "blank lines at the end are dropped");
    assert_ne!(n("a\n\nb"), n("a\nb"), "blank lines inside stay");
    let exp = n("a\n...\nc\nd");
    assert!(compare(&exp, &n("a\nb\nb\nc\nd")).is_none());
    assert!(compare(&exp, &n("a\nc\nd\ne")).is_some(), "trailing lines must be shown or elided");
    assert!(compare(&n("a\n..."), &n("a\nz")).is_none());
    assert!(compare(&n("x"), &n("a\nx")).is_some(), "the first line is anchored");
    let why = compare(&n("a\nb\nc"), &n("a\nb\nx\nc")).unwrap();
    assert!(why.contains("\"c\" is not printed") && why.contains("prints \"x\""), "{why}");
}

#[test]
fn ls_long_listing_keeps_mode_and_name() {
    let dir = Path::new("/tmp/x/home/src/cutover");
    let n = |s: &str| normalize(s, dir);
    assert_eq!(
        n("total 1520\n-rw------- 1 root root   38799 Dec  6 17:40 cutover-journal.json"),
        n("total 8\n-rw------- 1 you you 2 Jan 12  2025 cutover-journal.json")
    );
    assert_ne!(n("-rw------- 1 you you 2 Dec  6 17:40 a.json"), n("-rw-r--r-- 1 you you 2 Dec  6 17:40 a.json"));
    assert_ne!(n("-rw------- 1 you you 2 Dec  6 17:40 a.json"), n("-rw------- 1 you you 2 Dec  6 17:40 b.json"));
    assert_ne!(n("drwxr-xr-x 4 you you 4096 Dec  6 17:40 d"), n("drwxr-xr-x 3 you you 4096 Dec  6 17:40 d"));
}

#[test]
fn the_examples_home_reads_as_home_you() {
    let dir = Path::new("/tmp/.tmpAb12/home/src/cutover");
    assert_eq!(normalize("wrote /tmp/.tmpAb12/home/acme/cutover.toml", dir), ["wrote /home/you/acme/cutover.toml"]);
    assert_eq!(normalize("/tmp/.tmpAb12/home/src/cutover/demo.sql", dir), ["/home/you/src/cutover/demo.sql"]);
    assert_eq!(normalize("/tmp/other/demo.sql", dir), ["/tmp/other/demo.sql"]);
}

#[test]
fn each_page_has_databases_of_its_own_that_read_as_the_docs_name_them() {
    let cmd =
        isolate("psql -h 127.0.0.1 docs_verify -c 'x' && cutover verify a --to postgres://u@h:5432/docs_apps_lint", 7);
    assert_eq!(
        cmd,
        "psql -h 127.0.0.1 docs_verify__d7 -c 'x' && cutover verify a --to postgres://u@h:5432/docs_apps_lint__d7"
    );
    let dir = Path::new("/tmp/x/home/src/cutover");
    assert_eq!(
        normalize("verify (checksum) a -> postgres://u@h:5432/docs_apps_lint__d7 (x)", dir),
        normalize("verify (checksum) a -> postgres://u@h:5432/docs_apps_lint (x)", dir)
    );
    assert_ne!(
        normalize("postgres://u@h:5432/docs_other__d7", dir),
        normalize("postgres://u@h:5432/docs_apps_lint", dir)
    );
}

#[test]
fn directives() {
    let place = "x.md:1";
    assert!(matches!(parse_directive(" skip: needs a GPU ", place), Said::Skip));
    assert!(matches!(parse_directive("file: a.toml", place), Said::File(n) if n == "a.toml"));
    assert!(matches!(parse_directive("run; aside", place), Said::Run { session: Session::Aside, .. }));
    assert!(
        matches!(parse_directive("run; session: demo", place), Said::Run { session: Session::Named(n), .. } if n == "demo")
    );
    match parse_directive("run; continue; files: a.toml, b.toml; setup: cp a b; echo x", place) {
        Said::Run { setup, session, files } => {
            assert_eq!(setup.as_deref(), Some("cp a b; echo x"));
            assert_eq!(session, Session::Continue);
            assert_eq!(files, ["a.toml", "b.toml"]);
        }
        _ => panic!("not a run"),
    }
    assert!(matches!(parse_directive("run", place), Said::Run { setup: None, session: Session::New, .. }));
}

#[test]
fn file_blocks_of_a_page_are_found_with_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("x.md");
    std::fs::write(
        &page,
        "text\n\n<!-- example: file: a.sql -->\n```sql\nSELECT 1;\n```\n\n- item:\n\n  <!-- example: file: b.toml -->\n  ```toml\n  [gate]\n    x = 1\n  ```\n",
    )
    .unwrap();
    let files = shown_in(&page);
    assert_eq!(
        files,
        [("a.sql".to_string(), "SELECT 1;\n".to_string()), ("b.toml".to_string(), "[gate]\n  x = 1\n".to_string())]
    );
}

#[test]
fn databases_created_by_the_block_are_only_dropped() {
    let text = "psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE docs_harden'\ncutover harden --to postgres://postgres@127.0.0.1:5432/docs_harden\ncutover migrate x --to mariadb://root@127.0.0.1:3306/docs_m";
    let got = databases(text);
    assert_eq!(got.len(), 2);
    assert!(got.contains(&(Dialect::Postgres, "docs_harden".into(), false)));
    assert!(got.contains(&(Dialect::MariaDb, "docs_m".into(), true)));
}

#[test]
fn export_and_cd_hold_for_the_commands_after_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let steps = vec![
        ("export GREETING=hello    # a comment".to_string(), vec![]),
        ("cd sub".to_string(), vec![]),
        ("echo $GREETING; basename $PWD".to_string(), vec!["hello".to_string(), "sub".to_string()]),
        ("false".to_string(), vec![]),
        ("echo $?".to_string(), vec!["1".to_string()]),
    ];
    let mut carried = Vec::new();
    assert_eq!(run_steps(dir.path(), &steps, &mut carried, &mut None), None);
    assert_eq!(
        carried,
        ["export GREETING=hello    # a comment", "cd sub"],
        "a block that continues this one keeps them"
    );
}

#[test]
fn a_run_id_in_a_command_stands_for_the_last_one_printed() {
    let dir = tempfile::tempdir().unwrap();
    let steps = vec![
        (
            "echo run h20260101T000000Z-abcd recorded".to_string(),
            vec!["run h20261202T152147Z-74de recorded".to_string()],
        ),
        // The command runs with the id printed before it, not the docs' one.
        ("echo undo h20261202T152147Z-74de | cut -c7-14".to_string(), vec!["20260101".to_string()]),
    ];
    let mut id = None;
    assert_eq!(run_steps(dir.path(), &steps, &mut Vec::new(), &mut id), None);
    assert_eq!(id.as_deref(), Some("h20260101T000000Z-abcd"));
}
