//! Progress of a long copy: bars on a terminal, plain lines when not a TTY, JSON lines
//! (`--progress json`) for wrappers. Everything goes to stderr; stdout is the report.

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
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Auto,
            ProgressMode::Auto => ProgressMode::Plain,
            m => m,
        };
        let bars = (mode == ProgressMode::Auto).then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { mode, bars, state: Mutex::new(Vec::new()) }
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
                b.set_style(
                    ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} rows {per_sec} eta {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
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
                format!("{table}: {verb} {rows} rows")
            });
        }
    }

    pub fn rows(&self, table: &str, n: u64) {
        let Ok(mut s) = self.state.lock() else { return };
        let Some(entry) = s.iter_mut().find(|e| e.0 == table) else { return };
        entry.1.inc(n);
        entry.3 += n;
        if self.mode != ProgressMode::Auto && entry.2.elapsed() >= Duration::from_secs(5) {
            entry.2 = Instant::now();
            let done = entry.3;
            drop(s);
            self.event(serde_json::json!({"event": "table_progress", "table": table, "rows_done": done}), || {
                format!("{table}: {done} rows")
            });
        }
    }

    /// A table was read for a check (verify): rows read, and rows that do not convert.
    pub fn table_read(&self, table: &str, read: u64, rejected: u64, seconds: f64) {
        self.finish_bar(table);
        self.event(
            serde_json::json!({"event": "table_read", "table": table, "rows_read": read, "rows_not_converting": rejected, "seconds": seconds}),
            || format!("{table}: {read} rows read and hashed, {rejected} do not convert, {seconds:.2} s"),
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
        if let Ok(mut s) = self.state.lock() {
            if let Some(i) = s.iter().position(|e| e.0 == table) {
                let e = s.remove(i);
                e.1.finish_and_clear();
            }
        }
        self.event(
            serde_json::json!({"event": "table_done", "table": table, "rows_written": written, "rows_rejected": rejected, "seconds": seconds}),
            || format!("{table}: {written} rows written, {rejected} rejected, {seconds:.2} s"),
        );
    }
}
