#!/usr/bin/env bash
# Builds the Python package into .venv (maturin develop, dev profile), checks that
# python/tieout/_native.pyi matches the native module (mypy stubtest: fails on
# any drift), type-checks the package and the example with mypy, then runs the
# pytest suite. Exits non-zero on any failure, including "no tests collected".
# Run scripts/setup-python.sh first (scripts/test does).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# PostgreSQL for the store tests (reuses TIEOUT_TEST_PG_URL when set).
source "$ROOT/scripts/pg.sh"
pg_ensure
PY="$ROOT/.venv/bin/python"
if [ ! -x "$PY" ]; then
    echo "no .venv: run scripts/setup-python.sh first" >&2
    exit 1
fi
export VIRTUAL_ENV="$ROOT/.venv"
export PATH="$ROOT/.venv/bin:$PATH"

echo "-- maturin develop"
(cd bindings-python && maturin develop --quiet)

echo "-- stub check (mypy.stubtest tieout._native)"
"$PY" -m mypy.stubtest tieout._native --mypy-config-file bindings-python/mypy.ini

echo "-- mypy --strict (package and example)"
"$PY" -m mypy --config-file bindings-python/mypy.ini \
    bindings-python/python/tieout examples/python/quickstart.py examples/python/webhook_flask.py

echo "-- pytest"
set +e
"$PY" -m pytest bindings-python/tests -q -p no:cacheprovider
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit "$rc"
