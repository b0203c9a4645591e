"""Image preparation shared by image experiments: 28 → 32 px padding, normalization, subsets.

The CIFAR-style networks (and LeNet-5) take 32×32 inputs; MNIST and Fashion-MNIST are 28×28, so
they are zero-padded by 2 pixels on each side (LeNet-5 §II.B did the same with MNIST). Inputs
are scaled to zero mean and unit variance with the training subset's statistics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pad_to_32(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[N, 28, 28]`` → float ``[N, 1, 32, 32]`` in [0, 1], zero-padded by 2 on each side."""
    if images.dim() != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"pad_to_32 expects [N, 28, 28] images, got {tuple(images.shape)}")
    return F.pad(images.float()[:, None] / 255.0, (2, 2, 2, 2))


def first_per_class(labels: torch.Tensor, n: int, num_classes: int = 10) -> torch.Tensor:
    """Indices of the first ``n // num_classes`` examples of every class (a balanced, fixed subset).

    Returns a ``[n']`` long tensor in increasing order (``n' = n`` when every class has enough).
    """
    if n <= 0:
        raise ValueError(f"subset size must be positive, got {n}")
    per_class = max(1, n // num_classes)
    keep = [torch.nonzero(labels == c).flatten()[:per_class] for c in range(num_classes)]
    return torch.sort(torch.cat(keep)).values


def standardize(train: torch.Tensor, *others: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Scale every tensor by the training set's mean and standard deviation (a scalar each)."""
    mean, std = train.mean(), train.std()
    return tuple((t - mean) / std for t in (train, *others))
