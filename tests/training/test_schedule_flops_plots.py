"""The shared warm-up + cosine schedule, FLOP counting, the figure helper and atomic writes."""

from __future__ import annotations

import math
import os

import pytest
import torch
from torch import nn

from papercraft.io import write_atomic
from papercraft.plots import figure
from papercraft.training.flops import step_flops
from papercraft.training.schedules import warmup_cosine, warmup_cosine_factor


def test_warmup_cosine_matches_its_formula_and_torch():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.5)
    sched = warmup_cosine(opt, total_steps=20, warmup_steps=4, floor=0.1)
    lrs = []
    for _ in range(25):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:4] == pytest.approx([0.5 * k / 4 for k in (1, 2, 3, 4)])  # linear warm-up to the peak
    for step in range(4, 25):
        progress = min((step - 4) / 16, 1.0)
        assert lrs[step] == pytest.approx(0.5 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))))
    assert lrs[-1] == pytest.approx(0.05)  # stays at the floor after total_steps
    # Without warm-up and floor it is torch's CosineAnnealingLR (eta_min = 0).
    opt2 = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.5)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
    for step in range(10):
        assert warmup_cosine_factor(step, 10) * 0.5 == pytest.approx(opt2.param_groups[0]["lr"])
        opt2.step()
        ref.step()
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine(opt, total_steps=5, warmup_steps=6)


def test_step_flops_counts_forward_and_backward_matmuls():
    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.ReLU(), nn.Linear(16, 4, bias=False))
    batch = (torch.randn(5, 8), torch.randint(0, 4, (5,)))

    def loss_fn(m, b):
        return nn.functional.cross_entropy(m(b[0]), b[1]), {}

    before = [p.detach().clone() for p in model.parameters()]
    flops = step_flops(model, loss_fn, batch)
    forward = 2 * 5 * (8 * 16 + 16 * 4)
    # backward: weight gradients of both layers, input gradient of the second (the first's input needs none)
    backward = 2 * 5 * (8 * 16 + 16 * 4) + 2 * 5 * 16 * 4
    assert flops == forward + backward
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())


def test_figure_writes_a_png_and_closes(tmp_path):
    import matplotlib.pyplot as plt

    open_before = len(plt.get_fignums())
    with figure(tmp_path / "sub" / "plot.png", ncols=2, title="t") as (fig, axes):
        axes[0].plot([1, 2], [3, 4])
    assert (tmp_path / "sub" / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(plt.get_fignums()) == open_before
    with pytest.raises(RuntimeError), figure(tmp_path / "failed.png"):
        raise RuntimeError("drawing failed")
    assert not (tmp_path / "failed.png").exists() and len(plt.get_fignums()) == open_before


def test_write_atomic_never_leaves_a_half_file(tmp_path, monkeypatch):
    target = tmp_path / "a" / "result.json"
    write_atomic(target, "first")
    assert target.read_text() == "first"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"second")
    assert target.read_text() == "first"
    assert not list(target.parent.glob("*.tmp"))


def test_paths_are_not_measurements(tmp_path):
    from papercraft.runner import _non_measurements

    numbers = {"loss": 0.5, "curve": [1.0, 2.0], "nested": {"dir": str(tmp_path), "name": "a/b-not-on-disk"},
               "ckpt": [tmp_path / "x"]}
    assert _non_measurements(numbers) == ["nested.dir", "ckpt[0]"]
