"""Importing test oracles (transformers, torchvision, tiktoken, ...) inside the tests that need them.

``oracle("transformers")`` returns the module. A missing oracle *fails* the test by default, so
that the README's test command (and CI) never passes by skipping; a developer without some oracle
can relax this locally with ``PAPERCRAFT_ORACLES=relaxed``, which turns the failure into a skip.
Import oracles through this function inside each test (or a fixture), never at module level, so
that a missing oracle cannot take torch-only tests in the same file down with it.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def strict() -> bool:
    """Missing oracles fail (the default) unless ``PAPERCRAFT_ORACLES=relaxed``."""
    return os.environ.get("PAPERCRAFT_ORACLES", "strict").lower() != "relaxed"


def oracle(name: str) -> ModuleType:
    """Import the oracle ``name`` (e.g. ``"transformers"``, ``"tokenizers"``), or fail/skip the test."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = (f"the test oracle '{name}' is not importable ({exc}); install the test extras with "
                   f"`bash scripts/setup.sh --test`")
        if strict():
            pytest.fail(message + " (or set PAPERCRAFT_ORACLES=relaxed to skip such tests locally)", pytrace=False)
        pytest.skip(message)
