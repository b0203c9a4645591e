#!/usr/bin/env bash
# Set papercraft up on a fresh clone: a virtual environment in .venv, the packages (torch pinned to
# 2.13.0 through constraints.txt on every install), and the data sets the experiments read.
#
#   bash scripts/setup.sh            # runtime packages + data
#   bash scripts/setup.sh --test     # also the test oracles (transformers, torchvision, tiktoken, ...)
#                                    # and, as root, Debian's chromium for the browser test
#
# Re-running is cheap: pip and `papercraft data get` skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (valid: --test, --help)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python=$candidate; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "setup.sh: papercraft needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python"
  "$python" -m venv .venv
fi
pip() { .venv/bin/python -m pip "$@"; }
target="."
[ "$with_tests" = 1 ] && target=".[test]"
echo "==> installing papercraft from $target (torch pinned by constraints.txt)"
PIP_DISABLE_PIP_VERSION_CHECK=1 pip install -q -c constraints.txt -e "$target"

# Debian packages: the data sets come through `apt-get download`, which needs package lists; the
# browser test needs chromium. Both need root; without it, `papercraft data get` says what to run.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] || [ "${CI:-}" = true ]; then
    echo "==> apt-get update"
    apt-get update -qq
  fi
  if [ "$with_tests" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing Debian's chromium (for the report's browser test)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
fi

echo "==> fetching data sets (cache: ${PAPERCRAFT_DATA:-default user cache})"
.venv/bin/papercraft data get all
echo "==> ready: .venv/bin/papercraft --help"
