#!/usr/bin/env bash
# Packaging check: builds the Python wheel (maturin build) and the npm tarball
# (npm pack, native module inside) once, installs each into a fresh temporary
# environment outside the repository (a new venv; a new npm project), and runs
# the Python and Node quickstarts from there against copies of examples/, so a
# packaging mistake fails the tests; each must end with the sample's journal
# entries and Stripe balance statement (scripts/check_quickstart.py). Run after scripts/test-python.sh and
# scripts/test-node.sh (they create .venv and build the addon).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tieout-packages-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

app() { # a copy of the examples, outside the repository
  mkdir -p "$1/examples"
  cp -r "$ROOT/examples/data" "$ROOT/examples/$2" "$1/examples/"
}

echo "-- python: maturin build, install the wheel into a fresh venv, run the quickstart"
(cd bindings-python && "$ROOT/.venv/bin/maturin" build --quiet --out "$WORK/wheels")
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WORK"/wheels/tieout-*.whl
app "$WORK/py" python
(cd "$WORK/py" && env -u PYTHONPATH -u VIRTUAL_ENV "$WORK/venv/bin/python" examples/python/quickstart.py "$WORK/py.db") \
  > "$WORK/py.out"
cat "$WORK/py.out"
# It ends with the sample's journal entries and Stripe balance statement, as
# the installed package computes them from the books it wrote.
env -u PYTHONPATH -u VIRTUAL_ENV "$WORK/venv/bin/python" "$ROOT/scripts/check_quickstart.py" "$WORK/py.out" "$WORK/py.db"
"$WORK/venv/bin/python" - "$WORK/py.out" <<'PY'
import sys, tieout, pathlib
out = pathlib.Path(sys.argv[1]).read_text()
assert "/site-packages/tieout" in tieout.__file__, tieout.__file__
assert "Review of" in out and "succeeded" in out and "Allocations" in out, out
PY

echo "-- node: npm pack (with the native module), install into a fresh project, run the quickstart"
ls bindings-node/*.node >/dev/null
(cd bindings-node && npm pack --silent --pack-destination "$WORK" >/dev/null)
tar -tzf "$WORK"/tieout-*.tgz > "$WORK/tarball.txt"
grep -q '^package/tieout\..*\.node$' "$WORK/tarball.txt" || { echo "no native module in the tarball" >&2; exit 1; }
mkdir -p "$WORK/node"
(cd "$WORK/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "$WORK"/tieout-*.tgz)
app "$WORK/node" node
(cd "$WORK/node" && node examples/node/quickstart.mjs "$WORK/node.db") > "$WORK/node.out"
cat "$WORK/node.out"
grep -q 'Re-review: 0 change(s)' "$WORK/node.out"
env -u PYTHONPATH -u VIRTUAL_ENV "$WORK/venv/bin/python" "$ROOT/scripts/check_quickstart.py" "$WORK/node.out" "$WORK/node.db"
(cd "$WORK/node" && node -e "
  const p = require.resolve('tieout');
  if (!p.includes('/node_modules/tieout/')) { console.error('resolved', p); process.exit(1) }
  const { Books } = require('tieout'); if (typeof Books.inMemory !== 'function') process.exit(1)")
echo "packages: wheel and npm tarball install and run outside the repository"
