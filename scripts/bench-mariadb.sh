#!/usr/bin/env bash
# Benchmark `cutover migrate` (SQLite -> MariaDB) against sqlite3-to-mysql and against
# MariaDB's own LOAD DATA limit, on the same server and the same generated SQLite file.
#
# Methods (the target database is dropped and recreated before every timed run; before a
# run the script waits for InnoDB to flush its dirty pages and for the machine to go
# quiet; wall time, peak RSS and CPU of the client process by `/usr/bin/time`; server
# memory is not included; the busy CPU seconds of the whole machine during each run are
# logged to spot disturbed runs):
#   cutover   target/release/cutover migrate FILE --to mariadb://root@127.0.0.1:3306/bench_cutover
#             --state DIR/state-mariadb.json --progress none --report DIR/report-mariadb.json
#             [--jobs $JOBS]: create mode, end to end (tables, data, indexes, FKs, AUTO_INCREMENT).
#             Load phase: the report's `load_seconds` when it has that field; otherwise an
#             estimate from the per-table `seconds`: the tables scheduled as create mode runs
#             them (most rows first, each on the first free of JOBS-or-cores connections) and
#             the finishing time of the last one taken. The plain sum of the per-table seconds
#             is listed too.
#   s2m       sqlite3mysql -f FILE -d bench_s2m -u root -h 127.0.0.1 -P 3306 (sqlite3-to-mysql
#             from PyPI, defaults, installed into a venv in BENCH_DIR); end to end. ~3 min a run
#             at scale 1, so S2M_RUNS defaults to 1.
#   loaddata  MariaDB's own ingest limit: every table exported once (not timed) by
#             scripts/bench_mariadb_csv.py into MariaDB's text format (TAB separated, backslash
#             escapes, \N = NULL, BLOBs as hex loaded through UNHEX; see that file), tables
#             created from the CREATE TABLE statements of `cutover plan FILE --dialect mariadb
#             --ddl` (cutover's column types, primary keys kept, no secondary index, no FK),
#             then one `mariadb --local-infile=1` session running LOAD DATA LOCAL INFILE for
#             every table, one after another; that session is what is timed.
#   loadfull  the server's own full-scope path: as loaddata, but the tables also get the
#             secondary indexes, unique keys and foreign keys of cutover's plan (added while
#             they are empty, before the timed part, so InnoDB maintains them during the
#             load, as a mysqldump-style restore does), and the session loads with
#             foreign_key_checks and unique_checks off; the bar for cutover end to end.
#   duckdb    DuckDB 1.4.4 with its sqlite and mysql extensions (pip wheels, loaded offline
#             from a venv in BENCH_DIR/duckdb-venv): `CREATE TABLE t.x AS SELECT * FROM s.x`
#             table by table; data only, and inexact (no keys, indexes or FKs; datetimes
#             lose their fractions).
# After every run: the row count of all tables (must equal the source's), and for cutover
# and loaddata (and s2m once the export exists) a value check of sample rows: the first and
# last row of every table and the rows with awkward values (NULL, '', 'NULL', '\N',
# backslashes, tabs, newlines, quotes, non-ASCII, empty BLOBs), compared column by column
# with the source; "K/N" in the results = K of N sample rows differ (details in the logs).
# rows/s = total rows of the source's tables (1,000,596 at scale 1) / median wall.
#
# Run (from anywhere; MariaDB on 127.0.0.1:3306, user root, empty password; the script
# starts /usr/sbin/mariadbd if it does not answer):
#   scripts/bench-mariadb.sh                              # scale 1; 3 runs (s2m: 1)
#   METHODS="cutover loaddata" RUNS=5 scripts/bench-mariadb.sh
# Environment:
#   SCALE=1          --rows-scale for gen_bench_db.py (seed 42); file BENCH_DIR/bench$SCALE.sqlite
#   RUNS=3           timed runs of cutover and loaddata
#   S2M_RUNS=1       timed runs of sqlite3-to-mysql
#   METHODS="cutover duckdb s2m loaddata loadfull"
#   JOBS=            passed as --jobs to cutover when set (default: cutover's own, = cores)
#   BENCH_DIR=/tmp/cutover-bench   cache and work dir: source, export, venv, logs, results
#   MYPORT=3306      MariaDB port on 127.0.0.1
#   SKIP_BUILD=0     1: no `cargo build --release`, use the existing target/release/cutover
#   CUTOVER_BIN=     benchmark this cutover binary instead (no build), e.g. the copy
#                    BENCH_DIR/cutover-mariadb.bin a previous run left, to compare on one build
#   BASE_BIN=        also run this (earlier) cutover binary as method `cutover-base`,
#                    alternating with `cutover` in the same session: before / after in one run
#   S2M_VERSION=     pip version pin for sqlite3-to-mysql (default: the newest)
#   QUIET_WAIT=120   wait up to this many seconds before each run for >= QUIET_IDLE % idle CPU
#   QUIET_IDLE=85    over 3 consecutive seconds (0 s: don't wait)
#   KEEP_DBS=0       1: leave the bench_* databases on the server for inspection
# Needs: cargo, python3 (with venv), mariadb client, sqlite3; installs `time` with apt-get
# when /usr/bin/time is missing.
# Output: per-run lines on stderr; a Markdown summary and the per-run table on stdout, also
# in BENCH_DIR/summary-mariadb-scale$SCALE.md; raw numbers in
# BENCH_DIR/results-mariadb-scale$SCALE.tsv; logs in BENCH_DIR/logs-mariadb-scale$SCALE/
# (all overwritten by the next run at the same scale).
# Exit status 1 when any run failed or left a row count different from the source.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
SCALE=${SCALE:-1}
RUNS=${RUNS:-3}
S2M_RUNS=${S2M_RUNS:-1}
METHODS=${METHODS:-"cutover duckdb s2m loaddata loadfull"}
JOBS=${JOBS:-}
BENCH_DIR=${BENCH_DIR:-/tmp/cutover-bench}
MYPORT=${MYPORT:-3306}
SKIP_BUILD=${SKIP_BUILD:-0}
S2M_VERSION=${S2M_VERSION:-}
QUIET_WAIT=${QUIET_WAIT:-120}
QUIET_IDLE=${QUIET_IDLE:-85}
KEEP_DBS=${KEEP_DBS:-0}

