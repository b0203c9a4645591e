"""Hyper-parameter checks shared by the optimizers: bad values fail early, naming the argument."""

from __future__ import annotations

import math
from collections.abc import Sequence


def check_non_negative(name: str, value: float) -> None:
    """``value`` must be a finite number >= 0 (learning rate, weight decay, eps, ...)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def check_unit_interval(name: str, value: float) -> None:
    """``value`` must lie in [0, 1) (a momentum or an exponential-average coefficient)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def check_betas(betas: Sequence[float]) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)``: two numbers, each in [0, 1)."""
    if not isinstance(betas, Sequence) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not 0.0 <= beta < 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {beta!r} (betas={tuple(betas)!r})")
    return float(betas[0]), float(betas[1])
