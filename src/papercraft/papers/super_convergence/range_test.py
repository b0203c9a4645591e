"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates", arXiv 1506.01186 §3.3;
Smith & Topin 2017 §4.1): train for a short while with the learning rate growing exponentially from
tiny to huge, and record the loss against the learning rate. The loss first stays flat (too small to
learn), then falls, then becomes ragged and blows up; the largest rate at which it still falls is
the one-cycle's maximum learning rate.

We suggest the learning rate at which the *smoothed* loss (an exponential moving average with bias
correction, so that single noisy batches do not decide) is lowest, and stop early once the smoothed
loss exceeds ``diverge_factor`` times its minimum. With batch normalization the curve often has a
long flat valley after that minimum (Smith & Topin Fig. 3a: accuracy stays high up to large rates,
the sign that super-convergence is possible); :meth:`RangeTestResult.valley_end_lr` reads its end,
the largest rate at which training still works. The model and optimizer are restored afterwards,
so the test does not disturb the training that follows.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn


@dataclass
class RangeTestResult:
    """Learning rates tried (one per step), raw and smoothed losses, and the suggested maximum."""

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggested_max_lr: float
    stopped_early: bool

    def valley_end_lr(self, factor: float = 1.5) -> float:
        """The largest lr, before the blow-up, whose smoothed loss is at most ``factor`` × its minimum.

        Scans from the lowest-loss point towards larger rates and stops at the first point above the
        bound, so a later recovery after the blow-up does not count.
        """
        if not factor >= 1:
            raise ValueError(f"factor must be >= 1, got {factor!r}")
        best = self.lrs.index(self.suggested_max_lr)
        bound = factor * self.smoothed[best]
        end = best
        while end + 1 < len(self.smoothed) and math.isfinite(self.smoothed[end + 1]) and self.smoothed[end + 1] <= bound:
            end += 1
        return self.lrs[end]


def lr_range_test(model: nn.Module, loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], tuple[torch.Tensor, object]],
                  data: Iterator[tuple[torch.Tensor, ...]], optimizer: torch.optim.Optimizer, *, lr_min: float = 1e-5,
                  lr_max: float = 10.0, steps: int = 100, smoothing: float = 0.9, diverge_factor: float = 4.0,
                  device: torch.device | str = "cpu") -> RangeTestResult:
    """Run the range test; return the curve and the suggested maximum learning rate.

    Args:
        model, optimizer: what to train (both are restored to their initial state at the end).
        loss_fn: ``(model, batch) -> (loss, metrics)``, as for the trainer.
        data: an iterator of batches.
        lr_min, lr_max: the range; step i uses ``lr_min · (lr_max / lr_min)^(i / (steps − 1))``.
        steps: number of steps (one batch each).
        smoothing: EMA coefficient of the smoothed loss.
        diverge_factor: stop once the smoothed loss exceeds this times its minimum (or is not finite).
    """
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min!r}, lr_max={lr_max!r}")
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    if not diverge_factor > 1:
        raise ValueError(f"diverge_factor must be > 1, got {diverge_factor!r}")
    model_state = copy.deepcopy(model.state_dict())
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    lrs, losses, smoothed = [], [], []
    average, best, stopped = 0.0, math.inf, False
    model.train()
    try:
        for i in range(steps):
            lr = lr_min * (lr_max / lr_min) ** (i / (steps - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            batch = tuple(t.to(device) for t in next(data))
            loss, _ = loss_fn(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            average = smoothing * average + (1 - smoothing) * value
            debiased = average / (1 - smoothing ** (i + 1))
            lrs.append(lr)
            losses.append(value)
            smoothed.append(debiased)
            best = min(best, debiased)
            if not math.isfinite(debiased) or debiased > diverge_factor * best:
                stopped = True
                break
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
    finite = [(s, lr) for s, lr in zip(smoothed, lrs) if math.isfinite(s)]
    suggested = min(finite)[1] if finite else lr_min
    return RangeTestResult(lrs, losses, smoothed, suggested, stopped)


def draw_range_test(ax: Any, result: RangeTestResult, title: str = "learning-rate range test",
                    marks: dict[str, float] | None = None) -> None:
    """Draw loss against learning rate (log axis) on the matplotlib ``ax``, with the suggested
    maximum (and any ``marks``, label → lr) as vertical lines."""
    ax.plot(result.lrs, result.losses, color="0.75", lw=0.8, label="loss per batch")
    ax.plot(result.lrs, result.smoothed, color="C0", lw=1.8, label="smoothed loss")
    ax.axvline(result.suggested_max_lr, color="C3", ls="--",
               label=f"suggested max lr = {result.suggested_max_lr:.3g}")
    for k, (label, lr) in enumerate((marks or {}).items()):
        ax.axvline(lr, color=f"C{k + 1}", ls=":", label=f"{label} = {lr:.3g}")
    ax.set_xscale("log")
    finite = [s for s in result.smoothed if math.isfinite(s)]
    if finite:
        ax.set_ylim(0, min(max(finite), 3 * finite[0]) * 1.05)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    ax.legend()


def plot_range_test(result: RangeTestResult, path: Path, title: str = "learning-rate range test",
                    marks: dict[str, float] | None = None) -> None:
    """Write :func:`draw_range_test`'s plot to ``path`` (PNG)."""
    from papercraft.plots import figure

    with figure(path, size=(6, 4)) as (_, ax):
        draw_range_test(ax, result, title, marks)
