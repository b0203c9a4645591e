"""What an experiment returns, how its verdict is computed, and the ``result.json`` it is saved as.

An experiment states its criteria up front (in code, before looking at results), measures, and
returns an :class:`Outcome`. The verdict is *computed* from the criteria by :func:`verdict_of`:

- ``reproduced``: every primary criterion passed;
- ``not reproduced``: at least one primary criterion failed;
- ``inconclusive``: no primary criterion failed but at least one could not be decided
  (``passed is None``, e.g. a difference within seed noise).

Secondary criteria (``primary=False``) are reported beside the verdict but do not change it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from papercraft.io import write_atomic
from papercraft.paths import REPO_ROOT

if TYPE_CHECKING:  # statistics imports numpy; the registry reads results without it
    from papercraft.statistics import Interval

VERDICTS = ("reproduced", "not reproduced", "inconclusive")
VERDICT_RULE = (
    "reproduced if every primary criterion passed; not reproduced if any primary criterion failed; "
    "inconclusive otherwise (a primary criterion could not be decided)"
)
RESULT_FILE = "result.json"
METRICS_FILE = "metrics.jsonl"
RESULT_SCHEMA = 2
"""Version of ``result.json``. Schema 2 (foundation v2) records the overrides, every seed used, the
threads the runner set and each sub-run's own timing; results without it were written before."""
LEGACY_NOTE = (
    "Produced before foundation v2: the runner did not yet record --set overrides, every seed an "
    "experiment used (\"seeds\" lists only the base seed), the torch threads it set, or each sub-run's "
    "own timing (a resumed run could report 0 s for sub-runs finished earlier), and the budget of "
    "some experiments was wall-clock time rather than steps."
)


@dataclass
class Criterion:
    """One explicit test of the claim: ``measured`` compared with ``threshold`` gave ``passed``.

    ``passed`` is ``None`` when the measurement cannot decide (too noisy, not enough data).
    ``part`` groups criteria by sub-claim, e.g. ``"a"`` for the catalogue's claim (a).
    """

    name: str
    statement: str  # what must hold, in words, e.g. "train accuracy at p=1 >= 99%"
    measured: Any
    threshold: Any
    passed: bool | None
    part: str = ""
    primary: bool = True

    @classmethod
    def at_least(cls, name: str, statement: str, measured: float, threshold: float, **kw: Any) -> Criterion:
        return cls(name, statement, measured, threshold, _finite(measured) and measured >= threshold, **kw)

    @classmethod
    def at_most(cls, name: str, statement: str, measured: float, threshold: float, **kw: Any) -> Criterion:
        return cls(name, statement, measured, threshold, _finite(measured) and measured <= threshold, **kw)

    @classmethod
    def interval_above(cls, name: str, statement: str, interval: Interval, margin: float = 0.0,
                       **kw: Any) -> Criterion:
        """Passed if the whole interval is above ``margin``, failed if wholly below, else undecided
        (a difference inside noise is inconclusive, not a failure)."""
        return cls(name, statement, interval.as_dict(), f"interval above {margin:g}", interval.decide(margin), **kw)

    @classmethod
    def equivalence(cls, name: str, statement: str, interval: Interval, margin: float, **kw: Any) -> Criterion:
        """A claim of no difference: passed if the interval lies inside ±``margin``, failed if it
        lies wholly outside, else undecided."""
        return cls(name, statement, interval.as_dict(), f"interval inside ±{margin:g}",
                   interval.equivalent(margin), **kw)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


@dataclass
class Plot:
    """A figure written by the experiment, with the caption shown under it on the report."""

    path: str  # relative to the run directory
    caption: str