SRC=$BENCH_DIR/bench$SCALE.sqlite
DATA_DIR=$BENCH_DIR/loaddata-scale$SCALE
LOGS=$BENCH_DIR/logs-mariadb-scale$SCALE
TSV=$BENCH_DIR/results-mariadb-scale$SCALE.tsv
SUMMARY=$BENCH_DIR/summary-mariadb-scale$SCALE.md
VENV=$BENCH_DIR/venv-s2m
HELPER=$ROOT/scripts/bench_mariadb_csv.py
CUTOVER=$BENCH_DIR/cutover-mariadb.bin
MY=(mariadb --protocol=tcp -h 127.0.0.1 -P "$MYPORT" -u root)
MY_URL=mariadb://root@127.0.0.1:$MYPORT

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }
has() { [[ " $METHODS " == *" $1 "* ]]; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
my_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$MYPORT" -u root ping >/dev/null 2>&1; }
my_q() { "${MY[@]}" -N -B -e "$1"; }   # one query, tab-separated result without header

for m in $METHODS; do
  case $m in cutover|s2m|loaddata|loadfull|duckdb) ;; *) die "unknown method '$m' in METHODS (cutover duckdb s2m loaddata loadfull)";; esac
done
for tool in python3 mariadb mariadb-admin sqlite3; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
if [ ! -x /usr/bin/time ]; then
  log "installing time (for /usr/bin/time)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2 || {
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
  }
fi
mkdir -p "$BENCH_DIR" "$LOGS"

# ------------------------------------------------------------------ the server
if ! my_up; then
  log "MariaDB does not answer on 127.0.0.1:$MYPORT; starting /usr/sbin/mariadbd"
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do my_up && break; sleep 1; done
  my_up || die "MariaDB still does not answer on 127.0.0.1:$MYPORT after 60 s"
fi

