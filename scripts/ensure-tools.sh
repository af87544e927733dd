#!/usr/bin/env bash
# Installs what the contract checks need, when missing: Chromium (Debian's package) for the
# docs test, and a Python virtualenv with schemathesis and openapi-python-client (pinned).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium (Debian package) for the docs test" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "The docs test needs Chromium: install it (apt-get install chromium)." >&2
    exit 1
  fi
fi

# shellcheck source=scripts/target-dir.sh
source scripts/target-dir.sh
venv=$(target_dir)/tools-venv
if [ ! -x "$venv/bin/st" ] || [ ! -x "$venv/bin/openapi-python-client" ]; then
  echo "installing schemathesis and openapi-python-client into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5 openapi-python-client==0.29.1 >&2
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest" >&2
  cargo install cargo-nextest --locked >&2
fi
