"""DuckDB as a benchmark peer (scripts/bench-postgres.sh, scripts/bench-mariadb.sh): copy
every table of a SQLite file into a server with DuckDB 1.4.4 and its extensions, loaded
offline from the pip wheels (duckdb-ext-sqlite/postgres/mysql) of the venv that runs this.

    python bench_duckdb.py SOURCE.sqlite postgres|mysql 'CONNECTION STRING' [insert]

Table by table `CREATE TABLE t.x AS SELECT * FROM s.x`: DuckDB 1.4.4's whole-database
COPY fails on multi-table sources, and a table with a TIME column loads only with
sqlite_all_varchar. Data only: no keys, indexes, FKs or identities, and DuckDB's own
types (NUMERIC as double, BOOLEAN as bigint, JSON as text). With `insert` the tables
must exist already (cutover's own column types, say) and each is filled with
`INSERT INTO t.x SELECT * FROM s.x`: DuckDB converts to the target's types."""

import os
import sqlite3
import sys
import time

import duckdb
import duckdb_ext

src, kind, target = sys.argv[1:4]
insert = sys.argv[4:5] == ["insert"]
ext = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
con = duckdb.connect()
con.execute("SET autoinstall_known_extensions = false")
con.execute(f"SET extension_directory = '{ext}'")
con.execute(f"ATTACH '{src}' AS s (TYPE sqlite, READ_ONLY)")
con.execute(f"ATTACH '{target}' AS t (TYPE {kind})")
lite = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
tables = [r[0] for r in lite.execute(
    "select name from sqlite_master where type='table' and name not like 'sqlite_%' order by rowid")]
for name in tables:
    has_time = any((r[2] or "").upper() == "TIME" for r in lite.execute(f'pragma table_info("{name}")'))
    con.execute(f"SET sqlite_all_varchar = {'true' if has_time else 'false'}")
    t0 = time.time()
    if insert:
        con.execute(f'INSERT INTO t."{name}" SELECT * FROM s."{name}"')
    else:
        con.execute(f'CREATE TABLE t."{name}" AS SELECT * FROM s."{name}"')
    print(f"{name} {time.time() - t0:.2f}s", file=sys.stderr)
