//! A gate report for people (a table, then what to do about each check that did not
//! pass), for CI (JUnit XML: one test case per check) and for the client's records
//! (Markdown). JSON is the report itself, through serde. Every text that came from a
//! server or a file is escaped for the format it goes into.

use std::fmt::Write as _;

use super::{level_name, Check, GateReport, Status};
use crate::output::table;

/// The table for a terminal: id, level, status, message; then hint and evidence of every
/// check that did not pass; last line `GO` or `NO-GO (n failing)`.
pub fn text(report: &GateReport) -> String {
    let mut out = format!(
        "gate {}{}, fail level {}\n",
        report.target,
        if report.server_version.is_empty() { String::new() } else { format!(" ({})", report.server_version) },
        level_name(report.fail_level)
    );
    let mut grid = vec![vec!["id".to_string(), "level".into(), "status".into(), "message".into()]];
    for c in &report.checks {
        grid.push(vec![
            c.id.clone(),
            format!("{}{}", level_name(c.level), if c.level_from_profile { "*" } else { "" }),
            status_cell(c).to_string(),
            one_line(&c.message),
        ]);
    }
    out.push_str(&table(&grid));
    if report.checks.iter().any(|c| c.level_from_profile) {
        out.push_str("  * level set by the profile's gate.levels\n");
    }
    for c in report.checks.iter().filter(|c| c.status != Status::Pass) {
        let _ = write!(out, "\n{} ({}, level {}", c.id, c.status.label(), level_name(c.level));
        out.push_str(match (c.status, c.blocking) {
            (Status::Skip, _) => ")\n",
            (_, true) => ", blocks go-live)\n",
            (_, false) => ", below the fail level: does not block)\n",
        });
        if !c.hint.is_empty() {
            let _ = writeln!(out, "  hint: {}", one_line(&c.hint));
        }
        for e in &c.evidence {
            let _ = writeln!(out, "  - {}", one_line(e));
        }
    }
    let _ = writeln!(out, "\n{} checks in {:.2} s", report.checks.len(), report.seconds);
    out.push_str(&report.verdict());
    out.push('\n');
    out
}

fn status_cell(c: &Check) -> &'static str {
    match (c.status, c.blocking) {
        (Status::Pass, _) => "PASS",
        (Status::Skip, _) => "SKIP",
        (Status::Fail, true) => "FAIL",
        (Status::Warn, true) => "WARN",
        (Status::Fail, false) => "fail",
        (Status::Warn, false) => "warn",
    }
}

/// One line of terminal text: line breaks as spaces, other control characters (which
/// could move the cursor or recolour the terminal) as U+FFFD.
fn one_line(s: &str) -> String {
    let joined = s.split(['\n', '\r']).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    joined.chars().map(|c| if c.is_control() && c != '\t' { '\u{fffd}' } else { c }).collect()
}

