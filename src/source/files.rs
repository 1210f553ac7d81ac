//! The file a SOURCE path names: a SQLite database, or a `.sql` dump that is loaded
//! into a temporary database first; anything else is refused with what it looks like.

use std::fs;
use std::io::Read;
use std::path::Path;

use rusqlite::Connection;

use super::{classify, SourceError, SQLITE_HEADER};

/// What kind of file a SOURCE path holds, judged by its first bytes and its name.
pub(super) fn sniff(path: &Path) -> Result<Sniffed, SourceError> {
    let io = |source| SourceError::Io { path: path.to_path_buf(), source };
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SourceError::NotFound { path: path.to_path_buf() },
        _ => io(e),
    })?;
    if meta.is_dir() {
        return Err(SourceError::IsFolder { path: path.to_path_buf() });
    }
    if meta.len() == 0 {
        return Err(SourceError::Empty { path: path.to_path_buf() });
    }
    let mut head = [0u8; 512];
    let n = fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(io)?;
    let head = &head[..n];
    if head.starts_with(SQLITE_HEADER) {
        return Ok(Sniffed::Database);
    }
    let is_sql_name = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql"));
    let text = std::str::from_utf8(head).map(str::trim_start).unwrap_or("");
    let looks_like_sql = ["PRAGMA", "BEGIN", "CREATE", "--", "INSERT"]
        .iter()
        .any(|w| text.get(..w.len()).is_some_and(|p| p.eq_ignore_ascii_case(w)));
    if is_sql_name || looks_like_sql {
        return Ok(Sniffed::Dump);
    }
    let printable = head.iter().filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()).count();
    let detail = if printable * 10 < head.len() * 6 {
        "its first bytes are not the SQLite header and look random, as an encrypted database's do".to_string()
    } else {
        "its first bytes are not the SQLite header `SQLite format 3`".to_string()
    };
    Err(SourceError::NotSqlite { path: path.to_path_buf(), detail })
}

pub(super) enum Sniffed {
    Database,
    Dump,
}

/// Load a `.sql` dump into a temporary database, deleted when the path is dropped.
pub(super) fn load_dump(path: &Path) -> Result<tempfile::TempPath, SourceError> {
    let bytes = fs::read(path).map_err(|source| SourceError::Io { path: path.to_path_buf(), source })?;
    let sql = String::from_utf8(bytes).map_err(|e| SourceError::Dump {
        path: path.to_path_buf(),
        detail: format!("the file is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })?;
    let temp = tempfile::Builder::new()
        .prefix("cutover-dump-")
        .suffix(".sqlite")
        .tempfile()
        .map_err(|source| SourceError::Io { path: std::env::temp_dir(), source })?
        .into_temp_path();
    let conn = Connection::open(&temp).map_err(|e| classify(&temp, "creating the temporary database", e))?;
    // A dump loads as written, whatever order its rows come in (as `sqlite3` does it).
    conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;")
        .map_err(|e| classify(&temp, "preparing the temporary database", e))?;
    conn.execute_batch(&sql).map_err(|e| SourceError::Dump { path: path.to_path_buf(), detail: e.to_string() })?;
    // A dump cut short leaves its transaction open: that is a truncated file, not a source.
    if !conn.is_autocommit() {
        return Err(SourceError::Dump {
            path: path.to_path_buf(),
            detail: "the dump ends inside a transaction (no COMMIT): the file looks truncated".into(),
        });
    }
    drop(conn);
    Ok(temp)
}
