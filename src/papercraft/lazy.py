"""Lazy exports for the entries' packages.

Importing ``papercraft.papers.<id>`` (which importing its ``entry.py`` does) must not import torch,
so that ``papercraft list`` and ``show`` stay instant. An entry's ``__init__.py`` therefore names
its public objects and the module each lives in, and :func:`lazy_exports` imports that module on
first access: ``from papercraft.papers.gpt import GPT`` still works.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


class _LazyPackage(types.ModuleType):
    """A package whose exported names win over same-named submodules.

    Importing a submodule sets it as an attribute of its package (``cnn_case_study.vgg`` becomes
    the module ``vgg.py``), which would hide an exported function of the same name (the builder
    ``vgg``). An eager ``__init__`` re-bound the function afterwards; here the binding is refused.
    """

    _lazy_exports: Mapping[str, str] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._lazy_exports and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` (PEP 562) for ``package``.

    ``exports`` maps a public name to the submodule that defines it, e.g. ``{"GPT": "model"}``.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            module = importlib.import_module(f"{package}.{exports[name]}")
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(exports)

    module = sys.modules.get(package)
    if module is not None:
        module.__class__ = _LazyPackage
        module._lazy_exports = dict(exports)
    return __getattr__, __dir__
