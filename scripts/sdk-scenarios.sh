#!/usr/bin/env bash
# Runs the SDK scenarios against a live server: examples/python/scenario.py with the generated
# Python client, and examples/typescript/scenario.ts compiled against the generated TypeScript
# types (openapi-fetch). Each creates a company and three contacts, searches, pages, updates with
# If-Match (and a 412), reads a timeline, exports CSV and follows the changes feed, checking every
# answer. Runs what `make sdk` (scripts/sdk.sh) generated and compiled, and refuses to run it
# when it is missing or older than the spec or the examples. Prints one line per scenario; on a
# failure, that scenario's output, and exits 1 after running both.
#
#   scripts/sdk-scenarios.sh BASE_URL API_KEY      (an admin API key: the scenarios read events)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: scripts/sdk-scenarios.sh BASE_URL API_KEY" >&2
  exit 2
fi
export BASE_URL=$1 CRM_API_KEY=$2
# shellcheck source=scripts/target-dir.sh
source scripts/target-dir.sh
target=$(target_dir)

sdk=$target/sdk
# What make sdk built must be newer than what it was built from: the spec, and the TypeScript
# examples it compiled (the Python scenario runs from examples/ as it is).
require_newer() {
  local built=$1 source
  shift
  for source in "$@"; do
    if [ ! -e "$built" ] || [ "$source" -nt "$built" ]; then
      echo "$built is missing or older than $source: run make sdk (scripts/sdk.sh) first" >&2
      exit 1
    fi
  done
}
require_newer "$sdk/python/crm_client/__init__.py" openapi/openapi.json
require_newer "$sdk/typescript/dist/scenario.js" openapi/openapi.json examples/typescript/*.ts

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0

# Runs one scenario (the command after its name) and prints one line: passed or failed, and
# how long it took; on a failure, the scenario's output before it.
scenario() {
  local name=$1 status=0 started elapsed
  shift
  started=$(date +%s%N)
  "$@" >"$log" 2>&1 || status=$?
  elapsed=$((($(date +%s%N) - started) / 1000000))
  if [ "$status" -eq 0 ] && grep -qx 'scenario passed' "$log"; then
    echo "sdk scenario ($name): passed, $(grep -c '^- ' "$log") steps in $elapsed ms"
  else
    cat "$log" >&2
    echo "sdk scenario ($name): FAILED (exit status $status)" >&2
    failed=1
  fi
}

scenario python env PYTHONPATH="$sdk/python" "$target/tools-venv/bin/python" examples/python/scenario.py
scenario typescript node "$sdk/typescript/dist/scenario.js"
exit "$failed"
