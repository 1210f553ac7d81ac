//! The source side: opening what a client hands us (a SQLite file or a `.sql` dump) and
//! reading its whole schema, row counts and column statistics from one consistent
//! snapshot.
//!
//! Everything is read inside a single read transaction, so a demo application that is
//! still writing to the file cannot give us a torn picture. A file that is not SQLite,
//! is corrupt, encrypted or locked is refused here with an error that says which and
//! what to do; nothing is ever written to the source.

mod files;
mod readers;
pub mod sqltext;
mod stats;

use files::{load_dump, sniff, Sniffed};
pub use readers::{longest_first, spread, Watch};
pub use stats::StatsScope;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::hash::Fnv64;
use crate::schema::{
    Collation, Column, ForeignKey, Generated, Index, IndexColumn, PrimaryKey, SourceSchema, Table, Trigger, View,
    VirtualTable,
};

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: no such file; check the path (SOURCE is a SQLite file or a .sql dump)")]
    NotFound { path: PathBuf },
    #[error(
        "{path}: is a folder, not a database; pass the SQLite file (or .sql dump) inside it, e.g. {path}/db.sqlite3"
    )]
    IsFolder { path: PathBuf },
    #[error("{path}: the file is empty; an empty file is not a SQLite database (did the copy fail?)")]
    Empty { path: PathBuf },
    #[error("{path}: not a SQLite database ({detail}); if it is encrypted (SQLCipher, SEE), decrypt it first; if it is a SQL dump, give it a .sql extension")]
    NotSqlite { path: PathBuf, detail: String },
    #[error("{path}: the database is corrupt ({detail}); try `sqlite3 {path} .recover > recovered.sql` and migrate recovered.sql")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: the database is locked by another process (waited {waited_s} s); stop the application that writes to it, or copy it with `sqlite3 {path} \".backup copy.sqlite\"` and migrate the copy")]
    Locked { path: PathBuf, waited_s: u64 },
    #[error("{path}: the SQL dump could not be loaded: {detail}")]
    Dump { path: PathBuf, detail: String },
    #[error("{path}: {context}: {source}")]
    Sqlite {
        path: PathBuf,
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// 96 MiB for a source's own connection: lint's two connections keep its peak RSS near
/// 210 MB (256 MiB made it 530 MB on the 268 MB benchmark file) at the same speed (0.95 s
/// vs 0.93 s).
const MAP_BYTES: u64 = 96 << 20;
/// What all the extra readers of one mapped source map together, so that the peak RSS
/// stays the same whatever the number of cores.
const EXTRA_MAP_BYTES: u64 = 96 << 20;

/// The statement that maps up to `bytes` of the file on one connection.
fn map_pages_sql(bytes: u64) -> String {
    format!("PRAGMA mmap_size = {bytes}")
}

/// An opened source database. For a `.sql` dump this owns the temporary SQLite file the
/// dump was loaded into, which is deleted when the source is dropped.
pub struct Source {
    conn: Connection,
    path: PathBuf,
    _loaded_dump: Option<tempfile::TempPath>,
    /// While a snapshot is open: what proves that an extra reader shares it.
    probe: Option<readers::Probe>,
    /// `map_pages` was asked for: extra readers map the file too.
    mapped: bool,
    /// `no_extra_readers` was asked for.
    alone: bool,
    /// The file's identity when it was opened: extra readers must open that file.
    file_id: Option<readers::FileId>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("path", &self.path).finish()
    }
}

impl Source {
    /// Open a SQLite file read-only, or load a `.sql` dump into a temporary database.
    pub fn open(path: &Path) -> Result<Source, SourceError> {
        match sniff(path)? {
            Sniffed::Database => {
                let conn = open_read_only(path)?;
                Ok(Source {
                    conn,
                    path: path.to_path_buf(),
                    _loaded_dump: None,
                    probe: None,
                    mapped: false,
                    alone: false,
                    file_id: readers::file_id(path),
                })
            }
            Sniffed::Dump => {
                let temp = load_dump(path)?;
                let conn = open_read_only(&temp)?;
                Ok(Source {
                    conn,
                    path: path.to_path_buf(),
                    _loaded_dump: Some(temp),
                    probe: None,
                    mapped: false,
                    alone: false,
                    file_id: None,
                })
            }
        }
    }

