#!/usr/bin/env python3
"""Helper for scripts/bench-mariadb.sh (stdlib only).

  prepare SRC DDL OUT     From `cutover plan SRC --dialect mariadb --ddl` (file DDL) and the
                          SQLite file SRC, write into directory OUT:
                            tables.sql   the CREATE TABLE statements only (PRIMARY KEY kept;
                                         any other KEY/INDEX/FOREIGN KEY line inside them dropped)
                            <table>.txt  every row of the table, in MariaDB's own text format
                            load.sql     one LOAD DATA LOCAL INFILE per table (one session)
                            check.sql    one SELECT comparing sample rows with the source
                            samples      the number of sample rows check.sql looks at
                          Skipped when OUT already holds an export of the same SRC and DDL
                          made by the same version of this file.
  rows SRC                total rows of the user tables of SRC
  count-sql SRC           one SELECT returning the total row count of SRC's tables in a target
  load-phase REPORT JOBS  cutover's load phase from its --report JSON: "SECONDS HOW TBLSUM"
  summary TSV             Markdown summary table and the raw per-run numbers

Data file format (what SELECT ... INTO OUTFILE writes, and LOAD DATA's default): fields
separated by TAB, rows ended by LF, no enclosing quotes, escape character backslash.
In text, backslash, TAB, LF, CR and NUL are written \\\\, \\t, \\n, \\r, \\0; SQL NULL is \\N
(so the text '\\N' is written \\\\N and the text 'NULL' stays NULL: without enclosing
quotes MariaDB reads only \\N as NULL). Integers are written with str(), REALs with repr()
(the shortest text that reads back as the same double: 89.4264 stays 89.4264). BLOB
columns (by the planned target type) are written as plain hex and loaded through a user
variable with UNHEX(); an empty BLOB is an empty field, a NULL one \\N.

The check: for every table with a primary key, the first and last row plus the first row
showing each awkward case per column (NULL, empty text, backslash, TAB, LF/CR, quotes, the
texts 'NULL' and '\\N', non-ASCII, empty BLOB, REAL) are compared column by column with
the source: text byte for byte, BLOBs byte for byte, numbers and times after conversion to
the planned type (CAST('source text' AS DECIMAL(p,s)/DOUBLE/DATETIME(6)...), so what is
checked is that the file format carries every value through, not the server's rounding.
"""
import hashlib
import json
import os
import re
import sqlite3
import statistics
import sys
import time

ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})
SAMPLES_PER_TABLE = 24


def q(name):
    return "`" + name.replace("`", "``") + "`"


