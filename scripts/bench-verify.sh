#!/usr/bin/env bash
# Benchmark `cutover verify --level checksum` against `cutover migrate` on the same data,
# side by side in one run (the machine is noisy: compare within a run), into PostgreSQL
# and MariaDB; and `cutover lint` rows/s on the same source.
#
# For each run and engine: the target database is dropped and created, `migrate` is timed,
# then `verify --level checksum` and `verify --level count` on what it wrote. Wall time and
# peak RSS by /usr/bin/time. Lint maps up to 96 MiB of the source file per connection
# (shared file pages, counted in its RSS, not heap). Every verify must say VERIFIED.
#
# Run from anywhere (PostgreSQL on 127.0.0.1:5432 user postgres with trust auth, MariaDB on
# 127.0.0.1:3306 root without password; scripts/services.sh starts them):
#   scripts/bench-verify.sh                 # scale 1 (1,000,596 rows), 2 runs
#   SCALE=2 RUNS=3 scripts/bench-verify.sh
# Needs python3 (the generator in ../shared/bench), psql, mariadb, /usr/bin/time.
# lint exits 1 when it finds errors; the bench data has none.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
SCALE=${SCALE:-1}
RUNS=${RUNS:-2}
BENCH_DIR=${BENCH_DIR:-/tmp/cutover-bench}
SRC=$BENCH_DIR/bench$SCALE.sqlite
mkdir -p "$BENCH_DIR"
if [ ! -f "$SRC" ]; then
  python3 "$SHARED/bench/gen_bench_db.py" --rows-scale "$SCALE" --seed 42 "$SRC" >&2
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then (cd "$ROOT" && cargo build --release -q); fi
B=$ROOT/target/release/cutover
timed() { /usr/bin/time -f "%e s, %M KB" "$@" 2>&1 >/dev/null | tail -1; }
echo "| run | engine | migrate | verify checksum | verify count | verdict |"
echo "|---|---|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
  for eng in postgres mariadb; do
    if [ $eng = postgres ]; then
      psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS bench_verify' -c 'CREATE DATABASE bench_verify' >/dev/null 2>&1
      URL=postgres://postgres@127.0.0.1:5432/bench_verify
    else
      mariadb -h 127.0.0.1 -u root -e 'DROP DATABASE IF EXISTS bench_verify; CREATE DATABASE bench_verify'
      URL=mariadb://root@127.0.0.1:3306/bench_verify
    fi
    STATE=$BENCH_DIR/verify-state.json
    rm -f "$STATE"
    sleep 3
    m=$(timed "$B" migrate "$SRC" --to "$URL" --state "$STATE" --progress none)
    sleep 3
    v=$(timed "$B" verify "$SRC" --to "$URL" --state "$STATE" --progress none --report "$BENCH_DIR/verify-$eng.json")
    c=$(timed "$B" verify "$SRC" --to "$URL" --state "$STATE" --progress none --level count)
    verdict=$(python3 -c "import json,sys; print('VERIFIED' if json.load(open(sys.argv[1]))['ok'] else 'MISMATCH')" "$BENCH_DIR/verify-$eng.json")
    echo "| $run | $eng | $m | $v | $c | $verdict |"
  done
done
for d in postgres mariadb; do
  t=$( { /usr/bin/time -f "%e" "$B" lint "$SRC" --dialect $d --json >"$BENCH_DIR/lint-$d.json"; } 2>&1 | tail -1)
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); t=float(sys.argv[2]); print(f\"lint --dialect {sys.argv[3]}: {r['rows_read']:,} rows in {t} s = {r['rows_read']/t:,.0f} rows/s\")" "$BENCH_DIR/lint-$d.json" "$t" "$d"
done