    /// True when the source is a real database file (not a `.sql` dump loaded into a
    /// temporary one), so that a second `open` reads the same data cheaply.
    pub fn is_file(&self) -> bool {
        self._loaded_dump.is_none()
    }

    /// Read the file through memory-mapped pages (up to 96 MiB, and as much again shared
    /// by the extra readers) instead of copies by read(2): whole-table scans spend a fifth
    /// of their time in that copy otherwise, and the foreign-key checks' lookups far more
    /// (migrate's checks before the load: 1.0 s -> 0.65 s on the benchmark file). Mapped
    /// pages count in the process's RSS as shared file pages (about 190 MB at most for
    /// one `Source` and its extra readers; lint's second `Source` maps its own 96 MiB:
    /// its peak RSS on the benchmark file is about 225 MB at scale 1 and 5).
    pub fn map_pages(&mut self) -> Result<(), SourceError> {
        self.conn.execute_batch(&map_pages_sql(MAP_BYTES)).map_err(|e| classify(&self.path, "mapping the file", e))?;
        self.mapped = true;
        Ok(())
    }

    /// Hand out no extra readers (`extra_readers` answers None): for a caller that keeps
    /// the other cores busy itself, as `lint` does with its own second connection.
    pub fn no_extra_readers(&mut self) {
        self.alone = true;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Read the whole schema, counts and statistics inside one read transaction.
    pub fn read_schema(&mut self) -> Result<SourceSchema, SourceError> {
        self.read_schema_with(StatsScope::Decisions)
    }

    /// `read_schema`, with statistics for the columns `scope` names.
    pub fn read_schema_with(&mut self, scope: StatsScope) -> Result<SourceSchema, SourceError> {
        let schema = self.snapshot_with(scope)?;
        self.release()?;
        Ok(schema)
    }

    /// Start a read transaction, read the schema in it, and keep it open: every later
    /// read on this source (the copy) sees the same snapshot until `release`.
    pub fn snapshot(&mut self) -> Result<SourceSchema, SourceError> {
        self.snapshot_with(StatsScope::Decisions)
    }

    fn snapshot_with(&mut self, scope: StatsScope) -> Result<SourceSchema, SourceError> {
        // Just before the snapshot begins: see `readers`.
        self.probe = readers::Probe::start(self);
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| classify(&self.path, "starting a read transaction", e))?;
        let reader = Reader { conn: &self.conn, path: &self.path, scope };
        let mut layout = reader.layout()?;
        let picked: Vec<usize> = (0..layout.tables.len()).filter(|i| reader.has_stats(&layout, *i)).collect();
        let mut extras = if picked.len() > 1 { self.readers_for(picked.len())? } else { Vec::new() };
        reader.statistics(&mut layout, &picked, &mut extras)?;
        drop(extras);
        reader.finish(layout)
    }

    /// End the read transaction that `snapshot` started.
    pub fn release(&mut self) -> Result<(), SourceError> {
        self.probe = None;
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT").map_err(|e| classify(&self.path, "ending the read transaction", e))?;
        }
        Ok(())
    }

    /// Map a SQLite error met while reading table `table` to a source error.
    pub fn read_error(&self, table: &str, e: rusqlite::Error) -> SourceError {
        classify(&self.path, &format!("reading table {table}"), e)
    }
}

fn open_read_only(path: &Path) -> Result<Connection, SourceError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, "opening", e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| classify(path, "setting the busy timeout", e))?;
    // Touch the schema now, so that "not a database" and "locked" surface at open time.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))
        .map_err(|e| classify(path, "reading the schema", e))?;
    Ok(conn)
}