# every bench_* database this run creates is dropped on exit; local_infile is restored
CREATED_DBS=()
RESTORE_LOCAL_INFILE=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  set +e
  if [ "$KEEP_DBS" != 1 ]; then
    for db in "${CREATED_DBS[@]}"; do my_q "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1; done
  fi
  if [ -n "$RESTORE_LOCAL_INFILE" ]; then
    my_q "SET GLOBAL local_infile = $RESTORE_LOCAL_INFILE" && log "local_infile restored to $RESTORE_LOCAL_INFILE"
  fi
}
trap cleanup EXIT

my_recreate() {  # my_recreate DB
  case " ${CREATED_DBS[*]} " in *" $1 "*) ;; *) CREATED_DBS+=("$1");; esac
  my_q "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4" >/dev/null
}

# ------------------------------------------------------------------ the source file
if [ ! -s "$SRC" ]; then
  log "generating $SRC (scale $SCALE, seed 42)"
  python3 "$SHARED/bench/gen_bench_db.py" --rows-scale "$SCALE" --seed 42 --force "$SRC.part" 2>&1 \
    | tee "$LOGS/gen.log" >&2
  mv "$SRC.part" "$SRC"
fi
ROWS=$(python3 "$HELPER" rows "$SRC")
COUNT_SQL=$(python3 "$HELPER" count-sql "$SRC")
log "source $SRC: $ROWS rows, $(du -mL "$SRC" | cut -f1) MB"

# ------------------------------------------------------------------ tools: cutover, s2m
SETUP_FAILED=""   # "method:reason" words for methods that could not be set up
if [ -n "${CUTOVER_BIN:-}" ] && { has cutover || has loaddata; }; then
  [ -x "$CUTOVER_BIN" ] || die "CUTOVER_BIN=$CUTOVER_BIN is not executable"
  CUTOVER=$CUTOVER_BIN
elif has cutover || has loaddata; then
  built=1
  if [ "$SKIP_BUILD" != 1 ]; then
    # someone may be editing the tree right now: retry a failed build twice, 60 s apart
    for try in 1 2 3; do
      if (cd "$ROOT" && cargo build --release 2>&1 | tail -3) >&2; then built=1; break; fi
      built=0
      [ "$try" = 3 ] || { log "cargo build --release failed (try $try); retrying in 60 s"; sleep 60; }
    done
  fi
  if [ -x "$ROOT/target/release/cutover" ]; then
    # a private copy: a concurrent build must not swap the binary in the middle of a run
    cp "$ROOT/target/release/cutover" "$CUTOVER.part" && mv "$CUTOVER.part" "$CUTOVER"
    touch -r "$ROOT/target/release/cutover" "$CUTOVER"
  fi
  if [ "$built" = 0 ]; then
    log "cargo build --release failed 3 times: cutover is not benchmarked"
    SETUP_FAILED+=" cutover:build-failed"
    [ -x "$CUTOVER" ] && log "loaddata uses the existing binary for \`plan --ddl\` only"
  fi
  [ -x "$CUTOVER" ] || SETUP_FAILED+=" cutover:no-binary loaddata:no-cutover-binary-for-plan-ddl"
fi
if has s2m && [ ! -x "$VENV/bin/sqlite3mysql" ]; then
  log "installing sqlite3-to-mysql${S2M_VERSION:+==$S2M_VERSION} into $VENV"
  if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "sqlite3-to-mysql${S2M_VERSION:+==$S2M_VERSION}"; } \
       >"$LOGS/s2m-install.log" 2>&1; then
    log "installing sqlite3-to-mysql failed (see $LOGS/s2m-install.log)"
    SETUP_FAILED+=" s2m:pip-install-failed"
  fi
fi
setup_failed() { [[ " $SETUP_FAILED " == *" $1:"* ]]; }

# ------------------------------------------------------------------ loaddata preparation
if { has loaddata || has loadfull; } && ! setup_failed loaddata; then
  state=$(my_q "SELECT @@global.local_infile")
  if [ "$state" != 1 ]; then
    log "NOTE: the server has local_infile=OFF; LOAD DATA LOCAL needs it: SET GLOBAL local_infile=1 for this run (restored on exit)"
    my_q "SET GLOBAL local_infile = 1"
    RESTORE_LOCAL_INFILE=$state
  fi
