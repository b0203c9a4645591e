"""Parameters and multiply-accumulates of a network, the first two columns of the historical table.

Multiply-accumulates (MACs) are counted by running one forward pass under
``torch.utils.flop_counter.FlopCounterMode``, which counts the FLOPs of convolutions and matrix
products (2 per MAC) and ignores element-wise work (ReLU, pooling, normalization), the usual
convention of the papers' "multiply-adds". The pass can run on the ``meta`` device, so even
VGG-19 at 224×224 costs no memory and no time.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_macs(model: nn.Module, input_shape: tuple[int, ...], device: str | torch.device = "meta") -> int:
    """Multiply-accumulates of one forward pass in eval mode on a ``input_shape`` input (e.g.
    ``(1, 3, 224, 224)``), counted over convolutions and matrix products.

    The model must already live on ``device`` (build it under ``torch.device("meta")`` for free
    counting). LeNet-5's C3 is counted as the dense convolution it is computed with.
    """
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(input_shape, device=device))
    model.train(was_training)
    return counter.get_total_flops() // 2
