#!/usr/bin/env bash
# Benchmark `cutover migrate` (SQLite -> PostgreSQL) against pgloader and against
# PostgreSQL's own COPY limit, on the same server and the same generated SQLite file.
#
# What it measures (each method RUNS times, target database dropped and recreated and a
# CHECKPOINT before every timed run; wall time and peak RSS of the client process via
# `/usr/bin/time -f '%e %M %U %S'`; server memory is not included; the whole machine's busy
# CPU seconds during each run are logged too, to spot runs disturbed by other work):
#   cutover   target/release/cutover migrate FILE --to postgres://.../bench_cutover
#             --state DIR/state.json --report DIR/report.json --progress json
#             end to end (tables, data, indexes, FKs, identity resets). Phases are measured
#             by time-stamping cutover's `--progress json` phase events as they arrive on
#             stderr: create (start -> "copying data"), load ("copying data" -> "after the
#             data"), post (-> exit). CUTOVER_PROGRESS=none runs the plain `--progress none`
#             command instead; then only the report-derived figures are available:
#               tiermax  sum over tiers of the max per-table `seconds` in the report (right
#                        only for tier-by-tier loading with <= --jobs tables per tier);
#               tblsum   sum of per-table `seconds` (each table's own connection time).
#             Since e6529d4 create mode no longer loads tier by tier (every table starts as
#             soon as a connection is free, longest first), so neither report formula is
#             the load phase; the time stamps are.
#   pgloader  pgloader FILE postgresql://.../bench_pgloader (defaults; end to end).
#   limit     psql \copy of CSV files (exported once from FILE with python3 stdlib, not
#             timed per run) into tables created from `cutover plan --dialect postgres
#             --ddl` (the same column types cutover uses), CREATE TABLE statements only:
#             no secondary indexes, no FKs (NOT NULL and the identity defaults stay; with
#             explicit ids they cost nothing). One psql session, tables one after another,
#             timed as a whole. Variants (LIMIT_VARIANTS):
#               nopk  the inline PRIMARY KEY lines stripped (pure load limit)
#               pk    PRIMARY KEY kept inline, like cutover's own CREATE TABLE during its load
#               nopk2 as nopk, but two psql sessions at once: the biggest table | all others
#                     (cutover copies up to --jobs tables at once; the default is the core count)
#               full2 the server's own full-scope path: nopk2, then in one session every
#                     primary key and the statements cutover's plan runs after the data
#                     (unique constraints, indexes, FKs, identity restarts), as pg_restore
#                     does; the bar for cutover end to end
#               bin2  the floor of the load for any client of these exact types: as nopk2,
#                     but the server's own COPY FROM of binary files (FORMAT binary) that
#                     the server wrote itself with COPY TO from cutover's loaded tables
#                     (once per bench run, after cutover's first run, not timed): no client
#                     work and no network, every value still received and every jsonb
#                     parsed. Needs METHODS to include cutover (skipped otherwise)
#   duckdb    DuckDB 1.4.4 with its sqlite and postgres extensions (pip wheels, loaded
#             offline from a venv in BENCH_DIR/duckdb-venv, made once): ATTACH the source
#             and the target, then `CREATE TABLE t.x AS SELECT * FROM s.x` table by table
#             (its whole-database COPY fails on multi-table sources in 1.4.4); a table with a
#             TIME column is read with sqlite_all_varchar. Data only, and inexact (NUMERIC as
#             double, BOOLEAN as bigint, JSON as text; no keys, indexes, FKs, identities):
#             the bar for cutover's load phase.
#   duckdb-exact  the same DuckDB, but into tables created first from cutover's own column
#             types (the limit's nopk DDL, so METHODS must include limit): `INSERT INTO t.x
#             SELECT * FROM s.x`, DuckDB converting to numeric, boolean, jsonb and timestamps
#             as cutover does. Data only, no keys: what DuckDB's copy costs when it is exact
#             in type (the values match cutover's on the rows looked at; not checked here)
#   check     correctness of the last cutover run: production_entries count(*), exact sum
#             of the numeric(10,4) column yield_pct, sum of the double column
#             temperature_c (sqlite3 CLI vs psql), plus a value-by-value comparison of both
#             columns.
# rows/s = total user rows of FILE (1,000,596 at scale 1) / median wall.
#
# Run (from anywhere; PostgreSQL must answer on 127.0.0.1:5432 as user postgres with
# trust auth, see scripts/services.sh):
#   scripts/bench-postgres.sh                                  # scale 1, 3 runs, all methods
#   SCALE=5 RUNS=1 METHODS="cutover check" scripts/bench-postgres.sh
# Environment:
#   SCALE=1            --rows-scale for gen_bench_db.py (seed 42); file BENCH_DIR/bench$SCALE.sqlite
#   RUNS=3             timed runs per method
#   BENCH_DIR=/tmp/cutover-bench   work dir: source file, CSV, state/report files, logs, TSV
#   METHODS="cutover duckdb pgloader limit check"   (duckdb-exact on request)
#   LIMIT_VARIANTS="nopk pk nopk2 full2"   (bin2 on request)
#   PGPORT=5432        PostgreSQL port on 127.0.0.1
#   SKIP_BUILD=0       1: do not run `cargo build --release` (use the existing binary)
#   CUTOVER_BIN=       benchmark this cutover binary instead (no build); e.g. the copy a
#                      previous run left in BENCH_DIR, to compare runs on the same build
#   BASE_BIN=          also run this (earlier) cutover binary as method `cutover-base`,
#                      alternating with `cutover` in the same session: before / after in one run
#   JOBS=              passed as --jobs to cutover when set (default: cutover's own, = cores)
#   CUTOVER_PROGRESS=json   json: time-stamped phase events (needed for the load phase); none
#   QUIET_WAIT=180     before each timed run wait up to this many seconds until the machine is
#                      idle (>= QUIET_IDLE % CPU idle over 3 consecutive 1 s samples; 0: don't
#                      wait). Other work on the box (tests on the same server) skews timings;
#                      the 1-min load average and other active PG sessions are logged per run.
#   QUIET_IDLE=85
# Needs: cargo, python3, psql, sqlite3, /usr/bin/time; installs pgloader with apt-get if missing.
# Output: per-run lines, a summary table, BENCH_DIR/results-scale$SCALE.tsv, logs in
# BENCH_DIR/logs-scale$SCALE/ (both overwritten by the next run at the same scale).
# Exit status 1 if any run failed or left a row count different from the source.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
SCALE=${SCALE:-1}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp/cutover-bench}
METHODS=${METHODS:-"cutover duckdb pgloader limit check"}
LIMIT_VARIANTS=${LIMIT_VARIANTS:-"nopk pk nopk2 full2"}
PGPORT=${PGPORT:-5432}
SKIP_BUILD=${SKIP_BUILD:-0}
JOBS=${JOBS:-}
CUTOVER_PROGRESS=${CUTOVER_PROGRESS:-json}
QUIET_WAIT=${QUIET_WAIT:-180}
QUIET_IDLE=${QUIET_IDLE:-85}