/// Map a SQLite error to what it means for the user.
fn classify(path: &Path, context: &str, e: rusqlite::Error) -> SourceError {
    use rusqlite::ErrorCode;
    let path = path.to_path_buf();
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let detail = msg.clone().unwrap_or_else(|| f.to_string());
        match f.code {
            ErrorCode::NotADatabase => return SourceError::NotSqlite { path, detail },
            ErrorCode::DatabaseCorrupt => return SourceError::Corrupt { path, detail },
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return SourceError::Locked { path, waited_s: BUSY_TIMEOUT.as_secs() }
            }
            _ => {}
        }
    }
    SourceError::Sqlite { path, context: context.to_string(), source: e }
}

/// Quote an identifier for SQLite's own SQL.
pub fn quote_sqlite(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

struct Reader<'c> {
    conn: &'c Connection,
    path: &'c Path,
    scope: StatsScope,
}

/// What `Reader::layout` read: the schema objects, the tables without statistics, and
/// per table the columns that get statistics.
struct Layout {
    entries: Vec<Entry>,
    tables: Vec<Table>,
    virtual_tables: Vec<VirtualTable>,
    picked: Vec<Vec<usize>>,
    sizes: bool,
}

/// One row of `pragma table_list` / sqlite_schema, before it is read in detail.
struct Entry {
    kind: String,
    name: String,
    tbl_name: String,
    sql: String,
    without_rowid: bool,
    strict: bool,
}

