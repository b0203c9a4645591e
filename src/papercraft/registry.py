"""The registry: every catalogue entry's declaration, read by the CLI, the report, the README and tests.

Each entry declares itself in ``src/papercraft/papers/<id>/entry.py`` (an ``ENTRY = Entry(...)``);
:mod:`papercraft.catalog` holds only the ordered ids and the sections. This module defines the
shape of a declaration and the look-ups. Nothing here imports torch or an entry's code:
experiments are named by ``"module:function"`` strings and imported only when run, and the
entries' packages export their code lazily, so ``papercraft list`` stays instant.

An entry's *status* is derived from what exists, never typed by hand (:data:`STATUSES`); whether
its claim held is the *verdict* of its experiment, a different thing with different words.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from papercraft.errors import UsageError, unknown_choice
from papercraft.paths import REPO_ROOT


STATUSES = ("declared", "implemented", "tested", "measured")
"""How far the work on an entry got, derived from the files (:meth:`Entry.status`):

- ``declared``: only its ``entry.py`` exists (title, claim, the paper's numbers);
- ``implemented``: its package has code beyond the declaration;
- ``tested``: and ``tests/papers/test_<id>.py`` exists;
- ``measured``: and a full-preset result of a declared preset is committed under ``results/<id>/``.

None of these words is a verdict (``reproduced`` / ``not reproduced`` / ``inconclusive``)."""

PRESETS = ("quick", "full")
"""Every experiment has these presets; an experiment may declare more (e.g. a longer budget)."""


# ---------------------------------------------------------------------------------------- params

def _type_name(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        inner = sorted({_type_name(v) for v in value} - {"none"})
        if inner == ["float", "int"]:
            inner = ["float"]
        return f"list[{inner[0]}]" if len(inner) == 1 else "list"
    if isinstance(value, dict):
        return "dict"
    raise TypeError(f"unsupported preset parameter value {value!r} ({type(value).__name__})")


def _merge_types(a: str, b: str) -> str | None:
    """The common type of two preset values, or None if they disagree."""
    if a == b:
        return a
    if {a, b} == {"int", "float"}:
        return "float"
    if "none" in (a, b):
        return (b if a == "none" else a) + "?"
    if a.endswith("?") and b in (a[:-1], "none"):
        return a
    if a == "list" or b == "list":
        if a.startswith("list") and b.startswith("list"):
            return a if a != "list" else b
    if {a, b} == {"list[int]", "list[float]"}:
        return "list[float]"
    return None


def _accepts(type_name: str, value: Any) -> bool:
    optional = type_name.endswith("?")
    base = type_name[:-1] if optional else type_name
    if value is None:
        return optional or base == "none"
    if base == "bool":
        return isinstance(value, bool)
    if base == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if base == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if base == "str":
        return isinstance(value, str)
    if base == "dict":
        return isinstance(value, dict)
    if base.startswith("list"):
        if not isinstance(value, list):
            return False
        inner = base[5:-1] if base.startswith("list[") else None
        return inner is None or all(_accepts(inner, v) for v in value)
    return False


@dataclass(frozen=True)
class Preset:
    """A named set of experiment parameters.

    Attributes:
        params: the experiment's parameters (``ctx.params``); every preset of an experiment has the
            same names with the same types, so ``--set`` can validate against them.
        budget_s: the wall time the preset is designed for on a quiet 2-core CPU. A design target
            only: training budgets are steps or epochs (in ``params``), never seconds.
        description: one line for ``papercraft show`` and the report.
        threads: torch intra-op threads the runner sets while the experiment runs (recorded in
            ``result.json``). One thread keeps small models from waiting on each other on 2 cores.
    """

    params: Mapping[str, Any]
    budget_s: float
    description: str = ""
    threads: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"Preset.threads must be a positive int, got {self.threads!r}")
        for key, value in self.params.items():
            _type_name(value)  # raises on unsupported values
            if key in ("threads", "torch_threads"):
                raise ValueError(f"preset parameter '{key}': threads belong to Preset.threads (the runner sets them)")


@dataclass(frozen=True)
class Experiment:
    """One experiment of an entry: a function ``run(ctx: RunContext) -> Outcome`` and its presets."""

    name: str
    description: str
    target: str  # "package.module:function"
    presets: Mapping[str, Preset]

    def __post_init__(self) -> None:
        missing = [p for p in PRESETS if p not in self.presets]
        if missing:
            raise ValueError(f"experiment {self.name} lacks presets {missing}")
        self.param_types()  # raises if the presets disagree

    def load(self) -> Callable[..., Any]:
        """Import and return the experiment function."""
        module_name, _, function_name = self.target.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, function_name)

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def preset(self, name: str) -> Preset:
        if name not in self.presets:
            raise unknown_choice("preset", name, self.presets)
        return self.presets[name]

    def param_types(self) -> dict[str, str]:
        """The type of every parameter, e.g. ``{"steps": "int", "lrs": "list[float]"}``, taken from
        the presets, which must agree on names and types."""
        types: dict[str, str] = {}
        names: set[str] | None = None
        for preset_name, preset in self.presets.items():
            keys = set(preset.params)
            if names is not None and keys != names:
                raise ValueError(f"experiment {self.name}: preset '{preset_name}' has parameters "
                                 f"{sorted(keys ^ names)} that another preset lacks")
            names = keys
            for key, value in preset.params.items():
                t = _type_name(value)
                merged = _merge_types(types[key], t) if key in types else t
                if merged is None:
                    raise ValueError(f"experiment {self.name}: parameter '{key}' is {types[key]} in one preset "
                                     f"and {t} in '{preset_name}'")
                types[key] = merged
        return types

    def apply_overrides(self, preset: str, pairs: tuple[str, ...] | list[str]) -> dict[str, Any]:
        """The preset's parameters with ``KEY=VALUE`` overrides (values parsed as JSON, else as
        strings), each validated against :meth:`param_types`. Unknown names and wrong types are
        usage errors that name what is expected."""
        params = dict(self.preset(preset).params)
        types = self.param_types()
        for pair in pairs:
            key, sep, raw = pair.partition("=")
            if not sep:
                raise UsageError(f"--set expects KEY=VALUE, got '{pair}'")
            if key not in types:
                if not types:
                    raise UsageError(f"unknown parameter '{key}': experiment {self.name} has no parameters to set")
                raise unknown_choice(f"parameter of experiment {self.name}", key, sorted(types))
            try:
                value: Any = json.loads(raw)
            except ValueError:
                value = raw
            if not _accepts(types[key], value):
                raise UsageError(f"parameter '{key}' expects {types[key]} (e.g. {json.dumps(params[key])}), got '{raw}'")
            params[key] = float(value) if types[key].rstrip("?") == "float" and value is not None else value
        return params


@dataclass(frozen=True)
class PaperNumber:
    """A headline number from the paper, shown beside ours on the report."""

    label: str
    value: str
    source: str = ""  # e.g. "Table 2", "Fig. 1a"


@dataclass(frozen=True)
class Headline:
    """The measured number shown for an entry in the index, with a human label and unit.

    ``key`` names a value in an experiment's ``Outcome.numbers``; ``scale`` multiplies it for
    display (0.93 with ``scale=100, unit="%"`` shows as ``93.0%``).
    """

    key: str
    label: str
    unit: str = ""
    scale: float = 1.0
    digits: int = 3  # significant digits shown
    older_keys: tuple[tuple[str, float], ...] = ()  # (key, scale) of the same number in older results

    def format(self, value: Any, scale: float | None = None) -> str:
        """``value`` for display: scaled, rounded to :attr:`digits` significant digits, with its unit."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value)
        x = value * (self.scale if scale is None else scale) + 0.0  # + 0.0: no '-0'
        text = f"{x:,.{self.digits}g}" if abs(x) < 10 ** self.digits else f"{x:,.0f}"
        sep = "" if self.unit in ("%", "×", "x", "") else " "
        return f"{text}{sep}{self.unit}"