SRC=$BENCH_DIR/bench$SCALE.sqlite
CSV_DIR=$BENCH_DIR/csv-scale$SCALE
LOGS=$BENCH_DIR/logs-scale$SCALE
TSV=$BENCH_DIR/results-scale$SCALE.tsv
CUTOVER=$ROOT/target/release/cutover
PG_BASE=postgres://postgres@127.0.0.1:$PGPORT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }
has() { [[ " $METHODS " == *" $1 "* ]]; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

for tool in python3 psql sqlite3 /usr/bin/time; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
mkdir -p "$BENCH_DIR" "$LOGS"
"${PSQL[@]}" -d postgres -Atc "select 1" >/dev/null || die "PostgreSQL does not answer on 127.0.0.1:$PGPORT"

# ------------------------------------------------------------------ 1. the source file
if [ ! -s "$SRC" ]; then
  log "generating $SRC (scale $SCALE, seed 42)"
  python3 "$SHARED/bench/gen_bench_db.py" --rows-scale "$SCALE" --seed 42 --force "$SRC.part" \
    2>&1 | tee "$LOGS/gen.log" >&2
  mv "$SRC.part" "$SRC"
fi
ROWS=$(python3 - "$SRC" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
ts = [r[0] for r in c.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'")]
print(sum(c.execute(f'select count(*) from "{t}"').fetchone()[0] for t in ts))
EOF
)
TABLES=$(sqlite3 "$SRC" "select name from sqlite_master where type='table' and name not like 'sqlite_%' order by rowid")
log "source $SRC: $ROWS rows, $(du -m "$SRC" | cut -f1) MB, $(echo "$TABLES" | wc -l) tables"

# ------------------------------------------------------------------ build, tools
if [ -n "${CUTOVER_BIN:-}" ]; then
  [ -x "$CUTOVER_BIN" ] || die "CUTOVER_BIN=$CUTOVER_BIN is not executable"
  CUTOVER=$CUTOVER_BIN
elif has cutover || has limit; then
  if [ "$SKIP_BUILD" != 1 ]; then
    # the tree may be mid-edit by someone else: retry a failed build after 60 s, 3 tries in all
    for try in 1 2 3; do
      if (cd "$ROOT" && cargo build --release 2>&1 | tail -3) >&2; then break; fi
      [ "$try" = 3 ] && die "cargo build --release failed 3 times"
      log "build failed (try $try); retrying in 60 s"; sleep 60
    done
  fi
  [ -x "$CUTOVER" ] || die "$CUTOVER missing (cargo build --release)"
  # benchmark a private copy: a concurrent `cargo build --release` must not swap the binary mid-run
  cp "$CUTOVER" "$BENCH_DIR/cutover.bin"
  touch -r "$CUTOVER" "$BENCH_DIR/cutover.bin"
  CUTOVER=$BENCH_DIR/cutover.bin
fi
if has pgloader && ! command -v pgloader >/dev/null; then
  log "installing pgloader"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y pgloader >&2 || {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y pgloader >&2
  }
fi

{
  echo "date: $(date -Is)"
  echo "host: $(nproc) cpu, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
  echo "server: $("${PSQL[@]}" -d postgres -Atc "select version()")"
  echo "server settings: $("${PSQL[@]}" -d postgres -Atc "select string_agg(name||'='||setting||coalesce(unit,''), ' ') from pg_settings where name in ('shared_buffers','max_wal_size','wal_level','synchronous_commit','fsync','TimeZone')")"
  echo "cutover: $CUTOVER; HEAD $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'), binary built $(date -r "$CUTOVER" -Is 2>/dev/null || echo '-'); working tree at build time:"
  (cd "$ROOT" && git status --porcelain 2>/dev/null | sed 's/^/    /')
  has pgloader && echo "pgloader: $(pgloader --version 2>&1 | head -1)"
  echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1), python3: $(python3 -c 'import sys; print(sys.version.split()[0])')"
  echo "source: $SRC, $ROWS rows, scale $SCALE, RUNS=$RUNS"
} | tee "$LOGS/env.txt" >&2

# ------------------------------------------------------------------ helpers
printf 'method\trun\twall_s\tmaxrss_kb\trc\trows\trows_in_target\tcreate_s\tload_s\tpost_s\ttiermax_s\ttblsum_s\tclient_cpu_s\tmachine_cpu_s\tloadavg_before\tother_active_pg\n' > "$TSV"
FAILED=0

pg_recreate() {  # pg_recreate DB
  "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}
cpu_idle_pct() {  # CPU idle % over one second, from /proc/stat
  local a b
  read -r -a a < /proc/stat; sleep 1; read -r -a b < /proc/stat
  local tot=0 i
  for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
  local idle=$(( (b[4] - a[4]) + (b[5] - a[5]) ))
  echo $(( tot > 0 ? 100 * idle / tot : 100 ))
}
wait_quiet() {  # wait (at most QUIET_WAIT s) for 3 consecutive idle seconds
  [ "$QUIET_WAIT" -gt 0 ] || return 0
  local start=$SECONDS ok=0
  while [ $((SECONDS - start)) -lt "$QUIET_WAIT" ]; do
    if [ "$(cpu_idle_pct)" -ge "$QUIET_IDLE" ]; then ok=$((ok + 1)); else ok=0; fi
    [ $ok -ge 3 ] && return 0
  done
  log "machine still busy after ${QUIET_WAIT}s of waiting; running anyway (see load avg in the results)"
}
pg_ckpt() { "${PSQL[@]}" -d postgres -c "CHECKPOINT" >/dev/null; sync; }
count_sql() {  # one statement counting all source tables in schema public
  local q="select 0" t
  for t in $TABLES; do q="$q + (select count(*) from \"public\".\"$t\")"; done
  echo "$q"
}
target_rows() { "${PSQL[@]}" -d "$1" -Atc "$(count_sql)" 2>/dev/null || echo "ERR"; }
busy_note() {  # what else is running: 1-min load average, active sessions on the server
  local la; la=$(cut -d' ' -f1 /proc/loadavg)
  local act; act=$("${PSQL[@]}" -d postgres -Atc \
    "select count(*) from pg_stat_activity where state='active' and pid<>pg_backend_pid() and backend_type='client backend'")
  echo "$la $act"
}

# timed METHOD RUN LOG -- cmd...   -> sets WALL RSS RC; stdout+stderr of cmd go to LOG
# (stderr to $TIMED_STDERR instead when that is set); T0/T1 = epoch seconds around the run.
# Also sets CPU (client user+sys s) and MCPU (whole machine busy CPU s during the run:
# client + server + anything else; a run with much more MCPU than its siblings was disturbed).
machine_busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
timed() {
  local method=$1 run=$2 logf=$3; shift 4
  local tf=$LOGS/.time.$$ j0 j1
  RC=0
  j0=$(machine_busy_jiffies)
  T0=$(date +%s.%N)
  if [ -n "${TIMED_STDERR:-}" ]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" >"$logf" 2>"$TIMED_STDERR" || RC=$?
  else
    /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" >"$logf" 2>&1 || RC=$?
  fi
  T1=$(date +%s.%N)
  j1=$(machine_busy_jiffies)
  local u sy
  read -r WALL RSS u sy < <(tail -1 "$tf")
  CPU=$(awk -v a="$u" -v b="$sy" 'BEGIN{printf "%.2f", a+b}')
  MCPU=$(awk -v a="$j0" -v b="$j1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')
  rm -f "$tf"
}
record() {  # record METHOD RUN ROWS_IN_TARGET CREATE LOAD POST TIERMAX TBLSUM LOADAVG ACTIVE
  local method=$1 run=$2 tgt=$3 create=$4 load=$5 post=$6 tiermax=$7 tblsum=$8 la=$9 act=${10}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$method" "$run" "$WALL" "$RSS" "$RC" "$ROWS" \
    "$tgt" "$create" "$load" "$post" "$tiermax" "$tblsum" "$CPU" "$MCPU" "$la" "$act" >> "$TSV"
  local extra=""
  [ "$tiermax" != - ] && extra="  phases: create ${create}s load ${load}s post ${post}s (report: tier-max ${tiermax}s, table sum ${tblsum}s)"
  printf '%-18s run %s  wall %7.2fs  maxrss %7d KB  rc %s  rows in target %s%s  [cpu s: client %s, machine %s; before: load avg %s, other active PG sessions %s]\n' \
    "$method" "$run" "$WALL" "$RSS" "$RC" "$tgt" "$extra" "$CPU" "$MCPU" "$la" "$act" >&2
  if [ "$RC" != 0 ] || [ "$tgt" != "$ROWS" ]; then
    FAILED=1
    log "$method run $run: rc $RC, $tgt rows in target (expected $ROWS); see the log in $LOGS"
  fi
}

# ------------------------------------------------------------------ 3a. cutover
run_cutover() {
  local run=$1 busy name=${2:-cutover} bin=${3:-$CUTOVER}
  pg_recreate bench_cutover
  rm -f "$BENCH_DIR/state.json" "$BENCH_DIR/report.json"
  wait_quiet
  pg_ckpt
  busy=$(busy_note)
  local plog=$LOGS/cutover_progress_run$run.log fifo=$LOGS/.progress.fifo tsp=""
  rm -f "$fifo" "$plog"
  if [ "$CUTOVER_PROGRESS" = json ]; then
    # stamp every progress line with the epoch time it arrives (a few dozen lines per run);
    # the stamper opens the FIFO itself once it is up, and cutover's stderr open blocks until then
    mkfifo "$fifo"
    python3 -u -c 'import sys, time
for line in open(sys.argv[1]):
    sys.stdout.write(f"{time.time():.4f} {line}")' "$fifo" > "$plog" &
    tsp=$!
    TIMED_STDERR=$fifo
  fi
  timed "$name" "$run" "$LOGS/${name}_run$run.log" -- \
    "$bin" migrate "$SRC" --to "$PG_BASE/bench_cutover" --state "$BENCH_DIR/state.json" \
    --progress "$CUTOVER_PROGRESS" --report "$BENCH_DIR/report.json" ${JOBS:+--jobs "$JOBS"}
  TIMED_STDERR=""
  if [ -n "$tsp" ]; then wait "$tsp" || true; rm -f "$fifo"; fi
  local phases="- - - - -"
  if [ -s "$BENCH_DIR/report.json" ]; then
    cp "$BENCH_DIR/report.json" "$LOGS/${name}_report_run$run.json"
    # the process started at T1 - WALL (T0 is earlier: opening the FIFO waits for the stamper)
    phases=$(python3 - "$BENCH_DIR/report.json" "$plog" "$T1" "$WALL" <<'EOF'
import json, os, sys
report, plog, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3])
t0 = t1 - float(sys.argv[4])
r = json.load(open(report))
tiers = {}
for t in r["tables"]:
    tiers[t["tier"]] = max(tiers.get(t["tier"], 0.0), t["seconds"])
tiermax = sum(tiers.values())
tblsum = sum(t["seconds"] for t in r["tables"])
stamps = {}
if os.path.exists(plog):
    for line in open(plog):
        ts, _, rest = line.partition(" ")
        try:
            ev = json.loads(rest)
        except ValueError:
            continue
        if ev.get("event") == "phase":
            stamps.setdefault(ev["phase"].split(":")[0], float(ts))
c, a = stamps.get("copying data"), stamps.get("after the data")
if c and a:
    print(f"{c - t0:.2f} {a - c:.2f} {t1 - a:.2f} {tiermax:.2f} {tblsum:.2f}")
else:
    print(f"- - - {tiermax:.2f} {tblsum:.2f}")
EOF
)
  fi
  # shellcheck disable=SC2086
  record "$name" "$run" "$(target_rows bench_cutover)" $phases $busy
}

# ------------------------------------------------------------------ 3b. pgloader
run_pgloader() {
  local run=$1 busy
  pg_recreate bench_pgloader
  wait_quiet
  pg_ckpt
  busy=$(busy_note)
  timed pgloader "$run" "$LOGS/pgloader_run$run.log" -- \
    pgloader "$SRC" "postgresql://postgres@127.0.0.1:$PGPORT/bench_pgloader"
  # shellcheck disable=SC2086
  record pgloader "$run" "$(target_rows bench_pgloader)" - - - - - $busy
}

# ------------------------------------------------------------------ 3b'. DuckDB
DUCK_VENV=$BENCH_DIR/duckdb-venv
duckdb_venv() {
  [ -x "$DUCK_VENV/bin/python" ] && "$DUCK_VENV/bin/python" -c "import duckdb" 2>/dev/null && return
  log "installing DuckDB 1.4.4 and its sqlite/postgres/mysql extensions into $DUCK_VENV (PyPI wheels)"
  python3 -m venv "$DUCK_VENV"
  "$DUCK_VENV/bin/pip" install -q duckdb==1.4.4 duckdb-ext-sqlite==1.4.4.20260205 \
    duckdb-ext-postgres==1.4.4.20260205 duckdb-ext-mysql==1.4.4.20260205 >&2
}
DUCK_COPY=$ROOT/scripts/bench_duckdb.py
run_duckdb() {
  local run=$1 busy
  pg_recreate bench_duckdb
  wait_quiet
  pg_ckpt
  busy=$(busy_note)
  timed duckdb "$run" "$LOGS/duckdb_run$run.log" -- \
    "$DUCK_VENV/bin/python" "$DUCK_COPY" "$SRC" postgres "host=127.0.0.1 port=$PGPORT user=postgres dbname=bench_duckdb"
  # shellcheck disable=SC2086
  record duckdb "$run" "$(target_rows bench_duckdb)" - - - - - $busy
}
# duckdb-exact: DuckDB into tables made first from cutover's own column types (the limit's
# nopk DDL: no keys), so that it writes numeric, boolean, jsonb and timestamps as cutover does
run_duckdb_exact() {
  local run=$1 busy
  [ -s "$LOGS/limit_ddl_nopk.sql" ] || { log "duckdb-exact needs METHODS to include limit (its DDL): skipped"; return; }
  pg_recreate bench_duckdb
  "${PSQL[@]}" -d bench_duckdb -f "$LOGS/limit_ddl_nopk.sql" >/dev/null
  wait_quiet
  pg_ckpt
  busy=$(busy_note)
  timed duckdb-exact "$run" "$LOGS/duckdb_exact_run$run.log" -- \
    "$DUCK_VENV/bin/python" "$DUCK_COPY" "$SRC" postgres "host=127.0.0.1 port=$PGPORT user=postgres dbname=bench_duckdb" insert
  # shellcheck disable=SC2086
  record duckdb-exact "$run" "$(target_rows bench_duckdb)" - - - - - $busy
}

# ------------------------------------------------------------------ 3c. the COPY limit
export_csv() {
  local stamp; stamp="$(stat -c '%s %Y' "$SRC")"
  if [ -f "$CSV_DIR/.done" ] && [ "$(cat "$CSV_DIR/.done")" = "$stamp" ]; then
    log "CSV export exists in $CSV_DIR"; return
  fi
  rm -rf "$CSV_DIR"; mkdir -p "$CSV_DIR"
  log "exporting every table to CSV in $CSV_DIR (once, not part of the timed runs)"
  # CSV convention: no header, ',' separated, '\n' line end, strings always quoted with
  # "" doubling, numbers bare via repr (12.3456 stays 12.3456, doubles round-trip),
  # SQL NULL = bare NULL, BLOB = quoted \x<hex>.  Loaded with FORMAT csv, NULL 'NULL'
  # (a quoted "NULL" string is never taken for NULL).
  /usr/bin/time -f '%e %M' -o "$LOGS/export.time" python3 - "$SRC" "$CSV_DIR" <<'EOF' 2>&1 | tee "$LOGS/export.log" >&2
import csv, os, sqlite3, sys, time

class Null(int):
    """int subclass: QUOTE_NONNUMERIC leaves it unquoted; written as NULL."""
    def __str__(self): return "NULL"
    __repr__ = __str__

NULL = Null(0)

class Num(float):
    """A REAL, written bare with repr() (shortest round-trip form: 12.3456 stays 12.3456)."""
    def __str__(self): return repr(float(self))

src, out = sys.argv[1], sys.argv[2]
con = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
tables = [r[0] for r in con.execute(
    "select name from sqlite_master where type='table' and name not like 'sqlite_%' order by rowid")]
t_all, total = time.time(), 0
for t in tables:
    t0, n = time.time(), 0
    with open(os.path.join(out, f"{t}.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        cur = con.execute(f'select * from "{t}"')
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                break
            buf = []
            for r in rows:
                o = []
                for v in r:
                    if v is None:
                        o.append(NULL)
                    elif isinstance(v, bytes):
                        o.append("\\x" + v.hex())
                    elif isinstance(v, float):
                        o.append(Num(v))
                    else:
                        o.append(v)
                buf.append(o)
            w.writerows(buf)
            n += len(rows)
    total += n
    print(f"  {t:22s} {n:>10,d} rows {time.time() - t0:6.2f}s", file=sys.stderr)
print(f"exported {total:,d} rows in {time.time() - t_all:.2f}s", file=sys.stderr)
EOF
  [ "${PIPESTATUS[0]}" = 0 ] || die "CSV export failed"
  log "export: $(tail -1 "$LOGS/export.time" | awk '{printf "%.2f s, peak RSS %d KB", $1, $2}'), $(du -sm "$CSV_DIR" | cut -f1) MB"
  echo "$stamp" > "$CSV_DIR/.done"
}

limit_scripts() {
  "$CUTOVER" plan "$SRC" --dialect postgres --ddl > "$LOGS/cutover_plan_ddl.sql"
  # keep only the CREATE TABLE statements; nopk: also drop the inline PRIMARY KEY line
  local v
  for v in nopk pk; do
    python3 - "$LOGS/cutover_plan_ddl.sql" "$v" > "$LOGS/limit_ddl_$v.sql" <<'EOF'
import re, sys
text, variant = open(sys.argv[1]).read(), sys.argv[2]
stmts = re.findall(r"^CREATE TABLE .*?^\);$", text, flags=re.S | re.M)
if not stmts:
    sys.exit("no CREATE TABLE in the plan DDL")
for s in stmts:
    lines = s.split("\n")
    if variant == "nopk":
        lines = [l for l in lines if not re.match(r"\s*PRIMARY KEY \(", l)]
        body = [l.rstrip(",") for l in lines[1:-1]]
        lines = [lines[0]] + [l + "," for l in body[:-1]] + body[-1:] + [lines[-1]]
    print("\n".join(lines))
EOF
  done
  python3 - "$SRC" "$CSV_DIR" > "$LOGS/limit_load.sql" <<'EOF'
import os, sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print("\\timing on")
for (t,) in con.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%' order by rowid"):
    cols = ", ".join('"' + r[1].replace('"', '""') + '"' for r in con.execute(f'pragma table_info("{t}")'))
    f = os.path.abspath(os.path.join(sys.argv[2], f"{t}.csv"))
    print(f"\\copy \"public\".\"{t}\" ({cols}) FROM '{f}' WITH (FORMAT csv, NULL 'NULL')")
EOF
  # for full2: after the load, every primary key, then what cutover's plan runs after the data
  "$CUTOVER" plan "$SRC" --dialect postgres --json > "$LOGS/cutover_plan.json"
  python3 - "$LOGS/cutover_plan.json" > "$LOGS/limit_post.sql" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
q = lambda n: '"' + n.replace('"', '""') + '"'
print("\\timing on")
for t in plan["tables"]:
    if t["primary_key"]:
        print(f'ALTER TABLE "public".{q(t["target_name"])} ADD PRIMARY KEY ({", ".join(q(c) for c in t["primary_key"])});')
for st in plan["statements"]:
    if st["phase"] in ("indexes", "foreign_keys", "identity_resets"):
        print(st["sql"].rstrip(";") + ";")
EOF
  # for nopk2: the table with the most rows in one session, the rest in the other
  local big
  big=$(for t in $TABLES; do echo "$(sqlite3 "$SRC" "select count(*) from \"$t\"") $t"; done | sort -n | tail -1 | cut -d' ' -f2)
  { echo '\timing on'; grep -F "\"public\".\"$big\" " "$LOGS/limit_load.sql"; } > "$LOGS/limit_load_g1.sql"
  grep -vF "\"public\".\"$big\" " "$LOGS/limit_load.sql" > "$LOGS/limit_load_g2.sql"
}

# for bin2: binary files of cutover's loaded tables, written by the server (COPY TO needs
# a superuser or pg_write_server_files, and the server on this machine)
BIN_DIR=$BENCH_DIR/bin-scale$SCALE
export_bin() {
  rm -rf "$BIN_DIR" && mkdir -p "$BIN_DIR" && chmod 777 "$BIN_DIR"
  local t big
  big=$(for t in $TABLES; do echo "$(sqlite3 "$SRC" "select count(*) from \"$t\"") $t"; done | sort -n | tail -1 | cut -d' ' -f2)
  echo '\timing on' > "$LOGS/limit_bin_g1.sql"
  echo '\timing on' > "$LOGS/limit_bin_g2.sql"
  for t in $TABLES; do
    "${PSQL[@]}" -d bench_cutover -c "COPY \"public\".\"$t\" TO '$BIN_DIR/$t.bin' WITH (FORMAT binary)" \
      || die "bin2: the server could not write $BIN_DIR/$t.bin (COPY TO needs a superuser and the server on this machine)"
    local g=g2; [ "$t" = "$big" ] && g=g1
    echo "COPY \"public\".\"$t\" FROM '$BIN_DIR/$t.bin' WITH (FORMAT binary);" >> "$LOGS/limit_bin_$g.sql"
  done
  log "bin2: $(du -sm "$BIN_DIR" | cut -f1) MB of binary COPY files from bench_cutover"
}

run_limit() {
  local variant=$1 run=$2 busy db=bench_limit
  if [ "$variant" = bin2 ]; then
    has cutover || { log "bin2 needs METHODS to include cutover (its loaded tables are the files): skipped"; return; }
    if ! [ -s "$LOGS/limit_bin_g1.sql" ] || ! [ -d "$BIN_DIR" ]; then export_bin; fi
  fi
  pg_recreate $db
  local ddl=${variant%2}; [ "$ddl" = full ] && ddl=nopk; [ "$ddl" = bin ] && ddl=nopk
  "${PSQL[@]}" -d $db -f "$LOGS/limit_ddl_$ddl.sql" >/dev/null
  wait_quiet
  pg_ckpt
  busy=$(busy_note)
  if [ "$variant" = nopk2 ]; then
    # two sessions at once: the largest table | all the others (cutover loads 2 tables at once on 2 cores)
    timed "limit-$variant" "$run" "$LOGS/limit_${variant}_run$run.log" -- bash -c \
      "${PSQL[*]} -d $db -f $LOGS/limit_load_g1.sql & a=\$!; ${PSQL[*]} -d $db -f $LOGS/limit_load_g2.sql & b=\$!; wait \$a && wait \$b"
  elif [ "$variant" = bin2 ]; then
    timed "limit-$variant" "$run" "$LOGS/limit_${variant}_run$run.log" -- bash -c \
      "${PSQL[*]} -d $db -f $LOGS/limit_bin_g1.sql & a=\$!; ${PSQL[*]} -d $db -f $LOGS/limit_bin_g2.sql & b=\$!; wait \$a && wait \$b"
  elif [ "$variant" = full2 ]; then
    # the same two sessions, then keys, indexes, FKs and identity restarts in one session
    timed "limit-$variant" "$run" "$LOGS/limit_${variant}_run$run.log" -- bash -c \
      "${PSQL[*]} -d $db -f $LOGS/limit_load_g1.sql & a=\$!; ${PSQL[*]} -d $db -f $LOGS/limit_load_g2.sql & b=\$!; wait \$a && wait \$b && ${PSQL[*]} -d $db -f $LOGS/limit_post.sql"
  else
    timed "limit-$variant" "$run" "$LOGS/limit_${variant}_run$run.log" -- \
      "${PSQL[@]}" -d $db -f "$LOGS/limit_load.sql"
  fi
  # shellcheck disable=SC2086
  record "copy-limit-$variant" "$run" "$(target_rows $db)" - - - - - $busy
}

# ------------------------------------------------------------------ correctness of cutover's result
check_cutover() {
  local t=production_entries out=$LOGS/check.txt
  log "checking bench_cutover.$t against the source"
  local s p
  s=$(sqlite3 -separator '|' "$SRC" "select count(*), printf('%!.17g', sum(yield_pct)),
        sum(cast(round(yield_pct*10000) as integer)), printf('%!.17g', sum(temperature_c)), count(temperature_c) from $t")
  # parallel aggregation off and an ordered subquery: the double sum adds in id order, like SQLite's
  p=$("${PSQL[@]}" -d bench_cutover -At -F '|' -c "SET max_parallel_workers_per_gather = 0" -c "select count(*), sum(yield_pct),
        sum(yield_pct*10000)::bigint, sum(temperature_c), count(temperature_c) from (select * from $t order by id) s")
  python3 - "$s" "$p" <<'EOF' 2>&1 | tee "$out" >&2
import sys
s, p = (x.split("|") for x in sys.argv[1:3])
names = ["count(*)", "sum(yield_pct)  [numeric(10,4); SQLite sums doubles]",
         "sum(yield_pct*10^4) exact integer", "sum(temperature_c)  [double]", "count(temperature_c)"]
same = [s[0] == p[0], abs(float(s[1]) - float(p[1])) < 1e-6 * max(1.0, abs(float(p[1]))),
        int(s[2]) == int(p[2]), float(s[3]) == float(p[3]), s[4] == p[4]]
print("production_entries: sqlite3 CLI vs psql on bench_cutover")
for n, a, b, ok in zip(names, s, p, same):
    print(f"  {n:55s} sqlite {a:>24s}  pg {b:>24s}  {'match' if ok else 'MISMATCH'}")
print("  (sum(yield_pct): SQLite adds the REAL approximations, PG the exact decimals; compared to 1e-6 relative.")
print("   sum(temperature_c): compared as doubles for exact equality, both engines adding in id order;")
print("   with PG's default parallel aggregation the last digits vary from run to run)")
EOF
  # value by value: doubles must be bit-identical, numerics equal to the decimal the
  # source's REAL spells (repr), for every row matched by id
  "${PSQL[@]}" -d bench_cutover -c \
    "\\copy (select id, yield_pct, temperature_c from $t order by id) to '$LOGS/check_pg.tsv'"
  python3 - "$SRC" "$LOGS/check_pg.tsv" <<'EOF' 2>&1 | tee -a "$out" >&2
import sqlite3, sys
from decimal import Decimal
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
src = con.execute("select id, yield_pct, temperature_c from production_entries order by id")
bad_y = bad_t = n = 0
examples = []
with open(sys.argv[2]) as f:
    for line, (sid, y, tc) in zip(f, src):
        pid, py, ptc = line.rstrip("\n").split("\t")
        n += 1
        if int(pid) != sid:
            sys.exit(f"row {n}: id {pid} in PG, {sid} in SQLite: stopping")
        want_y = None if y is None else Decimal(repr(y))
        got_y = None if py == r"\N" else Decimal(py)
        if want_y != got_y:
            bad_y += 1
            if len(examples) < 5: examples.append(("yield_pct", sid, y, py))
        got_t = None if ptc == r"\N" else float(ptc)
        if (tc is None) != (got_t is None) or (tc is not None and float(tc) != got_t):
            bad_t += 1
            if len(examples) < 5: examples.append(("temperature_c", sid, tc, ptc))
print(f"value by value over {n:,d} rows: yield_pct mismatches {bad_y}, temperature_c mismatches {bad_t}")
for e in examples:
    print("  e.g.", e)
EOF
}

# ------------------------------------------------------------------ run
if has limit; then
  export_csv
  limit_scripts
  rm -f "$LOGS/limit_bin_g1.sql"  # bin2's files come from this run's cutover
fi
if has duckdb || has duckdb-exact; then duckdb_venv; fi
for run in $(seq 1 "$RUNS"); do
  has cutover && run_cutover "$run"
  if [ -n "${BASE_BIN:-}" ]; then run_cutover "$run" cutover-base "$BASE_BIN"; fi
  has duckdb && run_duckdb "$run"
  has duckdb-exact && run_duckdb_exact "$run"
  has pgloader && run_pgloader "$run"
  if has limit; then
    for v in $LIMIT_VARIANTS; do run_limit "$v" "$run"; done
  fi
done
has check && check_cutover

# ------------------------------------------------------------------ summary
python3 - "$TSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
order, by = [], {}
for r in rows:
    if r["method"] not in by:
        order.append(r["method"])
    by.setdefault(r["method"], []).append(r)
med = lambda xs: statistics.median(xs)
print()
print("| method | median wall (s) | runs (s) | rows/s | median peak RSS (MB) | client CPU s (median) | machine CPU s per run | rc | notes |")
print("|---|---|---|---|---|---|---|---|---|")
m_wall = {}
for m in order:
    rs = by[m]
    walls = [float(r["wall_s"]) for r in rs]
    n = int(rs[0]["rows"])
    w = med(walls)
    m_wall[m] = w
    rss = med([int(r["maxrss_kb"]) for r in rs]) / 1024
    rcs = ",".join(sorted({r["rc"] for r in rs}))
    note = ""
    if m.startswith("cutover") and rs[0]["load_s"] != "-":
        loads = [float(r["load_s"]) for r in rs]
        m_wall[m + "-load"] = med(loads)
        note = (f"phases (median s): create {med([float(r['create_s']) for r in rs]):.2f}, "
                f"load {med(loads):.2f} ({' / '.join(f'{x:.2f}' for x in loads)}), "
                f"post {med([float(r['post_s']) for r in rs]):.2f}; ")
    if m.startswith("cutover") and rs[0]["tiermax_s"] != "-":
        note += (f"report: tier-max formula {med([float(r['tiermax_s']) for r in rs]):.2f}, "
                 f"sum of table seconds {med([float(r['tblsum_s']) for r in rs]):.2f}")
    bad = [r for r in rs if r["rows_in_target"] != r["rows"]]
    if bad:
        note += f" ROW COUNT MISMATCH in {len(bad)} run(s)"
    cpu = med([float(r["client_cpu_s"]) for r in rs])
    mcpu = " / ".join(r["machine_cpu_s"] for r in rs)
    print(f"| {m} | {w:.2f} | {' / '.join(f'{x:.2f}' for x in walls)} | {n / w:,.0f} | {rss:.0f} | {cpu:.2f} | {mcpu} | {rcs} | {note} |")
print()
if "cutover" in m_wall and "pgloader" in m_wall:
    print(f"cutover / pgloader end to end: {m_wall['cutover'] / m_wall['pgloader']:.2f}x the time "
          f"({m_wall['pgloader'] / m_wall['cutover']:.2f}x pgloader's speed)")
if "cutover" in m_wall and "cutover-base" in m_wall:
    print(f"cutover / cutover-base (the earlier build): {m_wall['cutover'] / m_wall['cutover-base']:.2f}x end to end"
          + (f", load phase {m_wall['cutover-load'] / m_wall['cutover-base-load']:.2f}x" if "cutover-base-load" in m_wall and "cutover-load" in m_wall else ""))
if "cutover-load" in m_wall and "duckdb" in m_wall:
    print(f"cutover load phase / duckdb (data only): {m_wall['cutover-load'] / m_wall['duckdb']:.2f}x (bar: <= 1.3x)")
if "cutover-load" in m_wall and "duckdb-exact" in m_wall:
    print(f"cutover load phase / duckdb-exact (the same exact types): {m_wall['cutover-load'] / m_wall['duckdb-exact']:.2f}x")
    print(f"cutover end to end / duckdb-exact (data only): {m_wall['cutover'] / m_wall['duckdb-exact']:.2f}x")
if "copy-limit-bin2" in m_wall and "duckdb" in m_wall:
    print(f"copy-limit-bin2 (no client) / duckdb: {m_wall['copy-limit-bin2'] / m_wall['duckdb']:.2f}x")
for v in ("nopk", "pk", "nopk2", "full2", "bin2"):
    k = f"copy-limit-{v}"
    if "cutover-load" in m_wall and k in m_wall:
        print(f"cutover load phase / {k}: {m_wall['cutover-load'] / m_wall[k]:.2f}x")
    if "cutover" in m_wall and k in m_wall:
        print(f"cutover end to end / {k}: {m_wall['cutover'] / m_wall[k]:.2f}x")
EOF
log "per-run data: $TSV; logs: $LOGS"
exit $FAILED
