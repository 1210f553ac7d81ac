#!/usr/bin/env bash
# Run the whole test suite against real PostgreSQL, MariaDB and SQLite on loopback.
# Starts (and if needed installs) the servers first, and makes the frameworks' venv
# (scripts/apps-venv.sh). Extra arguments go to nextest. The binary under test has its
# fail points compiled in (--features failpoints): tests/faults.rs stops it at each one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
# The Python venv in which Django and SQLAlchemy judge the migrated databases (tests/apps.rs).
scripts/apps-venv.sh >/dev/null
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --features failpoints "$@"
else
  cargo test --workspace --no-fail-fast --features failpoints "$@"
fi
