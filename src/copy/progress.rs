//! Progress of a long copy: bars on a terminal, plain lines when not a TTY, JSON lines
//! (`--progress json`) for wrappers. Everything goes to stderr; stdout is the report.
//!
//! On a terminal: one overall bar (tables and rows done) and one bar per table in
//! flight, each cleared when its table is done, and one line per finished tier, so the
//! screen ends with the report and not with a line per table. Plain lines: the phases,
//! one line per finished tier and the overall rows every few seconds; a line per table
//! only with `--verbose`. Counts and rates carry thousands separators and no fractions.

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
    /// `--verbose`: as `Auto`, plus a line for every table.
    #[value(skip)]
    AutoVerbose,
    /// `--progress plain --verbose`.
    #[value(skip)]
    PlainVerbose,
}

impl ProgressMode {
    /// `--verbose` turns bars and plain lines into their verbose form.
    pub fn with_verbose(self, verbose: bool) -> ProgressMode {
        match self {
            ProgressMode::Auto if verbose => ProgressMode::AutoVerbose,
            ProgressMode::Plain if verbose => ProgressMode::PlainVerbose,
            m => m,
        }
    }
}

/// One tier's tables: how many, how many finished, rows written and rejected.
#[derive(Default)]
struct Tier {
    tables: u64,
    done: u64,
    written: u64,
    rejected: u64,
    skipped: u64,
    started: Option<Instant>,
}

pub struct Progress {
    mode: ProgressMode,
    verbose: bool,
    /// Table → tier, and each tier's tally, for the one line per finished tier.
    tiers: Mutex<(std::collections::HashMap<String, usize>, std::collections::BTreeMap<usize, Tier>)>,
    /// Rows of all tables done so far, and when the last plain overall line was printed.
    plain_overall: Mutex<(u64, u64, Instant)>,
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
        let verbose = matches!(mode, ProgressMode::AutoVerbose | ProgressMode::PlainVerbose);
        let mode = match mode {
            ProgressMode::AutoVerbose if std::io::stderr().is_terminal() => ProgressMode::Auto,
            ProgressMode::AutoVerbose | ProgressMode::PlainVerbose => ProgressMode::Plain,
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Auto,
            ProgressMode::Auto => ProgressMode::Plain,
            m => m,
        };
        let bars = (mode == ProgressMode::Auto).then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress {
            mode,
            verbose,
            tiers: Mutex::new(Default::default()),
            plain_overall: Mutex::new((0, 0, Instant::now())),
            bars,
            state: Mutex::new(Vec::new()),
            overall: Mutex::new(None),
        }
    }

    /// Before the copy: each table's tier, for the line printed when a tier is done.
    pub fn tiers(&self, tables: &[(String, usize)]) {
        if let Ok(mut t) = self.tiers.lock() {
            for (table, tier) in tables {
                t.0.insert(table.clone(), *tier);
                t.1.entry(*tier).or_default().tables += 1;
            }
        }
    }

    /// A table of a resumed run that was done earlier.
    pub fn table_skipped(&self, table: &str) {
        self.tier_step(table, 0, 0, true);
    }

    /// Count a finished table in its tier; print the tier's line when it is the last.
    fn tier_step(&self, table: &str, written: u64, rejected: u64, skipped: bool) {
        let line = {
            let Ok(mut t) = self.tiers.lock() else { return };
            let Some(&tier) = t.0.get(table) else { return };
            let Some(tally) = t.1.get_mut(&tier) else { return };
            tally.done += 1;
            tally.written += written;
            tally.rejected += rejected;
            tally.skipped += u64::from(skipped);
            if tally.done < tally.tables {
                return;
            }
            use crate::output::{plural, thousands};
            let seconds = tally.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
            let skipped = if tally.skipped > 0 { format!(", {} done earlier", tally.skipped) } else { String::new() };
            (
                serde_json::json!({"event": "tier_done", "tier": tier, "tables": tally.tables, "rows_written": tally.written, "rows_rejected": tally.rejected, "tables_done_earlier": tally.skipped, "seconds": seconds}),
                format!(
                    "tier {tier}: {} {}, {} {} written, {} rejected{skipped}, {seconds:.2} s",
                    thousands(tally.tables),
                    plural(tally.tables, "table", "tables"),
                    thousands(tally.written),
                    plural(tally.written, "row", "rows"),
                    thousands(tally.rejected)
                ),
            )
        };
        self.event(line.0, || line.1);
    }

    /// Before the copy: how many tables and rows there are, for the overall bar.
    pub fn overall(&self, tables: u64, rows: u64) {
        if let Ok(mut o) = self.plain_overall.lock() {
            *o = (0, rows, Instant::now());
        }
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
            ProgressMode::None | ProgressMode::AutoVerbose | ProgressMode::PlainVerbose => {}
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
        if let Ok(mut t) = self.tiers.lock() {
            if let Some(&tier) = t.0.get(table) {
                if let Some(tally) = t.1.get_mut(&tier) {
                    tally.started.get_or_insert_with(Instant::now);
                }
            }
        }
        if self.mode == ProgressMode::Json || (self.mode == ProgressMode::Plain && self.verbose) {
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
        let per_table = self.mode == ProgressMode::Json || (self.mode == ProgressMode::Plain && self.verbose);
        if per_table && entry.2.elapsed() >= Duration::from_secs(5) {
            entry.2 = Instant::now();
            let done = entry.3;
            drop(s);
            self.event(serde_json::json!({"event": "table_progress", "table": table, "rows_done": done}), || {
                format!("{table}: {} rows", crate::output::thousands(done))
            });
            return;
        }
        drop(s);
        if self.mode == ProgressMode::Plain && !self.verbose {
            // Plain and quiet: all tables' rows every 5 s, so a long copy is seen to move.
            let Ok(mut o) = self.plain_overall.lock() else { return };
            o.0 += n;
            if o.1 > 0 && o.2.elapsed() >= Duration::from_secs(5) {
                o.2 = Instant::now();
                let (done, total) = (o.0, o.1);
                drop(o);
                use crate::output::thousands;
                self.event(serde_json::Value::Null, || format!("{} of {} rows", thousands(done), thousands(total)));
            }
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
        if !self.verbose && self.mode != ProgressMode::Json {
            return;
        }
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
        self.tier_step(table, written, rejected, false);
        if !self.verbose && self.mode != ProgressMode::Json {
            return; // the bars and the tier's line said it; the report lists every table
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
