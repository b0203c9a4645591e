"""The registry: one declaration per catalogue entry, read by the CLI, the report, the README and tests.

The declarations themselves live in :mod:`papercraft.catalog` (all 47 entries of
``shared/catalog.md``). This module defines their shape and the look-ups. Nothing here imports
torch or an entry's code: experiments are named by ``"module:function"`` strings and imported only
when run, so ``papercraft list`` stays instant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from papercraft.errors import UsageError, unknown_choice

STATUSES = ("planned", "implemented", "verified", "reproduced")
"""An entry's progress: ``planned`` (declared only), ``implemented`` (code exists), ``verified``
(tests against an oracle pass), ``reproduced`` (its experiment has run and has a page). The status
says how far the *work* got; whether the claim held is the experiment's verdict."""

PRESETS = ("quick", "full")


@dataclass(frozen=True)
class Preset:
    """A named set of experiment parameters.

    ``quick`` must finish well under a minute on 2 CPU cores (tests run it); ``full`` takes minutes
    and produces the numbers on the report. ``budget_s`` is the wall-time the preset is designed for
    on 2 CPU cores; the runner records the measured time beside it.
    """

    params: Mapping[str, Any]
    budget_s: float
    description: str = ""


@dataclass(frozen=True)
class Experiment:
    """One experiment of an entry: a function ``run(ctx: RunContext) -> Outcome`` and its presets."""

    name: str
    description: str
    target: str  # "package.module:function"
    presets: Mapping[str, Preset]
    seeds: tuple[int, ...] = (0,)

    def load(self) -> Callable[..., Any]:
        """Import and return the experiment function."""
        module_name, _, function_name = self.target.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, function_name)

    def preset(self, name: str) -> Preset:
        if name not in self.presets:
            raise unknown_choice("preset", name, self.presets)
        return self.presets[name]


@dataclass(frozen=True)
class PaperNumber:
    """A headline number from the paper, shown beside ours on the report."""

    label: str
    value: str
    source: str = ""  # e.g. "Table 2", "Fig. 1a"


@dataclass(frozen=True)
class Entry:
    """One catalogue entry (a paper or a topic)."""

    id: str
    title: str
    authors: str
    year: int
    section: str  # the catalogue's section letter and name, e.g. "A. Generalization and optimization"
    claim: str  # the central claim, one sentence
    arxiv: str | None = None
    paper_numbers: tuple[PaperNumber, ...] = ()
    status: str = "planned"
    experiments: tuple[Experiment, ...] = ()
    implements: tuple[str, ...] = ()  # what is implemented, for the page
    deviations: tuple[str, ...] = ()  # known deviations from the paper
    headline: str | None = None  # key of Outcome.numbers shown in the index table
    builds_on: tuple[str, ...] = ()  # ids of earlier entries this one imports

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"entry {self.id}: status must be one of {STATUSES}, got {self.status!r}")
        for experiment in self.experiments:
            missing = [p for p in PRESETS if p not in experiment.presets]
            if missing:
                raise ValueError(f"entry {self.id}: experiment {experiment.name} lacks presets {missing}")

    @property
    def package(self) -> str:
        """The Python package of this entry: ``papercraft.papers.<id with _ for ->``."""
        return "papercraft.papers." + self.id.replace("-", "_")

    @property
    def source_dir(self) -> str:
        """Path of the entry's package relative to the repository root."""
        return "src/papercraft/papers/" + self.id.replace("-", "_")

    @property
    def arxiv_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else None

    @property
    def runnable(self) -> bool:
        return self.status != "planned" and bool(self.experiments)

    def experiment(self, name: str) -> Experiment:
        for experiment in self.experiments:
            if experiment.name == name:
                return experiment
        raise unknown_choice(f"experiment of {self.id}", name, [e.name for e in self.experiments])


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

    def __iter__(self):
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
                f"entry '{entry_id}' is still {entry.status}: it has no experiment to run yet "
                f"(runnable entries: {', '.join(e.id for e in self.entries if e.runnable) or 'none'})"
            )
        return entry


def registry() -> Registry:
    """The registry of all catalogue entries."""
    from papercraft.catalog import ENTRIES

    return Registry(list(ENTRIES))