impl<'c> Reader<'c> {
    fn err(&self, context: impl Into<String>) -> impl Fn(rusqlite::Error) -> SourceError + '_ {
        let context = context.into();
        move |e| classify(self.path, &context, e)
    }

    /// The schema objects and the tables in detail, without their statistics.
    fn layout(&self) -> Result<Layout, SourceError> {
        let entries = self.entries()?;
        let sequences = self.sequences()?;
        let virtual_tables = self.virtual_tables(&entries);
        let shadow: Vec<&str> =
            virtual_tables.iter().flat_map(|v| v.shadow_tables.iter().map(String::as_str)).collect();
        let mut tables = Vec::new();
        for e in entries.iter().filter(|e| e.kind == "table" && !shadow.contains(&e.name.as_str())) {
            tables.push(self.table(e, &sequences)?);
        }
        resolve_implicit_parent_columns(&mut tables);
        // A column referenced by another table's foreign key is a key too.
        let mut parent_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in &tables {
            for fk in &t.foreign_keys {
                parent_keys.entry(fk.parent_table.clone()).or_default().extend(fk.parent_columns.iter().cloned());
            }
        }
        // An Alembic database: its FLOAT, SMALLINT, TEXT and BLOB columns are sized too,
        // for SQLAlchemy's conventions (`apps`).
        let sizes = tables.iter().any(|t| t.name == "alembic_version");
        let picked = tables
            .iter()
            .map(|t| {
                let keys = parent_keys.get(&t.name).map_or(&[][..], Vec::as_slice);
                stats::picked(t, self.scope, keys, sizes)
            })
            .collect();
        Ok(Layout { entries, tables, virtual_tables, picked, sizes })
    }

    /// Whether table `i` of the layout has columns that get statistics.
    fn has_stats(&self, layout: &Layout, i: usize) -> bool {
        !layout.picked[i].is_empty()
    }

    /// The statistics of the tables `which` (indices into the layout's tables), spread
    /// over this connection and `extras`, largest table first. The first error, in table
    /// order, is the one returned, as when one connection reads them all.
    fn statistics(&self, layout: &mut Layout, which: &[usize], extras: &mut [Connection]) -> Result<(), SourceError> {
        let costs: Vec<u64> =
            which.iter().map(|i| layout.tables[*i].row_count.saturating_mul(layout.picked[*i].len() as u64)).collect();
        let order = longest_first(&costs);
        let (tables, picked, sizes) = (&layout.tables, &layout.picked, layout.sizes);
        let measured = spread(self.conn, extras, &order, |conn, k| {
            let i = which[k];
            stats::measure(conn, &tables[i], &picked[i], sizes)
        });
        for (k, result) in measured {
            let i = which[k];
            let t = &mut layout.tables[i];
            let found = result.map_err(self.err(format!("reading the statistics of table {}", t.name)))?;
            for (c, s) in layout.picked[i].iter().zip(found) {
                t.columns[*c].stats = s;
            }
        }
        Ok(())
    }

    /// The rest of the schema (views, triggers) and the snapshot's fingerprint.
    fn finish(&self, layout: Layout) -> Result<SourceSchema, SourceError> {
        let Layout { entries, tables, virtual_tables, .. } = layout;
        let views = entries.iter().filter(|e| e.kind == "view").map(|e| self.view(e)).collect();
        let triggers = entries
            .iter()
            .filter(|e| e.kind == "trigger")
            .map(|e| Trigger { name: e.name.clone(), table: e.tbl_name.clone(), sql: e.sql.clone() })
            .collect();
        let sqlite_version = rusqlite::version().to_string();
        let fingerprint = self.fingerprint(&entries, &tables)?;
        Ok(SourceSchema { tables, views, triggers, virtual_tables, sqlite_version, fingerprint })
    }

    /// Every schema object, with the flags `pragma table_list` adds for tables.
    /// A view with the column names SQLite gives it, or why SQLite cannot run it.
    fn view(&self, e: &Entry) -> View {
        let quoted = format!("\"{}\"", e.name.replace('"', "\"\""));
        let (columns, error) = match self.conn.prepare(&format!("SELECT * FROM {quoted}")) {
            Ok(st) => (st.column_names().map(str::to_string).collect(), None),
            Err(err) => (Vec::new(), Some(err.to_string())),
        };
        View { name: e.name.clone(), sql: e.sql.clone(), columns, error }
    }

    fn entries(&self) -> Result<Vec<Entry>, SourceError> {
        let mut flags: BTreeMap<String, (String, bool, bool)> = BTreeMap::new();
        // `pragma table_list` knows shadow tables and STRICT; it fails when a virtual table's
        // module is unknown, and then the sqlite_schema text is all we have.
        if let Ok(mut st) =
            self.conn.prepare("SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'")
        {
            let rows = st.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get::<_, bool>(3)?))
            });
            if let Ok(rows) = rows {
                for (name, kind, wr, strict) in rows.flatten() {
                    flags.insert(name, (kind, wr, strict));
                }
            }
        }
        let mut st = self
            .conn
            .prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name")
            .map_err(self.err("reading sqlite_schema"))?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })
            .map_err(self.err("reading sqlite_schema"))?;
        let mut entries = Vec::new();
        for row in rows {
            let (kind, name, tbl_name, sql) = row.map_err(self.err("reading sqlite_schema"))?;
            if name.starts_with("sqlite_") {
                continue;
            }
            let (kind, without_rowid, strict) = match flags.get(&name) {
                Some((k, wr, strict)) if kind == "table" => (k.clone(), *wr, *strict),
                _ if kind == "table" && is_virtual_sql(&sql) => ("virtual".to_string(), false, false),
                _ => (kind, false, false),
            };
            entries.push(Entry { kind, name, tbl_name, sql, without_rowid, strict });
        }
        Ok(entries)
    }

    fn virtual_tables(&self, entries: &[Entry]) -> Vec<VirtualTable> {
        let mut vts: Vec<VirtualTable> = entries
            .iter()
            .filter(|e| e.kind == "virtual")
            .map(|e| VirtualTable { name: e.name.clone(), module: virtual_module(&e.sql), shadow_tables: Vec::new() })
            .collect();
        const SHADOW_SUFFIXES: [&str; 12] = [
            "node", "rowid", "parent", "data", "idx", "content", "docsize", "config", "segments", "segdir", "stat",
            "stat1",
        ];
        for e in entries.iter().filter(|e| e.kind == "shadow" || e.kind == "table") {
            let owner =
                vts.iter_mut().filter(|v| e.name.starts_with(&format!("{}_", v.name))).max_by_key(|v| v.name.len());
            if let Some(v) = owner {
                let suffix = &e.name[v.name.len() + 1..];
                if e.kind == "shadow" || SHADOW_SUFFIXES.contains(&suffix) {
                    v.shadow_tables.push(e.name.clone());
                }
            }
        }
        vts
    }

    fn sequences(&self) -> Result<BTreeMap<String, i64>, SourceError> {
        let exists: bool = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'", [], |r| r.get::<_, i64>(0))
            .map_err(self.err("reading sqlite_schema"))?
            > 0;
        let mut out = BTreeMap::new();
        if exists {
            let mut st = self
                .conn
                .prepare("SELECT name, seq FROM sqlite_sequence")
                .map_err(self.err("reading sqlite_sequence"))?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(self.err("reading sqlite_sequence"))?;
            for row in rows.flatten() {
                out.insert(row.0, row.1);
            }
        }
        Ok(out)
    }

    fn table(&self, e: &Entry, sequences: &BTreeMap<String, i64>) -> Result<Table, SourceError> {
        let name = &e.name;
        let text = sqltext::parse_create_table(&e.sql);
        let mut columns = Vec::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut autoincrement = false;
        {
            let ctx = format!("reading the columns of table {name}");
            let mut st = self
                .conn
                .prepare("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1)")
                .map_err(self.err(ctx.clone()))?;
            let rows = st
                .query_map([name], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })
                .map_err(self.err(ctx.clone()))?;
            for row in rows {
                let (col, declared_type, not_null, default, pk_pos, hidden) = row.map_err(self.err(ctx.clone()))?;
                if hidden == 1 {
                    continue;
                }
                let (collation, autoinc) = match self.conn.column_metadata(None::<&str>, name.as_str(), col.as_str()) {
                    Ok((_, coll, _, _, autoinc)) => {
                        (coll.and_then(|c| c.to_str().ok()).map_or(Collation::Binary, Collation::from_sqlite), autoinc)
                    }
                    Err(_) => (Collation::Binary, false),
                };
                autoincrement |= autoinc;
                if pk_pos > 0 {
                    pk.push((pk_pos, col.clone()));
                }
                let generated = (hidden == 2 || hidden == 3).then(|| Generated {
                    stored: hidden == 3,
                    expression: text.generated.iter().find(|(c, _)| *c == col).map(|(_, x)| x.clone()),
                });
                columns.push(Column {
                    name: col,
                    declared_type,
                    not_null,
                    default,
                    collation,
                    generated,
                    stats: Default::default(),
                });
            }
        }
        pk.sort();
        // A primary key that is not the rowid has an index of its own (origin `pk`): so
        // does `id INTEGER PRIMARY KEY DESC`, which SQLite does not make a rowid alias
        // (unlike `PRIMARY KEY (id DESC)`), and which may hold any value.
        let pk_indexed: bool = self
            .conn
            .query_row("SELECT count(*) > 0 FROM pragma_index_list(?1) WHERE origin = 'pk'", [name], |r| r.get(0))
            .map_err(self.err(format!("reading the indexes of table {name}")))?;
        let primary_key = (!pk.is_empty()).then(|| {
            let cols: Vec<String> = pk.into_iter().map(|(_, c)| c).collect();
            let rowid_alias = !e.without_rowid
                && !pk_indexed
                && cols.len() == 1
                && columns.iter().any(|c| c.name == cols[0] && c.declared_type.eq_ignore_ascii_case("INTEGER"));
            PrimaryKey { columns: cols, rowid_alias, autoincrement }
        });
        let indexes = self.indexes(name)?;
        let foreign_keys = self.foreign_keys(name, &text)?;
        let row_count: u64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {}", quote_sqlite(name)), [], |r| r.get::<_, i64>(0))
            .map_err(self.err(format!("counting the rows of table {name}")))?
            .try_into()
            .unwrap_or(0);
        let mut table = Table {
            name: name.clone(),
            columns,
            primary_key,
            without_rowid: e.without_rowid,
            strict: e.strict,
            indexes,
            foreign_keys,
            check_constraints: text.checks,
            named_uniques: text.named_uniques,
            named_foreign_keys: text.named_foreign_keys,
            named_primary_key: text.named_primary_key,
            row_count,
            max_rowid: None,
            min_rowid: None,
            sequence: sequences.get(name).copied(),
            sql: e.sql.clone(),
        };
        (table.min_rowid, table.max_rowid) = self.rowid_range(&table)?;
        Ok(table)
    }

    /// The smallest and largest rowid (both O(1) on the rowid b-tree).
    fn rowid_range(&self, t: &Table) -> Result<(Option<i64>, Option<i64>), SourceError> {
        if t.without_rowid {
            return Ok((None, None));
        }
        let key = match t.rowid_alias() {
            Some(c) => quote_sqlite(&c.name),
            // `rowid` may be shadowed by a real column of that name; try the other aliases.
            None => match ["rowid", "_rowid_", "oid"].iter().find(|a| t.column(a).is_none()) {
                Some(a) => (*a).to_string(),
                None => return Ok((None, None)),
            },
        };
        self.conn
            // Two subqueries: SQLite answers a lone min() or max() from the b-tree's ends,
            // but scans the table for both in one SELECT.
            .query_row(
                &format!(
                    "SELECT (SELECT min({key}) FROM {t}), (SELECT max({key}) FROM {t})",
                    t = quote_sqlite(&t.name)
                ),
                [],
                |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?)),
            )
            .map_err(self.err(format!("reading the smallest and largest rowid of table {}", t.name)))
    }

    fn indexes(&self, table: &str) -> Result<Vec<Index>, SourceError> {
        let ctx = format!("reading the indexes of table {table}");
        let mut list = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT name, \"unique\", origin FROM pragma_index_list(?1) ORDER BY name")
                .map_err(self.err(ctx.clone()))?;
            let rows = st
                .query_map([table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?, r.get::<_, String>(2)?)))
                .map_err(self.err(ctx.clone()))?;
            for row in rows {
                let (name, unique, origin) = row.map_err(self.err(ctx.clone()))?;
                if origin != "pk" {
                    list.push((name, unique, origin == "u"));
                }
            }
        }
        let mut out = Vec::new();
        for (name, unique, constraint) in list {
            let sql: Option<String> = self
                .conn
                .query_row("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1", [&name], |r| r.get(0))
                .unwrap_or(None);
            let (exprs, partial) = sql.as_deref().map(sqltext::parse_create_index).unwrap_or_default();
            let mut st = self
                .conn
                .prepare("SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
                .map_err(self.err(ctx.clone()))?;
            let rows = st
                .query_map([&name], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(self.err(ctx.clone()))?;
            let mut columns = Vec::new();
            for (pos, row) in rows.enumerate() {
                let (cid, col, descending, coll) = row.map_err(self.err(ctx.clone()))?;
                let expression = (cid == -2).then(|| exprs.get(pos).cloned().unwrap_or_default());
                columns.push(IndexColumn {
                    name: if cid == -2 { None } else { col },
                    expression,
                    descending,
                    collation: coll.unwrap_or_else(|| "BINARY".into()),
                });
            }
            out.push(Index { name, unique, constraint, columns, partial });
        }
        Ok(out)
    }

    fn foreign_keys(&self, table: &str, text: &sqltext::TableText) -> Result<Vec<ForeignKey>, SourceError> {
        let ctx = format!("reading the foreign keys of table {table}");
        let mut st = self
            .conn
            .prepare("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")
            .map_err(self.err(ctx.clone()))?;
        let rows = st
            .query_map([table], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(self.err(ctx.clone()))?;
        let mut fks: Vec<ForeignKey> = Vec::new();
        for row in rows {
            let (id, parent, from, to, on_update, on_delete) = row.map_err(self.err(ctx.clone()))?;
            match fks.last_mut() {
                Some(fk) if fk.id == id => {
                    fk.columns.push(from);
                    fk.parent_columns.extend(to);
                }
                _ => fks.push(ForeignKey {
                    id,
                    columns: vec![from],
                    parent_table: parent,
                    parent_columns: to.into_iter().collect(),
                    on_update,
                    on_delete,
                    deferrable: false,
                }),
            }
        }
        for fk in &mut fks {
            fk.deferrable = text.deferrable.iter().any(|(cols, parent)| {
                parent.eq_ignore_ascii_case(&fk.parent_table)
                    && cols.len() == fk.columns.len()
                    && cols.iter().zip(&fk.columns).all(|(a, b)| a.eq_ignore_ascii_case(b))
            });
        }
        // SQLite numbers constraints from the last declared; list them as declared.
        fks.reverse();
        Ok(fks)
    }

    /// A digest of what was read: schema text, counts, largest rowids and the file's
    /// change counter. Equal fingerprints mean the same snapshot for every practical purpose.
    fn fingerprint(&self, entries: &[Entry], tables: &[Table]) -> Result<String, SourceError> {
        let mut h = Fnv64::default();
        for e in entries {
            h.field(e.kind.as_bytes()).field(e.name.as_bytes()).field(e.sql.as_bytes());
        }
        for t in tables {
            h.field(t.name.as_bytes())
                .field(&t.row_count.to_le_bytes())
                .field(&t.max_rowid.unwrap_or(0).to_le_bytes())
                .field(&t.sequence.unwrap_or(0).to_le_bytes());
        }
        let data_version: i64 = self
            .conn
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .map_err(self.err("reading schema_version"))?;
        h.field(&data_version.to_le_bytes());
        Ok(format!("fnv1a64:{:016x}", h.finish()))
    }
}

fn is_virtual_sql(sql: &str) -> bool {
    let toks: Vec<_> =
        sqltext::tokenize(sql).into_iter().filter(|t| t.kind == sqltext::TokenKind::Word).take(2).collect();
    toks.len() == 2 && toks[0].is_word("CREATE") && toks[1].is_word("VIRTUAL")
}

fn virtual_module(sql: &str) -> String {
    let toks = sqltext::tokenize(sql);
    let mut words = toks.iter().filter(|t| t.kind == sqltext::TokenKind::Word);
    words.by_ref().find(|t| t.is_word("USING"));
    words.next().map(|t| t.text.to_lowercase()).unwrap_or_default()
}

/// A foreign key that names no parent columns references the parent's primary key.
/// Parent table names are normalised to the table's own spelling.
fn resolve_implicit_parent_columns(tables: &mut [Table]) {
    let pks: BTreeMap<String, Vec<String>> = tables
        .iter()
        .filter_map(|t| t.primary_key.as_ref().map(|pk| (t.name.to_lowercase(), pk.columns.clone())))
        .collect();
    // SQLite matches table names without regard to ASCII case; use the table's own spelling.
    let names: BTreeMap<String, String> = tables.iter().map(|t| (t.name.to_lowercase(), t.name.clone())).collect();
    for t in tables.iter_mut() {
        for fk in t.foreign_keys.iter_mut() {
            if let Some(actual) = names.get(&fk.parent_table.to_lowercase()) {
                fk.parent_table = actual.clone();
            }
            if fk.parent_columns.is_empty() {
                if let Some(cols) = pks.get(&fk.parent_table.to_lowercase()) {
                    fk.parent_columns = cols.clone();
                }
            }
        }
    }
}