fi
if { has loaddata || has loadfull || has cutover; } && [ -x "$CUTOVER" ]; then
  # loadfull: the plan's secondary indexes, unique keys and FKs, added to the empty tables
  "$CUTOVER" plan "$SRC" --dialect mariadb --json >"$LOGS/plan.json" 2>>"$LOGS/plan_ddl.err" &&
    python3 - "$LOGS/plan.json" >"$LOGS/keys.sql" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
print("SET foreign_key_checks = 0;")
for st in plan["statements"]:
    if st["phase"] in ("indexes", "foreign_keys"):
        print(st["sql"].rstrip(";") + ";")
EOF
  if "$CUTOVER" plan "$SRC" --dialect mariadb --ddl >"$LOGS/plan_ddl.sql" 2>"$LOGS/plan_ddl.err"; then
    # export once (cached in DATA_DIR, not timed): the data files, tables.sql, load.sql, check.sql
    /usr/bin/time -f '%e %M' -o "$LOGS/export.time" \
      python3 "$HELPER" prepare "$SRC" "$LOGS/plan_ddl.sql" "$DATA_DIR" 2>&1 | tee "$LOGS/export.log" >&2
    if [ "${PIPESTATUS[0]}" != 0 ]; then
      log "export failed (see $LOGS/export.log)"
      SETUP_FAILED+=" loaddata:export-failed"
    else
      if grep -q '^export exists' "$LOGS/export.log"; then
        log "export reused: $(du -sm "$DATA_DIR" | cut -f1) MB in $DATA_DIR"
      else
        log "export: $(awk '{printf "%.2f s, peak RSS %d KB", $1, $2}' "$LOGS/export.time"), $(du -sm "$DATA_DIR" | cut -f1) MB in $DATA_DIR"
      fi
    fi
  else
    log "cutover plan --dialect mariadb --ddl failed: $(head -3 "$LOGS/plan_ddl.err")"
    SETUP_FAILED+=" loaddata:plan-ddl-failed"
  fi
fi

{
  echo "date: $(date -Is)"
  echo "host: $(nproc) cpu, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
  echo "server: $(my_q "SELECT VERSION()")"
  echo "server settings: $(my_q "SELECT GROUP_CONCAT(CONCAT(LOWER(variable_name), '=', variable_value) ORDER BY variable_name SEPARATOR ' ')
    FROM information_schema.global_variables WHERE variable_name IN ('innodb_buffer_pool_size', 'innodb_log_file_size',
    'innodb_flush_log_at_trx_commit', 'innodb_doublewrite', 'log_bin', 'local_infile', 'max_allowed_packet', 'sql_mode',
    'character_set_server', 'collation_server')")"
  echo "client: $(mariadb --version)"
  if [ -x "$CUTOVER" ]; then
    echo "cutover: HEAD $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'), binary built $(date -r "$CUTOVER" -Is); working tree:"
    (cd "$ROOT" && git status --porcelain 2>/dev/null | sed 's/^/    /')
  fi
  if has s2m && [ -x "$VENV/bin/pip" ]; then
    echo "sqlite3-to-mysql: $("$VENV/bin/pip" list 2>/dev/null | awk '$1 ~ /^(sqlite3-to-mysql|mysql-connector-python|PyMySQL)$/ {printf "%s %s  ", $1, $2}')"
  fi
  echo "python3: $(python3 -c 'import sys; print(sys.version.split()[0])'), sqlite3: $(sqlite3 --version | cut -d' ' -f1)"
  echo "source: $SRC, $ROWS rows, scale $SCALE; RUNS=$RUNS S2M_RUNS=$S2M_RUNS METHODS=\"$METHODS\" JOBS=${JOBS:-default}"
  if [ -n "$SETUP_FAILED" ]; then echo "setup failures:$SETUP_FAILED"; fi
} | tee "$LOGS/env.txt" >&2

# ------------------------------------------------------------------ measuring
printf 'method\trun\twall_s\tmaxrss_kb\trc\trows\trows_in_target\tload_s\tload_how\ttblsum_s\tclient_cpu_s\tmachine_cpu_s\tloadavg_before\tother_sessions\twarnings\tsample_check\terror\n' >"$TSV"
FAILED=0

