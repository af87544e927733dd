#!/usr/bin/env bash
# Prints a PostgreSQL server URL the test suite can use (it creates and drops its own databases).
# Uses CRM_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432 when it answers, else starts a
# throwaway server from the installed PostgreSQL binaries (initdb into a temp dir, a free port)
# and writes its stop command to $PG_STOP_FILE. Fails loudly when none of that works: the
# PostgreSQL half of the suite is never skipped. CRM_TEST_PG_THROWAWAY=1 forces a throwaway server.
set -euo pipefail

answers() { psql "$1/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if [ -n "${CRM_TEST_PG_URL:-}" ]; then
  answers "$CRM_TEST_PG_URL" || { echo "CRM_TEST_PG_URL=$CRM_TEST_PG_URL does not answer" >&2; exit 1; }
  echo "$CRM_TEST_PG_URL"; exit 0
fi
if [ -z "${CRM_TEST_PG_THROWAWAY:-}" ] && command -v psql >/dev/null && answers "postgres://postgres@127.0.0.1:5432"; then
  echo "postgres://postgres@127.0.0.1:5432"; exit 0
fi

bin=""
for candidate in "$(command -v initdb 2>/dev/null || true)" /usr/lib/postgresql/*/bin/initdb /usr/local/pgsql/bin/initdb; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin=$(dirname "$candidate"); break; fi
done
if [ -z "$bin" ]; then
  echo "No PostgreSQL answers on 127.0.0.1:5432 and no initdb is installed to start one." >&2
  echo "Install PostgreSQL (apt-get install postgresql) or set CRM_TEST_PG_URL." >&2
  exit 1
fi
dir=$(mktemp -d /tmp/crm-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: use the postgres system user or nobody.
  owner=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
  chown "$owner" "$dir"
  run=(runuser -u "$owner" --)
fi
"${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >&2 \
  || { cat "$dir/server.log" >&2; exit 1; }
if [ -n "${PG_STOP_FILE:-}" ]; then
  printf '%q ' "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >"$PG_STOP_FILE"
  printf '; rm -rf %q\n' "$dir" >>"$PG_STOP_FILE"
fi
echo "started a throwaway PostgreSQL on port $port ($dir)" >&2
echo "postgres://postgres@127.0.0.1:$port"
