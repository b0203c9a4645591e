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
        assert 1950 <= e.first_year <= e.year <= 2026, e.id
        assert e.status in STATUSES
        assert e.arxiv is None or re.fullmatch(r"\d{4}\.\d{4,5}", e.arxiv), e.id
        if e.arxiv:  # a paper (not a topic page such as multimodality): its numbers are on the map
            assert e.paper_numbers, f"{e.id} declares none of the paper's numbers"
        if e.status != "declared":
            assert e.experiments, f"{e.id} is {e.status} but declares no experiment"
            assert e.implements, f"{e.id} is {e.status} but says nothing of what is implemented"
            assert e.headline is not None, f"{e.id} has an experiment but no headline number"
            for x in e.experiments:
                x.load()  # the target imports
                assert x.presets["quick"].budget_s <= 60, f"{e.id}: quick preset must stay under a minute"
                assert x.presets["full"].budget_s <= 40 * 60, f"{e.id}: full preset must stay within 40 minutes"


def test_status_is_derived_from_what_exists():
    reg = registry()
    for e in reg:
        has_code = bool(e.code_files())
        assert (e.status == "declared") == (not has_code), e.id
    assert reg.get("transformer-xl").status == "declared"  # a planned entry: entry.py only
    assert not set(STATUSES) & {"reproduced", "not reproduced", "inconclusive"}  # never confusable with a verdict


def test_presets_are_typed_and_set_validates_against_them():
    from papercraft.errors import UsageError

    experiment = registry().get("resnet").experiments[0]
    types = experiment.param_types()
    assert types["depths"] == "list[int]" and types["lr"] == "float" and types["epochs"] == "int"
    params = experiment.apply_overrides("quick", ["lr=0.2", "depths=[8,20]", "epochs=3"])
    assert params["lr"] == 0.2 and params["depths"] == [8, 20] and params["epochs"] == 3
    for bad, expected in (("lr=fast", "expects float"), ("depths=[8.5]", "expects list[int]"),
                          ("epochs=2.5", "expects int"), ("depth=3", "did you mean 'depths'"), ("lr", "KEY=VALUE")):
        with pytest.raises(UsageError, match=re.escape(expected)):
            experiment.apply_overrides("quick", [bad])


def test_presets_that_disagree_on_names_or_types_are_refused():
    from papercraft.registry import Experiment, Preset

    with pytest.raises(ValueError, match="lacks|another preset lacks"):
        Experiment("x", "", "m:f", {"quick": Preset({"a": 1}, 1), "full": Preset({"b": 1}, 1)})
    with pytest.raises(ValueError, match="'a' is"):
        Experiment("x", "", "m:f", {"quick": Preset({"a": 1}, 1), "full": Preset({"a": "one"}, 1)})
    with pytest.raises(ValueError, match="Preset.threads"):
        Preset({"threads": 2}, 1)
    with pytest.raises(ValueError, match="lacks presets"):
        Experiment("x", "", "m:f", {"quick": Preset({}, 1)})


def test_headline_formats_with_label_and_unit():
    from papercraft.registry import Headline

    assert Headline("k", "train accuracy", unit="%", scale=100).format(0.9975) == "99.8%"
    assert Headline("k", "ratio", unit="×").format(4.876) == "4.88×"
    assert Headline("k", "BLEU", unit="BLEU", digits=2).format(3.02) == "3 BLEU"
    assert Headline("k", "x").format("n/a") == "n/a"


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
