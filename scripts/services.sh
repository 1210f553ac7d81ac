#!/usr/bin/env bash
# Make sure PostgreSQL and MariaDB answer on loopback for the tests:
# install them from Debian's packages if missing, start them if stopped, wait until
# they accept connections. Safe to run again: it does nothing when both already answer.
#
# PostgreSQL: 127.0.0.1:5432, user postgres, trust auth on loopback.
# MariaDB:    127.0.0.1:3306, user root, empty password.
set -euo pipefail

log() { echo "services: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
my_up() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }

apt_install() {
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if pg_up; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql postgresql-client
  fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
  local hba="/etc/postgresql/$ver/main/pg_hba.conf"
  # Tests connect as postgres over TCP on loopback without a password.
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    log "allowing trust auth on 127.0.0.1 for the test cluster ($hba)"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
}

ensure_mariadb() {
  if my_up; then return; fi
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    apt_install mariadb-server mariadb-client
  fi
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  log "starting MariaDB"
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

wait_for() {
  local name=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then log "$name is up"; return 0; fi
    sleep 1
  done
  log "$name did not answer within 60 s"; return 1
}

ensure_root_tcp_login() {
  # A fresh Debian MariaDB lets root in only through the unix socket; the tests log in over TCP.
  if ! my_up; then
    as_root mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;" 2>/dev/null || true
  fi
}

ensure_postgres
ensure_mariadb
wait_for PostgreSQL pg_up
for _ in $(seq 1 30); do
  my_up && break
  [ -S /run/mysqld/mysqld.sock ] && ensure_root_tcp_login
  sleep 1
done
wait_for MariaDB my_up
