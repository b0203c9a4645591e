"""The README's catalogue table: generated from the registry, and a test fails when it is stale."""

from __future__ import annotations

import pytest

from papercraft.registry import registry
from papercraft.report.readme import (
    END,
    REGENERATE,
    START,
    ReadmeMarkersError,
    catalogue_table,
    has_markers,
    readme_is_stale,
    short_title,
    update_readme,
)
from papercraft.runner import REPO_ROOT

ENTRY = "rethinking-generalization"  # the entry tests/report/conftest.py gives a (full, reproduced) result


def _rows(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def test_table_has_every_entry_in_catalogue_order(tmp_path):
    table = catalogue_table(results_roots=[tmp_path / "none"])
    rows = _rows(table)
    reg = registry()
    assert [row[0] for row in rows] == [f"`{i}`" for i in reg.ids()]
    for row, entry in zip(rows, reg):
        assert len(row) == 6
        assert row[2] == str(entry.year) and row[3] == entry.section[0] and row[4] == entry.status
        assert row[5] == "—"  # no committed result in this root
    assert "A. Generalization and optimization" in table  # the section legend


def test_verdict_comes_from_the_latest_full_result(results_root):
    rows = {row[0]: row for row in _rows(catalogue_table(results_roots=[results_root]))}
    # The root also holds a newer *quick* run that says "not reproduced"; the full run wins.
    assert rows[f"`{ENTRY}`"][5] == "reproduced"
    assert rows["`transformer-xl`"][5] == "—"  # its result.json is unreadable


def test_short_title():
    assert short_title("Attention Is All You Need") == "Attention Is All You Need"
    long = "SGD with momentum / Nesterov, Adam, AdamW (Decoupled Weight Decay Regularization), Schedule-Free SGD"
    short = short_title(long, limit=40)
    assert "(" not in short and short.endswith("…") and len(short) <= 40


def test_stale_readme_is_detected_and_updated(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nintro | with a pipe\n\n{START}\n| old | table |\n{END}\n\n## after\n")
    assert has_markers(readme)
    assert readme_is_stale(readme, results_roots=[])
    assert update_readme(readme, results_roots=[]) is True
    text = readme.read_text()
    assert text.startswith("# title\n\nintro | with a pipe\n\n" + START) and text.endswith(END + "\n\n## after\n")
    assert "| old | table |" not in text and catalogue_table(results_roots=[]) in text
    assert not readme_is_stale(readme, results_roots=[])
    assert update_readme(readme, results_roots=[]) is False
    # Editing a row by hand makes it stale again.
    readme.write_text(text.replace("| declared |", "| measured |", 1))
    assert readme_is_stale(readme, results_roots=[])


def test_readme_without_markers_is_a_clear_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# no table here\n{END}\n{START}\n")  # wrong order counts as missing
    assert not has_markers(readme)
    with pytest.raises(ReadmeMarkersError, match="catalogue:start"):
        readme_is_stale(readme)
    with pytest.raises(ValueError):
        update_readme(readme)


def test_readme_table_is_current():
    readme = REPO_ROOT / "README.md"
    if not has_markers(readme):
        pytest.skip(f"{readme} has no '{START}' / '{END}' block yet")
    assert not readme_is_stale(readme), (
        f"README.md's catalogue table is stale: run `{REGENERATE}` (catalogue_table() differs from the README)")
