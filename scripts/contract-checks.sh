#!/usr/bin/env bash
# The contract, checked against the live server on each database:
#  - the interactive docs render every operation in headless Chromium, with no network;
#  - schemathesis finds no server error, undocumented status code or schema violation;
#  - every example in the committed spec validates against its own schema;
#  - the committed spec passes Redocly's recommended lint rules with no error and no warning;
#  - it breaks nothing of the last released spec (openapi/releases/);
#  - the Python and TypeScript SDKs generate from it (scripts/sdk.sh) and their scenarios
#    (examples/python, examples/typescript) run against the live server.
# Needs CRM_TEST_PG_URL (scripts/ensure-postgres.sh) and the tools of scripts/ensure-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CRM_TEST_PG_URL:?set CRM_TEST_PG_URL to a PostgreSQL server URL}"
# shellcheck source=scripts/target-dir.sh
source scripts/target-dir.sh
target=$(target_dir)
venv=$target/tools-venv
crm=$target/debug/crm
cargo build -q -p crm-gateway --bin crm

work=$(mktemp -d /tmp/crm-contract.XXXXXX)
pg_db="crm_contract_$$"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  psql "$CRM_TEST_PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts the server on DATABASE_URL; sets $key, $base and $server_pid.
start_server() {
  export CRM_BOOTSTRAP=false CRM_SECRET_KEY=contract-checks-secret-contract-checks-0001
  export CRM_RATE_LIMIT_PER_MINUTE=100000000 CRM_RATE_LIMIT_ANONYMOUS_PER_MINUTE=100000000
  key=$("$crm" init --org "Contract checks" --email contract@example.com | tail -n 1)
  local port; port=$(free_port)
  base="http://127.0.0.1:$port"
  CRM_LISTEN="127.0.0.1:$port" RUST_LOG=warn "$crm" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/server.log" >&2
  echo "the server did not become ready" >&2
  return 1
}

# Stops the server with SIGTERM: it must shut down gracefully and exit 0.
stop_server() {
  local status=0
  kill -TERM "$server_pid"
  wait "$server_pid" || status=$?
  server_pid=""
  if [ "$status" -ne 0 ]; then cat "$work/server.log" >&2; echo "the server exited with $status on SIGTERM" >&2; return 1; fi
  if grep -q "panicked" "$work/server.log"; then cat "$work/server.log" >&2; echo "the server panicked" >&2; return 1; fi
}

docs_render() {
  local chromium; chromium=$(command -v chromium || command -v chromium-browser)
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/chromium" --virtual-time-budget=20000 \
    --dump-dom "$base/docs/" >"$work/docs.html" 2>"$work/chromium.log"
  local expected rendered
  # The operations of the paths, and one per event type of the webhooks section (rendered too).
  expected=$(python3 -c 'import json,sys; d=json.load(open("openapi/openapi.json")); print(sum(len(v) for v in list(d["paths"].values()) + list(d.get("webhooks", {}).values())))')
  rendered=$(grep -o 'class="opblock-summary-path"' "$work/docs.html" | wc -l)
  if [ "$rendered" -ne "$expected" ]; then
    echo "docs: Chromium rendered $rendered of $expected operations" >&2
    return 1
  fi
  grep -q 'List users' "$work/docs.html" || { echo "docs: operation summaries did not render" >&2; return 1; }
  echo "docs: Chromium rendered all $rendered operations at /docs/"
}

fuzz() {
  local label=$1
  local checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
  local common=(-H "Authorization: Bearer $key" --checks "$checks" --request-timeout 40 --warnings off)
  # Operations that could lock the tester out (revoking its key, deactivating its user) run
  # apart, without the stateful phase that would feed them real ids.
  "$venv/bin/st" run "$base/openapi.json" "${common[@]}" -n "${CRM_FUZZ_EXAMPLES:-20}" --max-time "${CRM_FUZZ_SECONDS:-120}" \
    --exclude-operation-id revoke_api_key --exclude-operation-id deactivate_user >"$work/st-$label.log" 2>&1 \
    || { tail -n 80 "$work/st-$label.log"; echo "schemathesis failed on $label" >&2; return 1; }
  "$venv/bin/st" run "$base/openapi.json" "${common[@]}" -n 20 --phases examples,fuzzing \
    --include-operation-id revoke_api_key --include-operation-id deactivate_user >>"$work/st-$label.log" 2>&1 \
    || { tail -n 80 "$work/st-$label.log"; echo "schemathesis failed on $label" >&2; return 1; }
  grep -E '^ *[0-9]+ generated' "$work/st-$label.log" | sed "s/^ */schemathesis ($label): /"
}

lint() {
  # No telemetry, no update check: the checks must not need the network.
  export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
  local report
  report=$("$target/node-tools/node_modules/.bin/redocly" lint openapi/openapi.json --extends recommended --format json 2>/dev/null) || true
  local totals
  totals=$(python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["errors"], t["warnings"])' <<<"$report")
  if [ "$totals" != "0 0" ]; then
    "$target/node-tools/node_modules/.bin/redocly" lint openapi/openapi.json --extends recommended --format stylish >&2 || true
    echo "redocly lint: errors and warnings (errors warnings): $totals" >&2
    return 1
  fi
  echo "redocly lint (recommended): no errors, no warnings"
}

lint
released=(openapi/releases/*.json)
python3 scripts/check-breaking.py "${released[-1]}" openapi/openapi.json
bash scripts/sdk.sh

export DATABASE_URL="sqlite://$work/crm.db"
start_server
docs_render
fuzz sqlite
stop_server

psql "$CRM_TEST_PG_URL/postgres" -qc "CREATE DATABASE $pg_db" >/dev/null
export DATABASE_URL="$CRM_TEST_PG_URL/$pg_db"
start_server
bash scripts/sdk-scenarios.sh "$base" "$key"
fuzz postgres
stop_server

"$venv/bin/python" scripts/check-examples.py openapi/openapi.json
