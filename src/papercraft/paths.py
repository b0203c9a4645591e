"""Where papercraft's own files are: the package and, for a source checkout, the repository root
(committed results, tests, README)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parents[1]
