"""The registry declares the whole catalogue, consistently with shared/catalog.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from papercraft.registry import STATUSES, registry
from papercraft.results import Criterion, part_verdicts, verdict_of

CATALOG = Path(__file__).resolve().parents[1].parent / "shared" / "catalog.md"


def test_all_47_entries_are_declared_once():
    ids = registry().ids()
    assert len(ids) == 47 and len(set(ids)) == 47


@pytest.mark.skipif(not CATALOG.exists(), reason="shared/catalog.md is not beside the checkout")
def test_ids_match_the_catalogue_in_order():
    catalogue_ids = re.findall(r"^### ([a-z0-9-]+)", CATALOG.read_text(encoding="utf-8"), flags=re.M)
    assert registry().ids() == catalogue_ids


def test_every_entry_is_complete():
    for e in registry():
        assert e.title and e.authors and e.claim and e.section, e.id
        assert 1990 <= e.year <= 2026, e.id
        assert e.status in STATUSES
        assert e.arxiv is None or re.fullmatch(r"\d{4}\.\d{4,5}", e.arxiv), e.id
        for dep in e.builds_on:
            assert dep in registry().ids(), f"{e.id} builds on unknown {dep}"
        if e.status != "planned":
            assert e.experiments, f"{e.id} is {e.status} but declares no experiment"
            assert e.implements, f"{e.id} is {e.status} but says nothing of what is implemented"
            for x in e.experiments:
                x.load()  # the target imports
                assert x.presets["quick"].budget_s <= 60, f"{e.id}: quick preset must stay under a minute"
                assert x.presets["full"].budget_s <= 20 * 60, f"{e.id}: full preset must stay within 20 minutes"


def test_verdict_rule():
    ok = Criterion("a", "x", 1, 1, True)
    bad = Criterion("b", "y", 0, 1, False)
    undecided = Criterion("c", "z", 0, 1, None)
    secondary_bad = Criterion("d", "w", 0, 1, False, primary=False)
    assert verdict_of([ok, secondary_bad]) == "reproduced"
    assert verdict_of([ok, bad]) == "not reproduced"
    assert verdict_of([ok, undecided]) == "inconclusive"
    assert verdict_of([bad, undecided]) == "not reproduced"
    assert verdict_of([]) == "inconclusive"
    assert Criterion.at_least("n", "s", float("nan"), 0.5).passed is False
    assert part_verdicts([Criterion("a", "", 1, 1, True, part="a"), Criterion("b", "", 0, 1, False, part="b")]) == {
        "a": "reproduced", "b": "not reproduced"}
