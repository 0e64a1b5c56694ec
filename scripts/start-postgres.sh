#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the store tests and prints the
# `export PARAGON_TEST_DATABASE_URL=...` line to eval. Installs the server from Debian's
# packages when the machine has none. Usage: eval "$(scripts/start-postgres.sh)"
set -euo pipefail

port="${PARAGON_TEST_PG_PORT:-54329}"
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$initdb" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
fi
bin=$(dirname "$initdb")

# initdb refuses to run as root: run the server as the `postgres` system user.
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres

dir=$(mktemp -d /tmp/paragon-pg.XXXXXX)
chown postgres "$dir" 2>/dev/null || true
run "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
run "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
run "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres paragon_test
echo "export PARAGON_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/paragon_test"
echo "export PARAGON_TEST_PG_DIR=$dir"
