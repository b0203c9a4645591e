"""The README's catalogue table, generated from the registry and the committed results.

The README holds the table between two markers::

    <!-- catalogue:start -->
    ...generated...
    <!-- catalogue:end -->

:func:`update_readme` rewrites that block; :func:`readme_is_stale` says whether it differs from
:func:`catalogue_table`, and the test ``test_readme_table_is_current`` fails when it does. The
verdict column reads only ``results/`` at the repository root (the committed full-preset results),
never local ``runs/``, so the table is the same on every machine and in CI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from papercraft.io import write_atomic
from papercraft.errors import PapercraftError
from papercraft.registry import Registry, registry
from papercraft.results import find_results, latest_result
from papercraft.runner import REPO_ROOT

START = "<!-- catalogue:start -->"
END = "<!-- catalogue:end -->"
COMMITTED_RESULTS: tuple[Path, ...] = (REPO_ROOT / "results",)
REGENERATE = "papercraft readme"
TITLE_MAX = 64


class ReadmeMarkersError(PapercraftError, ValueError):
    """The README lacks the catalogue markers (or has them in the wrong order)."""


def short_title(title: str, limit: int = TITLE_MAX) -> str:
    """A title short enough for a table cell: parenthesised asides dropped, cut at a word with "…"."""
    text = re.sub(r"\s*\([^)]*\)", "", title).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:/ ")
    return cut + "…"


def _cell(text: object) -> str:
    """Text safe inside a markdown table cell (pipes escaped, no newlines)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def catalogue_table(results_roots: Sequence[Path] = COMMITTED_RESULTS, reg: Registry | None = None) -> str:
    """The markdown catalogue table: one row per entry in catalogue order.

    Columns: id, short title, year, section (letter; the legend follows the table), status, and
    the verdict of the entry's shown result under ``results_roots``: a declared preset without
    overrides, full if there is one (``—`` when it has none).
    """
    reg = reg if reg is not None else registry()
    found = find_results(results_roots)
    lines = ["| id | title | year | section | status | verdict |", "|---|---|---|---|---|---|"]
    sections: dict[str, str] = {}
    for entry in reg:
        letter, _, name = entry.section.partition(".")
        sections.setdefault(letter.strip(), name.strip())
        latest = latest_result(found.get(entry.id, []), {name for x in entry.experiments for name in x.presets})
        verdict = latest[1].get("verdict") if latest else None
        lines.append("| " + " | ".join(_cell(c) for c in (
            f"`{entry.id}`", short_title(entry.title), entry.year, letter.strip(), entry.status, verdict or "—",
        )) + " |")
    legend = "Sections: " + "; ".join(f"{k}. {v}" for k, v in sections.items()) + "."
    return "\n".join(lines) + "\n\n" + legend + "\n"


def _block(table: str) -> str:
    # Blank lines around the table so every markdown renderer ends the HTML comments before it.
    return f"{START}\n<!-- generated from the registry by `{REGENERATE}`; do not edit by hand -->\n\n{table}\n{END}"


def _split(text: str, path: Path) -> tuple[str, str, str]:
    """``(before, block, after)`` around the markers (block includes them)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start:
        raise ReadmeMarkersError(f"{path} has no catalogue block: expected a line '{START}' followed by a line "
                                 f"'{END}' where the table goes")
    end += len(END)
    return text[:start], text[start:end], text[end:]


def has_markers(path: Path) -> bool:
    """Whether ``path`` exists and holds the catalogue markers in order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return False
    start, end = text.find(START), text.find(END)
    return 0 <= start < end


def expected_readme(text: str, path: Path = Path("README.md"), results_roots: Sequence[Path] = COMMITTED_RESULTS) -> str:
    """``text`` with its catalogue block replaced by the current table."""
    before, _, after = _split(text, path)
    return before + _block(catalogue_table(results_roots)) + after


def update_readme(path: Path, results_roots: Sequence[Path] = COMMITTED_RESULTS) -> bool:
    """Rewrite the catalogue block of the README at ``path``; True if the file changed.

    Raises:
        ReadmeMarkersError: the file lacks the markers.
        OSError: the file cannot be read or written.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = expected_readme(text, path, results_roots)
    if new == text:
        return False
    write_atomic(path, new)
    return True


def readme_is_stale(path: Path, results_roots: Sequence[Path] = COMMITTED_RESULTS) -> bool:
    """Whether the README's catalogue block differs from :func:`catalogue_table`.

    Raises:
        ReadmeMarkersError: the file lacks the markers.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return expected_readme(text, path, results_roots) != text
