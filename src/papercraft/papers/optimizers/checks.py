"""Hyper-parameter checks shared by the optimizers: bad values fail early, naming the argument."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


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


def use_foreach(foreach: bool | None, params: Sequence[torch.Tensor]) -> bool:
    """Whether to take the multi-tensor path: as asked, or by default (``None``) only on CUDA.

    On CUDA one ``torch._foreach_*`` call replaces a kernel launch per tensor. On CPU there is no
    launch to save and the multi-tensor path allocates whole-model temporaries; the per-parameter
    loop measured faster there (``benchmarks/bench_optimizers.py``), which is also torch's default.
    """
    if foreach is not None:
        return bool(foreach)
    return all(p.is_cuda for p in params)
