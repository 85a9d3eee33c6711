#!/usr/bin/env bash
# Benchmarks through the bindings, next to the peers a user would pick: tieout
# through Python and through Node (StripeFiles -> review -> import into SQLite),
# a script on the official `stripe` SDK's objects + sqlite3, and a plain json +
# sqlite3 script, each in its own process on the same generated export.
#
#   benches/bindings/run.sh [--sizes 100000,1000000] [--peers python,node,sdk,plain]
#                           [--repeat N] [--work DIR] [--keep] [--keep-books]
#
# Builds what it measures in RELEASE first: the Python wheel (maturin build
# --release, installed into its own venv under target/, not the test .venv) and
# the Node addon (napi build --release, into target/bench-node). Not part of the
# test run. Needs python3, node/npm and network access to PyPI and npm on the
# first run. The 1M stripe-SDK run takes about a quarter of an hour: leave it
# out with --peers python,node,plain.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VENV="$ROOT/target/bench-venv"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "maturin==1.16.0" "stripe==16.1.0"

echo "-- building the Python package (release wheel)" >&2
rm -rf "$ROOT/target/bench-wheels"
(cd bindings-python && "$VENV/bin/maturin" build --release --quiet -i "$VENV/bin/python" \
    -o "$ROOT/target/bench-wheels")
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --force-reinstall --no-deps "$ROOT"/target/bench-wheels/tieout-*.whl

echo "-- building the Node addon (release)" >&2
(cd bindings-node
 if [ ! -d node_modules/@napi-rs/cli ]; then npm ci --loglevel=error; fi
 npx napi build --platform --release --output-dir "$ROOT/target/bench-node" >&2)
cp bindings-node/package.json "$ROOT/target/bench-node/"

exec "$VENV/bin/python" benches/bindings/run.py --python "$VENV/bin/python" \
    --node-addon "$ROOT/target/bench-node" "$@"