@dataclass(frozen=True)
class Command:
    """A ``papercraft`` subcommand an entry contributes: ``module`` has ``add_parser(subparsers)``
    and is imported only when the command is used."""

    name: str
    module: str
    help: str


@dataclass(frozen=True)
class Entry:
    """One catalogue entry (a paper or a topic), declared in its package's ``entry.py``.

    Attributes:
        builds_on: earlier entries whose implementation this entry's code imports.
        tools: entries whose public implementation (not experiment) this entry's *experiment* may
            use, e.g. a BPE vocabulary or a model used as a test bed.
        since: the year of the earliest paper a topic entry covers (default: ``year``); an entry
            may build on another whose ``since`` is not later than its own ``year``.
        deviations: design decisions that differ from the paper. Measured findings belong in the
            experiment's result, so that a re-run cannot leave them stale.
        history: how the experiment's design changed between committed runs and why (the earlier
            results stay in the git history, named by commit), newest first.
    """

    id: str
    title: str
    authors: str
    year: int
    claim: str
    arxiv: str | None = None
    paper_numbers: tuple[PaperNumber, ...] = ()
    experiments: tuple[Experiment, ...] = ()
    implements: tuple[str, ...] = ()
    deviations: tuple[str, ...] = ()
    headline: Headline | None = None
    builds_on: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    commands: tuple[Command, ...] = ()
    since: int | None = None
    history: tuple[str, ...] = ()
    section: str = ""  # filled in by the registry from papercraft.catalog

    def __post_init__(self) -> None:
        names = [e.name for e in self.experiments]
        if len(set(names)) != len(names):
            raise ValueError(f"entry {self.id}: duplicate experiment names {names}")

    @property
    def first_year(self) -> int:
        return self.since if self.since is not None else self.year

    @property
    def package(self) -> str:
        """The Python package of this entry: ``papercraft.papers.<id with _ for ->``."""
        return "papercraft.papers." + self.id.replace("-", "_")

    @property
    def source_dir(self) -> str:
        """Path of the entry's package relative to the repository root."""
        return "src/papercraft/papers/" + self.id.replace("-", "_")

    @property
    def test_file(self) -> str:
        """Path of the entry's tests relative to the repository root."""
        return "tests/papers/test_" + self.id.replace("-", "_") + ".py"

    @property
    def arxiv_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else None

    def code_files(self) -> list[Path]:
        """The package's modules other than the declaration (``entry.py``, ``__init__.py``)."""
        directory = REPO_ROOT / self.source_dir
        return sorted(p for p in directory.glob("*.py") if p.name not in ("entry.py", "__init__.py"))

    @property
    def status(self) -> str:
        """Derived from what exists; see :data:`STATUSES`."""
        return _status(self.id)

    @property
    def runnable(self) -> bool:
        """Has experiments whose modules exist."""
        if not self.experiments:
            return False
        def importable(module: str) -> bool:
            if module in sys.modules:
                return True
            try:
                return importlib.util.find_spec(module) is not None
            except (ModuleNotFoundError, ValueError):  # a parent package is missing
                return False

        return all(importable(e.module) for e in self.experiments)

    def experiment(self, name: str) -> Experiment:
        for experiment in self.experiments:
            if experiment.name == name:
                return experiment
        raise unknown_choice(f"experiment of {self.id}", name, [e.name for e in self.experiments])


