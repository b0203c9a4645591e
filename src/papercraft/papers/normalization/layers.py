"""Five normalization layers, in the order they were published, each written from its definition.

All five compute ``y = (x - mu) / sqrt(sigma^2 + eps) * gamma + beta`` (RMSNorm drops ``mu`` and
``beta``); they differ only in *which* elements share ``mu`` and ``sigma`` and in what happens at
test time. For an activation ``x`` of shape ``[N, C, *spatial]``:

============  ==========================  ====================================================
layer         statistics over             at test time
============  ==========================  ====================================================
BatchNorm     N and spatial, per channel  running averages collected during training
LayerNorm     the trailing feature dims   the same computation (no batch dependence)
InstanceNorm  spatial, per (n, c)         the same computation
GroupNorm     (C/G channels) x spatial    the same computation
RMSNorm       the trailing feature dims   the same; no mean subtracted, no bias
============  ==========================  ====================================================

1. **BatchNorm** (Ioffe & Szegedy 2015, Algorithm 1 and §3.1): normalize each channel with the
   mini-batch mean and *biased* variance; keep exponential running averages of the mean and the
   *unbiased* variance (Algorithm 2, step 10 uses ``m/(m-1)``) and use those in evaluation.
2. **LayerNorm** (Ba, Kiros & Hinton 2016, Eq. 4): statistics over all hidden units of one example,
   so training and test compute the same thing and batch size does not matter.
3. **InstanceNorm** (Ulyanov, Vedaldi & Lempitsky 2016, Eq. 2): per example *and* per channel,
   over the spatial positions only.
4. **GroupNorm** (Wu & He 2018, Eq. 1-3 and Fig. 2): channels split into ``G`` groups; statistics per
   example per group. ``G = 1`` is LayerNorm over ``(C, *spatial)``, ``G = C`` is InstanceNorm.
5. **RMSNorm** (Zhang & Sennrich 2019, Eq. 4): re-scaling invariance is what matters, not
   re-centering, so divide by the root mean square and skip the mean: cheaper, same quality.

Every layer takes ``float`` tensors and returns a tensor of the same shape. Bad shapes raise
``ValueError`` saying what was expected.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm", "RMSNorm", "layer_norm", "rms_norm"]


def _check_channels(x: Tensor, num_channels: int, name: str, min_dim: int = 2) -> None:
    if x.dim() < min_dim or x.shape[1] != num_channels:
        want = "[N, C]" if min_dim == 2 else "[N, C, *spatial] with at least one spatial dim"
        raise ValueError(f"{name} expects input {want} with C={num_channels}, got shape {list(x.shape)}")


# --------------------------------------------------------------------------- 1. BatchNorm (2015)


class BatchNorm(nn.Module):
    """Batch normalization over ``[N, C]``, ``[N, C, L]`` or ``[N, C, H, W]`` (one class for all).

    Training: per channel, ``mu_B`` and the biased ``sigma_B^2`` over the batch and spatial dims
    (Algorithm 1). Running statistics: ``running = (1 - momentum) * running + momentum * batch``
    with the *unbiased* batch variance (Algorithm 2); ``momentum=None`` gives the cumulative average.
    Evaluation (or ``track_running_stats=False`` never seen): the running statistics replace the
    batch statistics, so one example's output no longer depends on the rest of its batch.

    Buffer and parameter names match ``torch.nn.BatchNorm*d`` so state dicts load either way.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        super().__init__()
        if num_features < 1:
            raise ValueError(f"num_features must be >= 1, got {num_features}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``[N, C, *spatial]`` -> same shape."""
        _check_channels(x, self.num_features, "BatchNorm")
        reduce = [0, *range(2, x.dim())]  # everything but the channel dimension
        shape = [1, -1] + [1] * (x.dim() - 2)  # broadcast a [C] vector against x
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            count = x.numel() // self.num_features
            if count < 2 and self.training:
                raise ValueError(f"BatchNorm needs more than one value per channel in training, got shape {list(x.shape)}")
            mean = x.mean(dim=reduce)
            var = ((x - mean.view(shape)) ** 2).mean(dim=reduce)  # biased: Algorithm 1 divides by m
            if self.training and self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked += 1
                    m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                    unbiased = var * count / (count - 1)  # Algorithm 2, step 10: E[x], m/(m-1) Var[x]
                    self.running_mean.mul_(1 - m).add_(m * mean)
                    self.running_var.mul_(1 - m).add_(m * unbiased)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


# --------------------------------------------------------------------------- 2. LayerNorm (2016)


def layer_norm(x: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float, n_dims: int = 1) -> Tensor:
    """Ba et al. Eq. (4): ``mu`` and ``sigma`` over the last ``n_dims`` dims of one example."""
    dims = tuple(range(-n_dims, 0))
    mean = x.mean(dim=dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=dims, keepdim=True)  # biased, as in the paper's 1/H
    y = centered * torch.rsqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


class LayerNorm(nn.Module):
    """Layer normalization over the trailing ``normalized_shape`` dims: ``[*, *normalized_shape]``.

    ``fused=True`` computes the same function with ``F.layer_norm`` (one C++ kernel, less memory);
    tests check that both paths agree. Parameter names match ``torch.nn.LayerNorm``.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, fused: bool = False) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.fused = shape, eps, fused
        self.weight = nn.Parameter(torch.ones(shape)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(shape)) if elementwise_affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        if tuple(x.shape[-n:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm expects input [*, {', '.join(map(str, self.normalized_shape))}], "
                             f"got shape {list(x.shape)}")
        if self.fused:
            return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return layer_norm(x, self.weight, self.bias, self.eps, n)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, affine={self.weight is not None}, fused={self.fused}"


# --------------------------------------------------------------------------- 3. InstanceNorm (2016)


class InstanceNorm(nn.Module):
    """Instance normalization, ``[N, C, *spatial]`` -> same shape (Ulyanov et al. Eq. 2).

    Statistics per example and channel over the spatial positions, identical in training and
    evaluation (as ``torch.nn.InstanceNorm*d`` with its default ``track_running_stats=False``).
    ``affine`` defaults to False as in torch.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, affine: bool = False) -> None:
        super().__init__()
        self.num_features, self.eps, self.affine = num_features, eps, affine
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine else None

    def forward(self, x: Tensor) -> Tensor:
        _check_channels(x, self.num_features, "InstanceNorm", min_dim=3)
        dims = tuple(range(2, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) * torch.rsqrt(var + self.eps)
        if self.affine:
            shape = [1, -1] + [1] * (x.dim() - 2)
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


# --------------------------------------------------------------------------- 4. GroupNorm (2018)


class GroupNorm(nn.Module):
    """Group normalization, ``[N, C, *spatial]`` -> same shape (Wu & He Eq. 1-3).

    The ``C`` channels are split into ``num_groups`` contiguous groups; ``mu``/``sigma`` are taken
    over each group's channels and all spatial positions of one example; the affine transform is
    per channel (§3.1). Parameter names match ``torch.nn.GroupNorm``.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if affine else None

    def forward(self, x: Tensor) -> Tensor:
        _check_channels(x, self.num_channels, "GroupNorm")
        n = x.shape[0]
        grouped = x.reshape(n, self.num_groups, -1)  # [N, G, C/G * prod(spatial)]
        mean = grouped.mean(dim=-1, keepdim=True)
        var = ((grouped - mean) ** 2).mean(dim=-1, keepdim=True)
        y = ((grouped - mean) * torch.rsqrt(var + self.eps)).reshape(x.shape)
        if self.affine:
            shape = [1, -1] + [1] * (x.dim() - 2)
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


# --------------------------------------------------------------------------- 5. RMSNorm (2019)


def rms_norm(x: Tensor, weight: Tensor | None, eps: float) -> Tensor:
    """Zhang & Sennrich Eq. (4): ``x / RMS(x) * g`` with ``RMS(x) = sqrt(mean(x^2) + eps)``."""
    y = x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps)
    return y * weight if weight is not None else y


class RMSNorm(nn.Module):
    """Root-mean-square normalization over the last dim: ``[*, d]`` -> ``[*, d]``.

    No mean is subtracted and there is no bias (the paper's hypothesis: LayerNorm's re-centering
    invariance is dispensable). Parameter names match ``torch.nn.RMSNorm``.
    """

    def __init__(self, dim: int, eps: float = 1e-6, elementwise_affine: bool = True) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps
        self.weight = nn.Parameter(torch.ones(dim)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.dim:
            raise ValueError(f"RMSNorm expects input [*, {self.dim}], got shape {list(x.shape)}")
        return rms_norm(x, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.dim}, eps={self.eps}"
