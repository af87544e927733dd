#!/usr/bin/env bash
# `make sdk`: generates the SDKs from the committed spec openapi/openapi.json into cargo's target
# directory, and fails on any warning or error of the generators:
#  - Python: openapi-python-client writes the package crm_client to $target/sdk/python
#    (PYTHONPATH=$target/sdk/python, `import crm_client`);
#  - TypeScript: openapi-typescript writes the types to $target/sdk/typescript/schema.d.ts, then
#    tsc --strict compiles them with examples/typescript/*.ts (clients of openapi-fetch) to
#    $target/sdk/typescript/dist, which node runs.
# Installs the pinned generators first when missing (scripts/ensure-tools.sh sdk).
# scripts/sdk-scenarios.sh runs the scenarios written against these SDKs on a live server.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/target-dir.sh
source scripts/target-dir.sh
target=$(target_dir)
scripts/ensure-tools.sh sdk

venv=$target/tools-venv
node_tools=$target/node-tools
sdk=$target/sdk
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Fails with the tool's log when it exited non-zero or printed a warning or an error.
check_log() {
  local tool=$1 status=$2 pattern=$3
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    echo "$tool failed (exit status $status)" >&2
    exit 1
  fi
  if grep -qiE "$pattern" "$log"; then
    cat "$log" >&2
    echo "$tool reported problems with openapi/openapi.json" >&2
    exit 1
  fi
}

# Python: the venv's bin first on PATH, so the generator finds its ruff to format the code.
mkdir -p "$sdk/python"
status=0
PATH="$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate --path openapi/openapi.json \
  --output-path "$sdk/python/crm_client" --meta none --overwrite >"$log" 2>&1 || status=$?
check_log openapi-python-client "$status" 'warning|error'
echo "python: $sdk/python/crm_client (openapi-python-client; PYTHONPATH=$sdk/python, import crm_client)"

# TypeScript: a fresh directory, so that an example removed from examples/typescript leaves
# nothing behind. openapi-typescript marks its warnings with ⚠ and its errors with ✘.
# --empty-objects-unknown: the spec's free-form objects (a search filter, custom values, an
# event's data, an audit entry's changes) become `unknown`, not `Record<string, never>`, which
# no value but {} fits.
ts=$sdk/typescript
rm -rf "$ts"
mkdir -p "$ts"
status=0
"$node_tools/node_modules/.bin/openapi-typescript" openapi/openapi.json --empty-objects-unknown \
  -o "$ts/schema.d.ts" >"$log" 2>&1 || status=$?
check_log openapi-typescript "$status" 'warn|error|⚠|✘'

# The examples import the types as "./schema.js" (nodenext resolution), so they sit beside them.
cp examples/typescript/*.ts "$ts/"
ln -s "$node_tools/node_modules" "$ts/node_modules"
# ES modules: the compiled examples use top-level await and import openapi-fetch (ESM).
printf '{"private": true, "type": "module"}\n' >"$ts/package.json"
cat >"$ts/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "target": "es2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": ["node"],
    "rootDir": ".",
    "outDir": "dist",
    "forceConsistentCasingInFileNames": true
  },
  "include": ["*.ts"]
}
JSON
status=0
"$node_tools/node_modules/.bin/tsc" -p "$ts" >"$log" 2>&1 || status=$?
check_log tsc "$status" 'error'
echo "typescript: $ts (openapi-typescript types, openapi-fetch; tsc --strict: examples compiled to $ts/dist)"