def sq(text):
    """A SQL string literal (backslashes doubled too: MariaDB's default sql_mode escapes)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def open_ro(src):
    return sqlite3.connect(f"file:{src}?mode=ro", uri=True)


def user_tables(con):
    return [r[0] for r in con.execute(
        "select name from sqlite_master where type='table' and name not like 'sqlite_%' order by rowid")]


# ------------------------------------------------------------------ the planned DDL
def parse_ddl(text):
    """[(table, create_statement, [(column, kind, type)], [pk columns])] from the plan DDL."""
    out = []
    for stmt in re.findall(r"^CREATE TABLE .*?^\)[^;\n]*;$", text, flags=re.S | re.M):
        lines = stmt.split("\n")
        table = re.match(r"CREATE TABLE `((?:[^`]|``)+)`", lines[0]).group(1).replace("``", "`")
        body, cols, pk = [], [], []
        for line in lines[1:-1]:
            s = line.strip().rstrip(",")
            m = re.match(r"`((?:[^`]|``)+)`\s+(\S+(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?)", s)
            if m:
                typ = m.group(2).upper()
                cols.append((m.group(1).replace("``", "`"), kind_of(typ), typ))
                body.append(s)
            elif s.upper().startswith("PRIMARY KEY"):
                pk = [c.replace("``", "`") for c in re.findall(r"`((?:[^`]|``)+)`", s)]
                body.append(s)
            elif s.upper().startswith(("CHECK", "CONSTRAINT")) and "FOREIGN KEY" not in s.upper():
                body.append(s)  # a CHECK stays: it is part of the column types' meaning
            # KEY / UNIQUE KEY / INDEX / FOREIGN KEY lines are left out
        create = lines[0] + "\n" + ",\n".join("  " + b for b in body) + "\n" + lines[-1]
        out.append((table, create, cols, pk))
    if not out:
        sys.exit("no CREATE TABLE statement in the plan DDL")
    return out


def kind_of(typ):
    t = typ.split("(")[0]
    if "BLOB" in t or "BINARY" in t:
        return "blob"
    if t in ("DECIMAL", "NUMERIC", "DEC", "FIXED"):
        return "decimal"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "double"
    if t == "DATETIME" or t == "TIMESTAMP":
        return "datetime"
    if t == "DATE":
        return "date"
    if t == "TIME":
        return "time"
    if t.endswith("INT") or t in ("INTEGER", "BIT", "YEAR", "BOOLEAN", "BOOL"):
        return "int"
    return "text"


def as_text(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


def field(v, kind):
    if v is None:
        return "\\N"
    if kind == "blob":
        return (v if isinstance(v, bytes) else as_text(v).encode("utf-8")).hex()
    if isinstance(v, str):
        return v.translate(ESCAPE)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    return v.decode("utf-8").translate(ESCAPE)


# ------------------------------------------------------------------ samples for the check
def awkward(v):
    """The awkward cases a value shows (names of the cases)."""
    if v is None:
        return ("null",)
    if isinstance(v, float):
        return ("real",)
    if isinstance(v, bytes):
        return ("empty-blob",) if not v else ()
    if isinstance(v, str):
        cases = []
        if v == "":
            cases.append("empty")
        if v in ("NULL", "null", "\\N", "\\n"):
            cases.append("text " + v)
        if "\\" in v:
            cases.append("backslash")
        if "\t" in v:
            cases.append("tab")
        if "\n" in v or "\r" in v:
            cases.append("newline")
        if '"' in v or "'" in v:
            cases.append("quote")
        if not v.isascii():
            cases.append("non-ascii")
            if any(ord(c) > 0xFFFF for c in v):
                cases.append("astral")
        return cases
    return ()


def expect(col, kind, typ, v):
    """A condition true when the target column holds the source value v."""
    c = q(col)
    if v is None:
        return f"{c} IS NULL"
    if kind == "blob":
        b = v if isinstance(v, bytes) else as_text(v).encode("utf-8")
        return f"{c} = X'{b.hex()}'"
    text = as_text(v)
    if kind == "text":
        return f"CAST({c} AS BINARY) = X'{text.encode('utf-8').hex()}'"
    if kind == "int" and isinstance(v, int):
        return f"{c} = {v}"
    cast = {"int": "SIGNED", "double": "DOUBLE", "date": "DATE", "datetime": "DATETIME(6)",
            "time": "TIME(6)"}.get(kind)
    if kind == "decimal":
        cast = typ if "(" in typ else "DECIMAL(65,30)"
    return f"{c} = CAST({sq(text)} AS {cast})"


# ------------------------------------------------------------------ prepare
def prepare(src, ddl_file, out):
    ddl_text = open(ddl_file, encoding="utf-8").read()
    st = os.stat(src)
    digest = hashlib.sha256(ddl_text.encode() + open(__file__, "rb").read()).hexdigest()
    stamp = f"{st.st_size} {st.st_mtime_ns} {digest}\n"
    done = os.path.join(out, ".done")
    if os.path.exists(done) and open(done).read() == stamp:
        print(f"export exists in {out} (same source and DDL)", file=sys.stderr)
        return
    os.makedirs(out, exist_ok=True)
    if os.path.exists(done):
        os.remove(done)
    tables = parse_ddl(ddl_text)
    con = open_ro(src)
    src_tables = {t.lower(): t for t in user_tables(con)}
    load, checks = [], []
    creates = []
    t_all, total = time.time(), 0
    for table, create, cols, pk in tables:
        s_table = src_tables.get(table.lower())
        if s_table is None:
            sys.exit(f"table {table} of the plan DDL is not in {src}")
        s_cols = [r[1] for r in con.execute(f'pragma table_info("{s_table}")')]
        if [c.lower() for c in s_cols] != [c[0].lower() for c in cols]:
            sys.exit(f"{table}: the planned columns {[c[0] for c in cols]} differ from the source's {s_cols}")
        creates.append(create + "\n")
        kinds = [k for _, k, _ in cols]
        pk_idx = [[c[0] for c in cols].index(p) for p in pk]
        seen, samples, last = set(), [], None
        path = os.path.abspath(os.path.join(out, f"{table}.txt"))
        t0, n = time.time(), 0
        sel = ", ".join('"' + c.replace('"', '""') + '"' for c in s_cols)
        cur = con.execute(f'select {sel} from "{s_table}"')
        with open(path, "w", encoding="utf-8", newline="") as f:
            while True:
                rows = cur.fetchmany(20000)
                if not rows:
                    break
                f.write("".join("\t".join([field(v, k) for v, k in zip(r, kinds)]) + "\n" for r in rows))
                if pk_idx:
                    for r in rows:
                        if n == 0:
                            samples.append(r)
                        n += 1
                        if len(samples) < SAMPLES_PER_TABLE:
                            for i, v in enumerate(r):
                                for case in awkward(v):
                                    if (i, case) not in seen:
                                        seen.add((i, case))
                                        if r is not samples[-1]:
                                            samples.append(r)
                    last = rows[-1]
                else:
                    n += len(rows)
        if last is not None and last is not samples[-1]:
            samples.append(last)
        total += n
        print(f"  {table:24s} {n:>10,d} rows {time.time() - t0:6.2f}s  {len(samples)} sample rows",
              file=sys.stderr)
        names, sets = [], []
        for (col, kind, _), c in zip(cols, s_cols):
            if kind == "blob":
                var = "@h_" + re.sub(r"\W", "_", col)
                names.append(var)
                sets.append(f"{q(col)} = UNHEX({var})")
            else:
                names.append(q(col))
        load.append(
            f"LOAD DATA LOCAL INFILE {sq(path)} INTO TABLE {q(table)} CHARACTER SET utf8mb4\n"
            "  FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'\n"
            f"  ({', '.join(names)})" + (f"\n  SET {', '.join(sets)}" if sets else "") + ";")
        # ROW_COUNT() and @@warning_count still describe the LOAD DATA here (a SELECT
        # without tables keeps the diagnostics area); SHOW WARNINGS prints the first ones
        load.append(f"SELECT 'loaded', {sq(table)}, ROW_COUNT(), @@warning_count;")
        load.append("SHOW WARNINGS LIMIT 3;")
        for r in samples:
            key = " AND ".join(f"{q(cols[i][0])} = {r[i]!r}" if isinstance(r[i], int) else
                               f"{q(cols[i][0])} = {sq(as_text(r[i]))}" for i in pk_idx)
            label = ",".join(f"{cols[i][0]}={as_text(r[i])}" for i in pk_idx)
            bad = ", ".join(f"IF({expect(col, kind, typ, v)}, NULL, {sq(col)})"
                            for (col, kind, typ), v in zip(cols, r))
            checks.append(f"SELECT {sq(table)} AS t, {sq(label)} AS k, CONCAT_WS(',', {bad}) AS bad "
                          f"FROM {q(table)} WHERE {key}")
    with open(os.path.join(out, "tables.sql"), "w", encoding="utf-8") as f:
        f.write("".join(creates))
    with open(os.path.join(out, "load.sql"), "w", encoding="utf-8") as f:
        f.write("\n".join(load) + "\n")
    with open(os.path.join(out, "check.sql"), "w", encoding="utf-8") as f:
        f.write("SET SESSION group_concat_max_len = 1048576;\n"
                "SELECT COUNT(*), COALESCE(SUM(bad <> ''), 0), "
                "COALESCE(GROUP_CONCAT(IF(bad <> '', CONCAT(t, '[', k, ']:', bad), NULL) SEPARATOR ' '), '-') FROM (\n"
                + "\nUNION ALL ".join(checks) + "\n) s;\n")
    with open(os.path.join(out, "samples"), "w") as f:
        f.write(f"{len(checks)}\n")
    print(f"exported {total:,d} rows in {time.time() - t_all:.2f}s; {len(checks)} sample rows for the check",
          file=sys.stderr)
    with open(done, "w") as f:
        f.write(stamp)


# ------------------------------------------------------------------ small queries
def rows(src):
    con = open_ro(src)
    print(sum(con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in user_tables(con)))


def count_sql(src):
    con = open_ro(src)
    print("SELECT 0" + "".join(f" + (SELECT COUNT(*) FROM {q(t)})" for t in user_tables(con)) + ";")


def load_phase(report, jobs):
    """The load phase of a cutover run: the report's own field when it has one, else an
    estimate: the per-table seconds scheduled the way create mode runs them (tables by
    rows_source, most first, each on the first free of JOBS connections); the makespan."""
    r = json.load(open(report))
    tables = r.get("tables") or []
    tblsum = sum(t.get("seconds", 0.0) for t in tables)
    for key in ("load_seconds", "copy_seconds", "data_seconds"):
        if isinstance(r.get(key), (int, float)):
            print(f"{r[key]:.2f} report:{key} {tblsum:.2f}")
            return
    if not tables:
        print(f"- none {tblsum:.2f}")
        return
    free = [0.0] * max(1, int(jobs))
    for t in sorted(tables, key=lambda t: (-t.get("rows_source", 0), t.get("table", ""))):
        i = free.index(min(free))
        free[i] += t.get("seconds", 0.0)
    print(f"{max(free):.2f} estimate:{len(free)}conns {tblsum:.2f}")


# ------------------------------------------------------------------ summary
def summary(tsv):
    import csv
    runs = list(csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t"))
    order, by = [], {}
    for r in runs:
        if r["method"] not in by:
            order.append(r["method"])
        by.setdefault(r["method"], []).append(r)
    med = statistics.median
    print()
    print("| method | status | median wall (s) | runs (s) | rows/s | median peak RSS (MB) | client CPU (s) | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for m in order:
        rs = by[m]
        ok = [r for r in rs if r["rc"] == "0" and r["rows_in_target"] == r["rows"]]
        runs_s = " / ".join(f"{float(r['wall_s']):.2f}" + ("" if r in ok else "!") for r in rs)
        notes = []
        if len(ok) < len(rs):
            bad = rs[0] if not ok else next(r for r in rs if r not in ok)
            notes.append(f"{len(rs) - len(ok)} of {len(rs)} run(s) failed (rc {bad['rc']}, "
                         f"{bad['rows_in_target']} rows in target): {bad['error'] or '-'}")
        if not ok:
            print(f"| {m} | FAILED | - | {runs_s} | - | - | - | {'; '.join(notes)} |")
            continue
        w = med([float(r["wall_s"]) for r in ok])
        n = int(ok[0]["rows"])
        rss = med([int(r["maxrss_kb"]) for r in ok]) / 1024
        cpu = med([float(r["client_cpu_s"]) for r in ok])
        loads = [r for r in ok if r["load_s"] not in ("-", "")]
        if loads:
            ls = [float(r["load_s"]) for r in loads]
            notes.insert(0, f"load phase {med(ls):.2f} s ({' / '.join(f'{x:.2f}' for x in ls)}; "
                            f"{loads[0]['load_how']}), sum of per-table seconds "
                            f"{med([float(r['tblsum_s']) for r in loads]):.2f}")
        if any(r["warnings"] not in ("-", "0", "") for r in ok):
            notes.append("server warnings " + " / ".join(r["warnings"] for r in ok))
        if any(r["sample_check"] not in ("-", "") for r in ok):
            notes.append("sample values " + " / ".join(r["sample_check"] for r in ok))
        status = "ok" if len(ok) == len(rs) else "PARTLY FAILED"
        print(f"| {m} | {status} | {w:.2f} | {runs_s} | {n / w:,.0f} | {rss:.0f} | {cpu:.2f} | {'; '.join(notes)} |")
    print()
    print("rows/s = rows of the source / median wall of the successful runs; a run marked ! failed.")
    good = {m: [float(r["wall_s"]) for r in by[m] if r["rc"] == "0" and r["rows_in_target"] == r["rows"]]
            for m in order}
    if good.get("cutover") and good.get("loadfull"):
        ratio = med(good["cutover"]) / med(good["loadfull"])
        print(f"cutover end to end / LOAD DATA full scope (loadfull): {ratio:.2f}x (bar: <= 1.5x)")
    if good.get("cutover") and good.get("cutover-base"):
        print(f"cutover / cutover-base (the earlier build): {med(good['cutover']) / med(good['cutover-base']):.2f}x")
    if good.get("cutover") and good.get("duckdb"):
        print(f"cutover end to end / duckdb (data only): {med(good['cutover']) / med(good['duckdb']):.2f}x")
    print()
    cols = ["method", "run", "wall_s", "maxrss_kb", "rc", "rows_in_target", "load_s", "tblsum_s",
            "client_cpu_s", "machine_cpu_s", "loadavg_before", "other_sessions", "warnings", "sample_check", "error"]
    print("Per run:")
    print()
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in runs:
        print("| " + " | ".join(r[c] for c in cols) + " |")


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    fns = {"prepare": (prepare, 3), "rows": (rows, 1), "count-sql": (count_sql, 1),
           "load-phase": (load_phase, 2), "summary": (summary, 1)}
    if cmd not in fns or len(args) != fns[cmd][1]:
        sys.exit(__doc__)
    fns[cmd][0](*args)


if __name__ == "__main__":
    main(sys.argv)
