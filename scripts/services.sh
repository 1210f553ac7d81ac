#!/usr/bin/env bash
# Make sure PostgreSQL and MariaDB answer on loopback for the tests:
# install them from Debian's packages if missing, start them if stopped, wait until
# they accept connections. Safe to run again: it does nothing when both already answer.
#
# PostgreSQL: 127.0.0.1:5432, user postgres, trust auth on loopback.
# MariaDB:    127.0.0.1:3306, user root, empty password.
# Both with TLS: a test CA and a server certificate (subjectAltName localhost and
# 127.0.0.1) generated once under $CUTOVER_TLS_DIR (default /var/lib/cutover-test-tls):
# ca.pem signs server.pem; other-ca.pem is a CA that signed nothing, for the tests of a
# wrong CA. PostgreSQL picks the certificate up on reload, MariaDB needs one restart.
# client.pem / client.key (CN=cutover_cert, signed by ca.pem, the key readable by whoever
# runs this script) log in as the user cutover_cert, which both servers admit only with
# that certificate (PostgreSQL: a `hostssl … cert` line in pg_hba.conf; MariaDB: REQUIRE
# SUBJECT).
set -euo pipefail
TLS_DIR=${CUTOVER_TLS_DIR:-/var/lib/cutover-test-tls}

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

TLS_REGENERATED=0

make_test_certificates() {
  [ -f "$TLS_DIR/server.pem" ] && [ -f "$TLS_DIR/other-ca.pem" ] && as_root test -f "$TLS_DIR/ca.key" && return
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  log "generating the test CA and server certificate in $TLS_DIR"
  as_root mkdir -p "$TLS_DIR"
  local tmp; tmp=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cutover test CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cutover other CA" \
    -keyout "$tmp/other-ca.key" -out "$tmp/other-ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$tmp/ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 3650 -extfile "$tmp/ext" -out "$tmp/server.pem" 2>/dev/null
  as_root install -m 0644 "$tmp/ca.pem" "$tmp/other-ca.pem" "$tmp/server.pem" "$TLS_DIR/"
  # One private key per server, readable by that server's user only.
  as_root install -m 0600 -o postgres -g postgres "$tmp/server.key" "$TLS_DIR/server-postgres.key"
  as_root install -m 0600 -o mysql -g mysql "$tmp/server.key" "$TLS_DIR/server-mariadb.key"
  # The CA's key stays (root only) to sign the client certificate.
  as_root install -m 0600 "$tmp/ca.key" "$TLS_DIR/ca.key"
  as_root rm -f "$TLS_DIR/client.pem" "$TLS_DIR/client.key"
  rm -rf "$tmp"
  TLS_REGENERATED=1
}

make_client_certificate() {
  [ -f "$TLS_DIR/client.pem" ] && [ -r "$TLS_DIR/client.key" ] && return
  local tmp; tmp=$(mktemp -d)
  log "generating the test client certificate (CN=cutover_cert) in $TLS_DIR"
  as_root cat "$TLS_DIR/ca.key" >"$tmp/ca.key"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=cutover_cert" -keyout "$tmp/client.key" -out "$tmp/client.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$tmp/ext"
  openssl x509 -req -in "$tmp/client.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days 3650 -extfile "$tmp/ext" -out "$tmp/client.pem" 2>/dev/null
  as_root install -m 0644 "$tmp/client.pem" "$TLS_DIR/"
  as_root install -m 0600 -o "$(id -u)" -g "$(id -g)" "$tmp/client.key" "$TLS_DIR/client.key"
  rm -rf "$tmp"
}

client_cert_users() {
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
  local hba="/etc/postgresql/$ver/main/pg_hba.conf"
  if ! grep -qE '^hostssl\s+all\s+cutover_cert\s+127\.0\.0\.1/32\s+cert' "$hba"; then
    log "PostgreSQL: user cutover_cert logs in with the test client certificate only ($hba)"
    as_root sed -i '1i hostssl all cutover_cert 127.0.0.1/32 cert\nhost all cutover_cert 127.0.0.1/32 reject' "$hba"
    psql -h 127.0.0.1 -U postgres -qAtc "SELECT pg_reload_conf()" >/dev/null
  fi
  psql -h 127.0.0.1 -U postgres -qAtc "SELECT 1 FROM pg_roles WHERE rolname = 'cutover_cert'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -qc "CREATE ROLE cutover_cert LOGIN CREATEDB" >/dev/null
  mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -uroot -e \
    "CREATE USER IF NOT EXISTS 'cutover_cert'@'%' REQUIRE SUBJECT '/CN=cutover_cert'; GRANT ALL ON \`cutover\\_t\\_%\`.* TO 'cutover_cert'@'%'"
}

pg_tls() {
  if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW ssl_cert_file' 2>/dev/null)" = "$TLS_DIR/server.pem" ]; then
    # New certificates under the same names: a reload reads them.
    [ "$TLS_REGENERATED" = 1 ] && psql -h 127.0.0.1 -U postgres -qAtc "SELECT pg_reload_conf()" >/dev/null
    return 0
  fi
  log "PostgreSQL: TLS with the test certificate"
  psql -h 127.0.0.1 -U postgres -q -c "ALTER SYSTEM SET ssl = on" \
    -c "ALTER SYSTEM SET ssl_cert_file = '$TLS_DIR/server.pem'" \
    -c "ALTER SYSTEM SET ssl_key_file = '$TLS_DIR/server-postgres.key'" \
    -c "ALTER SYSTEM SET ssl_ca_file = '$TLS_DIR/ca.pem'" -c "SELECT pg_reload_conf()" >/dev/null
}

mariadb_tls() {
  if [ "$(mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -uroot -N -e 'SELECT @@ssl_cert' 2>/dev/null)" = "$TLS_DIR/server.pem" ]; then
    [ "$TLS_REGENERATED" = 1 ] && mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -uroot -e "FLUSH SSL"
    return 0
  fi
  local cnf=/etc/mysql/my.cnf
  [ -f "$cnf" ] || cnf=/etc/my.cnf
  if ! grep -q "cutover-test-tls" "$cnf" 2>/dev/null; then
    log "MariaDB: TLS with the test certificate (restarting the server)"
    printf '\n# cutover-test-tls: TLS for the tests (scripts/services.sh)\n[mariadbd]\nssl_cert = %s/server.pem\nssl_key = %s/server-mariadb.key\nssl_ca = %s/ca.pem\n' \
      "$TLS_DIR" "$TLS_DIR" "$TLS_DIR" | as_root tee -a "$cnf" >/dev/null
  fi
  # Stop it and wait until the process is gone (it stops answering before it exits).
  as_root start-stop-daemon --stop --oknodo --retry 60 --exec /usr/sbin/mariadbd >/dev/null
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB my_up
}

ensure_postgres
ensure_mariadb
# After the servers are installed: the keys belong to their users (postgres, mysql).
make_test_certificates
wait_for PostgreSQL pg_up
for _ in $(seq 1 30); do
  my_up && break
  [ -S /run/mysqld/mysqld.sock ] && ensure_root_tcp_login
  sleep 1
done
wait_for MariaDB my_up
pg_tls
mariadb_tls
make_client_certificate
client_cert_users
