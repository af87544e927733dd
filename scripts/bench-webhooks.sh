#!/usr/bin/env bash
# The webhook benchmarks of `make bench`: the release `crm` on PostgreSQL and on SQLite, driven
# by `webhook-bench` (crates/test-support/src/bin), which is also the receiver (compiled, on
# loopback), each scenario 3 times (the median is printed), beside what PostgreSQL itself does
# for the same work, measured with pgbench in the same run:
#
# - sustained delivery to 1 endpoint (20,000 events) and to 50 endpoints (1,000 events each):
#   deliveries/s from the first request to the last, beside pgbench writing each delivery's
#   bookkeeping (a row inserted, then marked delivered) with 8 clients;
# - event-to-delivery latency at 200 events/s (p50, p99), beside pgbench's one-row insert;
# - reading 10,000 events from the changes feed, 1,000 a page (and again parsing every event
#   into a JSON value), beside pgbench running the same 10 page queries;
# - the live stream (SSE) at 1,000 events/s for 10 s: events received and their lag.
#
# Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432), BENCH_LISTEN (default
# 127.0.0.1:18090), BENCH_RUNS (default 3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18090}
RUNS=${BENCH_RUNS:-3}
SERVER=${PG_URL%%\?*}
SERVER=${SERVER%/}
ADMIN_URL="$SERVER/postgres"
DB_NAME="crm_bench_webhooks_$(date +%s)_$$"
DB_URL="$SERVER/$DB_NAME"

log() { printf '%s\n' "bench-webhooks: $*" >&2; }
die() { log "$*"; exit 1; }
for tool in cargo psql pgbench jq; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

log "building the release crm and webhook-bench"
cargo build --release -q -p crm-gateway --bin crm -p crm-test-support --bin webhook-bench
# shellcheck source=scripts/target-dir.sh
source "$ROOT/scripts/target-dir.sh"
CRM=$(target_dir)/release/crm
BENCH=$(target_dir)/release/webhook-bench

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-webhooks.XXXXXX")
cleanup() {
    psql "$ADMIN_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

CRM_SECRET_KEY=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
export CRM_SECRET_KEY RUST_LOG=off

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Runs a scenario RUNS times on $1 (a database URL); prints the median of each listed field.
scenario() {
    local url=$1 key=$2 fields=$3
    shift 3
    local out=$WORK/runs.jsonl
    : >"$out"
    for _ in $(seq 1 "$RUNS"); do
        "$BENCH" --crm "$CRM" --database-url "$url" --key "$key" --listen "$LISTEN" "$@" >>"$out"
    done
    local field result=()
    for field in $fields; do
        result+=("$(jq -r ".$field" "$out" | median)")
    done
    echo "${result[*]}"
}

run_backend() {
    local name=$1 url=$2
    local key
    key=$(DATABASE_URL=$url "$CRM" init --org "Bench $name" --email "bench@$name.example" 2>/dev/null | tail -n 1)
    [[ $key == crm_sk_* ]] || die "crm init printed no API key on $name"
    log "$name: drain to 1 endpoint"
    read -r one <<<"$(scenario "$url" "$key" per_second --scenario drain --endpoints 1 --events 20000)"
    log "$name: drain to 50 endpoints"
    read -r fifty <<<"$(scenario "$url" "$key" per_second --scenario drain --endpoints 50 --events 1000)"
    log "$name: latency at 200 events/s"
    read -r p50 p99 <<<"$(scenario "$url" "$key" "p50_ms p99_ms" --scenario latency --rate 200)"
    log "$name: the changes feed"
    read -r feed parsed <<<"$(scenario "$url" "$key" "ms ms_parsed" --scenario feed --events 10000)"
    log "$name: the live stream at 1,000 events/s"
    read -r received sp50 sp99 <<<"$(scenario "$url" "$key" "received p50_ms p99_ms" --scenario stream --rate 1000)"
    printf '| %s | %s | %s | %s / %s | %s (%s parsed) | %s of 10000, lag %s / %s |\n' \
        "$name" "$one" "$fifty" "$p50" "$p99" "$feed" "$parsed" "$received" "$sp50" "$sp99"
}

psql "$ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
ROWS=$WORK/rows.md
run_backend PostgreSQL "$DB_URL" >>"$ROWS"
run_backend SQLite "sqlite://$WORK/sqlite/crm.db" >>"$ROWS"

# --- PostgreSQL's own figures for the same work ------------------------------------------------
log "PostgreSQL reference (pgbench)"
psql "$DB_URL" -qX -v ON_ERROR_STOP=1 -c \
    "CREATE TABLE bench_deliveries (id BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL, status TEXT NOT NULL, attempts INT NOT NULL)"
cat >"$WORK/delivery.sql" <<'SQL'
BEGIN;
INSERT INTO bench_deliveries (event_id, status, attempts) VALUES ('evt_' || random(), 'pending', 0) RETURNING id \gset
UPDATE bench_deliveries SET status = 'succeeded', attempts = 1 WHERE id = :id;
COMMIT;
SQL
cat >"$WORK/insert.sql" <<'SQL'
INSERT INTO bench_deliveries (event_id, status, attempts) VALUES ('evt_' || random(), 'pending', 0);
SQL
# The pages the API's feed scenario read: the first 10,000 events of the PostgreSQL run's organization.
ORG=$(psql "$DB_URL" -qtAX -c "SELECT id FROM organizations WHERE name = 'Bench PostgreSQL'")
FIRST=$(psql "$DB_URL" -qtAX -c "SELECT min(seq) - 1 FROM events WHERE org_id = '$ORG'")
cat >"$WORK/feed.sql" <<SQL
\set page random(0, 9)
SELECT id, org_id, seq, type, actor_type, actor_id, data, created_at FROM events
WHERE org_id = '$ORG' AND seq > $FIRST + 1000 * :page ORDER BY seq LIMIT 1000;
SQL
pg_tps() { pgbench -n -f "$1" -c "$2" -j 2 -T 5 "$DB_URL" 2>/dev/null | awk '/^tps/ {print int($3)}'; }
pg_latency() { pgbench -n -f "$1" -c 1 -T 5 "$DB_URL" 2>/dev/null | awk '/latency average/ {print $4}'; }
pg_delivery=$(for _ in $(seq 1 "$RUNS"); do pg_tps "$WORK/delivery.sql" 8; done | median)
pg_insert=$(for _ in $(seq 1 "$RUNS"); do pg_latency "$WORK/insert.sql"; done | median)
pg_page=$(for _ in $(seq 1 "$RUNS"); do pg_latency "$WORK/feed.sql"; done | median)
pg_feed=$(awk -v page="$pg_page" 'BEGIN {printf "%.0f", page * 10}')

echo
echo "| backend | deliveries/s, 1 endpoint | deliveries/s, 50 endpoints | latency p50 / p99 ms at 200 events/s | 10,000 events from the feed, ms | SSE at 1,000 events/s: received, lag p50 / p99 ms |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
cat "$ROWS"
printf '| PostgreSQL itself (pgbench) | %s (a delivery'"'"'s row inserted and marked delivered, 8 clients) | same | %s (a one-row insert) | %s (the 10 page queries) | - |\n' \
    "$pg_delivery" "$pg_insert" "$pg_feed"