@dataclass
class Table:
    """A small table of measured numbers for the report."""

    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Outcome:
    """Everything one experiment measured.

    ``numbers`` holds the measured values (JSON-serializable) under stable keys; the entry's
    ``headline`` names one of them for the index table.
    """

    numbers: dict[str, Any]
    criteria: list[Criterion]
    plots: list[Plot] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verdict_of(criteria: Iterable[Criterion]) -> str:
    """Compute the verdict from criteria by :data:`VERDICT_RULE`."""
    primary = [c for c in criteria if c.primary]
    if not primary:
        return "inconclusive"
    if any(c.passed is False for c in primary):
        return "not reproduced"
    if all(c.passed is True for c in primary):
        return "reproduced"
    return "inconclusive"


def part_verdicts(criteria: Iterable[Criterion]) -> dict[str, str]:
    """The verdict of each sub-claim (criteria grouped by ``part``)."""
    parts: dict[str, list[Criterion]] = {}
    for c in criteria:
        parts.setdefault(c.part or "-", []).append(c)
    # A part made only of secondary criteria still gets its own verdict (which does not change the
    # overall one), computed as if its criteria were primary.
    return {part: verdict_of(cs if any(c.primary for c in cs) else [_as_primary(c) for c in cs])
            for part, cs in sorted(parts.items())}


def _as_primary(c: Criterion) -> Criterion:
    return Criterion(c.name, c.statement, c.measured, c.threshold, c.passed, c.part, True)


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, tensors, numpy values, paths and non-finite floats for JSON."""
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return to_jsonable(value.item())
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically (:func:`papercraft.io.write_atomic`)."""
    write_atomic(path, json.dumps(to_jsonable(data), indent=2, sort_keys=False) + "\n")


def read_result(run_dir: Path) -> dict[str, Any] | None:
    """The parsed ``result.json`` of a run directory, or None if absent or unreadable."""
    path = Path(run_dir) / RESULT_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def find_results(roots: Iterable[Path]) -> dict[str, list[tuple[Path, dict[str, Any]]]]:
    """All results under ``roots``, grouped by entry id: ``{id: [(run_dir, result), ...]}``."""
    found: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob(RESULT_FILE)):
            result = read_result(path.parent)
            if result and "entry" in result:
                found.setdefault(result["entry"], []).append((path.parent, result))
    return found


def overrides_of(result: dict[str, Any]) -> list[str] | None:
    """The ``--set`` overrides a run used: recorded since schema 2, else read from the recorded
    command line (None if a legacy result recorded no command)."""
    if "overrides" in result:
        return list(result["overrides"])
    command = result.get("command")
    if not command:
        return None
    words = command.split()
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--set"]


def is_legacy(result: dict[str, Any]) -> bool:
    """Written before foundation v2 (see :data:`LEGACY_NOTE`)."""
    return int(result.get("schema", 1)) < RESULT_SCHEMA


def is_declared_run(result: dict[str, Any], presets: Iterable[str] | None = None) -> bool:
    """A run of a declared preset without overrides: the only kind the report, ``papercraft list``
    and the README show. ``presets``: the entry's declared preset names (None: any)."""
    if presets is not None and result.get("preset") not in set(presets):
        return False
    return not overrides_of(result)


def latest_result(results: list[tuple[Path, dict[str, Any]]],
                  presets: Iterable[str] | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The result shown for an entry: among runs of a declared preset without overrides, the newest
    ``full`` run if there is one, else the newest run.

    The full preset is what the report's numbers are meant to come from; a later quick run (for
    example from the test suite or ``papercraft reproduce``) does not hide it, and a run with
    ``--set`` overrides is never shown as the entry's result.
    """
    presets = list(presets) if presets is not None else None
    pool = [r for r in results if is_declared_run(r[1], presets)]
    if not pool:
        return None
    full = [r for r in pool if r[1].get("preset") == "full"]
    return max(full or pool, key=lambda r: r[1].get("finished_at", ""))


def committed_full_result(entry_id: str) -> tuple[Path, dict[str, Any]] | None:
    """The newest committed (``results/<id>/``) full-preset result without overrides, if any."""
    found = find_results([REPO_ROOT / "results" / entry_id]).get(entry_id, [])
    chosen = latest_result(found)
    return chosen if chosen and chosen[1].get("preset") == "full" else None
