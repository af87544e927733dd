#!/usr/bin/env bash
# Scale-out: the same load through HAProxy to one `crm serve` gateway, then to two, on one
# PostgreSQL. Each gateway runs one HTTP worker pinned to its own CPU (taskset), so a second
# gateway adds a core's worth of API work, as a second machine would; HAProxy, oha and
# PostgreSQL share the machine. Medians of BENCH_RUNS runs.
#
#   scripts/bench-scale-out.sh            # what `make bench` runs last
#
# Environment: BENCH_PG_URL, BENCH_CONNECTIONS (32), BENCH_DURATION (10), BENCH_RUNS (3),
# BENCH_GATEWAY_CPUS ("0 1": one CPU per gateway).
# Needs: cargo, psql, curl, jq, haproxy (scripts/ensure-tools.sh installs it), oha.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-10}
RUNS=${BENCH_RUNS:-3}
read -r -a CPUS <<<"${BENCH_GATEWAY_CPUS:-0 1}"

log() { printf '%s\n' "bench-scale-out: $*" >&2; }
die() { log "$*"; exit 1; }
for tool in cargo psql curl jq taskset; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[[ -x $HAPROXY ]] || die "haproxy is required (scripts/ensure-tools.sh installs it)"

cargo build --release -p crm-gateway
# shellcheck source=scripts/target-dir.sh
source "$ROOT/scripts/target-dir.sh"
CRM=$(target_dir)/release/crm
NICE=()
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
find_oha

SERVER=${PG_URL%%\?*}
[[ $SERVER =~ ^(postgres(ql)?://[^/]+)(/.*)?$ ]] || die "BENCH_PG_URL must look like postgres://user@host:port"
SERVER=${BASH_REMATCH[1]}
PG_DB="crm_bench_scale_$(date +%s)_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-scale.XXXXXX")
PIDS=()
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$SERVER/postgres" -qX -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql "$SERVER/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
export DATABASE_URL="$SERVER/$PG_DB" CRM_RATE_LIMIT_PER_MINUTE=100000000 CRM_BOOTSTRAP=false
export RUST_LOG=${RUST_LOG:-warn} CRM_HTTP_WORKERS=1 CRM_JOB_WORKERS=0
CRM_SECRET_KEY=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
export CRM_SECRET_KEY
ADMIN_KEY=$("$CRM" init --org Bench --email bench@example.com 2>"$WORK/init.log" | tail -n 1)
[[ $ADMIN_KEY == crm_sk_* ]] || { cat "$WORK/init.log" >&2; die "crm init printed no API key"; }
AUTH="Authorization: Bearer $ADMIN_KEY"

# Gateways on free ports, each pinned to its CPU.
PORTS=()
for i in "${!CPUS[@]}"; do
    port=$((18090 + i))
    CRM_LISTEN=127.0.0.1:$port taskset -c "${CPUS[$i]}" "$CRM" serve >"$WORK/gateway$i.log" 2>&1 &
    PIDS+=($!)
    PORTS+=("$port")
done
for port in "${PORTS[@]}"; do
    for _ in $(seq 1 150); do
        curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready" && break
        sleep 0.2
    done
    curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready" || die "gateway on $port did not start"
done
for i in $(seq 1 50); do
    curl -fsS -o /dev/null -H "$AUTH" -H 'Content-Type: application/json' \
        -d "{\"first_name\":\"Scale$i\",\"emails\":[{\"address\":\"scale$i@bench.example\"}]}" "http://127.0.0.1:${PORTS[0]}/v1/contacts"
done

# HAProxy in front of the first N gateways.
balancer() {
    local n=$1 port=18099 i
    if [[ -n ${HAPROXY_PID:-} ]]; then
        kill "$HAPROXY_PID" 2>/dev/null || true
        wait "$HAPROXY_PID" 2>/dev/null || true
    fi
    {
        printf 'global\n    maxconn 4000\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\n'
        printf 'frontend crm\n    bind 127.0.0.1:%s\n    default_backend gateways\nbackend gateways\n    balance roundrobin\n' "$port"
        for ((i = 0; i < n; i++)); do printf '    server gateway%s 127.0.0.1:%s\n' "$i" "${PORTS[$i]}"; done
    } >"$WORK/haproxy.cfg"
    "$HAPROXY" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    PIDS+=("$HAPROXY_PID")
    for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready" && break; sleep 0.1; done
    BASE=http://127.0.0.1:$port
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -a ROWS=()
for n in $(seq 1 "${#PORTS[@]}"); do
    balancer "$n"
    "$OHA" -c "$CONNECTIONS" -z 2s --no-tui "${OHA_JSON[@]}" -H "$AUTH" "$BASE/v1/contacts?limit=50" >/dev/null
    rates=() p99s=()
    for run in $(seq 1 "$RUNS"); do
        log "$n gateway(s): run $run of $RUNS"
        read -r rps _ p99 <<<"$(run_oha "scale$n" 200 "$BASE/v1/contacts?limit=50")"
        rates+=("$rps") p99s+=("$p99")
    done
    ROWS+=("$n|$(median "${rates[@]}")|$(median "${p99s[@]}")")
done

echo
echo "| gateways behind HAProxy | GET /v1/contacts?limit=50, req/s | p99 ms |"
echo "| ---: | ---: | ---: |"
for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
echo
echo "Each gateway: one HTTP worker on its own CPU (${CPUS[*]}); HAProxy, oha ($CONNECTIONS connections) and PostgreSQL on all $(nproc) cores; medians of $RUNS runs of ${DURATION} s."