busy_jiffies() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
idle_pct() {  # idle + iowait share of the CPU over one second
  local a b
  read -r -a a </proc/stat; sleep 1; read -r -a b </proc/stat
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * ((b[4] - a[4]) + (b[5] - a[5])) / total : 100 ))
}
settle() {  # before a run: InnoDB dirty pages flushed (<= 200, at most 60 s), then a quiet machine
  local t=$SECONDS dirty
  while dirty=$(my_q "SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'INNODB_BUFFER_POOL_PAGES_DIRTY'") \
        && [ "${dirty:-0}" -gt 200 ] && [ $((SECONDS - t)) -lt 60 ]; do
    sleep 1
  done
  [ "$QUIET_WAIT" -gt 0 ] || return 0
  local start=$SECONDS quiet=0
  while [ $((SECONDS - start)) -lt "$QUIET_WAIT" ]; do
    if [ "$(idle_pct)" -ge "$QUIET_IDLE" ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -ge 3 ] && return 0
  done
  log "the machine is still busy after ${QUIET_WAIT}s; running anyway (load average and sessions are logged)"
}
busy_note() {  # 1-min load average and the server's other non-idle sessions
  local sessions
  sessions=$(my_q "SELECT COUNT(*) FROM information_schema.processlist WHERE command NOT IN ('Sleep', 'Daemon') AND id <> CONNECTION_ID()" 2>/dev/null || echo '?')
  echo "$(cut -d' ' -f1 /proc/loadavg) $sessions"
}

