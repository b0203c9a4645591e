"""The one warm-up + cosine learning-rate schedule every experiment uses.

Linear warm-up from ``lr / warmup_steps`` to the peak over ``warmup_steps`` steps, then cosine
annealing (Loshchilov & Hutter 2017, SGDR eq. 5, one cycle without restarts) from the peak down to
``floor × peak`` at ``total_steps``; constant at the floor after that. The optimizers entry exposes
it by name (``make_schedule("cosine", ...)``) beside its other schedules.
"""

from __future__ import annotations

import math

import torch


def warmup_cosine_factor(step: int, total_steps: int, warmup_steps: int = 0, floor: float = 0.0) -> float:
    """The learning-rate multiplier after ``step`` scheduler steps (0-based: step 0 is the first
    optimizer step)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def warmup_cosine(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0,
                  floor: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` with :func:`warmup_cosine_factor`, stepped once per optimizer step."""
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    if not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"warmup_steps must be in [0, total_steps={total_steps}], got {warmup_steps}")
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"floor must be in [0, 1], got {floor}")
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_cosine_factor(step, total_steps, warmup_steps, floor))