@functools.lru_cache(maxsize=None)
def _status(entry_id: str) -> str:
    entry = registry().get(entry_id)
    if not entry.code_files():
        return "declared"
    if not (REPO_ROOT / entry.test_file).exists():
        return "implemented"
    from papercraft.results import committed_full_result  # no torch

    return "measured" if committed_full_result(entry.id) is not None else "tested"


@dataclass
class Registry:
    """An ordered collection of entries with look-ups that fail with helpful messages."""

    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for entry in self.entries:
            if entry.id in seen:
                raise ValueError(f"duplicate entry id {entry.id}")
            seen.add(entry.id)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def ids(self) -> list[str]:
        return [e.id for e in self.entries]

    def get(self, entry_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise unknown_choice("entry id", entry_id, self.ids())

    def require_runnable(self, entry_id: str) -> Entry:
        entry = self.get(entry_id)
        if not entry.runnable:
            raise UsageError(
                f"entry '{entry_id}' is {entry.status}: it has no experiment to run yet "
                f"(runnable entries: {', '.join(e.id for e in self.entries if e.runnable) or 'none'})"
            )
        return entry


def load_entry(entry_id: str, section: str = "") -> Entry:
    """Import ``papercraft.papers.<id>.entry`` and return its ``ENTRY`` (with ``section`` set)."""
    module = importlib.import_module("papercraft.papers." + entry_id.replace("-", "_") + ".entry")
    entry = getattr(module, "ENTRY", None)
    if not isinstance(entry, Entry):
        raise TypeError(f"{module.__name__} must define ENTRY = Entry(...)")
    if entry.id != entry_id:
        raise ValueError(f"{module.__name__} declares id {entry.id!r}, expected {entry_id!r}")
    return replace(entry, section=section) if section else entry


@functools.lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry of all catalogue entries, in the catalogue's order."""
    from papercraft.catalog import ORDER, section_of

    return Registry([load_entry(entry_id, section_of(entry_id)) for entry_id in ORDER])
