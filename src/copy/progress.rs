//! Progress of a long copy: bars on a terminal, plain lines when not a TTY, JSON lines
//! (`--progress json`) for wrappers. Everything goes to stderr; stdout is the report.
//!
//! On a terminal: one overall bar (tables and rows done) and one bar per table in
//! flight, each cleared when its table is done, so the screen ends with the report and
//! not with a line per table. Counts and rates carry thousands separators and no fractions.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars on a terminal, plain lines otherwise.
    Auto,
    Plain,
    Json,
    None,
}

pub struct Progress {
    mode: ProgressMode,
    bars: Option<MultiProgress>,
    state: Mutex<Vec<(String, ProgressBar, Instant, u64)>>,
    /// The overall bar (terminal only): rows of every table, tables done in its message.
    overall: Mutex<Option<(ProgressBar, u64, u64)>>,
}

/// `12,345 rows/s` for a bar's rate.
fn rate_key(state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{} rows/s", crate::output::thousands(state.per_sec() as u64));
}

/// A bar's style: `{prefix} [bar] done/total rows, rate, eta`, numbers with separators.
fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", rate_key)
        .progress_chars("=> ")
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Auto,
            ProgressMode::Auto => ProgressMode::Plain,
            m => m,
        };
        let bars = (mode == ProgressMode::Auto).then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { mode, bars, state: Mutex::new(Vec::new()), overall: Mutex::new(None) }
    }

    /// Before the copy: how many tables and rows there are, for the overall bar.
    pub fn overall(&self, tables: u64, rows: u64) {
        let Some(m) = &self.bars else { return };
        let b = m.insert(0, ProgressBar::new(rows));
        b.set_style(bar_style("{prefix:>24} [{bar:30}] {human_pos}/{human_len} rows, {rate}, eta {eta} {msg}"));
        b.set_prefix("all tables");
        b.set_message(format!("(0/{tables} tables)"));
        if let Ok(mut o) = self.overall.lock() {
            *o = Some((b, 0, tables));
        }
    }

    /// One line of progress: a JSON object in json mode, `plain` otherwise.
    pub fn event(&self, json: serde_json::Value, plain: impl FnOnce() -> String) {
        match self.mode {
            ProgressMode::Json => {
                let _ = writeln!(std::io::stderr().lock(), "{json}");
            }
            ProgressMode::Plain => {
                let _ = writeln!(std::io::stderr().lock(), "{}", plain());
            }
            ProgressMode::Auto => {
                if let Some(b) = &self.bars {
                    let _ = b.println(plain());
                }
            }
            ProgressMode::None => {}
        }
    }

    pub fn phase(&self, name: &str) {
        self.event(serde_json::json!({"event": "phase", "phase": name}), || format!("== {name}"));
    }

    pub fn table_started(&self, table: &str, rows: u64) {
        self.table_started_as(table, rows, "copying");
    }

    /// A table starts; `verb` says what is done to its rows (`copying`, `reading and hashing`).
    pub fn table_started_as(&self, table: &str, rows: u64, verb: &str) {
        let bar = match &self.bars {
            Some(m) => {
                let b = m.add(ProgressBar::new(rows));
                b.set_style(bar_style("{prefix:>24} [{bar:30}] {human_pos}/{human_len} rows, {rate}, eta {eta}"));
                b.set_prefix(table.to_string());
                b
            }
            None => ProgressBar::hidden(),
        };
        if let Ok(mut s) = self.state.lock() {
            s.push((table.to_string(), bar, Instant::now(), 0));
        }
        if self.mode != ProgressMode::Auto {
            self.event(serde_json::json!({"event": "table_started", "table": table, "rows": rows}), || {
                format!("{table}: {verb} {} rows", crate::output::thousands(rows))
            });
        }
    }

    pub fn rows(&self, table: &str, n: u64) {
        let Ok(mut s) = self.state.lock() else { return };
        let Some(entry) = s.iter_mut().find(|e| e.0 == table) else { return };
        entry.1.inc(n);
        entry.3 += n;
        if let Ok(o) = self.overall.lock() {
            if let Some((b, _, _)) = o.as_ref() {
                b.inc(n);
            }
        }
        if self.mode != ProgressMode::Auto && entry.2.elapsed() >= Duration::from_secs(5) {
            entry.2 = Instant::now();
            let done = entry.3;
            drop(s);
            self.event(serde_json::json!({"event": "table_progress", "table": table, "rows_done": done}), || {
                format!("{table}: {} rows", crate::output::thousands(done))
            });
        }
    }

    /// The copy is over: the overall bar goes (tables skipped on resume never finish it).
    pub fn overall_done(&self) {
        if let Ok(mut o) = self.overall.lock() {
            if let Some((b, _, _)) = o.take() {
                b.finish_and_clear();
            }
        }
    }

    /// A table was read for a check (verify): rows read, and rows that do not convert.
    pub fn table_read(&self, table: &str, read: u64, rejected: u64, seconds: f64) {
        self.finish_bar(table);
        self.event(
            serde_json::json!({"event": "table_read", "table": table, "rows_read": read, "rows_not_converting": rejected, "seconds": seconds}),
            || {
                use crate::output::thousands;
                format!(
                    "{table}: {} rows read and hashed, {} do not convert, {seconds:.2} s",
                    thousands(read),
                    thousands(rejected)
                )
            },
        );
    }

    fn finish_bar(&self, table: &str) {
        if let Ok(mut s) = self.state.lock() {
            if let Some(i) = s.iter().position(|e| e.0 == table) {
                let e = s.remove(i);
                e.1.finish_and_clear();
            }
        }
    }

    pub fn table_done(&self, table: &str, written: u64, rejected: u64, seconds: f64) {
        self.finish_bar(table);
        if let Ok(mut o) = self.overall.lock() {
            if let Some((b, done, total)) = o.as_mut() {
                *done += 1;
                b.set_message(format!("({done}/{total} tables)"));
                if done == total {
                    b.finish_and_clear();
                }
            }
        }
        if self.mode == ProgressMode::Auto {
            return; // the bars said it; the report lists every table
        }
        self.event(
            serde_json::json!({"event": "table_done", "table": table, "rows_written": written, "rows_rejected": rejected, "seconds": seconds}),
            || {
                use crate::output::thousands;
                format!("{table}: {} rows written, {} rejected, {seconds:.2} s", thousands(written), thousands(rejected))
            },
        );
    }
}
