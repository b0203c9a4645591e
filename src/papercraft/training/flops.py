"""Counted floating-point operations, for claims about equal training cost.

Process CPU time depends on the machine and its load; a FLOP count does not. :func:`step_flops`
counts one training step (forward and backward) with torch's ``FlopCounterMode``, which counts
matrix multiplications and convolutions (the operations that dominate a step), the convention of
the scaling-law literature. Elementwise operations are not counted.

A fused kernel (such as the LSTM behind ``nn.LSTM``) is opaque to the counter: it would count 0.
A module that has a fused fast path beside a readable one says so with a boolean ``fused``
attribute; :func:`step_flops` switches every such module to its readable path while counting, so
the count is that of the same function written in counted operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def step_flops(model: nn.Module, loss_fn: Callable[[nn.Module, tuple[torch.Tensor, ...]], tuple[torch.Tensor, Mapping[str, Any]]],
               batch: tuple[torch.Tensor, ...]) -> int:
    """FLOPs of one forward + backward pass of ``loss_fn(model, batch)`` (gradients are discarded,
    the model's parameters are left unchanged)."""
    was_training = model.training
    fused = [m for m in model.modules() if getattr(m, "fused", None) is True]
    model.train()
    counter = FlopCounterMode(display=False)
    try:
        for m in fused:
            m.fused = False
        with counter:
            loss, _ = loss_fn(model, batch)
            loss.backward()
    finally:
        for m in fused:
            m.fused = True
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return int(counter.get_total_flops())
