#!/usr/bin/env bash
# Benchmarks the crm API on PostgreSQL with oha, and PostgreSQL alone with pgbench running the
# SQL each scenario costs, so the API's rate can be read against the database's own.
#
#   scripts/bench.sh                      # what `make bench` runs
#   BENCH_RECORD=1 scripts/bench.sh       # also append the results to docs/benchmarks.md
#
# Environment:
#   BENCH_PG_URL        PostgreSQL server (default postgres://postgres@127.0.0.1:5432); a fresh
#                       database is created on it and dropped on exit
#   BENCH_CONNECTIONS   concurrent connections, for oha and pgbench (default 32)
#   BENCH_DURATION      seconds per measurement (default 10)
#   BENCH_LISTEN        address of the server under test (default 127.0.0.1:18080)
#   BENCH_RECORD=1      append a dated table to docs/benchmarks.md
#   BENCH_LOW_PRIORITY=1  build with `nice -n 19` and one job (on a busy machine)
#
# Needs: cargo, psql, pgbench, curl, jq. Installs oha with `cargo install oha --locked` if missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-10}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18080}
BASE=http://$LISTEN
SEED_KEYS=50

log() { printf '%s\n' "bench: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in cargo psql pgbench curl jq; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

NICE=()
if [[ ${BENCH_LOW_PRIORITY:-0} == 1 ]]; then
    export CARGO_BUILD_JOBS=1
    NICE=(nice -n 19)
fi

# --- build and tools ---------------------------------------------------------------------------
log "building the release crm"
"${NICE[@]}" cargo build --release -p crm-gateway
# shellcheck source=scripts/target-dir.sh
source "$ROOT/scripts/target-dir.sh"
CRM=$(target_dir)/release/crm

# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
find_oha

# --- a fresh database --------------------------------------------------------------------------
# The server part of the URL (scheme, user, host, port), without a database name or parameters.
QUERY=""
[[ $PG_URL == *\?* ]] && QUERY="?${PG_URL#*\?}"
SERVER=${PG_URL%%\?*}
if [[ $SERVER =~ ^(postgres(ql)?://[^/]+)(/.*)?$ ]]; then
    SERVER=${BASH_REMATCH[1]}
else
    die "BENCH_PG_URL must look like postgres://user@host:port, got $PG_URL"
fi
ADMIN_URL="$SERVER/postgres$QUERY"
DB_NAME="crm_bench_$(date +%s)_$$"
DB_URL="$SERVER/$DB_NAME$QUERY"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXX")
SERVER_PID=""
DB_CREATED=0

cleanup() {
    local status=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $DB_CREATED == 1 ]]; then
        psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 ||
            log "could not drop database $DB_NAME"
    fi
    if [[ $status != 0 && -f $WORK/server.log ]]; then
        log "server log (last lines):"
        tail -n 20 "$WORK/server.log" >&2 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null ||
    die "cannot create a database on $SERVER (is PostgreSQL running? set BENCH_PG_URL)"
DB_CREATED=1
log "database $DB_NAME created"

# --- the server --------------------------------------------------------------------------------
if curl -s -o /dev/null "$BASE/health/live"; then
    die "something already listens on $LISTEN (set BENCH_LISTEN)"
fi

export DATABASE_URL=$DB_URL
CRM_SECRET_KEY=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
export CRM_SECRET_KEY
export CRM_LISTEN=$LISTEN
export CRM_RATE_LIMIT_PER_MINUTE=100000000
export CRM_BOOTSTRAP=false
export RUST_LOG=${RUST_LOG:-warn}

ADMIN_KEY=$("$CRM" init --org Bench --email bench@example.com 2>"$WORK/init.log" | tail -n 1)
[[ $ADMIN_KEY == crm_sk_* ]] || { cat "$WORK/init.log" >&2; die "crm init printed no API key"; }

"${SERVER_PIN[@]}" "$CRM" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$BASE/health/ready" && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited"
    sleep 0.2
done
curl -fs -o /dev/null "$BASE/health/ready" || die "the server did not become ready"
log "server ready on $BASE (pid $SERVER_PID)"

AUTH="Authorization: Bearer $ADMIN_KEY"
KEY_BODY='{"name":"bench key","scopes":["platform:read"]}'
KEY_ID=""
for i in $(seq 1 "$SEED_KEYS"); do
    KEY_ID=$(curl -fsS -H "$AUTH" -H 'Content-Type: application/json' \
        -d "{\"name\":\"seed key $i\",\"scopes\":[\"platform:read\"]}" "$BASE/v1/api-keys" | jq -r .id)
done
[[ $KEY_ID == key_* ]] || die "could not seed API keys"
log "seeded $SEED_KEYS API keys"

# The values the pgbench scripts use, read from the database the API writes.
sql() { psql "$DB_URL" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }
ORG_ID=$(sql "SELECT id FROM organizations LIMIT 1")
ADMIN_ROW=$(sql "SELECT k.user_id || '|' || k.key_hash FROM api_keys k WHERE k.name = 'Initial admin key'")
USER_ID=${ADMIN_ROW%%|*}
KEY_HASH=${ADMIN_ROW#*|}
[[ $ORG_ID == org_* && $USER_ID == user_* ]] || die "unexpected database contents"

# --- the equivalent SQL ------------------------------------------------------------------------
KEY_COLUMNS="id, org_id, user_id, name, key_prefix, key_hash, role, scopes, last_used_at, expires_at, revoked_at, created_at, updated_at, version"

cat >"$WORK/me.sql" <<SQL
SELECT k.id, k.org_id, k.user_id, k.role, k.scopes, k.expires_at FROM api_keys k INNER JOIN users u ON u.id = k.user_id WHERE k.key_hash = '$KEY_HASH' AND k.revoked_at IS NULL AND u.status = 'active' LIMIT 1;
SELECT id, org_id, email, name, role, status, password_hash, invitation_hash, last_login_at, created_at, updated_at, version FROM users WHERE org_id = '$ORG_ID' AND id = '$USER_ID' LIMIT 1;
SELECT name FROM organizations WHERE id = '$ORG_ID' LIMIT 1;
SQL

cat >"$WORK/list.sql" <<SQL
SELECT $KEY_COLUMNS FROM api_keys WHERE org_id = '$ORG_ID' ORDER BY created_at, id LIMIT 51;
SQL

cat >"$WORK/read.sql" <<SQL
SELECT $KEY_COLUMNS FROM api_keys WHERE org_id = '$ORG_ID' AND id = '$KEY_ID' LIMIT 1;
SQL

cat >"$WORK/create.sql" <<SQL
\set r random(1, 1000000000000000)
BEGIN;
INSERT INTO api_keys (id, org_id, user_id, name, key_prefix, key_hash, role, scopes, created_at, updated_at) VALUES ('key_pgb_' || :client_id || '_' || :r, '$ORG_ID', '$USER_ID', 'bench key', 'crm_sk_abcd', 'pgb_' || :client_id || '_' || :r, 'admin', '["platform:read"]', now(), now());
SELECT $KEY_COLUMNS FROM api_keys WHERE org_id = '$ORG_ID' AND id = 'key_pgb_' || :client_id || '_' || :r LIMIT 1;
WITH audit AS (INSERT INTO audit_log (id, org_id, actor_type, actor_id, action, resource_type, resource_id, changes, created_at) VALUES ('aud_pgb_' || :client_id || '_' || :r, '$ORG_ID', 'api_key', 'key_admin', 'created', 'api_key', 'key_pgb_' || :client_id || '_' || :r, '{"name":{"before": null,"after":"bench key"}}', now())) INSERT INTO events (id, org_id, type, actor_type, actor_id, data, created_at) VALUES ('evt_pgb_' || :client_id || '_' || :r, '$ORG_ID', 'api_key.created', 'api_key', 'key_admin', '{"object":{"name":"bench key"}}', now());
COMMIT;
SQL

# --- measurements ------------------------------------------------------------------------------
log "warming up"
"$OHA" -c "$CONNECTIONS" -z 2s --no-tui "${OHA_JSON[@]}" -H "$AUTH" "$BASE/v1/me" >/dev/null

declare -a ROWS=()
measure() {
    local name=$1 label=$2 expect=$3
    shift 3
    log "$label: oha ${DURATION}s at $CONNECTIONS connections"
    local api pg rps p50 p99 ratio
    api=$(run_oha "$name" "$expect" "$@")
    read -r rps p50 p99 <<<"$api"
    log "$label: pgbench ${DURATION}s at $CONNECTIONS connections"
    pg=$(run_pgbench "$name")
    ratio=$(awk -v a="$rps" -v b="$pg" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')
    ROWS+=("$label|$rps|$p50|$p99|$pg|$ratio")
}

measure me "GET /v1/me" 200 "$BASE/v1/me"
measure list "GET /v1/api-keys?limit=50" 200 "$BASE/v1/api-keys?limit=50"
measure read "GET /v1/api-keys/{id}" 200 "$BASE/v1/api-keys/$KEY_ID"
measure create "POST /v1/api-keys" 201 -m POST -H 'Content-Type: application/json' -d "$KEY_BODY" "$BASE/v1/api-keys"

# --- report ------------------------------------------------------------------------------------
table() {
    echo "| scenario | API req/s | p50 ms | p99 ms | pgbench tps | API / pgbench |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    local row
    for row in "${ROWS[@]}"; do
        echo "| ${row//|/ | } |"
    done
}

echo
table
echo
echo "$(nproc) cores; $CONNECTIONS connections; ${DURATION} s per run; $PLACEMENT."

if [[ ${BENCH_RECORD:-0} == 1 ]]; then
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    {
        echo
        echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
        echo
        echo "$(nproc) cores${cpu:+ ($cpu)}, PostgreSQL $(sql 'SHOW server_version'), $CONNECTIONS connections, ${DURATION} s per run."
        echo
        table
    } >>"$ROOT/docs/benchmarks.md"
    log "appended to docs/benchmarks.md"
fi
