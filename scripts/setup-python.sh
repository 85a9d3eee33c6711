#!/usr/bin/env bash
# Creates (if missing) the project virtualenv at .venv and installs, quietly and
# only from PyPI, the pinned tools the Python tests need: maturin (builds the
# native module), pytest, mypy (stubtest checks _native.pyi), localstripe and the
# official stripe SDK (the localstripe test peer), aiosmtpd and cryptography
# (the SMTP test server and its throwaway CA for the TLS tests) and beancount
# (bean-check, for the ledger export tests). Idempotent: a second run only
# checks the pins.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
PINS=(
    "maturin==1.16.0"
    "pytest==9.2.0"
    "mypy==2.4.1"
    "localstripe==1.15.10"
    "stripe==16.1.0"
    "aiosmtpd==1.4.6"
    "cryptography==50.0.2"
    "beancount==3.2.3"
    "flask==3.1.2"
    "pyarrow==22.0.0"
    "pandas==2.3.3"
)
# Skip pip entirely when every pin is already installed (fast, works offline).
if "$VENV/bin/python" - "${PINS[@]}" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
    exit 0
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-input "${PINS[@]}"
