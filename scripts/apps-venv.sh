#!/usr/bin/env bash
# The Python virtual environment in which Django and SQLAlchemy/Alembic judge cutover
# (tests/apps.rs, tests/apps/judge.py). Idempotent: the second run checks a stamp and
# the imports and installs nothing. Prints the venv's python on stdout (last line).
#
#   CUTOVER_APPS_VENV    where the venv lives (default ~/.cache/cutover-apps-venv)
#   CUTOVER_APPS_PYTHON  the interpreter that creates it (default python3, >= 3.10)
#
# The packages and their ranges are in tests/apps/requirements.txt (from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CUTOVER_APPS_VENV:-$HOME/.cache/cutover-apps-venv}
PYTHON=${CUTOVER_APPS_PYTHON:-python3}
REQ=tests/apps/requirements.txt

log() { echo "apps-venv: $*" >&2; }

# The stamp holds a hash of the requirements, so editing them reinstalls.
want=$(sha256sum "$REQ" | cut -d' ' -f1)
stamp="$VENV/.cutover-requirements"
ready() {
  [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
    "$VENV/bin/python" -c 'import django, sqlalchemy, alembic, psycopg, pymysql' 2>/dev/null
}

if ready; then
  echo "$VENV/bin/python"
  exit 0
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  log "$PYTHON is older than 3.10, which Django 5.2 needs; set CUTOVER_APPS_PYTHON"
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi
log "installing $(grep -cvE '^\s*(#|$)' "$REQ") packages from $REQ"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2
"$VENV/bin/python" -c 'import django, sqlalchemy, alembic, psycopg, pymysql'
echo "$want" >"$stamp"
"$VENV/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null |
  grep -iE '^(django|sqlalchemy|alembic|psycopg|pymysql)' | tr '\n' ' ' | sed 's/^/apps-venv: /' >&2
echo >&2
echo "$VENV/bin/python"
