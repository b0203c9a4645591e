#!/usr/bin/env bash
# Set up (virtual environment, test oracles, data, chromium) and run papercraft's test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/training -k resume`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "==> running the tests"
exec .venv/bin/python -m pytest "$@"
