#!/usr/bin/env bash
# `make test`: the whole suite, on SQLite and PostgreSQL (with the fault soak on the server
# binary), then the contract checks.
# Starts a throwaway PostgreSQL when none answers (scripts/ensure-postgres.sh) and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."

stop_file=$(mktemp)
trap 'bash "$stop_file" >/dev/null 2>&1 || true; rm -f "$stop_file"' EXIT
CRM_TEST_PG_URL=$(PG_STOP_FILE="$stop_file" scripts/ensure-postgres.sh)
export CRM_TEST_PG_URL
echo "PostgreSQL for the tests: $CRM_TEST_PG_URL"

scripts/ensure-tools.sh
cargo fmt --all -- --check
cargo clippy --all-targets -q -- -D warnings
# shellcheck source=scripts/target-dir.sh
source scripts/target-dir.sh
# The tests that run the server as a process of its own (kill -9, hostile import, the fault
# soak) run the test build's `crm` binary: the same code, and a release build from scratch
# would double CI's time (16 minutes on 2 cores). CRM_TEST_SERVER_BINARY picks another.
# The webhook tests verify real deliveries with the Standard Webhooks reference library.
CRM_TEST_PYTHON="$(target_dir)/tools-venv/bin/python" cargo nextest run --workspace --no-fail-fast
scripts/contract-checks.sh