# timed LOG cmd... : runs cmd under /usr/bin/time, stdout+stderr to LOG, stdin from
# $TIMED_STDIN (default /dev/null); sets WALL RSS RC CPU (client user+sys) MCPU (machine busy s)
timed() {
  local logf=$1; shift
  local tf=$LOGS/.time.$$ j0 j1 user sys
  RC=0
  : >"$tf"
  j0=$(busy_jiffies)
  /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" <"${TIMED_STDIN:-/dev/null}" >"$logf" 2>&1 || RC=$?
  j1=$(busy_jiffies)
  # a command that could not start leaves "Command exited with non-zero status" lines only
  read -r WALL RSS user sys < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$tf" | tail -1 || echo "0 0 0 0")
  CPU=$(awk -v a="$user" -v b="$sys" 'BEGIN { printf "%.2f", a + b }')
  MCPU=$(awk -v a="$j0" -v b="$j1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
  rm -f "$tf"
}
target_rows() { "${MY[@]}" -N -B -D "$1" -e "$COUNT_SQL" 2>/dev/null || echo ERR; }
sample_check() {  # sample_check DB OUT -> "bad/total" (or "-" when there is no export, ERR)
  [ -s "$DATA_DIR/check.sql" ] || { echo -; return; }
  local total res
  total=$(cat "$DATA_DIR/samples")
  if ! res=$("${MY[@]}" -N -B -D "$1" <"$DATA_DIR/check.sql" 2>"$2.err"); then echo ERR; return; fi
  printf '%s\n' "$res" >"$2"
  local found bad detail cols=""
  IFS=$'\t' read -r found bad detail <<<"$res"
  [ "$found" = "$total" ] || bad="$bad+$((total - found))missing"
  # the names of the columns that differ ("table[key]:col,col table[key]:col" -> "col,col")
  [ "$detail" = - ] || cols=" ($(tr ' ' '\n' <<<"$detail" | cut -d: -f2- | tr ',' '\n' | sort -u | paste -sd, -))"
  echo "$bad/$total$cols"
}
first_error() {  # a short reason from a failed run's log
  local line
  line=$(grep -m1 -iE 'error|fail|not supported|denied|refused|traceback' "$1" 2>/dev/null || tail -1 "$1" 2>/dev/null || true)
  printf '%s' "${line:-no output}" | tr '\t\r\n' '   ' | cut -c1-200
}
record() {  # record METHOD RUN ROWS_IN_TARGET LOAD LOAD_HOW TBLSUM BUSY(2 words) WARNINGS CHECK ERROR
  local method=$1 run=$2 tgt=$3 load=$4 how=$5 tblsum=$6 la=$7 act=$8 warn=$9 check=${10} err=${11}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$method" "$run" "$WALL" "$RSS" "$RC" \
    "$ROWS" "$tgt" "$load" "$how" "$tblsum" "$CPU" "$MCPU" "$la" "$act" "$warn" "$check" "$err" >>"$TSV"
  local extra=""
  [ "$load" != - ] && extra="  load ${load}s ($how; table sum ${tblsum}s)"
  [ "$warn" != - ] && extra="$extra  warnings $warn"
  printf '%-9s run %s  wall %7.2fs  maxrss %7d KB  rc %s  rows in target %s  sample check %s%s  [cpu s: client %s, machine %s; before: load avg %s, other sessions %s]\n' \
    "$method" "$run" "$WALL" "$RSS" "$RC" "$tgt" "$check" "$extra" "$CPU" "$MCPU" "$la" "$act" >&2
  if [ "$RC" != 0 ] || [ "$tgt" != "$ROWS" ]; then
    FAILED=1
    log "$method run $run FAILED: rc $RC, $tgt rows in target (expected $ROWS): $err"
  fi
}
record_setup_failure() {  # record_setup_failure METHOD RUN
  local reason
  reason=$(tr ' ' '\n' <<<"$SETUP_FAILED" | grep "^$1:" | head -1 | cut -d: -f2-)
  WALL=0 RSS=0 CPU=0 MCPU=0 RC=setup
  record "$1" "$2" - - - - - - - - "setup failed: $reason"
}

# ------------------------------------------------------------------ the methods
run_cutover() {
  local run=$1 name=${2:-cutover} bin=${3:-$CUTOVER}
  local busy db=bench_cutover
  local rep=$BENCH_DIR/report-mariadb.json state=$BENCH_DIR/state-mariadb.json logf=$LOGS/${name}_run$run.log
  my_recreate "$db"
  rm -f "$rep" "$state"
  settle
  busy=$(busy_note)
  timed "$logf" "$bin" migrate "$SRC" --to "$MY_URL/$db" --state "$state" \
    --progress none --report "$rep" ${JOBS:+--jobs "$JOBS"}
  local phase="- - -" err="" check=-
  if [ -s "$rep" ]; then
    cp "$rep" "$LOGS/${name}_report_run$run.json"
    phase=$(python3 "$HELPER" load-phase "$rep" "${JOBS:-$(nproc)}" || echo "- - -")
  fi
  [ "$RC" = 0 ] || err=$(first_error "$logf")
  [ "$RC" = 0 ] && check=$(sample_check "$db" "$LOGS/check_${name}_run$run.txt")
  # shellcheck disable=SC2086  # phase and busy are lists of words on purpose
  record "$name" "$run" "$(target_rows "$db")" $phase $busy - "$check" "$err"
}

run_s2m() {
  local run=$1
  local busy db=bench_s2m logf=$LOGS/s2m_run$run.log
  my_recreate "$db"
  settle
  busy=$(busy_note)
  timed "$logf" "$VENV/bin/sqlite3mysql" -f "$SRC" -d "$db" -u root -h 127.0.0.1 -P "$MYPORT"
  local err="" check=-
  [ "$RC" = 0 ] || err=$(first_error "$logf")
  [ "$RC" = 0 ] && check=$(sample_check "$db" "$LOGS/check_s2m_run$run.txt")
  # shellcheck disable=SC2086
  record s2m "$run" "$(target_rows "$db")" - - - $busy - "$check" "$err"
}

run_loaddata() {
  local run=$1
  local busy db=bench_loaddata logf=$LOGS/loaddata_run$run.log
  my_recreate "$db"
  "${MY[@]}" -D "$db" <"$DATA_DIR/tables.sql"
  settle
  busy=$(busy_note)
  TIMED_STDIN=$DATA_DIR/load.sql timed "$logf" "${MY[@]}" --local-infile=1 -N -B -D "$db"
  local err="" check=- warn
  # the "loaded TABLE ROWS WARNINGS" lines load.sql prints after every LOAD DATA
  warn=$(awk -F'\t' '$1 == "loaded" { w += $4; n++ } END { print (n ? w : "-") }' "$logf")
  [ "$RC" = 0 ] || err=$(first_error "$logf")
  [ "$RC" = 0 ] && check=$(sample_check "$db" "$LOGS/check_loaddata_run$run.txt")
  # shellcheck disable=SC2086
  record loaddata "$run" "$(target_rows "$db")" - - - $busy "$warn" "$check" "$err"
}

run_loadfull() {
  local run=$1
  local busy db=bench_loadfull logf=$LOGS/loadfull_run$run.log
  my_recreate "$db"
  "${MY[@]}" -D "$db" <"$DATA_DIR/tables.sql"
  "${MY[@]}" -D "$db" <"$LOGS/keys.sql"
  { echo "SET foreign_key_checks = 0; SET unique_checks = 0;"; cat "$DATA_DIR/load.sql"; } >"$LOGS/load_full.sql"
  settle
  busy=$(busy_note)
  TIMED_STDIN=$LOGS/load_full.sql timed "$logf" "${MY[@]}" --local-infile=1 -N -B -D "$db"
  local err="" check=- warn
  warn=$(awk -F'\t' '$1 == "loaded" { w += $4; n++ } END { print (n ? w : "-") }' "$logf")
  [ "$RC" = 0 ] || err=$(first_error "$logf")
  [ "$RC" = 0 ] && check=$(sample_check "$db" "$LOGS/check_loadfull_run$run.txt")
  # shellcheck disable=SC2086
  record loadfull "$run" "$(target_rows "$db")" - - - $busy "$warn" "$check" "$err"
}

DUCK_VENV=$BENCH_DIR/duckdb-venv
DUCK_COPY=$ROOT/scripts/bench_duckdb.py
duckdb_venv() {
  [ -x "$DUCK_VENV/bin/python" ] && "$DUCK_VENV/bin/python" -c "import duckdb" 2>/dev/null && return
  log "installing DuckDB 1.4.4 and its sqlite/postgres/mysql extensions into $DUCK_VENV (PyPI wheels)"
  python3 -m venv "$DUCK_VENV"
  "$DUCK_VENV/bin/pip" install -q duckdb==1.4.4 duckdb-ext-sqlite==1.4.4.20260205 \
    duckdb-ext-postgres==1.4.4.20260205 duckdb-ext-mysql==1.4.4.20260205 >&2
}
run_duckdb() {
  local run=$1
  local busy db=bench_duckdb logf=$LOGS/duckdb_run$run.log
  my_recreate "$db"
  settle
  busy=$(busy_note)
  timed "$logf" "$DUCK_VENV/bin/python" "$DUCK_COPY" "$SRC" mysql "host=127.0.0.1 port=$MYPORT user=root database=$db"
  local err=""
  [ "$RC" = 0 ] || err=$(first_error "$logf")
  # shellcheck disable=SC2086
  record duckdb "$run" "$(target_rows "$db")" - - - $busy - - "$err"
}

# ------------------------------------------------------------------ run
max_runs=$RUNS
has s2m && [ "$S2M_RUNS" -gt "$max_runs" ] && max_runs=$S2M_RUNS
has duckdb && duckdb_venv
for run in $(seq 1 "$max_runs"); do
  for m in cutover duckdb loaddata loadfull s2m; do
    has $m || continue
    if [ $m = s2m ]; then [ "$run" -le "$S2M_RUNS" ] || continue; else [ "$run" -le "$RUNS" ] || continue; fi
    local_m=$m; [ $m = loadfull ] && local_m=loaddata
    if setup_failed $local_m; then record_setup_failure $m "$run"; continue; fi
    case $m in
      cutover) run_cutover "$run"; if [ -n "${BASE_BIN:-}" ]; then run_cutover "$run" cutover-base "$BASE_BIN"; fi;;
      loaddata) run_loaddata "$run";;
      loadfull) run_loadfull "$run";;
      duckdb) run_duckdb "$run";;
      s2m) run_s2m "$run";;
    esac
  done
done

# ------------------------------------------------------------------ summary
python3 "$HELPER" summary "$TSV" | tee "$SUMMARY"
log "per-run data: $TSV; summary: $SUMMARY; logs: $LOGS"
exit $FAILED
