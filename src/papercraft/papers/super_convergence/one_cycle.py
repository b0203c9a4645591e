"""The one-cycle policy (Smith & Topin 2017, arXiv 1708.07120, §3; Smith 2018, arXiv 1803.09820 §4.1).

One cycle of the learning rate, up from ``max_lr / div_factor`` to ``max_lr`` and back, while the
momentum moves the opposite way (high momentum while the learning rate is small, low while it is
large: Smith 2018 §4.1 "cyclical momentum"), followed by a final *annihilation* of the learning
rate to a value orders of magnitude below the start ("the last part of training the learning rate
decreases to several orders of magnitude less than the initial learning rate", Smith & Topin §3).

Phases, for T = ``total_steps`` and p = ``pct_start`` (step t counted from 0):

- ``three_phase=True`` (the paper's shape): up over [0, pT − 1], down symmetrically to the initial
  rate over [pT − 1, 2pT − 2], then annihilation to ``min_lr`` until T − 1; momentum max → base →
  max → max;
- ``three_phase=False`` (the shape popularised by fast.ai): up over [0, pT − 1], then down to
  ``min_lr`` until T − 1; momentum max → base → max.

with ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``;
interpolation ``"linear"`` (the paper) or ``"cos"``. The values equal
``torch.optim.lr_scheduler.OneCycleLR`` for the same arguments (a test checks every step), and the
schedule is a closed-form function of the step, so a resumed one continues exactly.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler


def _anneal(start: float, end: float, fraction: float, how: str) -> float:
    if how == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
    return (end - start) * fraction + start


class OneCycle(LRScheduler):
    """One-cycle learning rate (and inverse momentum) schedule.

    Args:
        optimizer: an optimizer with ``momentum`` (SGD) or ``betas`` (Adam-like; β1 is cycled).
        max_lr: the peak learning rate (from the range test, :func:`lr_range_test`).
        total_steps: the length T of the whole schedule, in optimizer steps.
        pct_start: fraction of T spent increasing the learning rate.
        anneal: ``"linear"`` (the paper) or ``"cos"``.
        div_factor: initial_lr = max_lr / div_factor.
        final_div_factor: min_lr = initial_lr / final_div_factor (the annihilation's end point).
        three_phase: the paper's symmetric cycle plus a separate annihilation phase.
        cycle_momentum: move momentum between ``max_momentum`` and ``base_momentum`` inversely.
        base_momentum, max_momentum: the momentum range (0.85 and 0.95, Smith 2018 §4.1).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, max_lr: float, total_steps: int, pct_start: float = 0.3,
                 anneal: str = "cos", div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, last_epoch: int = -1) -> None:
        if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 1:
            raise ValueError(f"total_steps must be a positive int, got {total_steps!r}")
        if not max_lr > 0:
            raise ValueError(f"max_lr must be > 0, got {max_lr!r}")
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"pct_start must be in [0, 1], got {pct_start!r}")
        if three_phase and pct_start > 0.5:
            raise ValueError(f"three_phase needs pct_start <= 0.5 (up and down take 2·pct_start), got {pct_start!r}")
        if anneal not in ("cos", "linear"):
            raise ValueError(f"anneal must be 'cos' or 'linear', got {anneal!r}")
        if not div_factor > 0 or not final_div_factor > 0:
            raise ValueError(f"div_factor and final_div_factor must be > 0, got {div_factor!r}, {final_div_factor!r}")
        if cycle_momentum and not 0 <= base_momentum <= max_momentum < 1:
            raise ValueError(f"need 0 <= base_momentum <= max_momentum < 1, got {base_momentum!r}, {max_momentum!r}")
        self.total_steps, self.anneal, self.cycle_momentum = total_steps, anneal, cycle_momentum
        self.max_lr = max_lr
        self.initial_lr = max_lr / div_factor
        self.min_lr = self.initial_lr / final_div_factor
        self.base_momentum, self.max_momentum = base_momentum, max_momentum
        up_end = float(pct_start * total_steps) - 1
        # (last step of the phase, lr from, lr to, momentum from, momentum to)
        if three_phase:
            self.phases = [(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                           (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("cycle_momentum needs an optimizer with 'momentum' or 'betas'")
        self.use_beta1 = "betas" in optimizer.defaults
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group["initial_lr"] = self.initial_lr
        super().__init__(optimizer, last_epoch)

    def values(self, step: int) -> tuple[float, float]:
        """(learning rate, momentum) at ``step`` (0 ≤ step ≤ total_steps)."""
        if step > self.total_steps:
            raise ValueError(f"one-cycle schedule stepped {step} times, beyond total_steps={self.total_steps}")
        start = 0.0
        for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
            if step <= end or i == len(self.phases) - 1:
                fraction = (step - start) / (end - start)
                lr = _anneal(getattr(self, lr_from), getattr(self, lr_to), fraction, self.anneal)
                momentum = _anneal(getattr(self, m_from), getattr(self, m_to), fraction, self.anneal)
                return lr, momentum
            start = end
        raise AssertionError("unreachable")

    def get_lr(self) -> list[float]:
        lr, momentum = self.values(self.last_epoch)
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return [lr for _ in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}