/// JUnit XML: one test suite `cutover gate`, one test case per check. A check that
/// blocks go-live is a `<failure>` (type `fail`, or `warn` when it could not be read),
/// a skipped one `<skipped>`; a problem below the fail level passes with the message in
/// `<system-out>`, so that the failures CI counts are the ones that make the gate NO-GO.
pub fn junit(report: &GateReport) -> String {
    let tests = report.checks.len();
    let failures = report.checks.iter().filter(|c| c.blocking).count();
    let skipped = report.checks.iter().filter(|c| c.status == Status::Skip).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cutover gate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">",
        report.seconds
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"cutover gate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\" time=\"{:.3}\">",
        xml(&report.started_at),
        report.seconds
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("target", report.target.as_str()),
        ("server_version", report.server_version.as_str()),
        ("fail_level", level_name(report.fail_level)),
        ("verdict", &report.verdict()),
    ] {
        let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", xml(value));
    }
    out.push_str("    </properties>\n");
    for c in &report.checks {
        let _ = write!(out, "    <testcase name=\"{}\" classname=\"cutover.gate\" time=\"0\">", xml(&c.id));
        let details = details(c);
        match c.status {
            Status::Pass => {}
            Status::Skip => {
                let _ = write!(out, "\n      <skipped message=\"{}\"/>\n    ", xml(&c.message));
            }
            Status::Fail | Status::Warn if c.blocking => {
                let _ = write!(
                    out,
                    "\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                    c.status.label(),
                    xml(&c.message),
                    xml_text(&details)
                );
            }
            Status::Fail | Status::Warn => {
                let _ = write!(
                    out,
                    "\n      <system-out>{} (level {}, below the fail level): {}\n{}</system-out>\n    ",
                    c.status.label(),
                    level_name(c.level),
                    xml_text(&c.message),
                    xml_text(&details)
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text as XML character data: like [`xml`], but line breaks stay line breaks.
fn xml_text(s: &str) -> String {
    xml(s).replace("&#10;", "\n")
}

/// Level, hint and evidence of a check, as plain lines.
fn details(c: &Check) -> String {
    let mut s = format!(
        "level: {}{}\n",
        level_name(c.level),
        if c.level_from_profile { " (set by the profile's gate.levels)" } else { "" }
    );
    if !c.hint.is_empty() {
        let _ = writeln!(s, "hint: {}", c.hint);
    }
    for e in &c.evidence {
        let _ = writeln!(s, "- {e}");
    }
    s
}

/// Text as an XML attribute value (or character data): the five special characters
/// escaped, line breaks as character references (an attribute would fold them into
/// spaces), and characters XML 1.0 cannot hold (control characters other than tab and
/// line breaks) replaced by U+FFFD.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push('\t'),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Markdown for the client's records: a header with target, server, date and verdict,
/// a table of every check, then the hint and evidence of each check that did not pass.
pub fn markdown(report: &GateReport) -> String {
    let mut out = format!("# Go-live gate: {}\n\n", if report.go { "GO" } else { "NO-GO" });
    let _ = writeln!(out, "- **Target:** {}", md(&report.target));
    if !report.server_version.is_empty() {
        let _ = writeln!(out, "- **Server:** {}", md(&report.server_version));
    }
    let _ = writeln!(out, "- **Date:** {}", md(&report.started_at));
    let _ = writeln!(
        out,
        "- **Result:** **{}**: {} of {} checks block go-live (fail level {})",
        md(&report.verdict()),
        report.failing,
        report.checks.len(),
        level_name(report.fail_level)
    );
    out.push_str("\n| Check | Level | Status | Message |\n|---|---|---|---|\n");
    for c in &report.checks {
        let status = match (c.status, c.blocking) {
            (Status::Fail | Status::Warn, true) => format!("**{}**", status_cell(c)),
            _ => status_cell(c).to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {}{} | {status} | {} |",
            md(&c.id),
            level_name(c.level),
            if c.level_from_profile { "\\*" } else { "" },
            md(&c.message)
        );
    }
    if report.checks.iter().any(|c| c.level_from_profile) {
        out.push_str("\n\\* level set by the hardening profile (`gate.levels`)\n");
    }
    // Skipped checks (not applicable to this target) need no action: the table shows them.
    let open: Vec<&Check> = report.checks.iter().filter(|c| !matches!(c.status, Status::Pass | Status::Skip)).collect();
    if !open.is_empty() {
        out.push_str("\n## Checks that did not pass\n");
    }
    for c in open {
        let _ = writeln!(out, "\n### {}: {}\n", md(&c.id), status_cell(c));
        let _ = writeln!(out, "{}\n", md(&c.message));
        if !c.hint.is_empty() {
            let _ = writeln!(out, "What to do: {}\n", md(&c.hint));
        }
        for e in &c.evidence {
            let _ = writeln!(out, "- {}", md(e));
        }
    }
    out
}

/// Text safe in a Markdown table cell or paragraph: Markdown's punctuation escaped
/// (a `|` would end the cell), HTML's special characters as entities, line breaks as `<br>`.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Level;

    fn report() -> GateReport {
        let mut failing = Check::fail("config_cors", "bad origin <script>&\"x\"'y | z");
        failing.hint = "use https://a|b".into();
        failing.evidence =
            vec!["CORS_ORIGINS: http://localhost:3000 (a developer's own machine)".into(), "line\nbreak\u{7}".into()];
        failing.blocking = true;
        let mut lowered = Check::fail("pg_ssl", "ssl is off");
        lowered.level = Level::Warning;
        lowered.level_from_profile = true;
        let skipped = Check::skip("extensions", "not on MariaDB");
        let passed = Check::pass("secrets_strong", "1 secret(s) present and strong");
        GateReport {
            target: "postgres://app:***@db.example:5432/prod".into(),
            server_version: "PostgreSQL 16.2".into(),
            fail_level: Level::Error,
            checks: vec![failing, lowered, skipped, passed],
            failing: 1,
            go: false,
            started_at: "2024-06-03T06:00:00Z".into(),
            seconds: 0.25,
        }
    }

    #[test]
    fn xml_escapes_everything_special() {
        assert_eq!(xml(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
        assert_eq!(xml("a\nb\u{1}c"), "a&#10;b\u{fffd}c");
    }

    #[test]
    fn junit_has_one_case_per_check_and_failures_only_for_blocking_ones() {
        let x = junit(&report());
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        assert_eq!(x.matches("<testsuite ").count(), 1);
        assert!(x.contains("<testsuite name=\"cutover gate\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""));
        assert_eq!(x.matches("<testcase ").count(), 4);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert_eq!(x.matches("<skipped ").count(), 1);
        assert!(x.contains("message=\"bad origin &lt;script&gt;&amp;&quot;x&quot;&apos;y | z\""), "{x}");
        assert!(x.contains("- line\nbreak\u{fffd}\n</failure>"), "{x}");
        assert!(x.contains("<system-out>fail (level warning, below the fail level): ssl is off"), "{x}");
        assert!(!x.contains("<script>"));
        // Every tag that opens closes: a crude but useful well-formedness check.
        assert_eq!(x.matches("<testcase ").count(), x.matches("</testcase>").count());
    }

    #[test]
    fn markdown_cells_cannot_be_broken_by_pipes_or_html() {
        let m = markdown(&report());
        assert!(m.starts_with("# Go-live gate: NO-GO\n"));
        assert!(m.contains("- **Target:** postgres://app:\\*\\*\\*@db.example:5432/prod"), "{m}");
        assert!(m.contains("- **Date:** 2024-06-03T06:00:00Z"), "{m}");
        let row = m.lines().find(|l| l.starts_with("| config\\_cors ")).unwrap();
        let cell_borders = row.char_indices().filter(|(i, c)| *c == '|' && !row[..*i].ends_with('\\')).count();
        assert_eq!(cell_borders, 5, "{row}");
        assert!(row.contains("bad origin &lt;script&gt;&amp;\"x\"'y \\| z"), "{row}");
        assert!(m.contains("line<br>break\u{fffd}"), "{m}");
        assert!(m.contains("| pg\\_ssl | warning\\* | fail |"), "{m}");
        assert!(m.contains("What to do: use https://a\\|b"), "{m}");
        assert_eq!(md("a|b\\c"), "a\\|b\\\\c");
        assert_eq!(md("x\r\ny"), "x<br>y");
    }

    #[test]
    fn text_lists_hints_for_what_did_not_pass_and_ends_with_the_verdict() {
        let t = text(&report());
        assert!(t.lines().last() == Some("NO-GO (1 failing)"), "{t}");
        assert!(t.contains("config_cors (fail, level error, blocks go-live)"), "{t}");
        assert!(t.contains("pg_ssl (fail, level warning, below the fail level: does not block)"), "{t}");
        assert!(t.contains("  hint: use https://a|b"), "{t}");
        assert!(t.contains("  - line break\u{fffd}"), "{t}");
        assert!(!t.contains("secrets_strong (pass"), "{t}");
        assert!(t.contains("warning*"), "{t}");
    }
}
