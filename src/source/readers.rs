//! More than one connection on the source's one snapshot, so that read-only work (the
//! statistics pass, lint's key checks) can use every core.
//!
//! The source's own connection holds its read transaction from `Source::snapshot` to
//! `Source::release`. An extra connection opened later starts a read transaction of
//! its own, which sees the same data only if no other connection committed in between.
//! In rollback-journal mode the held SHARED lock already keeps writers from committing;
//! in WAL mode they may. So a probe proves it: a third connection, in autocommit, reads
//! `PRAGMA data_version` just before the snapshot's `BEGIN` and first read, and again
//! once every extra connection has done its first read in its own transaction. SQLite
//! changes that number when another connection commits; equal numbers mean that nothing
//! was committed between the two reads, so every connection reads the same snapshot.
//! The connections are opened by the source's path, so the path must still name the file
//! the source opened (same device and inode). When that cannot be proven (a commit
//! happened, the file was replaced, the file is a `.sql` dump loaded into a temporary
//! database, a lock is in the way), there are no extra readers and the work
//! runs on the source's own connection, as it always could.
//!
//! Architecture invariant: every connection this module hands out reads exactly the
//! snapshot of the source's own connection, or none is handed out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{classify, Source, SourceError};

/// How long an extra reader or the probe waits for a lock: a writer that waits for our
/// snapshot to end must not be kept waiting for an optional speed-up.
const EXTRA_BUSY_TIMEOUT: Duration = Duration::from_millis(200);

/// The probe: a connection in autocommit and the `data_version` it read just before the
/// snapshot began.
pub(super) struct Probe {
    conn: Connection,
    before: i64,
}

impl Probe {
    /// Open the probe and read `data_version`; None when it cannot be opened or read
    /// (then no extra reader is ever granted, and the snapshot is not affected).
    pub(super) fn start(source: &Source) -> Option<Probe> {
        if !source.is_file() {
            return None;
        }
        // The probe reads one page: it maps nothing.
        let conn = open_extra(source, usize::MAX).ok()?;
        let before = data_version(&conn).ok()?;
        same_file(source).then_some(Probe { conn, before })
    }

    /// True when no other connection committed since `start`.
    fn unchanged(&self) -> bool {
        data_version(&self.conn).is_ok_and(|now| now == self.before)
    }
}

/// A watch on the source file from before any snapshot on it begins: it tells whether
/// nothing was committed to the file, and its path still names it, since. Work spread
/// over connections that each read in their own transactions (lint's second connection)
/// read one state of the file when the watch still holds at the end.
pub struct Watch {
    probe: Probe,
    file: FileId,
    path: std::path::PathBuf,
}

impl Watch {
    /// True when no connection committed to the file, and its path names the same file,
    /// since the watch began.
    pub fn held(&self) -> bool {
        self.probe.unchanged() && file_id(&self.path) == Some(self.file)
    }
}

impl Source {
    /// Start a `Watch` (None for a `.sql` dump, or when the file cannot be probed).
    pub fn watch(&self) -> Option<Watch> {
        let file = self.file_id?;
        Some(Watch { probe: Probe::start(self)?, file, path: self.path().to_path_buf() })
    }
}

/// A file's device and inode: what tells the file the source opened from another one
/// moved to its path since (an application that replaces its database file).
pub(super) type FileId = (u64, u64);

#[cfg(unix)]
pub(super) fn file_id(path: &std::path::Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Elsewhere the file's identity is unknown, and no extra reader is handed out.
#[cfg(not(unix))]
pub(super) fn file_id(_path: &std::path::Path) -> Option<FileId> {
    None
}

/// True when the source's path still names the file the source opened (checked after
/// the probe or the extra readers were opened by that path).
fn same_file(source: &Source) -> bool {
    source.file_id.is_some() && file_id(source.path()) == source.file_id
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// A read-only connection to the source file, as `open_read_only` opens it, with the
/// short busy timeout and, for a mapped source, a share of the extra readers' mapping
/// (`of` of them).
fn open_extra(source: &Source, of: usize) -> Result<Connection, SourceError> {
    let path = source.path();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, "opening", e))?;
    conn.busy_timeout(EXTRA_BUSY_TIMEOUT).map_err(|e| classify(path, "setting the busy timeout", e))?;
    if source.mapped {
        let share = super::EXTRA_MAP_BYTES / of.max(1) as u64;
        conn.execute_batch(&super::map_pages_sql(share)).map_err(|e| classify(path, "mapping the file", e))?;
    }
    Ok(conn)
}

/// Start a read transaction on `conn` and read in it, which fixes its snapshot.
fn begin_read(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN DEFERRED")?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}

/// Whether an error only means that a lock was in the way (then: no extra readers).
fn is_busy(e: &SourceError) -> bool {
    matches!(e, SourceError::Locked { .. })
}

impl Source {
    /// Up to `n` more read-only connections, each inside its own read transaction on
    /// the very snapshot that `snapshot` opened on this source's connection: Some when
    /// the probe proves it (see the module's comment), None when it cannot (no snapshot
    /// open, a `.sql` dump, a commit by another connection since the snapshot began, the
    /// file replaced, a lock in the way) or should not (`no_extra_readers`); then do the work on
    /// `connection()`. An error is an error of
    /// the file itself. The connections end their transactions when dropped.
    pub fn extra_readers(&self, n: usize) -> Result<Option<Vec<Connection>>, SourceError> {
        let Some(probe) = self.probe.as_ref() else { return Ok(None) };
        if n == 0 || self.alone || self.conn.is_autocommit() {
            return Ok(None);
        }
        let mut readers = Vec::with_capacity(n);
        for _ in 0..n {
            let conn = match open_extra(self, n) {
                Ok(c) => c,
                Err(e) if is_busy(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            match begin_read(&conn).map_err(|e| classify(self.path(), "starting a read transaction", e)) {
                Ok(()) => readers.push(conn),
                Err(e) if is_busy(&e) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok((probe.unchanged() && same_file(self)).then_some(readers))
    }

    /// `extra_readers` for `jobs` pieces of work on a machine with this many cores: as
    /// many readers as there are other cores and other pieces, or none.
    pub fn readers_for(&self, jobs: usize) -> Result<Vec<Connection>, SourceError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let n = cores.min(jobs).saturating_sub(1);
        Ok(self.extra_readers(n)?.unwrap_or_default())
    }
}

/// Run `work(connection, job)` for every job in `order` (indices into the caller's list
/// of jobs), on `main` in this thread and on each of `extras` in a thread of its own,
/// each taking the next job of `order` when it is free: put the longest first. The
/// results come back in job order, whichever connection ran them, so that the caller's
/// output and its first error are the ones a serial run gives.
pub fn spread<T: Send>(
    main: &Connection,
    extras: &mut [Connection],
    order: &[usize],
    work: impl Fn(&Connection, usize) -> T + Sync,
) -> Vec<(usize, T)> {
    let next = AtomicUsize::new(0);
    let drain = |conn: &Connection| {
        let mut done = Vec::new();
        while let Some(&job) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((job, work(conn, job)));
        }
        done
    };
    let mut results = std::thread::scope(|scope| {
        let drain = &drain;
        let threads: Vec<_> = extras.iter_mut().map(|c| scope.spawn(move || drain(c))).collect();
        let mut all = drain(main);
        for t in threads {
            match t.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_by_key(|(job, _)| *job);
    results
}

/// The jobs' indices, most expensive first (ties in job order).
pub fn longest_first(costs: &[u64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(costs[*i]));
    order
}
