//! Ctrl-C and SIGTERM: a stop that loses nothing.
//!
//! Commands that write (`migrate`, `harden`, `golive`) install `Mode::Stop`: the first
//! SIGINT or SIGTERM only raises a flag that they check at every step boundary (between
//! batches of rows, between post-load statements, between hardening steps), so the table
//! in flight is rolled back or committed whole, and the state file, the report and the
//! journal are written before the process ends with 130 (SIGINT) or 143 (SIGTERM). A
//! second signal ends it at once, like a kill, which `--resume` also survives.
//! Read-only commands (`verify`) install `Mode::Exit`: they have nothing to save and end
//! at the first signal with a line that says so.

use std::sync::atomic::{AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// What the first signal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Raise the flag; the command stops at its next step boundary.
    Stop,
    /// Print this line and end at once (the command has nothing to save).
    Exit(&'static str),
}

/// The signal that asked the run to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    pub signal: i32,
}

impl Interrupted {
    pub fn name(self) -> &'static str {
        if self.signal == SIGTERM {
            "SIGTERM"
        } else {
            "SIGINT"
        }
    }

    /// 128 + the signal number, as shells report a process ended by it.
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(130)
    }
}

/// Start listening for SIGINT and SIGTERM. Safe to call more than once (the first call
/// wins). When the handlers cannot be installed the signals keep their default effect.
pub fn install(mode: Mode) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else { return };
        std::thread::spawn(move || {
            for signal in signals.forever() {
                let first = RECEIVED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst).is_ok();
                let code = Interrupted { signal }.exit_code();
                match (first, mode) {
                    (true, Mode::Stop) => eprintln!(
                        "\nstopping at the next safe point ({}); a second signal (Ctrl-C) ends at once (--resume continues either way)",
                        Interrupted { signal }.name()
                    ),
                    (true, Mode::Exit(line)) => {
                        eprintln!("\ninterrupted ({}): {line}", Interrupted { signal }.name());
                        std::process::exit(i32::from(code));
                    }
                    (false, _) => {
                        eprintln!("\ninterrupted again: ending now");
                        std::process::exit(i32::from(code));
                    }
                }
            }
        });
    });
}

/// The signal received, if any: commands check this at every step boundary.
pub fn requested() -> Option<Interrupted> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(Interrupted { signal }),
    }
}
