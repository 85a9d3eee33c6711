#!/usr/bin/env bash
# PostgreSQL for the tests. Source this file, then call `pg_ensure`:
#   - when TIEOUT_TEST_PG_URL is already set, that server is used as it is;
#   - otherwise a throwaway server is started: Debian's binaries from
#     /usr/lib/postgresql/<ver>/bin (apt-get install -y postgresql when missing),
#     `initdb` into a temporary directory, `pg_ctl` on a free 127.0.0.1 port, run
#     as the unprivileged `postgres` user when we are root (the server refuses
#     root). TIEOUT_TEST_PG_URL is exported for the Rust, Python and Node suites
#     and the server is stopped and its directory removed on exit (trap).
# Run directly (`bash scripts/pg.sh`) it starts a server, prints the URL and
# waits until interrupted: handy for running single suites by hand.

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_stop() {
  if [ -n "${TIEOUT_PG_DIR:-}" ] && [ -d "$TIEOUT_PG_DIR" ]; then
    pg_as_server_user "$TIEOUT_PG_BIN/pg_ctl" -D "$TIEOUT_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$TIEOUT_PG_DIR"
    TIEOUT_PG_DIR=
  fi
}

pg_ensure() {
  if [ -n "${TIEOUT_TEST_PG_URL:-}" ]; then
    echo "postgres: using TIEOUT_TEST_PG_URL"
    return 0
  fi
  local bin
  bin=$(pg_bin_dir)
  if [ -z "$bin" ]; then
    echo "postgres: installing Debian's postgresql"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(pg_bin_dir)
  fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres: no server binaries under /usr/lib/postgresql" >&2
    return 1
  fi
  TIEOUT_PG_BIN=$bin
  TIEOUT_PG_DIR=$(mktemp -d /tmp/tieout-pg.XXXXXX)
  chmod 755 "$TIEOUT_PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$TIEOUT_PG_DIR"; fi
  trap pg_stop EXIT
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_as_server_user "$bin/initdb" -D "$TIEOUT_PG_DIR/data" -A trust -U postgres \
    --encoding=UTF8 --locale=C.UTF-8 >"$TIEOUT_PG_DIR/initdb.log" 2>&1 || {
    cat "$TIEOUT_PG_DIR/initdb.log" >&2; return 1; }
  # Enough connections for parallel test binaries and multi-process tests.
  pg_as_server_user "$bin/pg_ctl" -D "$TIEOUT_PG_DIR/data" -l "$TIEOUT_PG_DIR/server.log" \
    -o "-p $port -k $TIEOUT_PG_DIR -h 127.0.0.1 -c max_connections=200 -c fsync=off" -w start >/dev/null || {
    cat "$TIEOUT_PG_DIR/server.log" >&2; return 1; }
  export TIEOUT_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "postgres: throwaway server $("$bin/postgres" --version | awk '{print $3}') at $TIEOUT_TEST_PG_URL"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  pg_ensure
  # Ctrl-C or kill: exit through the EXIT trap, which stops the server.
  trap 'exit 0' INT TERM
  echo "export TIEOUT_TEST_PG_URL=$TIEOUT_TEST_PG_URL"
  echo "(Ctrl-C stops the server)"
  while true; do sleep 3600 & wait $!; done
fi
