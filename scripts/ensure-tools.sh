#!/usr/bin/env bash
# Installs what the contract checks and the SDKs need, when missing: Chromium, HAProxy and Redis
# (Debian's packages) for the docs and scale-out tests, a Python virtualenv with schemathesis, openapi-python-client
# and standardwebhooks (pinned; the webhook tests verify deliveries with the latter),
# the Node tools pinned in scripts/node (openapi-typescript, openapi-fetch, typescript, …) and
# cargo-nextest. `scripts/ensure-tools.sh sdk` installs only what `make sdk` needs: the
# virtualenv and the Node tools. Both live in cargo's target directory; install chatter goes to
# stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case "$what" in
  all | sdk) ;;
  *) echo "usage: scripts/ensure-tools.sh [sdk]" >&2; exit 2 ;;
esac

# Debian packages: Chromium for the docs test, HAProxy and Redis for the scale-out tests (two
# gateways behind a load balancer; the rate limit shared on Redis).
packages=()
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then packages+=(chromium); fi
if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then packages+=(haproxy); fi
if ! command -v redis-server >/dev/null; then packages+=(redis-server); fi
if [ "$what" = all ] && [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${packages[*]} (Debian packages) for the docs and scale-out tests" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
  else
    echo "The tests need ${packages[*]}: install them (apt-get install ${packages[*]})." >&2
    exit 1
  fi
fi

# shellcheck source=scripts/target-dir.sh
source scripts/target-dir.sh
target=$(target_dir)
venv=$target/tools-venv
if [ ! -x "$venv/bin/st" ] || [ ! -x "$venv/bin/openapi-python-client" ] ||
  ! "$venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  echo "installing schemathesis, openapi-python-client and standardwebhooks into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5 openapi-python-client==0.29.1 \
    standardwebhooks==1.1.0 >&2
fi

# The Node tools, exactly as scripts/node/package-lock.json pins them; installed again only when
# the lock file changed since the last install (its copy in $node_tools is the record of it).
node_tools=$target/node-tools
if ! cmp -s scripts/node/package-lock.json "$node_tools/package-lock.json" || [ ! -d "$node_tools/node_modules" ]; then
  if ! command -v npm >/dev/null; then
    echo "The SDK tools need Node.js 20 and npm: install them (apt-get install nodejs npm)." >&2
    exit 1
  fi
  echo "installing the Node tools of scripts/node into $node_tools" >&2
  mkdir -p "$node_tools"
  cp scripts/node/package.json scripts/node/package-lock.json "$node_tools/"
  if ! (cd "$node_tools" && npm ci --no-audit --no-fund >&2); then
    rm -f "$node_tools/package-lock.json" # not installed: the next run tries again
    echo "npm ci failed in $node_tools" >&2
    exit 1
  fi
fi

if [ "$what" = all ] && ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest" >&2
  cargo install cargo-nextest --locked >&2
fi
