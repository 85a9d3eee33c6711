#!/usr/bin/env bash
# The Node package's tests: installs the npm dev dependencies (npm ci, from the
# committed lock), builds the addon with napi (dev build; this also regenerates
# index.js and index.d.ts), then runs `node --test` over bindings-node/__test__.
# Installs Debian's chromium when missing (the HTML report test drives it).
# Exits non-zero when a test fails or when no test ran. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# PostgreSQL for the store tests (reuses TIEOUT_TEST_PG_URL when set).
source "$ROOT/scripts/pg.sh"
pg_ensure
cd bindings-node

export TIEOUT_PYTHON=${TIEOUT_PYTHON:-$ROOT/.venv/bin/python}
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# npm ci reinstalls from scratch; skip it when node_modules already matches the lock.
stamp=node_modules/.tieout-lock-stamp
if [ -f package-lock.json ]; then
  want=$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    npm ci --loglevel=error --no-audit --no-fund
    echo "$want" > "$stamp"
  fi
else
  npm install --loglevel=error --no-audit --no-fund
fi

npx napi build --platform

# The HTML report test drives Debian's chromium (headless) with playwright-core.
if [ -z "${TIEOUT_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "-- installing Debian's chromium for the HTML report test"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

shopt -s nullglob
tests=(__test__/*.test.mjs)
if [ ${#tests[@]} -eq 0 ]; then
  echo "no Node test files under bindings-node/__test__" >&2
  exit 1
fi

tap=$(mktemp)
trap 'rm -f "$tap"; pg_stop' EXIT
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${tests[@]}" || status=$?
ran=$(sed -n 's/^# tests \([0-9][0-9]*\)$/\1/p' "$tap" | tail -1)
passed=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$tap" | tail -1)
failed=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$tap" | tail -1)
skipped=$(sed -n 's/^# skipped \([0-9][0-9]*\)$/\1/p' "$tap" | tail -1)
echo "node: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "${ran:-0}" -eq 0 ]; then
  echo "node --test ran no test" >&2
  exit 1
fi
exit "$status"
