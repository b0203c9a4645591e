"""Fixtures for the report tests: a results root with a real runner-written result, and the site.

The rethinking-generalization result is produced by :func:`papercraft.runner.run_entry` itself
(with the entry's experiment swapped for a tiny fake that draws two real PNGs), so the report is
tested against exactly the ``result.json`` shape the runner writes. Beside it the root holds the
awkward cases the builder must survive: a newer *quick* run that must not hide the full one, an
unreadable file, a result of the wrong shape, a result of an unknown entry and missing plots.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from pathlib import Path

import pytest

from papercraft.registry import Registry, registry
from papercraft.results import Criterion, Outcome, Plot, Table, write_json_atomic

FAKE_MODULE = "papercraft_report_tests_fake_experiment"
ENTRY = "rethinking-generalization"
HOSTILE_NOTE = "<script>alert('x')</script> & friends"


def fake_randomization(ctx) -> Outcome:
    """Stands in for the real experiment: two small real plots, numbers, criteria and a table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name, ys in (("loss_curves.png", [2.3, 1.1, 0.4, 0.05]), ("test_error_vs_p.png", [0.02, 0.3, 0.6, 0.9])):
        fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
        ax.plot(range(len(ys)), ys)
        fig.savefig(ctx.path(name))
        plt.close(fig)
    criteria = [
        Criterion.at_least("fit_random", "train accuracy at p=1 >= 0.99", 0.9975, 0.99, part="a"),
        Criterion.at_most("slowdown", "time-to-fit ratio <= 5", 2.5, 5.0, part="b"),
        Criterion("noise", "difference beyond seed noise", 0.01, "> 2 sd", None, part="c", primary=False),
    ]
    return Outcome(
        numbers={"train_acc_random_labels": 0.9975, "test_acc_random_labels": 0.1012, "steps": [120, 300]},
        criteria=criteria,
        plots=[Plot("loss_curves.png", "Training loss per corruption type (paper Fig. 1a)"),
               Plot("test_error_vs_p.png", "Test error vs label corruption p (paper Fig. 1c)")],
        tables=[Table("Accuracy by corruption level", ["p", "train", "test"], [[0.0, 1.0, 0.981], [1.0, 0.9975, 0.1012]])],
        notes=[HOSTILE_NOTE],
    )


@pytest.fixture(scope="session")
def results_root(tmp_path_factory) -> Path:
    """``<tmp>/results`` holding one real runner result and the awkward cases."""
    root = tmp_path_factory.mktemp("report-results") / "results"
    module = types.ModuleType(FAKE_MODULE)
    module.run = fake_randomization
    real = registry()
    entry = real.get(ENTRY)
    experiment = dataclasses.replace(entry.experiments[0], target=f"{FAKE_MODULE}:run")
    fake_entry = dataclasses.replace(entry, experiments=(experiment,))
    fake_registry = Registry([fake_entry if e.id == ENTRY else e for e in real])

    import papercraft.runner as runner

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, FAKE_MODULE, module)
        mp.setattr(runner, "registry", lambda: fake_registry)
        run_dir, result = runner.run_entry(ENTRY, preset="full", seed=0, device="cpu", out=root / ENTRY)
    assert result["verdict"] == "reproduced", result["verdict"]

    # A newer quick run: the report must still show the full one.
    quick = json.loads((run_dir / "result.json").read_text())
    quick.update(preset="quick", finished_at="2099-01-01T00:00:00+00:00", verdict="not reproduced",
                 headline={"key": "train_acc_random_labels", "value": 0.123})
    (root / "local-quick").mkdir()
    write_json_atomic(root / "local-quick" / "result.json", quick)

    for name, text in {"transformer-xl": "{not json", "gpt": json.dumps({"entry": "gpt", "experiments": [1, 2]}),
                       "stranger": json.dumps({"entry": "no-such-entry", "experiments": {}})}.items():
        (root / name).mkdir()
        (root / name / "result.json").write_text(text)

    # A result whose plots are missing or point outside the run directory.
    resnet = json.loads((run_dir / "result.json").read_text())
    resnet.update(entry="resnet", headline=None)
    exp = resnet["experiments"]["randomization"]
    exp["plots"] = [{"path": "randomization/absent.png", "caption": "never drawn"},
                    {"path": "../rethinking-generalization/randomization/loss_curves.png", "caption": "escapes"}]
    (root / "resnet").mkdir()
    write_json_atomic(root / "resnet" / "result.json", resnet)
    return root


@pytest.fixture(scope="session")
def fake_repo(tmp_path_factory) -> Path:
    """A repository root with source and test files for rethinking-generalization."""
    repo = tmp_path_factory.mktemp("report-repo")
    package = repo / "src/papercraft/papers/rethinking_generalization"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Zhang et al. 2017."""\n')
    (package / "experiment.py").write_text('def run(ctx):\n    return "<b>&amp;</b>"  # must be escaped\n')
    tests = repo / "tests/papers"
    tests.mkdir(parents=True)
    (tests / "test_rethinking_generalization.py").write_text("def test_nothing():\n    assert True\n")
    return repo


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, results_root, fake_repo):
    """``(site_dir, warnings)``: the report built once for all tests of this directory."""
    from papercraft.report import build_report

    site = tmp_path_factory.mktemp("report-site") / "site"
    warnings: list[str] = []
    index = build_report(site, [results_root], repo_root=fake_repo, warn=warnings.append)
    assert index == site / "index.html"
    return site, warnings
